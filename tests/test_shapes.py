"""Every ``convolved.shapes`` function against the shapes PyTorch actually produces.

The oracle is torch itself: tensors on the ``meta`` device make torch compute only the shape (and
run its argument checks), so hundreds of random configurations cost little. A configuration torch
rejects must make our function raise ValueError, and one torch accepts must get torch's answer.
"""

import doctest
import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import int_or_tuple, per_dim, random_configs
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import convolved.shapes
from convolved.shapes import (
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
    receptive_field,
    same_padding,
    solve_conv_params,
)

META = torch.device("meta")
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
CONV_MODULE = {1: nn.Conv1d, 2: nn.Conv2d}
MAX_POOL_MODULE = {1: nn.MaxPool1d, 2: nn.MaxPool2d}
AVG_POOL_MODULE = {1: nn.AvgPool1d, 2: nn.AvgPool2d}


def in_asked_form(shape, *args):
    """torch's per-dimension shape in the form shapes promises: a tuple if any argument was one."""
    if any(isinstance(arg, tuple) for arg in args):
        return shape
    assert len(set(shape)) == 1, "all-int arguments must give the same size in every dimension"
    return shape[0]


def torch_spatial_shape(fn, *args, **kwargs):
    """The spatial shape torch produces, or None when torch rejects the configuration."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # padding="same" with even kernels
        try:
            out = fn(*args, **kwargs)
        except (RuntimeError, ValueError):
            return None
    return tuple(out.shape[2:])


def assert_same_answer(ours, expected, args, kwargs):
    """``ours(*args, **kwargs)`` gives ``expected`` (same type too), or raises if it is None."""
    if expected is None:
        with pytest.raises(ValueError):
            ours(*args, **kwargs)
    else:
        answer = ours(*args, **kwargs)
        assert answer == expected
        assert type(answer) is type(expected)


def meta_tensor(*shape):
    return torch.empty(*shape, device=META)


# ----------------------------------------------------------------------------------------------
# conv_output_size, conv_transpose_output_size, pool_output_size, same_padding


@st.composite
def conv_configs(draw):
    ndim = draw(st.integers(1, 3))
    size = draw(int_or_tuple(ndim, st.integers(1, 16)))
    kernel = draw(int_or_tuple(ndim, st.integers(1, 6)))
    stride = draw(int_or_tuple(ndim, st.integers(1, 4)))
    padding = draw(st.one_of(int_or_tuple(ndim, st.integers(0, 3)),
                             st.sampled_from(["valid", "same"])))
    dilation = draw(int_or_tuple(ndim, st.integers(1, 3)))
    return ndim, size, kernel, stride, padding, dilation


@random_configs(500)
@given(conv_configs())
def test_conv_output_size_matches_torch(config):
    ndim, size, kernel, stride, padding, dilation = config
    torch_padding = padding if isinstance(padding, str) else per_dim(padding, ndim)
    shape = torch_spatial_shape(
        CONV[ndim], meta_tensor(1, 1, *per_dim(size, ndim)),
        meta_tensor(1, 1, *per_dim(kernel, ndim)), stride=per_dim(stride, ndim),
        padding=torch_padding, dilation=per_dim(dilation, ndim))
    expected = None if shape is None else in_asked_form(shape, size, kernel, stride, padding,
                                                        dilation)
    assert_same_answer(conv_output_size, expected, (size, kernel),
                       {"stride": stride, "padding": padding, "dilation": dilation})


@st.composite
def conv_transpose_configs(draw):
    ndim = draw(st.integers(1, 3))
    size = draw(int_or_tuple(ndim, st.integers(1, 6)))
    kernel = draw(int_or_tuple(ndim, st.integers(1, 4)))
    stride = draw(int_or_tuple(ndim, st.integers(1, 3)))
    padding = draw(int_or_tuple(ndim, st.integers(0, 3)))
    dilation = draw(int_or_tuple(ndim, st.integers(1, 3)))
    # mostly below max(stride, dilation); sometimes up to it, the first value torch refuses
    beyond = draw(st.sampled_from([0, 0, 0, 1]))
    limits = [max(s, d) - 1 + beyond
              for s, d in zip(per_dim(stride, ndim), per_dim(dilation, ndim), strict=True)]
    output_padding = draw(st.integers(0, min(limits))
                          | st.tuples(*[st.integers(0, limit) for limit in limits]))
    return ndim, size, kernel, stride, padding, output_padding, dilation


@random_configs(300)
@given(conv_transpose_configs())
def test_conv_transpose_output_size_matches_torch(config):
    ndim, size, kernel, stride, padding, output_padding, dilation = config
    # Tiny CPU tensors, not meta: the meta kernels skip torch's check that
    # output_padding < max(stride, dilation).
    shape = torch_spatial_shape(
        CONV_TRANSPOSE[ndim], torch.zeros(1, 1, *per_dim(size, ndim)),
        torch.zeros(1, 1, *per_dim(kernel, ndim)), stride=per_dim(stride, ndim),
        padding=per_dim(padding, ndim), output_padding=per_dim(output_padding, ndim),
        dilation=per_dim(dilation, ndim))
    # torch's 2-D and 3-D kernels return an empty output where the 1-D one refuses; an output
    # of size 0 is refused by our function in every dimension.
    if shape is not None and 0 in shape:
        shape = None
    expected = None if shape is None else in_asked_form(shape, size, kernel, stride, padding,
                                                        output_padding, dilation)
    assert_same_answer(conv_transpose_output_size, expected, (size, kernel),
                       {"stride": stride, "padding": padding, "output_padding": output_padding,
                        "dilation": dilation})


@st.composite
def pool_configs(draw):
    kind = draw(st.sampled_from(["max", "avg"]))
    ndim = draw(st.integers(1, 3)) if kind == "max" else 2
    size = draw(int_or_tuple(ndim, st.integers(1, 16)))
    kernel = draw(int_or_tuple(ndim, st.integers(1, 5)))
    stride = draw(st.none() | int_or_tuple(ndim, st.integers(1, 4)))
    # mostly at most half the kernel_size, as torch requires; sometimes one more
    beyond = draw(st.sampled_from([0, 0, 0, 1]))
    limits = [k // 2 + beyond for k in per_dim(kernel, ndim)]
    padding = draw(st.integers(0, min(limits))
                   | st.tuples(*[st.integers(0, limit) for limit in limits]))
    dilation = draw(int_or_tuple(ndim, st.integers(1, 3))) if kind == "max" else 1
    ceil_mode = draw(st.booleans())
    return kind, ndim, size, kernel, stride, padding, dilation, ceil_mode


@random_configs(500)
@given(pool_configs())
def test_pool_output_size_matches_torch(config):
    kind, ndim, size, kernel, stride, padding, dilation, ceil_mode = config
    x = meta_tensor(1, 1, *per_dim(size, ndim))
    torch_stride = None if stride is None else per_dim(stride, ndim)
    if kind == "max":
        shape = torch_spatial_shape(MAX_POOL[ndim], x, per_dim(kernel, ndim), torch_stride,
                                    per_dim(padding, ndim), per_dim(dilation, ndim),
                                    ceil_mode=ceil_mode)
    else:
        shape = torch_spatial_shape(F.avg_pool2d, x, per_dim(kernel, ndim), torch_stride,
                                    per_dim(padding, ndim), ceil_mode=ceil_mode)
    expected = None if shape is None else in_asked_form(shape, size, kernel, stride, padding,
                                                        dilation)
    assert_same_answer(pool_output_size, expected, (size, kernel),
                       {"stride": stride, "padding": padding, "dilation": dilation,
                        "ceil_mode": ceil_mode})


@st.composite
def same_padding_configs(draw):
    ndim = draw(st.integers(1, 2))
    kernel = draw(int_or_tuple(ndim, st.integers(1, 6)))
    dilation = draw(int_or_tuple(ndim, st.integers(1, 3)))
    sizes = draw(st.tuples(*[st.integers(1, 8)] * ndim))
    seed = draw(st.integers(0, 2**32 - 1))
    return ndim, kernel, dilation, sizes, seed


@random_configs(200)
@given(same_padding_configs())
def test_same_padding_reproduces_torch_same(config):
    """Padding by hand with our pairs, then convolving, gives torch's padding="same" output.

    Random values make the check sensitive to which side gets the extra row for even kernels.
    """
    ndim, kernel, dilation, sizes, seed = config
    answer = same_padding(kernel, dilation)
    per_dimension = answer if isinstance(kernel, tuple) or isinstance(dilation, tuple) else (answer,) * ndim
    assert len(per_dimension) == ndim
    pairs = []
    for padding in per_dimension:  # an int when both sides get the same, else (before, after)
        if isinstance(padding, int):
            pairs.append((padding, padding))
        else:
            assert padding[1] == padding[0] + 1, "only the after side may get one more"
            pairs.append(padding)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 1, *sizes, generator=generator)
    w = torch.randn(1, 1, *per_dim(kernel, ndim), generator=generator)
    dilations = per_dim(dilation, ndim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # even kernels
        expected = CONV[ndim](x, w, padding="same", dilation=dilations)
    torch_pad = [amount for pair in reversed(pairs) for amount in pair]  # last dimension first
    by_hand = CONV[ndim](F.pad(x, torch_pad), w, dilation=dilations)
    torch.testing.assert_close(by_hand, expected)


# ----------------------------------------------------------------------------------------------
# receptive_field: measured by propagating lines of ones through all-ones layers


@st.composite
def layer_stacks(draw, ndim):
    """Random conv/max-pool/avg-pool layers as dicts of per-dimension tuples."""
    layers = []
    for _ in range(draw(st.integers(1, 4 if ndim == 1 else 3))):
        kind = draw(st.sampled_from(["conv", "max_pool", "avg_pool"]))
        kernel = draw(st.tuples(*[st.integers(1, 4)] * ndim))
        layers.append({
            "kind": kind,
            "kernel_size": kernel,
            "stride": draw(st.tuples(*[st.integers(1, 2)] * ndim)),
            "dilation": (draw(st.tuples(*[st.integers(1, 2)] * ndim)) if kind != "avg_pool"
                         else (1,) * ndim),
            # torch allows pool padding of at most half the kernel
            "padding": tuple(draw(st.integers(0, 2 if kind == "conv" else k // 2))
                             for k in kernel),
        })
    return layers


def build_module(layer, ndim):
    geometry = {key: layer[key] for key in ("kernel_size", "stride", "padding")}
    if layer["kind"] == "conv":
        conv = CONV_MODULE[ndim](1, 1, **geometry, dilation=layer["dilation"], bias=False)
        nn.init.ones_(conv.weight)
        return conv
    if layer["kind"] == "max_pool":
        return MAX_POOL_MODULE[ndim](**geometry, dilation=layer["dilation"])
    return AVG_POOL_MODULE[ndim](**geometry)


def measured_field(model, ndim, length):
    """Per axis: (extent, jump) of the input that reaches the central output unit.

    With all-ones weights and no bias, a value is positive exactly where some input it depends
    on is positive (sums, maxima and averages of non-negative numbers; ReLU keeps positives).
    So feeding one hyperplane of ones at a time (index i along the axis) and looking at which
    i make the central unit positive gives the rows it sees, without using any formula.
    """
    extents, jumps = [], []
    for axis in range(ndim):
        lines = torch.zeros(length, 1, *(length,) * ndim)
        for i in range(length):
            index = [slice(None)] * ndim
            index[axis] = i
            lines[(i, 0, *index)] = 1.0
        with torch.no_grad():
            out = model(lines)
        centre = [size // 2 for size in out.shape[2:]]
        neighbour = list(centre)
        neighbour[axis] += 1
        seen = torch.nonzero(out[(slice(None), 0, *centre)] > 0).flatten()
        seen_by_neighbour = torch.nonzero(out[(slice(None), 0, *neighbour)] > 0).flatten()
        first, last = seen.min().item(), seen.max().item()
        # the measurement is only valid if the field is not cut by the border
        assert first > 0 and last < length - 1, "input too small for this stack"
        extents.append(last - first + 1)
        jumps.append(seen_by_neighbour.min().item() - first)
    return tuple(extents), tuple(jumps)


def with_relus(modules):
    return [part for module in modules for part in (module, nn.ReLU())]


@random_configs(60)
@given(st.integers(1, 2).flatmap(lambda ndim: st.tuples(st.just(ndim), layer_stacks(ndim))))
def test_receptive_field_matches_measured_field(case):
    ndim, layers = case
    modules = [build_module(layer, ndim) for layer in layers]
    # a nested Sequential with activations: receptive_field must skip and descend correctly
    model = nn.Sequential(*with_relus(modules[:1]), nn.Sequential(*with_relus(modules[1:])))
    # large enough for the largest possible field (91 pixels in 1-D, 43 in 2-D) with margins
    size, jump = measured_field(model, ndim, length=200 if ndim == 1 else 96)

    from_modules = receptive_field(model)
    assert per_dim(from_modules.size, ndim) == size
    assert per_dim(from_modules.jump, ndim) == jump

    as_tuples = [(layer["kernel_size"], layer["stride"], layer["dilation"]) for layer in layers]
    as_dicts = [{key: layer[key] for key in ("kernel_size", "stride", "dilation")}
                for layer in layers]
    if ndim == 1:  # plain ints in, plain ints out
        as_tuples = [tuple(v[0] for v in layer) for layer in as_tuples]
        as_dicts = [{key: v[0] for key, v in layer.items()} for layer in as_dicts]
        size, jump = size[0], jump[0]
    for description in (as_tuples, as_dicts):
        assert receptive_field(description) == (size, jump)
        assert type(receptive_field(description).size) is type(size)


@pytest.mark.parametrize("module", [
    nn.Conv2d(1, 1, (3, 5), stride=(2, 1), dilation=(1, 3), bias=False),
    nn.MaxPool2d(3, stride=2, dilation=2),
    nn.AvgPool2d((2, 4)),
], ids=["conv", "max_pool", "avg_pool"])
def test_receptive_field_of_a_single_module(module):
    if isinstance(module, nn.Conv2d):
        nn.init.ones_(module.weight)
    size, jump = measured_field(module, 2, length=40)
    for layers in (module, [module]):
        field = receptive_field(layers)
        assert (per_dim(field.size, 2), per_dim(field.jump, 2)) == (size, jump)


def test_receptive_field_defaults_stride_of_pools_to_kernel_size():
    """stride=None means stride = kernel_size, for a torch pool as for a dict."""
    pool = nn.MaxPool1d(3)
    model = nn.Sequential(pool, nn.Conv1d(1, 1, 2, bias=False))
    nn.init.ones_(model[1].weight)
    size, jump = measured_field(model, 1, length=40)
    assert receptive_field(model) == (size, jump)  # Conv1d's kernel_size is a tuple
    assert receptive_field([{"kernel_size": 3, "stride": None}, (2, 1)]) == (size[0], jump[0])


# ----------------------------------------------------------------------------------------------
# solve_conv_params


def conv1d_output(in_size, kernel, stride, padding, dilation):
    """torch's 1-D output size, or None if torch rejects the configuration."""
    shape = torch_spatial_shape(F.conv1d, meta_tensor(1, 1, in_size), meta_tensor(1, 1, kernel),
                                stride=stride, padding=padding, dilation=dilation)
    return None if shape is None else shape[0]


