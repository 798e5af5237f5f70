"""Grid diagrams drawn cell by cell: the style and primitives of the figures and explorers.

One palette (:data:`COLORS`, :data:`FILLS`), one rc context (:data:`RC`), one dpi and one random
seed for every figure, and the pieces the figures are drawn from: a canvas in drawing units, grids
of numbered cells, frames, arrows, labels, channel stacks, and number formatting with real minus
signs. The figures of every notebook (``nb01``, ...) are drawn with these.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex, to_rgb, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text

DPI = 110
SEED = 20240917

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


# ----------------------------------------------------------------------------------------------
# Numbers as drawn


def fmt(value: float, decimals: int = 2) -> str:
    """A number as drawn: integers without decimals, a real minus sign."""
    text = f"{float(value):.{decimals}f}".rstrip("0").rstrip(".")
    return ("0" if text == "-0" else text).replace("-", MINUS)


def term(value: float) -> str:
    """A number inside an expression: negative numbers in parentheses."""
    return f"({fmt(value)})" if value < 0 else fmt(value)


def sum_expression(products: np.ndarray) -> str:
    """The terms of a sum, as drawn: ``3 + 0 + (−2) + ...``."""
    return " + ".join(term(p) for p in products.ravel())


def kernel_text(kernel: np.ndarray) -> str:
    """A 2-D kernel on one line, rows separated by semicolons: ``[1 0 −1; 2 0 −2; 1 0 −1]``."""
    return "[" + "; ".join(" ".join(fmt(v) for v in row) for row in kernel) + "]"


# ----------------------------------------------------------------------------------------------
# Drawing primitives


def add_patch(ax: Axes, patch):
    """``ax.add_patch``, minus what a drawing on fixed axes does not need.

    On axes with fixed limits, updating the data limits is wasted work, and so is clipping
    to the axes: both together cost more than drawing the patch, and an explorer's grid of a few
    hundred cells would spend a tenth of a second on them.
    """
    if ax.get_autoscale_on():
        return ax.add_patch(patch)
    patch.set_clip_on(False)
    return ax.add_artist(patch)


def canvas(width: float, height: float, scale: float = 0.45) -> tuple[Figure, Axes]:
    """A figure with one invisible axes in drawing units (y up), ``scale`` inches per unit."""
    fig = Figure(figsize=(width * scale, height * scale), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def grid(ax, values, x: float, top: float, *, cell: float = 1.0, kind: str = "input",
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
    colors: list[str] = []
    numbers = []
    for r in range(rows):
        for c in range(cols):
            color = FILLS[kind]
            if isinstance(fill, str):
                color = fill
            elif fill is not None and fill[r][c] is not None:
                color = fill[r][c]
            colors.append(color)
            v = values[r, c]
            if show_values and not np.isnan(v):
                numbers.append((x + (c + 0.5) * cell, top - (r + 0.5) * cell, fmt(v)))
    if numbers:
        ax.add_artist(CellTexts(numbers, fontsize=fontsize, weight=weight,
                                color=text_color or COLORS["text"], zorder=3))
    # One collection of squares for all cells: an explorer's few hundred cells as separate
    # patches cost it tens of milliseconds.
    left, bottom = np.meshgrid(x + cell * np.arange(cols), top - cell * np.arange(1, rows + 1))
    # Each distinct colour is converted once (a grid has a handful), not once per cell.
    palette = {color: to_rgba(color) for color in set(colors)}
    ax.add_collection(PolyCollection(boxes(left.ravel(), bottom.ravel(), cell, cell),
                                     facecolors=[palette[color] for color in colors],
                                     edgecolors=edge, linewidths=0.8, zorder=1),
                      autolim=ax.get_autoscale_on())


def boxes(left, bottom, width, height) -> np.ndarray:
    """The corners of rectangles, anticlockwise from the bottom left as a Rectangle's, for a
    ``PolyCollection``: many boxes as one artist, with no ``Rectangle`` made for each (an
    explorer draws a few hundred at every change).

    >>> boxes([0, 2], [0, 0], 1, 2)[1].tolist()
    [[2.0, 0.0], [3.0, 0.0], [3.0, 2.0], [2.0, 2.0]]
    """
    x0, y0, x1, y1 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (
        left, bottom, np.add(left, width), np.add(bottom, height))))
    return np.stack([np.stack(corner, -1) for corner in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))], 1)


class CellTexts(Artist):
    """Many one-line texts in one style, centred on (x, y) points in data units: a grid's numbers.

    Drawn as separate centred ``ax.text`` calls would be, but a few hundred ``Text`` objects
    cost an explorer tens of milliseconds to create and lay out at every change. Here one
    template text is drawn once per distinct string, to learn where Matplotlib puts it relative to
    its centre, and every item is then drawn straight onto the renderer at that offset. The
    offsets are kept (per string, font and resolution): an explorer's next picture shows mostly
    the same numbers, and laying each out again took half of its drawing time.
    """

    _offsets: dict = {}  # (string, font, renderer kind, dpi, flipped) → draw_text calls, from the centre

    def __init__(self, items: Sequence[tuple[float, float, str]], *, zorder: float = 3, **style):
        super().__init__()
        self.items = list(items)
        self.template = Text(0, 0, "", ha="center", va="center", **style)
        self.set_zorder(zorder)

    def set_figure(self, fig):
        super().set_figure(fig)
        self.template.set_figure(fig)

    def draw(self, renderer) -> None:
        if not self.get_visible() or not self.items:
            return
        template = self.template
        template.set_transform(self.axes.transData)
        points = self.axes.transData.transform([(x, y) for x, y, _ in self.items]).tolist()
        height = renderer.get_canvas_width_height()[1]
        flip = renderer.flipy()
        gc = renderer.new_gc()
        gc.set_foreground(template.get_color())
        offsets = self._offsets
        if len(offsets) > 4096:  # a bound, far above what the course's pictures need
            offsets.clear()
        style = (template.get_fontproperties(), type(renderer), renderer.dpi, flip)
        known: dict = {}  # text → its calls, for this drawing: hashing the style once per text
        lines = []  # every draw_text call: (x, y, line, prop, ismath)
        for (px, py), (x, y, text) in zip(points, self.items, strict=True):
            calls = known.get(text) or offsets.get((text, *style))
            if calls is None:
                template.set_position((x, y))
                template.set_text(text)
                recorder = _TextRecorder(renderer)
                template.draw(recorder)  # draws nothing: records where the lines would go
                base_y = height - py if flip else py
                calls = offsets[(text, *style)] = [
                    (float(line_x - px), float(line_y - base_y), line, prop, ismath)
                    for line_x, line_y, line, prop, ismath in recorder.calls]
            known[text] = calls
            base_y = height - py if flip else py
            lines.extend((px + dx, base_y + dy, line, prop, ismath) for dx, dy, line, prop, ismath in calls)
        # An explorer's renderer draws them all at once (widgets.render.StampingRenderer).
        draw_texts = getattr(renderer, "draw_texts", None)
        if draw_texts is not None:
            draw_texts(gc, lines)
        else:
            for x, y, line, prop, ismath in lines:
                renderer.draw_text(gc, x, y, line, prop, 0, ismath=ismath)
        gc.restore()
        self.stale = False


class _TextRecorder:
    """A renderer stand-in that records a text's ``draw_text`` calls and passes on the rest."""

    def __init__(self, renderer):
        self._renderer = renderer
        self.calls: list = []

    def __getattr__(self, name):
        return getattr(self._renderer, name)

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        self.calls.append((x, y, s, prop, ismath))


