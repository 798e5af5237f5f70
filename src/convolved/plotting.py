"""Plots the notebooks and explorers share: images, feature maps, kernels, signals.

Every function builds a ``matplotlib.figure.Figure`` without pyplot, so nothing is drawn twice
in a notebook: make it the cell's last expression (or ``display`` it) to show it, or turn it into
PNG bytes with :func:`to_png` for a widget.
"""

from __future__ import annotations

import io
import math
import struct
import weakref
import zlib

import numpy as np
from isal import isal_zlib
from matplotlib.colorbar import make_axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from PIL import Image

from .diagrams import MINUS, CellTexts

__all__ = [
    "draw_image",
    "draw_kernel",
    "image_array",
    "feature_maps",
    "image_grid",
    "kernel_grid",
    "plot_signals",
    "plot_timings",
    "show_image",
    "to_jpeg",
    "to_png",
]

DIVERGING = "RdBu_r"  # feature maps and kernels: red positive, blue negative, white zero


def image_array(image) -> np.ndarray:
    """A tensor or array as the (H, W) or (H, W, C) array ``imshow`` takes; the dtype is kept.

    Accepts (H, W), (H, W, C), (C, H, W) and a batch of one (1, C, H, W). A torch tensor is
    always (C, H, W), as torch stores images; an array is taken as (C, H, W) only when its
    first axis has 1 or 3 entries and its last does not. A single channel is squeezed out.

    >>> image_array(np.zeros((1, 3, 4, 5))).shape
    (4, 5, 3)
    >>> image_array(np.zeros((8, 8, 1))).shape
    (8, 8)
    """
    is_tensor = hasattr(image, "detach")
    array = image.detach().cpu().numpy() if is_tensor else np.asarray(image)
    if array.ndim == 4:
        if array.shape[0] != 1:
            raise ValueError(f"image must be a single image, got a batch of shape {array.shape}")
        array = array[0]
    if array.ndim == 3 and array.shape[0] in (1, 3) and (is_tensor or array.shape[-1] not in (3, 4)):
        array = array.transpose(1, 2, 0)  # CHW → HWC
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or 3-D, got shape {array.shape}")
    return array


def draw_image(ax, image, title=None, cmap="gray", vmin=None, vmax=None, symmetric=False,
               colorbar=False):
    """Draw one image on ``ax``; ``symmetric`` centres a diverging scale on zero."""
    array = image_array(image).astype(np.float32)
    if symmetric:
        limit = float(np.abs(array).max()) or 1.0
        vmin, vmax, cmap = -limit, limit, DIVERGING if cmap == "gray" else cmap
    if array.ndim == 3:
        array = np.clip(array, 0, 1)
    shown = _show(ax, array, cmap, vmin, vmax)
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    if title:
        _title(ax, title)
    if colorbar:
        _colour_bar(ax, shown)
    return shown


_BARS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # axes → the colour bar beside it


def _colour_bar(ax, shown) -> AxesImage:
    """A colour bar beside ``ax`` for its image ``shown``: the colour map's gradient as a picture,
    numbered on the right, following the image's scale and colour map as they change. An axes
    that has one already keeps it, made to follow ``shown``.

    It looks like Matplotlib's ``Colorbar`` (whose place beside ``ax`` it takes, through
    ``make_axes``), but a new scale only stretches the gradient over the new range: a
    ``Colorbar`` rebuilt its mesh, ticks and scale, a sixth of notebook 01's explorer redraw.
    """
    bar = _BARS.get(ax)
    if bar is None:
        cax, _ = make_axes(ax, fraction=0.046, pad=0.04)
        steps = 256  # as many as the course's colour maps have: one band per colour
        bar = cax.imshow(((np.arange(steps) + 0.5) / steps)[:, None], origin="lower", aspect="auto",
                         interpolation="none", vmin=0.0, vmax=1.0)
        cax.xaxis.set_visible(False)  # the bar's width has no ticks (see draw_kernel)
        cax.yaxis.tick_right()
        # The bar has no label, so nothing to place beside its numbers: at a fixed position,
        # drawing the bar does not measure every number first (2 ms of an explorer's redraw).
        cax.yaxis.set_label_coords(1, 0.5)
        _BARS[ax] = bar
    if getattr(bar, "follows", None) is not shown:
        def follow(*_) -> None:
            if bar.follows is shown:
                low, high = shown.get_clim()
                if low is None or high is None or not np.isfinite([low, high]).all():
                    return  # an image with no values: nothing to number
                if not high > low:  # an image of one value: a range around it, as Colorbar gives
                    pad = 0.1 * abs(low) or 0.1
                    shown.set_clim(low - pad, high + pad)  # (which calls follow again)
                    return
                bar.set_cmap(shown.get_cmap())
                bar.set_extent((0, 1, low, high))

        bar.follows = shown
        shown.callbacks.connect("changed", follow)
        follow()
    return bar


