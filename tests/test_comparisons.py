"""convolved.comparisons: the change a shift makes, accuracy on shifted digits, seeded comparisons."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from convolved import comparisons, data, equivariance, kernels, models, training


class TestEquivarianceAndPooling:
    """What notebook 05 shows on a photo: convolution is equivariant, pooling damps small moves."""

    @pytest.mark.parametrize(("dy", "dx"), [(0, 1), (0, 2), (1, 0), (-2, 1), (3, -2)])
    @pytest.mark.parametrize("padding", [0, 1])
    def test_a_convolution_of_the_moved_image_is_the_moved_feature_map(self, dy, dx, padding):
        conv = nn.Conv2d(3, 4, 3, padding=padding)
        x = torch.rand(2, 3, 20, 20, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            moved_map, map_moved = conv(equivariance.shift(x, dy, dx)), equivariance.shift(conv(x), dy, dx)
        inner = (..., slice(abs(dy) + 2, -abs(dy) - 2), slice(abs(dx) + 2, -abs(dx) - 2))
        assert torch.allclose(moved_map[inner], map_moved[inner], atol=1e-6)

    @pytest.mark.parametrize("name", ["camera", "coffee", "astronaut"])
    @pytest.mark.parametrize("size", [96, 128])
    def test_each_max_pool_makes_a_one_pixel_move_matter_less(self, name, size):
        photo = torch.from_numpy(data.load_image(name, size, gray=True))[None, None]
        edges = torch.from_numpy(kernels.get_kernel("vertical edges"))[None, None]
        before = F.relu(F.conv2d(photo, edges))[..., 4:-4, 4:-4]
        after = F.relu(F.conv2d(equivariance.shift(photo, 0, 1), edges))[..., 4:-4, 4:-4]
        outputs = {"map": lambda m: m, "stride": lambda m: m[..., ::2, ::2],
                   "max": lambda m: F.max_pool2d(m, 2),
                   "max twice": lambda m: F.max_pool2d(F.max_pool2d(m, 2), 2)}
        change = {key: comparisons.relative_change(f(before), f(after)) for key, f in outputs.items()}
        assert change["max twice"] < change["max"] < change["map"]
        assert change["stride"] > change["max"]


class TestRelativeChange:
    def test_values(self):
        a = np.array([[3.0, 0.0], [0.0, 4.0]])
        assert comparisons.relative_change(a, a) == 0.0
        assert comparisons.relative_change(a, -a) == pytest.approx(2.0)
        assert comparisons.relative_change(a, np.zeros_like(a)) == pytest.approx(1.0)
        assert comparisons.relative_change(torch.tensor(a), torch.tensor(a + 1)) == pytest.approx(2 / 5)

    @pytest.mark.parametrize(("before", "after", "match"), [(np.ones(3), np.ones(4), "same shape"),
                                                            (np.zeros(3), np.ones(3), "all zeros")])
    def test_bad_input(self, before, after, match):
        with pytest.raises(ValueError, match=match):
            comparisons.relative_change(before, after)


@pytest.fixture(scope="module")
def digits_split():
    images, labels = data.digits()
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    return images[order[400:]], labels[order[400:]], images[order[:200]], labels[order[:200]]


class TestShiftedAccuracy:
    def test_distance_zero_is_the_accuracy(self, digits_split):
        train_x, train_y, test_x, test_y = digits_split
        model = models.dense_net([16])
        expected = training.accuracy(model, test_x, test_y)
        assert comparisons.shifted_accuracy(model, test_x, test_y, 0) == expected

    def test_the_mean_of_the_four_moves(self, digits_split):
        _, _, test_x, test_y = digits_split
        torch.manual_seed(0)
        model = models.dense_net([16])
        moves = [training.accuracy(model, equivariance.shift(test_x, dy, dx), test_y)
                 for dy, dx in [(2, 0), (-2, 0), (0, 2), (0, -2)]]
        assert comparisons.shifted_accuracy(model, test_x, test_y, 2) == pytest.approx(np.mean(moves))

    def test_a_network_blind_to_position_does_not_care(self):
        class Bright(nn.Module):  # class 1 when the image holds more than 2 units of ink, wherever it is
            def forward(self, x):
                ink = x.sum(dim=(1, 2, 3))
                return torch.stack([2 - ink, ink - 2], dim=1)

        x = torch.zeros(20, 1, 8, 8)
        x[:10, :, 3:5, 3:5] = 1.0  # 4 units of ink in the middle: survives a move of 1 or 2 pixels
        labels = torch.tensor([1] * 10 + [0] * 10)
        assert [comparisons.shifted_accuracy(Bright(), x, labels, d) for d in (0, 1, 2)] == [1.0, 1.0, 1.0]

    def test_bad_distance(self):
        with pytest.raises(ValueError, match="distance must be >= 0"):
            comparisons.shifted_accuracy(nn.Identity(), torch.zeros(1, 1, 8, 8), torch.zeros(1), -1)


class TestTrainRunsAndCompare:
    def test_the_same_seeds_give_the_same_networks(self, digits_split):
        train_x, train_y, _, _ = digits_split
        first, second = (comparisons.train_runs(partial(models.dense_net, [8]), train_x, train_y, n_runs=2,
                                                seed=3, epochs=1, progress=False) for _ in range(2))
        for a, b in zip(first, second, strict=True):
            pairs = zip(a.model.parameters(), b.model.parameters(), strict=True)
            assert all(torch.equal(p, q) for p, q in pairs)
        assert not torch.equal(first[0].model[1].weight, first[1].model[1].weight)  # seeds 3 and 4 differ
        assert all(run.seconds > 0 for run in first)

    def test_run_r_is_fit_with_seed_plus_r(self, digits_split):
        train_x, train_y, _, _ = digits_split
        runs = comparisons.train_runs(partial(models.dense_net, [8]), train_x, train_y, n_runs=2, seed=5,
                                      epochs=2, batch_size=64, lr=0.01, progress=False)
        torch.manual_seed(6)
        by_hand = models.dense_net([8])
        training.fit(by_hand, train_x, train_y, epochs=2, batch_size=64, lr=0.01, seed=6, progress=False)
        pairs = zip(runs[1].model.parameters(), by_hand.parameters(), strict=True)
        assert all(torch.equal(p, q) for p, q in pairs)

    def test_the_same_at_any_thread_count(self, digits_split):
        train_x, train_y, test_x, test_y = digits_split
        results = []
        for threads in (1, 2):
            before = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                runs = comparisons.train_runs(partial(models.digits_cnn, "pool", (4, 8)), train_x, train_y,
                                              n_runs=1, epochs=2, progress=False)
                results.append(comparisons.compare({"cnn": runs}, test_x, test_y).rows)
            finally:
                torch.set_num_threads(before)
        assert results[0] == results[1]

    def test_compare_rows_and_table(self, digits_split):
        train_x, train_y, test_x, test_y = digits_split
        runs = {"CNN pool": comparisons.train_runs(partial(models.digits_cnn, "pool"), train_x, train_y,
                                                   n_runs=2, epochs=2, progress=False),
                "dense [25]": [models.dense_net([25])]}  # plain models count as runs too
        table = comparisons.compare(runs, test_x, test_y, distances=(0, 1))
        assert table.columns == ("centred", "shifted 1 px")
        cnn, dense = table.rows
        assert (cnn.parameters, cnn.multiply_adds) == (1898, 23680)
        assert (dense.parameters, dense.multiply_adds) == (1885, 1850)
        assert len(cnn.accuracies) == 2 and len(cnn.accuracies[0]) == 2 and len(dense.accuracies[1]) == 1
        assert cnn.accuracies[0][1] == training.accuracy(runs["CNN pool"][1].model, test_x, test_y)
        assert table.mean("CNN pool", "centred") == pytest.approx(np.mean(cnn.accuracies[0]))
        assert table.spread("centred") == pytest.approx(max(cnn.accuracies[0]) - min(cnn.accuracies[0]))
        lines = str(table).splitlines()
        assert lines[0].split() == ["network", "parameters", "multiply-adds", "centred", "shifted", "1", "px"]
        assert lines[1].startswith("CNN pool") and "1,898" in lines[1] and "23,680" in lines[1]
        assert lines[1].endswith(f"{100 * table.mean('CNN pool', 'shifted 1 px'):.1f}%")
        assert lines[-1].startswith("(mean of several runs each; runs of one network differ by up to")
        assert repr(table) == str(table)

    def test_one_run_says_there_is_no_spread(self):
        table = comparisons.compare({"dense": [models.dense_net([4])]}, torch.zeros(3, 1, 8, 8),
                                    torch.zeros(3, dtype=torch.int64), distances=(0,))
        last = str(table).splitlines()[-1]
        assert last == "(one run each: no spread between runs to compare the gaps with)"

    @pytest.mark.parametrize(
        ("call", "error", "match"),
        [
            (lambda x, y: comparisons.compare({}, x, y), ValueError, "at least one network"),
            (lambda x, y: comparisons.compare({"a": []}, x, y), ValueError, "no trained runs"),
            (lambda x, y: comparisons.compare({"a": [models.dense_net([4])]}, x, y, distances=()), ValueError,
             "at least one shift"),
            (lambda x, y: comparisons.train_runs(models.dense_net([4]), x, y), TypeError,
             "build must be a function"),
            (lambda x, y: comparisons.train_runs(models.dense_net, x, y, n_runs=0), ValueError,
             "n_runs must be >= 1"),
        ],
    )
    def test_bad_input(self, call, error, match):
        with pytest.raises(error, match=match):
            call(torch.zeros(3, 1, 8, 8), torch.zeros(3, dtype=torch.int64))

    def test_mean_names_what_exists(self):
        table = comparisons.compare({"dense": [models.dense_net([4])]}, torch.zeros(3, 1, 8, 8),
                                    torch.zeros(3, dtype=torch.int64), distances=(0,))
        with pytest.raises(ValueError, match="name must be one of"):
            table.mean("cnn", "centred")