def frame(ax, x: float, top: float, rows: int, cols: int, *, cell: float = 1.0,
          color: str = COLORS["kernel"], lw: float = 3.0, zorder: float = 4) -> None:
    """A thick outline around a block of ``rows`` × ``cols`` cells (a window or a cell)."""
    add_patch(ax, Rectangle((x, top - rows * cell), cols * cell, rows * cell, fill=False,
                           edgecolor=color, linewidth=lw, zorder=zorder, joinstyle="miter"))


def arrow(ax, start, end, *, color: str = COLORS["grid"], lw: float = 1.5,
          style: str = "-|>", mutation: float = 14, connection: str = "arc3",
          shrink: float = 2.0, zorder: float = 5, linestyle: str = "-") -> None:
    """An arrow from ``start`` to ``end`` (x, y in drawing units)."""
    add_patch(ax, FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=mutation,
                                 color=color, linewidth=lw, connectionstyle=connection,
                                 shrinkA=shrink, shrinkB=shrink, zorder=zorder,
                                 linestyle=linestyle))


def label(ax, x: float, y: float, text: str, *, color: str = COLORS["text"], size: float = 11,
          weight: str = "normal", ha: str = "center", va: str = "center", **kwargs) -> None:
    """Text at (x, y), centred by default."""
    ax.text(x, y, text, ha=ha, va=va, fontsize=size, weight=weight, color=color, **kwargs)


