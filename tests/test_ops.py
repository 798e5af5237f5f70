"""Every ``convolved.ops`` function against torch.nn.functional (or scipy.signal) numerically.

The reference implementations are plain Python loops, so the random configurations stay small.
When torch rejects a configuration the drawn parameters allow, ours must raise ValueError too.
"""

import warnings

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from helpers import int_or_tuple, per_dim, random_configs
from hypothesis import given
from hypothesis import strategies as st

from convolved import ops

TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
OUR_CONV = {1: ops.conv1d, 2: ops.conv2d, 3: ops.conv3d}
TORCH_PAD_MODE = {"zeros": "constant", "circular": "circular", "reflect": "reflect",
                  "replicate": "replicate"}
TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}  # float32 sums in a different order than torch's


def random_array(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def torch_result(fn, *args, **kwargs):
    """torch's output as a NumPy array, or None when torch rejects the configuration."""
    tensors = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # padding="same" with even kernels
        try:
            return fn(*tensors, **kwargs).numpy()
        except RuntimeError:
            return None


def assert_matches(expected, ours, *args, **kwargs):
    """``ours(*args, **kwargs)`` equals torch's ``expected``, or raises if torch refused."""
    if expected is None:
        with pytest.raises(ValueError):
            ours(*args, **kwargs)
        return
    result = ours(*args, **kwargs)
    assert isinstance(result, np.ndarray)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, **TOLERANCE)


def as_given(array, as_tensor):
    """Hand the ops a NumPy array or a torch tensor: both must work."""
    return torch.from_numpy(array) if as_tensor and array is not None else array


# ----------------------------------------------------------------------------------------------
# conv1d, conv2d, conv3d, conv2d_fast


