"""Explorer of notebook 07: a Dataset's items and the augmented views each draw gives.

torchvision is imported inside the functions that build transforms: importing it takes about
2 s (it loads torch._dynamo), which the notebooks that never use it would otherwise pay for
importing this package.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import torch
from matplotlib.figure import Figure

from .. import plotting
from .._validate import as_int
from .base import Explorer


def digit_augmentations() -> dict:
    """Named random transforms for small grayscale digits (1, H, W) in [0, 1]; "none" is None.

    The last one flips left and right: it changes what a digit shows, so it is no augmentation
    for digits (a flipped 3 is not a 3), which is the point of showing it.
    """
    from torchvision.transforms import v2  # here, not at the top: see the module's docstring

    smooth = v2.InterpolationMode.BILINEAR  # nearest-neighbour rotation of 8×8 pixels looks torn
    return {
        "none": None,
        "rotate up to ±20°": v2.RandomRotation(20, interpolation=smooth),
        "shift up to ±1 pixel": v2.RandomAffine(0, translate=(0.125, 0.125), interpolation=smooth),
        "scale 0.75 to 1.25": v2.RandomAffine(0, scale=(0.75, 1.25), interpolation=smooth),
        "rotate, shift and scale": v2.RandomAffine(15, translate=(0.1, 0.1), scale=(0.85, 1.15),
                                                   interpolation=smooth),
        "Gaussian noise (σ = 0.1)": v2.GaussianNoise(sigma=0.1),
        "erase a patch": v2.RandomErasing(p=1.0, scale=(0.05, 0.2), value=0),
        "flip left–right (not for digits!)": v2.RandomHorizontalFlip(p=0.5),
    }


class DatasetExplorer(Explorer):
    """Browse the items of an in-memory image Dataset: pick an item and an augmentation, and see
    the stored image beside several draws of that same item, each one a new random view. The
    seed (or the redraw button) chooses which random views; ``len`` never changes."""

    title = "Dataset explorer"

    def __init__(self, images, labels, transforms=None, index=0, augmentation=None, views=8, seed=0):
        from ..datasets import InMemoryImageDataset

        self.data = InMemoryImageDataset(images, labels)  # checks shapes and lengths
        self.augmentations = {**dict(transforms or {}), **digit_augmentations()}
        for name, transform in self.augmentations.items():
            if transform is not None and not callable(transform):
                raise TypeError(f"transforms must map names to callables, got "
                                f"{type(transform).__name__} for {name!r}")
        augmentation = next(iter(self.augmentations)) if augmentation is None else augmentation
        if augmentation not in self.augmentations:
            raise ValueError(f"augmentation must be one of {', '.join(map(repr, self.augmentations))}; "
                             f"got {augmentation!r}")
        n = len(self.data)
        index = as_int(index, "index")
        if not 0 <= index < n:
            raise ValueError(f"index must be from 0 to {n - 1}, got {index}")
        views = as_int(views, "views", minimum=1)
        if views > 12:
            raise ValueError(f"views must be from 1 to 12, got {views}")
        style = {"description_width": "70px"}
        self.index = w.IntSlider(value=index, min=0, max=n - 1, description="item",
                                 continuous_update=False, style=style, layout=w.Layout(width="420px"))
        self.augmentation = w.Dropdown(options=list(self.augmentations), value=augmentation,
                                       description="transform", style=style,
                                       layout=w.Layout(width="360px"))
        self.views = w.IntSlider(value=views, min=1, max=12, description="draws",
                                 continuous_update=False, style=style)
        self.seed = w.IntText(value=as_int(seed, "seed"), description="seed", style=style,
                              layout=w.Layout(width="170px"))
        self.redraw = w.Button(description="redraw", icon="refresh", tooltip="new random views",
                               layout=w.Layout(width="110px"))
        self.redraw.on_click(lambda _button: self._next_seed())
        controls = [self.index, self.augmentation, self.views, self.seed]
        layout = w.VBox([w.HBox([self.index, self.augmentation]),
                         w.HBox([self.views, self.seed, self.redraw])])
        super().__init__(controls, layout)

    def _next_seed(self) -> None:
        self.seed.value += 1  # observed like any control: one redraw

    def dataset(self):
        """The Dataset now shown: the same images and labels, with the chosen transform."""
        from ..datasets import InMemoryImageDataset

        return InMemoryImageDataset(self.data.images, self.data.labels,
                                    self.augmentations[self.augmentation.value])

    def augmented_views(self) -> list:
        """The images of ``views`` draws of the chosen item, seeded by ``seed``.

        The global random state is saved and restored: browsing does not change what the
        notebook's own random draws give.
        """

        dataset = self.dataset()
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(self.seed.value)  # the CPU's: see TransformExplorer
            return [dataset[self.index.value][0] for _ in range(self.views.value)]

    def draw(self) -> Figure:
        index, n = self.index.value, self.views.value
        stored, label = self.data[index]
        views = [np.asarray(view, dtype=float).reshape(np.shape(stored)[-2:])
                 for view in self.augmented_views()]
        rows = 1 if n <= 6 else 2
        cols = -(-n // rows)
        # All draws as tiles of one image on one axes: ten small axes would cost more to make
        # than everything else in the picture.
        height, width = views[0].shape
        gap = max(1, height // 8)
        montage = np.full((rows * (height + gap) - gap, cols * (width + gap) - gap), np.nan)
        for i, view in enumerate(views):
            top, left = (i // cols) * (height + gap), (i % cols) * (width + gap)
            montage[top:top + height, left:left + width] = view
        fig, (left, right) = self.panels((1.6 * (cols + 1.5) + 0.3, 1.75 * max(rows, 1.4) + 0.55), 2,
                                         width_ratios=[1.5, cols + 0.15 * cols])
        plotting.draw_image(left, stored, f"stored item {index}\nlabel {label}", vmin=0, vmax=1)
        plotting.draw_image(right, np.ma.masked_invalid(montage), vmin=0, vmax=1)
        right.set_facecolor("white")
        for spine in right.spines.values():  # the montage is framed by its tiles alone
            spine.set_visible(False)
        for i in range(n):
            right.text((i % cols) * (width + gap) + width / 2, (i // cols) * (height + gap) - 0.6,
                       f"draw {i + 1}", ha="center", va="bottom", fontsize=8)
        fig.suptitle(f"dataset[{index}] drawn {n} time{'s' if n > 1 else ''} with "
                     f"“{self.augmentation.value}” (seed {self.seed.value}); "
                     f"len(dataset) = {len(self.data)} whatever the transform", fontsize=10)
        return fig
