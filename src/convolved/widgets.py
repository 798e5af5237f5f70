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
from ._validate import as_int

__all__ = ["ConvGeometryExplorer", "Explorer", "KernelExplorer", "LayerShapeExplorer"]


class Explorer:
    """Base class of the explorers.

    A subclass creates its controls, passes them (and optionally a layout) to ``__init__``,
    implements ``draw() -> Figure``, and may override ``react(change)`` to keep related controls
    consistent. Every change a learner makes runs ``react`` and then draws the figure exactly once.
    """

    title = "Explorer"

    def __init__(self, controls: list[w.Widget], layout: w.Widget | None = None):
        self.view = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.draws = 0  # how many times the figure was drawn
        self._holding = 0
        for control in controls:
            control.observe(self._changed, names="value")
        self.widget = w.VBox([layout or w.HBox(controls), self.view])
        with self.holding():
            self.react(None)

    def draw(self) -> Figure:
        raise NotImplementedError(f"{type(self).__name__} must define draw()")

    def react(self, change) -> None:
        """Adjust other controls after ``change`` (None at start); the figure is drawn after."""

    def refresh(self) -> None:
        """Draw the figure now, unless controls are being changed inside :meth:`holding`."""
        if not self._holding:
            self.draws += 1
            self.view.value = plotting.to_png(self.draw())

    @contextmanager
    def holding(self):
        """Change several controls inside ``with explorer.holding():``; the figure is drawn once."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        self.refresh()

    def _changed(self, change) -> None:
        if not self._holding:  # changes made by react() or inside holding() wait for its redraw
            with self.holding():
                self.react(change)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.view.value).decode("ascii")
        bundle["text/plain"] = f"{self.title} (run the cell to interact)"
        return bundle


class KernelExplorer(Explorer):
    """Pick a photo and a kernel (a preset, or type your own 3×3) and see the feature map."""

    title = "Kernel explorer"

    def __init__(self, image="camera", kernel="vertical edges", size=256):
        if image not in data.IMAGES:
            raise ValueError(f"image must be one of {', '.join(map(repr, data.IMAGES))}; got {image!r}")
        if kernel not in kernels.KERNELS:
            raise ValueError(f"kernel must be one of {', '.join(map(repr, kernels.KERNELS))}; "
                             f"got {kernel!r}")
        self.photo_size = as_int(size, "size", minimum=16)
        self.photo = w.Dropdown(options=list(data.IMAGES), value=image,
                                description="photo", layout=w.Layout(width="220px"))
        self.preset = w.Dropdown(options=[*kernels.KERNELS, "custom"], value=kernel,
                                 description="kernel", layout=w.Layout(width="260px"))
        start = kernels.get_kernel(kernel)
        self.cells = [w.FloatText(value=float(start.flat[i]), step=0.5,
                                  layout=w.Layout(width="64px")) for i in range(9)]
        grid = w.GridBox(self.cells, layout=w.Layout(grid_template_columns="repeat(3, 68px)"))
        layout = w.HBox([w.VBox([self.photo, self.preset]), grid])
        super().__init__([self.photo, self.preset, *self.cells], layout)

    @property
    def kernel(self) -> np.ndarray:
        return np.array([cell.value for cell in self.cells], dtype=np.float32).reshape(3, 3)

    def react(self, change) -> None:
        if change is None:
            return
        if change["owner"] is self.preset and change["new"] != "custom":  # load the preset
            for cell, value in zip(self.cells, kernels.get_kernel(change["new"]).flat, strict=True):
                cell.value = float(value)
        elif (self.preset.value != "custom" and any(change["owner"] is cell for cell in self.cells)
              and not np.allclose(self.kernel, kernels.get_kernel(self.preset.value))):
            self.preset.value = "custom"  # an edited preset is no longer that preset

    def draw(self) -> Figure:
        photo = data.load_image(self.photo.value, self.photo_size, gray=True)
        kernel = self.kernel
        feature_map = kernels.apply_kernel(photo, kernel)
        fig = Figure(figsize=(9.6, 3.4), layout="constrained")
        left, middle, right = fig.subplots(1, 3, width_ratios=[1, 0.55, 1])
        plotting.draw_image(left, photo, f"input {photo.shape[0]}×{photo.shape[1]} (grayscale)")
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
            return self._message(str(error))
        row, col = divmod(min(self.position.value, n * n - 1), n)
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


class LayerShapeExplorer(Explorer):
    """One ``nn.Conv2d`` on a C×H×W input: choose out_channels and the kernel, stride and padding
    of rows and columns, and see both tensors as blocks drawn to scale, the output-size formula of
    each dimension with the numbers filled in, and the shape torch itself produces."""

    title = "Layer shape explorer"

    def __init__(self, input_shape=(1, 256, 256), out_channels=1, kernel_size=(5, 5), stride=(1, 3),
                 padding=(0, 0), target=None, presets=None):
        def pair(value):
            return tuple(value) if isinstance(value, (tuple, list)) else (value, value)

        def slider(description, value, low, high):
            return w.IntSlider(value=value, min=low, max=high, description=description,
                               continuous_update=False, style={"description_width": "100px"})

        self.presets = dict(presets or {})
        self.input_shape, self.target = tuple(input_shape), None if target is None else tuple(target)
        (k_rows, k_cols), (s_rows, s_cols), (p_rows, p_cols) = map(pair, (kernel_size, stride, padding))
        self.out_channels = slider("out_channels", out_channels, 1, 128)
        self.kernel_rows, self.kernel_cols = slider("kernel rows", k_rows, 1, 11), slider(
            "kernel cols", k_cols, 1, 11)
        self.stride_rows, self.stride_cols = slider("stride rows", s_rows, 1, 6), slider(
            "stride cols", s_cols, 1, 6)
        self.padding_rows, self.padding_cols = slider("padding rows", p_rows, 0, 6), slider(
            "padding cols", p_cols, 0, 6)
        rows = [self.kernel_rows, self.stride_rows, self.padding_rows]
        cols = [self.kernel_cols, self.stride_cols, self.padding_cols]
        controls = [self.out_channels, *rows, *cols]
        top = [self.out_channels]
        if self.presets:
            self.preset = w.Dropdown(options=list(self.presets), description="shapes",
                                     style={"description_width": "100px"},
                                     layout=w.Layout(width="420px"))
            controls.insert(0, self.preset)
            top.insert(0, self.preset)
        layout = w.VBox([w.HBox(top), w.HBox([w.VBox(rows), w.VBox(cols)])])
        super().__init__(controls, layout)

    def tensor_shapes(self) -> tuple[tuple[int, int, int], tuple[int, int, int] | None]:
        """The input shape (C, H, W) and the target shape (or None) now shown."""
        if self.presets:
            shape, target = self.presets[self.preset.value]
            return tuple(shape), None if target is None else tuple(target)
        return self.input_shape, self.target

    def settings(self) -> dict:
        """The Conv2d arguments the controls describe."""
        return {"out_channels": self.out_channels.value,
                "kernel_size": (self.kernel_rows.value, self.kernel_cols.value),
                "stride": (self.stride_rows.value, self.stride_cols.value),
                "padding": (self.padding_rows.value, self.padding_cols.value)}

    def torch_shape(self) -> tuple[int, ...]:
        """The output shape torch computes (on the "meta" device: shapes only, no arithmetic)."""
        import torch

        (c, h, w_), _ = self.tensor_shapes()
        layer = torch.nn.Conv2d(c, **self.settings(), device="meta")
        return tuple(layer(torch.empty(1, c, h, w_, device="meta")).shape)

    def draw(self) -> Figure:
        (c, h, w_), target = self.tensor_shapes()
        settings = self.settings()
        k, s, p = settings["kernel_size"], settings["stride"], settings["padding"]
        try:
            out_h, out_w = shapes.conv_output_size((h, w_), k, s, p)
            got = self.torch_shape()
        except (ValueError, RuntimeError) as error:
            return self._message(str(error).replace("dimension 0", "the rows")
                                 .replace("dimension 1", "the columns"), (c, h, w_), settings)
        out = (settings["out_channels"], out_h, out_w)
        unit = 6.0 / max(h, w_, out_h, out_w)  # both tensors to one scale, the larger 6 units
        tallest = max(h, out_h) * unit
        lines = 4 if target is not None else 3
        headroom = 1.3 + 0.35 * (min(max(c, out[0]), 3) - 1)  # the title, above the sheets
        height = headroom + tallest + 1.3 + 0.85 * lines + 0.3
        fig, ax = diagrams.canvas(26, height, scale=0.36)
        top = height - headroom
        x_in, x_out = 1.0, 14.6
        self._block(ax, x_in, top, (c, h, w_), unit, "input", "input")
        self._block(ax, x_out, top, out, unit, "output", "output")
        start = (x_in + w_ * unit + 1.2, top - h * unit / 2)
        end = (x_out - 0.4, top - out_h * unit / 2)
        diagrams.arrow(ax, start, end)
        diagrams.label(ax, (start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.6, "Conv2d", size=10,
                       color=diagrams.COLORS["muted"])
        y = top - tallest - 1.5
        for i, (name, m, n) in enumerate([("rows", h, out_h), ("columns", w_, out_w)]):
            diagrams.label(ax, 0.6, y, f"{name}:", ha="left", size=10)
            diagrams.label(ax, 3.0, y, f"N = ⌊(M + 2p − k) / s⌋ + 1 = ⌊({m} + {2 * p[i]} − {k[i]}) / "
                           f"{s[i]}⌋ + 1 = {n}", ha="left", size=10)
            y -= 0.85
        verdict = "✓ the formula agrees" if got == (1, *out) else "✗ the formula differs"
        diagrams.label(ax, 0.6, y, "torch:", ha="left", size=10)
        diagrams.label(ax, 3.0, y, f"Conv2d({c}, {settings['out_channels']}, kernel_size={k}, "
                       f"stride={s}, padding={p}) → shape {got}  {verdict}", ha="left", size=10)
        if target is not None:
            off = [f"{name} {a} ≠ {b}" for name, a, b in zip(("channels", "rows", "columns"), out,
                                                                  target, strict=True) if a != b]
            text = ("✓ reached" if not off else "not yet: " + ", ".join(off))
            diagrams.label(ax, 0.6, y - 0.85, "target:", ha="left", size=10, weight="bold")
            diagrams.label(ax, 3.0, y - 0.85, f"{'×'.join(map(str, target))}  {text}", ha="left",
                           size=10, weight="bold",
                           color=diagrams.COLORS["G"] if not off else diagrams.COLORS["R"])
        return fig

    @staticmethod
    def _block(ax, x: float, top: float, shape, unit: float, kind: str, name: str) -> None:
        """A C×H×W tensor as up to three sheets drawn to scale, its shape above, its sizes below."""
        from matplotlib.patches import Rectangle

        c, h, w_ = shape
        width, height = max(w_ * unit, 0.12), max(h * unit, 0.12)
        sheets = min(c, 3)
        for i in reversed(range(sheets)):
            d = i * 0.35
            ax.add_patch(Rectangle((x + d, top - height + d), width, height,
                                   facecolor=diagrams.FILLS[kind], edgecolor=diagrams.COLORS[kind],
                                   linewidth=1.5, zorder=2 - 0.1 * i))
        lift = (sheets - 1) * 0.35
        channels = f" ({c} channels)" if c > 1 else " (1 channel)"
        diagrams.label(ax, x, top + lift + 0.55, f"{name} {c}×{h}×{w_}" + channels, size=11,
                       ha="left", weight="bold", color=diagrams.COLORS[kind])
        diagrams.label(ax, x, top - height - 0.45, f"{h} rows × {w_} columns", size=9, ha="left",
                       color=diagrams.COLORS["muted"])

    def _message(self, text: str, input_shape, settings) -> Figure:
        fig, ax = diagrams.canvas(26, 4, scale=0.36)
        diagrams.label(ax, 0.6, 2.9, f"input {'×'.join(map(str, input_shape))}, Conv2d with "
                       f"kernel_size={settings['kernel_size']}, stride={settings['stride']}, "
                       f"padding={settings['padding']}", ha="left", size=10)
        diagrams.label(ax, 0.6, 1.6, "No output: " + text, ha="left", va="top", size=10, wrap=True,
                       color=diagrams.COLORS["R"])
        return fig
