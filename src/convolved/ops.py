"""Convolution, transpose convolution and pooling written from scratch in NumPy.

These are reference implementations to read: plain loops over output positions, one line of
arithmetic each. Their signatures and results mirror ``torch.nn.functional`` (NCHW layout,
cross-correlation, an optional batch axis, the same arguments in the same order with the same
defaults), and the tests compare them with torch over many random configurations and on
PyTorch's own test inputs. Inputs may be NumPy arrays, torch tensors or nested lists; every
function returns a NumPy ``ndarray`` (float64 for float64 input, float32 otherwise), also for
tensor input. ``conv2d_fast`` is the vectorised version for the speed lesson; ``convolve`` and
``correlate`` work on plain arrays to show the difference between the two operations.

Part of the package's torch-free core (with ``_validate``, ``shapes``, ``kernels`` and
``transpose``): it needs only NumPy, and SciPy for the FFT path of ``conv2d_fast``.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import shapes
from ._validate import ArrayLike, IntOrTuple, as_array, as_int, as_tuple, one_of

__all__ = [
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv2d_fast",
    "conv3d",
    "conv_transpose2d",
    "convolve",
    "correlate",
    "flip_kernel",
    "max_pool2d",
    "pad",
]

PAD_MODES = ("zeros", "circular", "reflect", "replicate")  # Conv2d's padding_mode names
_NUMPY_PAD_MODE = {"zeros": "constant", "circular": "wrap", "reflect": "reflect",
                   "replicate": "edge"}
_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


# ----------------------------------------------------------------------------------------------
# Padding


def _per_dim(value, name: str, ndim: int, *, minimum: int) -> tuple[int, ...]:
    """Like torch: an int, one int per spatial dimension, or a 1-tuple meaning every dimension."""
    if isinstance(value, (tuple, list)) and len(value) == 1 and ndim > 1:
        value = value[0]
    return as_tuple(value, name, ndim, minimum=minimum)


def _padding_pairs(padding, ndim: int, name: str = "padding") -> list[tuple[int, int]]:
    """int, per-dimension ints, or per-dimension (before, after) pairs → list of pairs."""
    if isinstance(padding, (tuple, list)) and any(isinstance(p, (tuple, list)) for p in padding):
        if len(padding) != ndim:
            raise ValueError(f"{name} must have one (before, after) pair per spatial dimension "
                             f"({ndim}), got {padding!r}")
        return [tuple(as_tuple(pair, f"{name}[{i}]", 2, minimum=0)) for i, pair in
                enumerate(padding)]
    return [(p, p) for p in _per_dim(padding, name, ndim, minimum=0)]


def _source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position along a padded axis, the input position it copies (-1: the fill value).

    A negative amount crops: the source positions simply start (or stop) inside the input.
    """
    positions = np.arange(size + before + after) - before
    if mode in ("constant", "zeros"):
        return np.where((positions >= 0) & (positions < size), positions, -1)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    period = 2 * (size - 1)  # reflect: bounce off both edges without repeating them
    folded = np.abs(positions) % period if period else np.zeros_like(positions)
    return np.where(folded < size, folded, period - folded)


