"""Exercises of notebook 07, "Custom Datasets and DataLoaders".

1. ``MyDigits``: a Dataset over raw 8-bit images, transformed on every draw, with clear errors.
2. ``make_loader``: a DataLoader that meets given requirements (batch size, drop_last, seeded
   shuffle).
3. ``pad_collate``: a collate function for images of different sizes.

Each checker builds its own data, so it can tell exactly what went wrong.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, TensorDataset

from . import checker, correct, not_attempted, solution, wrong

# ----------------------------------------------------------------------------------------------
# Exercise 1: a Dataset over raw 8-bit images


@solution("dataset_class")
class SolutionDigits(Dataset):
    def __init__(self, images, labels, transform=None):
        if len(images) != len(labels):
            raise ValueError(f"images and labels must have the same length, got {len(images)} "
                             f"images and {len(labels)} labels")
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a dataset of {len(self)} items")
        # uint8 (H, W) → float32; [None] adds the channel axis: (1, H, W); / 255 maps 0…255 to 0…1
        image = torch.as_tensor(self.images[index], dtype=torch.float32)[None] / 255
        if self.transform is not None:
            image = self.transform(image)  # at every draw: a new random view each time
        return image, int(self.labels[index])


#: The raw data check_dataset_class gives the learner's class: N images of H×W pixels.
RAW_SHAPE = (12, 5, 7)


def raw_digits(seed: int = 7) -> tuple[np.ndarray, list[int]]:
    """Images as a uint8 NumPy array (N, H, W) with values 0 to 255, and a list of N int labels."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=RAW_SHAPE, dtype=np.uint8)
    return images, [int(v) for v in rng.integers(0, 10, size=RAW_SHAPE[0])]


class _Recorder:
    """A transform that remembers what it received and returns a new view at every call."""

    def __init__(self):
        self.inputs, self.outputs = [], []

    def __call__(self, image):
        self.inputs.append(image)
        out = image.flip(-1) * 0.5 + 0.01 * len(self.inputs) if isinstance(image, torch.Tensor) else image
        self.outputs.append(out)
        return out


def _draw(dataset, index):
    """``dataset[index]``, or the exception it raised."""
    try:
        return dataset[index], None
    except Exception as error:  # noqa: BLE001 - reported as feedback
        return None, error


def _raised(error) -> str:
    return f"{type(error).__name__}: {error}"


def _check_item(item, index, images, labels, *, expected_image=None):
    """Feedback on what is wrong with ``item`` as item ``index``; None when it is right."""
    h, w = RAW_SHAPE[1:]
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        return wrong(f"item {index} is {type(item).__name__} {item!r:.60}",
                     "return a pair: `return image, label`.")
    image, label = item
    if not isinstance(image, torch.Tensor):
        return wrong(f"the image of item {index} is a {type(image).__name__}",
                     "turn it into a tensor: torch.as_tensor(self.images[index], dtype=torch.float32).")
    if tuple(image.shape) != (1, h, w):
        hint = f"an item's image must have shape (1, H, W) = (1, {h}, {w}): one channel first."
        if tuple(image.shape) == (h, w):
            hint = "add the channel axis: image[None] (or image.unsqueeze(0)) has shape (1, H, W)."
        elif tuple(image.shape) in ((w, h), (1, w, h)):
            hint = "keep rows before columns: do not transpose the image."
        return wrong(f"the image of item {index} has shape {tuple(image.shape)}", hint)
    if image.dtype != torch.float32:
        return wrong(f"the image of item {index} has dtype {image.dtype}",
                     "networks want float32: torch.as_tensor(..., dtype=torch.float32), then divide "
                     "by 255.")
    raw = torch.as_tensor(images[index], dtype=torch.float32)[None]
    expected = raw / 255 if expected_image is None else expected_image
    if not torch.allclose(image, expected, atol=1e-5):
        if expected_image is None and torch.allclose(image, raw):
            return wrong(f"item {index} holds values from 0 to 255",
                         "scale to [0, 1]: divide the float image by 255.")
        after = "" if expected_image is None else " after the transform"
        return wrong(f"the image of item {index} is not image {index} of the data{after}",
                     "use self.images[index] (the index you are given), and return the image the "
                     "transform gave back.")
    if isinstance(label, bool) or not isinstance(label, (int, np.integer, torch.Tensor)):
        return wrong(f"the label of item {index} is {type(label).__name__} {label!r:.40}",
                     "return the label as an int: int(self.labels[index]).")
    if isinstance(label, torch.Tensor) and (label.ndim or label.is_floating_point()):
        return wrong(f"the label of item {index} is a tensor of shape {tuple(label.shape)} and dtype "
                     f"{label.dtype}", "return one whole number per item: int(self.labels[index]).")
    if int(label) != labels[index]:
        return wrong(f"item {index} has label {int(label)}, the data says {labels[index]}",
                     "return self.labels[index], the label at the same index as the image.")
    return None