def tints(shape, cells, color) -> list[list[str | None]]:
    """A fill array for :func:`grid`: ``color`` at the (row, col) ``cells``, None elsewhere."""
    out: list[list[str | None]] = [[None] * shape[1] for _ in range(shape[0])]
    for r, c in cells:
        out[r][c] = color
    return out


def window_cells(row: int, col: int, k: int) -> list[tuple[int, int]]:
    """The (row, col) cells of the ``k`` × ``k`` window whose top-left cell is (row, col)."""
    return [(row + a, col + b) for a in range(k) for b in range(k)]


def stack(ax, x: float, top: float, colors: Sequence[str], fills: Sequence[str], size: float,
          offset: float = 0.45) -> None:
    """Channel sheets drawn in perspective: the front sheet at (x, top), the others behind it."""
    for i in reversed(range(len(colors))):
        d = i * offset
        add_patch(ax, Rectangle((x + d, top - size + d), size, size, facecolor=fills[i],
                               edgecolor=colors[i], linewidth=1.5, zorder=1 + (3 - i) * 0.1))


PAD_FILL = "#ECECEC"  # padded cells, outside the image


def light(color: str, amount: float = 0.78) -> tuple[float, float, float]:
    """``color`` mixed with ``amount`` of white: the fill that goes with an edge colour."""
    return tuple(c + (1 - c) * amount for c in to_rgb(color))


def tint(color: str) -> str:
    """The light fill that goes with an edge colour, as a hex string (what :func:`grid` takes)."""
    return to_hex(light(color))


def brace(ax, start: float, end: float, at: float, *, side: str = "up", depth: float = 0.35,
           color: str = COLORS["grid"], lw: float = 1.3) -> None:
    """A curly brace along x from ``start`` to ``end`` at height ``at``, its tip pointing
    ``side`` ("up" or "down"); with ``side`` "left"/"right" it runs along y at x = ``at``.
    """
    sign = 1 if side in ("up", "right") else -1
    h = sign * depth
    r = min(abs(h) / 2, abs(end - start) / 4) * np.sign(end - start)
    mid = (start + end) / 2
    pts = [(start, 0), (start, h / 2), (start + r, h / 2), (mid - r, h / 2), (mid, h / 2),
           (mid, h), (mid, h / 2), (mid + r, h / 2), (end - r, h / 2), (end, h / 2), (end, 0)]
    codes = [Path.MOVETO, Path.CURVE3, Path.CURVE3, Path.LINETO, Path.CURVE3, Path.CURVE3,
             Path.CURVE3, Path.CURVE3, Path.LINETO, Path.CURVE3, Path.CURVE3]
    horizontal = side in ("up", "down")
    verts = [(u, at + v) if horizontal else (at + v, u) for u, v in pts]
    add_patch(ax, PathPatch(Path(verts, codes), fill=False, edgecolor=color, linewidth=lw,
                           capstyle="round", zorder=4))


def outline(ax, x: float, top: float, rows: int, cols: int, *, cell: float, color: str,
             lw: float = 2.2, linestyle="-", zorder: float = 4) -> None:
    """Like :func:`frame`, with a line style: the windows after the first are dashed."""
    add_patch(ax, Rectangle((x, top - rows * cell), cols * cell, rows * cell, fill=False,
                           edgecolor=color, linewidth=lw, linestyle=linestyle, zorder=zorder,
                           joinstyle="miter"))
