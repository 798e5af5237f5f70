"""TransposeConvExplorer: draws, follows its controls, and explains impossible settings."""

from __future__ import annotations

import base64

import pytest
import torch
from helpers import PNG_SIGNATURE
from matplotlib.patches import Rectangle
from torch import nn

from convolved.widgets import TransposeConvExplorer


@pytest.fixture()
def explorer():
    return TransposeConvExplorer(size=2, kernel_size=3, stride=2)


def test_default_view_is_the_scatter_figure(explorer):
    assert bytes(explorer.view.value).startswith(PNG_SIGNATURE)
    assert explorer.draws == 1
    assert explorer.output_size() == 5  # 2·(2 − 1) + 3
    assert (explorer.pixel.min, explorer.pixel.max) == (1, 4)  # numbered as the input grid


def test_every_control_redraws_once(explorer):
    for control, value in [(explorer.pixel, 3), (explorer.input_size, 4), (explorer.kernel_size, 4),
                           (explorer.padding, 1), (explorer.output_padding, 1), (explorer.stride, 3)]:
        before, drawn = bytes(explorer.view.value), explorer.draws
        control.value = value
        assert bytes(explorer.view.value) != before, control.description
        assert explorer.draws == drawn + 1


def test_the_input_pixel_follows_the_input_size(explorer):
    explorer.input_size.value = 5
    assert explorer.pixel.max == 25
    explorer.pixel.value = 25
    explorer.input_size.value = 3
    assert explorer.pixel.max == 9 and explorer.pixel.value == 9


@pytest.mark.parametrize(("number", "row", "column"), [(1, 0, 0), (2, 0, 1), (4, 1, 0), (9, 2, 2)])
def test_the_input_pixel_is_the_one_the_grid_numbers(explorer, number, row, column):
    """Pixel n of the input grid (numbered 1..M² row by row) is the one whose copy is framed in
    orange: the frame sits stride × (row, column) from the canvas's top left."""
    with explorer.holding():
        explorer.input_size.value, explorer.stride.value = 3, 2
        explorer.pixel.value = number
    frames = [patch for patch in explorer.picture.axes[0].patches
              if isinstance(patch, Rectangle) and patch.get_linewidth() == 3 and not patch.get_fill()]
    (frame,) = frames
    canvas_left, canvas_top = 0.5 + 3 + 2.5, max(7, 3) + 0.3  # x_out and top of the drawing
    x, y = frame.get_xy()
    assert (x - canvas_left, canvas_top - (y + frame.get_height())) == (2 * column, 2 * row)


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
