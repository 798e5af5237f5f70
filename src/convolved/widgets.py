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

from . import data, kernels, plotting

__all__ = ["Explorer", "KernelExplorer"]


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