def pad(input: ArrayLike, pad: IntOrTuple, mode: str = "constant", value: float | None = None) -> np.ndarray:
    """Pad an array, as ``torch.nn.functional.pad``.

    ``pad`` is torch's flat tuple of (before, after) amounts, **last dimension first**:
    ``(left, right)`` pads the last dimension, ``(left, right, top, bottom)`` the last two, and so
    on; a negative amount crops. An int ``p`` is a shortcut for ``(p, p, p, p)``: p on every side
    of the last two dimensions (of the only one for a 1-D array). ``mode``: "constant" (fill with
    ``value``, default 0; "zeros", Conv2d's name for it, is accepted too), "circular" (wrap
    around), "reflect" (mirror without repeating the edge), "replicate" (repeat the edge).

    >>> pad(np.array([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
    array([3., 2., 1., 2., 3., 2.])
    >>> pad(np.arange(6.0).reshape(2, 3), (-1, 0))  # negative: crop one column on the left
    array([[1., 2.],
           [4., 5.]])
    """
    x = as_array(input, "input", (1, 2, 3, 4, 5), "a signal, image, or batch of them")
    one_of(mode, "mode", ("constant", *PAD_MODES))
    if value is None:
        value = 0.0
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a number, got {type(value).__name__} {value!r}")
    if isinstance(pad, (tuple, list)):
        if not pad or len(pad) % 2:
            raise ValueError(f"pad must have an even number of entries, (before, after) per dimension "
                             f"starting from the last; got {tuple(pad)!r}")
        amounts = as_tuple(pad, "pad", len(pad))
    else:
        amounts = as_tuple(pad, "pad", 2 * min(x.ndim, 2))
    ndim = len(amounts) // 2
    if ndim > x.ndim:
        raise ValueError(f"pad covers {ndim} dimensions but input has only {x.ndim}")
    pairs = [amounts[2 * i:2 * i + 2] for i in reversed(range(ndim))]  # back to first-dim-first
    out = x
    for (before, after), axis in zip(pairs, range(x.ndim - ndim, x.ndim), strict=True):
        size = x.shape[axis]
        if size + before + after < 0:
            raise ValueError(f"pad {(before, after)} crops more than the {size} positions of "
                             f"dimension {axis}")
        if mode == "reflect" and max(before, after) >= size:
            raise ValueError(f'mode="reflect" needs pad < input size in dimension {axis} '
                             f"(size {size}), got {(before, after)}")
        if mode in ("circular", "replicate") and size == 0 and before + after > 0:
            raise ValueError(f'mode="{mode}" cannot pad the empty dimension {axis}')
        if mode == "circular" and max(before, after) > size:
            raise ValueError(f'mode="circular" needs pad <= input size in dimension {axis} '
                             f"(size {size}), got {(before, after)}")
        if mode == "circular" and min(before, after) < 0:  # torch crops first, then wraps
            out = np.take(out, range(max(-before, 0), size - max(-after, 0)), axis=axis)
            size, before, after = out.shape[axis], max(before, 0), max(after, 0)
        source = _source_index(size, before, after, mode)
        taken = np.take(out, np.maximum(source, 0), axis=axis) if size else \
            np.zeros(out.shape[:axis] + (len(source),) + out.shape[axis + 1:], dtype=out.dtype)
        fill = (slice(None),) * axis + (source < 0,)
        taken[fill] = value
        out = taken
    return out


def _torch_order(pairs) -> tuple[int, ...]:
    """Per-dimension (before, after) pairs, first dimension first → F.pad's flat tuple."""
    return tuple(amount for pair in reversed(pairs) for amount in pair)


# ----------------------------------------------------------------------------------------------
# Convolution


def _prepare_conv(input, weight, bias, stride, padding, dilation, groups, ndim: int):
    """Validate a convolution call; return the padded batched input and the loop geometry."""
    layout = _LAYOUT[ndim]
    x = as_array(input, "input", (ndim + 1, ndim + 2), f"{layout}, or unbatched without N")
    batched = x.ndim == ndim + 2
    if not batched:
        x = x[None]
    w = as_array(weight, "weight", (ndim + 2,), "(out_channels, in_channels/groups, *kernel)")
    groups = as_int(groups, "groups", minimum=1)
    in_channels, out_channels = x.shape[1], w.shape[0]
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide both in_channels ({in_channels}) and "
                         f"out_channels ({out_channels})")
    if w.shape[1] * groups != in_channels:
        raise ValueError(f"channel mismatch: input has {in_channels} channels but weight expects "
                         f"{w.shape[1]} x groups={groups} = {w.shape[1] * groups} "
                         f"(weight shape {w.shape})")
    if bias is not None:
        bias = as_array(bias, "bias", (1,), "one value per output channel")
        if bias.shape[0] != out_channels:
            raise ValueError(f"bias must have out_channels={out_channels} values, "
                             f"got {bias.shape[0]}")
    strides = _per_dim(stride, "stride", ndim, minimum=1)
    dilations = _per_dim(dilation, "dilation", ndim, minimum=1)
    kernel = w.shape[2:]
    if min(kernel) < 1 or w.shape[0] < 1:
        raise ValueError(f"weight must have at least one output channel and a kernel of size >= 1 "
                         f"in every dimension, got shape {w.shape}")
    if isinstance(padding, str):
        one_of(padding, "padding", ("valid", "same"))
        if padding == "same":
            if any(s != 1 for s in strides):
                raise ValueError(f'padding="same" needs stride 1, got stride={stride}')
            pairs = [p if isinstance(p, tuple) else (p, p)  # (before, after) for even kernels
                     for p in shapes.same_padding(tuple(kernel), dilations)]
        else:
            pairs = [(0, 0)] * ndim
    else:
        pairs = _padding_pairs(padding, ndim)
    if any(before or after for before, after in pairs):
        x = pad(x, _torch_order(pairs))
    for axis in range(ndim):
        span = dilations[axis] * (kernel[axis] - 1) + 1
        if span > x.shape[2 + axis]:
            raise ValueError(f"kernel too large in spatial dimension {axis}: it spans {span} "
                             f"pixels but the padded input has {x.shape[2 + axis]}")
    out_sizes = tuple((x.shape[2 + a] - dilations[a] * (kernel[a] - 1) - 1) // strides[a] + 1
                      for a in range(ndim))
    return x, w, bias, strides, dilations, groups, out_sizes, batched


