"""Every figure file of the course, drawn from code: ``python -m convolved.figures [OUT_DIR]``.

Each figure is a function that returns a :class:`matplotlib.figure.Figure`, registered under its
file name (without ``.png``) by the :func:`figure` decorator. The first paragraph of its
docstring, one sentence saying what the figure shows, is the figure's alt text (:data:`ALT_TEXT`,
:func:`alt_text`, :func:`markdown`). Every number drawn in a figure is computed with
:mod:`convolved.ops`, so a figure cannot show wrong arithmetic.

The build is deterministic: fixed sizes and dpi, fixed random seeds, and no metadata text in the
PNG files, so building twice gives byte-identical files (the tests check this against
``images/``; run ``python -m convolved.figures`` and commit the PNGs after changing a figure).
To add a figure, write a function and decorate it::

    @figure("02_padding")
    def padding_figure() -> Figure:
        \"\"\"Zero padding: a 5×5 image framed by zeros, and the output that keeps its size.\"\"\"
        fig, ax = _canvas(12, 6)
        ...
        return fig
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, Polygon, Rectangle

from . import ops

__all__ = [
    "ALT_TEXT",
    "DEFAULT_OUT_DIR",
    "FIGURES",
    "alt_text",
    "build",
    "figure",
    "main",
    "markdown",
    "render",
]

DEFAULT_OUT_DIR = Path(__file__).resolve().parents[2] / "images"
DPI = 110
SEED = 20240917

FIGURES: dict[str, Callable[[], Figure]] = {}
"""Figure name (the PNG file name without extension) → function that draws it."""

ALT_TEXT: dict[str, str] = {}
"""Figure name → alt text (the first paragraph of the drawing function's docstring)."""


def figure(name: str) -> Callable[[Callable[[], Figure]], Callable[[], Figure]]:
    """Register a drawing function as the figure ``images/<name>.png``."""

    def register(func: Callable[[], Figure]) -> Callable[[], Figure]:
        if name in FIGURES:
            raise ValueError(f"figure {name!r} is already registered")
        doc = (func.__doc__ or "").strip()
        if not doc:
            raise ValueError(f"figure {name!r} needs a docstring: it is the figure's alt text")
        FIGURES[name] = func
        ALT_TEXT[name] = " ".join(line.strip() for line in doc.split("\n\n")[0].splitlines())
        return func

    return register


def alt_text(name: str) -> str:
    """The alt text of a registered figure."""
    if name not in ALT_TEXT:
        raise KeyError(f"unknown figure {name!r}; known: {', '.join(sorted(ALT_TEXT))}")
    return ALT_TEXT[name]


def markdown(name: str, prefix: str = "../images") -> str:
    """The Markdown that embeds a figure in a notebook: ``![alt text](../images/NAME.png)``."""
    return f"![{alt_text(name)}]({prefix}/{name}.png)"


# ----------------------------------------------------------------------------------------------
# Style: one palette and one rc context for every figure

COLORS = {
    "input": "#4C72B0",  # blue
    "kernel": "#DD8452",  # orange
    "product": "#B8A44C",  # sand
    "output": "#8172B3",  # purple
    "bias": "#2A9D8F",  # teal
    "text": "#222222",
    "muted": "#8A8A8A",
    "grid": "#5A5A5A",
    "R": "#C44E52",
    "G": "#55A868",
    "B": "#4C72B0",
}
FILLS = {
    "input": "#E3EAF5",
    "kernel": "#FBE5D3",
    "product": "#F4EFD6",
    "output": "#ECE8F5",
    "bias": "#D7F0EC",
    "empty": "#FFFFFF",
    "R": "#F6DCDD",
    "G": "#DDF0E1",
    "B": "#DCE5F3",
}

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.unicode_minus": True,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "text.color": COLORS["text"],
    "image.interpolation": "nearest",
    "path.simplify": False,
    "svg.hashsalt": "convolved",
}

MINUS = "\N{MINUS SIGN}"
TIMES = "\N{MULTIPLICATION SIGN}"
DOT = "\N{MIDDLE DOT}"