def _show(ax, array, cmap, vmin=None, vmax=None):
    """``ax.imshow(array, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="none")``, or, in a figure
    emptied by :func:`clear_pictures`, the image it kept on ``ax`` showing ``array`` instead.

    An explorer redraws the same axes at every change: giving an image new pixels, colour map and
    scale costs a tenth of making a new one (about 1 ms). A kept image of another shape is
    replaced, as are any others kept on ``ax``.
    """
    kept = [image for image in ax.images if not image.get_visible()]
    if kept and kept[0].get_array().shape == array.shape:
        shown = kept.pop(0)
        shown.set_data(array)
        if shown.get_cmap().name != getattr(cmap, "name", cmap):
            shown.set_cmap(cmap)
        # The new scale, autoscaled where a limit is None as imshow does, set on the image's own
        # norm in one step: a colour bar that follows the image moves once.
        scale = Normalize(vmin, vmax)
        scale.autoscale_None(shown.get_array())
        shown.set_clim(scale.vmin, scale.vmax)
        shown.set_visible(True)
    else:
        shown = ax.imshow(array, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="none")
    for image in kept:
        image.remove()
    return shown


def grid_figure(count: int, ncols: int | None = None, size: float = 2.6, suptitle: bool = False,
                colorbar: bool = False) -> Figure:
    """An empty figure with axes for ``count`` images in rows of ``ncols`` (at most 4 by default),
    as :func:`image_grid` draws them; ``suptitle`` leaves room for a title above.

    >>> len(grid_figure(6).axes)  # two rows of 4, the last two turned off
    8
    """
    ncols = min(count, ncols or 4)
    nrows = math.ceil(count / ncols)
    extra = 0.35 if colorbar else 0.0
    fig = Figure(figsize=(ncols * (size + extra), nrows * size + (0.4 if suptitle else 0.1)),
                 layout="constrained")
    for i, ax in enumerate(fig.subplots(nrows, ncols, squeeze=False).ravel()):
        if i >= count:
            ax.axis("off")
    return fig


def clear_pictures(fig: Figure) -> Figure:
    """Remove what a figure's axes show (texts, shapes, lines) and blank their titles, keeping
    the axes, their limits and their frames. Images are hidden, kept for :func:`draw_image` to
    show the next picture's pixels in. Colour bars stay as they are: they follow their image.

    An explorer draws its next picture into the figure of the last one: making axes costs more
    than drawing them, a third to a half of a redraw.
    """
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":  # the label Matplotlib gives the axes it makes for one
            continue
        for image in ax.images:
            image.set_visible(False)
        for artist in [*ax.texts, *ax.patches, *ax.collections, *ax.lines, *ax.artists]:
            artist.remove()
        for side in ("center", "left", "right"):
            if ax.get_title(loc=side):  # (setting a title, even an empty one, costs 0.1 ms)
                ax.set_title("", loc=side)
    return fig


