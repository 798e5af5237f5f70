"""The Dataset explorer: every draw of an item is a new view, seeded, and browsing leaves the
notebook's random state and the data alone."""

from __future__ import annotations

import base64

import pytest
import torch
from helpers import PNG_SIGNATURE

from convolved import data
from convolved.widgets import DatasetExplorer
from convolved.widgets.nb07 import digit_augmentations


@pytest.fixture(scope="module")
def digits():
    images, labels = data.digits()
    return images[:30], labels[:30]


@pytest.fixture()
def explorer(digits):
    return DatasetExplorer(*digits, index=3, augmentation="rotate up to ±20°", views=4)


def test_default_view_is_drawn_once(explorer):
    assert bytes(explorer.view.value).startswith(PNG_SIGNATURE)
    assert explorer.draws == 1
    assert explorer.index.max == 29


def test_each_draw_of_the_same_item_is_a_new_view_of_the_same_size(explorer, digits):
    views = explorer.augmented_views()
    assert len(views) == 4 and all(view.shape == (1, 8, 8) for view in views)
    assert all(not torch.equal(views[0], view) for view in views[1:])
    assert len(explorer.dataset()) == 30


def test_no_transform_gives_the_stored_image(explorer, digits):
    explorer.augmentation.value = "none"
    assert all(torch.equal(view, digits[0][3]) for view in explorer.augmented_views())


def test_the_seed_fixes_the_views_and_the_notebooks_random_state_is_untouched(explorer):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    first = explorer.augmented_views()
    assert [torch.equal(a, b) for a, b in zip(first, explorer.augmented_views(), strict=True)] == [True] * 4
    assert torch.equal(torch.rand(3), expected)


def test_redraw_takes_the_next_seed_and_draws_once(explorer):
    before, drawn, views = bytes(explorer.view.value), explorer.draws, explorer.augmented_views()
    explorer.redraw.click()
    assert explorer.seed.value == 1 and explorer.draws == drawn + 1
    assert bytes(explorer.view.value) != before
    assert not torch.equal(explorer.augmented_views()[0], views[0])


def test_every_control_redraws(explorer):
    for control, value in [(explorer.index, 7), (explorer.augmentation, "erase a patch"),
                           (explorer.views, 9), (explorer.seed, 42)]:
        before = bytes(explorer.view.value)
        control.value = value
        assert bytes(explorer.view.value) != before, control.description
    assert len(explorer.augmented_views()) == 9


def test_the_data_is_never_changed(digits):
    images, labels = digits
    kept = images.clone()
    explorer = DatasetExplorer(images, labels, augmentation="Gaussian noise (σ = 0.1)")
    for name in digit_augmentations():
        explorer.augmentation.value = name
    assert torch.equal(images, kept)


def test_a_notebooks_own_transform_comes_first(digits):
    explorer = DatasetExplorer(*digits, transforms={"ours": lambda image: 1 - image})
    assert explorer.augmentation.value == "ours"
    assert torch.equal(explorer.augmented_views()[0], 1 - digits[0][0])
    assert set(digit_augmentations()) < set(explorer.augmentation.options)


def test_saved_notebooks_keep_a_png_of_the_view(explorer):
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == bytes(explorer.view.value)
    assert bundle["text/plain"].startswith("Dataset explorer")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"labels": torch.zeros(29, dtype=torch.long)}, ValueError, "same length"),
        ({"augmentation": "mirror"}, ValueError, "augmentation must be one of"),
        ({"index": 30}, ValueError, "index must be from 0 to 29"),
        ({"index": 1.0}, TypeError, "index must be an int"),
        ({"views": 0}, ValueError, "views must be >= 1"),
        ({"views": 13}, ValueError, "views must be from 1 to 12"),
        ({"transforms": {"bad": "flip"}}, TypeError, "transforms must map names to callables"),
    ],
)
def test_bad_input(digits, kwargs, error, match):
    arguments = {"images": digits[0], "labels": digits[1], **kwargs}
    with pytest.raises(error, match=match):
        DatasetExplorer(**arguments)
