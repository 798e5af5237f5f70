"""TransposeConvExplorer: draws, follows its controls, and explains impossible settings."""

from __future__ import annotations

import base64

import pytest
import torch
from helpers import PNG_SIGNATURE
from torch import nn

from convolved.widgets import TransposeConvExplorer


@pytest.fixture()
def explorer():
    return TransposeConvExplorer(size=2, kernel_size=3, stride=2)


def test_default_view_is_the_scatter_figure(explorer):
    assert bytes(explorer.view.value).startswith(PNG_SIGNATURE)
    assert explorer.draws == 1
    assert explorer.output_size() == 5  # 2·(2 − 1) + 3
    assert explorer.pixel.max == 3


def test_every_control_redraws_once(explorer):
    for control, value in [(explorer.pixel, 3), (explorer.input_size, 4), (explorer.kernel_size, 4),
                           (explorer.padding, 1), (explorer.output_padding, 1), (explorer.stride, 3)]:
        before, drawn = bytes(explorer.view.value), explorer.draws
        control.value = value
        assert bytes(explorer.view.value) != before, control.description
        assert explorer.draws == drawn + 1


def test_the_input_pixel_slider_follows_the_input_size(explorer):
    explorer.input_size.value = 5
    assert explorer.pixel.max == 24
    explorer.pixel.value = 24
    explorer.input_size.value = 3
    assert explorer.pixel.max == 8 and explorer.pixel.value == 8


@pytest.mark.parametrize(("m", "k", "s", "p", "op"), [(2, 3, 2, 0, 0), (4, 3, 2, 1, 1), (6, 5, 4, 0, 3),
                                                      (3, 4, 2, 1, 0), (1, 1, 1, 0, 0), (5, 2, 3, 2, 2)])
def test_the_output_size_is_torchs(explorer, m, k, s, p, op):
    with explorer.holding():
        explorer.input_size.value, explorer.kernel_size.value, explorer.stride.value = m, k, s
        explorer.padding.value, explorer.output_padding.value = p, op
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op)
    assert explorer.output_size() == layer(torch.zeros(1, 1, m, m)).shape[-1]
    assert bytes(explorer.view.value).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    "settings",
    [{"output_padding": 2},  # output_padding must be smaller than the stride (2)
     {"input_size": 1, "kernel_size": 1, "padding": 4},  # padding crops everything
     {"stride": 1, "output_padding": 1}],
)
def test_impossible_settings_show_a_message_instead_of_failing(explorer, settings):
    for name, value in settings.items():
        getattr(explorer, name).value = value  # one at a time, as a learner would
    assert bytes(explorer.view.value).startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError):
        explorer.output_size()
    explorer.output_padding.value = 0
    explorer.padding.value = 0
    assert explorer.output_size() >= 1  # recovers


def test_saved_notebooks_keep_a_png_of_the_view(explorer):
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(explorer.view.value)
    assert bundle["text/plain"].startswith("Transpose convolution explorer")