@checker("fill in __len__ and __getitem__ of MyDigits",
         solution='dataset_class', title='Exercise 1 · A Dataset over raw 8-bit images')
def check_dataset_class(my_class):
    """Create ``my_class`` on raw data and check len, items, the transform per draw, and errors."""
    if isinstance(my_class, Dataset):
        return wrong("you passed a dataset object", "pass the class itself: "
                     "ex.check_dataset_class(MyDigits), without calling it.")
    if not isinstance(my_class, type):
        return wrong(f"MyDigits is {type(my_class).__name__} {my_class!r:.60}",
                     "define it with `class MyDigits(Dataset): ...` and pass the class.")
    images, labels = raw_digits()
    n = len(images)
    try:
        dataset = my_class(images, labels)
    except Exception as error:  # noqa: BLE001
        return wrong(f"MyDigits(images, labels) raised {_raised(error)}",
                     "__init__(self, images, labels, transform=None) should store its arguments.")
    length = dataset.__len__()
    first, error = _draw(dataset, 0)
    if length is None and first is None and error is None:
        return not_attempted("fill in __len__ and __getitem__ of MyDigits")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        return wrong(f"__len__ returned {length!r:.60}", "return the number of images as an int: "
                     "len(self.images).")
    if length != n:
        return wrong(f"len is {length} for {n} images", "return len(self.images): one item per image.")

    # Items, without a transform.
    for index in range(n):
        item, error = _draw(dataset, index)
        if error is not None:
            return wrong(f"dataset[{index}] raised {_raised(error)}",
                         "convert the image at `index` to a float tensor of shape (1, H, W) in [0, 1] "
                         "and return it with its label.")
        problem = _check_item(item, index, images, labels)
        if problem is not None:
            return problem

    # Indices out of range.
    for index in (n, n + 5, -n - 1):
        item, error = _draw(dataset, index)
        if error is None:
            return wrong(f"dataset[{index}] returned an item, but there are only {n} images",
                         "raise IndexError for an index out of range: `for item in dataset` and "
                         "list(dataset) stop at IndexError.")
        if not isinstance(error, IndexError):
            return wrong(f"dataset[{index}] raised {type(error).__name__}, not IndexError",
                         "an index out of range must raise IndexError: `for item in dataset` stops "
                         "only at IndexError.")

    # The transform: once per draw, on the converted image, and its result is returned.
    recorder = _Recorder()
    try:
        dataset = my_class(images, labels, transform=recorder)
    except Exception as error:  # noqa: BLE001
        return wrong(f"MyDigits(images, labels, transform=...) raised {_raised(error)}",
                     "accept a third argument, transform=None, and store it.")
    if recorder.inputs:
        return wrong(f"creating the dataset ran the transform {len(recorder.inputs)} times",
                     "run the transform in __getitem__, not in __init__: then every draw of an item "
                     "gives a new random view.")
    views = []
    for draw in range(2):
        item, error = _draw(dataset, 3)
        if error is not None:
            return wrong(f"with a transform, dataset[3] raised {_raised(error)}",
                         "apply the transform to the image tensor: image = self.transform(image).")
        if len(recorder.inputs) != draw + 1:
            what = "never ran" if not recorder.inputs else f"ran {len(recorder.inputs)} times"
            return wrong(f"after {draw + 1} draw{'s' if draw else ''} of item 3 the transform {what}",
                         "in __getitem__: if self.transform is not None: image = self.transform(image)"
                         " — once per draw.")
        received = recorder.inputs[-1]
        if (not isinstance(received, torch.Tensor) or tuple(received.shape) != (1, *RAW_SHAPE[1:])
                or received.dtype != torch.float32 or float(received.max()) > 1):
            shown = (f"a tensor of shape {tuple(received.shape)} and dtype {received.dtype}"
                     if isinstance(received, torch.Tensor) else f"a {type(received).__name__}")
            return wrong(f"the transform received {shown}",
                         "convert first, transform after: transforms expect the float tensor "
                         "(1, H, W) in [0, 1].")
        problem = _check_item(item, 3, images, labels, expected_image=recorder.outputs[-1])
        if problem is not None:
            return problem
        views.append(item[0])
    if torch.equal(views[0], views[1]):  # pragma: no cover - the recorder changes every call
        return wrong("two draws of item 3 gave the same image", "run the transform at every draw.")

    # Mismatched lengths.
    try:
        my_class(images, labels[:-1])
    except ValueError:
        pass
    except Exception as error:  # noqa: BLE001
        return wrong(f"{n} images with {n - 1} labels raised {type(error).__name__}, not ValueError",
                     "in __init__: if len(images) != len(labels): raise ValueError('...').")
    else:
        return wrong(f"MyDigits accepted {n} images with {n - 1} labels",
                     "check in __init__: if len(images) != len(labels): raise ValueError(...), "
                     "with a message that gives both lengths.")

    # It works in a DataLoader.
    batches = [tuple(x.shape) for x, _ in DataLoader(my_class(images, labels), batch_size=4)]
    if batches != [(4, 1, *RAW_SHAPE[1:])] * 3:
        return wrong(f"a DataLoader with batch_size=4 gave batches of shapes {batches}",
                     "every item should be (image (1, H, W), label).")
    return correct(f"MyDigits works: {n} items of shape (1, {RAW_SHAPE[1]}, {RAW_SHAPE[2]}) in [0, 1] "
                   "with their labels; the transform runs once per draw; an index out of range "
                   "raises IndexError; mismatched lengths raise ValueError; a DataLoader batches it.")


