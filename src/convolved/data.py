"""Real data that ships with installed packages — nothing is downloaded.

Photos come from scikit-image's bundled samples, handwritten digits from scikit-learn (a copy
ships with this package), and small synthetic signals and volumes are generated from a seed.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import resources

import numpy as np
import torch

from ._validate import as_int, as_tuple, one_of

__all__ = ["FITS", "IMAGES", "digits", "load_image", "synthetic_signal", "synthetic_volume", "to_batch"]

#: Sample photos bundled with scikit-image (no network needed): name → what it shows.
IMAGES = {
    "camera": "a photographer with a camera on a tripod (grayscale)",
    "astronaut": "astronaut Eileen Collins (colour)",
    "coffee": "a cup of coffee (colour)",
    "chelsea": "Chelsea the cat (colour)",
    "rocket": "a rocket on its launch pad (colour)",
    "brick": "a brick wall texture (grayscale)",
    "coins": "Greek coins (grayscale)",
    "grass": "a grass texture (grayscale)",
    "gravel": "a gravel texture (grayscale)",
    "moon": "the surface of the moon (grayscale)",
    "page": "a scanned page of text (grayscale)",
    "text": "photographed text (grayscale)",
}


@lru_cache(maxsize=16)
def _original(name: str) -> np.ndarray:
    import skimage.data  # imported lazily: scikit-image is slow to import

    image = getattr(skimage.data, name)()
    image = image.astype(np.float32) / 255.0
    image.setflags(write=False)  # cached: callers get copies
    return image


#: How :func:`load_image` turns an int ``size`` into a shape (a tuple ``size`` is the shape).
FITS = {
    "square": "centre-crop to a square, then resize to size×size",
    "shorter": "resize so that the shorter side has size pixels, keeping the aspect ratio "
               "(like torchvision's v2.Resize(size))",
}


def load_image(name: str = "camera", size: int | tuple[int, int] | None = None, gray: bool = False, *,
               fit: str = "square", dtype: str = "float32") -> np.ndarray:
    """A sample photo: (H, W) if grayscale, (H, W, 3) if colour.

    ``size``: None keeps the original; an (H, W) tuple resizes to exactly that; an int resizes as
    ``fit`` says (:data:`FITS`: "square" or "shorter"). ``gray=True`` converts colour photos to
    luminance. ``dtype`` "float32" gives values in [0, 1], "uint8" gives 0…255, the way an image
    file holds them. Resizing is anti-aliased. Names: see :data:`IMAGES`.

    >>> load_image("coffee", 32).shape
    (32, 32, 3)
    >>> load_image("chelsea", 100, fit="shorter", dtype="uint8").shape  # a 300×451 photo
    (100, 150, 3)
    """
    one_of(name, "name", IMAGES)
    one_of(fit, "fit", FITS)
    one_of(dtype, "dtype", ("float32", "uint8"))
    if not isinstance(gray, bool):
        raise TypeError(f"gray must be True or False, got {gray!r}")
    if isinstance(size, (tuple, list)):
        size = as_tuple(size, "size", 2, minimum=1)
    elif size is not None:
        size = as_int(size, "size", minimum=1)
    image = _resized(name, size, gray, fit if isinstance(size, int) else None)
    return np.rint(image * 255.0).astype(np.uint8) if dtype == "uint8" else image.copy()


def prepare_images(names, *args, after: str | None = None, **kwargs) -> None:
    """Load and resize ``names`` as ``load_image(name, *args, **kwargs)`` would, in a background
    thread: an explorer then switches photos without decoding and resizing one while a learner
    waits (the first look at a photo took 20–40 ms of a redraw).

    ``after``: the photo on screen now, which the caller loads itself. The others are prepared
    in the order a learner steps through a dropdown, starting with the next one; preparing the
    one on screen as well would only do its work twice, at the same time.
    """
    names = list(names)
    if after in names:
        start = names.index(after)
        names = names[start + 1:] + names[:start]

    def load() -> None:
        for name in names:
            load_image(name, *args, **kwargs)

    threading.Thread(target=load, name="prepare_images", daemon=True).start()


@lru_cache(maxsize=48)
def _resized(name: str, size: int | tuple[int, int] | None, gray: bool, fit: str | None) -> np.ndarray:
    """The photo as :func:`load_image` gives it in float32, computed once (read-only)."""
    image = _original(name)
    if gray and image.ndim == 3:
        from skimage.color import rgb2gray

        image = rgb2gray(image).astype(np.float32)
    if size is not None:
        from skimage.transform import resize

        height, width = image.shape[:2]
        if isinstance(size, tuple):
            target = size
        elif fit == "square":
            crop = min(height, width)
            top, left = (height - crop) // 2, (width - crop) // 2
            image = image[top:top + crop, left:left + crop]
            target = (size, size)
        else:
            scale = size / min(height, width)
            target = (max(1, round(height * scale)), max(1, round(width * scale)))
        image = resize(image, target + image.shape[2:], anti_aliasing=True, preserve_range=True)
    image = np.clip(image, 0.0, 1.0).astype(np.float32)
    image.setflags(write=False)
    return image


def to_batch(image):
    """An (H, W) or (H, W, C) image as a float32 torch tensor of shape (1, C, H, W)."""

    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3:
        array = array.transpose(2, 0, 1)
    else:
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array))[None]


def digits():
    """scikit-learn's 1,797 handwritten digits: images (N, 1, 8, 8) float32 in [0, 1], labels (N,).

    The package ships a copy (``digits.npz``, 30 KB; the tests check it equals
    ``sklearn.datasets.load_digits()``), because importing scikit-learn alone takes half a
    second. The digits come from the UCI "Optical Recognition of Handwritten Digits" data set
    (Alpaydin and Kaynak, 1998; CC BY 4.0): each pixel counts 0 to 16 ink points of a 4×4 block.

    >>> images, labels = digits()
    >>> tuple(images.shape), tuple(labels.shape), int(labels[0])
    ((1797, 1, 8, 8), (1797,), 0)
    """

    with np.load(resources.files("convolved") / "digits.npz") as stored:
        images = torch.tensor(stored["images"][:, None] / 16.0, dtype=torch.float32)
        return images, torch.tensor(stored["labels"], dtype=torch.int64)


def synthetic_signal(length: int = 40, seed: int = 0) -> np.ndarray:
    """A 1-D test signal: a step up, a slow bump and a little noise (float32)."""
    length = as_int(length, "length", minimum=8)
    rng = np.random.default_rng(as_int(seed, "seed"))
    t = np.arange(length)
    signal = (t >= length // 3).astype(float) + 0.8 * np.exp(-((t - 0.75 * length) / 3.0) ** 2)
    return (signal + 0.1 * rng.standard_normal(length)).astype(np.float32)


def synthetic_volume(size: int = 16) -> np.ndarray:
    """A (size, size, size) float32 volume: a solid ball beside a hollow cube, like a tiny scan."""
    size = as_int(size, "size", minimum=6)
    z, y, x = np.mgrid[:size, :size, :size] / (size - 1)
    ball = (x - 0.3) ** 2 + (y - 0.5) ** 2 + (z - 0.5) ** 2 < 0.2**2
    inside = (abs(x - 0.72) < 0.18) & (abs(y - 0.5) < 0.18) & (abs(z - 0.5) < 0.18)
    core = (abs(x - 0.72) < 0.1) & (abs(y - 0.5) < 0.1) & (abs(z - 0.5) < 0.1)
    return (ball | (inside & ~core)).astype(np.float32)