@st.composite
def conv_cases(draw, ndim, max_extra_size):
    """A convolution that torch accepts, with random data: (arrays, keyword arguments, options)."""
    groups = draw(st.integers(1, 3))
    in_channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 2))
    kernel = draw(st.tuples(*[st.integers(1, 4)] * ndim))  # even kernels included
    dilation = draw(int_or_tuple(ndim, st.integers(1, 2)))
    padding = draw(st.one_of(int_or_tuple(ndim, st.integers(0, 2)),
                             st.sampled_from(["valid", "same"])))
    stride = 1 if padding == "same" else draw(int_or_tuple(ndim, st.integers(1, 3)))
    # the smallest input torch accepts; "same" pads enough for any size
    pads = per_dim({"valid": 0, "same": 99}.get(padding, padding), ndim)
    sizes = tuple(
        max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, max_extra_size))
        for k, d, p in zip(kernel, per_dim(dilation, ndim), pads, strict=True)
    )
    batch = draw(st.sampled_from([None, 1, 2]))  # None: unbatched input
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = random_array(rng, ((batch,) if batch else ()) + (in_channels, *sizes))
    weight = random_array(rng, (out_channels, in_channels // groups, *kernel))
    bias = random_array(rng, (out_channels,)) if draw(st.booleans()) else None
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return (x, weight, bias), kwargs, draw(st.booleans())


def check_conv(ndim, ours, case):
    (x, weight, bias), kwargs, as_tensor = case
    expected = torch_result(TORCH_CONV[ndim], x, weight, bias, **kwargs)
    assert expected is not None, "the strategy should only draw valid convolutions"
    assert_matches(expected, ours, as_given(x, as_tensor), as_given(weight, as_tensor),
                   as_given(bias, as_tensor), **kwargs)


@random_configs(150)
@given(conv_cases(ndim=1, max_extra_size=8))
def test_conv1d_matches_torch(case):
    check_conv(1, ops.conv1d, case)


@random_configs(200)
@given(conv_cases(ndim=2, max_extra_size=5))
def test_conv2d_matches_torch(case):
    check_conv(2, ops.conv2d, case)


@random_configs(80)
@given(conv_cases(ndim=3, max_extra_size=2))
def test_conv3d_matches_torch(case):
    check_conv(3, ops.conv3d, case)


@random_configs(200)
@given(conv_cases(ndim=2, max_extra_size=5))
def test_conv2d_fast_matches_torch_and_conv2d(case):
    check_conv(2, ops.conv2d_fast, case)
    (x, weight, bias), kwargs, _ = case
    np.testing.assert_allclose(ops.conv2d_fast(x, weight, bias, **kwargs),
                               ops.conv2d(x, weight, bias, **kwargs), **TOLERANCE)


@pytest.mark.parametrize(("x_shape", "w_shape", "kwargs"), [
    ((2, 3, 20, 23), (4, 3, 7, 7), {}),  # the FFT path: 49 taps
    ((1, 1, 30, 30), (1, 1, 21, 21), {"padding": 3}),
    ((1, 4, 16, 16), (4, 2, 9, 8), {"groups": 2, "padding": "same"}),
    ((1, 2, 16, 16), (3, 2, 7, 7), {"stride": 2}),  # strided: im2col even for big kernels
    ((1, 2, 16, 16), (3, 2, 7, 7), {"dilation": 2}),
])
def test_conv2d_fast_big_kernels_match_torch(x_shape, w_shape, kwargs):
    rng = np.random.default_rng(3)
    x, weight, bias = random_array(rng, x_shape), random_array(rng, w_shape), random_array(rng, w_shape[:1])
    expected = torch_result(F.conv2d, x, weight, bias, **kwargs)
    np.testing.assert_allclose(ops.conv2d_fast(x, weight, bias, **kwargs), expected, **TOLERANCE)
    algorithms = ["im2col", "fft"] if "stride" not in kwargs and "dilation" not in kwargs else ["im2col"]
    for algorithm in algorithms:
        np.testing.assert_allclose(ops.conv2d_fast(x, weight, bias, **kwargs, algorithm=algorithm),
                                   expected, **TOLERANCE)


def test_conv2d_fast_algorithm_choice_is_checked():
    x, weight = np.zeros((1, 1, 8, 8), np.float32), np.zeros((1, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match="algorithm must be one of 'auto', 'im2col', 'fft'"):
        ops.conv2d_fast(x, weight, algorithm="winograd")
    with pytest.raises(ValueError, match='algorithm="fft" needs stride 1'):
        ops.conv2d_fast(x, weight, stride=2, algorithm="fft")


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_conv_kernel_too_large_is_refused_like_torch(ndim):
    """The boundary: a kernel one pixel larger than the padded input."""
    rng = np.random.default_rng(ndim)
    x = random_array(rng, (1, 1, *(4,) * ndim))
    for kernel_size, padding in [(6, 1), (7, 1)]:
        weight = random_array(rng, (1, 1, *(kernel_size,) * ndim))
        expected = torch_result(TORCH_CONV[ndim], x, weight, padding=padding)
        assert_matches(expected, OUR_CONV[ndim], x, weight, padding=padding)


def test_conv_keeps_float64():
    rng = np.random.default_rng(0)
    x, weight = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 2, 2))
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(weight)).numpy()
    for conv in (ops.conv2d, ops.conv2d_fast):
        result = conv(x, weight)
        assert result.dtype == np.float64
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# pad


@st.composite
def pad_cases(draw):
    """(input, pad as the user writes it, the same as F.pad's flat tuple, mode, value)."""
    mode = draw(st.sampled_from(["constant", *sorted(TORCH_PAD_MODE)]))
    ndim = draw(st.integers(1, 5))
    shape = draw(st.tuples(*[st.integers(1, 4)] * ndim))
    shortcut = draw(st.booleans())
    # an int pads the last two dimensions (or the only one); a tuple pads len(pad) // 2 of them
    padded = min(ndim, 2) if shortcut else draw(st.integers(1, min(ndim, 3)))
    sizes = shape[ndim - padded:][::-1]  # F.pad's order: last dimension first
    # torch: reflect needs pad < size, circular pad <= size
    limit = {"reflect": min(sizes) - 1, "circular": min(sizes)}.get(mode, 3)
    amounts = st.integers(0, min(limit, 3))
    if shortcut:
        amount = draw(amounts)
        pad, flat = amount, [amount] * (2 * padded)
    else:
        flat = [draw(amounts) for _ in range(2 * padded)]
        pad = tuple(flat)
    value = draw(st.floats(-3, 3)) if mode in ("constant", "zeros") else 0.0
    x = random_array(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), shape)
    return x, pad, flat, mode, value


