"""The custom Datasets: items, lazy files, transforms on every draw, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets as tv_datasets
from torchvision.transforms import v2

from convolved import data
from convolved.datasets import FolderImageDataset, InMemoryImageDataset, write_image_folder


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
