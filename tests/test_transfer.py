"""convolved.transfer: frozen layers, reused features, the few-shot comparison of notebook 07 and
the resemblance of learned kernels to the classic ones."""

from __future__ import annotations

import copy
import doctest

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import DataLoader

import convolved.transfer
from convolved import data, training
from convolved.datasets import ClassSubset, InMemoryImageDataset
from convolved.kernels import KERNELS
from convolved.transfer import (
    CLASSIC,
    Frozen,
    experiment,
    few_shot_comparison,
    freeze,
    kernel_figure,
    kernel_resemblance,
    loader_accuracy,
    random_kernel_resemblance,
    reuse_features,
)


def make_cnn(n_classes=10):
    """Notebook 07's network (section 6), for the 8×8 digits."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, n_classes),
    )


@pytest.fixture(scope="module")
def split():
    """Notebook 07's split with its default seed: 1,400 training digits, 397 held out."""
    images, labels = data.digits()
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    train, test = order[:1400], order[1400:]
    return (InMemoryImageDataset(images[train], labels[train]),
            InMemoryImageDataset(images[test], labels[test]))


class TestFrozen:
    def test_no_gradients_and_evaluation_mode_for_good(self):
        layers = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
        model = nn.Sequential(freeze(layers), nn.Flatten(), nn.LazyLinear(2))
        assert all(not p.requires_grad for p in layers.parameters())
        for mode in (True, False, True):
            model.train(mode)
            assert model.training == mode and not layers.training and not layers[1].training

    def test_training_leaves_weights_and_running_averages_alone(self):
        torch.manual_seed(0)
        layers = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten())
        with torch.no_grad():  # running averages that differ from the new data's statistics
            layers[1].running_mean.fill_(0.3)
        before = copy.deepcopy(layers.state_dict())
        model = nn.Sequential(Frozen(layers), nn.Linear(4 * 8 * 8, 3))
        x, y = torch.rand(32, 1, 8, 8), torch.arange(32) % 3
        training.fit(model, x, y, epochs=3, batch_size=8, progress=False)
        assert all(torch.equal(value, layers.state_dict()[name]) for name, value in before.items())

    def test_without_eval_the_running_averages_would_drift(self):
        """What Frozen prevents: requires_grad=False alone does not stop BatchNorm's updates."""
        layers = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Flatten())
        for parameter in layers.parameters():
            parameter.requires_grad_(False)
        before = layers[1].running_mean.clone()
        layers.train()
        layers(torch.rand(8, 1, 8, 8) + 1)
        assert not torch.equal(before, layers[1].running_mean)

    def test_refuses_what_is_not_a_module(self):
        with pytest.raises(TypeError, match="layers must be a torch.nn.Module"):
            Frozen(lambda x: x)


class TestReuseFeatures:
    def test_a_frozen_copy_and_a_new_last_layer(self):
        torch.manual_seed(0)
        pretrained = make_cnn(5)
        network = reuse_features(pretrained, 4)
        assert isinstance(network[0], Frozen) and network[1].out_features == 4
        assert training.count_parameters(network) == 128 * 4 + 4
        first = network[0].layers[0].weight
        assert torch.equal(first, pretrained[0].weight) and first is not pretrained[0].weight
        assert pretrained[0].weight.requires_grad  # the pretrained network itself stays trainable

    def test_same_scores_before_the_new_layer(self):
        torch.manual_seed(0)
        pretrained = make_cnn(5).eval()
        network = reuse_features(pretrained, 3)
        x = torch.rand(4, 1, 8, 8)
        with torch.no_grad():
            assert torch.allclose(network[0](x), pretrained[:-1](x))

    @pytest.mark.parametrize(("pretrained", "n_classes", "error", "match"), [
        (nn.Linear(2, 2), 3, TypeError, "nn.Sequential that ends with an nn.Linear"),
        (nn.Sequential(nn.Conv2d(1, 2, 3)), 3, TypeError, "ends with an nn.Linear"),
        (nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), 1, ValueError, "n_classes must be >= 2"),
    ])
    def test_bad_arguments(self, pretrained, n_classes, error, match):
        with pytest.raises(error, match=match):
            reuse_features(pretrained, n_classes)


def test_loader_accuracy_agrees_with_training_accuracy(split):
    _, test_set = split
    torch.manual_seed(0)
    model = make_cnn()
    loader = DataLoader(test_set, batch_size=50, shuffle=False)
    assert loader_accuracy(model, loader) == training.accuracy(model, test_set.images, test_set.labels)
    with pytest.raises(ValueError, match="no items"):
        loader_accuracy(model, [])