# ----------------------------------------------------------------------------------------------
# Exercise 2: a DataLoader for given requirements

LOADER_BATCH_SIZE = 32
LOADER_ITEMS = 100


@solution("make_loader")
def solution_make_loader(dataset, seed):
    # 100 items in batches of 32: 32 + 32 + 32 + a short batch of 4, which drop_last=True skips,
    # so every epoch gives 3 full batches (96 items); the 4 left out change from epoch to epoch.
    return DataLoader(
        dataset,
        batch_size=32,
        shuffle=True,  # a new order every epoch
        drop_last=True,
        # A generator of its own: the order depends on seed alone, not on how many random numbers
        # the augmentations (or anything else) drew from torch's global generator before.
        generator=torch.Generator().manual_seed(seed),
        num_workers=0,  # the default: the main process loads the batches itself
    )


def numbered_dataset(n: int = LOADER_ITEMS) -> TensorDataset:
    """n images of 1×4×4 pixels, image i filled with the number i, and labels i mod 10."""
    images = torch.arange(n, dtype=torch.float32)[:, None, None, None].expand(n, 1, 4, 4).clone()
    return TensorDataset(images, torch.arange(n) % 10)


def _batches(loader) -> list:
    """The (images, labels) batches of one epoch of ``loader``."""
    return [tuple(batch) for batch in loader]


def _order(batches) -> list[int]:
    """The item numbers, in the order the batches hold them."""
    return [int(n) for images, _ in batches for n in images[:, 0, 0, 0]]


@checker("make make_loader return a DataLoader",
         solution='make_loader', title='Exercise 2 · A DataLoader to order')
