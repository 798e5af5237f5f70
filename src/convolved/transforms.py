"""Image transforms of our own, and small helpers to see what a transform did (notebook 06).

torchvision's ``transforms.v2`` does the real work in the notebooks; this module adds

- :func:`load_photo`: a scikit-image sample photo as it comes from a file, ``uint8`` (H, W, 3) or
  (H, W), made smaller while keeping its aspect ratio;
- :func:`describe`: a one-line summary of an array or tensor (type, shape, dtype, range), and
  :func:`show`, a row of images titled with those summaries;
- two transforms written as plain callable classes, :class:`AddGaussianNoise` and :class:`Cutout`,
  which work on (C, H, W) or (N, C, H, W) tensors and compose with torchvision's in a
  ``v2.Compose``.
- a measured experiment on augmentation: :func:`digits_split` keeps a few digits per class for
  training and holds out the rest, and :func:`fit_augmented` trains a model on them with a
  transform applied to every image each time it is drawn.

Our transforms draw their random numbers from torch (the global generator unless one is given), so
``torch.manual_seed`` makes them reproducible, exactly like torchvision's. They never change their
input: they return a new tensor.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from matplotlib.figure import Figure
from torch.utils.data import DataLoader

from . import data, plotting
from ._validate import as_int, as_tuple

__all__ = ["AddGaussianNoise", "Cutout", "describe", "digits_split", "fit_augmented", "load_photo", "show",
           "to_display"]


# ----------------------------------------------------------------------------------------------
# Photos and descriptions


def load_photo(name: str = "chelsea", size: int | None = None) -> np.ndarray:
    """A sample photo as ``uint8`` in 0…255, the way an image file holds it: (H, W, 3) or (H, W).

    ``size`` None keeps the original; an int resizes so that the *shorter* side has ``size``
    pixels and the aspect ratio is kept (like ``v2.Resize(size)``). Names: ``data.IMAGES``.
    It is ``data.load_image(name, size, fit="shorter", dtype="uint8")``.

    >>> load_photo("chelsea", 100).shape
    (100, 150, 3)
    """
    if isinstance(size, (tuple, list)):  # load_image would take a shape; v2.Resize(int) would not
        raise TypeError(f"size must be an int or None, got {size!r}")
    return data.load_image(name, size, fit="shorter", dtype="uint8")


def _number(value) -> str:
    value = round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{value:g}"


def describe(image, multiline: bool = False) -> str:
    """Type, shape, dtype and range of a NumPy array or torch tensor, e.g.
    ``ndarray (300, 451, 3) uint8, min 0, max 255`` or ``Image (3, 64, 64) torch.float32, ...``.

    Floats are rounded to two decimals. ``multiline`` puts the dtype and range on a second line
    (for plot titles).
    """
    if isinstance(image, torch.Tensor):
        kind, dtype = type(image).__name__, str(image.dtype)
        values = image.detach()
        if values.dtype == torch.bool:
            values = values.to(torch.uint8)
        low, high = (values.min().item(), values.max().item()) if values.numel() else (None, None)
    elif isinstance(image, np.ndarray):
        kind, dtype = "ndarray", str(image.dtype)
        low, high = (image.min(), image.max()) if image.size else (None, None)
    else:
        raise TypeError(f"image must be a NumPy array or a torch tensor, got {type(image).__name__}")
    shape = tuple(int(n) for n in image.shape)
    values_text = "empty" if low is None else f"min {_number(low)}, max {_number(high)}"
    return f"{kind} {shape}" + ("\n" if multiline else " ") + f"{dtype}, {values_text}"


def to_display(image) -> np.ndarray:
    """An image as float32 in [0, 1], (H, W, 3) or (H, W), ready for ``imshow``.

    Accepts NumPy (H, W[, C]) arrays and torch (C, H, W) or (1, C, H, W) tensors. ``uint8`` is
    divided by 255; a float image with values outside [0, 1] (a normalised one) is stretched so
    that its minimum shows black and its maximum white.
    """
    if not isinstance(image, (torch.Tensor, np.ndarray)):
        raise TypeError(f"image must be a NumPy array or a torch tensor, got {type(image).__name__}")
    array = plotting.image_array(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] != 3):
        raise ValueError(f"image must be (H, W), (H, W, 3), (C, H, W) or (1, C, H, W) with C = 1 or 3, "
                         f"got shape {tuple(image.shape)}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    array = array.astype(np.float32)
    if array.size and (array.min() < 0.0 or array.max() > 1.0):
        low, high = float(array.min()), float(array.max())
        array = (array - low) / (high - low if high > low else 1.0)
    return array


def show(images, titles=None, ncols=None, size=2.6, suptitle=None, same_scale=False,
         details=True, fig=None) -> Figure:
    """A row (or grid) of images, each titled with its name and (``details``) :func:`describe` summary.

    ``images``: a dict name → image, or a list (then ``titles`` names them). Arrays and tensors
    of any dtype are shown through :func:`to_display`. ``same_scale`` draws every image at the
    pixel scale of the largest, so a crop looks smaller than the photo it came from. ``fig``: draw
    into this figure (see :func:`convolved.plotting.image_grid`).
    """
    if isinstance(images, dict):
        if titles is not None:
            raise ValueError("titles must be None when images is a dict (its keys are the titles)")
        titles, images = list(images), list(images.values())
    images = list(images)
    titles = [""] * len(images) if titles is None else list(titles)
    if len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image ({len(images)}), got {len(titles)}")
    shown = [to_display(image) for image in images]
    labels = [f"{title}\n{describe(image, multiline=True)}".strip() if details else title
              for title, image in zip(titles, images, strict=True)]
    fig = plotting.image_grid(shown, labels, ncols=ncols, size=size, suptitle=suptitle, fig=fig,
                              vmin=0.0, vmax=1.0)
    for ax in fig.axes:
        ax.title.set_fontsize(9)
    if same_scale:
        height = max(array.shape[0] for array in shown)
        width = max(array.shape[1] for array in shown)
        for ax, array in zip(fig.axes, shown, strict=False):
            extra_x, extra_y = (width - array.shape[1]) / 2, (height - array.shape[0]) / 2
            ax.set_xlim(-0.5 - extra_x, array.shape[1] - 0.5 + extra_x)
            ax.set_ylim(array.shape[0] - 0.5 + extra_y, -0.5 - extra_y)
            ax.set_facecolor("0.92")
    return fig


# ----------------------------------------------------------------------------------------------
# Transforms of our own


def _as_real(value, name: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}, got {value:g}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}, got {value:g}")
    return value


def _as_generator(generator):
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    return generator


def _check_image(image, transform: str, *, floating: bool = False) -> torch.Tensor:
    """Refuse what a tensor transform cannot work on, saying which step to add before it."""
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"{transform} works on torch tensors (C, H, W) or (N, C, H, W), got "
                        f"{type(image).__name__}: put v2.ToImage() before it in the pipeline")
    if image.ndim < 2:
        raise ValueError(f"{transform} needs an image with at least 2 dimensions (H, W), got shape "
                         f"{tuple(image.shape)}")
    if floating and not image.is_floating_point():
        raise TypeError(f"{transform} works on float images in [0, 1], got {image.dtype}: put "
                        "v2.ToDtype(torch.float32, scale=True) before it in the pipeline")
    return image


def _like(result: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """Give ``result`` the tensor type of ``image`` (e.g. torchvision's ``tv_tensors.Image``)."""
    return result.as_subclass(type(image)) if type(result) is not type(image) else result


class AddGaussianNoise:
    """Add Gaussian noise to every pixel of a float image: ``image + mean + std · ε``, ε ~ N(0, 1).

    ``clip=True`` keeps the result in [0, 1] (use it before ``Normalize``). Works on (C, H, W)
    and (N, C, H, W) float tensors; returns a new tensor of the same type and shape.
    """

    def __init__(self, std: float = 0.1, mean: float = 0.0, clip: bool = True, generator=None):
        self.std = _as_real(std, "std", minimum=0.0)
        self.mean = _as_real(mean, "mean")
        if not isinstance(clip, bool):
            raise TypeError(f"clip must be True or False, got {clip!r}")
        self.clip = clip
        self.generator = _as_generator(generator)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        image = _check_image(image, "AddGaussianNoise", floating=True)
        noise = torch.randn(image.shape, generator=self.generator, dtype=image.dtype, device=image.device)
        noisy = image.as_subclass(torch.Tensor) + self.mean + self.std * noise
        if self.clip:
            noisy = noisy.clamp(0.0, 1.0)
        return _like(noisy, image)

    def __repr__(self) -> str:
        return f"AddGaussianNoise(std={self.std:g}, mean={self.mean:g}, clip={self.clip})"


class Cutout:
    """Blank out one random ``size`` × ``size`` square (or (h, w) rectangle) with ``fill``.

    With probability ``p`` (default always) a square lying wholly inside the image is set to
    ``fill`` (in the image's own units: 0 is black for float and uint8 images alike). Works on
    (C, H, W) and (N, C, H, W) tensors of any dtype; like torchvision's transforms, a batch shares
    one random square. Returns a new tensor; the input is never changed.
    """

    def __init__(self, size=16, fill: float = 0.0, p: float = 1.0, generator=None):
        self.size = as_tuple(size, "size", 2, minimum=1)
        self.fill = _as_real(fill, "fill")
        self.p = _as_real(p, "p", minimum=0.0, maximum=1.0)
        self.generator = _as_generator(generator)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        image = _check_image(image, "Cutout")
        height, width = image.shape[-2:]
        box_h, box_w = self.size
        if box_h > height or box_w > width:
            raise ValueError(f"size must fit inside the image: the cut-out is {box_h}×{box_w}, the image "
                             f"{height}×{width}")
        apply = torch.rand(1, generator=self.generator).item() < self.p
        top = int(torch.randint(0, height - box_h + 1, (1,), generator=self.generator))
        left = int(torch.randint(0, width - box_w + 1, (1,), generator=self.generator))
        if not apply:
            return image
        result = image.clone()
        result[..., top:top + box_h, left:left + box_w] = self.fill
        return result

    def __repr__(self) -> str:
        size = self.size[0] if self.size[0] == self.size[1] else self.size
        return f"Cutout(size={size}, fill={self.fill:g}, p={self.p:g})"


# ----------------------------------------------------------------------------------------------
# Does augmentation help? A small measured experiment


def digits_split(per_class: int = 10, seed: int = 0):
    """scikit-learn's digits split in two: ``per_class`` images of each digit to train on, chosen
    by a permutation seeded with ``seed``, and every other image held out.

    Returns ``(train_images, train_labels, test_images, test_labels)``: images (N, 1, 8, 8) float32
    in [0, 1], labels (N,) int64.

    >>> train_images, train_labels, test_images, test_labels = digits_split(per_class=10)
    >>> tuple(train_images.shape), train_labels.bincount().tolist() == [10] * 10, len(test_images)
    ((100, 1, 8, 8), True, 1697)
    """
    per_class = as_int(per_class, "per_class", minimum=1)
    images, labels = data.digits()
    fewest = int(labels.bincount().min())
    if per_class >= fewest:
        raise ValueError(f"per_class must be below {fewest} (the rarest digit's count), so that "
                         f"every digit keeps held-out images; got {per_class}")
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(as_int(seed, "seed")))
    train = torch.cat([order[labels[order] == digit][:per_class] for digit in range(10)])
    held_out = torch.ones(len(images), dtype=torch.bool)
    held_out[train] = False
    return images[train], labels[train], images[held_out], labels[held_out]


