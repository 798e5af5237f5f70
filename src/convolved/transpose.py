"""Helpers for notebook 04, transpose convolution: the layer as an ordinary convolution over a
zero-inserted input, the matrix of a convolution, kernel coverage, the bilinear upsampling kernel,
and arrays printed side by side.

A transpose convolution scatters scaled copies of its kernel; the same numbers come out of an
ordinary convolution that gathers, over the input with ``stride − 1`` zeros inserted between its
pixels and a border of zeros, with the kernel flipped (:func:`conv_transpose2d_as_conv`).
A convolution is linear, so it is a matrix times the flattened input; transpose convolution is
that matrix's transpose (:func:`convolution_matrix`). With a stride, the kernel copies that a
transpose convolution scatters overlap unevenly unless the stride divides the kernel size
(:func:`coverage`): the checkerboard artefact.
"""

from __future__ import annotations

import numpy as np

from . import ops, shapes
from ._validate import as_array, as_tuple

__all__ = ["bilinear_kernel", "conv_transpose2d_as_conv", "convolution_matrix", "coverage",
           "side_by_side", "zero_insert"]


def zero_insert(x, stride) -> np.ndarray:
    """Put ``stride − 1`` zeros between neighbouring pixels, along the last two axes.

    An H×W image becomes ((H − 1)·s + 1)×((W − 1)·s + 1); its pixels land ``stride`` apart.
    ``stride`` is an int or a pair (rows, columns); any leading axes (batch, channels) are kept.

    >>> zero_insert(np.array([[1.0, 2.0], [3.0, 4.0]]), 2)
    array([[1., 0., 2.],
           [0., 0., 0.],
           [3., 0., 4.]])
    """
    x = as_array(x, "x", (2, 3, 4), "an image (H, W), or (C, H, W) or (N, C, H, W)")
    sh, sw = as_tuple(stride, "stride", 2, minimum=1)
    height, width = x.shape[-2:]
    spaced = np.zeros((*x.shape[:-2], (height - 1) * sh + 1, (width - 1) * sw + 1), dtype=x.dtype)
    spaced[..., ::sh, ::sw] = x
    return spaced


def _pad_or_crop(x, before: int, after: int, axis: int) -> np.ndarray:
    """Add zeros to (positive) or remove values from (negative) the two ends of one axis."""
    widths = [(0, 0)] * x.ndim
    widths[axis] = (max(before, 0), max(after, 0))
    x = np.pad(x, widths)
    index = [slice(None)] * x.ndim
    index[axis] = slice(max(-before, 0), x.shape[axis] - max(-after, 0))
    return x[tuple(index)]


def conv_transpose2d_as_conv(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                             groups=1, dilation=1) -> np.ndarray:
    r"""Transpose convolution computed as an ordinary convolution (the gather view).

    Same arguments and result as ``torch.nn.functional.conv_transpose2d`` (``weight`` is
    (in_channels, out_channels/groups, kH, kW)). Three steps, one dimension at a time:

    1. insert ``stride − 1`` zeros between neighbouring input pixels (:func:`zero_insert`);
    2. add $d(k-1) - p$ zeros on each side (a negative count crops), and ``output_padding`` more
       at the end (bottom, right);
    3. run an ordinary stride-1 convolution (:func:`convolved.ops.conv2d_fast`) with dilation $d$,
       each kernel flipped (rotated 180°) and the in/out channels of the weight swapped.

    The sizes add up to the transpose formula: $(M-1)s + 1 + 2(d(k-1) - p) + o - d(k-1)
    = (M-1)s - 2p + d(k-1) + o + 1$.

    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> conv_transpose2d_as_conv(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]  # each pixel paints a 2×2 block
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """
    x, w, bias, strides, paddings, output_paddings, dilations, groups, out_size, batched = \
        ops.prepare_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation)
    in_channels, kernel = x.shape[1], w.shape[2:]
    spaced = zero_insert(x, strides)
    for axis, (k, p, o, d) in enumerate(zip(kernel, paddings, output_paddings, dilations, strict=True)):
        border = d * (k - 1) - p
        spaced = _pad_or_crop(spaced, border, border + o, axis=2 + axis)
    # (in, out/groups, kH, kW) → (out, in/groups, kH, kW), per group, each kernel rotated 180°
    in_per_group, out_per_group = in_channels // groups, w.shape[1]
    flipped = (w.reshape(groups, in_per_group, out_per_group, *kernel).swapaxes(1, 2)
               .reshape(groups * out_per_group, in_per_group, *kernel)[..., ::-1, ::-1])
    out = ops.conv2d_fast(spaced, np.ascontiguousarray(flipped), bias, dilation=dilations,
                          groups=groups)
    assert out.shape[2:] == tuple(out_size)
    return out if batched else out[0]


