"""Custom PyTorch Datasets: images held in memory, PNG files in one folder per class, and a
view of another dataset that keeps only some classes (for transfer learning, notebook 07).

The first two apply their ``transform`` each time an item is drawn, so a random augmentation gives a new
view of the same image every time while ``len`` stays the number of stored images. Bad input
gets a clear error: mismatched lengths, an index out of range, a transform that does not
return a tensor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ._validate import as_int

__all__ = ["ClassSubset", "FolderImageDataset", "InMemoryImageDataset", "image_file_name",
           "write_image_folder"]


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


def image_file_name(index: int, count: int) -> str:
    """The name :func:`write_image_folder` gives image ``index`` of ``count``: the index with at
    least four digits (more if ``count`` needs them), so the names sort in the images' order.

    >>> image_file_name(0, 40), image_file_name(19, 1400), image_file_name(12345, 20000)
    ('0000.png', '0019.png', '12345.png')
    """
    width = max(4, len(str(max(count - 1, 0))))
    return f"{index:0{width}d}.png"


def write_image_folder(images, labels, root, class_names=None) -> Path:
    """Save grayscale images in [0, 1] as PNG files, ``root/<class name>/<index>.png``.

    Returns ``root``. ``class_names`` maps a label to its folder name (default: the label). File
    names come from :func:`image_file_name`: ``0000.png``, ``0001.png``, …
    """
    from PIL import Image

    images = np.asarray(images.detach().cpu() if isinstance(images, torch.Tensor) else images)
    labels = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels)
    images = images.reshape(len(images), *images.shape[-2:])  # drop a channel axis of 1
    if len(images) != len(labels):
        raise ValueError(f"images and labels must have the same length, got {len(images)} images "
                         f"and {len(labels)} labels")
    root = Path(root)
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        folder = root / str(class_names[int(label)] if class_names else int(label))
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / image_file_name(index, len(images)))
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


def _labels_of(dataset) -> list[int]:
    """Every item's label, read without drawing the items (so no transform runs)."""
    if hasattr(dataset, "labels"):  # InMemoryImageDataset, and most hand-written Datasets
        return [int(label) for label in dataset.labels]
    if hasattr(dataset, "targets"):  # torchvision's datasets (MNIST, ImageFolder, …)
        return [int(label) for label in dataset.targets]
    if hasattr(dataset, "samples"):  # FolderImageDataset: (path, label) pairs
        return [int(label) for _, label in dataset.samples]
    raise TypeError(f"dataset must have labels, targets or samples to select classes from, got "
                    f"{type(dataset).__name__}")


class ClassSubset(Dataset):
    """The items of ``dataset`` whose label is one of ``classes``, relabelled 0, 1, … in the
    order of ``classes``; ``per_class`` keeps only that many items of each class, chosen by a
    permutation seeded with ``seed``.

    Nothing is copied: the subset keeps the indices it selected and draws ``dataset[index]``
    (transform included) when asked for an item. Labels are read from the dataset's ``labels``,
    ``targets`` or ``samples``, without drawing its items.

    >>> digits = InMemoryImageDataset(torch.zeros(6, 1, 8, 8), [5, 0, 7, 5, 7, 5])
    >>> fives_and_sevens = ClassSubset(digits, classes=[5, 7])
    >>> len(fives_and_sevens), fives_and_sevens.indices, [label for _, label in fives_and_sevens]
    (5, [0, 2, 3, 4, 5], [0, 1, 0, 1, 0])
    >>> len(ClassSubset(digits, classes=[5, 7], per_class=1))  # one 5 and one 7
    2
    """

    def __init__(self, dataset, classes, per_class=None, seed: int = 0):
        if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
            raise TypeError(f"classes must be a list of labels, got {classes!r}")
        self.classes = [as_int(c, "classes[]") for c in classes]
        if not self.classes or len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes must be a non-empty list of different labels, got {classes!r}")
        if per_class is not None:
            per_class = as_int(per_class, "per_class", minimum=1)
        labels = _labels_of(dataset)
        missing = sorted(set(self.classes) - set(labels))
        if missing:
            raise ValueError(f"classes {missing} have no items in the dataset (its labels are "
                             f"{sorted(set(labels))})")
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed)).tolist()
        chosen = []
        for c in self.classes:  # in the seeded order, the first per_class items of class c
            chosen += [i for i in order if labels[i] == c][:per_class]
        self.dataset, self.indices = dataset, sorted(chosen)
        self.new_label = {c: position for position, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        image, label = self.dataset[self.indices[_check_index(index, len(self))]]
        return image, self.new_label[int(label)]