def _window(position, kernel, strides, dilations) -> tuple[slice, ...]:
    """The input slices that an output position reads: kernel taps, ``dilation`` apart."""
    return tuple(slice(i * s, i * s + d * (k - 1) + 1, d)
                 for i, k, s, d in zip(position, kernel, strides, dilations, strict=True))


def _conv(input, weight, bias, stride, padding, dilation, groups, ndim):
    x, w, bias, strides, dilations, groups, out_sizes, batched = _prepare_conv(
        input, weight, bias, stride, padding, dilation, groups, ndim)
    batch, out_channels = x.shape[0], w.shape[0]
    in_per_group, out_per_group = w.shape[1], out_channels // groups
    out = np.zeros((batch, out_channels, *out_sizes), dtype=x.dtype)
    for n in range(batch):
        for o in range(out_channels):
            g = o // out_per_group  # the group this output channel belongs to
            channels = slice(g * in_per_group, (g + 1) * in_per_group)
            for position in np.ndindex(*out_sizes):
                window = x[(n, channels, *_window(position, w.shape[2:], strides, dilations))]
                out[(n, o, *position)] = np.sum(window * w[o])  # multiply, then add up
            if bias is not None:
                out[n, o] += bias[o]
    return out if batched else out[0]


def conv1d(input: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: IntOrTuple = 1,
           padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1) -> np.ndarray:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``; input (N, C, L) or (C, L).

    >>> conv1d(np.array([[[1.0, 2.0, 0.0, 3.0]]]), np.array([[[1.0, 0.0, -1.0]]]))
    array([[[ 1., -1.]]])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, ndim=1)


def conv2d(input: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: IntOrTuple = 1,
           padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1) -> np.ndarray:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``; input (N, C, H, W) or (C, H, W).

    ``weight`` has shape (out_channels, in_channels/groups, kH, kW); ``padding`` is an int, a
    tuple, "valid" or "same"; every output pixel is sum(window * kernel) + bias.

    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv2d(x, np.ones((1, 1, 2, 2)), bias=np.array([0.5]))[0, 0]  # 0+1+3+4 + 0.5, ...
    array([[ 8.5, 12.5],
           [20.5, 24.5]])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, ndim=2)


