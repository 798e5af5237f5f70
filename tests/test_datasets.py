"""The custom Datasets: items, lazy files, transforms on every draw, and clear errors."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets as tv_datasets
from torchvision.transforms import v2

import convolved.datasets
from convolved import data
from convolved.datasets import (
    ClassSubset,
    FolderImageDataset,
    InMemoryImageDataset,
    image_file_name,
    write_image_folder,
)


@pytest.fixture(scope="module")
def digits():
    images, labels = data.digits()
    return images[:40], labels[:40]


class TestInMemory:
    def test_items_match_the_data_like_tensor_dataset(self, digits):
        images, labels = digits
        ours, reference = InMemoryImageDataset(images, labels), TensorDataset(images, labels)
        assert len(ours) == len(reference) == 40
        for index in (0, 17, 39, -1):
            image, label = ours[index]
            assert torch.equal(image, reference[index][0]) and label == int(reference[index][1])

    def test_three_dimensional_images_get_a_channel_axis(self, digits):
        images, labels = digits
        assert InMemoryImageDataset(images[:, 0].numpy(), labels.numpy())[0][0].shape == (1, 8, 8)

    def test_a_random_transform_gives_new_views_without_changing_len_or_data(self, digits):
        images, labels = digits
        kept = images.clone()
        dataset = InMemoryImageDataset(images, labels, v2.RandomRotation(30))
        torch.manual_seed(0)
        first, second = dataset[3][0], dataset[3][0]
        assert len(dataset) == 40 and not torch.equal(first, second)
        assert torch.equal(images, kept)

    def test_works_with_a_dataloader(self, digits):
        loader = DataLoader(InMemoryImageDataset(*digits), batch_size=16,
                            generator=torch.Generator().manual_seed(0), shuffle=True)
        shapes = [tuple(batch.shape) for batch, _ in loader]
        assert shapes == [(16, 1, 8, 8), (16, 1, 8, 8), (8, 1, 8, 8)]

    @pytest.mark.parametrize(
        ("images", "labels", "transform", "error", "match"),
        [
            (torch.zeros(5, 8, 8), torch.zeros(4), None, ValueError,
             "images and labels must have the same length, got 5 images and 4 labels"),
            (torch.zeros(5, 8), torch.zeros(5), None, ValueError, r"images must have shape \(N, H, W\)"),
            (torch.zeros(5, 8, 8), torch.zeros(5, 2), None, ValueError,
             "labels must be one integer per image"),
            (torch.zeros(5, 8, 8), torch.zeros(5), "flip", TypeError, "transform must be callable"),
        ],
        ids=["mismatched-lengths", "images-2d", "labels-2d", "transform-string"],
    )
    def test_bad_construction(self, images, labels, transform, error, match):
        with pytest.raises(error, match=match):
            InMemoryImageDataset(images, labels, transform)

    @pytest.mark.parametrize(("index", "error", "match"), [
        (40, IndexError, "index 40 is out of range for a dataset of 40 items"),
        (-41, IndexError, "out of range"),
        (1.5, TypeError, "index must be an int"),
        ("3", TypeError, "index must be an int"),
    ])
    def test_bad_index(self, digits, index, error, match):
        with pytest.raises(error, match=match):
            InMemoryImageDataset(*digits)[index]

    def test_a_transform_that_returns_no_tensor_is_named(self, digits):
        dataset = InMemoryImageDataset(*digits, transform=lambda image: image.numpy())
        with pytest.raises(TypeError, match="transform must return a torch.Tensor, but for item 2 "
                                            "it returned ndarray"):
            dataset[2]


@pytest.fixture(scope="module")
def folder(tmp_path_factory, digits):
    return write_image_folder(*digits, tmp_path_factory.mktemp("digits"))


class TestFolder:
    def test_files_are_written_one_folder_per_class(self, folder, digits):
        _, labels = digits
        for label in labels.unique().tolist():
            assert len(list((folder / str(label)).glob("*.png"))) == int((labels == label).sum())

    def test_reads_back_what_was_written(self, folder, digits):
        images, labels = digits
        dataset = FolderImageDataset(folder)
        assert len(dataset) == 40 and dataset.classes == sorted(str(d) for d in labels.unique().tolist())
        for image, label in (dataset[i] for i in range(len(dataset))):
            matches = [i for i in range(40) if torch.allclose(images[i], image, atol=1 / 255)]
            assert matches and all(int(labels[i]) == int(dataset.classes[label]) for i in matches)

    def test_agrees_with_torchvision_image_folder(self, folder):
        ours = FolderImageDataset(folder)
        theirs = tv_datasets.ImageFolder(folder, transform=v2.Compose(
            [v2.Grayscale(), v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]))
        assert ours.classes == theirs.classes and len(ours) == len(theirs)
        for index in range(0, len(ours), 7):  # ImageFolder reads RGB and converts: ±1 grey level
            assert torch.allclose(ours[index][0], theirs[index][0], atol=1 / 255)
            assert ours[index][1] == theirs[index][1]

    def test_files_are_read_only_when_drawn(self, folder, tmp_path, digits):
        root = write_image_folder(*digits, tmp_path / "copy")
        dataset = FolderImageDataset(root)
        dataset.samples[0][0].unlink()  # gone after construction: only drawing it fails
        assert dataset[1][0].shape == (1, 8, 8)
        with pytest.raises(FileNotFoundError):
            dataset[0]

    def test_transform_runs_on_every_draw(self, folder):
        dataset = FolderImageDataset(folder, transform=v2.RandomHorizontalFlip(p=1.0))
        plain = FolderImageDataset(folder)
        assert torch.equal(dataset[5][0], plain[5][0].flip(-1))

    def test_bad_input(self, tmp_path, folder):
        with pytest.raises(FileNotFoundError, match="root must be an existing folder"):
            FolderImageDataset(tmp_path / "missing")
        with pytest.raises(ValueError, match="one sub-folder per class with .png files"):
            FolderImageDataset(tmp_path)
        with pytest.raises(IndexError, match="out of range"):
            FolderImageDataset(folder)[len(FolderImageDataset(folder))]
        with pytest.raises(TypeError, match="transform must return a torch.Tensor"):
            FolderImageDataset(folder, transform=lambda image: "not an image")[0]
        with pytest.raises(ValueError, match="same length"):
            write_image_folder(np.zeros((3, 8, 8)), [1, 2], tmp_path / "x")


class TestImageFileNames:
    def test_at_least_four_digits_more_when_needed(self):
        assert image_file_name(0, 40) == "0000.png" and image_file_name(39, 40) == "0039.png"
        assert image_file_name(19, 1400) == "0019.png" and image_file_name(123, 100000) == "00123.png"

    def test_write_image_folder_uses_them_as_the_pipeline_figure_shows(self, folder, digits):
        # The pipeline figure of notebook 07 draws digits/0/0000.png, 0010.png …, digits/9/0009.png …
        _, labels = digits
        for index in (0, 9, 10, 19):
            assert (folder / str(int(labels[index])) / image_file_name(index, 1400)).is_file()
        assert image_file_name(10, 1400) == "0010.png"


class TestClassSubset:
    def test_keeps_the_classes_relabelled_in_their_order(self, digits):
        images, labels = digits
        subset = ClassSubset(InMemoryImageDataset(images, labels), classes=[7, 2])
        expected = [i for i in range(40) if int(labels[i]) in (7, 2)]
        assert subset.indices == expected and len(subset) == len(expected)
        for position, index in enumerate(expected):
            image, label = subset[position]
            assert torch.equal(image, images[index]) and label == [7, 2].index(int(labels[index]))
        assert subset[-1][1] == subset[len(subset) - 1][1]

    def test_per_class_is_balanced_and_seeded(self):
        images, labels = data.digits()
        dataset = InMemoryImageDataset(images, labels)
        subset = ClassSubset(dataset, [5, 6, 7], per_class=4, seed=1)
        assert [label for _, label in subset].count(0) == 4 and len(subset) == 12
        assert subset.indices == ClassSubset(dataset, [5, 6, 7], per_class=4, seed=1).indices
        assert subset.indices != ClassSubset(dataset, [5, 6, 7], per_class=4, seed=2).indices
        # a class with fewer items than per_class gives all it has
        assert len(ClassSubset(InMemoryImageDataset(images[:20], labels[:20]), [0], per_class=50)) == 2

    def test_labels_are_read_without_drawing_items(self, digits):
        draws = []

        def counting(image):
            draws.append(1)
            return image

        subset = ClassSubset(InMemoryImageDataset(*digits, transform=counting), [1, 3])
        assert not draws
        subset[0]
        assert len(draws) == 1  # the transform runs when an item is drawn, as in the dataset

    def test_works_over_files_and_torchvision_datasets(self, folder):
        ours = ClassSubset(FolderImageDataset(folder), [2, 4])  # labels from .samples
        theirs = ClassSubset(tv_datasets.ImageFolder(folder), [2, 4])  # labels from .targets
        assert ours.indices == theirs.indices and [y for _, y in ours] == [y for _, y in theirs]

    def test_in_a_dataloader(self, digits):
        loader = DataLoader(ClassSubset(InMemoryImageDataset(*digits), [0, 1]), batch_size=4, shuffle=False)
        images, labels = next(iter(loader))
        assert images.shape[1:] == (1, 8, 8) and set(labels.tolist()) <= {0, 1}

    @pytest.mark.parametrize(("classes", "options", "error", "match"), [
        ([5, 5], {}, ValueError, "different labels"),
        ([], {}, ValueError, "non-empty"),
        ("57", {}, TypeError, "classes must be a list"),
        ([1.5], {}, TypeError, "must be an int"),
        ([11], {}, ValueError, r"classes \[11\] have no items"),
        ([1], {"per_class": 0}, ValueError, "per_class must be >= 1"),
    ])
    def test_bad_arguments(self, digits, classes, options, error, match):
        with pytest.raises(error, match=match):
            ClassSubset(InMemoryImageDataset(*digits), classes, **options)

    def test_a_dataset_without_labels_is_refused_clearly(self):
        with pytest.raises(TypeError, match="labels, targets or samples"):
            ClassSubset(TensorDataset(torch.zeros(3, 1, 2, 2), torch.tensor([0, 1, 0])), [0])

    def test_index_out_of_range(self, digits):
        subset = ClassSubset(InMemoryImageDataset(*digits), [0])
        with pytest.raises(IndexError, match="out of range"):
            subset[len(subset)]


def test_doctests_pass():
    results = doctest.testmod(convolved.datasets)
    assert results.attempted > 0 and results.failed == 0
