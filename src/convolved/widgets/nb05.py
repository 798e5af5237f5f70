"""Explorer of notebook 05: max and mean pooling on a photo."""

from __future__ import annotations

import math

import ipywidgets as w
import numpy as np
import torch.nn.functional as F
from matplotlib.figure import Figure

from .. import data, plotting, shapes
from .._validate import as_int, one_of
from .base import Explorer

MODES = ("max", "mean")


class PoolingExplorer(Explorer):
    """Pool a photo: choose the window, stride, padding, ceil_mode and max or mean, optionally add
    noise, and see the input and the pooled output side by side with their shapes and the
    output-size formula filled in. Settings torch refuses show the reason instead of a figure."""

    title = "Pooling explorer"

    def __init__(self, image="camera", size=128, kernel_size=2, stride=2, padding=0, mode="max",
                 noise=0.0, ceil_mode=False, seed=0):
        if image not in data.IMAGES:
            raise ValueError(f"image must be one of {', '.join(map(repr, data.IMAGES))}; got {image!r}")
        one_of(mode, "mode", MODES)
        if not isinstance(ceil_mode, bool):
            raise TypeError(f"ceil_mode must be True or False, got {ceil_mode!r}")
        if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 0.5:
            raise ValueError(f"noise must be a number from 0 to 0.5, got {noise!r}")
        self.photo_size = as_int(size, "size", minimum=16)
        self.seed = as_int(seed, "seed", minimum=0)
        style = {"description_width": "80px"}

        def slider(description, name, value, low, high):
            if as_int(value, name, minimum=low) > high:
                raise ValueError(f"{name} must be <= {high}, got {value}")
            return w.IntSlider(value=value, min=low, max=high, description=description,
                               continuous_update=False, style=style)

        self.photo = w.Dropdown(options=list(data.IMAGES), value=image, description="photo", style=style,
                                layout=w.Layout(width="230px"))
        self.mode = w.ToggleButtons(options=list(MODES), value=mode, description="pooling", style=style)
        self.noise = w.FloatSlider(value=float(noise), min=0.0, max=0.5, step=0.05, description="noise σ",
                                   continuous_update=False, style=style, readout_format=".2f")
        self.kernel_size = slider("window k", "kernel_size", kernel_size, 1, 8)
        self.stride = slider("stride s", "stride", stride, 1, 8)
        self.padding = slider("padding p", "padding", padding, 0, 4)
        self.ceil_mode = w.Checkbox(value=ceil_mode, description="ceil_mode", style=style)
        controls = [self.photo, self.mode, self.noise, self.kernel_size, self.stride, self.padding,
                    self.ceil_mode]
        layout = w.HBox([w.VBox([self.photo, self.mode, self.noise]),
                         w.VBox([self.kernel_size, self.stride, self.padding, self.ceil_mode])])
        super().__init__(controls, layout)
        # The other photos, prepared once the explorer is shown.
        self.on_first_view = lambda: data.prepare_images(data.IMAGES, self.photo_size,
                                                            after=self.photo.value)

    def settings(self) -> dict:
        """The pooling arguments the controls describe (torch's names)."""
        return {"kernel_size": self.kernel_size.value, "stride": self.stride.value,
                "padding": self.padding.value, "ceil_mode": self.ceil_mode.value}

    def input_image(self) -> np.ndarray:
        """The photo as shown: (H, W) or (H, W, 3), with this explorer's seeded noise added."""
        photo = data.load_image(self.photo.value, self.photo_size)
        if self.noise.value > 0:
            rng = np.random.default_rng(self.seed)
            photo = photo + np.float32(self.noise.value) * rng.standard_normal(photo.shape, np.float32)
        return photo

    def pooled(self, image=None) -> np.ndarray:
        """The pooled image (same layout as the input); raises ValueError for impossible settings."""

        image = self.input_image() if image is None else image
        size = shapes.pool_output_size(image.shape[:2], **self.settings())  # explains refusals
        batch = data.to_batch(image)
        pool = F.max_pool2d if self.mode.value == "max" else F.avg_pool2d
        out = pool(batch, **self.settings())[0]
        assert tuple(out.shape[1:]) == size
        out = out.numpy()
        return out[0] if image.ndim == 2 else out.transpose(1, 2, 0)

    def formula(self) -> str:
        """The output-size formula with this explorer's numbers (one axis: the photo is square)."""
        m, k, s, p = self.photo_size, self.kernel_size.value, self.stride.value, self.padding.value
        ceil = self.ceil_mode.value
        n = shapes.pool_output_size(m, k, s, p, ceil_mode=ceil)
        left, right = ("⌈", "⌉") if ceil else ("⌊", "⌋")
        text = f"N = {left}(M + 2p − k) / s{right} + 1 = {left}({m} + {2 * p} − {k}) / {s}{right} + 1 = "
        rounded = math.ceil((m + 2 * p - k) / s) + 1
        if ceil and n < rounded:  # torch drops a last window that would start in the padding
            return text + f"{rounded}, minus a last window that would start in the padding: {n}"
        return text + str(n)

    def draw(self) -> Figure:
        k, s, p = self.kernel_size.value, self.stride.value, self.padding.value
        if 2 * p > k:
            return self.no_output(f"padding p = {p} is more than half the window k = {k}, and torch "
                                 f"refuses it: a window could then lie entirely in the padding. "
                                 f"Use p ≤ {k // 2}, or a larger window.")
        image = self.input_image()
        try:
            out = self.pooled(image)
        except ValueError as error:
            return self.no_output(str(error))
        notes = [self.formula(), f"{out.shape[0] * out.shape[1]:,} values per channel instead of "
                 f"{image.shape[0] * image.shape[1]:,} (both drawn at the same size)"]
        if s > k:
            notes.append(f"stride {s} > window {k}: some pixels are never looked at")
        elif s < k:
            notes.append(f"stride {s} < window {k}: neighbouring windows overlap")
        if p and self.mode.value == "mean":
            notes.append("mean pooling counts the zero padding in the average (count_include_pad=True)")
        fig, (left, right) = self.panels((9.0, 5.2 + 0.2 * len(notes)), 2)
        noise = f", noise σ = {self.noise.value:.2f}" if self.noise.value > 0 else ""
        plotting.draw_image(left, np.clip(image, 0, 1), f"input {image.shape[0]}×{image.shape[1]}{noise}",
                            vmin=0, vmax=1)
        what = f"{self.mode.value} pooling {k}×{k}, stride {s}" + (f", padding {p}" if p else "")
        plotting.draw_image(right, np.clip(out, 0, 1), f"{what} → {out.shape[0]}×{out.shape[1]}",
                            vmin=0, vmax=1)
        fig.supxlabel("\n".join(notes), fontsize=10)
        return fig
