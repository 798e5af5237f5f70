"""Output sizes of convolution, transpose convolution and pooling, receptive fields, and a solver.

Every size argument takes an int or a tuple with one entry per spatial dimension; the answer comes
back in the same form (an int for ints, a tuple as soon as any argument is a tuple). The formulas
are PyTorch's, and the tests compare them with the shapes torch actually produces.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import NamedTuple

from ._validate import IntOrTuple, as_int, as_tuple, one_of, spatial_ndim

__all__ = [
    "ConvParams",
    "ReceptiveField",
    "conv_multiply_adds",
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "receptive_field",
    "same_padding",
    "solve_conv_params",
]


def _answer(values: list[int], was_tuple: bool):
    return tuple(values) if was_tuple else values[0]


def _effective_kernel(kernel: int, dilation: int) -> int:
    """A dilated kernel spans d*(k-1)+1 input pixels."""
    return dilation * (kernel - 1) + 1


def same_padding(kernel_size: IntOrTuple, dilation: IntOrTuple = 1):
    """The padding per side that keeps the size at stride 1, as torch's ``padding="same"``.

    The total is d·(k − 1). When it is even (odd kernels), each side gets half: an int, the
    ``padding`` to give ``Conv2d``. When it is odd (even kernels), no single number works: the
    answer for that dimension is the pair (before, after), the extra row/column going after, as
    torch does. An int in gives an int (or pair) out; a tuple gives one answer per dimension.

    >>> same_padding(3), same_padding(5, dilation=2)
    (1, 4)
    >>> same_padding(4)  # lopsided: one row/column before, two after
    (1, 2)
    >>> same_padding((3, 4))
    (1, (1, 2))
    """
    ndim, was_tuple = spatial_ndim(kernel_size, dilation)
    ks = as_tuple(kernel_size, "kernel_size", ndim, minimum=1)
    ds = as_tuple(dilation, "dilation", ndim, minimum=1)
    answers = []
    for k, d in zip(ks, ds, strict=True):
        total = d * (k - 1)
        answers.append(total // 2 if total % 2 == 0 else (total // 2, total - total // 2))
    return _answer(answers, was_tuple)


def conv_output_size(size: IntOrTuple, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                     padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1) -> IntOrTuple:
    r"""Output size of a convolution: $\lfloor (M + 2p - d(k-1) - 1)/s \rfloor + 1$.

    ``padding`` may also be "valid" (no padding) or "same" (output = input, needs stride 1).

    >>> conv_output_size(256, 5, stride=3)
    84
    >>> conv_output_size((256, 256), 5, stride=(1, 3))
    (252, 84)
    """
    ndim, was_tuple = spatial_ndim(size, kernel_size, stride, padding, dilation)
    sizes = as_tuple(size, "size", ndim, minimum=1)
    ks = as_tuple(kernel_size, "kernel_size", ndim, minimum=1)
    ss = as_tuple(stride, "stride", ndim, minimum=1)
    ds = as_tuple(dilation, "dilation", ndim, minimum=1)
    if isinstance(padding, str):
        one_of(padding, "padding", ("valid", "same"))
        if padding == "same" and any(s != 1 for s in ss):
            raise ValueError(f'padding="same" needs stride 1 in every dimension, got stride={stride}')
        # "same" pads d*(k-1) in total per dimension; "valid" pads nothing
        pads = [d * (k - 1) for k, d in zip(ks, ds, strict=True)] if padding == "same" \
            else [0] * ndim
    else:
        pads = [2 * p for p in as_tuple(padding, "padding", ndim, minimum=0)]
    out = []
    for axis, (m, k, s, total_pad, d) in enumerate(zip(sizes, ks, ss, pads, ds, strict=True)):
        span = _effective_kernel(k, d)
        if span > m + total_pad:
            raise ValueError(
                f"kernel_size too large in dimension {axis}: the kernel spans {span} pixels "
                f"(dilation*(kernel_size-1)+1) but the padded input has only {m + total_pad}"
            )
        out.append((m + total_pad - span) // s + 1)
    return _answer(out, was_tuple)


def conv_multiply_adds(in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                       output_size: IntOrTuple, groups: int = 1) -> int:
    r"""Multiply-adds of one convolution layer on one image (bias additions not counted).

    Each of the $C_\text{out} \cdot H_\text{out} \cdot W_\text{out}$ output values is a sum over
    $C_\text{in}/g \cdot k_H \cdot k_W$ products:
    $\text{MACs} = C_\text{out} \cdot H_\text{out} W_\text{out} \cdot (C_\text{in}/g)\, k_H k_W$.
    Unlike the parameter count, it grows with the size of the feature map.

    >>> conv_multiply_adds(3, 16, 3, (32, 32))  # 16·32·32 outputs × 3·3·3 products each
    442368
    >>> conv_multiply_adds(16, 32, 3, (16, 16))  # half the size, twice the channels: twice the work
    1179648
    """
    ndim, _ = spatial_ndim(kernel_size, output_size)
    c_in = as_int(in_channels, "in_channels", minimum=1)
    c_out = as_int(out_channels, "out_channels", minimum=1)
    g = as_int(groups, "groups", minimum=1)
    if c_in % g or c_out % g:
        raise ValueError(f"in_channels ({c_in}) and out_channels ({c_out}) must both be divisible "
                         f"by groups ({g})")
    taps = math.prod(as_tuple(kernel_size, "kernel_size", ndim, minimum=1))
    outputs = math.prod(as_tuple(output_size, "output_size", ndim, minimum=1))
    return c_out * outputs * (c_in // g) * taps


def conv_transpose_output_size(size: IntOrTuple, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                               padding: IntOrTuple = 0, output_padding: IntOrTuple = 0,
                               dilation: IntOrTuple = 1) -> IntOrTuple:
    r"""Output size of a transpose convolution: $(M-1)s - 2p + d(k-1) + \text{output\_padding} + 1$.

    With dilation 1 and no output padding this is the familiar $N = s(M-1) + k - 2p$.

    >>> conv_transpose_output_size(7, 4, stride=2, padding=1)
    14
    """
    ndim, was_tuple = spatial_ndim(size, kernel_size, stride, padding, output_padding, dilation)
    sizes = as_tuple(size, "size", ndim, minimum=1)
    ks = as_tuple(kernel_size, "kernel_size", ndim, minimum=1)
    ss = as_tuple(stride, "stride", ndim, minimum=1)
    ps = as_tuple(padding, "padding", ndim, minimum=0)
    ops = as_tuple(output_padding, "output_padding", ndim, minimum=0)
    ds = as_tuple(dilation, "dilation", ndim, minimum=1)
    out = []
    for axis, (m, k, s, p, op, d) in enumerate(zip(sizes, ks, ss, ps, ops, ds, strict=True)):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding must be smaller than stride or dilation (< {max(s, d)}) in "
                f"dimension {axis}, got {op}"
            )
        n = (m - 1) * s - 2 * p + _effective_kernel(k, d) + op
        if n < 1:
            raise ValueError(
                f"padding too large in dimension {axis}: the output would have {n} pixels; "
                f"need 2*padding <= (size-1)*stride + dilation*(kernel_size-1) + output_padding"
            )
        out.append(n)
    return _answer(out, was_tuple)


def pool_output_size(size: IntOrTuple, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                     padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
                     ceil_mode: bool = False) -> IntOrTuple:
    r"""Output size of max/avg pooling; ``stride=None`` means stride = kernel_size (as in torch).

    Floor mode: $\lfloor (M + 2p - d(k-1) - 1)/s \rfloor + 1$. With ``ceil_mode`` the division
    rounds up, but a last window that would start in the right padding is dropped.

    >>> pool_output_size(7, 2)
    3
    >>> pool_output_size(7, 2, ceil_mode=True)
    4
    """
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    ndim, was_tuple = spatial_ndim(size, kernel_size, stride, padding, dilation)
    sizes = as_tuple(size, "size", ndim, minimum=1)
    ks = as_tuple(kernel_size, "kernel_size", ndim, minimum=1)
    ss = ks if stride is None else as_tuple(stride, "stride", ndim, minimum=1)
    ps = as_tuple(padding, "padding", ndim, minimum=0)
    ds = as_tuple(dilation, "dilation", ndim, minimum=1)
    out = []
    for axis, (m, k, s, p, d) in enumerate(zip(sizes, ks, ss, ps, ds, strict=True)):
        span = _effective_kernel(k, d)
        if 2 * p > k:  # torch compares with the kernel_size itself, even when dilated
            raise ValueError(
                f"padding must be at most half the kernel_size in dimension {axis}: "
                f"padding <= {k // 2} for kernel_size {k}, got {p}"
            )
        rounding = math.ceil if ceil_mode else math.floor
        n = rounding((m + 2 * p - span) / s) + 1
        if n < 1:  # in ceil_mode one window may hang past the padded input, as in torch
            raise ValueError(
                f"kernel_size too large in dimension {axis}: the window spans {span} pixels "
                f"but the padded input has only {m + 2 * p}"
            )
        if ceil_mode and (n - 1) * s >= m + p:
            n -= 1  # the last window would start in the padding: torch drops it
        out.append(n)
    return _answer(out, was_tuple)


class ReceptiveField(NamedTuple):
    """``size``: input pixels one output unit sees; ``jump``: input pixels between neighbours."""

    size: int | tuple[int, ...]
    jump: int | tuple[int, ...]


def _layer_geometry(layer, index: int):
    """(kernel_size, stride, dilation) of one layer, from a tuple, a dict or a torch module."""
    name = f"layers[{index}]"
    if isinstance(layer, dict):
        unknown = set(layer) - {"kernel_size", "stride", "dilation"}
        if "kernel_size" not in layer or unknown:
            raise ValueError(
                f"{name} as a dict needs 'kernel_size' and may have 'stride' and 'dilation'; "
                f"got keys {sorted(layer)}"
            )
        kernel, stride = layer["kernel_size"], layer.get("stride", 1)
        return kernel, kernel if stride is None else stride, layer.get("dilation", 1)
    if isinstance(layer, (tuple, list)):
        if not 1 <= len(layer) <= 3:
            raise ValueError(f"{name} must be (kernel_size[, stride[, dilation]]), got {layer!r}")
        kernel, stride, dilation = (*layer, 1, 1)[:3]  # stride and dilation default to 1
        return kernel, stride, dilation
    if not _is_torch_module(layer):
        raise TypeError(f"{name} must be a (kernel_size, stride[, dilation]) tuple, a dict or a torch "
                        f"layer, got {type(layer).__name__} {layer!r}")
    if getattr(layer, "transposed", False):
        raise ValueError(f"{name} is a transpose convolution; receptive_field takes conv and pool layers")
    if hasattr(layer, "kernel_size"):  # nn.Conv*d, nn.MaxPool*d, nn.AvgPool*d
        stride = layer.stride if layer.stride is not None else layer.kernel_size
        return layer.kernel_size, stride, getattr(layer, "dilation", 1)
    if type(layer).__module__ in _POINTWISE_MODULES or type(layer).__name__ in _POINTWISE_NAMES:
        return None  # activations, batch norm, dropout, flatten: no effect on the receptive field
    raise ValueError(f"{name} is {type(layer).__name__}, whose output can depend on every input "
                     f"pixel (adaptive pooling, Linear, ...): its receptive field is the whole "
                     f"image. Pass only the conv and pool layers before it.")


# torch layers that act on each pixel (or each value) on its own
_POINTWISE_MODULES = ("torch.nn.modules.activation", "torch.nn.modules.batchnorm",
                      "torch.nn.modules.dropout")
_POINTWISE_NAMES = ("Flatten", "Unflatten", "Identity")


def _is_torch_module(value) -> bool:
    return callable(getattr(value, "children", None)) and callable(getattr(value, "forward", None))


def _layers_of(module) -> list:
    """The layers of a torch module in order, nested containers opened."""
    children = list(module.children())
    if not children and type(module).__name__ in ("Sequential", "ModuleList"):
        return []  # an empty container holds no layer
    return [leaf for child in children for leaf in _layers_of(child)] if children else [module]


def receptive_field(layers: Iterable) -> ReceptiveField:
    r"""Receptive field of the last layer of a conv/pool stack.

    ``layers`` is a sequence of ``(kernel_size, stride[, dilation])`` tuples, dicts with those
    keys, or torch modules (an ``nn.Sequential`` works: activations, batch norm, dropout and
    flatten are skipped). A layer that sees its whole input, such as ``AdaptiveAvgPool2d`` or
    ``Linear``, is refused with a ValueError: the field of what follows it is the whole image.
    Each layer grows the field by $(k_\text{eff}-1)\cdot j$ and multiplies the jump $j$ by its stride.

    >>> receptive_field([(3, 1), (2, 2), (3, 1), (2, 2)])
    ReceptiveField(size=10, jump=4)
    """
    if _is_torch_module(layers):
        layers = _layers_of(layers)
    try:
        layers = list(layers)
    except TypeError:
        raise TypeError(f"layers must be a sequence of layers, got {type(layers).__name__}") from None
    geometry = {i: g for i, layer in enumerate(layers) if (g := _layer_geometry(layer, i)) is not None}
    if not geometry:
        raise ValueError("layers must contain at least one conv or pool layer")
    ndim, was_tuple = spatial_ndim(*itertools.chain.from_iterable(geometry.values()))
    size, jump = [1] * ndim, [1] * ndim
    for i, (kernel, stride, dilation) in geometry.items():
        ks = as_tuple(kernel, f"layers[{i}] kernel_size", ndim, minimum=1)
        ss = as_tuple(stride, f"layers[{i}] stride", ndim, minimum=1)
        ds = as_tuple(dilation, f"layers[{i}] dilation", ndim, minimum=1)
        for axis in range(ndim):
            size[axis] += (_effective_kernel(ks[axis], ds[axis]) - 1) * jump[axis]
            jump[axis] *= ss[axis]
    return ReceptiveField(_answer(size, was_tuple), _answer(jump, was_tuple))


class ConvParams(NamedTuple):
    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...]
    padding: int | tuple[int, ...]


def solve_conv_params(in_size: IntOrTuple, out_size: IntOrTuple, *, max_kernel_size: int = 11,
                      max_stride: int | None = None, dilation: IntOrTuple = 1) -> list[ConvParams]:
    """Every (kernel_size, stride, padding) with which a convolution maps ``in_size`` to ``out_size``.

    Searched within sensible bounds: 1 <= kernel_size <= ``max_kernel_size``,
    1 <= stride <= ``max_stride`` (default: kernel_size, so no input pixel is skipped entirely),
    0 <= padding <= kernel_size // 2 (the kernel's centre stays on the image). Torch floors the
    division, so solutions that leave a few border pixels unused are included.
    For tuples, every combination of per-dimension solutions is returned.

    >>> solve_conv_params(32, 28)[:2]
    [ConvParams(kernel_size=5, stride=1, padding=0), ConvParams(kernel_size=7, stride=1, padding=1)]
    """
    ndim, was_tuple = spatial_ndim(in_size, out_size, dilation)
    ins = as_tuple(in_size, "in_size", ndim, minimum=1)
    outs = as_tuple(out_size, "out_size", ndim, minimum=1)
    ds = as_tuple(dilation, "dilation", ndim, minimum=1)
    kmax = as_int(max_kernel_size, "max_kernel_size", minimum=1)
    smax = None if max_stride is None else as_int(max_stride, "max_stride", minimum=1)
    per_axis = []
    for m, n, d in zip(ins, outs, ds, strict=True):
        options = []
        for k in range(1, kmax + 1):
            for s in range(1, (k if smax is None else smax) + 1):
                for p in range(k // 2 + 1):
                    span = _effective_kernel(k, d)
                    if span <= m + 2 * p and (m + 2 * p - span) // s + 1 == n:
                        options.append((k, s, p))
        per_axis.append(options)
    solutions = []
    for combo in itertools.product(*per_axis):
        k, s, p = zip(*combo, strict=True)
        solutions.append(ConvParams(_answer(list(k), was_tuple), _answer(list(s), was_tuple),
                                    _answer(list(p), was_tuple)))
    return solutions
