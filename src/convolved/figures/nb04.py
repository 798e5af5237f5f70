"""Figures of notebook 04, "Transpose convolution": the scatter view (every input pixel paints a
scaled copy of the kernel) and the output-size formula.

Every value drawn is computed with :mod:`convolved.ops`, every size with :mod:`convolved.shapes`,
and the asserts check both against the scatter drawn and against PyTorch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.offsetbox import AnnotationBbox, HPacker, TextArea
from matplotlib.patches import Rectangle

from .. import diagrams, ops, shapes
from .registry import figure

# ----------------------------------------------------------------------------------------------
# Example data (small integers, so every sum can be checked by hand)

#: One colour per input pixel: the copy of the kernel that a pixel paints has its colour.
PIXEL_COLORS = ["#4C72B0", "#55A868", "#C44E52", "#937860"]

SCATTER_INPUT = np.array([[1, 2], [3, 4]], dtype=float)
SCATTER_KERNEL = np.array([
    [1, 2, 0],
    [0, 1, 1],
    [2, 0, 1],
], dtype=float)
SCATTER_STRIDE = 2

ROW_INPUT = np.array([1, 2, 3], dtype=float)
ROW_KERNEL = np.array([1, 2, 1], dtype=float)
ROW_STRIDE = 2

BLANK = "#FFFFFF"


def _terms(ax, x: float, y: float, parts, *, size: float = 8, zorder: float = 6) -> None:
    """Text pieces in their own colours on one line, centred at (x, y), with grey plus signs."""
    boxes = []
    for i, (text, color) in enumerate(parts):
        if i:
            boxes.append(TextArea("+", textprops={"color": diagrams.COLORS["muted"], "size": size}))
        boxes.append(TextArea(text, textprops={"color": color, "size": size,
                                               "weight": "bold"}))
    line = HPacker(children=boxes, align="baseline", pad=0, sep=0)
    ax.add_artist(AnnotationBbox(line, (x, y), frameon=False, box_alignment=(0.5, 0.5), pad=0,
                                 annotation_clip=False, zorder=zorder))


# ----------------------------------------------------------------------------------------------
# Figures


@figure("04_transpose_scatter")
def transpose_scatter() -> Figure:
    """Transpose convolution as scattering: each pixel of the 2×2 input 1, 2, 3, 4 multiplies
    the whole 3×3 kernel, the four scaled copies are placed 2 pixels apart (stride 2) on a 5×5
    canvas, and where copies overlap their values add, so the centre pixel is 1 + 4 + 0 + 4 = 9;
    the 2×2 input becomes a 5×5 output.
    """
    x, w, s = SCATTER_INPUT, SCATTER_KERNEL, SCATTER_STRIDE
    m, k = x.shape[0], w.shape[0]
    n = shapes.conv_transpose_output_size(m, k, stride=s)
    out = ops.conv_transpose2d(x[None, None], w[None, None], stride=s)[0, 0]
    assert out.shape == (n, n) == (5, 5)
    # The scatter drawn: one copy of the kernel per input pixel, stride apart, summed.
    copies = {}
    for i, j in np.ndindex(m, m):
        placed = np.full((n, n), np.nan)
        placed[i * s:i * s + k, j * s:j * s + k] = x[i, j] * w
        copies[i, j] = placed
    assert np.array_equal(np.nansum(np.stack(list(copies.values())), axis=0), out)
    colors = {(i, j): PIXEL_COLORS[i * m + j] for i, j in np.ndindex(m, m)}

    cell_o = 1.75  # output cells: room for four terms
    width = 27.4
    fig, ax = diagrams.canvas(width, 13.2, scale=0.42)
    top = 11.4

    # The input and the kernel.
    cell_in, x_in = 1.3, 1.0
    for (i, j), color in colors.items():
        diagrams.grid(ax, [[x[i, j]]], x_in + j * cell_in, top - 0.6 - i * cell_in, cell=cell_in,
                      fill=diagrams.tint(color), edge=color, weight="bold", fontsize=14)
        diagrams.frame(ax, x_in + j * cell_in, top - 0.6 - i * cell_in, 1, 1, cell=cell_in, color=color,
                       lw=2)
    diagrams.label(ax, x_in + cell_in, top + 0.3, f"input  {m}{diagrams.TIMES}{m}",
                   color=diagrams.COLORS["input"],
                   weight="bold")
    cell_k, top_k = 0.9, top - 5.6
    x_k = x_in + cell_in - 1.5 * cell_k
    diagrams.grid(ax, w, x_k, top_k, cell=cell_k, kind="kernel", weight="bold")
    diagrams.label(ax, x_in + cell_in, top_k + 0.6, f"kernel  {k}{diagrams.TIMES}{k}",
                   color=diagrams.COLORS["kernel"],
                   weight="bold")
    diagrams.label(ax, x_in + cell_in, top_k - 3 * cell_k - 0.6, f"stride {s}",
                   color=diagrams.COLORS["muted"])

    # The four scaled copies, each on its own 5×5 canvas, laid out like the input pixels.
    cell_c, gap = 0.62, 1.9
    side = n * cell_c
    x_c = 7.6
    mid_y = top - 0.6 - side - gap / 2  # between the two rows of canvases
    for (i, j), placed in copies.items():
        color = colors[i, j]
        cx, ctop = x_c + j * (side + gap), top - 0.6 - i * (side + gap)
        fills = [[diagrams.tint(color) if not np.isnan(v) else BLANK for v in row] for row in placed]
        diagrams.grid(ax, placed, cx, ctop, cell=cell_c, fill=fills, fontsize=9, edge="#BBBBBB")
        diagrams.frame(ax, cx + j * s * cell_c, ctop - i * s * cell_c, k, k, cell=cell_c, color=color,
                       lw=2)
        diagrams.label(ax, cx + side / 2, ctop + 0.4, f"{diagrams.fmt(x[i, j])} {diagrams.TIMES} kernel",
                       color=color,
                       weight="bold", size=11)
    for r in range(m):  # plus signs between the canvases: all four are added
        diagrams.label(ax, x_c + side + gap / 2, top - 0.6 - r * (side + gap) - side / 2, "+", size=18)
    diagrams.label(ax, x_c + side + gap / 2, mid_y, "+", size=18)
    # The spacing of the copies: stride 2 along a row and down a column (top-right canvas).
    cx = x_c + side + gap
    y_arrow = top - 0.6 - side - 0.3
    diagrams.arrow(ax, (cx, y_arrow), (cx + s * cell_c, y_arrow), color=diagrams.COLORS["muted"], lw=1.3,
                   mutation=9, shrink=0, style="<|-|>")
    diagrams.label(ax, cx + s * cell_c + 0.15, y_arrow, f"{s} = stride", size=9,
                   color=diagrams.COLORS["muted"],
                   ha="left")
    diagrams.label(ax, x_c + side + gap / 2, top + 1.25, "each pixel scales the kernel; the copies "
                   f"are placed {s} apart", size=11, color=diagrams.COLORS["muted"])

    # The output: the sum of the four canvases; overlapping cells hold sums.
    x_eq = x_c + 2 * side + gap + 0.8
    diagrams.label(ax, x_eq, mid_y, "=", size=22)
    x_o = x_eq + 0.9
    top_o = mid_y + n * cell_o / 2
    contributors = {(r, c): [(i, j) for (i, j), p in copies.items() if not np.isnan(p[r, c])]
                    for r, c in np.ndindex(n, n)}
    fills = [[diagrams.tint(colors[contributors[r, c][0]]) if len(contributors[r, c]) == 1
              else diagrams.FILLS["output"] for c in range(n)] for r in range(n)]
    values = out.copy()
    overlaps = [rc for rc, who in contributors.items() if len(who) > 1]
    for r, c in overlaps:
        values[r, c] = np.nan  # drawn below: the terms over the sum
    diagrams.grid(ax, values, x_o, top_o, cell=cell_o, fill=fills, fontsize=13)
    for r, c in overlaps:
        x0, y0 = x_o + c * cell_o, top_o - (r + 1) * cell_o
        ax.add_patch(Rectangle((x0 + 0.06, y0 + 0.06), cell_o - 0.12, cell_o - 0.12,
                               fill=False, edgecolor=diagrams.COLORS["output"], linewidth=1.6, zorder=2))
        _terms(ax, x0 + cell_o / 2, y0 + 0.72 * cell_o,
               [(diagrams.fmt(copies[ij][r, c]), colors[ij]) for ij in contributors[r, c]], size=8.5)
        diagrams.label(ax, x0 + cell_o / 2, y0 + 0.33 * cell_o, diagrams.fmt(out[r, c]), size=13,
                       weight="bold",
                       color=diagrams.COLORS["output"])
    centre = n // 2
    assert len(contributors[centre, centre]) == m * m  # the alt text's 1 + 4 + 0 + 4 = 9
    assert [copies[ij][centre, centre] for ij in contributors[centre, centre]] == [1, 4, 0, 4]
    assert out[centre, centre] == 9
    diagrams.label(ax, x_o + n * cell_o / 2, top_o + 0.55, f"output  {n}{diagrams.TIMES}{n}",
                   color=diagrams.COLORS["output"], weight="bold")
    diagrams.label(ax, x_o + n * cell_o / 2, top_o - n * cell_o - 0.5,
                   "purple cells: copies overlap and add", size=10, color=diagrams.COLORS["output"], va="top")

    diagrams.label(ax, width / 2, 0.55, f"Every input pixel paints a scaled copy of the kernel; stride {s} "
                   f"sets the spacing; {m}{diagrams.TIMES}{m} in, "
                   f"{s}{diagrams.DOT}({m} {diagrams.MINUS} 1) + {k} = {n}, so {n}{diagrams.TIMES}{n} out.",
                   size=12, weight="bold")
    return fig


@figure("04_transpose_output_size")
def transpose_output_size() -> Figure:
    """The transpose-convolution size formula on a row: M = 3 input pixels (1, 2, 3) each scale
    the kernel (1, 2, 1), and the copies placed s = 2 apart give s(M − 1) + k = 7 pixels;
    padding p = 1 crops one pixel from each end, leaving 5; output_padding = 1 gives one pixel
    back at the end, 6.
    """
    x, w, s = ROW_INPUT, ROW_KERNEL, ROW_STRIDE
    m, k = len(x), len(w)
    cases = [(0, 0), (1, 0), (1, 1)]  # (padding, output_padding)
    sizes = [shapes.conv_transpose_output_size(m, k, stride=s, padding=p, output_padding=op)
             for p, op in cases]
    assert sizes == [7, 5, 6]
    outs = [ops.conv_transpose2d(x[None, None, None], w[None, None, None], stride=(1, s),
                                 padding=(0, p), output_padding=(0, op))[0, 0, 0]
            for p, op in cases]

    for (p, op), n, y in zip(cases, sizes, outs, strict=True):
        ref = F.conv_transpose1d(torch.tensor(x)[None, None], torch.tensor(w)[None, None],
                                 stride=s, padding=p, output_padding=op)[0, 0].numpy()
        assert ref.shape == (n,) and np.allclose(ref, y)
    full = outs[0]
    assert np.array_equal(outs[1], full[1:-1]) and np.array_equal(outs[2], full[1:])
    # output_padding picks between input sizes that a stride-2 convolution maps to the same size.
    forward = [shapes.conv_output_size(size, k, stride=s, padding=1) for size in sizes[1:]]
    assert forward == [m, m]

    width = 30.0
    fig, ax = diagrams.canvas(width, 17.6, scale=0.42)
    cell, x0 = 1.0, 6.6  # x0: left edge of output pixel 0
    x_formula = x0 + sizes[0] * cell + 2.0

    # The input and the kernel, top left.
    top = 16.4
    for j, v in enumerate(x):
        diagrams.grid(ax, [[v]], 1.0 + j * cell, top, cell=cell, fill=diagrams.tint(PIXEL_COLORS[j]),
                      edge=PIXEL_COLORS[j], weight="bold", fontsize=12)
    diagrams.label(ax, 1.0 + m * cell / 2, top + 0.5, f"input, M = {m}", color=diagrams.COLORS["input"],
                   weight="bold", size=11)
    diagrams.grid(ax, w, 1.0, top - 2.2, cell=cell, kind="kernel", weight="bold", fontsize=12)
    diagrams.label(ax, 1.0 + k * cell / 2, top - 1.7, f"kernel, k = {k}", color=diagrams.COLORS["kernel"],
                   weight="bold", size=11)

    # The scattered copies, staggered: copy j starts at s·j.
    bar_cell, pitch = 0.8, 1.05
    for j, v in enumerate(x):
        btop = top - j * pitch
        bx = x0 + j * s * cell
        color = PIXEL_COLORS[j]
        for t in range(k):
            ax.add_patch(Rectangle((bx + t * cell + 0.04, btop - bar_cell), cell - 0.08,
                                   bar_cell, facecolor=diagrams.tint(color), edgecolor=color,
                                   linewidth=1.6, zorder=2))
            diagrams.label(ax, bx + (t + 0.5) * cell, btop - bar_cell / 2, diagrams.fmt(v * w[t]), size=11)
        diagrams.label(ax, bx - 0.2, btop - bar_cell / 2, f"{diagrams.fmt(v)} {diagrams.TIMES} kernel",
                       size=10,
                       color=color, ha="right", weight="bold")
    diagrams.arrow(ax, (x0, top + 0.3), (x0 + s * cell, top + 0.3), color=diagrams.COLORS["muted"], lw=1.3,
                   mutation=9, shrink=0, style="<|-|>")
    diagrams.label(ax, x0 + s * cell + 0.15, top + 0.3, f"s = {s}", size=10, color=diagrams.COLORS["muted"],
                   ha="left")
    diagrams.label(ax, x_formula, top - 0.1, f"Each of the M = {m} input pixels paints a copy of the\n"
                   f"kernel scaled by its value; the copies start s = {s} apart,\nand where they overlap "
                   "their values add up.", ha="left", va="top", size=11, linespacing=1.5)

    # Three output rows on the same pixel positions.
    row_tops = [11.75, 8.15, 4.55]
    # The copies add up, column by column, to the first row.
    y_from = top - (m - 1) * pitch - bar_cell - 0.15
    x_add = x0 + sizes[0] * cell + 0.5
    diagrams.arrow(ax, (x_add, y_from), (x_add, row_tops[0] + 0.1), color=diagrams.COLORS["output"], lw=1.6,
                   mutation=11, shrink=0)
    diagrams.label(ax, x_add + 0.2, (y_from + row_tops[0]) / 2, "add", size=10,
                   color=diagrams.COLORS["output"],
                   ha="left", weight="bold")
    names = ["padding = 0", "padding = 1", "padding = 1,\noutput_padding = 1"]
    formulas = [
        (f"N = s(M {diagrams.MINUS} 1) + k",
         f"= {s}{diagrams.DOT}({m} {diagrams.MINUS} 1) + {k} = {sizes[0]}"),
        (f"N = s(M {diagrams.MINUS} 1) + k {diagrams.MINUS} 2p",
         f"= {sizes[0]} {diagrams.MINUS} 2{diagrams.DOT}1 = {sizes[1]}"),
        (f"N = s(M {diagrams.MINUS} 1) + k {diagrams.MINUS} 2p + output_padding",
         f"= {sizes[0]} {diagrams.MINUS} 2{diagrams.DOT}1 + 1 = {sizes[2]}"),
    ]
    notes = [
        "the full length covered by the copies",
        "padding crops p pixels from each end: in a transpose\n"
        "convolution padding removes pixels (it undoes the\n"
        "padding of the forward convolution)",
        f"output_padding gives back pixels at the end only;\n"
        f"a convolution with k = {k}, s = {s}, p = 1 maps both {sizes[1]} and\n"
        f"{sizes[2]} pixels to {m}: output_padding picks the larger",
    ]
    for (p, op), n, y, rtop, name, (f1, f2), note in zip(cases, sizes, outs, row_tops, names,
                                                       formulas, notes, strict=True):
        start = p  # first kept pixel of the full row
        kept = range(start, start + n)
        values = np.full(sizes[0], np.nan)
        values[start:start + n] = y
        fills = [[diagrams.FILLS["output"] if i in kept else diagrams.PAD_FILL for i in range(sizes[0])]]
        diagrams.grid(ax, values, x0, rtop, cell=cell, fill=fills, fontsize=12)
        for i in range(sizes[0]):
            if i not in kept:
                ax.add_patch(Rectangle((x0 + i * cell, rtop - cell), cell, cell, fill=False,
                                       hatch="///", edgecolor="#B5B5B5", linewidth=0, zorder=2))
                diagrams.label(ax, x0 + (i + 0.5) * cell, rtop - cell - 0.3, "cropped", size=9,
                               color=diagrams.COLORS["R"], va="top")
        diagrams.frame(ax, x0 + start * cell, rtop, 1, n, cell=cell, color=diagrams.COLORS["output"], lw=2.2)
        diagrams.brace(ax, x0 + start * cell, x0 + (start + n) * cell, rtop + 0.12, side="up",
               color=diagrams.COLORS["output"])
        diagrams.label(ax, x0 + (start + n / 2) * cell, rtop + 0.75, f"N = {n}",
                       color=diagrams.COLORS["output"],
                       weight="bold", size=11)
        diagrams.label(ax, x0 - 0.4, rtop - cell / 2, name, ha="right", size=11, weight="bold")
        diagrams.label(ax, x_formula, rtop + 0.35, f1, ha="left", size=12)
        diagrams.label(ax, x_formula + 0.7, rtop - 0.55, f2, ha="left", size=12, weight="bold")
        diagrams.label(ax, x_formula + 0.7, rtop - 1.2, note, ha="left", va="top", size=10,
                       color=diagrams.COLORS["R"] if p and not op else diagrams.COLORS["muted"])
    for i in range(sizes[0]):  # pixel indices under the last row
        diagrams.label(ax, x0 + (i + 0.5) * cell, row_tops[-1] - cell - 0.95, str(i), size=9,
                       color=diagrams.COLORS["muted"])

    ax.plot([0.4, width - 0.4], [1.4, 1.4], color="#DDDDDD", lw=1)
    diagrams.label(ax, width / 2, 0.7,
                   f"In general (PyTorch):  N = s(M {diagrams.MINUS} 1) {diagrams.MINUS} 2p + "
                   f"d(k {diagrams.MINUS} 1) + output_padding + 1, with dilation d; for d = 1 and "
                   f"output_padding = 0 it is s(M {diagrams.MINUS} 1) + k {diagrams.MINUS} 2p.", size=10.5,
                   color=diagrams.COLORS["grid"])
    return fig