def torch_pad(x, flat, mode, value):
    """F.pad on a (1, C, *padded dims) view: torch's non-constant modes need that layout."""
    padded = len(flat) // 2
    lead, sizes = x.shape[:x.ndim - padded], x.shape[x.ndim - padded:]
    torch_mode = TORCH_PAD_MODE.get(mode, mode)
    out = F.pad(torch.from_numpy(x).reshape(1, -1, *sizes), flat, mode=torch_mode,
                value=value if torch_mode == "constant" else None)
    return out.reshape(*lead, *out.shape[2:]).numpy()


@random_configs(200)
@given(pad_cases(), st.booleans())
def test_pad_matches_torch(case, as_tensor):
    x, pad, flat, mode, value = case
    expected = torch_pad(x, flat, mode, value)
    assert_matches(expected, ops.pad, as_given(x, as_tensor), pad, mode, value=value)


def test_pad_takes_torch_order_last_dimension_first():
    x = np.zeros((2, 3))
    assert ops.pad(x, (1, 2)).shape == (2, 6)  # (left, right) of the last dimension
    assert ops.pad(x, (0, 0, 4, 0)).shape == (6, 3)  # then (top, bottom)
    assert ops.pad(x, (1, 2)).shape == tuple(F.pad(torch.zeros(2, 3), (1, 2)).shape)


@pytest.mark.parametrize("mode, amount", [("reflect", 4), ("circular", 5)])
def test_pad_refuses_what_torch_refuses(mode, amount):
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    with pytest.raises(RuntimeError):
        torch_pad(x, [amount] * 4, mode, 0.0)
    with pytest.raises(ValueError):
        ops.pad(x, amount, mode)


# ----------------------------------------------------------------------------------------------
# conv_transpose2d


@st.composite
def conv_transpose_cases(draw):
    groups = draw(st.integers(1, 2))
    in_channels = groups * draw(st.integers(1, 2))
    out_per_group = draw(st.integers(1, 2))
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(int_or_tuple(2, st.integers(1, 3)))
    dilation = draw(int_or_tuple(2, st.integers(1, 2)))
    # torch: output_padding < max(stride, dilation) in each dimension
    output_padding = tuple(
        draw(st.integers(0, max(s, d) - 1))
        for s, d in zip(per_dim(stride, 2), per_dim(dilation, 2), strict=True)
    )
    if draw(st.booleans()) and len(set(output_padding)) == 1:
        output_padding = output_padding[0]
    padding = draw(int_or_tuple(2, st.integers(0, 2)))  # may crop everything: torch refuses
    batch = draw(st.sampled_from([None, 1, 2]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)))
    x = random_array(rng, ((batch,) if batch else ()) + (in_channels, *sizes))
    weight = random_array(rng, (in_channels, out_per_group, *kernel))
    bias = random_array(rng, (out_per_group * groups,)) if draw(st.booleans()) else None
    kwargs = {"stride": stride, "padding": padding, "output_padding": output_padding,
              "groups": groups, "dilation": dilation}
    return (x, weight, bias), kwargs, draw(st.booleans())


@random_configs(200)
@given(conv_transpose_cases())
def test_conv_transpose2d_matches_torch(case):
    (x, weight, bias), kwargs, as_tensor = case
    expected = torch_result(F.conv_transpose2d, x, weight, bias, **kwargs)
    if expected is not None and expected.size == 0:
        # torch refuses an empty output for one image but returns it for a batch; ours refuses
        expected = None
    assert_matches(expected, ops.conv_transpose2d, as_given(x, as_tensor),
                   as_given(weight, as_tensor), as_given(bias, as_tensor), **kwargs)


# ----------------------------------------------------------------------------------------------
# max_pool2d, avg_pool2d


