"""Exercises of notebook 02, "The Conv2d class"."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import checker, correct, not_attempted, rounded, solution, wrong
from .kinds import check_shapes, first_disagreement

# ----------------------------------------------------------------------------------------------
# Exercise 1: a 1-D convolution with a stride, written with loops




@solution("conv1d")
def solution_conv1d(signal, kernel, stride=1):
    # e.g. 10 values, a kernel of 3, stride 2: windows start at 0, 2, 4, 6 (one at 8 would need
    # values 8, 9, 10, and there is no value 10), so (10 − 3) // 2 + 1 = 4 outputs.
    n_out = (len(signal) - len(kernel)) // stride + 1
    output = np.zeros(n_out)
    for i in range(n_out):
        start = i * stride  # window i starts stride·i values in
        for j in range(len(kernel)):
            output[i] += kernel[j] * signal[start + j]
    return output


def _conv1d_cases(count=40, seed=1):
    """Random (signal, kernel, stride) triples, from tiny to medium, strides 1 to 3."""
    rng = np.random.default_rng(seed)
    cases = [(np.arange(7.0), np.array([1.0, 0.0, -1.0]), 2)]  # a readable first case
    for _ in range(count):
        k = int(rng.integers(1, 6))
        n = int(rng.integers(k, k + 15))
        cases.append((rng.standard_normal(n), rng.standard_normal(k), int(rng.integers(1, 4))))
    return cases


@checker("write the loops in my_conv1d so that it returns the output",
         solution="conv1d", title="Exercise 1 · A 1-D convolution with a stride")
def check_conv1d(my_conv1d):
    """Compare ``my_conv1d(signal, kernel, stride)`` with ``torch.nn.functional.conv1d``."""

    def describe(signal, kernel, stride):
        if len(signal) <= 8:
            return f"signal={rounded(signal)}, kernel={rounded(kernel)}, stride={stride}"
        return f"a signal of length {len(signal)}, kernel of length {len(kernel)}, stride={stride}"

    def torch_output(signal, kernel, stride):
        return F.conv1d(torch.tensor(signal)[None, None], torch.tensor(kernel)[None, None],
                        stride=stride)[0, 0].numpy()

    def flipped(case, got):
        signal, kernel, stride = case
        true_convolution = np.convolve(signal, kernel, "valid")[::stride]
        if true_convolution.shape == got.shape and np.allclose(got, true_convolution, atol=1e-6):
            return wrong(f"for {describe(*case)} you computed the true convolution (kernel flipped)",
                         "deep-learning convolution does not flip the kernel: "
                         "output[i] = sum over j of kernel[j] * signal[i*stride + j].")
        return None

    cases = _conv1d_cases()
    problem = first_disagreement(
        my_conv1d, cases, signature="my_conv1d(signal, kernel, stride=1)",
        todo="fill in my_conv1d so that it returns the output",
        crash_hint="window i starts at i*stride and needs len(kernel) values, so the last window "
                   "must still end inside the signal: count how many of the starts 0, stride, "
                   "2*stride, … leave room for a whole kernel.",
        shape="one per window", describe=describe, torch_output=torch_output,
        shape_hint=lambda *_: ("a valid convolution uses only the windows that fit inside the signal: "
                               "the first starts at 0, the next at stride, …; count how many fit (the "
                               "output-size formula of section 6, with p = 0 and d = 1)."),
        value_hint=lambda *_: ("output[i] = sum over j of kernel[j] * signal[i*stride + j]; check where "
                               "each window starts when stride > 1."),
        mistake=flipped)
    if problem is not None:
        return problem
    return correct(f"my_conv1d matches torch.nn.functional.conv1d on {len(cases)} cases "
                   "(random lengths, strides 1–3).")


# ----------------------------------------------------------------------------------------------
# Exercise 2: predict output shapes

#: (description, input shape, Conv2d keyword arguments) of the layers whose outputs to predict.
SHAPE_QUESTIONS = [
    ("a 5×5 layer with stride 2 and padding 1", (1, 3, 64, 64),
     {"in_channels": 3, "out_channels": 8, "kernel_size": 5, "stride": 2, "padding": 1}),
    ("a 3×3 layer with 'same' padding", (4, 16, 28, 28),
     {"in_channels": 16, "out_channels": 32, "kernel_size": 3, "padding": "same"}),
    ("a 1×7 kernel with strides (1, 2) and no padding", (1, 1, 20, 30),
     {"in_channels": 1, "out_channels": 6, "kernel_size": (1, 7), "stride": (1, 2)}),
]


def _true_shape(input_shape, layer_kwargs) -> tuple[int, ...]:

    layer = nn.Conv2d(**layer_kwargs, device="meta")
    return tuple(layer(torch.empty(input_shape, device="meta")).shape)


@solution("output_shapes")
def solution_output_shapes():
    # The batch size N stays, C becomes out_channels, and each side follows
    # N_out = ⌊(M + 2p − k) / s⌋ + 1.
    return [
        # layer 1, H and W alike: ⌊(64 + 2·1 − 5) / 2⌋ + 1 = ⌊61 / 2⌋ + 1 = 30 + 1 = 31
        (1, 8, 31, 31),
        # layer 2: 'same' pads a 3×3 kernel by 1 on each side: (28 + 2·1 − 3) / 1 + 1 = 28
        (4, 32, 28, 28),
        # layer 3, H: (20 + 0 − 1) / 1 + 1 = 20;  W: ⌊(30 + 0 − 7) / 2⌋ + 1 = ⌊23 / 2⌋ + 1 = 12
        (1, 6, 20, 12),
    ]


@checker("fill my_shapes with one (N, C, H, W) tuple per layer",
         solution='output_shapes', title="Exercise 2 · Predict the output shapes")
def check_output_shapes(my_shapes):
    """Each predicted shape must equal the shape the layer produces in torch."""

    def hint(question, answer, expected):
        if answer[:2] == expected[:2]:
            return "the batch and channels are right; recompute H and W with ⌊(M + 2p − k) / s⌋ + 1."
        return ("N stays the batch size and C becomes out_channels; each side follows "
                "N_out = ⌊(M + 2p − k) / s⌋ + 1, and 'same' keeps the size.")

    return check_shapes(my_shapes, "my_shapes", SHAPE_QUESTIONS, example="(1, 8, 30, 30)",
                        true_shape=lambda question: _true_shape(*question[1:]), hint=hint)


# ----------------------------------------------------------------------------------------------
# Exercise 3: "same" padding with dilation

SAME_KERNEL_SIZE, SAME_DILATION = 5, 2


@solution("same_padding")
def solution_same_padding():
    # With dilation 2 the five taps of a row sit at 0, 2, 4, 6, 8: the kernel spans 9 pixels.
    # Unpadded, a side of 40 gives 40 − 9 + 1 = 32 outputs, 8 too few. Padding p on both sides
    # adds 2p positions, so 2p = 8 and p = 4. Check: (40 + 2·4 − 9) / 1 + 1 = 40.
    return 4


@checker("set my_padding to an int",
         solution='same_padding', title='Exercise 3 · "Same" padding with dilation')
def check_same_padding(my_padding):
    """The padding must keep a 5×5 kernel with dilation 2 from shrinking a 40×40 input."""

    if isinstance(my_padding, bool) or not isinstance(my_padding, (int, np.integer)):
        return wrong(f"my_padding is {my_padding!r}", "give a whole number of pixels, e.g. 3.")
    if my_padding < 0:
        return wrong(f"my_padding is {my_padding}", "padding counts pixels added: it cannot be negative.")
    layer = nn.Conv2d(1, 1, SAME_KERNEL_SIZE, dilation=SAME_DILATION, padding=int(my_padding))
    size = tuple(layer(torch.zeros(1, 1, 40, 40)).shape[2:])
    if size != (40, 40):
        if my_padding == (SAME_KERNEL_SIZE - 1) // 2:
            hint = (f"{my_padding} keeps the size for an undilated {SAME_KERNEL_SIZE}×"
                    f"{SAME_KERNEL_SIZE} kernel. With dilation {SAME_DILATION} the taps are "
                    f"{SAME_DILATION} pixels apart: how many pixels lie between the first tap of a "
                    "row and the last?")
        elif my_padding == SAME_DILATION * (SAME_KERNEL_SIZE - 1):
            hint = ("that is how much the unpadded output loses in all, top and bottom together; "
                    "padding is added on each side.")
        else:
            hint = (f"the output is {abs(40 - size[0])} pixels too "
                    f"{'small' if size[0] < 40 else 'large'}. Sketch one row: where do the "
                    f"{SAME_KERNEL_SIZE} taps of the dilated kernel fall, how many pixels does it "
                    "span, and how many positions does that span have in 40 + 2p pixels?")
        return wrong(f"with padding {my_padding} the 40×40 input becomes {size[0]}×{size[1]}", hint)
    return correct(f"padding {my_padding} keeps 40×40 at 40×40 for a {SAME_KERNEL_SIZE}×"
                   f"{SAME_KERNEL_SIZE} kernel with dilation {SAME_DILATION}.")


# ----------------------------------------------------------------------------------------------
# Exercise 4: count a layer's parameters


@solution("parameter_count")
def solution_parameter_count(in_channels, out_channels, kernel_size, bias=True):
    # One kH×kW kernel per (output channel, input channel) pair, plus one bias per output channel:
    # e.g. Conv2d(3, 16, 3) has 16·3·3·3 = 432 weights + 16 biases = 448 parameters.
    kh, kw = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
    return out_channels * in_channels * kh * kw + (out_channels if bias else 0)


def _parameter_cases(count=20, seed=2):
    rng = np.random.default_rng(seed)
    cases = [(3, 4, 3, True)]
    for _ in range(count):
        kernel = int(rng.integers(1, 8))
        if rng.random() < 0.3:
            kernel = (kernel, int(rng.integers(1, 8)))
        cases.append((int(rng.integers(1, 65)), int(rng.integers(1, 65)), kernel, bool(rng.random() < 0.7)))
    return cases


@checker("write my_parameter_count so that it returns a number",
         solution='parameter_count', title="Exercise 4 · Count a layer's parameters")
def check_parameter_count(my_parameter_count):
    """Compare with the number of parameters torch allocates for the same nn.Conv2d."""

    cases = _parameter_cases()
    for number, (c_in, c_out, kernel, bias) in enumerate(cases):
        got = my_parameter_count(c_in, c_out, kernel, bias=bias)
        if got is None:
            if number == 0:
                return not_attempted("write my_parameter_count so that it returns a number")
            return wrong("my_parameter_count returned None", "end the function with `return ...`.")
        layer = nn.Conv2d(c_in, c_out, kernel, bias=bias, device="meta")
        expected = sum(p.numel() for p in layer.parameters())
        if got != expected:
            call = f"my_parameter_count({c_in}, {c_out}, {kernel}, bias={bias})"
            hint = ("weights: out_channels × in_channels × kH × kW; biases: one per output channel "
                    "(none when bias=False).")
            if got == expected - (c_out if bias else 0):
                hint = "you forgot the biases: one per output channel when bias=True."
            elif isinstance(kernel, tuple) and kernel[0] != kernel[1]:
                hint = "kernel_size may be a (kH, kW) tuple: multiply both."
            return wrong(f"{call} returned {got}; torch allocates {expected}", hint)
    return correct(f"my_parameter_count matches torch on {len(cases)} layers "
                   "(square and rectangular kernels, with and without bias).")