def brute_force_solutions(in_size, out_size, max_kernel_size, max_stride, dilation):
    """All (k, s, p) within the documented bounds that torch maps in_size to out_size."""
    return {
        (k, s, p)
        for k in range(1, max_kernel_size + 1)
        for s in range(1, (k if max_stride is None else max_stride) + 1)
        for p in range(k // 2 + 1)
        if conv1d_output(in_size, k, s, p, dilation) == out_size
    }


@random_configs(150)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 7),
       st.none() | st.integers(1, 4), st.integers(1, 3))
def test_solve_conv_params_is_exactly_the_brute_force_set(in_size, out_size, max_kernel_size,
                                                         max_stride, dilation):
    solutions = solve_conv_params(in_size, out_size, max_kernel_size=max_kernel_size,
                                  max_stride=max_stride, dilation=dilation)
    assert len(set(solutions)) == len(solutions), "duplicates"
    assert all(type(value) is int for solution in solutions for value in solution)
    assert set(solutions) == brute_force_solutions(in_size, out_size, max_kernel_size,
                                                   max_stride, dilation)


@random_configs(60)
@given(st.tuples(st.integers(4, 40), st.integers(4, 40)),
       st.tuples(st.integers(1, 40), st.integers(1, 40)), st.integers(1, 5),
       st.integers(1, 2))
