"""The exercise checkers: reference solutions pass, wrong answers get a hint, never a traceback."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_wrong_with_hint, learner_checks

from convolved import exercises
from convolved.exercises import checker, nb01, nb02, reveal, solution_button


class TestFramework:
    def test_feedback_is_truthy_only_when_correct(self):
        assert exercises.correct("fine") and exercises.correct("fine").passed
        assert not exercises.wrong("no", "try") and not exercises.not_attempted("todo")
        assert repr(exercises.not_attempted("do it")) == "… not attempted yet: do it"

    def test_checker_turns_none_and_exceptions_into_feedback(self):
        @checker("set x", solution="inverse", title="Exercise 0 · inverse")
        def check_positive(x):
            return exercises.correct("positive") if 1 / x > 0 else exercises.wrong("negative", "flip it")

        assert check_positive(None).status == "not attempted"
        assert check_positive(2).passed
        assert_wrong_with_hint(check_positive(-1), "negative")
        assert_wrong_with_hint(check_positive(0), "ZeroDivisionError")

    def test_progress_lists_the_latest_answer_of_each_exercise(self):
        @checker("set x", solution="positive", title="Exercise 1 · positive")
        def check_positive(x):
            return exercises.correct("positive") if x > 0 else exercises.wrong("negative", "flip it")

        @checker("set y", solution="even", title="Exercise 2 · even")
        def check_even(y):
            return exercises.correct("even") if y % 2 == 0 else exercises.wrong("odd", "add one")

        def statuses():
            rows = dict(exercises.progress(__name__).rows)
            return rows["Exercise 1 · positive"], rows["Exercise 2 · even"]

        assert statuses() == ("not attempted", "not attempted")
        check_positive(-1)
        check_even(None)
        assert statuses() == ("wrong", "not attempted")
        check_positive(3)
        check_even(4)
        assert statuses() == ("correct", "correct")
        table = exercises.progress(__name__)
        assert f"{table.solved} of {len(table.rows)} exercises solved" in repr(table)
        assert "✓ solved" in repr(table) and "Exercise 2 · even" in repr(table)
        with pytest.raises(ValueError, match="exercise module"):
            exercises.progress("no.such.module")

    def test_reference_mode_checks_our_solution_in_place_of_the_learners(self):
        def unfinished(image, weights, biases):
            return None

        try:
            exercises.set_reference_mode(True)
            assert nb01.check_conv_layer(unfinished).passed  # a function: the solution function
            assert nb01.check_diagonal_kernel(None).passed  # a value: what the solution returns
        finally:
            exercises.set_reference_mode(False)
        assert nb01.check_conv_layer(unfinished).status == "not attempted"
        assert nb01.check_diagonal_kernel(None).status == "not attempted"
        with pytest.raises(TypeError, match="use_reference_solutions must be True or False"):
            exercises.set_reference_mode("yes")

    def test_reveal_shows_the_registered_source_without_decorator(self):
        text = reveal("conv_layer")
        assert text.startswith("```python\ndef solution_conv_layer(") and "@solution" not in text
        with pytest.raises(ValueError, match="name must be one of"):
            reveal("no such exercise")

    def test_solution_button_hides_the_answer_in_saved_notebooks(self):
        bundle = solution_button("diagonal_kernel")._repr_mimebundle_()
        assert "Show solution" in bundle["text/plain"] and "np.array" not in bundle["text/plain"]
        assert "application/vnd.jupyter.widget-view+json" in bundle

    def test_solution_names_are_unique(self):
        with pytest.raises(ValueError, match="registered twice"):
            exercises.solution("conv_layer")(lambda: None)


def _layer_by_numpy(image, weights, biases):
    """An independent correct answer: one tensordot per window."""
    c_out, _, kh, kw = weights.shape
    h_out, w_out = image.shape[1] - kh + 1, image.shape[2] - kw + 1
    windows = np.stack([[image[:, r:r + kh, c:c + kw] for c in range(w_out)] for r in range(h_out)])
    maps = np.tensordot(windows, weights, axes=([2, 3, 4], [1, 2, 3])).transpose(2, 0, 1)
    return maps + biases[:, None, None]


def _layer_without_bias(image, weights, biases):
    return _layer_by_numpy(image, weights, np.zeros_like(biases))


def _layer_flipped(image, weights, biases):
    return _layer_by_numpy(image, weights[:, :, ::-1, ::-1], biases)


def _layer_transposed_kernel(image, weights, biases):
    return _layer_by_numpy(image, weights.transpose(0, 1, 3, 2), biases)


def _layer_first_channel_only(image, weights, biases):
    return _layer_by_numpy(image[:1], weights[:, :1], biases)


def _layer_one_map(image, weights, biases):
    return _layer_by_numpy(image, weights, biases)[0]


def _layer_padded(image, weights, biases):
    _, _, kh, kw = weights.shape
    padded = np.pad(image, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)))
    return _layer_by_numpy(padded, weights, biases)


def _layer_one_too_few(image, weights, biases):
    return _layer_by_numpy(image, weights, biases)[:, :-1, :-1]


def _layer_window_overruns(image, weights, biases):
    """Slides the kernel over every pixel, also where it hangs over the edge."""
    c_out, c_in, kh, kw = weights.shape
    out = np.zeros((c_out, image.shape[1], image.shape[2]))
    for o, r, c in np.ndindex(*out.shape):
        out[o, r, c] = biases[o] + sum(weights[o, ch, i, j] * image[ch, r + i, c + j]
                                       for ch in range(c_in) for i in range(kh) for j in range(kw))
    return out


def _layer_truncated_windows(image, weights, biases):
    """Slices past the edge silently shrink the window: NumPy broadcasts, no error."""
    _, _, kh, kw = weights.shape
    out = np.zeros((weights.shape[0], image.shape[1], image.shape[2]))
    for o, r, c in np.ndindex(*out.shape):
        out[o, r, c] = np.sum(image[:, r:r + kh, c:c + kw] * weights[o]) + biases[o]
    return out


class TestConvLayer:
    def test_reference_solution_passes(self):
        assert nb01.check_conv_layer(nb01.solution_conv_layer).passed

    def test_an_independent_correct_answer_passes(self):
        import torch
        import torch.nn.functional as F

        def by_torch(image, weights, biases):
            return F.conv2d(torch.tensor(image)[None], torch.tensor(weights), torch.tensor(biases))[0]

        assert nb01.check_conv_layer(_layer_by_numpy).passed
        assert nb01.check_conv_layer(by_torch).passed  # a tensor is a fine answer too
        assert nb01.check_conv_layer(lambda i, w, b: _layer_by_numpy(i, w, b).tolist()).passed

    @pytest.mark.parametrize(
        ("answer", "fragments"),
        [
            (_layer_without_bias, ["forgot the biases"]),
            (_layer_flipped, ["kernel flipped"]),
            (_layer_transposed_kernel, ["rows and columns are swapped"]),
            (_layer_first_channel_only, ["sums over every input channel"]),
            (_layer_one_map, ["keep the axis of output channels"]),
            (_layer_padded, ["count how many positions"]),
            (_layer_one_too_few, ["count how many positions"]),
            (_layer_window_overruns, ["IndexError", "the last window must still fit"]),
            (_layer_truncated_windows, ["count how many positions"]),
            (lambda i, w, b: _layer_by_numpy(i, w, b) + 1, ["torch gives", "sums over every input channel"]),
            (lambda i, w: _layer_by_numpy(i, w, 0), ["TypeError", "my_conv_layer(image, weights, biases)"]),
            (lambda i, w, b: undefined_name, ["NameError"]),  # noqa: F821
        ],
        ids=["no-bias", "flipped", "transposed", "one-channel", "one-map", "padded", "one-too-few",
             "window-overruns", "truncated-windows", "off-by-one-value", "no-bias-parameter", "crashes"],
    )
    def test_wrong_answers_get_a_hint(self, answer, fragments):
        assert_wrong_with_hint(nb01.check_conv_layer(answer), *fragments)

    @pytest.mark.parametrize(
        ("result", "fragment"),
        [("maps", "return a NumPy array"), ([[1, 2], [3]], "return a NumPy array"),
         (7.0, "shape ()"), ({"a": 1}, "return a NumPy array")],
        ids=["string", "ragged", "scalar", "dict"],
    )
    def test_malformed_results_get_a_hint(self, result, fragment):
        assert_wrong_with_hint(nb01.check_conv_layer(lambda i, w, b: result), fragment)

    def test_returning_none_later_is_wrong_not_unattempted(self):
        calls = []

        def sometimes(image, weights, biases):
            calls.append(1)
            return _layer_by_numpy(image, weights, biases) if len(calls) == 1 else None

        assert_wrong_with_hint(nb01.check_conv_layer(sometimes), "returned None")

    def test_the_first_case_is_readable(self):
        feedback = nb01.check_conv_layer(lambda i, w, b: _layer_by_numpy(i, w, b) * 2)
        assert "torch gives [[[" in repr(feedback)  # small enough to show its numbers


class TestDiagonalKernel:
    def test_reference_solution_passes(self):
        assert nb01.check_diagonal_kernel(nb01.solution_diagonal_kernel()).passed

    def test_other_valid_kernels_pass(self):
        scaled = -3 * nb01.solution_diagonal_kernel()  # dark-line detector: responses are absolute
        assert nb01.check_diagonal_kernel(scaled).passed
        assert nb01.check_diagonal_kernel([[1, -1, 0], [-1, 2, -1], [0, -1, 1]]).passed

    @pytest.mark.parametrize(
        ("kernel", "fragment"),
        [
            (np.ones((3, 3)), "add up to 0"),
            (np.zeros((3, 3)), "at least twice"),
            ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "at least twice"),  # a vertical-edge kernel
            ([[1, 0, -1], [0, 0, 0], [-1, 0, 1]], "at least twice"),  # as strong on ╱ as on ╲
            (np.fliplr(np.eye(3)) * 3 - 1, "at least twice"),  # the other diagonal ╱
            (np.ones(3), "shape (3,)"),
            (np.zeros((5, 5)), "shape (5, 5)"),
            ("diagonal", "ValueError"),
        ],
        ids=["flat-response", "all-zero", "vertical-edges", "checker-corners", "anti-diagonal",
             "1d", "5x5", "string"],
    )
    def test_wrong_kernels_get_a_hint(self, kernel, fragment):
        assert_wrong_with_hint(nb01.check_diagonal_kernel(kernel), fragment)

    def test_unanswered_is_not_attempted(self):
        assert nb01.check_diagonal_kernel(None).status == "not attempted"

    def test_patterns_are_what_they_claim(self):
        patterns = nb01.line_patterns(9)
        assert patterns["diagonal ╲"].trace() == 9 and patterns["diagonal ╲"].sum() == 9
        assert np.fliplr(patterns["other diagonal ╱"]).trace() == 9
        assert patterns["vertical │"][:, 4].sum() == 9 and patterns["horizontal ─"][4].sum() == 9


class TestFeedbackOnCrashes:
    def test_index_error_gets_the_window_hint(self):
        def off_by_stride(signal, kernel, stride=1):
            n_out = len(signal) - len(kernel) + 1  # forgot the stride when counting
            return [sum(kernel[j] * signal[i * stride + j] for j in range(len(kernel)))
                    for i in range(n_out)]

        assert_wrong_with_hint(nb02.check_conv1d(off_by_stride), "IndexError",
                               "leave room for a whole kernel", "stride=")

    def test_missing_stride_parameter_gets_the_signature_hint(self):
        assert_wrong_with_hint(nb02.check_conv1d(lambda s, k: np.correlate(s, k, "valid")),
                               "my_conv1d(signal, kernel, stride=1)")

    def test_nan_kernel_is_wrong(self):
        assert_wrong_with_hint(nb01.check_diagonal_kernel(np.full((3, 3), np.nan)), "nan")


def test_reloading_a_module_registers_its_solutions_again():
    import importlib

    importlib.reload(nb01)
    assert nb01.check_conv_layer(nb01.solution_conv_layer).passed


class TestConv1dWithStride:
    def test_reference_solution_passes(self):
        assert nb02.check_conv1d(nb02.solution_conv1d).passed

    def test_an_independent_correct_answer_passes(self):
        def vectorised(signal, kernel, stride=1):
            return np.correlate(signal, kernel, mode="valid")[::stride]

        assert nb02.check_conv1d(vectorised).passed
        assert nb02.check_conv1d(lambda s, k, stride=1: list(vectorised(s, k, stride))).passed

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            (lambda s, k, stride=1: np.convolve(s, k, "valid")[::stride], "flipped"),
            (lambda s, k, stride=1: np.correlate(s, k, "valid"), "yours gives 5"),  # ignores stride
            (lambda s, k, stride=1: s, "count how many fit"),
            (lambda s, k, stride=1: np.correlate(s, k, "valid")[::stride] + 1, "torch gives"),
            (lambda s, k, stride=1: undefined_name, "NameError"),  # noqa: F821
            (lambda s, k: np.correlate(s, k, "valid"), "TypeError"),  # forgot the stride argument
            (lambda s, k, stride=1: "output", "return a NumPy array"),
            (lambda s, k, stride=1: [[1.0], [2.0, 3.0]], "return a NumPy array"),
        ],
        ids=["flipped-kernel", "ignores-stride", "wrong-length", "wrong-values", "crashes", "no-stride",
             "string", "ragged"],
    )
    def test_wrong_answers_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb02.check_conv1d(answer), fragment)

    def test_returning_none_later_is_wrong_not_unattempted(self):
        calls = []

        def sometimes(signal, kernel, stride=1):
            calls.append(1)
            return np.correlate(signal, kernel, "valid")[::stride] if len(calls) == 1 else None

        assert_wrong_with_hint(nb02.check_conv1d(sometimes), "returned None")


class TestNotebook02:
    def test_exercises_are_numbered_in_the_order_the_notebook_shows_them(self):
        titles = [title for title, _ in exercises.progress(nb02).rows]
        assert [title.split(" · ")[0] for title in titles] == [f"Exercise {n}" for n in range(1, 5)]
        assert "stride" in titles[0]

    def test_solutions_show_worked_arithmetic_not_a_helper_call(self):
        for name in ("output_shapes", "same_padding", "conv1d", "parameter_count"):
            text = reveal(name)
            assert "conv_output_size" not in text and "import" not in text, name
            assert "#" in text, f"{name}: the solution explains its arithmetic in comments"

    def test_reference_solutions_pass(self):
        assert nb02.check_output_shapes(nb02.solution_output_shapes()).passed
        assert nb02.check_same_padding(nb02.solution_same_padding()).passed
        assert nb02.check_parameter_count(nb02.solution_parameter_count).passed

    def test_independent_answers_pass(self):
        import torch

        def by_torch(in_channels, out_channels, kernel_size, bias=True):
            layer = torch.nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)
            return sum(p.numel() for p in layer.parameters())

        assert nb02.check_parameter_count(by_torch).passed
        assert nb02.check_output_shapes([(1, 8, 31, 31), [4, 32, 28, 28], (1, 6, 20, 12)]).passed
        assert nb02.check_same_padding(np.int64(4)).passed

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            ([(1, 8, 32, 32), (4, 32, 28, 28), (1, 6, 20, 12)], "recompute H and W"),
            ([(1, 3, 31, 31), (4, 32, 28, 28), (1, 6, 20, 12)], "C becomes out_channels"),
            ([(1, 8, 31, 31), (4, 32, 28, 28)], "has 2 entries"),
            ([(1, 8, 31, 31), None, (1, 6, 20, 12)], "layer 2"),
            ("abc", "one (N, C, H, W) tuple per layer"),
            (5, "one (N, C, H, W) tuple per layer"),
            ([(1, 8, 31), None, None], "four whole numbers"),
        ],
        ids=["spatial-off", "channels-wrong", "too-few", "one-missing", "string", "int", "three-numbers"],
    )
    def test_wrong_shapes_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb02.check_output_shapes(answer), fragment)

    @pytest.mark.parametrize(
        ("answer", "fragments"),
        [(2, ["becomes 36×36", "undilated 5×5", "between the first tap"]),
         (8, ["becomes 48×48", "on each side"]),
         (0, ["becomes 32×32", "8 pixels too small", "Sketch one row"]),
         (6, ["becomes 44×44", "4 pixels too large"]),
         (-1, ["cannot be negative"]), (4.0, ["whole number"]), (True, ["whole number"]),
         ("4", ["whole number"]), ([4], ["whole number"])],
    )
    def test_wrong_padding_gets_a_hint(self, answer, fragments):
        assert_wrong_with_hint(nb02.check_same_padding(answer), *fragments)

    @pytest.mark.parametrize("answer", [0, 2, 3, 5, 6, 8])
    def test_padding_hints_never_state_the_formula(self, answer):
        text = repr(nb02.check_same_padding(answer))
        hint = text.split("Hint:")[1]
        assert "2p equals" not in hint and "d·(k − 1)" not in hint and "p = 4" not in hint

    @pytest.mark.parametrize(
        ("answer", "fragment"),
        [
            (lambda i, o, k, bias=True: o * i * k * k, "forgot the biases"),
            (lambda i, o, k, bias=True: o * i * 9 + o * bias, "torch allocates"),
            (lambda i, o, k, bias=True: (o * i * k[0] * k[1] if isinstance(k, tuple) else o * i * k * k) + o,
             "bias=False"),
            (lambda i, o, k: o * i * k * k + o, "TypeError"),
        ],
        ids=["no-bias", "always-3x3", "ignores-bias-flag", "no-bias-parameter"],
    )
    def test_wrong_counts_get_a_hint(self, answer, fragment):
        assert_wrong_with_hint(nb02.check_parameter_count(answer), fragment)


def test_checking_an_answer_leaves_torchs_random_state_alone():
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    nb01.check_conv_layer(nb01.solution_conv_layer)  # builds tensors and layers inside
    nb02.check_conv1d(nb02.solution_conv1d)
    nb02.check_parameter_count(nb02.solution_parameter_count)
    assert torch.equal(torch.rand(3), expected)


NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_every_scaffold_as_shipped_is_not_attempted(notebook):
    """The learner cells exactly as the notebook ships them (read from the notebook, not retyped):
    every checker answers "not attempted", and so does an answer left at None."""
    module = importlib.import_module(f"convolved.exercises.nb{notebook.name[:2]}")
    checks = learner_checks(notebook)
    for first_line, name, arguments in checks:
        check = getattr(module, name)
        assert check(*arguments).status == "not attempted", first_line
        assert check(*arguments[:-1], None).status == "not attempted", first_line
    checkers = {name for name, value in vars(module).items()
                if name.startswith("check_") and getattr(value, "__module__", None) == module.__name__}
    assert checkers == {name for _, name, _ in checks}  # every checker has a learner cell
