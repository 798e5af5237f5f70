"""Figures of notebook 05, "Max and mean pooling": mean and max pooling on the same numbers,
receptive fields, a small conv–pool model, and pooling versus stride.

Every value drawn is computed with :mod:`convolved.ops`, every size and receptive field with
:mod:`convolved.shapes` (or by PyTorch itself), and the asserts check what is drawn.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import nn

from .. import diagrams, ops, shapes
from .nb04 import PIXEL_COLORS
from .registry import figure

# ----------------------------------------------------------------------------------------------
# Example data (small integers, so every mean and max can be checked by hand)

#: The 4×4 feature map that both pooling figures pool: one clear winner in every 2×2 window.
POOL_GRID = np.array([
    [2, 4, 1, 0],
    [6, 4, 3, 0],
    [0, 1, 9, 1],
    [1, 2, 2, 0],
], dtype=float)
POOL_SIZE = 2

#: One colour per pooling window (the colours of notebook 04's four input pixels).
WINDOW_COLORS = PIXEL_COLORS

ARROW = "\N{RIGHTWARDS ARROW}"
FLOOR_L, FLOOR_R = "\N{LEFT FLOOR}", "\N{RIGHT FLOOR}"


def _strong(color: str) -> str:
    """A stronger tint of ``color``: a winning cell, or the cells one output unit comes from."""
    return to_hex(diagrams.light(color, 0.45))


def _pooling(kind: str) -> Figure:
    """Mean or max pooling of :data:`POOL_GRID` with 2×2 windows and stride 2."""
    x, k = POOL_GRID, POOL_SIZE
    m = x.shape[0]
    n = shapes.pool_output_size(m, k)
    pool = ops.avg_pool2d if kind == "mean" else ops.max_pool2d
    out = pool(x[None, None], k)[0, 0]
    assert out.shape == (n, n) == (2, 2)
    assert out.ravel().tolist() == ([4, 1, 1, 3] if kind == "mean" else [6, 3, 2, 9])  # alt text
    windows = {(i, j): x[i * k:(i + 1) * k, j * k:(j + 1) * k] for i, j in np.ndindex(n, n)}
    for (i, j), window in windows.items():
        assert out[i, j] == (window.mean() if kind == "mean" else window.max())
    colors = {(i, j): WINDOW_COLORS[i * n + j] for i, j in np.ndindex(n, n)}

    width = 30.6
    fig, ax = diagrams.canvas(width, 9.6, scale=0.42)
    cell, top, x_in = 1.3, 7.8, 1.0
    mid = top - m * cell / 2

    fills: list[list[str | None]] = [[None] * m for _ in range(m)]
    winners = {}
    for (i, j), window in windows.items():
        for a, b in np.ndindex(k, k):
            fills[i * k + a][j * k + b] = diagrams.tint(colors[i, j])
        if kind == "max":
            a, b = np.unravel_index(np.argmax(window), window.shape)
            assert np.sum(window == window.max()) == 1  # one clear winner
            winners[i, j] = (i * k + a, j * k + b)
            fills[i * k + a][j * k + b] = _strong(colors[i, j])
    drawn = x.copy()
    for r, c in winners.values():
        drawn[r, c] = np.nan  # drawn in bold below
    diagrams.grid(ax, drawn, x_in, top, cell=cell, fill=fills, fontsize=14)
    for (i, j), color in colors.items():
        diagrams.frame(ax, x_in + j * k * cell, top - i * k * cell, k, k, cell=cell, color=color, lw=2.6)
    for (i, j), (r, c) in winners.items():  # the winners: bold, framed
        ax.add_patch(Rectangle((x_in + c * cell + 0.1, top - (r + 1) * cell + 0.1),
                               cell - 0.2, cell - 0.2, fill=False, edgecolor=colors[i, j],
                               linewidth=2, zorder=5))
        diagrams.label(ax, x_in + (c + 0.5) * cell, top - (r + 0.5) * cell, diagrams.fmt(x[r, c]), size=14,
                       weight="bold", zorder=6)
    diagrams.label(ax, x_in + m * cell / 2, top + 0.6, f"input  {m}{diagrams.TIMES}{m}",
                   color=diagrams.COLORS["input"],
                   weight="bold")

    x_out = x_in + m * cell + 5.2
    diagrams.arrow(ax, (x_in + m * cell + 0.4, mid), (x_out - 0.4, mid), color=diagrams.COLORS["muted"], lw=2)
    diagrams.label(ax, (x_in + m * cell + x_out) / 2, mid + 0.75, f"{kind} pooling", weight="bold",
                   size=12)
    diagrams.label(ax, (x_in + m * cell + x_out) / 2, mid - 0.8,
                   f"{k}{diagrams.TIMES}{k} windows,\nstride {k}", size=10, color=diagrams.COLORS["muted"],
                   va="top")
    cell_o = cell * 1.2
    top_o = mid + n * cell_o / 2
    diagrams.grid(ax, out, x_out, top_o, cell=cell_o, fontsize=16, weight="bold",
                  fill=[[diagrams.tint(colors[i, j]) for j in range(n)] for i in range(n)])
    for (i, j), color in colors.items():
        diagrams.frame(ax, x_out + j * cell_o, top_o - i * cell_o, 1, 1, cell=cell_o, color=color,
                       lw=2.6)
    diagrams.label(ax, x_out + n * cell_o / 2, top_o + 0.6, f"output  {n}{diagrams.TIMES}{n}",
                   color=diagrams.COLORS["output"], weight="bold")
    diagrams.label(ax, x_out + n * cell_o / 2, top_o - n * cell_o - 0.5,
                   f"{FLOOR_L}({m} {diagrams.MINUS} {k})/{k}{FLOOR_R} + 1 = {n}", size=10,
                   color=diagrams.COLORS["muted"], va="top")

    # The arithmetic, window by window; the first one written out in full.
    x_text = x_out + n * cell_o + 1.6
    diagrams.label(ax, x_text, top - 0.1, "each output pixel = the " + kind + " of its window:",
                   ha="left", size=11, color=diagrams.COLORS["muted"])
    names = {(0, 0): "top left", (0, 1): "top right", (1, 0): "bottom left",
             (1, 1): "bottom right"}
    for row, ((i, j), window) in enumerate(windows.items()):
        values = ", ".join(diagrams.fmt(v) for v in window.ravel())
        if kind == "mean":
            text = (f"({' + '.join(diagrams.fmt(v) for v in window.ravel())}) / {window.size} = "
                    f"{diagrams.fmt(window.sum())} / {window.size} = {diagrams.fmt(out[i, j])}")
        else:
            text = f"max({values}) = {diagrams.fmt(out[i, j])}"
        y = top - 1.1 - row * 1.05
        diagrams.label(ax, x_text, y, names[i, j], ha="left", size=11, color=colors[i, j],
                       weight="bold")
        diagrams.label(ax, x_text + 3.1, y, text, ha="left", size=12,
                       weight="bold" if row == 0 else "normal")
    if kind == "mean":
        note = ("every value counts: the 9 is averaged with 1, 2 and 0 into a 3\n"
                "(a low-pass filter: smooths, softens outliers)")
    else:
        note = ("only the largest value of each window survives; the other 3 are dropped\n"
                "(the 9 stays a 9: sharp features are kept)")
    diagrams.label(ax, x_text, top - 5.3, note, ha="left", va="top", size=10, color=diagrams.COLORS["muted"])

    diagrams.label(ax, width / 2, 0.6, f"{kind.capitalize()} pooling: {m}{diagrams.TIMES}{m} {ARROW} "
                   f"{n}{diagrams.TIMES}{n}, one number per {k}{diagrams.TIMES}{k} window, no weights to "
                   "learn.", size=12, weight="bold")
    return fig


# ----------------------------------------------------------------------------------------------
# Figures


@figure("05_mean_pooling")
def mean_pooling() -> Figure:
    """Mean pooling: a 4×4 feature map is cut into four 2×2 windows with stride 2 and each
    window becomes its average, giving the 2×2 output 4, 1, 1, 3; for the top-left window
    (2 + 4 + 6 + 4) / 4 = 16 / 4 = 4.
    """
    return _pooling("mean")


@figure("05_max_pooling")
def max_pooling() -> Figure:
    """Max pooling on the same 4×4 feature map: each 2×2 window (stride 2) keeps only its
    largest value, the highlighted winning cell, giving the 2×2 output 6, 3, 2, 9; for the
    top-left window max(2, 4, 6, 4) = 6.
    """
    return _pooling("max")


@figure("05_receptive_fields")
def receptive_fields() -> Figure:
    """Receptive fields in a 1-D stack: 12 input pixels, a size-3 convolution, a size-2 max
    pool with stride 2 and another size-3 convolution; one unit at the top depends on 3 pooled
    units, 6 units of the first convolution and 8 input pixels, and one unit of each layer sees
    1, 3, 4 and 8 input pixels, the last convolution adding 4 pixels instead of 2 because the
    pool doubled the jump.
    """
    n_in = 12
    layers = [("conv 3, stride 1", 3, 1), ("max pool 2, stride 2", 2, 2),
              ("conv 3, stride 1", 3, 1)]
    # Receptive field (size, jump) of one unit of each level, from the prefixes of the stack.
    fields = [shapes.ReceptiveField(1, 1)] + [
        shapes.receptive_field([(k, s) for _, k, s in layers[:i + 1]])
        for i in range(len(layers))]
    assert [f.size for f in fields] == [1, 3, 4, 8] and [f.jump for f in fields] == [1, 1, 2, 2]
    counts = [n_in]
    for _, k, s in layers:
        counts.append(shapes.conv_output_size(counts[-1], k, stride=s))
    assert counts == [12, 10, 5, 3]
    # Check the sizes and the dependence on a real stack: the gradient of one top unit is
    # non-zero exactly on its receptive field.

    stack_ = torch.nn.Sequential(torch.nn.Conv1d(1, 1, 3), torch.nn.MaxPool1d(2),
                                 torch.nn.Conv1d(1, 1, 3))
    from_torch = shapes.receptive_field(stack_)  # Conv1d stores sizes as 1-tuples
    assert from_torch == ((fields[-1].size,), (fields[-1].jump,))
    top_unit = 1
    # Trace back: the units of each level that the top unit depends on.
    traced = [[top_unit]]
    for _, k, s in reversed(layers):
        traced.insert(0, sorted({u * s + a for u in traced[0] for a in range(k)}))
    assert [len(t) for t in traced] == [8, 6, 3, 1]
    assert traced[0] == list(range(top_unit * fields[-1].jump,
                                   top_unit * fields[-1].jump + fields[-1].size))
    generator = torch.Generator().manual_seed(diagrams.SEED)
    with torch.no_grad():
        for p in stack_.parameters():
            p.copy_(torch.rand(p.shape, generator=generator) + 0.5)
    x = torch.rand(1, 1, n_in, generator=generator, requires_grad=True)
    y = stack_(x)
    assert y.shape == (1, 1, counts[-1])
    y[0, 0, top_unit].backward()
    assert torch.nonzero(x.grad[0, 0]).ravel().tolist() == traced[0]

    width = 29.0
    fig, ax = diagrams.canvas(width, 15.6, scale=0.42)
    x0 = 6.6  # left edge of input pixel 0
    cell = 1.0
    level_y = [2.6, 5.9, 9.2, 12.5]  # bottom of each level's cells
    trace_color = diagrams.COLORS["R"]

    def centre(level: int, unit: int) -> float:
        size, jump = fields[level]
        return x0 + (unit * jump + size / 2) * cell

    for level, count in enumerate(counts):
        yb = level_y[level]
        for u in range(count):
            xc = centre(level, u)
            hit = u in traced[level]
            ax.add_patch(Rectangle((xc - cell / 2, yb), cell, cell,
                                   facecolor=diagrams.tint(trace_color) if hit else "#F4F4F4",
                                   edgecolor=trace_color if hit else "#9A9A9A",
                                   linewidth=1.8 if hit else 0.9, zorder=3))
        if level:  # the connections of the traced units to the level below
            _, k, s = layers[level - 1]
            for u in traced[level]:
                for a in range(k):
                    ax.plot([centre(level, u), centre(level - 1, u * s + a)],
                            [yb, level_y[level - 1] + cell], color=trace_color, lw=1,
                            alpha=0.55, zorder=2)
    # The top unit, marked.
    diagrams.frame(ax, centre(3, top_unit) - cell / 2, level_y[3] + cell, 1, 1, cell=cell,
                   color=diagrams.COLORS["text"], lw=2.5)
    diagrams.label(ax, centre(3, top_unit), level_y[3] + cell + 0.45, "one unit", size=10,
                   weight="bold")

    # Names of the levels on the left.
    names = ["input"] + [name for name, _, _ in layers]
    for level, name in enumerate(names):
        y = level_y[level] + cell / 2
        diagrams.label(ax, x0 - 0.6, y + 0.25, name, ha="right", size=10.5, weight="bold",
                       color=diagrams.COLORS["grid"])
        used = len(traced[level])
        what = "pixels" if level == 0 else "units"
        text = (f"{counts[level]} {what}, the top unit uses {used}" if level < 3
                else f"{counts[level]} {what}")
        diagrams.label(ax, x0 - 0.6, y - 0.35, text, ha="right", size=9.5, color=trace_color)

    # The receptive field of one unit of each level, on the right.
    x_rf = x0 + n_in * cell + 1.4
    diagrams.label(ax, x_rf, level_y[3] + cell + 1.45, "one unit of this layer sees", ha="left", size=11,
                   color=diagrams.COLORS["muted"], weight="bold")
    diagrams.label(ax, x_rf, level_y[3] + cell + 0.8,
                   f"growth (k {diagrams.MINUS} 1){diagrams.DOT}jump; new jump = "
                   f"jump{diagrams.DOT}stride", ha="left", size=9.5, color=diagrams.COLORS["muted"])
    growth = [None] + [(k - 1) * fields[i].jump for i, (_, k, _) in enumerate(layers)]
    for level, (size, jump) in enumerate(fields):
        y = level_y[level] + cell / 2
        diagrams.label(ax, x_rf, y + 0.2, f"{size} input pixel{'s' if size > 1 else ''}", ha="left",
                       size=13, weight="bold", color=trace_color)
        if level:
            _, k, s = layers[level - 1]
            before = fields[level - 1]
            assert size == before.size + growth[level]
            diagrams.label(ax, x_rf, y - 0.55,
                           f"{before.size} + ({k} {diagrams.MINUS} 1){diagrams.DOT}{before.jump} = {size};  "
                           f"jump {before.jump}{diagrams.DOT}{s} = {jump}", ha="left", size=10,
                           color=diagrams.COLORS["grid"])
        else:
            diagrams.label(ax, x_rf, y - 0.55, "itself; jump 1", ha="left", size=10,
                           color=diagrams.COLORS["grid"])

    # The receptive field of the top unit, on the input.
    first, last = traced[0][0], traced[0][-1]
    diagrams.brace(ax, x0 + first * cell, x0 + (last + 1) * cell, level_y[0] - 0.12, side="down",
           color=trace_color)
    diagrams.label(ax, x0 + (first + last + 1) * cell / 2, level_y[0] - 0.85,
                   f"the top unit sees {len(traced[0])} input pixels", size=11, color=trace_color,
                   weight="bold")
    assert (growth[1], growth[3]) == (2, 4)  # the message below
    diagrams.label(ax, width / 2, 0.5, "Each layer widens what one unit sees; after the stride-2 pool "
                   f"every later layer grows it {fields[2].jump}{diagrams.TIMES} as fast (+4 instead of +2).",
                   size=12, weight="bold")
    return fig


def _digit_model():
    """The small CNN for 8×8 digits drawn in the model figure, built on the meta device."""

    with torch.device("meta"):
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64, 10),
        )


@figure("05_conv_pool_model")
def conv_pool_model() -> Figure:
    """A small CNN for 8×8 digits drawn to scale: the 1×8×8 input, a 3×3 convolution with
    padding 1 to 8×8×8, max pooling to 8×4×4, a second 3×3 convolution to 16×4×4, max pooling
    to 16×2×2, flattening to 64 numbers and a dense layer to 10 class scores; deeper layers have
    more channels and fewer pixels.
    """

    from ..data import digits

    model = _digit_model()
    x = torch.empty(1, 1, 8, 8, device="meta")
    tensors = [tuple(x.shape[1:])]
    steps = []  # (layer, parameters) of the layers that change the shape
    for layer in model:
        y = layer(x)
        if isinstance(layer, nn.ReLU):
            x = y
            continue
        steps.append((layer, sum(p.numel() for p in layer.parameters())))
        tensors.append(tuple(y.shape[1:]))
        x = y
    assert tensors == [(1, 8, 8), (8, 8, 8), (8, 4, 4), (16, 4, 4), (16, 2, 2), (64,), (10,)]
    # The same sizes from the formulas.
    assert shapes.conv_output_size(8, 3, padding=1) == 8 and shapes.pool_output_size(8, 2) == 4
    assert shapes.conv_output_size(4, 3, padding=1) == 4 and shapes.pool_output_size(4, 2) == 2
    params = [p for _, p in steps]
    assert params == [80, 0, 1168, 0, 0, 650]
    images, labels = digits()
    index = int(torch.nonzero(labels == 3)[0])
    digit = images[index, 0].numpy()

    u, depth = 0.5, 0.15  # drawing units per pixel, per channel
    gap = 3.5  # room for each arrow
    y_mid = 6.5
    fig, ax = diagrams.canvas(44.6, 11.8, scale=0.36)
    x = 1.0
    bottoms = []  # (centre x, bottom y) of each drawn tensor, for its caption
    ops_text = {
        nn.Conv2d: lambda layer: f"conv {layer.kernel_size[0]}{diagrams.TIMES}{layer.kernel_size[1]}\n"
                                 f"padding {layer.padding[0]}\n+ ReLU",
        nn.MaxPool2d: lambda layer: f"max pool {layer.kernel_size}\nstride {layer.stride}",
        nn.Flatten: lambda layer: "flatten",
        nn.Linear: lambda layer: f"dense\n{layer.in_features} {ARROW} {layer.out_features}",
    }
    for i, shape in enumerate(tensors):
        if len(shape) == 3:
            c, h, w = shape
            size = h * u
            top = y_mid + size / 2
            edge = diagrams.COLORS["input"] if i == 0 else diagrams.COLORS["output"]
            fill = diagrams.FILLS["input"] if i == 0 else diagrams.FILLS["output"]
            diagrams.stack(ax, x, top, [edge] * c, [fill] * c, size, offset=depth)
            if i == 0:
                ax.imshow(digit, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest",
                          extent=(x, x + size, top - size, top), zorder=2)
                diagrams.frame(ax, x, top, 1, 1, cell=size, color=diagrams.COLORS["input"], lw=1.5)
            extent = size + (c - 1) * depth
            bottoms.append((x + extent / 2, top - size))
            x_end = x + extent
            text = f"{c}{diagrams.TIMES}{h}{diagrams.TIMES}{w}"
            count = c * h * w
        else:  # a column of numbers: flattened features or class scores
            (count,) = shape
            cell = 5.12 / 64 if count == 64 else 0.42
            height = count * cell
            top = y_mid + height / 2
            colw = 0.45
            for r in range(count):
                ax.add_patch(Rectangle((x, top - (r + 1) * cell), colw, cell,
                                       facecolor=diagrams.FILLS["output"],
                                       edgecolor=diagrams.COLORS["output"],
                                       linewidth=0.5 if count == 64 else 1.2, zorder=2))
            if count == 10:
                for r in range(count):
                    diagrams.label(ax, x + colw + 0.3, top - (r + 0.5) * cell, str(r), size=9,
                                   color=diagrams.COLORS["muted"], ha="left")
            bottoms.append((x + colw / 2, top - height))
            x_end = x + colw + (0.8 if count == 10 else 0)
            text = f"{count}"
        xc, yb = bottoms[-1]
        y_caption = y_mid - 2.9
        assert yb > y_caption
        diagrams.label(ax, xc, y_caption, text, weight="bold", va="top", size=12,
                       color=diagrams.COLORS["input"] if i == 0 else diagrams.COLORS["output"])
        diagrams.label(ax, xc, y_caption - 0.75,
                       "10 class scores" if i == len(tensors) - 1 else f"{count} numbers",
                       va="top", size=9.5, color=diagrams.COLORS["muted"])
        if i < len(steps):
            layer, p = steps[i]
            x_next = x_end + gap
            diagrams.arrow(ax, (x_end + 0.35, y_mid), (x_next - 0.35, y_mid), color=diagrams.COLORS["grid"],
                           lw=1.6)
            diagrams.label(ax, (x_end + x_next) / 2, y_mid + 0.5, ops_text[type(layer)](layer),
                           size=10, va="bottom", weight="bold", color=diagrams.COLORS["kernel"]
                           if p else diagrams.COLORS["grid"])
            diagrams.label(ax, (x_end + x_next) / 2, y_mid - 0.45, f"{p:,} parameters" if p else
                           "no parameters", size=9, va="top", color=diagrams.COLORS["muted"])
            x = x_next
    diagrams.label(ax, bottoms[0][0], y_mid + 4.0 * u + 0.8, f"a digit ({int(labels[index])})",
                   size=11, weight="bold", color=diagrams.COLORS["input"])
    diagrams.label(ax, 22.3, 11.0,
                   f"shapes: channels {diagrams.TIMES} height {diagrams.TIMES} width;  orange steps learn "
                   "parameters", size=10,
                   color=diagrams.COLORS["muted"])
    diagrams.label(ax, 22.3, 0.6, f"Deeper layers have more channels (1 {ARROW} 8 {ARROW} 16) and fewer "
                   f"pixels (8{diagrams.TIMES}8 {ARROW} 4{diagrams.TIMES}4 {ARROW} 2{diagrams.TIMES}2): the "
                   "representation becomes more abstract.", size=12, weight="bold")
    return fig


@figure("05_pool_vs_stride")
def pool_vs_stride() -> Figure:
    """Two ways to halve an 8×8 feature map to 4×4: on the left a 3×3 convolution with stride 1
    and padding 1 followed by 2×2 max pooling with stride 2, on the right one 3×3 convolution
    with stride 2 and padding 1; the table compares them: the downsampling step learns 0
    parameters (max pool) or 10 (the strided convolution, one channel), one output unit sees 4×4
    or 3×3 input pixels, and keeps the largest value of a 2×2 window or a learned weighted sum
    of a 3×3 window.
    """

    m, k, pool = 8, 3, 2
    rng = np.random.default_rng(diagrams.SEED)
    image = rng.standard_normal((1, m, m))
    weight = rng.standard_normal((1, 1, k, k))
    conv_map = ops.conv2d(image, weight, padding=1)
    pooled = ops.max_pool2d(conv_map, pool)
    strided = ops.conv2d(image, weight, stride=2, padding=1)
    m_conv = shapes.conv_output_size(m, k, padding=1)
    m_pool = shapes.pool_output_size(m_conv, pool)
    m_strided = shapes.conv_output_size(m, k, stride=2, padding=1)
    assert conv_map.shape == (1, m, m) and m_conv == m
    assert pooled.shape == strided.shape == (1, m_pool, m_pool) and m_pool == m_strided == m // 2
    rf_pool = shapes.receptive_field([(k, 1), (pool, pool)])
    rf_stride = shapes.receptive_field([(k, 2)])
    assert (rf_pool.size, rf_stride.size) == (4, 3)
    params_pool = sum(p.numel() for p in nn.MaxPool2d(pool).parameters())
    with torch.device("meta"):
        conv_s2 = nn.Conv2d(1, 1, k, stride=2, padding=1)
    params_stride = sum(p.numel() for p in conv_s2.parameters())
    assert (params_pool, params_stride) == (0, k * k + 1)

    # The output unit traced back, and the input pixels it sees (padding 1 shifts by one).
    unit = 1
    window_conv = [unit * pool + a for a in range(pool)]  # conv-map rows of the pool window
    field_pool = list(range(window_conv[0] - 1, window_conv[-1] + 2))
    field_stride = list(range(unit * 2 - 1, unit * 2 - 1 + k))
    assert len(field_pool) == rf_pool.size and len(field_stride) == rf_stride.size

    width = 33.0
    fig, ax = diagrams.canvas(width, 19.6, scale=0.42)
    c = 0.6
    side = m * c
    top = 16.4
    field_color, win = diagrams.COLORS["R"], diagrams.COLORS["kernel"]

    def panel_grid(x, n, fill, cells=(), cell_fill=None):
        fills = diagrams.tints((n, n), cells, cell_fill) if cells else None
        diagrams.grid(ax, np.zeros((n, n)), x, top - (side - n * c) / 2, cell=c, kind=fill, fill=fills,
                      show_values=False)
        return top - (side - n * c) / 2

    def square(x, t, rows, cols, color, lw=2.2, ls="-"):
        diagrams.outline(ax, x + cols[0] * c, t - rows[0] * c, len(rows), len(cols), cell=c,
                 color=color, lw=lw, linestyle=ls)

    def step(x0, x1, text):
        diagrams.arrow(ax, (x0 + 0.3, top - side / 2), (x1 - 0.3, top - side / 2),
                       color=diagrams.COLORS["grid"],
                       lw=1.6)
        diagrams.label(ax, (x0 + x1) / 2, top - side / 2 - 0.4, text, size=10, va="top",
                       weight="bold", color=diagrams.COLORS["grid"])

    def caption(x, n, text, color):
        diagrams.label(ax, x + n * c / 2, top - side - 0.45, text, size=10, va="top", color=color,
                       weight="bold")

    def rf_cells(rows):
        """The square block of cells with these rows and the same columns."""
        return [(r, q) for r in rows for q in rows]

    # Left: conv 3×3 stride 1, then max pool 2×2 stride 2.
    xa, xb, xc = 0.8, 9.0, 17.0
    t_in = panel_grid(xa, m, "input", rf_cells(field_pool), diagrams.tint(field_color))
    square(xa, t_in, field_pool, field_pool, field_color)
    t_conv = panel_grid(xb, m, "output", rf_cells(window_conv), _strong(diagrams.COLORS["output"]))
    square(xb, t_conv, window_conv, window_conv, win)
    square(xb, t_conv, window_conv, [q + pool for q in window_conv], win, ls=(0, (4, 2)))
    t_pool = panel_grid(xc, m_pool, "output", [(unit, unit)], _strong(diagrams.COLORS["output"]))
    square(xc, t_pool, [unit], [unit], diagrams.COLORS["output"], lw=2.6)
    step(xa + side, xb, f"conv {k}{diagrams.TIMES}{k}\nstride 1\npadding 1")
    step(xb + side, xc, f"max pool {pool}{diagrams.TIMES}{pool}\nstride {pool}")
    caption(xa, m, f"input {m}{diagrams.TIMES}{m}", diagrams.COLORS["input"])
    caption(xb, m, f"{m_conv}{diagrams.TIMES}{m_conv}", diagrams.COLORS["output"])
    caption(xc, m_pool, f"{m_pool}{diagrams.TIMES}{m_pool}", diagrams.COLORS["output"])
    diagrams.label(ax, (xa + xc + m_pool * c) / 2, top + 1.9, "conv, then max pool", size=13,
                   weight="bold")
    diagrams.label(ax, xa + side / 2, top - side - 1.2, f"one output unit sees\n{rf_pool.size}"
                   f"{diagrams.TIMES}{rf_pool.size} input pixels", size=10, va="top", color=field_color)

    ax.plot([20.3, 20.3], [top - side - 2.6, top + 2.3], color="#DDDDDD", lw=1)

    # Right: one conv 3×3 with stride 2.
    xd, xe = 21.3, 29.9
    t_in = panel_grid(xd, m, "input", rf_cells(field_stride), diagrams.tint(field_color))
    square(xd, t_in, field_stride, field_stride, win)
    square(xd, t_in, field_stride, [q + 2 for q in field_stride], win, ls=(0, (4, 2)))
    t_out = panel_grid(xe, m_strided, "output", [(unit, unit)], _strong(diagrams.COLORS["output"]))
    square(xe, t_out, [unit], [unit], diagrams.COLORS["output"], lw=2.6)
    step(xd + side, xe, f"conv {k}{diagrams.TIMES}{k}\nstride 2\npadding 1")
    caption(xd, m, f"input {m}{diagrams.TIMES}{m}", diagrams.COLORS["input"])
    caption(xe, m_strided, f"{m_strided}{diagrams.TIMES}{m_strided}", diagrams.COLORS["output"])
    diagrams.label(ax, (xd + xe + m_strided * c) / 2, top + 1.9, "conv with stride 2", size=13, weight="bold")
    diagrams.label(ax, xd + side / 2, top - side - 1.2, f"one output unit sees\n{rf_stride.size}"
                   f"{diagrams.TIMES}{rf_stride.size} input pixels", size=10, va="top", color=field_color)
    diagrams.label(ax, width / 2, top + 1.0, "orange: the window of one output unit (solid) and the next "
                   "window, one stride along (dashed);  red: the input pixels that output unit sees",
                   size=9.5, color=diagrams.COLORS["muted"])

    # The comparison table.
    rows = [
        ("", f"conv {k}{diagrams.TIMES}{k}, then max pool {pool}{diagrams.TIMES}{pool}",
         f"conv {k}{diagrams.TIMES}{k}, stride 2"),
        ("size", f"{m}{diagrams.TIMES}{m} {ARROW} {m_conv}{diagrams.TIMES}{m_conv} {ARROW} "
                 f"{m_pool}{diagrams.TIMES}{m_pool}",
         f"{m}{diagrams.TIMES}{m} {ARROW} {m_strided}{diagrams.TIMES}{m_strided}"),
        ("learned parameters in the\ndownsampling step", f"{params_pool} (max pooling has no "
         "weights)", f"{params_stride} ({k * k} weights + 1 bias)"),
        ("receptive field of one\noutput unit", f"{rf_pool.size}{diagrams.TIMES}{rf_pool.size} input "
         "pixels", f"{rf_stride.size}{diagrams.TIMES}{rf_stride.size} input pixels"),
        ("what an output unit keeps", f"the largest value of its {pool}{diagrams.TIMES}{pool} window",
         f"a learned weighted sum of its {k}{diagrams.TIMES}{k} window"),
        ("window positions the\nconv computes", f"{m_conv}{diagrams.TIMES}{m_conv} = {m_conv ** 2}",
         f"{m_strided}{diagrams.TIMES}{m_strided} = {m_strided ** 2}"),
    ]
    t_table, row_h = 7.9, 1.2
    x_cols = [0.8, 15.4, 26.6]
    for i, row in enumerate(rows):
        y = t_table - i * row_h
        if i:
            ax.plot([0.6, width - 0.6], [y + row_h / 2, y + row_h / 2], color="#DDDDDD", lw=1)
        diagrams.label(ax, x_cols[0], y, row[0], ha="left", size=10.5, color=diagrams.COLORS["grid"],
                       weight="bold")
        for x, text in zip(x_cols[1:], row[1:], strict=True):
            diagrams.label(ax, x, y, text, size=10.5 if i else 11.5, weight="bold" if not i else "normal")
    diagrams.label(ax, width / 2, 0.55, "Parameter counts for one channel in and one out; padding 1 "
                   "is not drawn.", size=9.5, color=diagrams.COLORS["muted"])
    return fig
