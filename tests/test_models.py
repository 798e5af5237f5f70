"""The digit models, the layer table, and the receptive field measured by back-propagation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from convolved import models, shapes, training


class TestBuilders:
    @pytest.mark.parametrize("downsample", ["pool", "stride", "all-conv"])
    @pytest.mark.parametrize("size", [8, 16, (12, 20)])
    def test_any_image_size_gives_class_scores(self, downsample, size):
        model = models.digits_cnn(downsample, channels=(4, 6), image_size=size)
        rows, cols = (size, size) if isinstance(size, int) else size
        assert model(torch.zeros(3, 1, rows, cols)).shape == (3, 10)

    def test_parameter_counts(self):
        # conv 1→8: 80, conv 8→16: 1,168, dense 64→10: 650; all-conv adds two 3×3 convs
        assert training.count_parameters(models.digits_cnn("pool")) == 1898
        assert training.count_parameters(models.digits_cnn("stride")) == 1898
        assert training.count_parameters(models.digits_cnn("all-conv")) == 1898 + 584 + 2320
        assert training.count_parameters(models.dense_net((64, 64))) == 4160 + 4160 + 650

    @pytest.mark.parametrize(("downsample", "field"), [("pool", 10), ("stride", 7), ("all-conv", 13)])
    def test_the_cnns_shrink_the_maps_alike_with_different_fields(self, downsample, field):
        rows = models.layer_table(models.digits_cnn(downsample), (1, 8, 8))
        assert [row.pixels for row in rows if row.pixels][-1] == 4 and rows[-3].shape == (16, 2, 2)
        assert rows[-3].receptive_field == (field, field) and rows[-3].jump == (4, 4)

    def test_dense_net_shape(self):
        assert models.dense_net((5,), image_size=(4, 6), n_classes=3)(torch.zeros(2, 1, 4, 6)).shape == (2, 3)

    @pytest.mark.parametrize(
        ("call", "error", "match"),
        [
            (lambda: models.digits_cnn("avg"), ValueError, "downsample must be one of"),
            (lambda: models.digits_cnn(channels=8), ValueError, "channels must be a pair"),
            (lambda: models.digits_cnn(channels=(8, 0)), ValueError, r"channels\[1\] must be >= 1"),
            (lambda: models.digits_cnn(image_size=3), ValueError, "image_size must be >= 4"),
            (lambda: models.digits_cnn(n_classes=1.5), TypeError, "n_classes must be an int"),
            (lambda: models.dense_net(()), ValueError, "hidden must be a non-empty list"),
            (lambda: models.dense_net((8, -1)), ValueError, r"hidden\[1\] must be >= 1"),
        ],
    )
    def test_bad_input(self, call, error, match):
        with pytest.raises(error, match=match):
            call()


class TestLayerTable:
    def test_rows_of_the_pooling_cnn(self):
        rows = models.layer_table(models.digits_cnn("pool"), (1, 8, 8))
        assert [row.name for row in rows] == ["input", "Conv2d 3×3, 1→8", "MaxPool2d 2×2", "Conv2d 3×3, 8→16",
                                              "MaxPool2d 2×2", "Flatten", "Linear 64→10"]
        assert [row.shape for row in rows] == [(1, 8, 8), (8, 8, 8), (8, 4, 4), (16, 4, 4), (16, 2, 2),
                                               (64,), (10,)]
        assert [row.pixels for row in rows] == [64, 64, 16, 16, 4, None, None]
        assert [row.parameters for row in rows] == [0, 80, 0, 1168, 0, 0, 650]
        assert [row.receptive_field for row in rows] == [1, (3, 3), (4, 4), (8, 8), (10, 10), None, None]
        assert [row.jump for row in rows][:5] == [1, (1, 1), (2, 2), (2, 2), (4, 4)]

    def test_names_say_what_is_not_the_default(self):
        stack = nn.Sequential(nn.Conv2d(3, 4, (3, 5), stride=2, dilation=2), nn.MaxPool2d(3, stride=1),
                              nn.AvgPool2d(2))
        names = [row.name for row in models.layer_table(stack, (3, 40, 40))]
        assert names == ["input", "Conv2d 3×5, 3→4, stride 2, dilation 2", "MaxPool2d 3×3, stride 1",
                         "AvgPool2d 2×2"]

    def test_pointwise_layers_on_request(self):
        model = models.digits_cnn("pool")
        rows = models.layer_table(model, (1, 8, 8), include_pointwise=True)
        assert len(rows) == len(model) + 1 and rows[2].name == "ReLU"
        assert sum(row.parameters for row in rows) == training.count_parameters(model)

    def test_the_model_is_left_alone(self):
        model = models.digits_cnn("stride")
        before = [p.clone() for p in model.parameters()]
        models.layer_table(model, (1, 8, 8))
        assert all(p.device.type == "cpu" and torch.equal(p, q) for p, q in zip(model.parameters(), before,
                                                                                   strict=True))

    def test_format(self):
        text = models.format_layer_table(models.layer_table(models.digits_cnn("pool"), (1, 8, 8)))
        lines = text.splitlines()
        assert lines[0].split()[:2] == ["layer", "output"] and set(lines[1]) == {"─"}
        assert "MaxPool2d 2×2     (8, 4, 4)" in text and "1,168" in text
        assert lines[-1].startswith("Linear 64→10") and "whole input" in lines[-1]
        assert lines[2].startswith("input") and "whole input" not in lines[2]

    @pytest.mark.parametrize("shape", [(1, 8), (1, 8, 8, 8), "1x8x8"])
    def test_bad_shape(self, shape):
        with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\)"):
            models.layer_table(models.digits_cnn(), shape)


def random_stack(rng):
    """A random conv/pool stack (with padding, dilation, ceil_mode) and a safe input size."""
    layers, channels = [], 2
    for _ in range(int(rng.integers(1, 5))):
        kind = rng.choice(["conv", "max", "avg"])
        k, s = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        p = int(rng.integers(0, k // 2 + 1))
        if kind == "conv":
            d = int(rng.integers(1, 3))
            layers += [nn.Conv2d(channels, 3, k, stride=s, padding=p, dilation=d), nn.ReLU()]
            channels = 3
        elif kind == "max":
            layers.append(nn.MaxPool2d(k, stride=s, padding=p, dilation=int(rng.integers(1, 3)),
                                       ceil_mode=bool(rng.random() < 0.5)))
        else:
            layers.append(nn.AvgPool2d(k, stride=s, padding=p, ceil_mode=bool(rng.random() < 0.5)))
    return nn.Sequential(*layers), channels


class TestMeasuredReceptiveField:
    @pytest.mark.parametrize("seed", range(25))
    def test_the_gradient_reaches_exactly_the_receptive_field(self, seed):
        stack, _ = random_stack(np.random.default_rng(seed))
        field, jump = (value if isinstance(value, tuple) else (value, value)
                       for value in shapes.receptive_field(stack))
        size = 2 * field[0] + 4 * jump[0] + 8  # room on every side: nothing clipped by the border
        gradient = models.input_gradient(stack, (2, size, size))
        top, left, height, width = models.nonzero_box(gradient)
        assert (height, width) == field, stack
        assert top > 0 and left > 0 and top + height < size and left + width < size

    def test_the_picture_17_model_layer_by_layer(self):
        model = models.digits_cnn("pool")
        for i, expected in [(0, 3), (2, 4), (3, 8), (5, 10)]:
            box = models.nonzero_box(models.input_gradient(model[:i + 1], (1, 32, 32)))
            assert box[2:] == (expected, expected)

    def test_a_flat_output_sees_the_whole_input(self):
        gradient = models.input_gradient(models.digits_cnn("pool"), (1, 8, 8), unit=3)
        assert models.nonzero_box(gradient) == (0, 0, 8, 8)

    def test_open_paths_leave_the_model_alone_and_keep_shapes(self):
        stack = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1, ceil_mode=True))
        before = stack[0].weight.clone()
        opened = models.with_open_paths(stack)
        x = torch.rand(1, 1, 14, 14)
        assert opened(x).shape == stack(x).shape
        assert torch.equal(stack[0].weight, before) and isinstance(stack[1], nn.ReLU)
        assert isinstance(opened[1], nn.Identity) and float(opened[0].weight.detach().min()) == 1.0

    def test_without_open_paths_max_pooling_passes_one_winner_per_window(self):
        pool = nn.Sequential(nn.MaxPool2d(2))
        x = torch.arange(36.0).reshape(1, 6, 6)
        gradient = models.input_gradient(pool, input=x, open_paths=False, unit=(0, 1, 1))
        assert gradient.sum() == 1 and gradient[3, 3] == 1  # the bottom-right of window (1, 1) wins
        opened = models.input_gradient(pool, input=x, unit=(0, 1, 1))
        assert models.nonzero_box(opened) == (2, 2, 2, 2)

    def test_a_dilated_kernel_reads_a_sparse_grid(self):
        gradient = models.input_gradient(nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2)), (1, 9, 9))
        assert models.nonzero_box(gradient) == (2, 2, 5, 5)
        assert np.count_nonzero(gradient) == 9

    @pytest.mark.parametrize(
        ("kwargs", "error", "match"),
        [
            ({}, ValueError, "exactly one of input_shape"),
            ({"input_shape": (1, 8, 8), "input": torch.zeros(1, 8, 8)}, ValueError, "exactly one"),
            ({"input_shape": (8, 8)}, ValueError, r"input_shape must be \(C, H, W\)"),
            ({"input": torch.zeros(2, 1, 8, 8)}, ValueError, r"input must be \(C, H, W\)"),
            ({"input_shape": (1, 8, 8), "unit": (0, 9, 0)}, ValueError, "unit must index"),
            ({"input_shape": (1, 8, 8), "open_paths": 1}, TypeError, "open_paths must be True or False"),
        ],
    )
    def test_bad_input(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            models.input_gradient(nn.Sequential(nn.Conv2d(1, 1, 3)), **kwargs)

    def test_flat_unit_out_of_range(self):
        with pytest.raises(ValueError, match="unit must be below 10"):
            models.input_gradient(models.digits_cnn(), (1, 8, 8), unit=10)


def test_nonzero_box():
    array = np.zeros((5, 6))
    assert models.nonzero_box(array) == (0, 0, 0, 0)
    array[1, 2] = array[3, 4] = -0.5
    assert models.nonzero_box(array) == (1, 2, 3, 3)
    with pytest.raises(ValueError, match="gradient must be a 2-D array"):
        models.nonzero_box(np.zeros(3))


class TestGlobalPoolCNN:
    @pytest.mark.parametrize("size", [4, 8, 13, (9, 30), 64])
    def test_any_image_size_same_parameters(self, size):
        model = models.global_pool_cnn((4, 6))
        rows, cols = (size, size) if isinstance(size, int) else size
        assert model(torch.zeros(2, 1, rows, cols)).shape == (2, 10)
        assert training.count_parameters(model) == 40 + 222 + 70  # conv 1→4, conv 4→6, dense 6→10

    def test_the_global_pool_is_the_mean_of_each_channel(self):
        model = models.global_pool_cnn()
        x = torch.rand(3, 1, 12, 12, generator=torch.Generator().manual_seed(0))
        features = model[:5](x)
        assert torch.allclose(model[5](features), features.mean(dim=(2, 3), keepdim=True))
        assert torch.allclose(model(x), model[-1](features.mean(dim=(2, 3))))

    def test_bad_input(self):
        with pytest.raises(ValueError, match="channels must be a pair"):
            models.global_pool_cnn(8)


class TestMatchingWidth:
    @pytest.mark.parametrize("downsample", ["pool", "stride", "all-conv"])
    @pytest.mark.parametrize("channels", [(4, 8), (8, 16), (6, 12), (16, 32)])
    def test_the_dense_net_is_the_closest_one_hidden_layer_net(self, downsample, channels):
        target = training.count_parameters(models.digits_cnn(downsample, channels))
        width = models.matching_width(target)
        gaps = {w: abs(training.count_parameters(models.dense_net([w])) - target) for w in range(1, 1000)}
        assert gaps[width] == min(gaps.values())

    def test_image_size_and_classes(self):
        width = models.matching_width(5000, image_size=(10, 12), n_classes=3)
        assert abs(training.count_parameters(models.dense_net([width], image_size=(10, 12), n_classes=3))
                   - 5000) <= (120 + 1 + 3) / 2

    def test_tiny_budgets_give_one_unit(self):
        assert models.matching_width(1) == 1

    @pytest.mark.parametrize(("kwargs", "match"), [({"n_parameters": 0}, "n_parameters must be >= 1"),
                                                   ({"n_parameters": 1.5}, "n_parameters must be an int"),
                                                   ({"n_parameters": 10, "n_classes": 1}, "n_classes")])
    def test_bad_input(self, kwargs, match):
        with pytest.raises((ValueError, TypeError), match=match):
            models.matching_width(**kwargs)


def torch_multiply_adds(model, input_shape) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, *input_shape))
    return counter.get_total_flops() // 2  # torch counts a multiply and an add


class TestMultiplyAdds:
    @pytest.mark.parametrize("downsample", ["pool", "stride", "all-conv"])
    @pytest.mark.parametrize("size", [8, 16, (12, 20)])
    def test_the_digit_networks_agree_with_torch(self, downsample, size):
        model = models.digits_cnn(downsample, channels=(4, 6), image_size=size)
        shape = (1, *((size, size) if isinstance(size, int) else size))
        assert models.multiply_adds(model, shape) == torch_multiply_adds(model, shape)

    def test_by_hand(self):
        # pool: 8·(8·8)·(1·9) + 16·(4·4)·(8·9) + 64·10; stride: a quarter of each convolution
        assert models.multiply_adds(models.digits_cnn("pool"), (1, 8, 8)) == 4608 + 18432 + 640
        assert models.multiply_adds(models.digits_cnn("stride"), (1, 8, 8)) == 1152 + 4608 + 640
        assert models.multiply_adds(models.dense_net([25]), (1, 8, 8)) == 64 * 25 + 25 * 10
        assert models.multiply_adds(models.global_pool_cnn(), (1, 8, 8)) == 4608 + 18432 + 160

    @pytest.mark.parametrize("seed", range(15))
    def test_random_stacks_agree_with_torch(self, seed):
        rng = np.random.default_rng(seed)
        stack, channels = random_stack(rng)
        groups = int(rng.choice([1, 3]))
        groups = groups if channels % 3 == 0 else 1
        model = nn.Sequential(stack, nn.Conv2d(channels, 6, 3, padding=1, groups=groups), nn.Flatten())
        field, jump = (v if isinstance(v, int) else v[0] for v in shapes.receptive_field(stack))
        size = 2 * field + 4 * jump + 8  # every layer has room: no output smaller than its kernel
        model.append(nn.Linear(model(torch.zeros(1, 2, size, size)).shape[1], 4))
        assert models.multiply_adds(model, (2, size, size)) == torch_multiply_adds(model, (2, size, size))

    def test_the_model_is_left_alone(self):
        model = models.digits_cnn("pool")
        before = [p.clone() for p in model.parameters()]
        models.multiply_adds(model, (1, 8, 8))
        assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))

    @pytest.mark.parametrize(
        ("model", "shape", "error", "match"),
        [
            (nn.Conv2d(1, 2, 3), (1, 8, 8), TypeError, "model must be an nn.Sequential"),
            (nn.Sequential(nn.Conv2d(1, 2, 3)), (8, 8), ValueError, r"input_shape must be \(C, H, W\)"),
            (nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)), (1, 8, 8), ValueError,
             "Conv2d and Linear layers only, not BatchNorm2d"),
        ],
    )
    def test_bad_input(self, model, shape, error, match):
        with pytest.raises(error, match=match):
            models.multiply_adds(model, shape)
