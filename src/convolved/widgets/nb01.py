"""Explorer of notebook 01: kernels on photos."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from .. import data, kernels, plotting
from .._validate import as_int
from .base import Explorer


class KernelExplorer(Explorer):
    """Pick a photo and a kernel (a preset, or type your own 3×3) and see the feature map."""

    title = "Kernel explorer"
    photos = True

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
        self._loading = False
        super().__init__([self.photo, self.preset, *self.cells], layout)
        # The other photos, prepared once the explorer is shown.
        self.on_first_view = lambda: data.prepare_images(data.IMAGES, self.photo_size, gray=True,
                                                            after=self.photo.value)

    @property
    def kernel(self) -> np.ndarray:
        return np.array([cell.value for cell in self.cells], dtype=np.float32).reshape(3, 3)

    def react(self, change) -> None:
        if change is None or self._loading:
            return
        if change["owner"] is self.preset and change["new"] != "custom":  # load the preset
            self._loading = True  # the cells change one by one: not a learner's edit
            try:
                for cell, value in zip(self.cells, kernels.get_kernel(change["new"]).flat, strict=True):
                    cell.value = float(value)
            finally:
                self._loading = False
        elif (self.preset.value != "custom" and any(change["owner"] is cell for cell in self.cells)
              and not np.allclose(self.kernel, kernels.get_kernel(self.preset.value))):
            self.preset.value = "custom"  # an edited preset is no longer that preset

    def draw(self) -> Figure:
        photo = data.load_image(self.photo.value, self.photo_size, gray=True)
        kernel = self.kernel
        feature_map = kernels.apply_kernel(photo, kernel)
        fig, (left, middle, right) = self.panels((9.6, 3.4), 3, width_ratios=[1, 0.55, 1])
        plotting.draw_image(left, photo, f"input {photo.shape[0]}×{photo.shape[1]} (grayscale)")
        plotting.draw_kernel(middle, kernel, f"kernel ({self.preset.value})")
        # Signed maps (edges) on a red/blue scale centred on zero; all-positive ones (blurs) in gray.
        plotting.draw_image(right, feature_map, f"feature map {feature_map.shape[0]}×"
                            f"{feature_map.shape[1]}", symmetric=bool(feature_map.min() < 0),
                            colorbar=True)
        return fig
