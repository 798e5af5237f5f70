"""Exercises of notebook 05, "Max and mean pooling"."""

from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import checker, correct, rounded, solution, wrong
from .kinds import check_shapes, first_disagreement

__all__ = [
    "POOL_QUESTIONS",
    "RECEPTIVE_FIELD_STACK",
    "check_max_pool_loops",
    "check_pooled_shapes",
    "check_receptive_field",
    "max_pool_case_count",
    "pool_layer",
    "receptive_field_stack",
    "solution_max_pool_loops",
    "solution_pooled_shapes",
    "solution_receptive_field",
]




# ----------------------------------------------------------------------------------------------
# Exercise 1: predict pooled shapes

#: (description, input shape, "max" or "mean", pooling keyword arguments).
POOL_QUESTIONS = [
    ("2×2 max pooling, the default stride (= the window)", (1, 8, 32, 32), "max", {"kernel_size": 2}),
    ("overlapping 3×3 max pooling with stride 2, as in AlexNet", (1, 96, 55, 55), "max",
     {"kernel_size": 3, "stride": 2}),
    ("3×3 max pooling, stride 2, padding 1, as at the start of ResNet", (2, 64, 112, 112), "max",
     {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("2×2 mean pooling with ceil_mode=True on an odd size", (4, 16, 7, 7), "mean",
     {"kernel_size": 2, "ceil_mode": True}),
]


def pool_layer(mode: str, kwargs: dict):
    """The torch layer of a question: ``nn.MaxPool2d`` or ``nn.AvgPool2d`` with ``kwargs``."""

    return (nn.MaxPool2d if mode == "max" else nn.AvgPool2d)(**kwargs)


def _true_shape(input_shape, mode, kwargs) -> tuple[int, ...]:

    return tuple(pool_layer(mode, kwargs)(torch.zeros(input_shape)).shape)


@solution("pooled_shapes")
def solution_pooled_shapes():
    # Pooling works on each channel separately: N and C stay. H and W each follow
    # ⌊(M + 2p − k) / s⌋ + 1, with s = k when no stride is given; ceil_mode=True rounds up instead.
    return [
        (1, 8, 16, 16),   # k = 2, s = 2 (the default stride): ⌊(32 − 2) / 2⌋ + 1 = 15 + 1 = 16
        (1, 96, 27, 27),  # k = 3, s = 2: ⌊(55 − 3) / 2⌋ + 1 = 26 + 1 = 27
        (2, 64, 56, 56),  # k = 3, s = 2, p = 1: ⌊(112 + 2 − 3) / 2⌋ + 1 = ⌊55.5⌋ + 1 = 56
        (4, 16, 4, 4),    # k = 2, s = 2, ceil_mode: ⌈(7 − 2) / 2⌉ + 1 = ⌈2.5⌉ + 1 = 4 (last window: 1 pixel)
    ]


@checker("fill my_pooled_shapes with one (N, C, H, W) tuple per layer",
         solution='pooled_shapes', title='Exercise 1 · Predict the pooled shapes')
def check_pooled_shapes(my_pooled_shapes):
    """Each predicted shape must equal the shape the pooling layer produces in torch."""

    def hint(question, answer, expected):
        if answer[:2] == expected[:2]:
            if question[3].get("ceil_mode"):
                return ("ceil_mode=True rounds the division up instead of down: a last, partial "
                        "window still counts (unless it would start in the padding).")
            return "N and C are right; recompute H and W with ⌊(M + 2p − k) / s⌋ + 1."
        if answer[1] != expected[1]:
            return "pooling never changes the number of channels: each channel is pooled on its own."
        return ("pooling keeps N and C (each channel is pooled on its own); H and W follow "
                "N_out = ⌊(M + 2p − k) / s⌋ + 1, with s = k when no stride is given.")

    return check_shapes(my_pooled_shapes, "my_pooled_shapes", POOL_QUESTIONS, example="(1, 8, 16, 16)",
                        true_shape=lambda question: _true_shape(*question[1:]), hint=hint)


# ----------------------------------------------------------------------------------------------
# Exercise 2: the receptive field of a stack

#: (kind, kernel_size, stride, dilation) of each layer of the stack whose receptive field to find.
RECEPTIVE_FIELD_STACK = [
    ("conv", 5, 1, 1),
    ("max pool", 2, 2, 1),
    ("conv", 3, 1, 1),
    ("conv", 3, 1, 2),
    ("max pool", 3, 2, 1),
]


def receptive_field_stack():
    """The stack of :data:`RECEPTIVE_FIELD_STACK` as an ``nn.Sequential`` (channels 3 → 16 → 32)."""

    layers, channels = [], 3
    for kind, kernel, stride, dilation in RECEPTIVE_FIELD_STACK:
        if kind == "conv":
            out = 16 if channels == 3 else 32
            layers += [nn.Conv2d(channels, out, kernel, stride=stride, dilation=dilation), nn.ReLU()]
            channels = out
        else:
            layers.append(nn.MaxPool2d(kernel, stride=stride))
    return nn.Sequential(*layers)


def _fields(stack, use_jump=True, use_dilation=True) -> list[int]:
    """Receptive field after each layer, optionally with one of the two usual slips."""
    size, jump, fields = 1, 1, []
    for _, kernel, stride, dilation in stack:
        span = (dilation if use_dilation else 1) * (kernel - 1) + 1
        size += (span - 1) * (jump if use_jump else 1)
        jump *= stride
        fields.append(size)
    return fields


@solution("stack_receptive_field")
def solution_receptive_field():
    # Start from r = 1 pixel and jump j = 1. Each layer adds (span − 1)·j, where a window of k with
    # dilation d spans d·(k − 1) + 1 pixels; then j is multiplied by the layer's stride.
    # conv 5×5:                r = 1 + (5 − 1)·1 = 5,                     j = 1
    # max pool 2×2, stride 2:  r = 5 + (2 − 1)·1 = 6,                     j = 1·2 = 2
    # conv 3×3:                r = 6 + (3 − 1)·2 = 10,                    j = 2
    # conv 3×3, dilation 2:    span 2·(3 − 1) + 1 = 5, r = 10 + (5 − 1)·2 = 18, j = 2
    # max pool 3×3, stride 2:  r = 18 + (3 − 1)·2 = 22,                   j = 2·2 = 4
    return 22


@checker("set my_receptive_field to an int",
         solution='stack_receptive_field', title='Exercise 2 · The receptive field of a stack')
def check_receptive_field(my_receptive_field):
    """The answer must equal the receptive field of :data:`RECEPTIVE_FIELD_STACK`."""
    from ..shapes import receptive_field

    if isinstance(my_receptive_field, bool) or not isinstance(my_receptive_field, numbers.Integral):
        return wrong(f"my_receptive_field is {my_receptive_field!r}",
                     "give the side of the square one output unit sees, in input pixels, as an int.")
    expected = receptive_field([(k, s, d) for _, k, s, d in RECEPTIVE_FIELD_STACK]).size
    answer = int(my_receptive_field)
    if answer == expected:
        return correct(f"one unit of the last layer sees {expected}×{expected} input pixels.")
    if answer == _fields(RECEPTIVE_FIELD_STACK, use_jump=False)[-1]:
        hint = ("you added k − 1 for each layer, as if every layer read the input directly. After a "
                "stride-2 layer, neighbouring units are 2 input pixels apart (the jump j), so the "
                "next layer adds (k − 1)·j.")
    elif answer == _fields(RECEPTIVE_FIELD_STACK, use_dilation=False)[-1]:
        hint = ("you treated the dilated 3×3 kernel as plain 3×3: with dilation 2 it spans "
                "d·(k − 1) + 1 = 5 pixels.")
    elif answer < 1:
        hint = "a receptive field is at least 1: one output unit sees at least one input pixel."
    else:
        hint = ("go layer by layer from r = 1, j = 1: r grows by (d·(k − 1) + 1 − 1)·j, then j is "
                f"multiplied by the layer's stride. After the first layer, r = "
                f"{_fields(RECEPTIVE_FIELD_STACK)[0]} and j = 1.")
    return wrong(f"{answer} is not the receptive field of the stack", hint)


# ----------------------------------------------------------------------------------------------
# Exercise 3: max pooling written with loops


@solution("max_pool_loops")
def solution_max_pool_loops(image, kernel_size, stride):
    n_rows = (image.shape[0] - kernel_size) // stride + 1
    n_cols = (image.shape[1] - kernel_size) // stride + 1
    output = np.zeros((n_rows, n_cols))
    for i in range(n_rows):
        for j in range(n_cols):
            top, left = i * stride, j * stride
            output[i, j] = image[top:top + kernel_size, left:left + kernel_size].max()
    return output


def _max_pool_cases(count=30, seed=5):
    """Random (image, kernel_size, stride) triples: rectangular images, overlapping and gapped windows."""
    rng = np.random.default_rng(seed)
    cases = [(np.arange(16.0).reshape(4, 4) % 7, 2, 2)]  # a readable first case
    for _ in range(count):
        k = int(rng.integers(1, 5))
        rows, cols = (int(v) for v in rng.integers(k, k + 10, size=2))
        cases.append((rng.standard_normal((rows, cols)), k, int(rng.integers(1, 4))))
    return cases


def max_pool_case_count() -> int:
    """How many cases :func:`check_max_pool_loops` tries (for the notebook's text)."""
    return len(_max_pool_cases())


@checker("write the loops in my_max_pool2d so that it returns the output",
         solution='max_pool_loops', title='Exercise 3 · Max pooling with loops')
def check_max_pool_loops(my_max_pool2d):
    """Compare ``my_max_pool2d(image, kernel_size, stride)`` with ``F.max_pool2d``."""

    def describe(image, k, s):
        shown = rounded(image) if image.size <= 16 else f"a {image.shape[0]}×{image.shape[1]} image"
        return f"image={shown}, kernel_size={k}, stride={s}"

    def torch_output(image, k, s, pool=F.max_pool2d):
        return pool(torch.tensor(image)[None, None], k, s)[0, 0].numpy()

    def shape_hint(case, got, expected):
        if got.shape == expected.shape[::-1]:
            return "rows and columns are swapped: the output has one row per window row."
        return ("a window of kernel_size pixels must fit inside the image: "
                "(size − kernel_size) // stride + 1 windows per axis.")

    def mean_instead(case, got):
        if np.allclose(got, torch_output(*case, pool=F.avg_pool2d), atol=1e-9):
            return wrong(f"for {describe(*case)} you computed the mean of each window",
                         "max pooling keeps the largest value of each window: use .max().")
        return None

    cases = _max_pool_cases()
    problem = first_disagreement(
        my_max_pool2d, cases, signature="my_max_pool2d(image, kernel_size, stride)",
        todo="fill in my_max_pool2d so that it returns the output",
        crash_hint="count the windows that fit: (size − kernel_size) // stride + 1 per axis; "
                   "window (i, j) starts at row i·stride, column j·stride.",
        shape="one row per window row, one column per window column", describe=describe,
        torch_output=torch_output, shape_hint=shape_hint, mistake=mean_instead, atol=1e-9,
        value_hint=lambda *_: ("output[i, j] is the maximum of image[i·stride : i·stride + kernel_size, "
                               "j·stride : j·stride + kernel_size]."))
    if problem is not None:
        return problem
    return correct(f"my_max_pool2d matches torch.nn.functional.max_pool2d on {len(cases)} cases "
                   "(rectangular images, windows 1–4, strides 1–3).")
