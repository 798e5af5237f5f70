"""Figure of notebook 07, "Custom Datasets and DataLoaders": the pipeline from raw data to the
batches a model reads.

The numbers drawn are those of the notebook's defaults (1,400 training digits, batches of 64),
the digits are real (scikit-learn's), and the augmented views are drawn by the same kind of
torchvision transform the notebook uses, from a fixed seed. torchvision is imported where the
views are drawn: importing it takes about 2 s, which a notebook showing a figure should not pay.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from .. import diagrams
from .registry import figure

N_ITEMS = 1400  # training digits in notebook 07 (its parameter n_train)
BATCH = 64  # its batch_size
ITEM = 5  # the item drawn in detail
MONO = "DejaVu Sans Mono"
LEVELS = 32  # grey levels of the thumbnails: as clear, and a smaller PNG


def _box(ax, x: float, y: float, width: float, height: float, kind: str, *, lw: float = 1.6,
         zorder: float = 0.5) -> None:
    """A rounded box with the fill and edge colours of ``kind`` (see diagrams.COLORS/FILLS)."""
    ax.add_patch(FancyBboxPatch((x, y), width, height, boxstyle="round,pad=0,rounding_size=0.35",
                                facecolor=diagrams.FILLS[kind], edgecolor=diagrams.COLORS[kind], linewidth=lw,
                                zorder=zorder))


def _thumb(ax, image: np.ndarray, x: float, top: float, size: float, edge: str,
           zorder: float = 2) -> None:
    """An 8×8 digit as a ``size`` × ``size`` square, its top-left corner at (x, top)."""
    ax.imshow(image, cmap=colormaps["gray"].resampled(LEVELS), vmin=0, vmax=1,
              extent=(x, x + size, top - size, top), interpolation="nearest", zorder=zorder)
    ax.add_patch(Rectangle((x, top - size), size, size, fill=False, edgecolor=edge, linewidth=1.2,
                           zorder=zorder + 0.05))


def _example():
    """The digits drawn: one item, two augmented draws of it, and a batch's first images."""

    from torchvision.transforms import v2

    from ..data import digits

    images, labels = digits()
    order = torch.randperm(N_ITEMS, generator=torch.Generator().manual_seed(diagrams.SEED))
    transform = v2.RandomAffine(15, translate=(0.1, 0.1), interpolation=v2.InterpolationMode.BILINEAR)
    torch.manual_seed(diagrams.SEED)
    views = [transform(images[ITEM])[0].numpy() for _ in range(2)]
    assert not np.array_equal(views[0], views[1])
    batch = order[:BATCH]
    return {"item": images[ITEM, 0].numpy(), "label": int(labels[ITEM]), "views": views,
            "order": order.tolist(), "batch": images[batch, 0].numpy()}