def check_make_loader(make_loader):
    """Check batch size, drop_last, shuffling, and that the seed (and only it) fixes the order."""
    dataset = numbered_dataset()
    full = LOADER_ITEMS // LOADER_BATCH_SIZE
    with torch.random.fork_rng(devices=[]):  # the learner's random state is left as it was
        loader = make_loader(dataset, 3)
        if loader is None:
            return not_attempted("make make_loader return a DataLoader")
        if not isinstance(loader, DataLoader):
            return wrong(f"make_loader returned {type(loader).__name__}",
                         "return DataLoader(dataset, batch_size=..., shuffle=..., drop_last=..., "
                         "generator=...).")
        if loader.num_workers != 0:
            return wrong(f"the loader uses num_workers={loader.num_workers}",
                         "keep num_workers=0 (the default): worker processes cost more than they "
                         "save on small in-memory data.")
        torch.rand(10)  # random draws between loaders, as augmentations would make
        batches = _batches(loader)
        shapes = [(tuple(images.shape), tuple(labels.shape)) for images, labels in batches]
        sizes = [images[0] for images, _ in shapes]
        expected = [LOADER_BATCH_SIZE] * full
        if sizes != expected:
            hint = f"batch_size={LOADER_BATCH_SIZE}."
            if sizes[:full] == expected:
                rest = LOADER_ITEMS % LOADER_BATCH_SIZE
                hint = f"drop_last=True drops the last, incomplete batch ({rest} items)."
            return wrong(f"on {LOADER_ITEMS} items your loader gives batches of {sizes}; the task asks "
                         f"for {full} batches of {LOADER_BATCH_SIZE}", hint)
        if any(images[1:] != (1, 4, 4) or labels != (LOADER_BATCH_SIZE,) for images, labels in shapes):
            return wrong(f"the batches have shapes {shapes[0]}",
                         "use the default collate_fn: it stacks the items' images and labels.")
        order = _order(batches)
        if len(set(order)) != len(order):
            return wrong("some items come twice in one epoch",
                         "use shuffle=True (a permutation), not sampling with replacement.")
        if order == sorted(order):
            return wrong("the items come in their stored order 0, 1, 2, …", "shuffle=True.")
        torch.rand(10)
        again = _order(_batches(make_loader(dataset, 3)))
        if again != order:
            return wrong("two loaders made with the same seed give different orders",
                         "pass generator=torch.Generator().manual_seed(seed): the order then depends "
                         "on the seed only, not on the random numbers drawn elsewhere.")
        other = _order(_batches(make_loader(dataset, 4)))
        if other == order:
            return wrong("seeds 3 and 4 give the same order",
                         "seed the generator with the argument: torch.Generator().manual_seed(seed).")
    return correct(f"make_loader gives {full} shuffled batches of {LOADER_BATCH_SIZE} (the last "
                   f"{LOADER_ITEMS % LOADER_BATCH_SIZE} items dropped), in an order set by the seed "
                   "alone.")


# ----------------------------------------------------------------------------------------------
# Exercise 3: a collate function for images of different sizes


@solution("pad_collate")
def solution_pad_collate(items):
    # For `ragged`, sizes 8×8, 6×6 and 7×5: H_max = max(8, 6, 7) = 8, W_max = max(8, 6, 5) = 8.
    height = max(image.shape[-2] for image, _ in items)
    width = max(image.shape[-1] for image, _ in items)
    # F.pad's amounts start from the last dimension: (left, right, top, bottom). Zeros go right
    # and below only, so each image stays in the top-left corner: the 7×5 image gets
    # (0, 8 - 5, 0, 8 - 7) = (0, 3, 0, 1), i.e. 3 columns on the right and 1 row at the bottom.
    padded = [F.pad(image, (0, width - image.shape[-1], 0, height - image.shape[-2]))
              for image, _ in items]
    # Now every image is (C, 8, 8): stack → (B, C, 8, 8); labels → int64 tensor of shape (B,).
    return torch.stack(padded), torch.tensor([label for _, label in items])