def image_grid(images, titles=None, ncols=None, size=2.6, suptitle=None, fig=None, **draw_options):
    """A row (or grid) of images with titles; options go to :func:`draw_image`.

    An option given as a list applies per image: ``symmetric=[False, True]``. ``fig``: draw
    into this figure from :func:`grid_figure` (as many images, no colour bars), emptied first,
    instead of a new one.
    """
    images = list(images)
    if not images:
        raise ValueError("images must contain at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image ({len(images)}), got {len(titles)}")
    if fig is None:
        fig = grid_figure(len(images), ncols, size, bool(suptitle),
                          bool(np.any(draw_options.get("colorbar", False))))
    else:
        clear_pictures(fig)
    for i, (ax, image) in enumerate(zip(fig.axes, images, strict=False)):  # more axes than images: off
        options = {key: value[i] if isinstance(value, list) else value
                   for key, value in draw_options.items()}
        draw_image(ax, image, titles[i] if titles else None, **options)
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    return fig


def show_image(image, title=None, size=4.0, **draw_options):
    """One image in its own figure."""
    return image_grid([image], [title] if title else None, size=size, **draw_options)


def feature_maps(maps, titles=None, ncols=None, size=2.6, suptitle=None):
    """Feature maps on a diverging scale centred on zero (positive red, negative blue)."""
    return image_grid(maps, titles, ncols, size, suptitle, symmetric=True, colorbar=True)


def draw_kernel(ax, kernel, title=None, annotate=True, limit=None):
    """A small kernel as coloured cells with its numbers written in."""
    k = image_array(kernel) if np.ndim(kernel) > 1 else np.asarray(kernel)[None]  # a 1-D kernel: one row
    k = k.astype(np.float32)
    limit = limit or float(np.abs(k).max()) or 1.0
    _show(ax, k, DIVERGING, -limit, limit)  # interpolation "none": sharp cells
    if annotate and k.size <= 49:
        # Two artists (white numbers on deep colours, black on pale), not one Text per cell:
        # notebook 01's explorer draws this kernel at every change.
        numbers: dict[str, list] = {"white": [], "black": []}
        for (i, j), value in np.ndenumerate(k):
            shown = round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0
            text = (f"{shown:g}" if shown == int(shown) else f"{shown:.2f}").replace("-", MINUS)
            numbers["white" if abs(value) > 0.6 * limit else "black"].append((j, i, text))
        for color, items in numbers.items():
            if items:
                ax.add_artist(CellTexts(items, fontsize=9, color=color))
    # No ticks, so no axes to draw: a hidden axis also skips placing its (empty) label, which
    # cost an explorer's redraw about 1.5 ms per axis.
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    if title:
        _title(ax, title)


def _title(ax, title: str) -> None:
    """The title of an axes with no ticks, put at its top (y=1, where Matplotlib puts it too).

    Placed by default, a title is moved above whatever the axes show on top (ticks, labels) at
    every draw, which measures them: 0.3 ms per title in each of an explorer's redraws. An axes
    with no ticks has nothing on top, so the place is the same.
    """
    ax.set_title(title, fontsize=10, y=1.0)


def kernel_grid(weight, size=1.4, suptitle=None):
    """Every kernel of a conv weight (out, in, kH, kW): one row per output channel."""
    if hasattr(weight, "detach"):
        weight = weight.detach().cpu().numpy()
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 4:
        raise ValueError(f"weight must have shape (out, in, kH, kW), got {w.shape}")
    fig = Figure(figsize=(w.shape[1] * size + 0.6, w.shape[0] * size + 0.4), layout="constrained")
    axes = fig.subplots(w.shape[0], w.shape[1], squeeze=False)
    limit = float(np.abs(w).max()) or 1.0
    for (o, i), ax in np.ndenumerate(axes):
        draw_kernel(ax, w[o, i], f"out {o}, in {i}", annotate=w.shape[-1] <= 5, limit=limit)
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    return fig


