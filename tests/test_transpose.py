"""convolved.transpose: transpose convolution as a convolution over a zero-inserted input, the
convolution matrix, kernel coverage, the bilinear kernel, text layout."""

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

from convolved import ops, transpose


@st.composite
def transpose_cases(draw):
    """A random F.conv_transpose2d call: channels, groups, kernel, stride, padding, output_padding,
    dilation (each per dimension), sizes; some of them impossible (torch refuses those)."""
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    dims = []
    for _ in range(2):
        k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        p = draw(st.integers(0, d * (k - 1) + 2))
        o = draw(st.integers(0, max(s, d)))  # max(s, d) itself is refused by torch
        dims.append((draw(st.integers(1, 5)), k, s, p, o, d))
    size, kernel, stride, padding, output_padding, dilation = (tuple(v) for v in zip(*dims, strict=True))
    return (c_in, c_out, groups, size, kernel, stride, padding, output_padding, dilation,
            draw(st.booleans()), draw(st.integers(0, 2**16)))


@random_configs(150)
@given(transpose_cases())
def test_transpose_convolution_is_a_convolution_over_the_zero_inserted_input(case):
    c_in, c_out, groups, size, kernel, stride, padding, output_padding, dilation, with_bias, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, c_in, *size))
    w = rng.standard_normal((c_in, c_out // groups, *kernel))
    b = rng.standard_normal(c_out) if with_bias else None
    try:
        bias = None if b is None else torch.tensor(b)
        expected = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), bias, stride, padding, output_padding,
                                      groups, dilation).numpy()
    except RuntimeError:
        expected = None  # output_padding too large, or the padding crops everything
    try:
        ours = transpose.conv_transpose2d_as_conv(x, w, b, stride, padding, output_padding, groups, dilation)
    except ValueError:
        ours = None
    assert (ours is None) == (expected is None), case
    if expected is not None:
        assert ours.shape == expected.shape
        assert np.allclose(ours, expected)
        # an unbatched input (C, H, W) works too
        assert np.allclose(transpose.conv_transpose2d_as_conv(x[0], w, b, stride, padding, output_padding,
                                                               groups, dilation), expected[0])


def test_transpose_convolution_matches_the_layer():
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(4, 6, kernel_size=(3, 4), stride=(2, 3), padding=(1, 2), output_padding=(1, 0),
                               dilation=(1, 2), groups=2, dtype=torch.float64)
    x = torch.randn(3, 4, 5, 6, dtype=torch.float64)
    with torch.no_grad():
        expected = layer(x).numpy()
    ours = transpose.conv_transpose2d_as_conv(x, layer.weight, layer.bias, layer.stride, layer.padding,
                                              layer.output_padding, layer.groups, layer.dilation)
    assert np.allclose(ours, expected)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_padding_regimes_full_same_valid(k):
    """At stride 1, a transpose convolution with padding p is a convolution with padding k − 1 − p
    and the flipped kernel: p = 0 a "full" one, p = (k − 1)/2 a "same" one, p = k − 1 a "valid" one."""
    rng = np.random.default_rng(k)
    x = torch.tensor(rng.standard_normal((1, 1, 7, 7)))
    kernel = torch.tensor(rng.standard_normal((1, 1, k, k)))
    flipped = torch.flip(kernel, dims=(2, 3))
    for p in range(k):
        transposed = F.conv_transpose2d(x, kernel, padding=p)
        assert torch.allclose(transposed, F.conv2d(x, flipped, padding=k - 1 - p))
        assert transposed.shape[-1] == 7 + k - 1 - 2 * p
    assert F.conv_transpose2d(x, kernel).shape[-1] == 7 + k - 1  # full
    assert F.conv_transpose2d(x, kernel, padding=k - 1).shape[-1] == 7 - k + 1  # valid
    if k % 2:
        assert torch.allclose(F.conv_transpose2d(x, kernel, padding=(k - 1) // 2),
                              F.conv2d(x, flipped, padding="same"))


def test_zero_insert():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    spaced = transpose.zero_insert(x, (3, 2))
    assert spaced.shape == (4, 5)
    assert np.array_equal(spaced[::3, ::2], x) and spaced.sum() == x.sum()
    assert np.array_equal(transpose.zero_insert(x, 1), x)
    batch = np.ones((2, 3, 4, 4))
    assert transpose.zero_insert(batch, 2).shape == (2, 3, 7, 7)


@st.composite
def matrix_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1))
    height, width = draw(st.integers(max(1, kh - 2 * ph), 7)), draw(st.integers(max(1, kw - 2 * pw), 7))
    seed = draw(st.integers(0, 2**16))
    return (kh, kw), (sh, sw), (ph, pw), (height, width), seed


