"""Explorer of notebook 04: the scattered kernel copies of a transpose convolution."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from .. import diagrams, shapes
from .base import Explorer

# One colour per input pixel's kernel copy, cycled.
_COPY_COLORS = ["#DD8452", "#4C72B0", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3",
                "#2A9D8F", "#CCB974"]
_CROPPED = "#D9D9D9"


class TransposeConvExplorer(Explorer):
    """Input size, kernel size, stride, padding and output_padding of a transpose convolution: see
    every input pixel's kernel copy placed on the output canvas, how many copies cover each output
    pixel, the rows and columns that padding crops, and the output-size formula filled in."""

    title = "Transpose convolution explorer"

    def __init__(self, size=2, kernel_size=3, stride=2, padding=0, output_padding=0):
        def slider(description, value, low, high):
            return w.IntSlider(value=value, min=low, max=high, description=description,
                               continuous_update=False, style={"description_width": "110px"})

        self.input_size = slider("input M", size, 1, 6)
        self.kernel_size = slider("kernel k", kernel_size, 1, 5)
        self.stride = slider("stride s", stride, 1, 4)
        self.padding = slider("padding p", padding, 0, 4)
        self.output_padding = slider("output_padding", output_padding, 0, 3)
        # Whose copy is highlighted, by the number the input grid shows. A number box, not a
        # slider: its range follows the input size, and a slider redrawn for each new range cost
        # the browser 8–13 ms of every change of the input size.
        self.pixel = w.BoundedIntText(value=1, min=1, max=size * size, description="input pixel",
                                      style={"description_width": "110px"})
        controls = [self.input_size, self.kernel_size, self.stride, self.padding,
                    self.output_padding, self.pixel]
        layout = w.HBox([w.VBox(controls[:3]), w.VBox(controls[3:])])
        super().__init__(controls, layout)

    def react(self, change) -> None:
        """The input pixel is one of the input's pixels, numbered 1..M² as the grid shows them."""
        self.pixel.max = self.input_size.value ** 2

    def output_size(self) -> int:
        """The output size the controls describe (raises ValueError for impossible settings)."""
        return shapes.conv_transpose_output_size(self.input_size.value, self.kernel_size.value,
                                                 self.stride.value, self.padding.value,
                                                 self.output_padding.value)

    def draw(self) -> Figure:
        m, k, s = self.input_size.value, self.kernel_size.value, self.stride.value
        p, op = self.padding.value, self.output_padding.value
        try:
            n = self.output_size()
        except ValueError as error:
            return self.no_output(str(error))
        chosen = divmod(self.pixel.value - 1, m)  # react() keeps it within 1..M²
        full = s * (m - 1) + k  # the canvas before cropping
        side = max(full, p + n)  # output_padding beyond the canvas adds zero rows/columns
        counts = np.zeros((side, side))
        for i in range(m):
            for j in range(m):
                counts[i * s:i * s + k, j * s:j * s + k] += 1
        kept = range(p, p + n)
        fill = [[_tint(counts[r, c]) if r in kept and c in kept else _CROPPED for c in range(side)]
                for r in range(side)]

        gap, header = 2.5, 4.4
        width = max(m + gap + side + 1, 27)
        fig, ax = self.canvas(width, max(side, m) + header + 0.6, scale=0.34)
        top = max(side, m) + 0.3
        # The input: values are the pixel numbers 1..M², the chosen pixel in its colour.
        x_in, x_out = 0.5, 0.5 + m + gap
        in_fill = diagrams.tints((m, m), [chosen], diagrams.FILLS["kernel"])
        diagrams.grid(ax, np.arange(1, m * m + 1).reshape(m, m), x_in, top, fill=in_fill,
                      fontsize=9)
        diagrams.label(ax, x_in + m / 2, top - m - 0.6, f"input {m}×{m}", size=9,
                       color=diagrams.COLORS["input"])
        # The canvas: cells show how many kernel copies cover them; cropped cells are grey.
        size_font = 9 if side <= 12 else 7 if side <= 18 else 5.5
        shown = np.where(counts > 0, counts, np.nan)  # cells no copy reaches stay blank
        diagrams.grid(ax, shown, x_out, top, fill=fill, fontsize=size_font,
                      text_color=diagrams.COLORS["muted"] if side > 20 else None)
        # Every other input pixel's copy: a dashed outline in its colour, inset by 0, 1 or 2 steps
        # so that overlapping copies stay apart (one collection: drawn as one).
        inset = min(0.18, 0.5 / max(m, 1))
        copies = [(number, i, j) for number, (i, j) in enumerate(np.ndindex(m, m)) if (i, j) != chosen]
        if copies:
            numbers, rows, cols = np.array(copies).T
            shifts = inset * (numbers % 3)
            ax.add_collection(PolyCollection(
                diagrams.boxes(x_out + cols * s + shifts, top - rows * s - k + shifts,
                               k - 2 * shifts, k - 2 * shifts),
                facecolors="none", linewidths=1.0, linestyles=[(0, (3, 1.5))], zorder=4,
                edgecolors=[_COPY_COLORS[number % len(_COPY_COLORS)] for number in numbers]),
                autolim=False)
        diagrams.frame(ax, x_out + chosen[1] * s, top - chosen[0] * s, k, k,
                       color=diagrams.COLORS["kernel"], lw=3)
        diagrams.frame(ax, x_out + p, top - p, n, n, color=diagrams.COLORS["output"], lw=2.5)
        diagrams.arrow(ax, (x_in + m, top - chosen[0] - 0.5),
                       (x_out + chosen[1] * s + 0.3, top - chosen[0] * s - 0.3),
                       color=diagrams.COLORS["kernel"])
        y = top + 0.5
        crop = f"padding {p} crops {p} from each border (grey)" if p else "padding 0: nothing cropped"
        extra = f", then output_padding gives back {op} at the bottom and right" if op else ""
        diagrams.label(ax, 0.5, y + 3.0,
                       f"{m}×{m} input, kernel {k}×{k}, stride {s}: every input pixel places a copy of the "
                       f"kernel, {s} apart, on a {full}×{full} canvas (numbers: copies per pixel)",
                       ha="left", size=9)
        diagrams.label(ax, 0.5, y + 2.0, f"{crop}{extra} → output {n}×{n} (purple frame)",
                       ha="left", size=9)
        formula = (f"N = s(M − 1) + k − 2p + output_padding = {s}·{m - 1} + {k} − {2 * p} + {op} = {n}")
        diagrams.label(ax, 0.5, y + 0.9, formula, ha="left", size=10, weight="bold")
        return fig



def _tint(count: float) -> str:
    """White for no copy, then deeper orange for more overlapping copies."""
    if count == 0:
        return diagrams.FILLS["empty"]
    shades = ["#FDF1E7", "#FBE5D3", "#F6C9A5", "#F0AC78", "#E98F4D"]
    return shades[min(int(count), len(shades)) - 1]