@st.composite
def pool_cases(draw, with_dilation):
    kernel = draw(int_or_tuple(2, st.integers(1, 3)))
    stride = draw(st.none() | int_or_tuple(2, st.integers(1, 3)))
    # torch: padding at most half the kernel
    padding = tuple(draw(st.integers(0, k // 2)) for k in per_dim(kernel, 2))
    kwargs = {"stride": stride, "padding": padding, "ceil_mode": draw(st.booleans())}
    if with_dilation:
        kwargs["dilation"] = draw(int_or_tuple(2, st.integers(1, 2)))
    batch = draw(st.sampled_from([None, 1, 2]))
    channels = draw(st.integers(1, 2))
    sizes = draw(st.tuples(st.integers(1, 7), st.integers(1, 7)))  # may be too small: refused
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = random_array(rng, ((batch,) if batch else ()) + (channels, *sizes))
    return x, kernel, kwargs, draw(st.booleans())


@random_configs(250)
@given(pool_cases(with_dilation=True))
def test_max_pool2d_matches_torch(case):
    x, kernel, kwargs, as_tensor = case
    expected = torch_result(F.max_pool2d, x, kernel, **kwargs)
    assert_matches(expected, ops.max_pool2d, as_given(x, as_tensor), kernel, **kwargs)


@random_configs(250)
@given(pool_cases(with_dilation=False), st.booleans())
def test_avg_pool2d_matches_torch(case, count_include_pad):
    x, kernel, kwargs, as_tensor = case
    kwargs["count_include_pad"] = count_include_pad
    expected = torch_result(F.avg_pool2d, x, kernel, **kwargs)
    assert_matches(expected, ops.avg_pool2d, as_given(x, as_tensor), kernel, **kwargs)


# ----------------------------------------------------------------------------------------------
# convolve, correlate, flip_kernel


@st.composite
def plain_cases(draw):
    """A plain 1-D, 2-D or 3-D array and kernel; in "valid" mode the kernel fits inside."""
    ndim = draw(st.integers(1, 3))
    mode = draw(st.sampled_from(["valid", "full"]))
    max_size = {1: 9, 2: 6, 3: 4}[ndim]
    shape = draw(st.tuples(*[st.integers(1, max_size)] * ndim))
    kernel_shape = tuple(draw(st.integers(1, size if mode == "valid" else 4)) for size in shape)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return random_array(rng, shape), random_array(rng, kernel_shape), mode


@random_configs(200)
@given(plain_cases(), st.booleans())
def test_convolve_and_correlate_match_scipy(case, as_tensor):
    x, kernel, mode = case
    for ours, scipys in [(ops.convolve, scipy.signal.convolve),
                         (ops.correlate, scipy.signal.correlate)]:
        expected = scipys(x.astype(np.float64), kernel.astype(np.float64), mode=mode,
                          method="direct")
        assert_matches(expected, ours, as_given(x, as_tensor), as_given(kernel, as_tensor),
                       mode)


@random_configs(60)
@given(plain_cases())
def test_flip_kernel_matches_torch_flip_and_twice_is_identity(case):
    _, kernel, _ = case
    flipped = ops.flip_kernel(kernel)
    np.testing.assert_array_equal(
        flipped, torch.flip(torch.from_numpy(kernel), dims=tuple(range(kernel.ndim))).numpy())
    np.testing.assert_array_equal(ops.flip_kernel(flipped), kernel)


@random_configs(60)
@given(plain_cases())
def test_antisymmetric_kernel_convolve_is_negated_correlate(case):
    """Flipping an antisymmetric kernel negates it, so convolution = -correlation."""
    x, kernel, mode = case
    antisymmetric = kernel - kernel[(slice(None, None, -1),) * kernel.ndim]  # like [-1, 0, 1]
    np.testing.assert_allclose(ops.convolve(x, antisymmetric, mode),
                               -ops.correlate(x, antisymmetric, mode), **TOLERANCE)


def test_derivative_kernel_convolve_vs_correlate():
    """The textbook case: on a ramp, correlating with [-1, 0, 1] gives +2, convolving -2."""
    ramp = np.arange(8, dtype=np.float32)
    derivative = np.array([-1, 0, 1], dtype=np.float32)
    np.testing.assert_array_equal(ops.correlate(ramp, derivative), np.full(6, 2.0))
    np.testing.assert_array_equal(ops.convolve(ramp, derivative), np.full(6, -2.0))


def test_the_core_modules_do_not_need_torch():
    """_validate, shapes, ops, kernels and transpose run on NumPy alone (COURSE.md's core)."""
    import subprocess
    import sys

    code = ("import sys, convolved._validate, convolved.shapes, convolved.ops, convolved.kernels, "
            "convolved.transpose; assert 'torch' not in sys.modules, 'the core imported torch'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