@random_configs(60)
@given(matrix_cases())
def test_the_matrix_is_the_convolution_and_its_transpose_the_transpose_convolution(case):
    (kh, kw), stride, padding, (height, width), seed = case
    rng = np.random.default_rng(seed)
    kernel = rng.standard_normal((kh, kw))
    x = rng.standard_normal((height, width))
    C = transpose.convolution_matrix(kernel, (height, width), stride, padding)
    tk = torch.tensor(kernel)[None, None]
    y = F.conv2d(torch.tensor(x)[None, None], tk, stride=stride, padding=padding)[0, 0].numpy()
    assert C.shape == (y.size, x.size)
    assert np.allclose(C @ x.ravel(), y.ravel())
    # Cᵀ is the transpose convolution; output_padding gives back what the strided conv rounded off.
    g = rng.standard_normal(y.shape)
    out_h = (y.shape[0] - 1) * stride[0] - 2 * padding[0] + kh
    out_w = (y.shape[1] - 1) * stride[1] - 2 * padding[1] + kw
    output_padding = (height - out_h, width - out_w)
    back = F.conv_transpose2d(torch.tensor(g)[None, None], tk, stride=stride, padding=padding,
                              output_padding=output_padding)[0, 0].numpy()
    assert np.allclose((C.T @ g.ravel()).reshape(height, width), back)


def test_the_matrix_built_from_impulses():
    kernel = np.arange(1.0, 10.0).reshape(3, 3)
    impulses = torch.eye(25, dtype=torch.float64).reshape(25, 1, 5, 5)
    responses = F.conv2d(impulses, torch.tensor(kernel)[None, None], stride=2, padding=1)
    assert np.array_equal(transpose.convolution_matrix(kernel, (5, 5), stride=2, padding=1),
                          responses.reshape(25, -1).T.numpy())


@pytest.mark.parametrize(("size", "k", "s", "p", "op"),
                         [(6, 3, 2, 0, 0), (6, 4, 2, 1, 0), (5, 3, 2, 1, 1), (4, 5, 3, 2, 2), (3, 1, 1, 0, 0),
                          (4, 2, 3, 0, 2)])
def test_coverage_counts_the_copies(size, k, s, p, op):
    ones = np.ones((1, 1, 1, size))
    counted = ops.conv_transpose2d(ones, np.ones((1, 1, 1, k)), stride=(1, s), padding=(0, p),
                                   output_padding=(0, op))[0, 0, 0]
    assert np.array_equal(transpose.coverage(size, k, s, p, op), counted)
    assert np.array_equal(transpose.coverage((size, size), k, s, p, op), np.outer(counted, counted))


def test_even_coverage_exactly_when_the_stride_divides_the_kernel():
    for k in range(1, 7):
        for s in range(1, 4):
            interior = transpose.coverage(12, k, s)[k:-k]
            assert (interior.min() == interior.max()) == (k % s == 0), (k, s)


@pytest.mark.parametrize("factor", [2, 4])
def test_bilinear_kernel_is_interpolation_inside_the_border(factor):
    image = torch.rand(1, 1, 9, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    kernel = torch.tensor(transpose.bilinear_kernel(factor))[None, None]
    up = F.conv_transpose2d(image, kernel, stride=factor, padding=factor // 2)
    reference = F.interpolate(image, scale_factor=factor, mode="bilinear", align_corners=False)
    assert up.shape == reference.shape
    b = factor // 2
    assert torch.allclose(up[..., b:-b, b:-b], reference[..., b:-b, b:-b])


def test_side_by_side_aligns_blocks():
    text = transpose.side_by_side([np.array([[1, -0.0], [2, 3]]), np.full((3, 1), 10.0)], ["a", "bb"])
    assert text.splitlines() == ["a      bb", "1 0    10", "2 3    10", "       10"]
    with pytest.raises(ValueError, match="one entry per array"):
        transpose.side_by_side([np.zeros(2)], ["a", "b"])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: transpose.convolution_matrix(np.ones(3), (4, 4)), ValueError, "kernel"),
        (lambda: transpose.convolution_matrix(np.ones((5, 5)), (3, 3)), ValueError, "kernel_size too large"),
        (lambda: transpose.convolution_matrix(np.ones((3, 3)), (4, 4), stride=0), ValueError, "stride"),
        (lambda: transpose.coverage(5, 3, 2, output_padding=2), ValueError, "output_padding"),
        (lambda: transpose.bilinear_kernel(0), ValueError, "factor"),
        (lambda: transpose.bilinear_kernel(2.0), TypeError, "factor"),
        (lambda: transpose.zero_insert(np.ones(3), 2), ValueError, "x"),
        (lambda: transpose.zero_insert(np.ones((3, 3)), 0), ValueError, "stride"),
        (lambda: transpose.conv_transpose2d_as_conv(np.ones((1, 2, 3, 3)), np.ones((3, 1, 2, 2))), ValueError,
         "channel mismatch"),
        (lambda: transpose.conv_transpose2d_as_conv(np.ones((1, 2, 3, 3)), np.ones((2, 1, 2, 2)), groups=3),
         ValueError, "groups"),
        (lambda: transpose.conv_transpose2d_as_conv(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2,
                                                    output_padding=2), ValueError, "output_padding"),
        (lambda: transpose.conv_transpose2d_as_conv(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), padding=-1),
         ValueError, "padding"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_doctests_pass():
    results = doctest.testmod(transpose)
    assert results.attempted >= 2 and results.failed == 0
