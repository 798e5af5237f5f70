"""Why convolution works for images (notebook 02, section 8), checked against torch: translation
equivariance (convolved.equivariance), the 1×1 convolution as a matrix product over channels, and
the multiply-adds of a layer ("halve the size, double the channels" keeps them constant)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import random_configs
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from convolved import equivariance, ops, shapes
from convolved.equivariance import equivariance_gap, interior, shift


def test_doctests_pass():
    results = doctest.testmod(equivariance)
    assert results.attempted >= 5 and results.failed == 0


# ----------------------------------------------------------------------------------------------
# shift and interior


class TestShift:
    def test_moves_down_right_and_fills_with_zeros(self):
        x = np.arange(1.0, 13.0).reshape(3, 4)
        moved = shift(x, 1, 2)
        assert np.array_equal(moved[1:, 2:], x[:-1, :-2])
        assert not moved[:1].any() and not moved[:, :2].any()

    def test_negative_offsets_move_up_left(self):
        x = np.arange(1.0, 13.0).reshape(3, 4)
        assert np.array_equal(shift(x, -1, -3)[:2, :1], x[1:, 3:])
        assert np.array_equal(shift(shift(x, -1, -3), 1, 3)[1:, 3:], x[1:, 3:])

    def test_keeps_the_type_dtype_and_leading_axes(self):
        tensor = torch.rand(2, 3, 5, 6, dtype=torch.float64)
        moved = shift(tensor, 2, -1, fill=7.0)
        assert isinstance(moved, torch.Tensor) and moved.dtype == torch.float64
        assert moved.shape == tensor.shape
        assert torch.equal(moved[..., 2:, :-1], tensor[..., :-2, 1:])
        assert (moved[..., :2, :] == 7).all() and (moved[..., :, -1] == 7).all()
        assert isinstance(shift(np.zeros((4, 4), np.float32), 1, 1), np.ndarray)

    def test_zero_shift_is_a_copy(self):
        x = np.random.default_rng(0).random((4, 5))
        moved = shift(x, 0, 0)
        assert np.array_equal(moved, x) and moved is not x

    def test_shifting_everything_out_leaves_only_fill(self):
        assert not shift(np.ones((3, 3)), 3, 0).any() and not shift(np.ones((3, 3)), 0, -5).any()

    def test_is_not_a_roll(self):
        x = torch.arange(16.0).reshape(4, 4)
        assert not torch.equal(shift(x, 1, 1), torch.roll(x, (1, 1), dims=(0, 1)))

    @pytest.mark.parametrize(
        ("args", "error", "fragment"),
        [((np.ones((3, 3)), 1.5, 0), TypeError, "dy"), ((np.ones((3, 3)), 0, True), TypeError, "dx"),
         ((np.ones(3), 1, 1), ValueError, "(H, W)")],
    )
    def test_bad_arguments_name_the_argument(self, args, error, fragment):
        with pytest.raises(error, match=fragment.replace("(", r"\(").replace(")", r"\)")):
            shift(*args)


class TestInterior:
    def test_selects_the_region_a_shift_and_margin_leave_alone(self):
        assert interior((8, 10), 2, 3) == (..., slice(2, 8), slice(3, 10))
        assert interior((1, 4, 8, 10), -2, -3, margin=1) == (..., slice(1, 5), slice(1, 6))

    def test_an_impossible_interior_is_empty(self):
        mask = np.zeros((4, 4), bool)
        mask[interior((4, 4), 3, 0, margin=2)] = True
        assert not mask.any()

    def test_bad_margin_is_refused(self):
        with pytest.raises(ValueError, match="margin must be >= 0"):
            interior((4, 4), 0, 0, margin=-1)


# ----------------------------------------------------------------------------------------------
# Translation equivariance of a convolution, against torch


@st.composite
def equivariance_cases(draw):
    k = draw(st.sampled_from([1, 3, 5]))
    padding = draw(st.sampled_from([0, k // 2]))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    height, width = draw(st.integers(k + 6, 16)), draw(st.integers(k + 6, 16))
    dy, dx = draw(st.integers(-4, 4)), draw(st.integers(-4, 4))
    return k, padding, c_in, c_out, (height, width), (dy, dx), draw(st.integers(0, 2**16))


@random_configs(40)
@given(equivariance_cases())
def test_a_convolution_is_translation_equivariant_away_from_the_border(case):
    k, padding, c_in, c_out, (height, width), (dy, dx), seed = case
    torch.manual_seed(seed)
    layer = nn.Conv2d(c_in, c_out, k, padding=padding, dtype=torch.float64)
    x = torch.rand(1, c_in, height, width, dtype=torch.float64)
    with torch.no_grad():
        of_shifted, shifted = layer(shift(x, dy, dx)), shift(layer(x), dy, dx)
        inside = interior(shifted.shape, dy, dx, margin=padding)
        assert torch.allclose(of_shifted[inside], shifted[inside], atol=1e-12)
        inside_gap, _ = equivariance_gap(layer, x, dy, dx, margin=padding)
    assert inside_gap < 1e-12
    # Our from-scratch convolution agrees, so the property is the arithmetic's, not torch's.
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    ours = ops.conv2d(shift(x.numpy(), dy, dx), weight, bias, padding=padding)
    shifted_ours = shift(ops.conv2d(x.numpy(), weight, bias, padding=padding), dy, dx)
    assert np.allclose(ours[inside], shifted_ours[inside])


def test_the_border_does_differ_and_the_margin_is_tight():
    torch.manual_seed(0)
    layer = nn.Conv2d(1, 1, 3, padding=1, dtype=torch.float64)
    x = torch.rand(1, 1, 12, 12, dtype=torch.float64) + 0.5
    with torch.no_grad():
        inside, border = equivariance_gap(layer, x, 2, 3, margin=1)
        assert inside < 1e-12 < border
        assert equivariance_gap(layer, x, 2, 3, margin=0)[0] > 1e-6  # margin 0 reaches the border


def test_circular_padding_with_a_circular_shift_is_equivariant_everywhere():
    torch.manual_seed(1)
    layer = nn.Conv2d(3, 4, 5, padding=2, padding_mode="circular", dtype=torch.float64)
    x = torch.rand(1, 3, 11, 13, dtype=torch.float64)
    for dy, dx in [(1, 0), (-3, 5), (7, -2)]:
        with torch.no_grad():
            rolled = layer(torch.roll(x, (dy, dx), dims=(2, 3)))
            assert torch.allclose(rolled, torch.roll(layer(x), (dy, dx), dims=(2, 3)), atol=1e-12)


def test_stride_2_is_equivariant_to_even_shifts_only():
    torch.manual_seed(2)
    layer = nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=torch.float64)
    x = torch.rand(1, 2, 20, 20, dtype=torch.float64)
    with torch.no_grad():
        coarse = layer(x)
        by_2, by_1 = layer(shift(x, 2, 2)), layer(shift(x, 1, 1))
    inside = interior(coarse.shape, 1, 1, margin=1)
    assert torch.allclose(by_2[inside], shift(coarse, 1, 1)[inside], atol=1e-12)
    for s in (0, 1):
        inside = interior(coarse.shape, s, s, margin=1)
        assert (by_1 - shift(coarse, s, s))[inside].abs().max() > 1e-3


def test_equivariance_gap_takes_numpy_functions():
    kernel = np.random.default_rng(3).random((1, 1, 3, 3))
    inside, border = equivariance_gap(lambda im: ops.conv2d(im, kernel, padding=1),
                                      np.random.default_rng(4).random((1, 1, 9, 9)), -2, 1, margin=1)
    assert inside < 1e-12 < border


# ----------------------------------------------------------------------------------------------
# 1×1 convolution = a matrix product over the channels


@random_configs(30)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 7), st.integers(1, 7), st.integers(0, 2**16))
def test_a_1x1_convolution_is_a_matrix_product_over_channels(c_in, c_out, height, width, seed):
    torch.manual_seed(seed)
    layer = nn.Conv2d(c_in, c_out, kernel_size=1, dtype=torch.float64)
    x = torch.randn(2, c_in, height, width, dtype=torch.float64)
    W, b = layer.weight.detach()[:, :, 0, 0], layer.bias.detach()
    with torch.no_grad():
        expected = layer(x)
    by_einsum = torch.einsum("oi,nihw->nohw", W, x) + b[:, None, None]
    by_matmul = (W @ x.reshape(2, c_in, -1) + b[:, None]).reshape(expected.shape)
    by_linear = F.linear(x.permute(0, 2, 3, 1), W, b).permute(0, 3, 1, 2)
    by_ops = ops.conv2d(x.numpy(), layer.weight.detach().numpy(), b.numpy())
    for other in (by_einsum, by_matmul, by_linear, torch.from_numpy(by_ops)):
        assert torch.allclose(expected, other, atol=1e-12)


def test_rgb_to_gray_is_a_1x1_convolution():
    from skimage.color import rgb2gray

    from convolved import data

    photo = data.load_image("coffee", 40)
    layer = nn.Conv2d(3, 1, 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([0.2125, 0.7154, 0.0721]).reshape(1, 3, 1, 1))
        gray = layer(data.to_batch(photo))[0, 0].numpy()
    assert np.allclose(gray, rgb2gray(photo), atol=1e-5)


# ----------------------------------------------------------------------------------------------
# Multiply-adds: the formula, counted by torch


def counted_multiply_adds(layer, x) -> int:
    with FlopCounterMode(display=False) as counter:
        layer(x)
    return counter.get_total_flops() // 2


@random_configs(15)  # tests/test_shapes.py checks the formula more widely
@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2),
       st.integers(6, 20))
def test_multiply_adds_are_what_torch_counts(c_in, c_out, k, stride, padding, size):
    layer = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, device="meta")
    x = torch.empty(1, c_in, size, size, device="meta")
    out = shapes.conv_output_size(size, k, stride, padding)
    assert shapes.conv_multiply_adds(c_in, c_out, k, (out, out)) == counted_multiply_adds(layer, x)


def ones_count(c_in, c_out, k, size, stride=1, padding=0) -> int:
    """Notebook 02's count: ones in (padding with ones), ones as weights, sum the outputs."""
    ones = F.pad(torch.ones(1, c_in, size, size, dtype=torch.float64), (padding,) * 4, value=1.0)
    return int(F.conv2d(ones, torch.ones(c_out, c_in, k, k, dtype=torch.float64), stride=stride).sum())


