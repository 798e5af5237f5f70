"""The transform explorer: draws once, follows its controls, keeps the notebook's random numbers."""

from __future__ import annotations

import base64

import pytest
import torch
from helpers import JPEG_SIGNATURE, assert_looks_the_same

from convolved import plotting
from convolved.widgets import TransformExplorer
from convolved.widgets.nb06 import _knobs, build_transform


@pytest.fixture()
def explorer():
    return TransformExplorer(image="chelsea", transform="RandomRotation", value=30, seed=0, size=48)


def test_default_view_is_drawn_once(explorer):
    assert bytes(explorer.view.value).startswith(JPEG_SIGNATURE)  # a photo explorer
    assert explorer.draws == 1
    assert explorer.parameter.description == "degrees" and explorer.parameter.value == 30


def test_input_and_three_draws_with_shapes(explorer):
    images = explorer.results()
    assert len(images) == 1 + explorer.n_draws
    assert tuple(images[0].shape) == (3, 48, 72) and images[0].dtype == torch.uint8
    assert not torch.equal(images[1], images[2])  # seeds 0 and 1 turn by different angles


def test_every_control_redraws_once(explorer):
    for control, value in [
        (explorer.photo, "coffee"),
        (explorer.parameter, 90.0),
        (explorer.seed, 5),
        (explorer.transform, "ColorJitter"),
    ]:
        before, drawn = bytes(explorer.view.value), explorer.draws
        control.value = value
        assert bytes(explorer.view.value) != before, control.description
        assert explorer.draws == drawn + 1


def test_choosing_a_transform_sets_up_the_slider(explorer):
    knobs = _knobs(48)
    for name, knob in knobs.items():
        explorer.transform.value = name
        if knob is None:
            assert explorer.parameter.disabled
            continue
        assert not explorer.parameter.disabled and explorer.parameter.description == knob.label
        assert (explorer.parameter.min, explorer.parameter.max) == (knob.low, knob.high)
        assert explorer.parameter.value == knob.default


def test_a_new_transform_reaches_the_browser_as_one_slider_update(explorer, monkeypatch):
    # One message, so the browser redraws the slider once, not once per attribute.
    if getattr(explorer.parameter.comm, "kernel", True) is None:
        pytest.skip("ipywidgets 8.0 sends no messages outside a kernel")
    sent = []
    monkeypatch.setattr(explorer.parameter, "_send", lambda message, buffers=None: sent.append(message))
    explorer.transform.value = "Resize"  # every attribute of the slider changes
    assert len(sent) == 1 and sent[0]["method"] == "update"
    assert {"min", "max", "step", "value", "description"} <= set(sent[0]["state"])


def test_every_transform_runs_at_both_ends_of_its_slider():
    size = 40
    image = TransformExplorer(size=size).results()[0]
    for name, knob in _knobs(size).items():
        for value in [knob.low, knob.high] if knob else [0.0]:
            result = build_transform(name, value, size)(image)
            assert isinstance(result, torch.Tensor) and result.ndim == 3, name
            if name.endswith("(ours)"):
                assert result.dtype == torch.float32
    with pytest.raises(ValueError, match="transform must be one of"):
        build_transform("Blur", 1.0, size)


def test_deterministic_transforms_give_three_equal_results(explorer):
    explorer.transform.value = "CenterCrop"
    _, *results = explorer.results()
    assert all(torch.equal(results[0], other) for other in results[1:])
    assert tuple(results[0].shape) == (3, 24, 24)


def test_same_settings_same_picture_and_the_notebook_rng_is_untouched(explorer):
    torch.manual_seed(42)
    expected = torch.rand(2)
    torch.manual_seed(42)
    first = bytes(explorer.view.value)
    explorer.refresh()
    assert bytes(explorer.view.value) == first
    assert torch.equal(torch.rand(2), expected)


def test_saved_notebooks_keep_a_png_of_the_view(explorer):
    bundle = explorer._repr_mimebundle_()
    png = base64.b64decode(bundle["image/png"])
    assert png == plotting.to_png(explorer.picture, dpi=explorer.dpi)
    assert_looks_the_same(png, bytes(explorer.view.value))
    assert bundle["text/plain"].startswith("Transform explorer")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image": "lena"}, ValueError, "image must be one of"),
        ({"transform": "Blur"}, ValueError, "transform must be one of"),
        ({"value": 500}, ValueError, "value must be between 0 and 180"),
        ({"size": 16}, ValueError, "size must be >= 32"),
        ({"size": 64.0}, TypeError, "size must be an int"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        TransformExplorer(**kwargs)