def ragged_items(sizes, channels: int = 1, seed: int = 0) -> list[tuple[torch.Tensor, int]]:
    """(image, label) items with images of the given (H, W) sizes, values in (0.1, 1]."""
    generator = torch.Generator().manual_seed(seed)
    return [(0.1 + 0.9 * torch.rand(channels, h, w, generator=generator), i % 10)
            for i, (h, w) in enumerate(sizes)]


COLLATE_CASES = [
    [(8, 8), (6, 6), (7, 5)],
    [(4, 9), (9, 4)],
    [(5, 5)] * 4,
    [(3, 6)],
]


@checker("make pad_collate return (images, labels)",
         solution='pad_collate', title='Exercise 3 · A collate function for images of different sizes')
def check_pad_collate(pad_collate):
    """Check shapes, padding at the bottom and right, labels, and use in a DataLoader."""
    cases = [ragged_items(sizes, channels, seed)
             for seed, (sizes, channels) in enumerate(zip(COLLATE_CASES, [1, 3, 1, 2], strict=True))]
    for number, items in enumerate(cases):
        result = pad_collate([(image.clone(), label) for image, label in items])
        if result is None or (isinstance(result, (tuple, list)) and all(r is None for r in result)):
            if number == 0:
                return not_attempted("make pad_collate return (images, labels)")
            return wrong("pad_collate returned None", "end with `return images, labels`.")
        sizes = [tuple(image.shape[1:]) for image, _ in items]
        what = f"{len(items)} image{'s' if len(items) > 1 else ''} of sizes {sizes}"
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return wrong(f"pad_collate returned {type(result).__name__}",
                         "return a pair: the batch of images and the tensor of labels.")
        images, labels = result
        c = items[0][0].shape[0]
        h, w = max(s[0] for s in sizes), max(s[1] for s in sizes)
        expected_shape = (len(items), c, h, w)
        if not isinstance(images, torch.Tensor) or tuple(images.shape) != expected_shape:
            got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            return wrong(f"for {what} the images are {got}; expected {expected_shape}",
                         "pad every image to the largest height and the largest width in the batch, "
                         "then torch.stack them: (B, C, H, W).")
        for i, (image, _) in enumerate(items):
            ih, iw = image.shape[1:]
            if not torch.equal(images[i, :, :ih, :iw], image):
                return wrong(f"for {what}, image {i} is not in the top-left corner of its slot",
                             "pad only at the bottom and on the right: F.pad(image, (0, W − w, 0, H − h)).")
            rest = images[i].clone()
            rest[:, :ih, :iw] = 0
            if rest.abs().sum() != 0:
                return wrong(f"for {what}, the padding of image {i} is not zeros",
                             "F.pad adds zeros by default (mode='constant', value=0).")
        if not isinstance(labels, torch.Tensor) or tuple(labels.shape) != (len(items),):
            return wrong(f"the labels are {labels!r:.60}",
                         "return the labels as one tensor of shape (B,): torch.tensor([...]).")
        if labels.dtype != torch.int64 or labels.tolist() != [label for _, label in items]:
            return wrong(f"the labels are {labels.tolist()} with dtype {labels.dtype}; expected "
                         f"{[label for _, label in items]} as int64",
                         "torch.tensor([label for _, label in items]) keeps the order and gives int64, "
                         "which the cross-entropy loss wants.")
    loader = DataLoader(ragged_items([(6, 6), (8, 5), (5, 8), (7, 7), (4, 4)]), batch_size=2,
                        collate_fn=pad_collate)
    shapes = [tuple(images.shape) for images, _ in loader]
    if shapes != [(2, 1, 8, 6), (2, 1, 7, 8), (1, 1, 4, 4)]:
        return wrong(f"in a DataLoader the batches have shapes {shapes}",
                     "each batch is padded to its own largest image.")
    return correct("pad_collate pads every image to the largest in its batch (bottom and right, "
                   f"zeros) and stacks the labels as int64; checked on {len(cases)} batches and in "
                   "a DataLoader.")
