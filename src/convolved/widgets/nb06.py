"""Explorer of notebook 06: torchvision's transforms (and two of ours) on real photos.

torchvision is imported inside the functions that build transforms: importing it takes about
2 s (it loads torch._dynamo), which the notebooks that never use it would otherwise pay for
importing this package.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w
import torch
from matplotlib.figure import Figure

from .. import data, plotting, transforms
from .._validate import as_int
from .base import Explorer


@dataclass(frozen=True)
class Knob:
    """The one parameter the explorer's slider sets for a transform."""

    label: str
    low: float
    high: float
    step: float
    default: float


def _knobs(size: int) -> dict[str, Knob | None]:
    """Each transform's slider (None: the transform has no parameter), for photos of ``size``."""
    side = Knob("size", 8, size, 8, size // 2)
    flip = Knob("p", 0.0, 1.0, 0.1, 0.5)
    return {
        "Resize": side,
        "CenterCrop": side,
        "RandomCrop": side,
        "RandomResizedCrop": Knob("min. scale", 0.05, 1.0, 0.05, 0.25),
        "RandomHorizontalFlip": flip,
        "RandomVerticalFlip": flip,
        "RandomRotation": Knob("degrees", 0, 180, 5, 30),
        "ColorJitter": Knob("strength", 0.0, 1.0, 0.05, 0.4),
        "Grayscale": None,
        "AddGaussianNoise (ours)": Knob("std", 0.0, 0.5, 0.02, 0.1),
        "Cutout (ours)": Knob("size", 8, size, 8, size // 3),
    }


def build_transform(name: str, value: float, size: int):
    """The transform the explorer applies: ``name`` with its slider at ``value``, for photos whose
    shorter side is ``size``. Ours work on floats, so they come after a conversion to float."""
    from torchvision.transforms import v2  # here, not at the top: see the module's docstring
    whole = max(1, round(value))
    built = {
        "Resize": lambda: v2.Resize(whole),
        "CenterCrop": lambda: v2.CenterCrop(whole),
        "RandomCrop": lambda: v2.RandomCrop(whole),
        "RandomResizedCrop": lambda: v2.RandomResizedCrop(size // 2, scale=(min(value, 1.0), 1.0)),
        "RandomHorizontalFlip": lambda: v2.RandomHorizontalFlip(p=value),
        "RandomVerticalFlip": lambda: v2.RandomVerticalFlip(p=value),
        "RandomRotation": lambda: v2.RandomRotation(value),
        "ColorJitter": lambda: v2.ColorJitter(brightness=value, contrast=value, saturation=value,
                                              hue=min(value / 4, 0.5)),
        "Grayscale": lambda: v2.Grayscale(),
        "AddGaussianNoise (ours)": lambda: v2.Compose([v2.ToDtype(torch.float32, scale=True),
                                                       transforms.AddGaussianNoise(std=value)]),
        "Cutout (ours)": lambda: v2.Compose([v2.ToDtype(torch.float32, scale=True),
                                             transforms.Cutout(size=whole)]),
    }
    if name not in built:
        raise ValueError(f"transform must be one of {', '.join(map(repr, built))}; got {name!r}")
    return built[name]()


def _label(name: str, knob: Knob | None, value: float, size: int) -> str:
    """How the transform is written in code, e.g. ``v2.RandomRotation(30)``."""
    if knob is None:
        return f"v2.{name}()"
    number = f"{round(value)}" if knob.step >= 1 else f"{value:.2f}"
    if name == "RandomResizedCrop":
        return f"v2.RandomResizedCrop({size // 2}, scale=({value:.2f}, 1.0))"
    if name == "ColorJitter":
        return (f"v2.ColorJitter(brightness={number}, contrast={number}, saturation={number}, "
                f"hue={min(value / 4, 0.5):.2f})")
    if name.endswith("(ours)"):
        ours = name.split()[0]
        argument = "std" if ours == "AddGaussianNoise" else "size"
        return f"ToDtype(float32, scale=True), then {ours}({argument}={number})"
    argument = "p=" if knob.label == "p" else ""
    return f"v2.{name}({argument}{number})"


class TransformExplorer(Explorer):
    """Pick a photo, a transform and its parameter, and a seed: see the photo and three draws of the
    transform (seeds seed, seed + 1, seed + 2), each titled with its shape, dtype and range, all
    drawn at the same pixel scale so that crops and resizes show their size."""

    title = "Transform explorer"
    photos = True
    n_draws = 3

    def __init__(self, image="chelsea", transform="RandomRotation", value=None, seed=0, size=128):
        if image not in data.IMAGES:
            raise ValueError(f"image must be one of {', '.join(map(repr, data.IMAGES))}; got {image!r}")
        self.size = as_int(size, "size", minimum=32)
        self.knobs = _knobs(self.size)
        if transform not in self.knobs:
            raise ValueError(f"transform must be one of {', '.join(map(repr, self.knobs))}; "
                             f"got {transform!r}")
        seed = as_int(seed, "seed", minimum=0)
        style = {"description_width": "80px"}
        self.photo = w.Dropdown(options=list(data.IMAGES), value=image, description="photo",
                                style=style, layout=w.Layout(width="240px"))
        self.transform = w.Dropdown(options=list(self.knobs), value=transform, description="transform",
                                    style=style, layout=w.Layout(width="320px"))
        self.parameter = w.FloatSlider(continuous_update=False, style=style, layout=w.Layout(width="360px"))
        self.seed = w.IntSlider(value=seed, min=0, max=99, description="seed", continuous_update=False,
                                style=style, layout=w.Layout(width="360px"))
        self._start_value = value
        layout = w.VBox([w.HBox([self.photo, self.transform]), w.HBox([self.parameter, self.seed])])
        super().__init__([self.photo, self.transform, self.parameter, self.seed], layout)
        # The other photos, prepared once the explorer is shown.
        self.on_first_view = lambda: data.prepare_images(data.IMAGES, self.size, fit="shorter",
                                                            after=self.photo.value)

    def react(self, change) -> None:
        if change is not None and change["owner"] is not self.transform:
            return
        knob = self.knobs[self.transform.value]
        if knob is None:
            with self.parameter.hold_sync():
                self.parameter.description, self.parameter.disabled = "(none)", True
            return
        value = knob.default
        if change is None and self._start_value is not None:
            value = float(self._start_value)
            if not knob.low <= value <= knob.high:
                raise ValueError(f"value must be between {knob.low:g} and {knob.high:g} for "
                                 f"{self.transform.value}, got {value:g}")
        slider = self.parameter
        with slider.hold_sync():  # one message to the browser, not one per attribute
            # Widen the range first so that no intermediate min > max is ever set.
            slider.min, slider.max = min(slider.min, knob.low), max(slider.max, knob.high)
            slider.min, slider.max, slider.step = knob.low, knob.high, knob.step
            slider.value = value
            slider.readout_format = ".0f" if knob.step >= 1 else ".2f"
            slider.description, slider.disabled = knob.label, False

    def source(self):
        """The photo as ``uint8`` (H, W, 3) or (H, W), its shorter side ``size`` pixels."""
        return transforms.load_photo(self.photo.value, self.size)

    def current_transform(self):
        return build_transform(self.transform.value, self.parameter.value, self.size)

    def results(self) -> list:
        """The photo as a (C, H, W) uint8 tensor, then one result per seed."""
        from torchvision.transforms import v2  # here, not at the top: see the module's docstring
        image = v2.ToImage()(self.source())
        transform = self.current_transform()
        state = torch.get_rng_state()  # the explorer must not change the notebook's random numbers
        try:
            outputs = []
            for seed in range(self.seed.value, self.seed.value + self.n_draws):
                # The CPU's generator, which the transforms draw from: torch.manual_seed would
                # seed the GPUs' too (not restored below), and with no GPU in use it costs 0.3 ms.
                torch.default_generator.manual_seed(seed)
                outputs.append(transform(image))
        finally:
            torch.set_rng_state(state)
        return [image, *outputs]

    def draw(self) -> Figure:
        images = self.results()
        seeds = range(self.seed.value, self.seed.value + self.n_draws)
        titles = ["input", *(f"seed {seed}" for seed in seeds)]
        knob = self.knobs[self.transform.value]
        label = _label(self.transform.value, knob, self.parameter.value, self.size)
        fig = self.reuse(len(images), lambda: plotting.grid_figure(len(images), size=2.5, suptitle=True))
        return transforms.show(images, titles, size=2.5, same_scale=True,
                               suptitle=f"photo '{self.photo.value}' → {label}", fig=fig)
