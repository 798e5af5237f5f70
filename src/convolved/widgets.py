"""Explorers: small interactive figures built from ipywidgets controls and a rendered PNG.

An explorer draws a matplotlib figure into an ``ipywidgets.Image`` and redraws it whenever a
control changes. Displayed in a notebook it is a live widget; the saved notebook also keeps a
PNG of its current view, so it reads well where no kernel runs (GitHub, an untrusted notebook).
"""

from __future__ import annotations

import base64
from contextlib import contextmanager

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from . import data, diagrams, kernels, ops, plotting, shapes

__all__ = ["ConvGeometryExplorer", "Explorer", "KernelExplorer"]


class Explorer:
    """Base class: subclasses build ``controls`` and implement ``draw() -> Figure``."""

    title = "Explorer"

    def __init__(self, controls: list[w.Widget], layout: w.Widget | None = None):
        self.controls = controls
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self._holding = False
        for control in controls:
            control.observe(self.refresh, names="value")
        self.widget = w.VBox([layout or w.HBox(controls), self.image])
        self.refresh()

    def draw(self) -> Figure:
        raise NotImplementedError(f"{type(self).__name__} must define draw()")

    def refresh(self, _change=None) -> None:
        """Redraw the figure (skipped while several controls are being set at once)."""
        if not self._holding:
            self.image.value = plotting.to_png(self.draw())

    @contextmanager
    def holding(self, redraw: bool = True):
        """Change several controls inside ``with explorer.holding():`` and redraw once after."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        if redraw:
            self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = f"{self.title} (run the cell to interact)"
        return bundle


class KernelExplorer(Explorer):
    """Pick a photo and a kernel (a preset, or type your own 3×3) and see the feature map."""

    title = "Kernel explorer"

    def __init__(self, image="camera", kernel="vertical edges", size=256):
        self.size = size
        self.image_name = w.Dropdown(options=list(data.IMAGES), value=image,
                                     description="photo", layout=w.Layout(width="220px"))
        self.preset = w.Dropdown(options=[*kernels.KERNELS, "custom"], value=kernel,
                                 description="kernel", layout=w.Layout(width="260px"))
        start = kernels.get_kernel(kernel)
        self.cells = [w.FloatText(value=float(start.flat[i]), step=0.5,
                                  layout=w.Layout(width="64px")) for i in range(9)]
        grid = w.GridBox(self.cells, layout=w.Layout(grid_template_columns="repeat(3, 68px)"))
        layout = w.HBox([w.VBox([self.image_name, self.preset]), grid])
        super().__init__([self.image_name, self.preset, *self.cells], layout)
        self.preset.observe(self._load_preset, names="value")
        for cell in self.cells:
            cell.observe(self._mark_custom, names="value")

    @property
    def kernel(self) -> np.ndarray:
        return np.array([cell.value for cell in self.cells], dtype=np.float32).reshape(3, 3)

    def _load_preset(self, change) -> None:
        if change["new"] != "custom":
            with self.holding():
                for cell, value in zip(self.cells, kernels.get_kernel(change["new"]).flat,
                                       strict=True):
                    cell.value = float(value)

    def _mark_custom(self, _change) -> None:
        preset = self.preset.value
        if not self._holding and preset != "custom" and not np.allclose(
                self.kernel, kernels.get_kernel(preset)):
            with self.holding(redraw=False):  # the edit itself already redrew
                self.preset.value = "custom"

    def draw(self) -> Figure:
        photo = data.load_image(self.image_name.value, self.size, gray=True)
        kernel = self.kernel
        feature_map = kernels.apply_kernel(photo, kernel)
        fig = Figure(figsize=(9.6, 3.4), layout="constrained")
        left, middle, right = fig.subplots(1, 3, width_ratios=[1, 0.55, 1])
        plotting.draw_image(left, photo, f"input {photo.shape[0]}×{photo.shape[1]}")
        plotting.draw_kernel(middle, kernel, f"kernel ({self.preset.value})")
        # Signed maps (edges) on a red/blue scale centred on zero; all-positive ones (blurs) in gray.
        plotting.draw_image(right, feature_map, f"feature map {feature_map.shape[0]}×"
                            f"{feature_map.shape[1]}", symmetric=bool(feature_map.min() < 0),
                            colorbar=True)
        return fig


class ConvGeometryExplorer(Explorer):
    """Input size, kernel, padding (and its mode), stride and dilation: see where the kernel reads,
    how big the output is, and the output-size formula with the numbers filled in."""

    title = "Convolution geometry explorer"

    def __init__(self, size=7, kernel_size=3, padding=1, mode="zeros", stride=2, dilation=1):
        def slider(description, value, low, high):
            return w.IntSlider(value=value, min=low, max=high, description=description,
                               continuous_update=False, style={"description_width": "90px"})

        self.size = slider("input M", size, 3, 12)
        self.kernel_size = slider("kernel k", kernel_size, 1, 7)
        self.padding = slider("padding p", padding, 0, 4)
        self.mode = w.Dropdown(options=list(ops.PAD_MODES), value=mode, description="mode",
                               style={"description_width": "90px"})
        self.stride = slider("stride s", stride, 1, 4)
        self.dilation = slider("dilation d", dilation, 1, 3)
        self.position = slider("output pixel", 0, 0, 0)  # whose window is outlined
        controls = [self.size, self.kernel_size, self.padding, self.mode, self.stride,
                    self.dilation, self.position]
        layout = w.HBox([w.VBox(controls[:3]), w.VBox(controls[3:])])
        super().__init__(controls, layout)

    def draw(self) -> Figure:
        m, k, p = self.size.value, self.kernel_size.value, self.padding.value
        s, d, mode = self.stride.value, self.dilation.value, self.mode.value
        values = np.arange(1, m * m + 1, dtype=float).reshape(m, m)  # 1..M² shows where pixels go
        try:
            padded = ops.pad(values, p, mode)
            n = shapes.conv_output_size(m, k, s, p, d)
        except ValueError as error:
            return self._message(str(error))
        with self.holding(redraw=False):  # the pixel slider's range follows the output size
            self.position.max = n * n - 1
        row, col = divmod(self.position.value, n)
        taps = [(row * s + a * d, col * s + b * d) for a in range(k) for b in range(k)]
        mp = m + 2 * p
        fill = [[diagrams.FILLS["empty"] if p <= r < p + m and p <= c < p + m else "#D9D9D9"
                 for c in range(mp)] for r in range(mp)]
        for r, c in taps:
            fill[r][c] = diagrams.FILLS["kernel"]
        gap, header = 2.5, 3.2
        # At least 26 cells wide, so that the two lines of text always fit.
        fig, ax = diagrams.canvas(max(mp + gap + n + 1, 26), max(mp, n) + header + 0.6, scale=0.34)
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

    def _message(self, text: str) -> Figure:
        fig, ax = diagrams.canvas(22, 3, scale=0.34)
        diagrams.label(ax, 0.5, 1.5, "No output: " + text, ha="left", size=10, wrap=True,
                       color=diagrams.COLORS["R"])
        return fig
