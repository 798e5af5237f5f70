"""The pooling explorer draws, follows its controls, agrees with torch, and explains refusals."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from helpers import PNG_SIGNATURE

from convolved import ops, shapes
from convolved.widgets import PoolingExplorer


@pytest.fixture()
def explorer():
    return PoolingExplorer(image="camera", size=32)


def test_default_view_is_drawn_once(explorer):
    assert bytes(explorer.view.value).startswith(PNG_SIGNATURE)
    assert explorer.draws == 1
    assert explorer.settings() == {"kernel_size": 2, "stride": 2, "padding": 0, "ceil_mode": False}
    assert explorer.pooled().shape == (16, 16)


def test_every_control_redraws_once(explorer):
    for control, value in [(explorer.mode, "mean"), (explorer.kernel_size, 3), (explorer.padding, 1),
                           (explorer.stride, 3), (explorer.ceil_mode, True), (explorer.noise, 0.2),
                           (explorer.photo, "coffee")]:
        before, drawn = bytes(explorer.view.value), explorer.draws
        control.value = value
        assert bytes(explorer.view.value) != before, control.description
        assert explorer.draws == drawn + 1


@pytest.mark.parametrize("mode", ["max", "mean"])
@pytest.mark.parametrize(("k", "s", "p", "ceil"), [(2, 2, 0, False), (3, 2, 1, True), (4, 3, 2, False),
                                                   (3, 1, 0, False), (5, 4, 1, True)])
def test_the_pooled_image_is_our_from_scratch_pooling(explorer, mode, k, s, p, ceil):
    with explorer.holding():
        explorer.mode.value, explorer.kernel_size.value = mode, k
        explorer.stride.value, explorer.padding.value, explorer.ceil_mode.value = s, p, ceil
    image = explorer.input_image()
    ours = (ops.max_pool2d if mode == "max" else ops.avg_pool2d)(image[None], k, s, p, ceil_mode=ceil)[0]
    assert np.allclose(explorer.pooled(image), ours, atol=1e-6)
    assert ours.shape == shapes.pool_output_size(image.shape, k, s, p, ceil_mode=ceil)


def test_colour_photos_are_pooled_per_channel():
    colour = PoolingExplorer(image="coffee", size=24, kernel_size=3, stride=3)
    assert colour.input_image().shape == (24, 24, 3)
    assert colour.pooled().shape == (8, 8, 3)


def test_noise_is_seeded(explorer):
    explorer.noise.value = 0.3
    first = explorer.input_image()
    assert np.array_equal(first, explorer.input_image())
    assert abs(float((first - PoolingExplorer(size=32).input_image()).std()) - 0.3) < 0.05


def test_the_formula_has_the_numbers(explorer):
    assert explorer.formula() == "N = ⌊(M + 2p − k) / s⌋ + 1 = ⌊(32 + 0 − 2) / 2⌋ + 1 = 16"
    with explorer.holding():
        explorer.kernel_size.value, explorer.stride.value = 2, 3
        explorer.padding.value, explorer.ceil_mode.value = 1, True
    # ⌈(32 + 2 − 2) / 3⌉ + 1 = 12, but the 12th window would start at 33 = 32 + p: in the padding
    assert explorer.formula() == ("N = ⌈(M + 2p − k) / s⌉ + 1 = ⌈(32 + 2 − 2) / 3⌉ + 1 = 12, minus a "
                                  "last window that would start in the padding: 11")
    assert explorer.pooled().shape == (11, 11)


def test_impossible_settings_show_a_message_instead_of_failing(explorer):
    with explorer.holding():
        explorer.kernel_size.value, explorer.padding.value = 3, 2  # torch refuses p > k / 2
    assert bytes(explorer.view.value).startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError, match="padding must be at most half"):
        explorer.pooled()
    message = bytes(explorer.view.value)
    explorer.kernel_size.value = 4  # recovers
    assert bytes(explorer.view.value) != message
    assert explorer.pooled().shape == (17, 17)  # ⌊(32 + 4 − 4) / 2⌋ + 1


def test_saved_notebooks_keep_a_png_of_the_view(explorer):
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(explorer.view.value)
    assert bundle["text/plain"].startswith("Pooling explorer")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image": "lena"}, ValueError, "image must be one of"),
        ({"mode": "min"}, ValueError, "mode must be one of"),
        ({"size": 8}, ValueError, "size must be >= 16"),
        ({"kernel_size": 9}, ValueError, "kernel_size must be <= 8"),
        ({"stride": 0}, ValueError, "stride must be >= 1"),
        ({"padding": 2.0}, TypeError, "padding must be an int"),
        ({"noise": 0.9}, ValueError, "noise must be a number from 0 to 0.5"),
        ({"ceil_mode": 1}, TypeError, "ceil_mode must be True or False"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        PoolingExplorer(**kwargs)