def conv3d(input: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: IntOrTuple = 1,
           padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1) -> np.ndarray:
    """3-D cross-correlation, as ``torch.nn.functional.conv3d``; input (N, C, D, H, W) or unbatched.

    >>> conv3d(np.ones((1, 1, 3, 3, 3)), np.ones((1, 1, 2, 2, 2))).shape  # each side: 3 − 2 + 1
    (1, 1, 2, 2, 2)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, ndim=3)


def conv2d_fast(input: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: IntOrTuple = 1,
                padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1, *,
                algorithm: str = "auto") -> np.ndarray:
    """Same result as :func:`conv2d`, vectorised: no Python loop over pixels.

    Like real libraries, it picks an algorithm per call:

    - **im2col + matrix product** (the default): one copy per kernel tap gathers that tap's
      input pixel for every output position into a row of a matrix ("image to columns"); one
      matrix product with the flattened kernels then multiplies and adds over channels and taps
      for all output pixels at once, in optimised BLAS code;
    - **FFT** for big kernels (7×7 and more, at stride 1 without dilation): by the convolution
      theorem a product of Fourier spectra, whose cost barely depends on the kernel size.

    ``algorithm="im2col"`` or ``"fft"`` forces one (the FFT only at stride 1 without dilation),
    to race them; the default ``"auto"`` picks as above.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_fast(x, np.ones((1, 1, 3, 3)))[0, 0]  # each output: the sum of a 3×3 window
    array([[45., 54.],
           [81., 90.]])
    """
    x, w, bias, strides, dilations, groups, out_sizes, batched = _prepare_conv(
        input, weight, bias, stride, padding, dilation, groups, ndim=2)
    out_channels, in_per_group = w.shape[0], w.shape[1]
    out_per_group = out_channels // groups
    one_of(algorithm, "algorithm", ("auto", "im2col", "fft"))
    fft_possible = strides == (1, 1) and dilations == (1, 1)
    if algorithm == "fft" and not fft_possible:
        raise ValueError(f'algorithm="fft" needs stride 1 and dilation 1, got stride={stride}, '
                         f"dilation={dilation}")
    use_fft = algorithm == "fft" or (algorithm == "auto" and fft_possible
                                     and w.shape[2] * w.shape[3] >= _FFT_MIN_TAPS)
    def one_group(xg, wg):
        return _fft_conv(xg, wg) if use_fft else _im2col_conv(xg, wg, strides, dilations, out_sizes)

    out = one_group(x, w) if groups == 1 else np.concatenate(
        [one_group(x[:, g * in_per_group:(g + 1) * in_per_group],
                   w[g * out_per_group:(g + 1) * out_per_group]) for g in range(groups)], axis=1)
    if bias is not None:
        out += bias[None, :, None, None]
    return out if batched else out[0]


_FFT_MIN_TAPS = 49  # from 7×7 on, the FFT beats gathering one copy of the input per tap


def _im2col_conv(x, w, strides, dilations, out_sizes):
    """Gather every window into a (channels·taps, pixels) matrix, then one matrix product."""
    (n, c), (o, _, kh, kw), (sh, sw), (dh, dw), (ho, wo) = x.shape[:2], w.shape, strides, \
        dilations, out_sizes
    sn, sc, sy, sx = x.strides
    # A view, no copy yet: windows[n, c, a, b, i, j] = x[n, c, i·sh + a·dh, j·sw + b·dw].
    windows = as_strided(x, (n, c, kh, kw, ho, wo), (sn, sc, sy * dh, sx * dw, sy * sh, sx * sw),
                         writeable=False)
    columns = windows.reshape(n, c * kh * kw, ho * wo)  # "image to columns": the one copy
    return (w.reshape(o, c * kh * kw) @ columns).reshape(n, o, ho, wo)


def _fft_conv(x, w):
    """Cross-correlation as a product of spectra (the kernel flipped), cropped to 'valid'."""
    import scipy.fft

    (height, width), (kh, kw) = x.shape[2:], w.shape[2:]
    spectrum = scipy.fft.rfft2(x, (height, width))[:, None]  # (N, 1, C, ...)
    kernels = scipy.fft.rfft2(w[..., ::-1, ::-1], (height, width))[None]  # (1, O, C, ...)
    full = scipy.fft.irfft2((spectrum * kernels).sum(axis=2), (height, width))
    return np.ascontiguousarray(full[..., kh - 1:, kw - 1:], dtype=x.dtype)


# ----------------------------------------------------------------------------------------------
# Convolution proper vs cross-correlation, on plain arrays


def flip_kernel(kernel: ArrayLike) -> np.ndarray:
    """Reverse a plain kernel along every axis (a 180° rotation in 2-D).

    >>> flip_kernel(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[4., 3.],
           [2., 1.]])
    """
    k = as_array(kernel, "kernel", (1, 2, 3), "a plain 1-D, 2-D or 3-D kernel")
    return np.ascontiguousarray(k[(slice(None, None, -1),) * k.ndim])


def _plain(x, kernel, mode, flip):
    x = as_array(x, "x", (1, 2, 3), "a plain signal, image or volume")
    k = as_array(kernel, "kernel", (1, 2, 3), "a plain kernel")
    if k.ndim != x.ndim:
        raise ValueError(f"kernel must have as many dimensions as x ({x.ndim}), got {k.ndim}")
    one_of(mode, "mode", ("valid", "full"))
    if flip:
        k = flip_kernel(k)
    padding = [s - 1 for s in k.shape] if mode == "full" else 0
    return _conv(x[None, None], k[None, None], None, 1, padding, 1, 1, ndim=x.ndim)[0, 0]


def correlate(x: ArrayLike, kernel: ArrayLike, mode: str = "valid") -> np.ndarray:
    """Cross-correlation of a plain array with a kernel: what deep-learning "convolution" does.

    ``mode`` "valid" (the default here and in deep-learning layers: the kernel stays inside
    ``x``) or "full" (every overlap; SciPy's default). Matches
    ``scipy.signal.correlate(x, kernel, mode)`` for both modes.

    >>> correlate(np.array([1.0, 2.0, 0.0, 3.0]), np.array([1.0, 0.0, -1.0]))
    array([ 1., -1.])
    """
    return _plain(x, kernel, mode, flip=False)


def convolve(x: ArrayLike, kernel: ArrayLike, mode: str = "valid") -> np.ndarray:
    """Convolution as mathematicians define it: cross-correlation with the flipped kernel.

    ``mode`` "valid" (the default here; SciPy's default is "full") or "full". Matches
    ``scipy.signal.convolve(x, kernel, mode)`` when given the same mode.

    >>> convolve(np.array([1.0, 2.0, 0.0, 3.0]), np.array([1.0, 0.0, -1.0]))  # the negated map
    array([-1.,  1.])
    """
    return _plain(x, kernel, mode, flip=True)


# ----------------------------------------------------------------------------------------------
# Transpose convolution


def prepare_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation):
    """Check a 2-D transpose convolution call (shared by its two implementations, here and in
    :mod:`convolved.transpose`): the batched input, weight, bias, per-dimension stride, padding,
    output padding and dilation, groups, the output size, and whether the input was batched."""
    x = as_array(input, "input", (3, 4), "(N, C, H, W), or unbatched (C, H, W)")
    batched = x.ndim == 4
    if not batched:
        x = x[None]
    w = as_array(weight, "weight", (4,), "(in_channels, out_channels/groups, kH, kW)")
    groups = as_int(groups, "groups", minimum=1)
    in_channels = x.shape[1]
    if w.shape[0] != in_channels:
        raise ValueError(f"channel mismatch: input has {in_channels} channels but weight's first "
                         f"dimension (in_channels) is {w.shape[0]} (weight shape {w.shape})")
    if in_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels ({in_channels})")
    out_channels = w.shape[1] * groups
    if bias is not None:
        bias = as_array(bias, "bias", (1,), "one value per output channel")
        if bias.shape[0] != out_channels:
            raise ValueError(f"bias must have out_channels={out_channels} values, "
                             f"got {bias.shape[0]}")
    strides = _per_dim(stride, "stride", 2, minimum=1)
    paddings = _per_dim(padding, "padding", 2, minimum=0)
    output_paddings = _per_dim(output_padding, "output_padding", 2, minimum=0)
    dilations = _per_dim(dilation, "dilation", 2, minimum=1)
    out_size = shapes.conv_transpose_output_size(x.shape[2:], w.shape[2:], strides, paddings,
                                                 output_paddings, dilations)  # checks the values
    return x, w, bias, strides, paddings, output_paddings, dilations, groups, out_size, batched


def conv_transpose2d(input: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None,
                     stride: IntOrTuple = 1, padding: IntOrTuple = 0, output_padding: IntOrTuple = 0,
                     groups: int = 1, dilation: IntOrTuple = 1) -> np.ndarray:
    """Transpose convolution by scattering, as ``torch.nn.functional.conv_transpose2d``.

    Every input pixel scales the whole kernel; the scaled kernels are placed ``stride`` apart and
    summed; ``padding`` rows/columns are then cropped from each border. ``weight`` has shape
    (in_channels, out_channels/groups, kH, kW): note in and out swap places compared with conv2d.
    """
    x, w, bias, (sh, sw), (ph, pw), output_padding, (dh, dw), groups, (out_h, out_w), batched = \
        prepare_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation)
    batch, in_channels, height, width = x.shape
    out_per_group = w.shape[1]
    out_channels = out_per_group * groups
    kh, kw = w.shape[2:]
    in_per_group = in_channels // groups
    # Scatter into a canvas large enough for every placed kernel, then crop the padding.
    canvas = np.zeros((batch, out_channels, out_h + 2 * ph, out_w + 2 * pw), dtype=x.dtype)
    for n in range(batch):
        for c in range(in_channels):
            g = c // in_per_group
            outs = slice(g * out_per_group, (g + 1) * out_per_group)
            for i in range(height):
                for j in range(width):
                    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    canvas[n, outs, rows, cols] += x[n, c, i, j] * w[c]  # scaled kernel
    out = canvas[:, :, ph:ph + out_h, pw:pw + out_w]
    if bias is not None:
        out = out + bias[None, :, None, None]
    out = np.ascontiguousarray(out)
    return out if batched else out[0]


# ----------------------------------------------------------------------------------------------
# Pooling


def _prepare_pool(input, kernel_size, stride, padding, dilation, ceil_mode):
    x = as_array(input, "input", (3, 4), "(N, C, H, W), or unbatched (C, H, W)")
    batched = x.ndim == 4
    if not batched:
        x = x[None]
    ks = _per_dim(kernel_size, "kernel_size", 2, minimum=1)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and not stride)  # torch: () too
    ss = ks if no_stride else _per_dim(stride, "stride", 2, minimum=1)
    ps = _per_dim(padding, "padding", 2, minimum=0)
    ds = _per_dim(dilation, "dilation", 2, minimum=1)
    out_sizes = shapes.pool_output_size(x.shape[2:], ks, ss, ps, ds, ceil_mode)
    return x, ks, ss, ps, ds, out_sizes, batched


def max_pool2d(input: ArrayLike, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Max pooling, as ``torch.nn.functional.max_pool2d``: the largest value in each window.

    Padding never wins: it is filled with -inf. ``stride=None`` means stride = kernel_size.
    With ``return_indices``, also returns where each maximum came from, as torch does: the flat
    position ``row * W + column`` in its channel's (unpadded) H×W plane; ties go to the first.

    >>> x = np.array([[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0]]])
    >>> max_pool2d(x, 2, return_indices=True)
    (array([[[5., 8.]]]), array([[[1, 6]]]))
    """
    if not isinstance(return_indices, bool):
        raise TypeError(f"return_indices must be True or False, got {return_indices!r}")
    x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo), batched = _prepare_pool(
        input, kernel_size, stride, padding, dilation, ceil_mode)
    width = x.shape[3]
    # Pad enough on the far side for ceil_mode's partial last window.
    extra_h = max(0, (ho - 1) * sh + dh * (kh - 1) + 1 - (x.shape[2] + 2 * ph))
    extra_w = max(0, (wo - 1) * sw + dw * (kw - 1) + 1 - (x.shape[3] + 2 * pw))
    x = pad(x, _torch_order([(ph, ph + extra_h), (pw, pw + extra_w)]), value=-np.inf)
    out = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    indices = np.empty((*x.shape[:2], ho, wo), dtype=np.int64)
    for i, j in np.ndindex(ho, wo):
        rows, cols = _window((i, j), (kh, kw), (sh, sw), (dh, dw))
        window = x[:, :, rows, cols].reshape(*x.shape[:2], kh * kw)
        best = window.argmax(axis=2)  # the first maximum in row-major order, as torch picks
        out[:, :, i, j] = np.take_along_axis(window, best[..., None], axis=2)[..., 0]
        tap_row, tap_col = np.divmod(best, kw)  # which tap won → its unpadded input position
        indices[:, :, i, j] = (rows.start + dh * tap_row - ph) * width + cols.start + dw * tap_col - pw
    if not batched:
        out, indices = out[0], indices[0]
    return (out, indices) if return_indices else out


def avg_pool2d(input: ArrayLike, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> np.ndarray:
    """Mean pooling, as ``torch.nn.functional.avg_pool2d``: the average of each window.

    With ``count_include_pad`` the zero padding counts in the divisor (torch's default); a window
    that ceil_mode lets hang past the padding is only divided by the part inside it. A
    ``divisor_override`` divides every window's sum by that number instead.

    >>> avg_pool2d(np.arange(16.0).reshape(1, 4, 4), 2)
    array([[[ 2.5,  4.5],
            [10.5, 12.5]]])
    >>> avg_pool2d(np.arange(16.0).reshape(1, 4, 4), 2, divisor_override=1)  # window sums
    array([[[10., 18.],
            [42., 50.]]])
    """
    if not isinstance(count_include_pad, bool):
        raise TypeError(f"count_include_pad must be True or False, got {count_include_pad!r}")
    if divisor_override is not None:
        divisor_override = as_int(divisor_override, "divisor_override")
        if divisor_override == 0:
            raise ValueError("divisor_override must not be 0")
    x, (kh, kw), (sh, sw), (ph, pw), _, (ho, wo), batched = _prepare_pool(
        input, kernel_size, stride, padding, 1, ceil_mode)
    height, width = x.shape[2:]
    out = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            top, left = i * sh - ph, j * sw - pw  # window corner in unpadded coordinates
            bottom, right = min(top + kh, height + ph), min(left + kw, width + pw)
            padded_area = (bottom - top) * (right - left)
            top, left = max(top, 0), max(left, 0)
            bottom, right = min(bottom, height), min(right, width)
            total = x[:, :, top:bottom, left:right].sum(axis=(2, 3))
            divisor = padded_area if count_include_pad else (bottom - top) * (right - left)
            out[:, :, i, j] = total / (divisor_override or divisor)
    return out if batched else out[0]