def convolution_matrix(kernel, input_shape, stride=1, padding=0) -> np.ndarray:
    """The matrix ``C`` of a one-channel 2-D convolution (cross-correlation, as ``F.conv2d``).

    For an input ``x`` of shape ``input_shape`` (H, W), ``C @ x.ravel()`` equals
    ``F.conv2d(x, kernel, stride=stride, padding=padding)`` flattened: one row per output pixel,
    one column per input pixel. Zero padding just drops the taps that fall outside the input.
    Then ``(C.T @ y.ravel()).reshape(H, W)`` equals ``F.conv_transpose2d(y, kernel, stride,
    padding)`` whenever that gives back an H×W image (else use ``output_padding``).
    """
    kernel = as_array(kernel, "kernel", (2,), "(kH, kW)")
    height, width = as_tuple(input_shape, "input_shape", 2, minimum=1)
    sh, sw = as_tuple(stride, "stride", 2, minimum=1)
    ph, pw = as_tuple(padding, "padding", 2, minimum=0)
    kh, kw = kernel.shape
    out_h, out_w = shapes.conv_output_size((height, width), (kh, kw), (sh, sw), (ph, pw))
    matrix = np.zeros((out_h * out_w, height * width), dtype=kernel.dtype)
    for r in range(out_h):
        for c in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    i, j = r * sh + a - ph, c * sw + b - pw  # the input pixel tap (a, b) reads
                    if 0 <= i < height and 0 <= j < width:
                        matrix[r * out_w + c, i * width + j] += kernel[a, b]
    return matrix


def coverage(size, kernel_size, stride=1, padding=0, output_padding=0) -> np.ndarray:
    """How many scattered kernel copies cover each output pixel of a transpose convolution.

    An int ``size`` gives a 1-D count; a tuple (H, W) gives the 2-D count, the outer product of
    the rows' and the columns' counts. The counts are even in the interior exactly when the stride
    divides the kernel size.
    """
    if isinstance(size, (tuple, list)):
        ks = as_tuple(kernel_size, "kernel_size", 2, minimum=1)
        ss = as_tuple(stride, "stride", 2, minimum=1)
        ps = as_tuple(padding, "padding", 2, minimum=0)
        ops_ = as_tuple(output_padding, "output_padding", 2, minimum=0)
        rows, cols = (coverage(m, k, s, p, op) for m, k, s, p, op in
                      zip(as_tuple(size, "size", 2, minimum=1), ks, ss, ps, ops_, strict=True))
        return np.outer(rows, cols)
    n = shapes.conv_transpose_output_size(size, kernel_size, stride, padding, output_padding)
    counts = np.zeros(n + 2 * padding, dtype=int)  # the canvas before the padding is cropped
    for i in range(size):
        counts[i * stride:i * stride + kernel_size] += 1
    return counts[padding:padding + n]


def bilinear_kernel(factor: int = 2) -> np.ndarray:
    """The 2-D kernel that makes a transpose convolution upsample by ``factor`` bilinearly.

    Its size is 2·factor; with ``stride=factor`` and ``padding=factor // 2`` (even factors) the
    interior of the result equals ``F.interpolate(mode="bilinear", align_corners=False)``.
    """
    factor = as_tuple(factor, "factor", 1, minimum=1)[0]
    centre = (2 * factor - 1) / 2
    tent = 1 - np.abs(np.arange(2 * factor) - centre) / factor
    return np.outer(tent, tent)


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text  # no "-0"


def side_by_side(arrays, titles=None, decimals: int = 0, gap: int = 4) -> str:
    """2-D arrays printed next to each other, each under its title, numbers right-aligned."""
    arrays = [np.atleast_2d(np.asarray(a, dtype=float)) for a in arrays]
    titles = list(titles) if titles is not None else [""] * len(arrays)
    if len(titles) != len(arrays):
        raise ValueError(f"titles must have one entry per array ({len(arrays)}), got {len(titles)}")
    blocks = []
    for array, title in zip(arrays, titles, strict=True):
        cells = [[_number(v, decimals) for v in row] for row in array]
        width = max(len(cell) for row in cells for cell in row)
        lines = [" ".join(cell.rjust(width) for cell in row) for row in cells]
        block_width = max(len(title), *(len(line) for line in lines))
        blocks.append([title.ljust(block_width)] + [line.ljust(block_width) for line in lines])
    height = max(len(block) for block in blocks)
    for block in blocks:
        block += [" " * len(block[0])] * (height - len(block))
    return "\n".join((" " * gap).join(parts).rstrip() for parts in zip(*blocks, strict=True))
