"""Exercises of notebook 01, "Convolution in code"."""

from __future__ import annotations

import numpy as np

from . import checker, correct, not_attempted, solution, wrong


def _round(values) -> list:
    return np.round(np.asarray(values, dtype=float), 2).tolist()


# ----------------------------------------------------------------------------------------------
# Exercise 1: a 1-D convolution written with loops


@solution("conv1d")
def solution_conv1d(signal, kernel, stride=1):
    n_out = (len(signal) - len(kernel)) // stride + 1
    output = np.zeros(n_out)
    for i in range(n_out):
        start = i * stride
        for j in range(len(kernel)):
            output[i] += kernel[j] * signal[start + j]
    return output


def _conv1d_cases(count=40, seed=1):
    """Random (signal, kernel, stride) triples, from tiny to medium, strides 1 to 3."""
    rng = np.random.default_rng(seed)
    cases = [(np.arange(6.0), np.array([1.0, 0.0, -1.0]), 1)]  # a readable first case
    for _ in range(count):
        k = int(rng.integers(1, 6))
        n = int(rng.integers(k, k + 15))
        cases.append((rng.standard_normal(n), rng.standard_normal(k), int(rng.integers(1, 4))))
    return cases


@checker("write the loops in my_conv1d so that it returns the output",
         solution='conv1d', title='Exercise 1 · A 1-D convolution with loops')
def check_conv1d(my_conv1d):
    """Compare ``my_conv1d(signal, kernel, stride)`` with ``torch.nn.functional.conv1d``."""
    import torch
    import torch.nn.functional as F

    cases = _conv1d_cases()
    for number, (signal, kernel, stride) in enumerate(cases):
        call = (f"my_conv1d(a signal of length {len(signal)}, a kernel of length {len(kernel)}, "
                f"stride={stride})")
        try:
            result = my_conv1d(signal.copy(), kernel.copy(), stride)
        except TypeError as error:
            return wrong(f"{call} raised TypeError: {error}",
                         "define the function as my_conv1d(signal, kernel, stride=1).")
        except IndexError as error:
            return wrong(f"{call} raised IndexError: {error}",
                         "a window starts at i*stride and needs len(kernel) values: with n_out "
                         "outputs the last one starts at (n_out - 1)*stride. Count the outputs with "
                         "(len(signal) - len(kernel)) // stride + 1.")
        if result is None:
            if number == 0:
                return not_attempted("fill in my_conv1d so that it returns the output")
            return wrong("my_conv1d returned None", "end the function with `return output`.")
        got = np.asarray(result, dtype=float).ravel()
        expected = F.conv1d(torch.tensor(signal)[None, None], torch.tensor(kernel)[None, None],
                            stride=stride)[0, 0].numpy()
        case = (f"signal={_round(signal)}, kernel={_round(kernel)}, stride={stride}"
                if len(signal) <= 8 else f"a signal of length {len(signal)}, kernel of length "
                f"{len(kernel)}, stride={stride}")
        if got.shape != expected.shape:
            return wrong(f"for {case} torch gives {len(expected)} values, yours gives {len(got)}",
                         "a valid convolution has (len(signal) - len(kernel)) // stride + 1 "
                         "outputs: the kernel must fit inside the signal.")
        if not np.allclose(got, expected, atol=1e-6):
            flipped = np.convolve(signal, kernel, "valid")[::stride]
            if flipped.shape == got.shape and np.allclose(got, flipped, atol=1e-6):
                return wrong(f"for {case} you computed the true convolution (kernel flipped)",
                             "deep-learning convolution does not flip the kernel: "
                             "output[i] = sum over j of kernel[j] * signal[i*stride + j].")
            return wrong(f"for {case} torch gives {_round(expected)}, yours gives {_round(got)}",
                         "output[i] = sum over j of kernel[j] * signal[i*stride + j]; check where "
                         "each window starts when stride > 1.")
    return correct(f"my_conv1d matches torch.nn.functional.conv1d on {len(cases)} cases "
                   "(random lengths, strides 1–3).")


def conv1d_case_count() -> int:
    """How many cases check_conv1d tries (for the notebook's text)."""
    return len(_conv1d_cases())


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
