"""Translation equivariance: move an image, and its feature maps move the same way.

A convolution applies the same kernel at every position, so shifting the input by (dy, dx)
pixels shifts every feature map by (dy, dx) pixels too: ``conv(shift(x)) == shift(conv(x))``.
Only the border differs, where the shift brings in new pixels and the padding reads different
ones. :func:`shift` moves an image, :func:`interior` selects the part of a map the border cannot
reach, and :func:`equivariance_gap` measures the difference inside and outside it.

>>> shift(np.arange(9.0).reshape(3, 3), 1, -1)
array([[0., 0., 0.],
       [1., 2., 0.],
       [4., 5., 0.]])
"""

from __future__ import annotations

import numpy as np

from ._validate import as_int

__all__ = ["equivariance_gap", "interior", "shift"]


def _offsets(dy, dx) -> tuple[int, int]:
    return as_int(dy, "dy"), as_int(dx, "dx")


def _height_width(shape) -> tuple[int, int]:
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"shape must end with (H, W), got {shape}")
    return int(shape[-2]), int(shape[-1])


def shift(x, dy, dx, fill=0.0):
    """``x`` moved ``dy`` pixels down and ``dx`` pixels right along its last two axes.

    Negative offsets move up or left. The pixels that move out are dropped, the vacated ones
    hold ``fill``: an ordinary shift, not a wrap-around (``torch.roll`` and ``np.roll`` wrap).
    A NumPy array in gives a NumPy array out, a torch tensor gives a tensor.

    >>> shift(np.array([[1.0, 2.0], [3.0, 4.0]]), 0, 1)
    array([[0., 1.],
           [0., 3.]])
    """
    dy, dx = _offsets(dy, dx)
    height, width = _height_width(x.shape)
    out = x * 0 + fill  # same type, dtype and device as x
    if abs(dy) >= height or abs(dx) >= width:
        return out
    rows_to, rows_from = slice(max(dy, 0), height + min(dy, 0)), slice(max(-dy, 0), height + min(-dy, 0))
    cols_to, cols_from = slice(max(dx, 0), width + min(dx, 0)), slice(max(-dx, 0), width + min(-dx, 0))
    out[..., rows_to, cols_to] = x[..., rows_from, cols_from]
    return out


def interior(shape, dy, dx, margin=0) -> tuple:
    """The index ``(..., rows, cols)`` of the pixels a shift by (dy, dx) and the border leave alone.

    Those are the pixels of a (…, H, W) map outside the strip the shift fills, and at least
    ``margin`` pixels from every edge. For a stride-1 convolution with ``padding=p``, take
    ``margin=p``: there ``conv(shift(x))`` and ``shift(conv(x))`` agree.

    >>> interior((8, 10), 2, -3, margin=1)
    (Ellipsis, slice(3, 7, None), slice(1, 6, None))
    """
    dy, dx = _offsets(dy, dx)
    margin = as_int(margin, "margin", minimum=0)
    height, width = _height_width(shape)
    rows = slice(max(dy, 0) + margin, max(height - max(-dy, 0) - margin, 0))
    cols = slice(max(dx, 0) + margin, max(width - max(-dx, 0) - margin, 0))
    return (..., rows, cols)


def equivariance_gap(f, x, dy, dx, margin=0) -> tuple[float, float]:
    """Largest |f(shift(x)) − shift(f(x))| inside :func:`interior` and on the rest of the map.

    ``f`` maps an image to feature maps with stride 1 (a convolution with padding ``margin``; with
    a stride, shifts of one output pixel are shifts of ``stride`` input pixels, so compare by
    hand). The first number is 0 up to rounding when ``f`` is equivariant; the second shows what
    the border changes (0 if the whole map is interior).

    >>> import torch
    >>> layer = torch.nn.Conv2d(1, 2, kernel_size=3, padding=1)
    >>> inside, border = equivariance_gap(layer, torch.rand(1, 1, 12, 12), 2, 1, margin=1)
    >>> inside < 1e-6 < border
    True
    """
    def as_numpy(value):
        return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)

    of_shifted = as_numpy(f(shift(x, dy, dx)))
    shifted = as_numpy(shift(f(x), dy, dx))
    difference = np.abs(of_shifted - shifted)
    inside = np.zeros(difference.shape, dtype=bool)
    inside[interior(difference.shape, dy, dx, margin)] = True
    largest = [float(difference[part].max()) if part.any() else 0.0 for part in (inside, ~inside)]
    return largest[0], largest[1]