def _fmt(value: float, decimals: int = 2) -> str:
    """A number as drawn: integers without decimals, a real minus sign."""
    text = f"{float(value):.{decimals}f}".rstrip("0").rstrip(".")
    return ("0" if text == "-0" else text).replace("-", MINUS)


def _term(value: float) -> str:
    """A number inside an expression: negative numbers in parentheses."""
    return f"({_fmt(value)})" if value < 0 else _fmt(value)


def _canvas(width: float, height: float, scale: float = 0.45) -> tuple[Figure, Axes]:
    """A figure with one invisible axes in drawing units (y up), ``scale`` inches per unit."""
    fig = Figure(figsize=(width * scale, height * scale), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _grid(ax, values, x: float, top: float, *, cell: float = 1.0, kind: str = "input",
          fill=None, fontsize: float = 11, show_values: bool = True, weight: str = "normal",
          edge: str | None = None, text_color: str | None = None) -> None:
    """Draw a 2-D array as a grid of cells with numbers; row 0 at the top, left edge at ``x``.

    ``fill`` overrides the fill colour: one colour, or an array of colours (None = kind's fill).
    ``values`` may contain None (NaN) for cells drawn empty.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[None]
    rows, cols = values.shape
    edge = edge or COLORS["grid"]
    for r in range(rows):
        for c in range(cols):
            color = FILLS[kind]
            if isinstance(fill, str):
                color = fill
            elif fill is not None and fill[r][c] is not None:
                color = fill[r][c]
            x0, y0 = x + c * cell, top - (r + 1) * cell
            ax.add_patch(Rectangle((x0, y0), cell, cell, facecolor=color, edgecolor=edge,
                                   linewidth=0.8, zorder=1))
            v = values[r, c]
            if show_values and not np.isnan(v):
                ax.text(x0 + cell / 2, y0 + cell / 2, _fmt(v), ha="center", va="center",
                        fontsize=fontsize, weight=weight, color=text_color or COLORS["text"],
                        zorder=3)


def _frame(ax, x: float, top: float, rows: int, cols: int, *, cell: float = 1.0,
           color: str = COLORS["kernel"], lw: float = 3.0, zorder: float = 4) -> None:
    """A thick outline around a block of ``rows`` × ``cols`` cells (a window or a cell)."""
    ax.add_patch(Rectangle((x, top - rows * cell), cols * cell, rows * cell, fill=False,
                           edgecolor=color, linewidth=lw, zorder=zorder, joinstyle="miter"))


def _arrow(ax, start, end, *, color: str = COLORS["grid"], lw: float = 1.5,
           style: str = "-|>", mutation: float = 14, connection: str = "arc3",
           shrink: float = 2.0, zorder: float = 5, linestyle: str = "-") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=mutation,
                                 color=color, linewidth=lw, connectionstyle=connection,
                                 shrinkA=shrink, shrinkB=shrink, zorder=zorder,
                                 linestyle=linestyle))


def _label(ax, x: float, y: float, text: str, *, color: str = COLORS["text"], size: float = 11,
           weight: str = "normal", ha: str = "center", va: str = "center", **kwargs) -> None:
    ax.text(x, y, text, ha=ha, va=va, fontsize=size, weight=weight, color=color, **kwargs)


def _tints(shape, cells, color) -> list[list[str | None]]:
    """A fill array for :func:`_grid`: ``color`` at the (row, col) ``cells``, None elsewhere."""
    out: list[list[str | None]] = [[None] * shape[1] for _ in range(shape[0])]
    for r, c in cells:
        out[r][c] = color
    return out


def _window_cells(row: int, col: int, k: int) -> list[tuple[int, int]]:
    return [(row + a, col + b) for a in range(k) for b in range(k)]


# ----------------------------------------------------------------------------------------------
# Shared example data of lesson 01 (small integers, so every sum can be checked by hand)

SIGNAL_1D = np.array([2, 0, 1, 3, 1, 4, 2, 0, 1], dtype=float)
KERNEL_1D = np.array([1, 2, -1], dtype=float)

IMAGE_2D = np.array([
    [3, 1, 0, 2, 4, 1],
    [2, 5, 1, 0, 3, 2],
    [3, 2, 0, 1, 1, 0],
    [1, 0, 3, 5, 2, 1],
    [4, 2, 1, 0, 2, 3],
    [1, 3, 0, 2, 1, 4],
], dtype=float)
KERNEL_2D = np.array([
    [1, 0, -1],
    [2, 0, -2],
    [1, 0, -1],
], dtype=float)
POSITION_2D = (1, 0)  # the output pixel that figures 2 and 5 compute in detail
BIAS_2D = -2.0


def _rgb_example() -> tuple[np.ndarray, np.ndarray]:
    """A 3-channel 5×5 input and one 3×3×3 kernel with small integers."""
    rng = np.random.default_rng(SEED)
    image = rng.integers(0, 5, size=(3, 5, 5)).astype(float)
    kernel = rng.integers(-1, 3, size=(3, 3, 3)).astype(float)
    return image, kernel


# ----------------------------------------------------------------------------------------------
# Lesson 01: what a convolution computes


@figure("01_convolution_1d")
def convolution_1d() -> Figure:
    """1-D convolution: a 3-tap kernel (1, 2, −1) slides over a 9-number signal; at position 3
    it computes 1·3 + 2·1 + (−1)·4 = 1, and the output has 9 − 3 + 1 = 7 numbers.
    """
    x, w = SIGNAL_1D, KERNEL_1D
    y = ops.correlate(x, w)
    n, k, i = len(x), len(w), 3
    left = 3.0  # first signal cell
    fig, ax = _canvas(left + n + 0.5, 8.0, scale=0.6)

    top_in, top_k, top_out = 6.6, 4.9, 2.6
    ax.text(left + i + 1.5, 7.35, "window", ha="center", va="center", fontsize=10,
            color=COLORS["kernel"], weight="bold")
    for j in range(n):  # indices above the signal
        _label(ax, left + j + 0.5, top_in + 0.3, str(j), size=9, color=COLORS["muted"])
    tint = [[FILLS["kernel"] if i <= j < i + k else None for j in range(n)]]
    _grid(ax, x, left, top_in, kind="input", fill=tint, fontsize=13)
    _frame(ax, left + i, top_in, 1, k)
    _grid(ax, w, left + i, top_k, kind="kernel", fontsize=13, weight="bold")
    for t in range(k):  # "×" between each signal value and its weight
        _label(ax, left + i + t + 0.5, (top_in - 1 + top_k) / 2, TIMES, size=12,
               color=COLORS["muted"])
        _arrow(ax, (left + i + t + 0.5, top_k - 1), (left + i + 1.2 + 0.3 * t, top_out),
               color=COLORS["kernel"], lw=1.3, mutation=11)
    _label(ax, left + i + k - 0.2, (top_k - 1 + top_out) / 2 + 0.15, "multiply, then add",
           size=10, color=COLORS["kernel"], ha="left", style="italic")
    # Output j sits under the centre of its window: the row is k − 1 cells shorter.
    out_left = left + (k - 1) / 2
    _grid(ax, y, out_left, top_out, kind="output", fontsize=13)
    _frame(ax, out_left + i, top_out, 1, 1, color=COLORS["output"])
    for j in range(len(y)):
        _label(ax, out_left + j + 0.5, top_out - 1.3, str(j), size=9, color=COLORS["muted"])

    label_x = left - 0.35
    _label(ax, label_x, top_in - 0.5, f"input x\nN = {n}", ha="right", color=COLORS["input"],
           weight="bold")
    _label(ax, label_x, top_k - 0.5, f"kernel w\nk = {k}", ha="right", color=COLORS["kernel"],
           weight="bold")
    _label(ax, label_x, top_out - 0.5, f"output y\nN {MINUS} k + 1 = {len(y)}", ha="right",
           color=COLORS["output"], weight="bold")
    terms = " + ".join(f"{_term(a)}{DOT}{_term(b)}" for a, b in zip(w, x[i:i + k], strict=True))
    _label(ax, (left + n + 0.5) / 2 + 0.6, 0.45,
           f"y[{i}] = w{DOT}x[{i}:{i + k}] = {terms} = {_fmt(y[i])}", size=12)
    return fig


def _sum_expression(products: np.ndarray) -> str:
    return " + ".join(_term(p) for p in products.ravel())


@figure("01_convolution_2d_sum")
def convolution_2d_sum() -> Figure:
    """2-D convolution for one output pixel: the 3×3 window of a 6×6 image is multiplied
    elementwise by a 3×3 kernel, and the nine products add up to 5, one pixel of the 4×4
    output.
    """
    image, kernel = IMAGE_2D, KERNEL_2D
    out = ops.correlate(image, kernel)
    (r, c), k = POSITION_2D, kernel.shape[0]
    window = image[r:r + k, c:c + k]
    products = window * kernel
    assert products.sum() == out[r, c]

    fig, ax = _canvas(27.0, 9.8, scale=0.42)
    top_img, top_small = 7.9, 6.4
    mid = top_small - k / 2
    x_img, x_win, x_ker, x_prod, x_out = 0.4, 7.8, 12.0, 16.2, 22.4
    top_out = mid + r + 0.5  # the output row r is level with the products

    _grid(ax, image, x_img, top_img,
          fill=_tints(image.shape, _window_cells(r, c, k), FILLS["kernel"]))
    _frame(ax, x_img + c, top_img - r, k, k)
    for y_off in (0, k):  # dashed guides from the window to its copy
        ax.plot([x_img + c + k, x_win], [top_img - r - y_off, top_small - y_off], ls="--",
                lw=1, color=COLORS["kernel"], zorder=0)
    _grid(ax, window, x_win, top_small, fill=FILLS["kernel"])
    _frame(ax, x_win, top_small, k, k)
    _grid(ax, kernel, x_ker, top_small, kind="kernel", weight="bold")
    _grid(ax, products, x_prod, top_small, kind="product")
    _grid(ax, out, x_out, top_out, kind="output")
    _frame(ax, x_out + c, top_out - r, 1, 1, color=COLORS["output"])

    _label(ax, x_win + k + 0.6, mid, TIMES, size=20)
    _label(ax, x_ker + k + 0.6, mid, "=", size=20)
    _arrow(ax, (x_prod + k + 0.2, mid), (x_out + c, top_out - r - 0.5),
           color=COLORS["output"], lw=2, shrink=1)
    _label(ax, (x_prod + k + x_out) / 2, mid + 0.45, "sum", size=12, color=COLORS["output"],
           weight="bold")

    title_y = top_small + 0.7
    _label(ax, x_img + 3, top_img + 0.7, "input image  6×6", color=COLORS["input"],
           weight="bold")
    _label(ax, x_win + 1.5, title_y, "window", color=COLORS["kernel"], weight="bold")
    _label(ax, x_ker + 1.5, title_y, "kernel  3×3", color=COLORS["kernel"], weight="bold")
    _label(ax, x_prod + 1.5, title_y, "products", color=COLORS["product"], weight="bold")
    _label(ax, x_out + 2, top_out + 0.7, "output  4×4", color=COLORS["output"], weight="bold")
    _label(ax, x_out + 2, top_out - 4.5, f"6 {MINUS} 3 + 1 = 4", color=COLORS["muted"],
           size=10)
    _label(ax, (x_win + x_prod + k) / 2, 0.7,
           f"y[{r}, {c}] = {_sum_expression(products)} = {_fmt(out[r, c])}", size=12)
    return fig


@figure("01_convolution_2d_sliding")
def convolution_2d_sliding() -> Figure:
    """The kernel slides over the image: at steps 1 to 4 the 3×3 window moves one pixel right
    and fills the next pixel of the output's top row; at step 5 it goes back to the left, one
    row down.
    """
    image, kernel = IMAGE_2D, KERNEL_2D
    out = ops.correlate(image, kernel)
    k = kernel.shape[0]
    order = list(np.ndindex(*out.shape))
    steps = range(5)
    panel, gap = 6.0, 1.6
    width = len(steps) * panel + (len(steps) - 1) * gap + 0.6
    fig, ax = _canvas(width, 14.2, scale=0.36)
    top_img, top_out = 12.7, 5.3

    for s in steps:
        r, c = order[s]
        x0 = 0.3 + s * (panel + gap)
        x_out = x0 + (panel - out.shape[1]) / 2
        _label(ax, x0 + panel / 2, top_img + 0.8, f"step {s + 1}: y[{r}, {c}]", size=12,
               weight="bold")
        _grid(ax, image, x0, top_img, fontsize=10,
              fill=_tints(image.shape, _window_cells(r, c, k), FILLS["kernel"]))
        _frame(ax, x0 + c, top_img - r, k, k, lw=2.5)
        values = np.full(out.shape, np.nan)
        fills: list[list[str | None]] = [[None] * out.shape[1] for _ in range(out.shape[0])]
        for done in order[:s + 1]:
            values[done] = out[done]
        for rr, cc in order[s + 1:]:
            fills[rr][cc] = FILLS["empty"]
        _grid(ax, values, x_out, top_out, kind="output", fill=fills, fontsize=10)
        _frame(ax, x_out + c, top_out - r, 1, 1, color=COLORS["output"], lw=2.5)
        # A light beam from the window down to its output pixel, hidden behind the cells.
        beam = [(x0 + c, top_img - r - k), (x0 + c + k, top_img - r - k),
                (x_out + c + 1, top_out - r), (x_out + c, top_out - r)]
        ax.add_patch(Polygon(beam, closed=True, facecolor=FILLS["output"],
                             edgecolor=COLORS["output"], linewidth=1, linestyle="--", zorder=0.5))
        if s < len(steps) - 1:
            _label(ax, x0 + panel + gap / 2, top_img - 3, "\N{RIGHTWARDS ARROW}", size=20,
                   color=COLORS["muted"])
    _label(ax, width / 2, 0.55, f"kernel = {_kernel_text(kernel)}.  The window moves left to "
           "right, then one row down; each position gives the next output pixel.", size=11)
    return fig


def _kernel_text(kernel: np.ndarray) -> str:
    return "[" + "; ".join(" ".join(_fmt(v) for v in row) for row in kernel) + "]"


def _stack(ax, x: float, top: float, colors: Sequence[str], fills: Sequence[str], size: float,
           offset: float = 0.45) -> None:
    """Channel sheets drawn in perspective: the front sheet at (x, top), the others behind it."""
    for i in reversed(range(len(colors))):
        d = i * offset
        ax.add_patch(Rectangle((x + d, top - size + d), size, size, facecolor=fills[i],
                               edgecolor=colors[i], linewidth=1.5, zorder=1 + (3 - i) * 0.1))


@figure("01_convolution_3d")
def convolution_3d() -> Figure:
    """Convolution over channels: a 3×5×5 RGB input and a 3×3×3 kernel with one 3×3 slice per
    channel; each slice multiplies its channel's window, and the three channel sums add up to
    one pixel of a single 3×3 output feature map.
    """
    image, kernel = _rgb_example()
    out = ops.conv2d(image, kernel[None])[0]
    channels, k = image.shape[0], kernel.shape[1]
    r, c = 1, 0
    partial = [float((image[ch, r:r + k, c:c + k] * kernel[ch]).sum()) for ch in range(channels)]
    assert np.isclose(sum(partial), out[r, c])
    names = ["R", "G", "B"]

    fig, ax = _canvas(24.4, 19.0, scale=0.4)
    cell, out_cell = 0.8, 1.1
    x_in, x_ker, x_sum, x_out = 2.0, 7.9, 11.6, 19.4
    plus = np.array([17.2, 8.0])  # the node where the channel sums meet
    radius = 0.6
    row_tops = [14.6, 10.0, 5.4]
    top_out = plus[1] + (r + 0.5) * out_cell  # output row r level with the node

    # Header: the tensors as stacks of channels.
    _stack(ax, x_in + 1.0, 17.8, [COLORS[n] for n in names], [FILLS[n] for n in names], 1.5)
    _label(ax, x_in + 2.0, 15.9, "input\n3 channels of 5×5", color=COLORS["input"],
           weight="bold", va="top")
    _stack(ax, x_ker + 0.6, 17.5, [COLORS[n] for n in names], [FILLS["kernel"]] * 3, 1.0,
           offset=0.3)
    _label(ax, x_ker + 1.2, 15.9, "kernel\n3 slices of 3×3", color=COLORS["kernel"],
           weight="bold", va="top")
    ax.add_patch(Rectangle((x_out + 1.0, 16.3), 1.3, 1.3, facecolor=FILLS["output"],
                           edgecolor=COLORS["output"], linewidth=1.5))
    _label(ax, x_out + 1.65, 15.9, "output\n1 channel of 3×3", color=COLORS["output"],
           weight="bold", va="top")

    for ch, (name, top) in enumerate(zip(names, row_tops, strict=True)):
        mid = top - 2.5 * cell
        _grid(ax, image[ch], x_in, top, cell=cell, fontsize=10, edge=COLORS[name],
              fill=FILLS[name])
        _frame(ax, x_in + c * cell, top - r * cell, k, k, cell=cell, lw=2.5)
        _label(ax, x_in - 0.35, mid, name, color=COLORS[name], size=16, weight="bold", ha="right")
        _label(ax, x_in + 5 * cell + 0.95, mid, TIMES, size=18)
        _grid(ax, kernel[ch], x_ker, mid + 1.5 * cell, cell=cell, kind="kernel", fontsize=10,
              edge=COLORS[name])
        _label(ax, x_ker + 3 * cell + 0.7, mid, "=", size=18)
        ax.add_patch(Rectangle((x_sum, mid - 0.55), 3.0, 1.1, facecolor=FILLS[name],
                               edgecolor=COLORS[name], linewidth=1.5))
        _label(ax, x_sum + 1.5, mid, f"sum = {_fmt(partial[ch])}", size=12)
        start = np.array([x_sum + 3.0, mid])
        direction = (plus - start) / np.linalg.norm(plus - start)
        _arrow(ax, tuple(start), tuple(plus - direction * radius), color=COLORS["output"],
               lw=1.5, shrink=1)

    ax.add_patch(Circle(tuple(plus), radius, facecolor="white", edgecolor=COLORS["output"],
                        linewidth=2))
    _label(ax, *plus, "+", size=20, weight="bold", color=COLORS["output"])
    _arrow(ax, (plus[0] + radius, plus[1]), (x_out + c * out_cell, plus[1]),
           color=COLORS["output"], lw=2, shrink=1)
    _grid(ax, out, x_out, top_out, cell=out_cell, kind="output", fontsize=12)
    _frame(ax, x_out + c * out_cell, top_out - r * out_cell, 1, 1, cell=out_cell,
           color=COLORS["output"])
    _label(ax, x_out + 1.5 * out_cell, top_out - 3 * out_cell - 1.2,
           f"y[{r}, {c}] = {' + '.join(_term(p) for p in partial)}\n= {_fmt(out[r, c])}",
           size=12)
    _label(ax, 12.2, 0.6, "The kernel has as many channels as the input; "
           "one kernel gives one output channel.", size=12, weight="bold")
    return fig


@figure("01_bias_numbers")
def bias_numbers() -> Figure:
    """The bias on numbers: the window times the kernel sums to s = 5, adding the bias b = −2
    gives the output 3, and the same b is added to every pixel of the map.
    """
    image, kernel, b = IMAGE_2D, KERNEL_2D, BIAS_2D
    (r, c), k = POSITION_2D, kernel.shape[0]
    window = image[r:r + k, c:c + k]
    plain = ops.conv2d(image[None], kernel[None, None])[0]
    with_bias = ops.conv2d(image[None], kernel[None, None], bias=np.array([b]))[0]
    s, y = plain[r, c], with_bias[r, c]
    assert y == s + b

    fig, ax = _canvas(20.4, 12.0, scale=0.42)
    top = 11.3
    mid = top - 1.5
    _grid(ax, window, 0.4, top, fill=FILLS["kernel"])
    _frame(ax, 0.4, top, k, k)
    _label(ax, 4.0, mid, TIMES, size=20)
    _grid(ax, kernel, 4.6, top, kind="kernel", weight="bold")

    def box(x: float, value: float, kind: str, caption: str) -> None:
        ax.add_patch(Rectangle((x, mid - 0.7), 1.6, 1.4, facecolor=FILLS[kind],
                               edgecolor=COLORS[kind], linewidth=2.5))
        _label(ax, x + 0.8, mid, _fmt(value), size=16, weight="bold")
        _label(ax, x + 0.8, mid - 1.3, caption, color=COLORS[kind], weight="bold", va="top")

    _label(ax, 8.9, mid + 0.35, "sum", size=11, color=COLORS["muted"])
    _arrow(ax, (8.1, mid), (9.8, mid), color=COLORS["muted"], lw=1.8)
    box(10.0, s, "product", "s")
    _label(ax, 12.3, mid, "+", size=20)
    box(13.0, b, "bias", "bias b")
    _label(ax, 15.3, mid, "=", size=20)
    box(16.0, y, "output", "output")
    _label(ax, 2.0, top - 3.6, "window", color=COLORS["kernel"], weight="bold")
    _label(ax, 6.1, top - 3.6, "kernel", color=COLORS["kernel"], weight="bold")
    terms = " + ".join(_term(v) for v in (window * kernel).ravel())
    _label(ax, 10.2, top - 4.6, f"s = {terms} = {_fmt(s)};   y = s + b = {_fmt(s)} + {_term(b)}"
           f" = {_fmt(y)}", size=11)

    ax.plot([0.4, 20.0], [5.95, 5.95], color="#DDDDDD", lw=1)
    top2, x_a, x_b = 4.9, 3.4, 12.6
    _grid(ax, plain, x_a, top2, kind="product")
    _grid(ax, with_bias, x_b, top2, kind="output")
    _frame(ax, x_a + c, top2 - r, 1, 1, color=COLORS["product"])
    _frame(ax, x_b + c, top2 - r, 1, 1, color=COLORS["output"])
    _arrow(ax, (x_a + 4.4, top2 - 2), (x_b - 0.4, top2 - 2), color=COLORS["bias"], lw=2.2)
    _label(ax, (x_a + 4 + x_b) / 2, top2 - 1.45, f"+ b = {_fmt(b)}", color=COLORS["bias"],
           weight="bold", size=12)
    _label(ax, (x_a + 4 + x_b) / 2, top2 - 2.6, "every pixel", color=COLORS["bias"], size=10)
    _label(ax, x_a - 0.3, top2 - 2, "sums s", ha="right", color=COLORS["product"],
           weight="bold")
    _label(ax, x_b + 4.3, top2 - 2, "output\ns + b", ha="left", color=COLORS["output"],
           weight="bold")
    return fig


def _camera(size: int = 100) -> np.ndarray:
    """skimage's cameraman (shipped with scikit-image), block-averaged to ``size`` pixels, in [0, 1]."""
    from skimage import data

    image = data.camera().astype(float) / 255
    f = image.shape[0] // size
    return image[:size * f, :size * f].reshape(size, f, size, f).mean(axis=(1, 3))


@figure("01_bias_feature_map")
def bias_feature_map() -> Figure:
    """The bias on a feature map: a vertical-edge kernel applied to a photo gives the map z; z
    + b with b = −0.5 is the same map shifted by −0.5 everywhere; after ReLU, z keeps every
    positive response while z + b keeps only the strong edges above 0.5.
    """
    image = _camera()
    kernel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
    b = -0.5
    z = ops.conv2d_fast(image[None], kernel[None, None])[0]
    zb = ops.conv2d_fast(image[None], kernel[None, None], bias=np.array([b]))[0]
    assert np.allclose(zb, z + b)
    relu = np.maximum
    maps = [
        (z, "z = x \N{ASTERISK OPERATOR} k", f"mean {_fmt(z.mean())}"),
        (zb, f"z + b   (b = {_fmt(b)})",
         f"mean {_fmt(zb.mean())}: every value moved by {_fmt(b)}"),
        (relu(z, 0), "ReLU(z)", f"kept where z > 0: {np.mean(z > 0):.0%} of pixels"),
        (relu(zb, 0), "ReLU(z + b)",
         f"kept where z > {_fmt(-b)}: {np.mean(zb > 0):.0%} of pixels"),
    ]
    vmax = 2.0

    fig = Figure(figsize=(10.0, 6.0), dpi=DPI, layout="constrained")
    fig.get_layout_engine().set(h_pad=0.12)
    grid = fig.add_gridspec(2, 4, width_ratios=[1, 1, 1, 0.06])
    ax_img = fig.add_subplot(grid[0, 0])
    ax_img.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax_img.set_title("input x", color=COLORS["input"])
    ax_ker = fig.add_subplot(grid[1, 0])
    ax_ker.set_xlim(-0.2, 3.2)
    ax_ker.set_ylim(-0.9, 3.6)
    ax_ker.set_aspect("equal")
    _grid(ax_ker, kernel, 0, 3, kind="kernel", fontsize=13, weight="bold")
    ax_ker.set_title("kernel k (vertical edges)", color=COLORS["kernel"])
    image_axes = []
    for i, (values, title, note) in enumerate(maps):
        ax = fig.add_subplot(grid[i // 2, 1 + i % 2])
        im = ax.imshow(values, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(title, color=COLORS["output"])
        ax.set_xlabel(note, fontsize=10)
        image_axes.append(ax)
    for ax in (ax_img, ax_ker, *image_axes):
        ax.set_xticks([])
        ax.set_yticks([])
    for spine in ax_ker.spines.values():
        spine.set_visible(False)
    cax = fig.add_subplot(grid[:, 3])
    bar = fig.colorbar(im, cax=cax, extend="both")
    bar.set_label("value (shared scale)")
    return fig


# ----------------------------------------------------------------------------------------------
# Building


def render(name: str) -> Figure:
    """Draw one registered figure (inside the course's style context)."""
    if name not in FIGURES:
        raise KeyError(f"unknown figure {name!r}; known: {', '.join(sorted(FIGURES))}")
    with mpl.rc_context(RC):
        fig = FIGURES[name]()
    FigureCanvasAgg(fig)
    return fig


def build(out_dir: str | Path = DEFAULT_OUT_DIR, names: Iterable[str] | None = None) -> list[Path]:
    """Write the figures ``names`` (default: all) as ``out_dir/<name>.png``; return the paths."""
    out_dir = Path(out_dir)
    names = list(FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise KeyError(f"unknown figure(s) {unknown}; known: {', '.join(sorted(FIGURES))}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        with mpl.rc_context(RC):
            fig = render(name)
            path = out_dir / f"{name}.png"
            # No "Software" text chunk and no timestamp: the bytes depend on the drawing only.
            fig.savefig(path, dpi=DPI, format="png", metadata={"Software": None},
                        pil_kwargs={"optimize": True})
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convolved.figures",
                                     description="Draw the course's figures as PNG files.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT_DIR,
                        help=f"output folder (default: {DEFAULT_OUT_DIR})")
    parser.add_argument("--only", action="append", metavar="NAME", choices=sorted(FIGURES),
                        help="build only this figure (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name in FIGURES:
            print(f"{name}: {ALT_TEXT[name]}")
        return 0
    start = time.perf_counter()
    paths = build(args.out_dir, args.only)
    for path in paths:
        print(f"{path}  ({path.stat().st_size / 1024:.0f} KB)")
    print(f"{len(paths)} figure(s) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