class TestKernelResemblance:
    def test_each_classic_kernel_is_its_own_best_match_up_to_scale_and_sign(self):
        for name in CLASSIC:
            kernel = np.asarray(KERNELS[name], dtype=np.float64)
            for factor in (1.0, -2.5):
                (best, score), = kernel_resemblance([kernel * factor])
                assert score == pytest.approx(1.0)
                if name != "box blur":  # box blur and gaussian blur are both all-positive
                    assert best == name

    def test_against_a_direct_computation(self):
        rng = np.random.default_rng(1)
        kernels = rng.normal(size=(5, 1, 3, 3))
        matches = kernel_resemblance(torch.tensor(kernels))
        for kernel, (best, score) in zip(kernels[:, 0], matches, strict=True):
            scores = {name: abs(np.dot(kernel.ravel(), np.ravel(KERNELS[name])))
                      / np.linalg.norm(kernel) / np.linalg.norm(KERNELS[name]) for name in CLASSIC}
            assert best == max(scores, key=scores.get) and score == pytest.approx(scores[best], abs=1e-6)

    def test_a_zero_kernel_resembles_nothing(self):
        assert kernel_resemblance(np.zeros((1, 3, 3)))[0][1] == 0.0

    def test_names_choose_the_classic_kernels(self):
        assert kernel_resemblance([KERNELS["sharpen"]], names=["vertical edges"])[0][0] == "vertical edges"
        with pytest.raises(ValueError, match="names must be some of"):
            kernel_resemblance([KERNELS["sharpen"]], names=["sobel"])

    @pytest.mark.parametrize("shape", [(3, 3), (2, 5, 5), (2, 3, 3, 3)])
    def test_bad_shapes(self, shape):
        with pytest.raises(ValueError, match="kernels must have shape"):
            kernel_resemblance(np.zeros(shape))

    def test_random_kernels_set_the_chance_level(self):
        assert random_kernel_resemblance(seed=0) == random_kernel_resemblance(seed=0)
        assert 0.45 < random_kernel_resemblance(n=3000, seed=1) < 0.58


def test_kernel_figure_draws_classic_and_learned_kernels():
    weight = torch.randn(16, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    fig = kernel_figure(weight)
    assert isinstance(fig, Figure)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == len(CLASSIC) + 16
    assert visible[len(CLASSIC)].get_title().split("\n")[0] in {name.split()[0] for name in CLASSIC}


@pytest.fixture(scope="module")
def notebook_run(split):
    """Notebook 07's section 7 with its default parameters."""
    train_set, test_set = split
    return experiment(make_cnn, train_set, test_set, [0, 1, 2, 3, 4], [5, 6, 7, 8, 9], shots=(1, 3, 10),
                      draws=3, pretrain_epochs=2, epochs=20, seed=0)


class TestExperiment:
    def test_the_numbers_notebook_07_reports(self, notebook_run):
        means = {row["shots"]: (np.mean(row["transfer"]), np.mean(row["scratch"]))
                 for row in notebook_run.rows}
        assert notebook_run.source_accuracy == pytest.approx(0.921, abs=5e-4)
        assert means[1] == pytest.approx((0.734, 0.647), abs=5e-4)
        assert means[3] == pytest.approx((0.849, 0.810), abs=5e-4)
        assert means[10] == pytest.approx((0.913, 0.952), abs=5e-4)
        assert notebook_run.rows[0]["transfer_parameters"] == 645
        assert notebook_run.rows[0]["scratch_parameters"] == 5541

    def test_the_kernel_numbers_notebook_07_reports(self, notebook_run):
        def mean(kernels):
            return np.mean([score for _, score in kernel_resemblance(kernels)])

        learned = notebook_run.pretrained[0].weight.detach().numpy()
        assert round(mean(learned), 2) == 0.53 and round(mean(notebook_run.start_kernels), 2) == 0.57
        assert round(random_kernel_resemblance(), 2) == 0.52
        # "no more like the classic kernels than random ones": within 0.05 of chance
        assert abs(mean(learned) - random_kernel_resemblance()) < 0.05

    def test_the_same_picture_with_another_seed(self, split):
        """Transfer ahead with one image per class, behind with ten: not a property of one seed."""
        train_set, test_set = split
        run = experiment(make_cnn, train_set, test_set, [0, 1, 2, 3, 4], [5, 6, 7, 8, 9], shots=(1, 10),
                         draws=3, pretrain_epochs=2, epochs=20, seed=1)
        one, ten = run.rows
        assert np.mean(one["transfer"]) > np.mean(one["scratch"])
        assert np.mean(ten["transfer"]) < np.mean(ten["scratch"])

    def test_thread_count_does_not_change_the_numbers(self, split):
        train_set, test_set = split
        results = []
        for threads in (1, 2):
            previous = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                run = experiment(make_cnn, train_set, test_set, [0, 1], [2, 3], shots=(2,), draws=1,
                                 pretrain_epochs=1, epochs=3, seed=0)
            finally:
                torch.set_num_threads(previous)
            results.append((run.source_accuracy, run.rows))
        assert results[0] == results[1]

    def test_source_and_target_classes_must_differ(self, split):
        with pytest.raises(ValueError, match=r"must not share classes, both have \[4\]"):
            experiment(make_cnn, *split, [3, 4], [4, 5])

    def test_few_shot_comparison_uses_the_same_images_for_both(self, split):
        train_set, test_set = split
        torch.manual_seed(0)
        pretrained = make_cnn(2)
        rows = few_shot_comparison(pretrained, make_cnn, train_set, test_set, [5, 6], shots=[2], draws=2,
                                   epochs=1, seed=4)
        assert rows[0]["images"] == 4 and len(rows[0]["transfer"]) == len(rows[0]["scratch"]) == 2
        assert ClassSubset(train_set, [5, 6], per_class=2, seed=4).indices != \
            ClassSubset(train_set, [5, 6], per_class=2, seed=5).indices  # two draws, two image sets


def test_doctests_pass():
    results = doctest.testmod(convolved.transfer)
    assert results.attempted > 0 and results.failed == 0
