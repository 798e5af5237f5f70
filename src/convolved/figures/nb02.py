"""Figures of notebook 02, "The Conv2d class": feature maps and kernels, the shapes of a Conv2d
layer, padding, stride, and the output-size formula.

Every size drawn is computed with :mod:`convolved.shapes`, every value with :mod:`convolved.ops`,
and the asserts check that the two agree with what is drawn.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import diagrams, ops, shapes
from ..data import load_image
from ..kernels import get_kernel
from .registry import figure

# ----------------------------------------------------------------------------------------------
# Example data and local helpers

FLOOR_L, FLOOR_R = "\N{LEFT FLOOR}", "\N{RIGHT FLOOR}"
PRIME = "\N{PRIME}"
ARROW = "\N{RIGHTWARDS ARROW}"

#: Four hand-made 3×3 kernels for the feature-map figure: name → (drawn integers, divisor).
FEATURE_KERNELS = {
    "vertical edges": (get_kernel("vertical edges"), 1),
    "horizontal edges": (get_kernel("horizontal edges"), 1),
    "blur": (np.ones((3, 3), dtype=np.float32), 9),
    "diagonal edges": (np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], dtype=np.float32), 1),
}

PAD_MODES = {
    "zeros": "zeros all around (the default)",
    "circular": "wraps around: the opposite edge",
    "reflect": "mirror, the edge not repeated",
    "replicate": "the edge pixel repeated",
}

CENTRE_FILL = "#D3CCEC"  # input pixels where a window is centred (stride figure)
STRIDE_KERNEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)  # notebook 01's

#: Colour steps of the images drawn (see :func:`_image`).
LEVELS = 64

#: One colour per output channel (kernel i ↔ output channel i), distinct from the R, G, B inputs.
CHANNEL_COLORS = ["#DD8452", "#8172B3", "#937860", "#DA8BC3"]


def _image(ax, values: np.ndarray, x: float, top: float, size: float, *, cmap: str = "gray",
           vmin: float = 0.0, vmax: float = 1.0, edge: str = diagrams.COLORS["grid"]):
    """An image drawn as a ``size`` × ``size`` square with its top-left corner at (x, top).

    The colour map has :data:`LEVELS` steps: as smooth to the eye, and a much smaller PNG.
    """
    im = ax.imshow(values, cmap=colormaps[cmap].resampled(LEVELS), vmin=vmin, vmax=vmax,
                   extent=(x, x + size, top - size, top), interpolation="nearest", zorder=2)
    ax.add_patch(Rectangle((x, top - size), size, size, fill=False, edgecolor=edge, linewidth=1,
                           zorder=3))
    return im


def _padded_grid(ax, padded: np.ndarray, p: int, x: float, top: float, cell: float,
                 fontsize: float) -> None:
    """A padded array: the padding in grey with grey numbers, the original framed in blue."""
    rows, cols = padded.shape
    border = padded.copy()
    border[p:rows - p, p:cols - p] = np.nan
    diagrams.grid(ax, border, x, top, cell=cell, fontsize=fontsize, fill=diagrams.PAD_FILL,
                  text_color=diagrams.COLORS["muted"])
    diagrams.grid(ax, padded[p:rows - p, p:cols - p], x + p * cell, top - p * cell, cell=cell,
                  fontsize=fontsize)
    diagrams.frame(ax, x + p * cell, top - p * cell, rows - 2 * p, cols - 2 * p, cell=cell,
                   color=diagrams.COLORS["input"], lw=2.2)


# ----------------------------------------------------------------------------------------------
# Figures


@figure("02_feature_maps_and_kernels")
def feature_maps_and_kernels() -> Figure:
    """Four 3×3 kernels, for vertical edges, horizontal edges, blur and diagonal edges, turn
    one 64×64 photo into four 62×62 feature maps, the four channels of the output; the same four
    kernels applied to a second photo give four different maps.
    """
    size = 64
    photos = [load_image(name, size, gray=True).astype(float) for name in ("camera", "coffee")]
    names = list(FEATURE_KERNELS)
    weight = np.stack([k / d for k, d in FEATURE_KERNELS.values()])[:, None].astype(float)
    c_out, k = weight.shape[0], weight.shape[-1]
    out_size = shapes.conv_output_size(size, k)
    maps = [ops.conv2d_fast(photo[None], weight) for photo in photos]  # (4, 62, 62) each
    for m in maps:
        assert m.shape == (c_out, out_size, out_size)
    vmax = 2.0

    col, gap, img = 4.0, 0.7, 4.0  # map size, gap between maps, photo size
    below, above = 0.75, 0.35  # panel margins under and over the maps
    x_img, x_panel = 0.6, 7.2
    x_maps = [x_panel + 0.4 + i * (col + gap) for i in range(c_out)]
    x_right = x_maps[-1] + col + 0.4
    width = x_right + 5.9
    tops = [15.4, 6.4]  # top of each row of maps
    fig, ax = diagrams.canvas(width, 16.9, scale=0.33)

    for photo, top, row_maps in zip(photos, tops, maps, strict=True):
        _image(ax, photo, x_img, top, img, edge=diagrams.COLORS["input"])
        diagrams.label(ax, x_img + img / 2, top - img - 0.7,
                       f"input:\n1 channel of {size}{diagrams.TIMES}{size}",
                       color=diagrams.COLORS["input"], weight="bold", size=10)
        # The output of the layer: one panel holding its channels side by side.
        ax.add_patch(Rectangle((x_panel, top - col - below), x_right - x_panel,
                               col + below + above, facecolor=diagrams.FILLS["output"],
                               edgecolor=diagrams.COLORS["output"], linewidth=1.2, zorder=0))
        diagrams.arrow(ax, (x_img + img + 0.15, top - img / 2), (x_panel - 0.05, top - img / 2),
                       color=diagrams.COLORS["output"], lw=2)
        for i, x in enumerate(x_maps):
            im = _image(ax, row_maps[i], x, top, col, cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                        edge=CHANNEL_COLORS[i])
            diagrams.label(ax, x + col / 2, top - col - 0.37, f"channel {i}", size=9,
                           color=diagrams.COLORS["muted"])
        diagrams.label(ax, x_right + 0.3, top - col / 2,
                       f"output:\n{c_out} channels\nof {out_size}{diagrams.TIMES}{out_size}",
                       color=diagrams.COLORS["output"], weight="bold", ha="left")

    # The kernels between the two rows: each one makes the map above it and the map below it.
    cell = 0.75
    k_top = (tops[0] - col - below + tops[1] + above) / 2 + 1.5 * cell
    diagrams.label(ax, x_img + img / 2, k_top - 1.5 * cell,
                   f"{c_out} kernels {k}{diagrams.TIMES}{k}\n(the same for\nboth photos)",
                   color=diagrams.COLORS["kernel"], weight="bold", size=10)
    for i, (name, x) in enumerate(zip(names, x_maps, strict=True)):
        drawn, divisor = FEATURE_KERNELS[name]
        xk = x + (col - k * cell) / 2
        diagrams.grid(ax, drawn, xk, k_top, cell=cell, kind="kernel", fontsize=9, edge=CHANNEL_COLORS[i])
        caption = name if divisor == 1 else f"{name} ({diagrams.TIMES} 1/{divisor})"
        diagrams.label(ax, x + col / 2, tops[0] + above + 0.45, caption, color=CHANNEL_COLORS[i],
                       weight="bold", size=11)
        diagrams.arrow(ax, (x + col / 2, k_top + 0.05), (x + col / 2, tops[0] - col - below - 0.05),
                       color=CHANNEL_COLORS[i], lw=1.6, mutation=12, shrink=0)
        diagrams.arrow(ax, (x + col / 2, k_top - k * cell - 0.05), (x + col / 2, tops[1] + above + 0.05),
                       color=CHANNEL_COLORS[i], lw=1.6, mutation=12, shrink=0)

    cax = ax.inset_axes((width - 2.2, tops[1] - col, 0.35, tops[0] - tops[1] + col),
                        transform=ax.transData)
    bar = fig.colorbar(im, cax=cax, extend="both")
    bar.set_label("feature-map value", fontsize=10)
    bar.ax.tick_params(labelsize=9)
    diagrams.label(ax, (x_panel + x_right) / 2, 0.55, f"{c_out} kernels make {c_out} feature maps: "
                   "the output channels are features, not colours.", size=12, weight="bold")
    return fig


@figure("02_channel_dimensions")
def channel_dimensions() -> Figure:
    """The tensors of Conv2d(3, 4, kernel_size=3) as blocks: an input of shape (1, 3, 32, 32),
    a weight of shape (4, 3, 3, 3) drawn as four kernels of three 3×3 slices each, a bias of 4
    numbers, and an output of shape (1, 4, 30, 30); kernel i with bias i makes output channel i.
    """
    n, c_in, c_out, size, k = 1, 3, 4, 32, 3
    out = shapes.conv_output_size(size, k)
    rng = np.random.default_rng(diagrams.SEED)
    x = rng.standard_normal((n, c_in, size, size))
    w = rng.standard_normal((c_out, c_in, k, k))
    b = rng.standard_normal(c_out)
    y = ops.conv2d_fast(x, w, b)
    assert y.shape == (n, c_out, out, out)
    n_params = w.size + b.size

    fig, ax = diagrams.canvas(32.4, 17.0, scale=0.37)
    sub = str.maketrans("0123456789i", "₀₁₂₃₄₅₆₇₈₉ᵢ")
    head, shape_y = 16.3, 15.0

    def title(x, name, dims, shape, kind):
        diagrams.label(ax, x, head, name, color=diagrams.COLORS[kind], weight="bold", size=13)
        diagrams.label(ax, x, shape_y, f"{dims}\n= {shape}", color=diagrams.COLORS[kind], size=11)

    def brace_label(start, end, at, side, text, color):
        diagrams.brace(ax, start, end, at, side=side, color=color)
        off = 0.5
        if side == "down":
            diagrams.label(ax, (start + end) / 2, at - off, text, color=color, va="top", size=10)
        elif side == "left":
            diagrams.label(ax, at - off, (start + end) / 2, text, color=color, ha="right", size=10)
        else:
            diagrams.label(ax, at + off, (start + end) / 2, text, color=color, ha="left", size=10)

    def depth(x0, y0, d, text, color, where="right"):
        """A double arrow along the diagonal of a stack, from (x0, y0) to (x0 + d, y0 + d)."""
        diagrams.arrow(ax, (x0, y0), (x0 + d, y0 + d), color=color, lw=1.2, style="<|-|>", mutation=9,
                       shrink=0)
        if where == "right":
            diagrams.label(ax, x0 + d / 2 + 0.35, y0 + d / 2 - 0.2, text, color=color, ha="left",
                           va="top", size=10)
        else:
            diagrams.label(ax, x0 + d / 2 - 0.35, y0 + d / 2 + 0.2, text, color=color, ha="right",
                           va="bottom", size=10)

    # Input: C_in sheets of H × W.
    x_in, s_in, o_in, top_in = 2.2, 4.4, 0.6, 10.8
    names = ["R", "G", "B"]
    diagrams.stack(ax, x_in, top_in, [diagrams.COLORS[c] for c in names], [diagrams.FILLS[c] for c in names],
                   s_in, o_in)
    title(x_in + 2.6, "input", "(N, C_in, H, W)", (n, c_in, size, size), "input")
    brace_label(top_in - s_in, top_in, x_in - 0.15, "left", f"H = {size}", diagrams.COLORS["input"])
    brace_label(x_in, x_in + s_in, top_in - s_in - 0.15, "down", f"W = {size}", diagrams.COLORS["input"])
    depth(x_in + s_in + 0.2, top_in - s_in - 0.2, (c_in - 1) * o_in, f"C_in = {c_in}",
          diagrams.COLORS["input"])
    diagrams.label(ax, x_in + 2.2, top_in - s_in - 1.7, f"N = {n}: one image\nof {c_in} channels",
                   color=diagrams.COLORS["muted"], va="top", size=10)

    diagrams.label(ax, 9.6, top_in - s_in / 2, "\N{ASTERISK OPERATOR}", size=26)

    # Weight: C_out kernels, each C_in slices of kH × kW; then the bias, one number per kernel.
    x_w, s_w, o_w, pitch = 13.2, 1.3, 0.3, 2.75
    k_tops = [12.8 - i * pitch for i in range(c_out)]
    x_b, cell_b = 18.6, 0.95
    title(x_w + 0.6, "weight", "(C_out, C_in, kH, kW)", (c_out, c_in, k, k), "kernel")
    title(x_b + cell_b / 2, "bias", "(C_out,)", (c_out,), "bias")
    for i, top in enumerate(k_tops):
        color = CHANNEL_COLORS[i]
        diagrams.stack(ax, x_w, top, [color] * c_in, [diagrams.light(color)] * c_in, s_w, o_w)
        mid = top - s_w / 2 + o_w
        diagrams.label(ax, x_w - 0.25, mid, f"kernel {i}", color=color, weight="bold", ha="right",
                       size=10)
        diagrams.label(ax, x_b - 0.6, mid, "+", size=16)
        diagrams.grid(ax, [[np.nan]], x_b, mid + cell_b / 2, cell=cell_b, kind="bias", edge=color)
        diagrams.frame(ax, x_b, mid + cell_b / 2, 1, 1, cell=cell_b, color=color, lw=1.5)
        diagrams.label(ax, x_b + cell_b / 2, mid, f"b{str(i).translate(sub)}", size=12)
    last, d = k_tops[-1], (c_in - 1) * o_w
    brace_label(x_w, x_w + s_w, last - s_w - 0.15, "down", f"kW = {k}", diagrams.COLORS["kernel"])
    brace_label(last - s_w, last, x_w + s_w + d + 0.15, "right", f"kH = {k}", diagrams.COLORS["kernel"])
    depth(x_w - 0.15, last + 0.15, d, f"C_in = {c_in}", diagrams.COLORS["kernel"], where="left")
    diagrams.brace(ax, last - s_w, k_tops[0] + d, x_w - 2.3, side="left", color=diagrams.COLORS["kernel"])
    diagrams.label(ax, x_w - 2.9, (last - s_w + k_tops[0] + d) / 2, f"C_out = {c_out} kernels",
                   color=diagrams.COLORS["kernel"], rotation=90, size=10)

    # Output: C_out sheets of H' × W', channel 0 at the back so that the arrows do not cross.
    x_out, s_out, o_out, top_out = 23.4, 4.2, 0.7, 10.2
    order = list(reversed(range(c_out)))  # front to back
    diagrams.stack(ax, x_out, top_out, [CHANNEL_COLORS[i] for i in order],
                   [diagrams.light(CHANNEL_COLORS[i]) for i in order], s_out, o_out)
    for j, i in enumerate(order):
        d = j * o_out
        y_band = top_out + d - o_out / 2
        diagrams.label(ax, x_out + d + s_out - 0.15, y_band, f"channel {i}", color=CHANNEL_COLORS[i],
                       size=9, ha="right", zorder=4)
        mid = k_tops[i] - s_w / 2 + o_w
        diagrams.arrow(ax, (x_b + cell_b + 0.1, mid), (x_out + d, y_band), color=CHANNEL_COLORS[i],
                       lw=1.6, mutation=12, shrink=0)
    title(x_out + 3.0, "output", f"(N, C_out, H{PRIME}, W{PRIME})", (n, c_out, out, out),
          "output")
    d = (c_out - 1) * o_out
    brace_label(x_out, x_out + s_out, top_out - s_out - 0.15, "down",
                f"W{PRIME} = {size} {diagrams.MINUS} {k} + 1 = {out}", diagrams.COLORS["output"])
    brace_label(top_out + d - s_out, top_out + d, x_out + s_out + d + 0.15, "right",
                f"H{PRIME} = {out}", diagrams.COLORS["output"])
    depth(x_out + s_out + 0.2, top_out - s_out - 0.2, d, f"C_out = {c_out}", diagrams.COLORS["output"])
    diagrams.label(ax, x_out + 2.2, top_out - s_out - 1.7, f"N = {n}: one result\nof {c_out} channels",
                   color=diagrams.COLORS["muted"], va="top", size=10)

    diagrams.label(ax, 15.8, 1.1, f"Kernel i (all {c_in} of its slices, one per input channel) plus bias"
                   f" {'bi'.translate(sub)} makes output channel i.", size=12, weight="bold")
    diagrams.label(ax, 15.8, 0.4, f"nn.Conv2d({c_in}, {c_out}, kernel_size={k}) has "
                   f"{diagrams.DOT.join(map(str, (c_out, c_in, k, k)))} = {w.size} weights + {b.size} "
                   f"biases = {n_params} parameters", size=11, color=diagrams.COLORS["muted"])
    return fig


@figure("02_padding")
def padding() -> Figure:
    """Padding a 4×4 image holding 1 to 16 by p = 1: with zero padding a 3×3 kernel gives a 4×4
    output, the same size as the input, since 4 + 2·1 − 3 + 1 = 4; below, the same image padded
    in the four modes zeros, circular, reflect and replicate.
    """
    m, p, k = 4, 1, 3
    image = np.arange(1, m * m + 1, dtype=float).reshape(m, m)
    kernel = np.ones((k, k))
    out = ops.conv2d(image[None, None], kernel[None, None], padding=p)[0, 0]
    n = shapes.conv_output_size(m, k, padding=p)
    assert out.shape == (n, n) == (m, m) and p == (k - 1) // 2
    padded = {mode: ops.pad(image, p, mode) for mode in PAD_MODES}
    for values in padded.values():
        assert values.shape == (m + 2 * p,) * 2
        assert np.array_equal(values[p:-p, p:-p], image)
    assert np.array_equal(out, ops.correlate(padded["zeros"], kernel))

    cell, gap = 0.8, 1.7
    side = (m + 2 * p) * cell
    width = 4 * side + 3 * gap + 1.2
    fig, ax = diagrams.canvas(width, 16.4, scale=0.42)

    # Top row: padding keeps the size.
    top = 14.8
    x_img, x_pad, x_out = 0.6, 6.6, 15.4
    mid = top - side / 2
    img_top = mid + m * cell / 2
    diagrams.grid(ax, image, x_img, img_top, cell=cell, fontsize=10)
    diagrams.label(ax, x_img + m * cell / 2, top + 0.6, f"input  {m}{diagrams.TIMES}{m}",
                   color=diagrams.COLORS["input"],
                   weight="bold")
    diagrams.arrow(ax, (x_img + m * cell + 0.3, mid), (x_pad - 0.5, mid), color=diagrams.COLORS["muted"],
                   lw=1.8)
    diagrams.label(ax, (x_img + m * cell + x_pad) / 2 - 0.1, mid + 0.45, f"pad p = {p}", size=10,
                   color=diagrams.COLORS["muted"])
    _padded_grid(ax, padded["zeros"], p, x_pad, top, cell, 10)
    diagrams.frame(ax, x_pad, top, k, k, cell=cell, color=diagrams.COLORS["kernel"], lw=2.5)
    diagrams.label(ax, x_pad + side / 2, top + 0.6, f"padded  {m + 2 * p}{diagrams.TIMES}{m + 2 * p}",
                   color=diagrams.COLORS["grid"], weight="bold")
    # The padding is symmetric: p rows above and below, p columns left and right.
    for start in (x_pad, x_pad + (m + p) * cell):
        diagrams.brace(ax, start, start + p * cell, top - side - 0.12, side="down", depth=0.3)
        diagrams.label(ax, start + p * cell / 2, top - side - 0.75, "p", size=10,
                       color=diagrams.COLORS["muted"])
    for start in (top - side, top - p * cell):
        diagrams.brace(ax, start, start + p * cell, x_pad + side + 0.12, side="right", depth=0.3)
        diagrams.label(ax, x_pad + side + 0.75, start + p * cell / 2, "p", size=10,
                       color=diagrams.COLORS["muted"])
    diagrams.label(ax, x_pad + side / 2, top - side - 1.2,
                   f"the same p = {p} on every side: {p} row above and below, {p} column left and right",
                   size=10, color=diagrams.COLORS["muted"], va="top")
    diagrams.arrow(ax, (x_pad + side + 1.0, mid), (x_out - 0.5, mid), color=diagrams.COLORS["muted"], lw=1.8)
    diagrams.label(ax, (x_pad + side + x_out) / 2 + 0.25, mid + 0.45, f"{k}{diagrams.TIMES}{k} kernel",
                   size=10,
                   color=diagrams.COLORS["kernel"])
    diagrams.label(ax, (x_pad + side + x_out) / 2 + 0.25, mid - 0.45, "(all ones)", size=9,
                   color=diagrams.COLORS["muted"])
    diagrams.grid(ax, out, x_out, img_top, cell=cell, kind="output", fontsize=10)
    diagrams.frame(ax, x_out, img_top, 1, 1, cell=cell, color=diagrams.COLORS["output"], lw=2.5)
    diagrams.label(ax, x_out + m * cell / 2, top + 0.6, f"output  {n}{diagrams.TIMES}{n}",
                   color=diagrams.COLORS["output"],
                   weight="bold")
    x_text = x_out + m * cell + 1.0
    diagrams.label(ax, x_text, mid + 0.9, f"N = M + 2p {diagrams.MINUS} k + 1", ha="left", size=12)
    diagrams.label(ax, x_text, mid, f"= {m} + 2{diagrams.DOT}{p} {diagrams.MINUS} {k} + 1 = {n}", ha="left",
                   size=12)
    diagrams.label(ax, x_text, mid - 1.1, f"same size as the input\nwhen p = (k {diagrams.MINUS} 1)/2 = {p}",
                   ha="left", size=11, color=diagrams.COLORS["output"], weight="bold")

    ax.plot([0.4, width - 0.4], [7.75, 7.75], color="#DDDDDD", lw=1)

    # Bottom row: the four padding modes.
    top = 6.3
    for i, (mode, what) in enumerate(PAD_MODES.items()):
        x = 0.6 + i * (side + gap)
        diagrams.label(ax, x + side / 2, top + 0.6, f'padding_mode="{mode}"', weight="bold")
        _padded_grid(ax, padded[mode], p, x, top, cell, 10)
        diagrams.label(ax, x + side / 2, top - side - 0.5, what, size=10, color=diagrams.COLORS["muted"])
    return fig


@figure("02_stride")
def stride() -> Figure:
    """Stride on a 7×7 input with one 3×3 kernel: stride 1 visits 5×5 window positions and gives
    a 5×5 output, stride 2 skips every other position and gives 3×3, and stride (1, 2) gives
    5×3; the kernel keeps its 9 weights in all three.
    """
    m, k = 7, STRIDE_KERNEL.shape[0]
    rng = np.random.default_rng(diagrams.SEED)
    image = rng.integers(0, 5, size=(m, m)).astype(float)
    strides = [(1, 1), (2, 2), (1, 2)]
    outs = [ops.conv2d(image[None, None], STRIDE_KERNEL[None, None], stride=s)[0, 0]
            for s in strides]
    for s, out in zip(strides, outs, strict=True):
        assert out.shape == shapes.conv_output_size((m, m), k, stride=s)
        assert np.array_equal(out, outs[0][::s[0], ::s[1]])  # stride = skipping outputs

    cell = 0.74
    side = m * cell
    gap = 2.2
    x0 = 6.6
    width = x0 + 3 * side + 2 * gap + 0.8
    fig, ax = diagrams.canvas(width, 16.4, scale=0.4)
    top_in, top_out = 14.3, 7.0
    wcolor, ocolor = diagrams.COLORS["kernel"], diagrams.COLORS["output"]
    styles = ["-", (0, (4, 2)), (0, (1, 1.5))]  # first window, next along the row, next row

    # The kernel, drawn once: the same 9 weights whatever the stride.
    kc = 0.8
    diagrams.grid(ax, STRIDE_KERNEL, 1.2, top_in - 1.0, cell=kc, kind="kernel", weight="bold")
    diagrams.label(ax, 1.2 + 1.5 * kc, top_in - 0.3, f"kernel {k}{diagrams.TIMES}{k}", color=wcolor,
                   weight="bold")
    diagrams.label(ax, 1.2 + 1.5 * kc, top_in - 1.2 - k * kc, f"{k * k} weights,\nthe same\nfor every "
                   "stride", color=diagrams.COLORS["muted"], size=10, va="top")

    for i, ((sh, sw), out) in enumerate(zip(strides, outs, strict=True)):
        x = x0 + i * (side + gap)
        rows, cols = out.shape
        name = f"stride {sh}" if sh == sw else f"stride ({sh}, {sw})"
        diagrams.label(ax, x + side / 2, top_in + 1.3, name, weight="bold", size=13)
        centres = [(r * sh + k // 2, c * sw + k // 2) for r in range(rows) for c in range(cols)]
        diagrams.grid(ax, image, x, top_in, cell=cell, fontsize=9,
                      fill=diagrams.tints(image.shape, centres, CENTRE_FILL))
        windows = [(0, 0), (0, sw), (sh, 0)]
        for (r, c), ls in zip(windows, styles, strict=True):
            diagrams.outline(ax, x + c * cell, top_in - r * cell, k, k, cell=cell, color=wcolor,
                     linestyle=ls)
        # The steps between windows: sw along a row, sh down to the next row of windows.
        diagrams.arrow(ax, (x, top_in + 0.35), (x + sw * cell, top_in + 0.35), color=wcolor, lw=1.5,
                       mutation=10, shrink=0)
        diagrams.label(ax, x + sw * cell + 0.15, top_in + 0.4, f"{sw} {'column' if sw == 1 else 'columns'}",
                       color=wcolor, size=9, ha="left")
        diagrams.arrow(ax, (x - 0.35, top_in), (x - 0.35, top_in - sh * cell), color=wcolor, lw=1.5,
                       mutation=10, shrink=0)
        diagrams.label(ax, x - 0.5, top_in - sh * cell / 2, f"{sh}", color=wcolor, size=9, ha="right")

        x_out = x + (side - cols * cell) / 2
        diagrams.grid(ax, out, x_out, top_out, cell=cell, kind="output", fontsize=9)
        for (r, c), ls in zip([(0, 0), (0, 1), (1, 0)], styles, strict=True):
            diagrams.outline(ax, x_out + c * cell, top_out - r * cell, 1, 1, cell=cell, color=ocolor,
                     linestyle=ls)
        diagrams.arrow(ax, (x + side / 2, top_in - side - 0.2), (x + side / 2, top_out + 0.25),
                       color=diagrams.COLORS["muted"], lw=1.5)
        diagrams.label(ax, x + side / 2 + 0.2, (top_in - side + top_out) / 2, f"{rows}{diagrams.TIMES}{cols}",
                       color=ocolor, weight="bold", ha="left")
        lines = [f"{FLOOR_L}({m} {diagrams.MINUS} {k})/{s}{FLOOR_R} + 1 = {n}"
                 for s, n in ((sh, rows), (sw, cols))]
        text = lines[0] if sh == sw else f"rows: {lines[0]}\ncolumns: {lines[1]}"
        diagrams.label(ax, x + side / 2, top_out - 5 * cell - 0.4, text, size=10, va="top")
        if (sh, sw) == (2, 2):
            diagrams.label(ax, x + side / 2, top_out - 5 * cell - 1.1, "every 2nd row and column\n"
                           "of the stride-1 output", size=9, va="top", color=diagrams.COLORS["muted"])

    diagrams.label(ax, x0 - 1.5, top_in - side / 2, f"input\n{m}{diagrams.TIMES}{m}",
                   color=diagrams.COLORS["input"],
                   weight="bold", size=10)
    legend = ["first window", "next window in the row", "first window of\nthe next row"]
    for j, (text, ls) in enumerate(zip(legend, styles, strict=True)):
        y = top_out - 0.9 - j * 1.0
        ax.plot([0.5, 1.4], [y, y], color=wcolor, lw=2.2, linestyle=ls)
        diagrams.label(ax, 1.6, y, text, size=9, ha="left", va="center")
    diagrams.label(ax, 0.5, top_out - 0.1, "windows, and their outputs:", size=9, ha="left",
                   color=diagrams.COLORS["muted"])
    diagrams.label(ax, width / 2, 0.55, "Stride skips window positions (shaded: the window centres): the"
                   " feature map shrinks, the kernel does not.", size=12, weight="bold")
    return fig


@figure("02_output_size_formula")
def output_size_formula() -> Figure:
    """The output-size formula on a row of pixels: M = 7 input cells with p = 1 padding cell on
    each side and a window of k = 3 moved by s = 2 give 4 window positions, the floor of
    (7 + 2 − 3)/2 plus 1; with M = 8 and no padding, (8 − 3)/2 = 2.5 is floored to 2, so 3
    windows fit and the last pixel is never used.
    """
    cases = [(7, 1, 3, 2), (8, 0, 3, 2)]  # M, p, k, s
    fig, ax = diagrams.canvas(25.6, 14.9, scale=0.42)
    cell, bar, pitch = 1.0, 0.46, 0.62
    x_in = 2.2  # left edge of the first input cell (both rows)
    x_formula = 15.0
    tops = [13.2, 6.4]

    for (m, p, k, s), top in zip(cases, tops, strict=True):
        n = shapes.conv_output_size(m, k, stride=s, padding=p)
        y = ops.conv1d(np.ones((1, m)), np.ones((1, 1, k)), stride=s, padding=p)
        assert y.shape == (1, n)
        starts = [j * s for j in range(n)]  # in padded coordinates
        covered = {i for start in starts for i in range(start, start + k)}
        cells = m + 2 * p
        x0 = x_in - p * cell
        values = np.full(cells, np.nan)
        values[:p] = values[cells - p:] = 0
        fills = [[diagrams.PAD_FILL if (i < p or i >= cells - p) else None for i in range(cells)]]
        diagrams.grid(ax, values, x0, top, cell=cell, fill=fills, text_color=diagrams.COLORS["muted"])
        for i in range(p, cells - p):
            diagrams.label(ax, x0 + (i + 0.5) * cell, top - 0.5 * cell, str(i - p + 1), size=9,
                           color=diagrams.COLORS["input"])
        for i in sorted(set(range(cells)) - covered):  # never inside a window
            ax.add_patch(Rectangle((x0 + i * cell, top - cell), cell, cell, fill=False,
                                   hatch="///", edgecolor="#E8AEB0", linewidth=0, zorder=2))
            diagrams.label(ax, x0 + (i + 0.5) * cell, top - cell - 0.35, "never used", size=9,
                           color=diagrams.COLORS["R"], va="top")

        # What each symbol is: braces over the row.
        diagrams.brace(ax, x_in, x_in + m * cell, top + 0.12, side="up", color=diagrams.COLORS["input"])
        diagrams.label(ax, x_in + m * cell / 2, top + 0.85, f"M = {m} input pixels",
                       color=diagrams.COLORS["input"], size=11, weight="bold")
        for start in (x0, x_in + m * cell)[:2 if p else 0]:
            diagrams.brace(ax, start, start + p * cell, top + 0.12, side="up")
            diagrams.label(ax, start + p * cell / 2, top + 0.85, f"p = {p}", size=11,
                           color=diagrams.COLORS["grid"])
        if not p:
            diagrams.label(ax, x0 - 0.3, top - 0.5 * cell, f"p = {p}", size=11, ha="right",
                           color=diagrams.COLORS["grid"])

        # The window positions, one under the other, counted 1..N.
        for j, start in enumerate(starts):
            yb = top - cell - 0.25 - j * pitch
            ax.add_patch(Rectangle((x0 + start * cell + 0.06, yb - bar), k * cell - 0.12, bar,
                                   facecolor=diagrams.FILLS["kernel"], edgecolor=diagrams.COLORS["kernel"],
                                   linewidth=1.8, zorder=3))
            diagrams.label(ax, x0 + (start + k) * cell + 0.3, yb - bar / 2, str(j + 1), size=11,
                           color=diagrams.COLORS["output"], weight="bold", ha="left")
        y1 = top - cell - 0.25 - bar / 2
        diagrams.label(ax, x0 + k * cell / 2, y1, f"k = {k}", size=9, color=diagrams.COLORS["kernel"],
                       weight="bold", zorder=4)
        y2 = y1 - pitch
        diagrams.arrow(ax, (x0 + 0.06, y2), (x0 + s * cell + 0.06, y2), color=diagrams.COLORS["kernel"],
                       lw=1.4,
                       mutation=10, shrink=0)
        diagrams.label(ax, x0 + s * cell / 2, y2 - 0.38, f"s = {s}", size=9, color=diagrams.COLORS["kernel"],
                       weight="bold")
        y_last = top - cell - 0.25 - (n - 1) * pitch - bar
        diagrams.label(ax, x0 + 0.06, y_last - 0.5, f"N = {n} window positions {ARROW} {n} outputs",
                       size=11, color=diagrams.COLORS["output"], ha="left", weight="bold")

        # The formula with the numbers substituted.
        total = m + 2 * p - k
        exact = total / s
        steps = (f"{FLOOR_L}{diagrams.fmt(exact)}{FLOOR_R} + 1 = {total // s} + 1"
                 if total % s else f"{FLOOR_L}{total}/{s}{FLOOR_R} + 1")
        diagrams.label(ax, x_formula, top - 0.2,
                       f"N = {FLOOR_L}(M + 2p {diagrams.MINUS} k) / s{FLOOR_R} + 1", size=13, ha="left")
        diagrams.label(ax, x_formula + 0.75, top - 1.3,
                       f"= {FLOOR_L}({m} + 2{diagrams.DOT}{p} {diagrams.MINUS} {k}) / {s}{FLOOR_R} + 1",
                       size=13, ha="left")
        diagrams.label(ax, x_formula + 0.75, top - 2.4, f"= {steps} = {n}", size=13, ha="left",
                       weight="bold")
        room = f"{m} + 2{diagrams.DOT}{p} {diagrams.MINUS} {k} = {total}: the room the window moves in;\n"
        if total % s:
            dropped = ", ".join(str(i - p + 1) for i in sorted(set(range(p, cells - p)) - covered))
            room += (f"{total}/{s} = {diagrams.fmt(exact)} steps of {s}: only {total // s} whole steps "
                     f"fit,\nthe floor drops the rest (pixel {dropped} is never used)")
        else:
            room += f"{total}/{s} = {diagrams.fmt(exact)} steps of {s}, plus 1 for the first position"
        diagrams.label(ax, x_formula + 0.75, top - 3.3, room, size=10, ha="left", va="top",
                       color=diagrams.COLORS["R"] if total % s else diagrams.COLORS["muted"])

    ax.plot([0.4, 25.2], [7.8, 7.8], color="#DDDDDD", lw=1)
    diagrams.label(ax, 12.8, 0.5,
                   f"With dilation d:  N = {FLOOR_L}(M + 2p {diagrams.MINUS} d(k {diagrams.MINUS} 1) "
                   f"{diagrams.MINUS} 1) / s{FLOOR_R} + 1, the formula above when d = 1.  Conv2d "
                   "applies it to H and to W.", size=11)
    return fig
