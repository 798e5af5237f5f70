"""Notebook 06's exercises: valid answers pass, wrong ones get a hint, never a traceback."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from helpers import assert_wrong_with_hint
from torchvision.transforms import v2

from convolved.exercises import nb06, reveal, solution_button

M, S = nb06.GRAY_MEAN, nb06.GRAY_STD




def to_float():
    return v2.ToDtype(torch.float32, scale=True)


def test_solutions_are_revealed_and_buttons_hide_them():
    for name, fragment in [
        ("gray_preprocess", "v2.Grayscale()"),
        ("flip_crop_augment", "v2.RandomCrop(CROP)"),
        ("random_invert", "class SolutionRandomInvert"),
    ]:
        assert fragment in reveal(name)
        assert "Show solution" in solution_button(name)._repr_mimebundle_()["text/plain"]


def test_the_normalisation_constants_are_the_photos_statistics():
    base = v2.Compose(nb06.solution_preprocess().transforms[:-1])
    from convolved import data
    from convolved.transforms import load_photo

    pixels = torch.stack([base(load_photo(name)) for name in data.IMAGES])
    assert round(float(pixels.mean()), 2) == M and round(float(pixels.std()), 2) == S


def test_checkers_leave_the_learners_random_numbers_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    assert nb06.check_preprocess(nb06.solution_preprocess()).passed
    assert nb06.check_augment(nb06.solution_augment()).passed
    assert nb06.check_random_invert(nb06.SolutionRandomInvert).passed
    assert torch.equal(torch.rand(3), expected)


class TestPreprocess:
    def test_reference_solution_passes(self):
        feedback = nb06.check_preprocess(nb06.solution_preprocess())
        assert feedback.passed and "14 photos" in repr(feedback)

    @pytest.mark.parametrize(
        "steps",
        [
            [
                v2.ToImage(),
                v2.Resize(64),
                v2.Grayscale(),
                v2.CenterCrop(64),
                to_float(),
                v2.Normalize([M], [S]),
            ],
            [
                v2.ToImage(),
                to_float(),
                v2.Grayscale(),
                v2.Resize(64),
                v2.CenterCrop(64),
                v2.Normalize([M], [S]),
            ],
            [
                v2.ToImage(),
                v2.Grayscale(num_output_channels=1),
                v2.Resize(64, antialias=True),
                v2.CenterCrop((64, 64)),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean=(M,), std=(S,)),
            ],
        ],
        ids=["resize-first", "float-first", "spelled-out"],
    )
    def test_other_orders_of_the_same_steps_pass(self, steps):
        assert nb06.check_preprocess(v2.Compose(steps)).passed

    def test_a_plain_function_passes(self):
        def preprocess(photo):
            image = torch.from_numpy(photo).float() / 255
            image = image.permute(2, 0, 1) if image.ndim == 3 else image[None]
            image = v2.Grayscale()(image)
            image = v2.CenterCrop(64)(v2.Resize(64)(image))
            return (image - M) / S

        assert nb06.check_preprocess(preprocess).passed

    def test_unanswered_is_not_attempted(self):
        assert nb06.check_preprocess(None).status == "not attempted"

    @pytest.mark.parametrize(
        ("steps", "fragments"),
        [
            ([v2.Grayscale(), v2.Resize(64)], ["ndarray", "v2.ToImage()"]),
            ([v2.ToImage(), v2.Grayscale(), v2.Resize(64), v2.CenterCrop(64)], ["torch.uint8", "scale=True"]),
            (
                [
                    v2.ToImage(),
                    v2.Grayscale(),
                    v2.Resize(64),
                    v2.CenterCrop(64),
                    v2.ToDtype(torch.float64, scale=True),
                    v2.Normalize([M], [S]),
                ],
                ["torch.float64", "float32"],
            ),
            (
                [v2.ToImage(), v2.Resize(64), v2.CenterCrop(64), to_float(), v2.Normalize([M] * 3, [S] * 3)],
                ["(3, 64, 64)", "v2.Grayscale()"],
            ),
            (
                [v2.ToImage(), v2.Grayscale(), v2.Resize(64), to_float(), v2.Normalize([M], [S])],
                ["(1, 64, 96)", "CenterCrop(64)"],
            ),
            (
                [v2.ToImage(), v2.Grayscale(), v2.CenterCrop(64), to_float(), v2.Normalize([M], [S])],
                ["v2.Resize(64)"],
            ),
            (
                [v2.ToImage(), v2.Grayscale(), v2.Resize((64, 64)), to_float(), v2.Normalize([M], [S])],
                ["per pixel", "squash"],
            ),
            (
                [
                    v2.ToImage(),
                    v2.Grayscale(),
                    v2.Resize(64),
                    v2.RandomCrop(64),
                    to_float(),
                    v2.Normalize([M], [S]),
                ],
                ["different tensor each time", "CenterCrop"],
            ),
            (
                [
                    v2.ToImage(),
                    v2.Grayscale(),
                    v2.Resize(64),
                    v2.CenterCrop(64),
                    v2.ToDtype(torch.float32),
                    v2.Normalize([M], [S]),
                ],
                ["values up to", "scale=True"],
            ),
            (
                [v2.ToImage(), v2.Grayscale(), v2.Resize(64), v2.CenterCrop(64), to_float()],
                ["not normalised", "v2.Normalize"],
            ),
            (
                [
                    v2.ToImage(),
                    v2.Grayscale(),
                    v2.Resize(64),
                    v2.CenterCrop(64),
                    to_float(),
                    v2.Normalize([0.5], [0.5]),
                ],
                ["x·2.00 -1.00", "ex.GRAY_MEAN"],
            ),
            (
                [
                    v2.ToImage(),
                    v2.Grayscale(),
                    v2.Resize(64),
                    v2.CenterCrop(64),
                    to_float(),
                    v2.Normalize([M], [S]),
                    v2.Lambda(lambda x: x[None]),
                ],
                ["(1, 1, 64, 64)", "DataLoader"],
            ),
            (
                [
                    v2.ToImage(),
                    v2.Grayscale(),
                    v2.Resize(64),
                    v2.CenterCrop(64),
                    to_float(),
                    v2.Lambda(lambda x: None),
                ],
                ["returned None"],
            ),
        ],
        ids=[
            "no-ToImage",
            "no-float",
            "float64",
            "no-grayscale",
            "no-crop",
            "no-resize",
            "squashed",
            "random-crop",
            "unscaled",
            "not-normalised",
            "other-statistics",
            "batch-axis",
            "returns-none",
        ],
    )
    def test_wrong_pipelines_get_a_hint(self, steps, fragments):
        assert_wrong_with_hint(nb06.check_preprocess(v2.Compose(steps)), *fragments)

    def test_a_pipeline_for_colour_only_gets_the_gray_hint(self):
        def colour_only(photo):
            return v2.Compose(nb06.solution_preprocess().transforms)(photo.transpose(2, 0, 1))

        assert_wrong_with_hint(nb06.check_preprocess(colour_only), "raised", "gray (H, W)")

    def test_changing_the_photo_in_place_is_wrong(self):
        reference = nb06.solution_preprocess()

        def careless(photo):
            result = reference(photo)
            photo[0, 0] = 0
            return result

        assert_wrong_with_hint(nb06.check_preprocess(careless), "changed the photo")

    def test_non_transforms_get_a_hint(self):
        assert_wrong_with_hint(nb06.check_preprocess("pipeline"), "is a str", "v2.Compose")
        assert_wrong_with_hint(
            nb06.check_preprocess([v2.ToImage(), v2.Grayscale()]), "is a list", "v2.Compose"
        )
        assert_wrong_with_hint(nb06.check_preprocess(v2.Resize), "raised")  # the class, not a transform


class TestAugment:
    def test_reference_solution_passes(self):
        feedback = nb06.check_augment(nb06.solution_augment())
        assert feedback.passed and "40 seeded calls" in repr(feedback)

    @pytest.mark.parametrize(
        "steps",
        [
            [v2.RandomCrop(48), v2.RandomHorizontalFlip()],
            [v2.RandomHorizontalFlip(p=0.3), v2.RandomCrop((48, 48))],
        ],
        ids=["crop-first", "other-p"],
    )
    def test_other_valid_pipelines_pass(self, steps):
        assert nb06.check_augment(v2.Compose(steps)).passed

    def test_unanswered_is_not_attempted(self):
        assert nb06.check_augment(None).status == "not attempted"

    def test_the_coordinate_image_says_where_each_pixel_is(self):
        image = nb06.coordinate_image()
        assert image.shape == (3, 64, 64)
        assert float(image[0, 63, 0]) == 1.0 and float(image[1, 0, 63]) == 1.0
        assert len(torch.unique(image[2])) == 64 * 64

    @pytest.mark.parametrize(
        ("steps", "fragments"),
        [
            ([v2.RandomHorizontalFlip()], ["(3, 64, 64)", "RandomCrop(48)"]),
            ([v2.RandomHorizontalFlip(), v2.RandomResizedCrop(32)], ["(3, 32, 32)", "do not resize"]),
            ([v2.RandomCrop(48)], ["none of 40", "RandomHorizontalFlip"]),
            ([v2.RandomHorizontalFlip(p=1.0), v2.RandomCrop(48)], ["all 40 seeded calls mirrored", "p=0.5"]),
            ([v2.RandomHorizontalFlip(), v2.CenterCrop(48)], ["row 8, column 8", "CenterCrop"]),
            ([v2.RandomVerticalFlip(p=1.0), v2.RandomCrop(48)], ["upside down", "RandomVerticalFlip"]),
            ([v2.RandomHorizontalFlip(), v2.RandomCrop(48, padding=4)], ["not a 48×48 piece", "no padding"]),
            (
                [v2.RandomHorizontalFlip(), v2.RandomCrop(48), v2.ColorJitter(brightness=0.5)],
                ["not a 48×48 piece", "colour"],
            ),
            (
                [v2.RandomHorizontalFlip(), v2.RandomCrop(48), v2.ToDtype(torch.uint8, scale=True)],
                ["torch.uint8"],
            ),
        ],
        ids=[
            "no-crop",
            "resized-crop",
            "no-flip",
            "always-flip",
            "centre-crop",
            "vertical",
            "padding",
            "jitter",
            "uint8",
        ],
    )
    def test_wrong_pipelines_get_a_hint(self, steps, fragments):
        assert_wrong_with_hint(nb06.check_augment(v2.Compose(steps)), *fragments)

    def test_python_random_is_not_reproducible(self):
        def augment(image):
            top, left = random.randint(0, 16), random.randint(0, 16)
            window = image[:, top : top + 48, left : left + 48]
            return window.flip(-1) if random.random() < 0.5 else window

        assert_wrong_with_hint(nb06.check_augment(augment), "different results", "torch.manual_seed")

    def test_changing_the_input_is_wrong(self):
        reference = nb06.solution_augment()

        def careless(image):
            result = reference(image).clone()
            image.mul_(1.0 + 1e-3)
            return result

        assert_wrong_with_hint(nb06.check_augment(careless), "changed the image")

    def test_a_numpy_result_is_wrong(self):
        assert_wrong_with_hint(
            nb06.check_augment(lambda image: image[:, :48, :48].numpy()), "ndarray", "ToImage"
        )


class RandomInvertBase:
    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"p must be between 0 and 1, got {p}")
        self.p = p


class TestRandomInvert:
    def test_reference_solution_passes(self):
        assert nb06.check_random_invert(nb06.SolutionRandomInvert).passed

    def test_a_subclass_of_torchvisions_transform_passes(self):
        class ViaTorchvision(RandomInvertBase):
            def __call__(self, image):
                return v2.RandomInvert(p=self.p)(image)

        assert nb06.check_random_invert(ViaTorchvision).passed

    def test_an_instance_instead_of_the_class_is_wrong(self):
        assert_wrong_with_hint(nb06.check_random_invert(nb06.SolutionRandomInvert()), "not a class")

    @pytest.mark.parametrize(
        ("call", "fragments"),
        [
            (lambda self, image: image, ["unchanged", "torch.rand(1) < self.p"]),
            (lambda self, image: 255 - image, ["not 1 − image"]),
            (lambda self, image: 1 - image, ["p=0.0) inverted", "torch.rand(1) < self.p"]),
            (lambda self, image: (1 - image) if random.random() < self.p else image, ["different results"]),
            (lambda self, image: image.neg_().add_(1), ["in place"]),
            (lambda self, image: (1 - image).numpy(), ["returned a ndarray"]),
            (
                lambda self, image: (1 - image) if torch.rand(1) < self.p else image * 0.5,
                ["p=0.0) did not return"],
            ),
            (
                lambda self, image: (1 - image) if torch.rand(1) < self.p else image.flip(-1),
                ["p=0.0) did not return"],
            ),
            (
                lambda self, image: (
                    (1 - image) if torch.rand(1) < self.p else (image if self.p == 0 else image * 0)
                ),
                ["something else than the image or 1 − image"],
            ),
        ],
        ids=[
            "never",
            "uint8-formula",
            "always",
            "python-random",
            "in-place",
            "numpy",
            "halves",
            "flips",
            "blank-at-half",
        ],
    )
    def test_wrong_calls_get_a_hint(self, call, fragments):
        answer = type("MyRandomInvert", (RandomInvertBase,), {"__call__": call})
        assert_wrong_with_hint(nb06.check_random_invert(answer), *fragments)

    def test_unchecked_p_is_wrong(self):
        class Unchecked:
            def __init__(self, p=0.5):
                self.p = p

            def __call__(self, image):
                return (1 - image) if torch.rand(1) < self.p else image

        assert_wrong_with_hint(nb06.check_random_invert(Unchecked), "p=1.5) was accepted", "ValueError")

    def test_a_message_without_p_or_another_error_is_wrong(self):
        class Vague(RandomInvertBase):
            def __init__(self, p=0.5):
                if not 0 <= p <= 1:
                    raise ValueError("bad value")
                self.p = p

            def __call__(self, image):
                return (1 - image) if torch.rand(1) < self.p else image

        class Assertive(Vague):
            def __init__(self, p=0.5):
                assert 0 <= p <= 1
                self.p = p

        assert_wrong_with_hint(nb06.check_random_invert(Vague), "bad value", "name the argument")
        assert_wrong_with_hint(nb06.check_random_invert(Assertive), "AssertionError, not ValueError")

    def test_a_call_without_the_image_argument_is_caught(self):
        class NoImage(RandomInvertBase):
            def __call__(self):
                return None

        assert_wrong_with_hint(nb06.check_random_invert(NoImage), "TypeError")


def test_preprocess_photos_cover_colour_gray_portrait_and_tiny():
    photos = nb06.preprocess_photos()
    shapes = [photo.shape for photo in photos.values()]
    assert any(len(s) == 2 for s in shapes) and any(len(s) == 3 for s in shapes)
    assert any(s[0] > s[1] for s in shapes) and any(s[0] < s[1] for s in shapes)
    assert min(min(s[:2]) for s in shapes) < 64 and all(p.dtype == np.uint8 for p in photos.values())
