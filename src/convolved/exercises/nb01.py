"""Exercises of notebook 01, "Convolution in code"."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from . import checker, correct, solution, wrong
from .kinds import first_disagreement

# ----------------------------------------------------------------------------------------------
# Exercise 1: a whole convolution layer (several kernels over several channels, plus biases)


@solution("conv_layer")
def solution_conv_layer(image, weights, biases):
    # e.g. image (3, 6, 6), weights (2, 3, 3, 3): 2 maps of (6 − 3 + 1) × (6 − 3 + 1) = 4 × 4
    c_out, c_in, kh, kw = weights.shape
    h_out = image.shape[1] - kh + 1  # the kernel must fit: H − kH + 1 positions down
    w_out = image.shape[2] - kw + 1  # and W − kW + 1 positions across
    output = np.zeros((c_out, h_out, w_out))
    for o in range(c_out):  # one feature map per kernel
        for r in range(h_out):
            for c in range(w_out):
                window = image[:, r:r + kh, c:c + kw]  # every channel at once: (C_in, kH, kW)
                output[o, r, c] = np.sum(window * weights[o]) + biases[o]
    return output


def _conv_layer_cases(count=30, seed=1):
    """Random (image, weights, biases): 1–3 channels in and out, square and rectangular kernels."""
    rng = np.random.default_rng(seed)
    readable = (np.arange(16.0).reshape(1, 4, 4), np.ones((1, 1, 2, 2)), np.array([0.5]))
    cases = [readable]
    for _ in range(count):
        c_in, c_out = (int(v) for v in rng.integers(1, 4, size=2))
        kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
        h, w = int(rng.integers(kh, kh + 6)), int(rng.integers(kw, kw + 6))
        cases.append((rng.standard_normal((c_in, h, w)), rng.standard_normal((c_out, c_in, kh, kw)),
                      rng.standard_normal(c_out)))
    return cases


def _describe(image, weights) -> str:
    return f"an image of shape {image.shape} and weights of shape {weights.shape}"


def _conv_layer_hint(image, weights, biases, got, expected) -> str:
    """What a wrong (but well-shaped) answer most likely forgot."""
    from ..ops import conv2d

    def same(values) -> bool:
        return values.shape == got.shape and np.allclose(got, values, atol=1e-6)

    if same(expected - biases[:, None, None]):
        return "you forgot the biases: biases[o] is added to every pixel of map o."
    if same(conv2d(image, weights[:, :, ::-1, ::-1], biases)):
        return ("you computed the true convolution (kernel flipped); a convolution layer "
                "slides the kernel as it is, without flipping it (section 4).")
    if weights.shape[2] == weights.shape[3] and same(conv2d(image, weights.transpose(0, 1, 3, 2),
                                                            biases)):
        return "rows and columns are swapped: weights[o, ch, i, j] multiplies image[ch, r + i, c + j]."
    return ("each output value sums over every input channel and every kernel tap, then adds "
            "that kernel's bias; check your loops on the first case by hand.")


@checker("write my_conv_layer so that it returns the stacked feature maps",
         solution="conv_layer", title="Exercise 1 · A convolution layer with loops")
def check_conv_layer(my_conv_layer):
    """Compare ``my_conv_layer(image, weights, biases)`` with ``torch.nn.functional.conv2d``."""

    def torch_output(image, weights, biases):
        return F.conv2d(torch.tensor(image)[None], torch.tensor(weights), torch.tensor(biases))[0].numpy()

    def shape_hint(case, got, expected):
        if got.shape == expected.shape[1:] and len(case[2]) == 1:
            return "keep the axis of output channels: return shape (C_out, H_out, W_out), here (1, ...)."
        if got.ndim == 3 and got.shape[0] == expected.shape[0]:
            return ("one map per kernel is right; the kernel must fit inside the image, so "
                    "count how many positions it has down and across.")
        return ("one feature map per kernel (C_out of them), each as large as the number "
                "of positions where a kH × kW kernel fits inside the image.")

    cases = _conv_layer_cases()
    problem = first_disagreement(
        my_conv_layer, cases, signature="my_conv_layer(image, weights, biases)",
        todo="fill in my_conv_layer so that it returns the feature maps",
        crash_hint="a window image[:, r:r + kH, c:c + kW] has the shape (C_in, kH, kW) of one "
                   "kernel weights[o]; the last window must still fit inside the image.",
        shape="shape (C_out, H_out, W_out)",
        describe=lambda image, weights, biases: _describe(image, weights),
        torch_output=torch_output, shape_hint=shape_hint,
        value_hint=lambda case, got, expected: _conv_layer_hint(*case, got, expected))
    if problem is not None:
        return problem
    return correct(f"my_conv_layer matches torch.nn.functional.conv2d on {len(cases)} layers "
                   "(1–3 channels in and out, square and rectangular kernels).")


# ----------------------------------------------------------------------------------------------
# Exercise 2: a kernel that responds to diagonal lines only


@solution("diagonal_kernel")
def solution_diagonal_kernel():
    # Positive on the main diagonal, negative elsewhere; the entries add up to zero.
    return np.array([[2, -1, -1],
                     [-1, 2, -1],
                     [-1, -1, 2]], dtype=float)


def line_patterns(size: int = 9) -> dict[str, np.ndarray]:
    """Test images: a one-pixel bright line in four directions, and a flat patch."""
    diagonal = np.eye(size)
    vertical = np.zeros((size, size))
    vertical[:, size // 2] = 1.0
    return {"diagonal ╲": diagonal, "other diagonal ╱": np.fliplr(diagonal).copy(),
            "vertical │": vertical, "horizontal ─": vertical.T.copy(),
            "flat": np.full((size, size), 0.5)}


def line_responses(kernel) -> dict[str, float]:
    """The strongest absolute response of ``kernel`` to each of :func:`line_patterns`."""
    from ..ops import correlate

    return {name: float(np.abs(correlate(image, kernel)).max())
            for name, image in line_patterns().items()}


@checker("set my_kernel to a 3×3 array",
         solution='diagonal_kernel', title='Exercise 2 · A kernel for diagonal lines')
def check_diagonal_kernel(my_kernel):
    """|response| to ╲ lines at least twice that to ╱, │ or ─ lines, and 0 on a flat patch."""
    kernel = np.asarray(my_kernel, dtype=float)
    if kernel.shape != (3, 3):
        return wrong(f"my_kernel has shape {kernel.shape}", "make it a 3×3 array, e.g. "
                     "np.array([[a, b, c], [d, e, f], [g, h, i]]).")
    if not np.isfinite(kernel).all():
        return wrong("my_kernel contains nan or inf", "use ordinary numbers for all nine entries.")
    response = line_responses(kernel)
    scale = max(float(np.abs(kernel).max()), 1e-12)
    if response["flat"] > 1e-6 * scale:
        return wrong(f"a flat patch gives {response['flat']:.2f}; it should give 0",
                     "a flat patch multiplies every entry by the same value: make the nine "
                     f"entries add up to 0 (now they add up to {kernel.sum():.2f}).")
    diagonal = response["diagonal ╲"]
    others = max(value for name, value in response.items() if name not in ("diagonal ╲", "flat"))
    summary = ", ".join(f"{name}: {value:.2f}" for name, value in response.items())
    if diagonal < 1e-6 or diagonal < 2 * others:
        return wrong(f"strongest responses — {summary}; the ╲ diagonal should be at least twice "
                     "each of the other lines",
                     "put positive weights along the main diagonal (top-left to bottom-right) "
                     "and negative ones elsewhere.")
    return correct(f"your kernel picks out diagonal lines — {summary}.")