@random_configs(15)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2),
       st.integers(6, 16))
def test_the_notebooks_ones_count_is_what_torch_counts(c_in, c_out, k, stride, padding, size):
    layer = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, device="meta")
    counted = counted_multiply_adds(layer, torch.empty(1, c_in, size, size, device="meta"))
    assert ones_count(c_in, c_out, k, size, stride, padding) == counted


def test_explicit_count_with_the_loops_matches_the_formula():
    """Count the products one by one, as ops.conv2d's loops would do them."""
    c_in, c_out, (kh, kw), (height, width) = 2, 3, (3, 2), (7, 6)
    out_h, out_w = height - kh + 1, width - kw + 1
    products = sum(1 for _o in range(c_out) for _r in range(out_h) for _c in range(out_w)
                   for _i in range(c_in) for _a in range(kh) for _b in range(kw))
    assert products == shapes.conv_multiply_adds(c_in, c_out, (kh, kw), (out_h, out_w))


def test_halving_the_size_and_doubling_the_channels_keeps_the_cost():
    size, channels, costs, parameters = 32, 16, [], []
    for _ in range(4):
        layer = nn.Conv2d(channels, channels, 3, padding=1, device="meta")
        costs.append(counted_multiply_adds(layer, torch.empty(1, channels, size, size, device="meta")))
        parameters.append(sum(p.numel() for p in layer.parameters()))
        assert costs[-1] == shapes.conv_multiply_adds(channels, channels, 3, (size, size))
        size, channels = size // 2, channels * 2
    assert len(set(costs)) == 1 and costs[0] == 2_359_296
    assert parameters == [2_320, 9_248, 36_928, 147_584]


def test_sharing_saves_weights_not_work():
    c_in, c_out, size = 3, 16, 32
    conv = nn.Conv2d(c_in, c_out, 3, padding=1, device="meta")
    dense = nn.Linear(c_in * size * size, c_out * size * size, device="meta")
    conv_macs = counted_multiply_adds(conv, torch.empty(1, c_in, size, size, device="meta"))
    dense_macs = counted_multiply_adds(dense, torch.empty(1, c_in * size * size, device="meta"))
    assert dense_macs == dense.weight.numel() == 50_331_648  # a dense layer: one multiply-add per weight
    assert conv_macs == conv.weight.numel() * size * size == 442_368  # each weight at every position
    assert dense_macs / conv_macs == pytest.approx(c_in * size * size / (c_in * 9))  # locality: 3,072 vs 27