def test_solve_conv_params_tuples_every_solution_builds(in_size, out_size, max_kernel_size,
                                                       dilation):
    """Each tuple solution, as an nn.Conv2d, gives the target; all per-axis combinations come."""
    solutions = solve_conv_params(in_size, out_size, max_kernel_size=max_kernel_size,
                                  dilation=dilation)
    for kernel, stride, padding in solutions:
        conv = nn.Conv2d(1, 1, kernel, stride, padding, dilation=dilation, device=META)
        assert tuple(conv(meta_tensor(1, 1, *in_size)).shape[2:]) == out_size
    per_axis = [brute_force_solutions(m, n, max_kernel_size, None, dilation)
                for m, n in zip(in_size, out_size, strict=True)]
    combinations = {tuple(zip(*combo, strict=True)) for combo in itertools.product(*per_axis)}
    assert set(solutions) == combinations


@pytest.mark.parametrize("in_size, out_size, known", [
    (32, 28, (5, 1, 0)),  # LeNet-5's first convolution
    (224, 55, (11, 4, 2)),  # AlexNet as in torchvision
    (227, 55, (11, 4, 0)),  # AlexNet as in the paper's corrected input size
    ((256, 256), (252, 84), ((5, 5), (1, 3), (0, 0))),
], ids=["lenet", "alexnet-224", "alexnet-227", "tuple"])
def test_solve_conv_params_finds_known_architectures(in_size, out_size, known):
    assert known in solve_conv_params(in_size, out_size)
    kernel, stride, padding = known  # and torch agrees it is a solution
    x = meta_tensor(1, 1, *per_dim(in_size, 2 if isinstance(in_size, tuple) else 1))
    conv = nn.Conv2d if isinstance(in_size, tuple) else nn.Conv1d
    out = conv(1, 1, kernel, stride, padding, device=META)(x)
    assert tuple(out.shape[2:]) == per_dim(out_size, 1)


