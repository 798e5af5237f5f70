"""Notebook 05's checkers: reference solutions pass, wrong answers get a hint, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_wrong_with_hint

from convolved import shapes
from convolved.exercises import nb05, reveal, solution_button


def test_reference_solutions_pass():
    assert nb05.check_pooled_shapes(nb05.solution_pooled_shapes()).passed
    assert nb05.check_receptive_field(nb05.solution_receptive_field()).passed
    assert nb05.check_max_pool_loops(nb05.solution_max_pool_loops).passed


def test_solutions_can_be_revealed():
    for name in ["pooled_shapes", "stack_receptive_field", "max_pool_loops"]:
        assert reveal(name).startswith("```python\ndef solution_")
        assert "Show solution" in solution_button(name)._repr_mimebundle_()["text/plain"]


def test_solutions_show_the_worked_arithmetic_not_a_helper():
    for name in ["pooled_shapes", "stack_receptive_field"]:
        text = reveal(name)
        assert "import" not in text and "for " not in text and "pool_output_size" not in text, text
    assert "⌊(112 + 2 − 3) / 2⌋ + 1 = ⌊55.5⌋ + 1 = 56" in reveal("pooled_shapes")
    assert "⌈(7 − 2) / 2⌉ + 1" in reveal("pooled_shapes")
    assert "span 2·(3 − 1) + 1 = 5" in reveal("stack_receptive_field")
    assert "r = 18 + (3 − 1)·2 = 22" in reveal("stack_receptive_field")


class TestPooledShapes:
    def test_the_answers_are_the_torch_shapes(self):
        assert nb05.solution_pooled_shapes() == [(1, 8, 16, 16), (1, 96, 27, 27), (2, 64, 56, 56),
                                                 (4, 16, 4, 4)]

    def test_lists_count_as_tuples(self):
        assert nb05.check_pooled_shapes([list(s) for s in nb05.solution_pooled_shapes()]).passed

    @pytest.mark.parametrize(
        ("change", "fragment"),
        [
            ({3: (4, 16, 3, 3)}, "ceil_mode=True rounds the division up"),
            ({1: (1, 96, 26, 26)}, "recompute H and W"),
            ({0: (1, 8, 31, 31)}, "recompute H and W"),  # stride 1 instead of the window
            ({2: (2, 32, 56, 56)}, "never changes the number of channels"),
            ({2: (1, 64, 56, 56)}, "keeps N and C"),
            ({1: None}, "layer 2"),
            ({0: (1, 8, 16)}, "four whole numbers"),
        ],
        ids=["floor-not-ceil", "off-by-one", "stride-1", "channels", "batch", "one-missing", "three-numbers"],
    )
    def test_wrong_shapes_get_a_hint(self, change, fragment):
        answers = nb05.solution_pooled_shapes()
        for index, value in change.items():
            answers[index] = value
        assert_wrong_with_hint(nb05.check_pooled_shapes(answers), fragment)

    @pytest.mark.parametrize(("answer", "fragment"), [("16", "one (N, C, H, W) tuple per layer"),
                                                      (16, "one (N, C, H, W) tuple per layer"),
                                                      ([(1, 8, 16, 16)], "has 1 entries")])
    def test_malformed_answers_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb05.check_pooled_shapes(answer), fragment)


class TestReceptiveField:
    def test_the_answer_is_what_shapes_and_the_gradient_say(self):
        from convolved import models

        stack = nb05.receptive_field_stack()
        assert shapes.receptive_field(stack).size == (22, 22) == (nb05.solution_receptive_field(),) * 2
        assert models.nonzero_box(models.input_gradient(stack, (3, 48, 48)))[2:] == (22, 22)

    def test_numpy_ints_pass(self):
        assert nb05.check_receptive_field(np.int64(22)).passed

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [(14, "the jump j"), (18, "dilation 2"), (20, "r = 5 and j = 1"), (0, "at least 1"),
         (22.0, "as an int"), ("22", "as an int"), (True, "as an int"), ((22, 22), "as an int")],
    )
    def test_wrong_answers_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb05.check_receptive_field(answer), fragment)


class TestMaxPoolLoops:
    def test_an_independent_correct_answer_passes(self):
        from numpy.lib.stride_tricks import sliding_window_view

        def vectorised(image, kernel_size, stride):
            windows = sliding_window_view(image, (kernel_size, kernel_size))[::stride, ::stride]
            return windows.max(axis=(2, 3))

        assert nb05.check_max_pool_loops(vectorised).passed

    def test_the_case_count_is_what_the_checker_tries(self):
        assert nb05.max_pool_case_count() == len(nb05._max_pool_cases())
        assert "on 31 cases" in repr(nb05.check_max_pool_loops(nb05.solution_max_pool_loops))

    @staticmethod
    def windows(image, k, s, reduce):
        rows, cols = (image.shape[0] - k) // s + 1, (image.shape[1] - k) // s + 1
        return np.array([[reduce(image[i * s:i * s + k, j * s:j * s + k]) for j in range(cols)]
                         for i in range(rows)])

    def test_mean_pooling_is_recognised(self):
        assert_wrong_with_hint(nb05.check_max_pool_loops(lambda x, k, s: self.windows(x, k, s, np.mean)),
                               "mean of each window", "use .max()")

    def test_ignoring_the_stride_gets_the_count_hint(self):
        assert_wrong_with_hint(nb05.check_max_pool_loops(lambda x, k, s: self.windows(x, k, 1, np.max)),
                               "torch gives shape", "(size − kernel_size) // stride + 1")

    def test_transposed_output_is_recognised(self):
        def transposed(x, k, s):
            return self.windows(x, k, s, np.max).T

        assert_wrong_with_hint(nb05.check_max_pool_loops(transposed), "rows and columns are swapped")

    def test_wrong_values_get_the_window_hint(self):
        assert_wrong_with_hint(nb05.check_max_pool_loops(lambda x, k, s: self.windows(x, k, s, np.min)),
                               "torch gives", "output[i, j] is the maximum")

    def test_index_error_gets_the_window_hint(self):
        def too_many(image, kernel_size, stride):  # counts the windows as if stride were 1
            out = np.zeros((image.shape[0] - kernel_size + 1, image.shape[1] - kernel_size + 1))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[i, j] = max(image[i * stride + a, j * stride + b]
                                    for a in range(kernel_size) for b in range(kernel_size))
            return out

        assert_wrong_with_hint(nb05.check_max_pool_loops(too_many), "IndexError", "windows that fit")

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [(lambda x, k: x, "my_max_pool2d(image, kernel_size, stride)"),
         (lambda x, k, s: undefined_name, "NameError")],  # noqa: F821
        ids=["no-stride-parameter", "crashes"],
    )
    def test_crashes_become_feedback(self, answer, fragment):
        assert_wrong_with_hint(nb05.check_max_pool_loops(answer), fragment)

    def test_returning_none_later_is_wrong_not_unattempted(self):
        calls = []

        def sometimes(image, kernel_size, stride):
            calls.append(1)
            return nb05.solution_max_pool_loops(image, kernel_size, stride) if len(calls) == 1 else None

        assert_wrong_with_hint(nb05.check_max_pool_loops(sometimes), "returned None")
