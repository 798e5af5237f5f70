"""Notebook 07's exercises: reference and other correct answers pass, the scaffolds are "not
attempted", and each typical mistake gets a ✗ with a hint that names it, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_wrong_with_hint
from torch.utils.data import DataLoader, Dataset, RandomSampler, default_collate

from convolved.exercises import nb07, reveal


def test_every_solution_can_be_revealed():
    for name in ("dataset_class", "make_loader", "pad_collate"):
        text = reveal(name)
        assert text.startswith("```python\n") and "@solution" not in text


# ----------------------------------------------------------------------------------------------
# Exercise 1: MyDigits


def digits_class(*, length=None, item=None, init=None, check_lengths=True):
    """A Dataset class like the reference, with one piece swapped for a mistake."""

    class Digits(Dataset):
        def __init__(self, images, labels, transform=None):
            if check_lengths and len(images) != len(labels):
                raise ValueError("lengths differ")
            self.images, self.labels, self.transform = images, labels, transform
            if init:
                init(self)

        def __len__(self):
            return length(self) if length else len(self.images)

        def __getitem__(self, index):
            if item:
                return item(self, index)
            image = torch.as_tensor(self.images[index], dtype=torch.float32)[None] / 255
            if self.transform is not None:
                image = self.transform(image)
            return image, int(self.labels[index])

    return Digits


class TestDatasetClass:
    def test_reference_solution_passes(self):
        assert nb07.check_dataset_class(nb07.SolutionDigits).passed

    def test_a_class_relying_on_numpy_for_index_errors_passes(self):
        # numpy raises IndexError itself for an index out of range; labels may stay tensors.
        assert nb07.check_dataset_class(digits_class()).passed

    def test_a_class_holding_tensors_with_tensor_labels_passes(self):
        class Tensors(Dataset):
            def __init__(self, images, labels, transform=None):
                if len(images) != len(labels):
                    raise ValueError("images and labels differ in length")
                self.images = torch.from_numpy(np.asarray(images)).float().div(255).unsqueeze(1)
                self.labels = torch.tensor(labels)
                self.transform = transform

            def __len__(self):
                return self.images.shape[0]

            def __getitem__(self, index):
                image = self.images[index]
                return (self.transform(image) if self.transform else image), self.labels[index]

        assert nb07.check_dataset_class(Tensors).passed

    @pytest.mark.parametrize(
        ("mistake", "fragment"),
        [
            ({"length": lambda self: None}, "__len__ returned None"),
            ({"length": lambda self: len(self.images) - 1}, "len is 11 for 12 images"),
            ({"item": lambda self, i: None}, "return a pair"),
            ({"item": lambda self, i: torch.as_tensor(self.images[i], dtype=torch.float32)[None] / 255},
             "return a pair"),
            ({"item": lambda self, i: (self.images[i] / 255, self.labels[i])}, "turn it into a tensor"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i], dtype=torch.float32) / 255,
                                       self.labels[i])}, "add the channel axis"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i].T, dtype=torch.float32)[None] / 255,
                                       self.labels[i])}, "do not transpose"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i])[None], self.labels[i])},
             "dtype torch.uint8"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i], dtype=torch.float32)[None],
                                       self.labels[i])}, "divide the float image by 255"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[0], dtype=torch.float32)[None] / 255,
                                       self.labels[i])}, "is not image 1 of the data"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i], dtype=torch.float32)[None] / 255,
                                       str(self.labels[i]))}, "the label of item 0 is str"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i], dtype=torch.float32)[None] / 255,
                                       float(self.labels[i]))}, "return the label as an int"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i], dtype=torch.float32)[None] / 255,
                                       torch.tensor([self.labels[i]]))}, "tensor of shape (1,)"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i], dtype=torch.float32)[None] / 255,
                                       self.labels[0])}, "the data says"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i % len(self.images)],
                                                       dtype=torch.float32)[None] / 255,
                                       self.labels[i % len(self.images)])}, "raise IndexError"),
            ({"item": lambda self, i: (torch.as_tensor(self.images[i], dtype=torch.float32)[None] / 255
                                       if 0 <= i < len(self.images) else 1 / 0, self.labels[i])},
             "ZeroDivisionError, not IndexError"),
        ],
        ids=["len-none", "len-short", "item-none", "image-only", "numpy-image", "no-channel",
             "transposed", "uint8", "not-scaled", "wrong-image", "str-label", "float-label",
             "label-shape", "wrong-label", "wraps-around", "wrong-error"],
    )
    def test_mistakes_in_len_and_items_get_a_hint(self, mistake, fragment):
        assert_wrong_with_hint(nb07.check_dataset_class(digits_class(**mistake)), fragment)

    def test_transform_run_at_creation_is_caught(self):
        def eager(self):
            if self.transform is not None:
                self.cache = [self.transform(torch.as_tensor(image, dtype=torch.float32)[None] / 255)
                              for image in self.images]

        assert_wrong_with_hint(nb07.check_dataset_class(digits_class(init=eager)),
                               "ran the transform 12 times", "not in __init__")

    def test_transform_ignored_is_caught(self):
        def ignores(self, index):
            return torch.as_tensor(self.images[index], dtype=torch.float32)[None] / 255, self.labels[index]

        assert_wrong_with_hint(nb07.check_dataset_class(digits_class(item=ignores)), "never ran")

    def test_transform_run_twice_is_caught(self):
        def twice(self, index):
            image = torch.as_tensor(self.images[index], dtype=torch.float32)[None] / 255
            if self.transform is not None:
                self.transform(image)
                image = self.transform(image)
            return image, self.labels[index]

        assert_wrong_with_hint(nb07.check_dataset_class(digits_class(item=twice)), "ran 2 times")

    def test_transform_result_thrown_away_is_caught(self):
        def discards(self, index):
            image = torch.as_tensor(self.images[index], dtype=torch.float32)[None] / 255
            if self.transform is not None:
                self.transform(image)
            return image, self.labels[index]

        assert_wrong_with_hint(nb07.check_dataset_class(digits_class(item=discards)),
                               "after the transform", "return the image the transform gave back")

    def test_transform_before_conversion_is_caught(self):
        def too_early(self, index):
            image = self.images[index]
            if self.transform is not None:
                image = self.transform(image)
            return torch.as_tensor(image, dtype=torch.float32)[None] / 255, self.labels[index]

        assert_wrong_with_hint(nb07.check_dataset_class(digits_class(item=too_early)),
                               "the transform received a ndarray", "convert first")

    def test_transform_argument_missing_is_caught(self):
        class NoTransform(Dataset):
            def __init__(self, images, labels):
                if len(images) != len(labels):
                    raise ValueError("lengths")
                self.images, self.labels = images, labels

            def __len__(self):
                return len(self.images)

            def __getitem__(self, index):
                image = torch.as_tensor(self.images[index], dtype=torch.float32)[None] / 255
                return image, self.labels[index]

        assert_wrong_with_hint(nb07.check_dataset_class(NoTransform), "transform=None")

    def test_mismatched_lengths_accepted_is_caught(self):
        assert_wrong_with_hint(nb07.check_dataset_class(digits_class(check_lengths=False)),
                               "accepted 12 images with 11 labels", "raise ValueError")

    def test_mismatched_lengths_with_another_error_is_caught(self):
        def asserts(self):
            assert len(self.images) == len(self.labels)

        mistake = digits_class(check_lengths=False, init=asserts)
        assert_wrong_with_hint(nb07.check_dataset_class(mistake), "AssertionError, not ValueError")

    @pytest.mark.parametrize(("answer", "fragment"), [
        (nb07.SolutionDigits(*nb07.raw_digits()), "pass the class itself"),
        ("MyDigits", "MyDigits is str"),
    ])
    def test_not_a_class(self, answer, fragment):
        assert_wrong_with_hint(nb07.check_dataset_class(answer), fragment)

    def test_a_class_that_fails_to_construct(self):
        class Broken(Dataset):
            def __init__(self, images, labels, transform=None):
                self.n = len(images) / 0

        assert_wrong_with_hint(nb07.check_dataset_class(Broken), "raised ZeroDivisionError")


# ----------------------------------------------------------------------------------------------
# Exercise 2: make_loader


def loader_maker(**overrides):
    def make_loader(dataset, seed):
        kwargs = {"batch_size": 32, "shuffle": True, "drop_last": True,
                  "generator": torch.Generator().manual_seed(seed)}
        kwargs.update(overrides)
        return DataLoader(dataset, **kwargs)

    return make_loader


class TestMakeLoader:
    def test_reference_solution_passes(self):
        assert nb07.check_make_loader(nb07.solution_make_loader).passed

    def test_a_seeded_sampler_passes_too(self):
        def with_sampler(dataset, seed):
            sampler = RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
            return DataLoader(dataset, batch_size=32, sampler=sampler, drop_last=True)

        assert nb07.check_make_loader(with_sampler).passed

    def test_the_learners_random_state_is_left_alone(self):
        torch.manual_seed(11)
        expected = torch.rand(3)
        torch.manual_seed(11)
        nb07.check_make_loader(nb07.solution_make_loader)
        assert torch.equal(torch.rand(3), expected)

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            (lambda dataset, seed: list(dataset), "returned list"),
            (loader_maker(num_workers=2), "num_workers=0"),
            (loader_maker(batch_size=25), "batch_size=32"),
            (loader_maker(drop_last=False), "drop_last=True"),
            (loader_maker(shuffle=False, generator=None), "shuffle=True"),
            (loader_maker(shuffle=False, generator=None,
                          sampler=RandomSampler(range(100), replacement=True,
                                                generator=torch.Generator().manual_seed(0))),
             "some items come twice"),
            (loader_maker(generator=None), "generator=torch.Generator().manual_seed(seed)"),
            (lambda dataset, seed: loader_maker()(dataset, 0), "seeds 3 and 4 give the same order"),
            (loader_maker(collate_fn=lambda items: (torch.stack([x for x, _ in items])[:, 0],
                                                    torch.tensor([y for _, y in items]))),
             "default collate_fn"),
        ],
        ids=["not-a-loader", "workers", "batch-size", "keeps-last", "not-shuffled", "replacement",
             "global-rng", "fixed-seed", "bad-collate"],
    )
    def test_mistakes_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb07.check_make_loader(answer), fragment)

    def test_seeding_the_global_rng_is_not_enough(self):
        def global_seed(dataset, seed):
            torch.manual_seed(seed)
            return DataLoader(dataset, batch_size=32, shuffle=True, drop_last=True)

        assert_wrong_with_hint(nb07.check_make_loader(global_seed), "same seed give different orders")

    def test_a_crash_becomes_feedback(self):
        assert_wrong_with_hint(nb07.check_make_loader(lambda dataset: None), "TypeError")


# ----------------------------------------------------------------------------------------------
# Exercise 3: pad_collate


class TestPadCollate:
    def test_reference_solution_passes(self):
        assert nb07.check_pad_collate(nb07.solution_pad_collate).passed

    def test_another_correct_answer_passes(self):
        def by_hand(items):
            height = max(image.shape[1] for image, _ in items)
            width = max(image.shape[2] for image, _ in items)
            batch = torch.zeros(len(items), items[0][0].shape[0], height, width)
            for i, (image, _) in enumerate(items):
                batch[i, :, :image.shape[1], :image.shape[2]] = image
            return batch, torch.as_tensor([label for _, label in items], dtype=torch.long)

        assert nb07.check_pad_collate(by_hand).passed

    def test_reference_equals_default_collate_for_equal_sizes(self):
        items = nb07.ragged_items([(5, 5)] * 3)
        for ours, theirs in zip(nb07.solution_pad_collate(items), default_collate(items), strict=True):
            assert torch.equal(ours, theirs)

    @staticmethod
    def centred(items):
        height = max(image.shape[1] for image, _ in items)
        width = max(image.shape[2] for image, _ in items)
        padded = []
        for image, _ in items:
            dh, dw = height - image.shape[1], width - image.shape[2]
            padded.append(F.pad(image, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2)))
        return torch.stack(padded), torch.tensor([label for _, label in items])

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            (default_collate, "RuntimeError"),
            (lambda items: torch.zeros(3), "return a pair"),
            (lambda items: ([image for image, _ in items], [label for _, label in items]),
             "the images are list"),
            (lambda items: (torch.stack([F.pad(image, (0, 9 - image.shape[2], 0, 9 - image.shape[1]))
                                         for image, _ in items]), torch.tensor([y for _, y in items])),
             "expected (3, 1, 8, 8)"),
            ("centred", "top-left corner"),
            (lambda items: (torch.stack([F.pad(image, (0, 8 - image.shape[2], 0, 8 - image.shape[1]),
                                               value=1.0) for image, _ in items]),
                            torch.tensor([y for _, y in items])) if len(items) == 3 else None,
             "padding of image 1 is not zeros"),
            (lambda items: (nb07.solution_pad_collate(items)[0], [y for _, y in items]),
             "one tensor of shape (B,)"),
            (lambda items: (nb07.solution_pad_collate(items)[0],
                            torch.tensor([y for _, y in items], dtype=torch.float32)), "as int64"),
            (lambda items: (nb07.solution_pad_collate(items)[0],
                            torch.tensor([y for _, y in reversed(items)])), "keeps the order"),
        ],
        ids=["default-collate", "not-a-pair", "lists", "fixed-size", "centred", "ones-padding",
             "label-list", "float-labels", "sorted-labels"],
    )
    def test_mistakes_get_a_hint(self, answer, fragment):
        answer = self.centred if answer == "centred" else answer
        assert_wrong_with_hint(nb07.check_pad_collate(answer), fragment)

    def test_returning_none_later_is_wrong(self):
        calls = []

        def sometimes(items):
            calls.append(1)
            return nb07.solution_pad_collate(items) if len(calls) == 1 else None

        assert_wrong_with_hint(nb07.check_pad_collate(sometimes), "returned None")
