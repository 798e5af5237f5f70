"""Explorer of notebook 03: a Conv2d layer's shapes, drawn to scale."""

from __future__ import annotations

import ipywidgets as w
import torch
from matplotlib.figure import Figure

from .. import diagrams, shapes
from .base import Explorer


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
            reason = str(error).replace("dimension 0", "the rows").replace("dimension 1", "the columns")
            return self.no_output(reason, f"input {c}×{h}×{w_}, Conv2d with kernel_size="
                                  f"{settings['kernel_size']}, stride={settings['stride']}, "
                                  f"padding={settings['padding']}")
        out = (settings["out_channels"], out_h, out_w)
        unit = 6.0 / max(h, w_, out_h, out_w)  # both tensors to one scale, the larger 6 units
        tallest = max(h, out_h) * unit
        lines = 4 if target is not None else 3
        headroom = 1.3 + 0.35 * (min(max(c, out[0]), 3) - 1)  # the title, above the sheets
        height = headroom + tallest + 1.3 + 0.85 * lines + 0.3
        fig, ax = self.canvas(26, height, scale=0.36)
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