def fit_augmented(model, images, labels, transform=None, *, epochs: int = 30, batch_size: int = 32,
                  seed: int = 0) -> dict:
    """Train ``model`` on ``images``/``labels`` with :func:`convolved.training.fit_loader`, passing
    every image through ``transform`` each time it is drawn (None: no augmentation).

    The images go into a Dataset that applies the transform in its ``__getitem__``, and a
    DataLoader shuffles them with a generator seeded with ``seed`` (notebook 07 builds both by
    hand). ``torch.manual_seed(seed)`` fixes the transform's random draws, so the same seed
    gives the same model at any thread count. Returns what ``fit_loader`` returns.

    >>> from torchvision.transforms import v2
    >>> images, labels = torch.rand(20, 1, 8, 8), torch.arange(20) % 2
    >>> result = fit_augmented(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2)),
    ...                        images, labels, v2.RandomCrop(8, padding=1), epochs=2)
    >>> result["items"], len(result["losses"])
    (20, 2)
    """

    from . import training
    from .datasets import InMemoryImageDataset

    dataset = InMemoryImageDataset(images, labels, transform=transform)
    loader = DataLoader(dataset, batch_size=as_int(batch_size, "batch_size", minimum=1), shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed)  # the transform draws from torch's global generator
    return training.fit_loader(model, loader, epochs=epochs, progress=False)
