"""The explorers draw, react to their controls, and leave a static PNG for saved notebooks."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from convolved import kernels
from convolved.widgets import KernelExplorer

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
