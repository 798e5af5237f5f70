"""Explorer of notebook 02: padding, stride, dilation and the output size."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from .. import diagrams, ops, shapes
from .base import Explorer


class ConvGeometryExplorer(Explorer):
    """Input size, kernel, padding (and its mode), stride and dilation: see where the kernel reads,
    how big the output is, and the output-size formula with the numbers filled in."""

    title = "Convolution geometry explorer"

    def __init__(self, size=7, kernel_size=3, padding=1, mode="zeros", stride=2, dilation=1):
        def slider(description, value, low, high):
            return w.IntSlider(value=value, min=low, max=high, description=description,
                               continuous_update=False, style={"description_width": "90px"})

        self.input_size = slider("input M", size, 3, 12)
        self.kernel_size = slider("kernel k", kernel_size, 1, 7)
        self.padding = slider("padding p", padding, 0, 4)
        self.mode = w.Dropdown(options=list(ops.PAD_MODES), value=mode, description="mode",
                               style={"description_width": "90px"})
        self.stride = slider("stride s", stride, 1, 4)
        self.dilation = slider("dilation d", dilation, 1, 3)
        self.position = slider("output pixel", 0, 0, 0)  # whose window is outlined
        controls = [self.input_size, self.kernel_size, self.padding, self.mode, self.stride,
                    self.dilation, self.position]
        layout = w.HBox([w.VBox(controls[:3]), w.VBox(controls[3:])])
        super().__init__(controls, layout)

    def react(self, change) -> None:
        """The output-pixel slider ranges over the output's pixels."""
        try:
            n = shapes.conv_output_size(self.input_size.value, self.kernel_size.value, self.stride.value,
                                        self.padding.value, self.dilation.value)
        except ValueError:
            return  # no output: draw() explains why
        self.position.max = n * n - 1

    def draw(self) -> Figure:
        m, k, p = self.input_size.value, self.kernel_size.value, self.padding.value
        s, d, mode = self.stride.value, self.dilation.value, self.mode.value
        values = np.arange(1, m * m + 1, dtype=float).reshape(m, m)  # 1..M² shows where pixels go
        try:
            padded = ops.pad(values, p, mode)
            n = shapes.conv_output_size(m, k, s, p, d)
        except ValueError as error:
            return self.no_output(str(error))
        row, col = divmod(min(self.position.value, n * n - 1), n)
        taps = [(row * s + a * d, col * s + b * d) for a in range(k) for b in range(k)]
        mp = m + 2 * p
        fill = [[diagrams.FILLS["empty"] if p <= r < p + m and p <= c < p + m else "#D9D9D9"
                 for c in range(mp)] for r in range(mp)]
        for r, c in taps:
            fill[r][c] = diagrams.FILLS["kernel"]
        gap, header = 2.5, 3.2
        # At least 26 cells wide, so that the two lines of text always fit.
        fig, ax = self.canvas(max(mp + gap + n + 1, 26), max(mp, n) + header + 0.6, scale=0.34)
        top = max(mp, n) + 0.3
        diagrams.grid(ax, padded, 0.5, top, fill=fill, fontsize=9 if mp <= 10 else 7 if mp <= 14 else 5.5)
        diagrams.frame(ax, 0.5 + p, top - p, m, m, color=diagrams.COLORS["input"], lw=2)
        span = d * (k - 1) + 1
        diagrams.frame(ax, 0.5 + col * s, top - row * s, span, span, lw=2.5)
        out = np.full((n, n), np.nan)
        out_fill = [[None] * n for _ in range(n)]
        out_fill[row][col] = diagrams.FILLS["kernel"]
        x_out = 0.5 + mp + gap
        diagrams.grid(ax, out, x_out, top, kind="output", fill=out_fill)
        diagrams.frame(ax, x_out + col, top - row, 1, 1, lw=2.5)
        diagrams.arrow(ax, (0.5 + mp + 0.3, top - mp / 2), (x_out - 0.3, top - n / 2))
        y = top + 0.5
        diagrams.label(ax, 0.5, y + 1.9, f"input {m}×{m}, padding {p} ({mode}) → padded {mp}×{mp};"
                       f"  kernel {k}×{k}, stride {s}, dilation {d} → output {n}×{n}",
                       ha="left", size=10)
        formula = (f"N = ⌊(M + 2p − d(k−1) − 1) / s⌋ + 1 = ⌊({m} + {2 * p} − {d * (k - 1)} − 1)"
                   f" / {s}⌋ + 1 = {n}")
        diagrams.label(ax, 0.5, y + 0.9, formula, ha="left", size=10, weight="bold")
        return fig
