"""Notebook 04's exercises: reference solutions pass, wrong answers get a hint, never a traceback."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import assert_wrong_with_hint
from torch import nn

from convolved.exercises import nb04, reveal, solution_button


def test_solutions_are_registered_and_revealed():
    for name in ("transpose_shapes", "upsampler", "conv_transpose1d"):
        assert reveal(name).startswith("```python\ndef solution_")
        assert "Show solution" in solution_button(name)._repr_mimebundle_()["text/plain"]


class TestOutputShapes:
    def test_reference_solution_passes(self):
        assert nb04.check_output_shapes(nb04.solution_output_shapes()).passed

    def test_the_solution_shows_the_arithmetic_not_a_helper_call(self):
        source = reveal("transpose_shapes")
        assert "conv_transpose_output_size" not in source and "shapes." not in source
        for step in re.findall(r"(\d+)·\((\d+) − 1\) \+ (\d+) − 2·(\d+)(?: \+ (\d+))? = (\d+)", source):
            s, m, k, p, o, n = (int(v or 0) for v in step)
            assert s * (m - 1) + k - 2 * p + o == n, step
        assert len(re.findall(r"= \d+", source)) >= 5

    def test_an_independent_answer_passes(self):
        # Worked out by hand, as lists and tuples, one with NumPy integers.
        answer = [(1, 4, 9, 9), [2, 32, 32, 32], (1, 1, 10, 10), tuple(np.array([1, 6, 10, 30]))]
        assert nb04.check_output_shapes(answer).passed

    def test_the_questions_match_torch(self):
        for (_, shape, kwargs), expected in zip(nb04.SHAPE_QUESTIONS, nb04.solution_output_shapes(),
                                                strict=True):
            assert nn.ConvTranspose2d(**kwargs)(torch.zeros(shape)).shape == expected

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            ([(1, 4, 5, 5), None, None, None], "size of a forward Conv2d"),
            ([(1, 4, 9, 9), (2, 32, 34, 34), None, None], "multiplies M − 1"),
            ([(1, 4, 9, 9), (2, 32, 32, 32), (1, 1, 9, 9), None], "output_padding adds"),
            ([(1, 4, 9, 9), (2, 32, 36, 36), None, None], "crops the output"),
            ([(1, 4, 9, 9), (2, 32, 32, 32), (1, 16, 10, 10), None], "number of output channels"),
            ([(1, 4, 9, 9), (2, 32, 32, 32), (1, 1, 10, 10), (1, 6, 10, 31)], "recompute H and W"),
            ([(4, 1, 9, 9), None, None, None], "N stays the batch size"),
            ([(1, 4, 9, 9), None, None, None], "layer 2"),
            ([(1, 4, 9, 9)], "has 1 entries"),
            ([(1, 4, 9), None, None, None], "four whole numbers"),
            ([(1, 4, 9.0, 9), None, None, None], "four whole numbers"),
            ("(1, 4, 9, 9)", "one (N, C, H, W) tuple per layer"),
            (7, "one (N, C, H, W) tuple per layer"),
        ],
        ids=["forward-size", "stride-times-M", "no-output-padding", "padding-added", "in-channels",
             "one-off", "batch-and-channels-swapped", "second-missing", "too-few", "three-numbers",
             "float", "string", "int"],
    )
    def test_wrong_shapes_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb04.check_output_shapes(answer), fragment)


class TestUpsampler:
    def test_reference_solution_passes(self):
        feedback = nb04.check_upsampler(nb04.solution_upsampler())
        assert feedback.passed
        assert "Odena" in repr(feedback) and "resizing, then convolving" in repr(feedback)

    @pytest.mark.parametrize(
        "answer",
        [
            {"kernel_size": 9, "stride": 3, "padding": 3},
            {"kernel_size": 9, "stride": 3, "padding": 4, "output_padding": 2},
            {"kernel_size": 12, "stride": 3, "padding": 5, "output_padding": 1},
            {"kernel_size": (9, 6), "stride": 3, "padding": (3, 2), "output_padding": (0, 1)},
            {"kernel_size": 6, "stride": (3, 3), "padding": (2, 2), "output_padding": 1},
            {"kernel_size": 9, "stride": 3, "padding": 3, "output_padding": None},
            nn.ConvTranspose2d(1, 1, kernel_size=6, stride=3, padding=2, output_padding=1),
        ],
        ids=["k9", "k9-output-padding-2", "k12", "rectangular", "pairs", "output-padding-none", "layer"],
    )
    def test_other_valid_answers_pass(self, answer):
        assert nb04.check_upsampler(answer).passed

    def test_every_valid_answer_is_accepted_and_the_rules_are_as_stated(self):
        """Brute force over small settings: ✓ exactly for 48×48, stride 3, kernel a multiple of 3 above 3."""
        for k in range(1, 16):
            for s in range(1, 5):
                for p in range(0, 8):
                    for o in range(0, s):
                        if s * 15 + k - 2 * p + o < 1:
                            continue
                        answer = {"kernel_size": k, "stride": s, "padding": p, "output_padding": o}
                        good = s * 15 + k - 2 * p + o == 48 and s == 3 and k > 3 and k % 3 == 0
                        assert nb04.check_upsampler(answer).passed == good, answer

    def test_the_text_before_does_not_give_the_answer(self):
        """The 2× upsampler (k 4, s 2, p 1) appears in the notebook; the exercise asks for 3×."""
        assert not nb04.check_upsampler({"kernel_size": 4, "stride": 2, "padding": 1}).passed

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            ({"kernel_size": 5, "stride": 3, "padding": 1}, "uneven overlap"),
            ({"kernel_size": 4, "stride": 3, "padding": 1, "output_padding": 1},
             "not a multiple of the stride"),
            ({"kernel_size": 3, "stride": 3, "padding": 0}, "only touch"),
            ({"kernel_size": 1, "stride": 3, "padding": 0, "output_padding": 2}, "no copy at all"),
            ({"kernel_size": 18, "stride": 2, "padding": 0}, "stride 3"),
            ({"kernel_size": 33, "stride": 1, "padding": 0}, "stride 3"),
            ({"kernel_size": 4, "stride": 2, "padding": 1}, "becomes 32×32"),
            ({"kernel_size": 6, "stride": 3, "padding": 2}, "becomes 47×47"),
            ({"kernel_size": (6, 9), "stride": 3, "padding": 2, "output_padding": 1}, "for the columns"),
            ({"kernel_size": 6, "stride": 3, "padding": 2, "output_padding": 3}, "torch refuses"),
            ({"kernel_size": 6, "stride": None, "padding": 2}, "stride still None"),
            ({"kernel_size": 6, "stride": 3, "padding": -1}, "at least 0"),
            ({"kernel_size": 0, "stride": 3, "padding": 1}, "at least 1"),
            ({"kernel_size": 6.0, "stride": 3, "padding": 2}, "whole numbers"),
            ({"kernel_size": 6, "stride": 3, "padding": 2, "dilation": 1}, "unexpected key"),
            ({"kernel_size": 6, "stride": 3, "padding": 40}, "torch refuses"),
            (nn.ConvTranspose2d(3, 1, kernel_size=6, stride=3, padding=2, output_padding=1),
             "input channels"),
            (nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2, padding=1, dilation=3), "dilation"),
            (nn.Conv2d(1, 1, 6, stride=3, padding=2), "give a dict"),
            ("k=6, s=3, p=2", "give a dict"),
        ],
        ids=["checkerboard", "checkerboard-k4", "touching", "gaps", "stride-2", "stride-1", "2x", "47",
             "columns", "output-padding-too-big", "stride-missing", "negative", "zero-kernel", "float",
             "extra-key", "crops-everything", "three-channels", "dilated", "conv2d", "string"],
    )
    def test_wrong_answers_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb04.check_upsampler(answer), fragment)


def no_crop(signal, kernel, stride=1, padding=0):
    return nb04.solution_conv_transpose1d(signal, kernel, stride, 0)


def overwrite(signal, kernel, stride=1, padding=0):
    canvas = np.zeros(stride * (len(signal) - 1) + len(kernel))
    for i in range(len(signal)):
        canvas[i * stride:i * stride + len(kernel)] = signal[i] * kernel  # = instead of +=
    return canvas[padding:len(canvas) - padding]


def short_canvas(signal, kernel, stride=1, padding=0):
    canvas = np.zeros(stride * len(signal))  # too short when the kernel is longer than the stride
    for i in range(len(signal)):
        canvas[i * stride:i * stride + len(kernel)] += signal[i] * kernel
    return canvas


class TestConvTranspose1d:
    def test_reference_solution_passes(self):
        assert nb04.check_conv_transpose1d(nb04.solution_conv_transpose1d).passed

    def test_an_independent_answer_passes(self):
        def zero_spaced(signal, kernel, stride=1, padding=0):
            # The gather form: zeros between the input values, full convolution with the flipped kernel.
            spaced = np.zeros(stride * (len(signal) - 1) + 1)
            spaced[::stride] = signal
            full = np.convolve(spaced, kernel, mode="full")
            return full[padding:len(full) - padding]

        assert nb04.check_conv_transpose1d(zero_spaced).passed

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            (lambda s, k, stride=1, padding=0: nb04.solution_conv_transpose1d(s, k[::-1], stride, padding),
             "flipped"),
            (lambda s, k, stride=1, padding=0: np.correlate(s, k, "valid"), "forward convolution"),
            (no_crop, "kept the padding"),
            (overwrite, "add, do not overwrite"),
            (short_canvas, "ValueError"),
            (lambda s, k, stride=1, padding=0: nb04.solution_conv_transpose1d(s, k, 1, padding), "gives"),
            (lambda s, k: nb04.solution_conv_transpose1d(s, k), "TypeError"),
            (lambda s, k, stride=1, padding=0: undefined_name, "NameError"),  # noqa: F821
            (lambda s, k, stride=1, padding=0: "output", "returned str"),
        ],
        ids=["flipped", "gathers", "no-crop", "overwrites", "short-canvas", "ignores-stride",
             "no-stride-parameter", "crashes", "string"],
    )
    def test_wrong_answers_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb04.check_conv_transpose1d(answer), fragment)

    def test_returning_none_later_is_wrong_not_unattempted(self):
        calls = []

        def sometimes(signal, kernel, stride=1, padding=0):
            calls.append(1)
            if len(calls) > 1:
                return None
            return nb04.solution_conv_transpose1d(signal, kernel, stride, padding)

        assert_wrong_with_hint(nb04.check_conv_transpose1d(sometimes), "returned None")

    def test_the_cases_are_valid_for_torch(self):
        for signal, kernel, stride, padding in nb04._transpose1d_cases():
            out = F.conv_transpose1d(torch.tensor(signal)[None, None], torch.tensor(kernel)[None, None],
                                     stride=stride, padding=padding)
            assert out.shape[-1] >= 1
