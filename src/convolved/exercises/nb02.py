"""Exercises of notebook 02, "The Conv2d class"."""

from __future__ import annotations

import numpy as np

from . import checker, correct, not_attempted, solution, wrong

# ----------------------------------------------------------------------------------------------
# Exercise 1: predict output shapes

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
    import torch
    from torch import nn

    layer = nn.Conv2d(**layer_kwargs, device="meta")
    return tuple(layer(torch.empty(input_shape, device="meta")).shape)


@solution("output_shapes")
def solution_output_shapes():
    from convolved.shapes import conv_output_size

    answers = []
    for _, (batch, _, height, width), kwargs in SHAPE_QUESTIONS:
        size = conv_output_size((height, width), kwargs["kernel_size"], kwargs.get("stride", 1),
                                kwargs.get("padding", 0))
        answers.append((batch, kwargs["out_channels"], *size))
    return answers


@checker("fill my_shapes with one (N, C, H, W) tuple per layer",
         solution='output_shapes', title='Exercise 1 · Predict the output shapes')
def check_output_shapes(my_shapes):
    """Each predicted shape must equal the shape the layer produces in torch."""
    if isinstance(my_shapes, str) or not isinstance(my_shapes, (list, tuple)):
        return wrong(f"my_shapes is {my_shapes!r}", "make it a list with one (N, C, H, W) tuple per "
                     "layer, e.g. [(1, 8, 30, 30), (...), (...)].")
    answers = list(my_shapes)
    if len(answers) != len(SHAPE_QUESTIONS):
        return wrong(f"my_shapes has {len(answers)} entries", f"give one shape for each of the "
                     f"{len(SHAPE_QUESTIONS)} layers, in order.")
    if all(answer is None for answer in answers):
        return not_attempted("fill my_shapes with one (N, C, H, W) tuple per layer")
    for number, (answer, (what, shape, kwargs)) in enumerate(zip(answers, SHAPE_QUESTIONS,
                                                                 strict=True), start=1):
        expected = _true_shape(shape, kwargs)
        if answer is not None and (not isinstance(answer, (list, tuple)) or len(answer) != 4):
            return wrong(f"for layer {number} you gave {answer!r}",
                         "write each shape as a tuple of four whole numbers: (N, C, H, W).")
        if answer is None or tuple(answer) != expected:
            hint = ("N stays the batch size and C becomes out_channels; each side follows "
                    "N_out = ⌊(M + 2p − k) / s⌋ + 1, and 'same' keeps the size.")
            if answer is not None and len(tuple(answer)) == 4 and tuple(answer)[:2] == expected[:2]:
                hint = "the batch and channels are right; recompute H and W with ⌊(M + 2p − k) / s⌋ + 1."
            return wrong(f"layer {number} ({what}) on input {shape}: {answer} is not the shape it "
                         "produces", hint)
    return correct(f"all {len(answers)} shapes match what torch produces.")


# ----------------------------------------------------------------------------------------------
# Exercise 2: "same" padding with dilation

SAME_KERNEL_SIZE, SAME_DILATION = 5, 2


@solution("same_padding")
def solution_same_padding():
    # A dilated kernel spans d*(k-1)+1 pixels; pad half of the d*(k-1) extra on each side.
    return SAME_DILATION * (SAME_KERNEL_SIZE - 1) // 2


@checker("set my_padding to an int",
         solution='same_padding', title='Exercise 2 · "Same" padding with dilation')
def check_same_padding(my_padding):
    """The padding must keep a 5×5 kernel with dilation 2 from shrinking a 40×40 input."""
    import torch
    from torch import nn

    if isinstance(my_padding, bool) or not isinstance(my_padding, (int, np.integer)):
        return wrong(f"my_padding is {my_padding!r}", "give a whole number of pixels, e.g. 3.")
    if my_padding < 0:
        return wrong(f"my_padding is {my_padding}", "padding counts pixels added: it cannot be negative.")
    layer = nn.Conv2d(1, 1, SAME_KERNEL_SIZE, dilation=SAME_DILATION, padding=int(my_padding))
    size = tuple(layer(torch.zeros(1, 1, 40, 40)).shape[2:])
    if size != (40, 40):
        return wrong(f"with padding {my_padding} the 40×40 input becomes {size[0]}×{size[1]}",
                     "the dilated kernel spans d·(k − 1) + 1 pixels; the output keeps the size when "
                     "2p equals d·(k − 1).")
    return correct(f"padding {my_padding} keeps 40×40 at 40×40 for a {SAME_KERNEL_SIZE}×"
                   f"{SAME_KERNEL_SIZE} kernel with dilation {SAME_DILATION}.")


# ----------------------------------------------------------------------------------------------
# Exercise 3: count a layer's parameters


@solution("parameter_count")
def solution_parameter_count(in_channels, out_channels, kernel_size, bias=True):
    # One kH×kW kernel per (output channel, input channel) pair, plus one bias per output channel.
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
         solution='parameter_count', title="Exercise 3 · Count a layer's parameters")
def check_parameter_count(my_parameter_count):
    """Compare with the number of parameters torch allocates for the same nn.Conv2d."""
    from torch import nn

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
