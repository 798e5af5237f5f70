"""Classic hand-made 2-D kernels, and applying one to a photo quickly."""

from __future__ import annotations

import numpy as np

from . import ops
from ._validate import as_array

__all__ = ["KERNELS", "apply_kernel", "get_kernel"]

#: Named 3×3 kernels. Edge kernels are antisymmetric: flipping them negates them.
KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "vertical edges": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "outline (laplacian)": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


def get_kernel(name: str) -> np.ndarray:
    """A copy of one of :data:`KERNELS` as a float32 array."""
    if not isinstance(name, str) or name not in KERNELS:
        raise ValueError(f"name must be one of {', '.join(map(repr, KERNELS))}; got {name!r}")
    return np.array(KERNELS[name], dtype=np.float32)


def apply_kernel(image, kernel, padding="valid") -> np.ndarray:
    """Cross-correlate an (H, W) image, or each channel of an (H, W, C) one, with a 2-D kernel.

    Uses the vectorised :func:`convolved.ops.conv2d_fast`, so it is quick on full-size photos.
    """
    image = as_array(image, "image", (2, 3), "(H, W) or (H, W, C)")
    kernel = as_array(kernel, "kernel", (2,), "(kH, kW)")
    channels = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
    weight = np.zeros((len(channels), 1, *kernel.shape), dtype=np.float32)
    weight[:, 0] = kernel  # the same kernel on every channel, channels kept apart (groups=C)
    out = ops.conv2d_fast(channels, weight, padding=padding, groups=len(channels))
    return out[0] if image.ndim == 2 else out.transpose(1, 2, 0)
