"""Figures of notebook 01, "Convolution in code": 1-D, 2-D and multi-channel convolution, and
the bias.

Every example uses small integers, so each sum drawn can be checked by hand.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Polygon, Rectangle

from .. import diagrams, ops
from ..kernels import get_kernel
from .registry import figure

# ----------------------------------------------------------------------------------------------
# Example data (small integers, so every sum can be checked by hand)

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
    rng = np.random.default_rng(diagrams.SEED)
    image = rng.integers(0, 5, size=(3, 5, 5)).astype(float)
    kernel = rng.integers(-1, 3, size=(3, 3, 3)).astype(float)
    return image, kernel


# ----------------------------------------------------------------------------------------------
# Figures


@figure("01_convolution_1d")
def convolution_1d() -> Figure:
    """1-D convolution: a 3-tap kernel (1, 2, −1) slides over a 9-number signal; at position 3
    it computes 1·3 + 2·1 + (−1)·4 = 1, and the output has 9 − 3 + 1 = 7 numbers.
    """
    x, w = SIGNAL_1D, KERNEL_1D
    y = ops.correlate(x, w)
    n, k, i = len(x), len(w), 3
    left = 3.0  # first signal cell
    fig, ax = diagrams.canvas(left + n + 0.5, 8.0, scale=0.6)

    top_in, top_k, top_out = 6.6, 4.9, 2.6
    ax.text(left + i + 1.5, 7.35, "window", ha="center", va="center", fontsize=10,
            color=diagrams.COLORS["kernel"], weight="bold")
    for j in range(n):  # indices above the signal
        diagrams.label(ax, left + j + 0.5, top_in + 0.3, str(j), size=9, color=diagrams.COLORS["muted"])
    tint = [[diagrams.FILLS["kernel"] if i <= j < i + k else None for j in range(n)]]
    diagrams.grid(ax, x, left, top_in, kind="input", fill=tint, fontsize=13)
    diagrams.frame(ax, left + i, top_in, 1, k)
    diagrams.grid(ax, w, left + i, top_k, kind="kernel", fontsize=13, weight="bold")
    for t in range(k):  # "×" between each signal value and its weight
        diagrams.label(ax, left + i + t + 0.5, (top_in - 1 + top_k) / 2, diagrams.TIMES, size=12,
                       color=diagrams.COLORS["muted"])
        diagrams.arrow(ax, (left + i + t + 0.5, top_k - 1), (left + i + 1.2 + 0.3 * t, top_out),
                       color=diagrams.COLORS["kernel"], lw=1.3, mutation=11)
    diagrams.label(ax, left + i + k - 0.2, (top_k - 1 + top_out) / 2 + 0.15, "multiply, then add",
                   size=10, color=diagrams.COLORS["kernel"], ha="left", style="italic")
    # Output j sits under the centre of its window: the row is k − 1 cells shorter.
    out_left = left + (k - 1) / 2
    diagrams.grid(ax, y, out_left, top_out, kind="output", fontsize=13)
    diagrams.frame(ax, out_left + i, top_out, 1, 1, color=diagrams.COLORS["output"])
    for j in range(len(y)):
        diagrams.label(ax, out_left + j + 0.5, top_out - 1.3, str(j), size=9, color=diagrams.COLORS["muted"])

    label_x = left - 0.35
    diagrams.label(ax, label_x, top_in - 0.5, f"input x\nN = {n}", ha="right", color=diagrams.COLORS["input"],
                   weight="bold")
    diagrams.label(ax, label_x, top_k - 0.5, f"kernel w\nk = {k}", ha="right",
                   color=diagrams.COLORS["kernel"],
                   weight="bold")
    diagrams.label(ax, label_x, top_out - 0.5, f"output y\nN {diagrams.MINUS} k + 1 = {len(y)}", ha="right",
                   color=diagrams.COLORS["output"], weight="bold")
    terms = " + ".join(f"{diagrams.term(a)}{diagrams.DOT}{diagrams.term(b)}" for a, b in zip(w, x[i:i + k],
                                                                                             strict=True))
    diagrams.label(ax, (left + n + 0.5) / 2 + 0.6, 0.45,
                   f"y[{i}] = w{diagrams.DOT}x[{i}:{i + k}] = {terms} = {diagrams.fmt(y[i])}", size=12)
    return fig


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

    fig, ax = diagrams.canvas(27.0, 9.8, scale=0.42)
    top_img, top_small = 7.9, 6.4
    mid = top_small - k / 2
    x_img, x_win, x_ker, x_prod, x_out = 0.4, 7.8, 12.0, 16.2, 22.4
    top_out = mid + r + 0.5  # the output row r is level with the products

    diagrams.grid(ax, image, x_img, top_img,
                  fill=diagrams.tints(image.shape, diagrams.window_cells(r, c, k), diagrams.FILLS["kernel"]))
    diagrams.frame(ax, x_img + c, top_img - r, k, k)
    for y_off in (0, k):  # dashed guides from the window to its copy
        ax.plot([x_img + c + k, x_win], [top_img - r - y_off, top_small - y_off], ls="--",
                lw=1, color=diagrams.COLORS["kernel"], zorder=0)
    diagrams.grid(ax, window, x_win, top_small, fill=diagrams.FILLS["kernel"])
    diagrams.frame(ax, x_win, top_small, k, k)
    diagrams.grid(ax, kernel, x_ker, top_small, kind="kernel", weight="bold")
    diagrams.grid(ax, products, x_prod, top_small, kind="product")
    diagrams.grid(ax, out, x_out, top_out, kind="output")
    diagrams.frame(ax, x_out + c, top_out - r, 1, 1, color=diagrams.COLORS["output"])

    diagrams.label(ax, x_win + k + 0.6, mid, diagrams.TIMES, size=20)
    diagrams.label(ax, x_ker + k + 0.6, mid, "=", size=20)
    diagrams.arrow(ax, (x_prod + k + 0.2, mid), (x_out + c, top_out - r - 0.5),
                   color=diagrams.COLORS["output"], lw=2, shrink=1)
    diagrams.label(ax, (x_prod + k + x_out) / 2, mid + 0.45, "sum", size=12, color=diagrams.COLORS["output"],
                   weight="bold")

    title_y = top_small + 0.7
    diagrams.label(ax, x_img + 3, top_img + 0.7, "input image  6×6", color=diagrams.COLORS["input"],
                   weight="bold")
    diagrams.label(ax, x_win + 1.5, title_y, "window", color=diagrams.COLORS["kernel"], weight="bold")
    diagrams.label(ax, x_ker + 1.5, title_y, "kernel  3×3", color=diagrams.COLORS["kernel"], weight="bold")
    diagrams.label(ax, x_prod + 1.5, title_y, "products", color=diagrams.COLORS["product"], weight="bold")
    diagrams.label(ax, x_out + 2, top_out + 0.7, "output  4×4", color=diagrams.COLORS["output"],
                   weight="bold")
    diagrams.label(ax, x_out + 2, top_out - 4.5, f"6 {diagrams.MINUS} 3 + 1 = 4",
                   color=diagrams.COLORS["muted"],
                   size=10)
    diagrams.label(ax, (x_win + x_prod + k) / 2, 0.7,
                   f"y[{r}, {c}] = {diagrams.sum_expression(products)} = {diagrams.fmt(out[r, c])}", size=12)
    return fig


@figure("01_convolution_2d_sliding")
def convolution_2d_sliding() -> Figure:
    """The kernel slides over the image: from step 1 to step 4 the 3×3 window moves one pixel
    right at a time and fills the next pixel of the output's top row; at step 5 it goes back to
    the left, one row down.
    """
    image, kernel = IMAGE_2D, KERNEL_2D
    out = ops.correlate(image, kernel)
    k = kernel.shape[0]
    order = list(np.ndindex(*out.shape))
    steps = range(5)
    panel, gap = 6.0, 1.6
    width = len(steps) * panel + (len(steps) - 1) * gap + 0.6
    fig, ax = diagrams.canvas(width, 14.2, scale=0.36)
    top_img, top_out = 12.7, 5.3

    for s in steps:
        r, c = order[s]
        x0 = 0.3 + s * (panel + gap)
        x_out = x0 + (panel - out.shape[1]) / 2
        diagrams.label(ax, x0 + panel / 2, top_img + 0.8, f"step {s + 1}: y[{r}, {c}]", size=12,
                       weight="bold")
        diagrams.grid(ax, image, x0, top_img, fontsize=10,
                      fill=diagrams.tints(image.shape, diagrams.window_cells(r, c, k),
                                          diagrams.FILLS["kernel"]))
        diagrams.frame(ax, x0 + c, top_img - r, k, k, lw=2.5)
        values = np.full(out.shape, np.nan)
        fills: list[list[str | None]] = [[None] * out.shape[1] for _ in range(out.shape[0])]
        for done in order[:s + 1]:
            values[done] = out[done]
        for rr, cc in order[s + 1:]:
            fills[rr][cc] = diagrams.FILLS["empty"]
        diagrams.grid(ax, values, x_out, top_out, kind="output", fill=fills, fontsize=10)
        diagrams.frame(ax, x_out + c, top_out - r, 1, 1, color=diagrams.COLORS["output"], lw=2.5)
        # A light beam from the window down to its output pixel, hidden behind the cells.
        beam = [(x0 + c, top_img - r - k), (x0 + c + k, top_img - r - k),
                (x_out + c + 1, top_out - r), (x_out + c, top_out - r)]
        ax.add_patch(Polygon(beam, closed=True, facecolor=diagrams.FILLS["output"],
                             edgecolor=diagrams.COLORS["output"], linewidth=1, linestyle="--", zorder=0.5))
        if s < len(steps) - 1:
            diagrams.label(ax, x0 + panel + gap / 2, top_img - 3, "\N{RIGHTWARDS ARROW}", size=20,
                           color=diagrams.COLORS["muted"])
    diagrams.label(ax, width / 2, 0.55, f"kernel = {diagrams.kernel_text(kernel)}.  The window moves left to "
                   "right, then one row down; each position gives the next output pixel.", size=11)
    return fig


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

    fig, ax = diagrams.canvas(24.4, 19.0, scale=0.4)
    cell, out_cell = 0.8, 1.1
    x_in, x_ker, x_sum, x_out = 2.0, 7.9, 11.6, 19.4
    plus = np.array([17.2, 8.0])  # the node where the channel sums meet
    radius = 0.6
    row_tops = [14.6, 10.0, 5.4]
    top_out = plus[1] + (r + 0.5) * out_cell  # output row r level with the node

    # Header: the tensors as stacks of channels.
    diagrams.stack(ax, x_in + 1.0, 17.8, [diagrams.COLORS[n] for n in names],
                   [diagrams.FILLS[n] for n in names], 1.5)
    diagrams.label(ax, x_in + 2.0, 15.9, "input\n3 channels of 5×5", color=diagrams.COLORS["input"],
                   weight="bold", va="top")
    diagrams.stack(ax, x_ker + 0.6, 17.5, [diagrams.COLORS[n] for n in names],
                   [diagrams.FILLS["kernel"]] * 3, 1.0,
                   offset=0.3)
    diagrams.label(ax, x_ker + 1.2, 15.9, "kernel\n3 slices of 3×3", color=diagrams.COLORS["kernel"],
                   weight="bold", va="top")
    ax.add_patch(Rectangle((x_out + 1.0, 16.3), 1.3, 1.3, facecolor=diagrams.FILLS["output"],
                           edgecolor=diagrams.COLORS["output"], linewidth=1.5))
    diagrams.label(ax, x_out + 1.65, 15.9, "output\n1 channel of 3×3", color=diagrams.COLORS["output"],
                   weight="bold", va="top")

    for ch, (name, top) in enumerate(zip(names, row_tops, strict=True)):
        mid = top - 2.5 * cell
        diagrams.grid(ax, image[ch], x_in, top, cell=cell, fontsize=10, edge=diagrams.COLORS[name],
                      fill=diagrams.FILLS[name])
        diagrams.frame(ax, x_in + c * cell, top - r * cell, k, k, cell=cell, lw=2.5)
        diagrams.label(ax, x_in - 0.35, mid, name, color=diagrams.COLORS[name], size=16, weight="bold",
                       ha="right")
        diagrams.label(ax, x_in + 5 * cell + 0.95, mid, diagrams.TIMES, size=18)
        diagrams.grid(ax, kernel[ch], x_ker, mid + 1.5 * cell, cell=cell, kind="kernel", fontsize=10,
                      edge=diagrams.COLORS[name])
        diagrams.label(ax, x_ker + 3 * cell + 0.7, mid, "=", size=18)
        ax.add_patch(Rectangle((x_sum, mid - 0.55), 3.0, 1.1, facecolor=diagrams.FILLS[name],
                               edgecolor=diagrams.COLORS[name], linewidth=1.5))
        diagrams.label(ax, x_sum + 1.5, mid, f"sum = {diagrams.fmt(partial[ch])}", size=12)
        start = np.array([x_sum + 3.0, mid])
        direction = (plus - start) / np.linalg.norm(plus - start)
        diagrams.arrow(ax, tuple(start), tuple(plus - direction * radius), color=diagrams.COLORS["output"],
                       lw=1.5, shrink=1)

    ax.add_patch(Circle(tuple(plus), radius, facecolor="white", edgecolor=diagrams.COLORS["output"],
                        linewidth=2))
    diagrams.label(ax, *plus, "+", size=20, weight="bold", color=diagrams.COLORS["output"])
    diagrams.arrow(ax, (plus[0] + radius, plus[1]), (x_out + c * out_cell, plus[1]),
                   color=diagrams.COLORS["output"], lw=2, shrink=1)
    diagrams.grid(ax, out, x_out, top_out, cell=out_cell, kind="output", fontsize=12)
    diagrams.frame(ax, x_out + c * out_cell, top_out - r * out_cell, 1, 1, cell=out_cell,
                   color=diagrams.COLORS["output"])
    diagrams.label(ax, x_out + 1.5 * out_cell, top_out - 3 * out_cell - 1.2,
                   f"y[{r}, {c}] = {' + '.join(diagrams.term(p) for p in partial)}\n"
                   f"= {diagrams.fmt(out[r, c])}", size=12)
    diagrams.label(ax, 12.2, 0.6, "The kernel has as many channels as the input; "
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

    fig, ax = diagrams.canvas(20.4, 12.0, scale=0.42)
    top = 11.3
    mid = top - 1.5
    diagrams.grid(ax, window, 0.4, top, fill=diagrams.FILLS["kernel"])
    diagrams.frame(ax, 0.4, top, k, k)
    diagrams.label(ax, 4.0, mid, diagrams.TIMES, size=20)
    diagrams.grid(ax, kernel, 4.6, top, kind="kernel", weight="bold")

    def box(x: float, value: float, kind: str, caption: str) -> None:
        ax.add_patch(Rectangle((x, mid - 0.7), 1.6, 1.4, facecolor=diagrams.FILLS[kind],
                               edgecolor=diagrams.COLORS[kind], linewidth=2.5))
        diagrams.label(ax, x + 0.8, mid, diagrams.fmt(value), size=16, weight="bold")
        diagrams.label(ax, x + 0.8, mid - 1.3, caption, color=diagrams.COLORS[kind], weight="bold", va="top")

    diagrams.label(ax, 8.9, mid + 0.35, "sum", size=11, color=diagrams.COLORS["muted"])
    diagrams.arrow(ax, (8.1, mid), (9.8, mid), color=diagrams.COLORS["muted"], lw=1.8)
    box(10.0, s, "product", "s")
    diagrams.label(ax, 12.3, mid, "+", size=20)
    box(13.0, b, "bias", "bias b")
    diagrams.label(ax, 15.3, mid, "=", size=20)
    box(16.0, y, "output", "output")
    diagrams.label(ax, 2.0, top - 3.6, "window", color=diagrams.COLORS["kernel"], weight="bold")
    diagrams.label(ax, 6.1, top - 3.6, "kernel", color=diagrams.COLORS["kernel"], weight="bold")
    terms = " + ".join(diagrams.term(v) for v in (window * kernel).ravel())
    diagrams.label(ax, 10.2, top - 4.6,
                   f"s = {terms} = {diagrams.fmt(s)};   y = s + b = {diagrams.fmt(s)} + {diagrams.term(b)}"
                   f" = {diagrams.fmt(y)}", size=11)

    ax.plot([0.4, 20.0], [5.95, 5.95], color="#DDDDDD", lw=1)
    top2, x_a, x_b = 4.9, 3.4, 12.6
    diagrams.grid(ax, plain, x_a, top2, kind="product")
    diagrams.grid(ax, with_bias, x_b, top2, kind="output")
    diagrams.frame(ax, x_a + c, top2 - r, 1, 1, color=diagrams.COLORS["product"])
    diagrams.frame(ax, x_b + c, top2 - r, 1, 1, color=diagrams.COLORS["output"])
    diagrams.arrow(ax, (x_a + 4.4, top2 - 2), (x_b - 0.4, top2 - 2), color=diagrams.COLORS["bias"], lw=2.2)
    diagrams.label(ax, (x_a + 4 + x_b) / 2, top2 - 1.45, f"+ b = {diagrams.fmt(b)}",
                   color=diagrams.COLORS["bias"],
                   weight="bold", size=12)
    diagrams.label(ax, (x_a + 4 + x_b) / 2, top2 - 2.6, "every pixel", color=diagrams.COLORS["bias"], size=10)
    diagrams.label(ax, x_a - 0.3, top2 - 2, "sums s", ha="right", color=diagrams.COLORS["product"],
                   weight="bold")
    diagrams.label(ax, x_b + 4.3, top2 - 2, "output\ns + b", ha="left", color=diagrams.COLORS["output"],
                   weight="bold")
    return fig


#: The photo, size and bias of the bias figure: notebook 01's defaults, so the percentages the
#: figure shows are the ones the notebook prints right after it.
BIAS_PHOTO, BIAS_PHOTO_SIZE, BIAS_MAP = "camera", 256, -0.5


def relu_pass_percent(edges, bias: float) -> float:
    """Percent of the values of ``edges + bias`` (a torch tensor) that pass a ReLU (are > 0).

    The same computation as notebook 01's cell after the bias figure.
    """

    return float(100 * (torch.relu(edges + bias) > 0).float().mean())


# 17 shades, white in the middle for 0: as readable as a smooth scale, and the PNG compresses.
SIGNED_LEVELS = mpl.colormaps["RdBu_r"].resampled(17)


@figure("01_bias_feature_map")
def bias_feature_map() -> Figure:
    """The bias on a feature map: a vertical-edge kernel applied to a photo gives the map z; z
    + b with b = −0.5 is the same map shifted by −0.5 everywhere; after ReLU, z keeps every
    positive response while z + b keeps only the strong edges above 0.5.
    """

    from ..data import load_image, to_batch

    image = load_image(BIAS_PHOTO, BIAS_PHOTO_SIZE, gray=True)
    kernel = get_kernel("vertical edges")  # the notebook's kernel, same sign
    b = BIAS_MAP
    edges = F.conv2d(to_batch(image), torch.tensor(kernel)[None, None])  # as the notebook does
    # The maps are drawn from float64 arithmetic, so the picture's bytes do not depend on how
    # many threads torch used; the percentages come from the notebook's own computation.
    z = ops.conv2d_fast(image[None].astype(float), kernel[None, None].astype(float))[0]
    assert np.allclose(z, edges[0, 0].numpy(), atol=1e-5)
    zb = z + b
    relu = np.maximum
    maps = [
        (z, "z = conv2d(x, k)", f"mean {diagrams.fmt(z.mean())}"),
        (zb, f"z + b   (b = {diagrams.fmt(b)})",
         f"mean {diagrams.fmt(zb.mean())}: every value moved by {diagrams.fmt(b)}"),
        (relu(z, 0), "ReLU(z)", f"kept where z > 0: {relu_pass_percent(edges, 0.0):.1f}% of pixels"),
        (relu(zb, 0), "ReLU(z + b)",
         f"kept where z > {diagrams.fmt(-b)}: {relu_pass_percent(edges, b):.1f}% of pixels"),
    ]
    vmax = 2.0

    def shown(values: np.ndarray) -> np.ndarray:
        """Every other row and column: the figure shows each map at about 230 pixels, and a PNG
        of four full-size noisy maps in a smooth colour scale would be 375 KB."""
        return values[::2, ::2]

    fig = Figure(figsize=(10.0, 6.0), dpi=diagrams.DPI, layout="constrained")
    fig.get_layout_engine().set(h_pad=0.12)
    spec = fig.add_gridspec(2, 4, width_ratios=[1, 1, 1, 0.06])
    ax_img = fig.add_subplot(spec[0, 0])
    ax_img.imshow(shown(image), cmap="gray", vmin=0, vmax=1)
    ax_img.set_title("input x", color=diagrams.COLORS["input"])
    ax_ker = fig.add_subplot(spec[1, 0])
    ax_ker.set_xlim(-0.2, 3.2)
    ax_ker.set_ylim(-0.9, 3.6)
    ax_ker.set_aspect("equal")
    diagrams.grid(ax_ker, kernel, 0, 3, kind="kernel", fontsize=13, weight="bold")
    ax_ker.set_title("kernel k (vertical edges)", color=diagrams.COLORS["kernel"])
    image_axes = []
    for i, (values, title, note) in enumerate(maps):
        ax = fig.add_subplot(spec[i // 2, 1 + i % 2])
        im = ax.imshow(shown(values), cmap=SIGNED_LEVELS, vmin=-vmax, vmax=vmax)
        ax.set_title(title, color=diagrams.COLORS["output"])
        ax.set_xlabel(note, fontsize=10)
        image_axes.append(ax)
    for ax in (ax_img, ax_ker, *image_axes):
        ax.set_xticks([])
        ax.set_yticks([])
    for spine in ax_ker.spines.values():
        spine.set_visible(False)
    cax = fig.add_subplot(spec[:, 3])
    bar = fig.colorbar(im, cax=cax, extend="both")
    bar.set_label("value (shared scale)")
    return fig