# ----------------------------------------------------------------------------------------------
# Forms of the answer and doctests


def test_numpy_ints_are_accepted_and_answer_plain_ints():
    assert type(conv_output_size(np.int64(20), 3)) is int
    assert type(pool_output_size(np.int64(20), 2)) is int


def test_doctests_pass():
    results = doctest.testmod(convolved.shapes)
    assert results.attempted > 0
    assert results.failed == 0


class TestConvMultiplyAdds:
    """Counted against torch's own FLOP counter (two FLOPs, one multiply and one add, per MAC)."""

    @random_configs(40)
    @given(c_in=st.integers(1, 4), c_out=st.integers(1, 4), groups=st.sampled_from([1, 2]),
           kernel=int_or_tuple(2, st.integers(1, 4)), stride=int_or_tuple(2, st.integers(1, 3)),
           size=st.integers(6, 14))
    def test_matches_torchs_flop_counter(self, c_in, c_out, groups, kernel, stride, size):
        from torch.utils.flop_counter import FlopCounterMode

        c_in, c_out = c_in * groups, c_out * groups
        conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, groups=groups, bias=False)
        with FlopCounterMode(display=False) as counter:
            out = conv(torch.zeros(1, c_in, size, size + 1))
        ours = convolved.shapes.conv_multiply_adds(c_in, c_out, kernel, tuple(out.shape[2:]), groups=groups)
        assert 2 * ours == counter.get_total_flops()

    def test_counts_each_product_once(self):
        # 2 output channels × 3×3 positions × (1 channel × 2×2 taps) = 72 products, counted by hand
        assert convolved.shapes.conv_multiply_adds(1, 2, 2, (3, 3)) == 2 * 9 * 4

    @pytest.mark.parametrize(("kwargs", "error", "match"), [
        ({"in_channels": 0}, ValueError, "in_channels must be >= 1"),
        ({"groups": 2, "in_channels": 3}, ValueError, "divisible by groups"),
        ({"kernel_size": 2.0}, TypeError, "kernel_size must be an int"),
        ({"kernel_size": (3, 3), "output_size": (4, 4, 4)}, ValueError,
         "output_size must be an int or a tuple of 2"),
    ])
    def test_bad_input(self, kwargs, error, match):
        arguments = {"in_channels": 2, "out_channels": 2, "kernel_size": 3, "output_size": (4, 4)} | kwargs
        with pytest.raises(error, match=match):
            convolved.shapes.conv_multiply_adds(**arguments)


def test_receptive_field_skips_pointwise_layers_and_refuses_global_ones():
    stack = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Dropout(),
                          nn.MaxPool2d(2), nn.Sequential())
    assert receptive_field(stack) == receptive_field([((3, 3), 1), ((2, 2), 2)]) == ((4, 4), (2, 2))
    for layer in (nn.AdaptiveAvgPool2d(1), nn.Linear(2, 2)):
        with pytest.raises(ValueError, match=rf"layers\[1\] is {type(layer).__name__}.*whole image"):
            receptive_field(nn.Sequential(nn.Conv2d(1, 2, 3), layer))