def plot_signals(signals: dict, title=None, size=(8.0, 2.6), xlabel="position", offsets=None):
    """1-D signals as lines with markers, one panel each, sharing the x axis.

    ``offsets`` maps a label to a shift along x: draw a valid convolution's output at
    (k - 1) / 2 to put each value under the centre of its window.
    """
    offsets = offsets or {}
    fig = Figure(figsize=(size[0], size[1] * len(signals)), layout="constrained")
    axes = fig.subplots(len(signals), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, values) in zip(axes, signals.items(), strict=True):
        values = np.asarray(values.detach() if hasattr(values, "detach") else values).ravel()
        ax.plot(np.arange(len(values)) + offsets.get(label, 0), values, marker="o", markersize=3,
                linewidth=1.2)
        ax.axhline(0, color="0.7", linewidth=0.8)
        ax.set_ylabel(label, fontsize=9)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel(xlabel)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def to_png(fig, dpi=80, compress_level=1) -> bytes:
    """PNG bytes of a figure, without metadata, so the same figure gives the same bytes.

    Drawn once on an Agg canvas (``savefig`` draws a figure with a layout engine twice), the
    figure's own if it has one (an explorer's keeps its renderer between pictures), and lightly
    compressed, as an explorer sends one at every change. Each row is stored as its difference
    from the row above (PNG's "Up" filter, one NumPy subtraction), which compresses as well as the
    per-row filter choice Pillow makes, in half the time. The rows are deflated by ISA-L
    (``compress_level`` 0–3), ten times as fast as zlib's quickest level for files about as small:
    zlib took a fifth of notebook 04's redraw.
    """
    image = _drawn(fig, dpi)
    width, height = image.size
    pixels = np.frombuffer(image.tobytes("raw", "RGB"), np.uint8).reshape(height, 3 * width)
    rows = np.empty((height, 1 + 3 * width), np.uint8)
    rows[:, 0] = 2  # filter type "Up"
    rows[0, 1:] = pixels[0]
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:, 1:])  # modulo 256, as PNG wants

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, not interlaced
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", isal_zlib.compress(rows, compress_level)) + chunk(b"IEND", b""))


def to_jpeg(fig, dpi=80, quality=90) -> bytes:
    """JPEG bytes of a figure, for pictures that are mostly photos: at quality 90, without
    chroma subsampling, the texts and lines look as they do in the PNG, the file is a third of
    the PNG's and is made four times as fast (an explorer sends one at every change).

    >>> from matplotlib.figure import Figure
    >>> to_jpeg(Figure(figsize=(1, 1)))[:3]  # JPEG's start-of-image marker
    b'\\xff\\xd8\\xff'
    """
    out = io.BytesIO()
    _drawn(fig, dpi).save(out, "JPEG", quality=quality, subsampling=0)
    return out.getvalue()


def _drawn(fig, dpi) -> Image.Image:
    """The figure drawn once on an Agg canvas, as an RGB image: the canvas's own pixels, read as
    "RGBX" (RGB padded to four bytes, as Pillow keeps RGB), so that nothing is copied. JPEG
    takes it as RGB, and ``tobytes("raw", "RGB")`` packs it for the PNG: its rows are ready six
    times as fast as through a conversion to RGB and NumPy's copy of that."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    # Opaque, so alpha, which the fourth byte now stands for, adds nothing.
    return Image.frombuffer("RGBX", rgba.shape[1::-1], rgba, "raw", "RGBX", 0, 1)


def plot_timings(timings: dict, sizes, xlabel="kernel size k (k×k)", title=None):
    """Run times of several methods against a size, on a log scale (from ``speed.race``)."""
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.subplots()
    for name, seconds in timings.items():
        ax.plot(sizes, np.asarray(seconds) * 1e3, marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("time (ms, log scale)")
    ax.set_xticks(list(sizes))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    if title:
        ax.set_title(title, fontsize=11)
    return fig
