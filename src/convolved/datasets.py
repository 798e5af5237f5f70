"""Custom PyTorch Datasets: images held in memory, or PNG files in one folder per class.

Both apply their ``transform`` each time an item is drawn, so a random augmentation gives a new
view of the same image every time while ``len`` stays the number of stored images. Bad input
gets a clear error: mismatched lengths, an index out of range, a transform that does not
return a tensor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["FolderImageDataset", "InMemoryImageDataset", "write_image_folder"]


def _check_transform(transform):
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be callable (or None), got {type(transform).__name__}")
    return transform


def _apply(transform, image, index: int):
    """Run the transform and make sure the result is still an image tensor."""
    if transform is None:
        return image
    result = transform(image)
    if not isinstance(result, torch.Tensor):
        raise TypeError(f"transform must return a torch.Tensor, but for item {index} it returned "
                        f"{type(result).__name__}; end the pipeline with a tensor conversion, e.g. "
                        "transforms.v2.ToImage() and ToDtype(torch.float32, scale=True)")
    return result


def _check_index(index, length: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer, torch.Tensor)):
        raise TypeError(f"index must be an int, got {type(index).__name__}")
    index = int(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a dataset of {length} items "
                         f"(valid: 0 to {length - 1}, or negative from the end)")
    return index % length


class InMemoryImageDataset(Dataset):
    """Images and labels held in memory (tensors or arrays); ``transform`` runs on every draw.

    ``images``: (N, H, W) or (N, C, H, W); ``labels``: N integers.
    """

    def __init__(self, images, labels, transform=None):
        self.images = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor)
                                      else images)
        self.labels = torch.as_tensor(np.asarray(labels) if not isinstance(labels, torch.Tensor)
                                      else labels)
        if self.images.ndim == 3:
            self.images = self.images[:, None]  # (N, H, W) → one channel
        if self.images.ndim != 4:
            raise ValueError(f"images must have shape (N, H, W) or (N, C, H, W), got "
                             f"{tuple(self.images.shape)}")
        if self.labels.ndim != 1:
            raise ValueError(f"labels must be one integer per image, got shape {tuple(self.labels.shape)}")
        if len(self.images) != len(self.labels):
            raise ValueError(f"images and labels must have the same length, got {len(self.images)} "
                             f"images and {len(self.labels)} labels")
        self.transform = _check_transform(transform)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index):
        index = _check_index(index, len(self))
        return _apply(self.transform, self.images[index], index), int(self.labels[index])


def write_image_folder(images, labels, root, class_names=None) -> Path:
    """Save grayscale images in [0, 1] as PNG files, ``root/<class name>/<index>.png``.

    Returns ``root``. ``class_names`` maps a label to its folder name (default: the label).
    """
    from PIL import Image

    images = np.asarray(images.detach().cpu() if isinstance(images, torch.Tensor) else images)
    labels = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels)
    images = images.reshape(len(images), *images.shape[-2:])  # drop a channel axis of 1
    if len(images) != len(labels):
        raise ValueError(f"images and labels must have the same length, got {len(images)} images "
                         f"and {len(labels)} labels")
    root = Path(root)
    width = len(str(max(len(images) - 1, 0)))
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        folder = root / str(class_names[int(label)] if class_names else int(label))
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{index:0{width}d}.png")
    return root


class FolderImageDataset(Dataset):
    """PNG files in one sub-folder per class, read from disk only when an item is drawn.

    Classes are the sub-folder names in sorted order (label = position), files are sorted by
    name, as in ``torchvision.datasets.ImageFolder``. Items are (1, H, W) float tensors in [0, 1].
    """

    def __init__(self, root, transform=None):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"root must be an existing folder, got {str(root)!r}")
        self.classes = sorted(p.name for p in self.root.iterdir() if p.is_dir())
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.samples = [(path, self.class_to_idx[name]) for name in self.classes
                        for path in sorted((self.root / name).glob("*.png"))]
        if not self.samples:
            raise ValueError(f"root must contain one sub-folder per class with .png files; found "
                             f"none in {self.root.name!r}")
        self.transform = _check_transform(transform)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index):
        from PIL import Image

        index = _check_index(index, len(self))
        path, label = self.samples[index]
        with Image.open(path) as file:
            pixels = np.asarray(file.convert("L"), dtype=np.float32) / 255.0
        return _apply(self.transform, torch.from_numpy(pixels)[None], index), label
