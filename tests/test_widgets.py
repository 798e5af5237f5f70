"""The explorers draw, react to their controls, and leave a static PNG for saved notebooks."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from convolved import kernels
from convolved.widgets import ConvGeometryExplorer, KernelExplorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def explorer():
    return KernelExplorer(image="camera", kernel="vertical edges", size=64)


def test_default_view_is_drawn(explorer):
    assert bytes(explorer.image.value).startswith(PNG_SIGNATURE)
    assert np.array_equal(explorer.kernel, kernels.get_kernel("vertical edges"))


def test_a_preset_fills_the_grid_and_redraws(explorer):
    before = explorer.image.value
    explorer.preset.value = "box blur"
    assert np.allclose(explorer.kernel, 1 / 9)
    assert explorer.image.value != before


def test_editing_a_cell_makes_the_kernel_custom_and_redraws(explorer):
    explorer.preset.value = "identity"
    before = explorer.image.value
    explorer.cells[4].value = -1.0
    assert explorer.preset.value == "custom"
    assert explorer.kernel[1, 1] == -1.0
    assert explorer.image.value != before


def test_another_photo_redraws(explorer):
    before = explorer.image.value
    explorer.image_name.value = "coins"
    assert explorer.image.value != before


def test_saved_notebooks_keep_a_png_of_the_view(explorer):
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(explorer.image.value)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Kernel explorer")


class TestConvGeometryExplorer:
    @pytest.fixture()
    def geometry(self):
        return ConvGeometryExplorer(size=7, kernel_size=3, padding=1, stride=2)

    def test_output_pixel_range_follows_the_output_size(self, geometry):
        assert geometry.position.max == 4 * 4 - 1  # floor((7 + 2 - 3) / 2) + 1 = 4
        geometry.stride.value = 1
        assert geometry.position.max == 7 * 7 - 1

    def test_every_control_redraws(self, geometry):
        for control, value in [(geometry.position, 5), (geometry.mode, "circular"),
                               (geometry.dilation, 2), (geometry.kernel_size, 2),
                               (geometry.padding, 0), (geometry.size, 9)]:
            before = bytes(geometry.image.value)
            control.value = value
            assert bytes(geometry.image.value) != before, control.description

    def test_impossible_settings_show_a_message_instead_of_failing(self, geometry):
        with geometry.holding():
            geometry.size.value, geometry.padding.value = 3, 0
            geometry.kernel_size.value, geometry.dilation.value = 7, 3
        assert bytes(geometry.image.value).startswith(PNG_SIGNATURE)
        geometry.kernel_size.value = 3  # recovers
        assert geometry.position.max >= 0

    def test_reflect_padding_larger_than_the_input_is_explained(self, geometry):
        with geometry.holding():
            geometry.size.value, geometry.padding.value, geometry.mode.value = 3, 4, "reflect"
        assert bytes(geometry.image.value).startswith(PNG_SIGNATURE)