@figure("07_dataset_pipeline")
def dataset_pipeline() -> Figure:
    """From raw data to batches: 1,400 digit images of 8×8 pixels, held as tensors or as PNG
    files in one folder per class, go into a Dataset whose getitem method reads item i, applies
    a random transform at every draw and returns an image of shape (1, 8, 8) with its label;
    the DataLoader shuffles the indices with a seeded generator, asks the Dataset for 64 items
    and stacks them into a batch of images (64, 1, 8, 8) and labels (64,), 22 batches per
    epoch, which the model turns into scores (64, 10).
    """
    ex = _example()
    n_full, rest = divmod(N_ITEMS, BATCH)
    n_batches = n_full + (rest > 0)
    assert (n_batches, rest) == (22, 56)

    width, height = 34.0, 18.2
    fig, ax = diagrams.canvas(width, height, scale=0.42)
    blue, orange, sand, purple, teal = (diagrams.COLORS[k] for k in ("input", "kernel", "product", "output",
                                                             "bias"))
    dark_sand = "#8C7A2A"  # sand is too light for text
    step = {"size": 11, "weight": "bold", "ha": "left"}
    top_row, row_height = 9.4, 7.6

    # Step 1: the raw data, as tensors or as files.
    x0, w0 = 0.4, 8.6
    _box(ax, x0, top_row, w0, row_height, "input")
    diagrams.label(ax, x0, top_row + row_height + 0.55, "step 1 · import the data", color=blue, **step)
    y = top_row + row_height
    diagrams.label(ax, x0 + 0.4, y - 0.55, "tensors in memory", color=blue, weight="bold", ha="left")
    for i in reversed(range(3)):  # a stack of images
        _thumb(ax, ex["batch"][i], x0 + 0.5 + 0.3 * i, y - 1.1 - 0.3 * i, 1.5, blue, 2 - 0.1 * i)
    diagrams.label(ax, x0 + 2.9, y - 1.95, f"images ({N_ITEMS:,}, 1, 8, 8)\nlabels ({N_ITEMS:,},)",
                   ha="left", size=10, family=MONO)
    y_or = top_row + 4.3
    ax.plot([x0 + 0.4, x0 + w0 - 0.4], [y_or, y_or], color=diagrams.COLORS["muted"], lw=0.8,
            linestyle=(0, (3, 2)))
    diagrams.label(ax, x0 + w0 / 2, y_or, " or ", size=10, color=diagrams.COLORS["muted"],
                   bbox={"facecolor": diagrams.FILLS["input"], "edgecolor": "none", "pad": 1})
    diagrams.label(ax, x0 + 0.4, y_or - 0.7, "PNG files, one folder per class", color=blue, weight="bold",
                   ha="left")
    from ..datasets import image_file_name  # the names write_image_folder gives (torch: import late)

    names = {index: image_file_name(index, N_ITEMS) for index in (0, 9, 10, 19)}
    tree = f"digits/\n├─ 0/  {names[0]}  {names[10]} …\n│   …\n└─ 9/  {names[9]}  {names[19]} …"
    diagrams.label(ax, x0 + 0.5, top_row + 1.8, tree, ha="left", size=9.5, family=MONO, linespacing=1.35)

    # Steps 2 to 4: the Dataset, with the transform inside.
    x1, w1 = 10.6, 13.4
    _box(ax, x1, top_row, w1, row_height, "kernel")
    diagrams.label(ax, x1, top_row + row_height + 0.55, "steps 2 and 4 · a Dataset class, created with the "
                   "data and the transform", color=orange, **step)
    lines = [("len(dataset)", f"→ {N_ITEMS:,}, one item per image"),
             ("dataset[i]", "→ __getitem__(i):"),
             ("", "1. read image i and its label (a file is opened now)"),
             ("", "2. image = transform(image)"),
             ("", "3. return image, label")]
    for row, (code, text) in enumerate(lines):
        y = top_row + row_height - 0.7 - 0.78 * row
        if code:
            diagrams.label(ax, x1 + 0.4, y, code, ha="left", size=10.5, family=MONO, weight="bold")
        mono = text.startswith("→ __")
        diagrams.label(ax, x1 + (3.3 if code == "len(dataset)" else 2.8 if code else 0.8), y, text,
                       ha="left", size=10.5, family=MONO if mono else None)
    xt, yt, wt, ht = x1 + 0.35, top_row + 0.3, w1 - 0.7, 2.8
    _box(ax, xt, yt, wt, ht, "product", lw=1.3, zorder=0.7)
    diagrams.label(ax, xt + 0.3, yt + ht - 0.35, "step 3 · the transform: random, at every draw",
                   color=dark_sand, weight="bold", ha="left", size=10.5)
    size, top = 1.5, yt + ht - 0.7
    _thumb(ax, ex["item"], xt + 0.5, top, size, orange)
    diagrams.label(ax, xt + 0.5 + size / 2, yt + 0.35, "stored", size=9, color=diagrams.COLORS["muted"])
    for j, view in enumerate(ex["views"]):
        xv = xt + 3.6 + j * 2.5
        if j == 0:
            diagrams.arrow(ax, (xt + 0.6 + size, top - size / 2), (xv - 0.1, top - size / 2), color=dark_sand,
                           lw=1.3, mutation=10)
        _thumb(ax, view, xv, top, size, sand)
        diagrams.label(ax, xv + size / 2, yt + 0.35, f"draw {j + 1}", size=9, color=diagrams.COLORS["muted"])
    diagrams.label(ax, xt + 8.7, yt + 1.25, "the same item i:\na new view at every\ndraw; len unchanged",
                   ha="left", size=9.5, color=dark_sand)

    # One item.
    x2 = 25.4
    diagrams.arrow(ax, (x1 + w1 + 0.1, 14.0), (x2 - 0.1, 14.0), color=orange, lw=2)
    diagrams.label(ax, x2, top_row + row_height - 0.6, "one item: (image, label)", color=orange,
                   weight="bold",
                   ha="left")
    _thumb(ax, ex["views"][0], x2 + 0.6, 15.6, 2.6, orange)
    diagrams.label(ax, x2 + 3.6, 14.3, f"label\n{ex['label']}", ha="left", size=12, weight="bold")
    diagrams.label(ax, x2 + 0.1, 12.2, "image: (1, 8, 8) float32\nlabel: an int", ha="left", size=10,
                   family=MONO)

    # Step 5: the DataLoader.
    x3, y3, w3, h3 = 0.4, 1.0, 20.6, 6.4
    _box(ax, x3, y3, w3, h3, "output")
    diagrams.label(ax, x3, y3 + h3 + 0.55, f"step 5 · DataLoader(dataset, batch_size={BATCH}, shuffle=True, "
                   "generator=seeded)", color=purple, **step)
    diagrams.label(ax, x3 + 0.4, y3 + h3 - 0.6, f"sampler: the seeded generator shuffles 0 … {N_ITEMS - 1:,},"
                   " a new order every epoch", ha="left", size=10.5)
    pitch, y_cells = 1.42, y3 + h3 - 1.95
    for j in range(9):
        text = "…" if j == 8 else str(ex["order"][j])
        ax.add_patch(Rectangle((x3 + 0.5 + j * pitch, y_cells), 1.36, 0.8, facecolor="white",
                               edgecolor=purple, linewidth=1, zorder=1))
        diagrams.label(ax, x3 + 0.5 + j * pitch + 0.68, y_cells + 0.4, text, size=9.5, family=MONO)
    diagrams.label(ax, x3 + 0.5 + 9 * pitch + 0.1, y_cells + 0.4, f"← {BATCH} indices:\n    one batch",
                   ha="left", size=10, color=purple)
    diagrams.label(ax, x3 + 0.4, y3 + 2.6, f"fetch: dataset[{ex['order'][0]}], dataset[{ex['order'][1]}], …",
                   ha="left", size=10.5)
    diagrams.label(ax, x3 + 0.4, y3 + 0.6, f"{N_ITEMS:,} items ÷ {BATCH} = {n_full} full batches + one of "
                   f"{rest}: {n_batches} batches per epoch ({n_full} with drop_last=True)", ha="left",
                   size=10, color=diagrams.COLORS["muted"])
    xc, yc, wc, hc = 14.4, y3 + 1.3, 6.2, 2.4
    _box(ax, xc, yc, wc, hc, "output", lw=1.3, zorder=0.7)
    ax.add_patch(FancyBboxPatch((xc, yc), wc, hc, boxstyle="round,pad=0,rounding_size=0.3",
                                facecolor="white", edgecolor=purple, linewidth=1.3, zorder=0.7))
    diagrams.label(ax, xc + 0.3, yc + hc - 0.5, "collate_fn", ha="left", family=MONO, weight="bold",
                   size=10.5)
    diagrams.label(ax, xc + 0.3, yc + 0.85, f"default_collate stacks\nthe {BATCH} items into tensors",
                   ha="left", size=10)
    # Indices go up to the Dataset; items come back down, one by one, to be collated.
    diagrams.arrow(ax, (16.8, y3 + h3 + 0.05), (16.8, top_row - 0.05), color=purple, lw=1.6,
                   linestyle=(0, (4, 2)))
    diagrams.label(ax, 17.0, top_row - 0.75, "index i", size=10, color=purple, ha="left")
    x_path, y_path = 27.0, 8.55
    ax.plot([x_path, x_path, xc + wc - 1.6], [11.35, y_path, y_path], color=orange, lw=1.8,
            solid_joinstyle="round", zorder=5)
    diagrams.arrow(ax, (xc + wc - 1.6, y_path), (xc + wc - 1.6, yc + hc + 0.05), color=orange, lw=1.8,
                   shrink=0)
    diagrams.label(ax, 21.4, y_path + 0.4, f"{BATCH} items, one by one", size=10, color=orange, ha="left")

    # The batch, and the model.
    x4, top4, s4 = 22.6, 7.0, 2.3
    diagrams.arrow(ax, (xc + wc + 0.15, yc + hc / 2 + 0.6), (x4 - 0.15, yc + hc / 2 + 0.6), color=purple,
                   lw=2)
    for i in reversed(range(4)):
        _thumb(ax, ex["batch"][i], x4 + 0.32 * i, top4 - 0.32 * i, s4, purple, 2 - 0.1 * i)
    diagrams.label(ax, x4, top4 + 0.45, "a batch", color=purple, weight="bold", ha="left")
    diagrams.label(ax, x4 - 0.1, 2.0, f"images ({BATCH}, 1, 8, 8)\nlabels ({BATCH},)", ha="left", size=10.5,
                   family=MONO)
    x5, y5 = 29.4, 3.7
    diagrams.arrow(ax, (x4 + s4 + 1.2, y5 + 1.25), (x5 - 0.15, y5 + 1.25), color=purple, lw=2)
    _box(ax, x5, y5, 4.2, 2.5, "bias")
    diagrams.label(ax, x5 + 2.1, y5 + 1.25, "model\n(a tiny CNN)", color=teal, weight="bold")
    diagrams.label(ax, x5 + 2.1, y5 - 0.95, f"scores\n({BATCH}, 10)", size=10.5, family=MONO)
    return fig
