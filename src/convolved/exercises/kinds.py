"""The two kinds of exercise that several notebooks share, each checked by one function.

- **Predict the shapes** (02, 04, 05): the learner lists one (N, C, H, W) tuple per layer;
  :func:`check_shapes` compares each with the shape torch produces.
- **Your loops against torch** (01, 02, 04, 05): the learner writes a function with loops;
  :func:`first_disagreement` runs it on many random cases and compares it with torch.

A notebook's module supplies only what is particular to its exercise: the questions or cases,
torch's answer, and the hints for the mistakes learners make there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import Feedback, correct, is_whole, not_attempted, rounded, wrong


def check_shapes(value, name: str, questions: Sequence[tuple], *, example: str,
                 true_shape: Callable[[tuple], tuple[int, ...]],
                 hint: Callable[[tuple, tuple[int, ...], tuple[int, ...]], str]) -> Feedback:
    """Check a "predict the shapes" answer ``value``, the learner's list named ``name``.

    Each question is a tuple starting with (description, input shape); ``true_shape(question)``
    is the shape torch produces and ``hint(question, answer, expected)`` the hint for a wrong
    answer. ``example`` shows the form of one entry.

    >>> questions = [("2×2 max pooling", (1, 8, 32, 32))]
    >>> halve = lambda question: (1, 8, 16, 16)
    >>> check_shapes([(1, 8, 16, 16)], "my_shapes", questions, example="(1, 8, 16, 16)",
    ...              true_shape=halve, hint=lambda *_: "")
    ✓ all 1 shapes match what torch produces.
    """
    count = len(questions)
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        return wrong(f"{name} is {value!r}", f"make it a list with one (N, C, H, W) tuple per layer, "
                     f"e.g. [{example}, ...], {count} in all.")
    if len(value) != count:
        return wrong(f"{name} has {len(value)} entries",
                     f"give one shape for each of the {count} layers, in order.")
    if all(answer is None for answer in value):
        return not_attempted(f"fill {name} with one (N, C, H, W) tuple per layer")
    for number, (answer, question) in enumerate(zip(value, questions, strict=True), start=1):
        if answer is None:
            return wrong(f"layer {number} has no answer yet", "replace its None with a tuple (N, C, H, W).")
        if not isinstance(answer, (list, tuple)) or len(answer) != 4 or not all(map(is_whole, answer)):
            return wrong(f"for layer {number} you gave {answer!r}",
                         "write each shape as a tuple of four whole numbers: (N, C, H, W).")
        answer = tuple(int(v) for v in answer)
        expected = true_shape(question)
        if answer != expected:
            what, shape = question[:2]
            return wrong(f"layer {number} ({what}) on input {shape}: {answer} is not the shape it produces",
                         hint(question, answer, expected))
    return correct(f"all {count} shapes match what torch produces.")


def call_learner(function, args: tuple, number: int, *, call: str, signature: str, todo: str,
                 crash_hint: str, shape: str) -> tuple[Feedback | None, np.ndarray | None]:
    """Run a learner's function on test case ``number``; return (feedback, output array).

    A wrong signature, a crash inside the loops (IndexError or ValueError: a window or canvas of
    the wrong size), ``None`` (not attempted on the first case, a missing ``return`` later) and a
    result that is no array all become feedback; otherwise feedback is None and the output a
    float array.
    """
    name = signature.split("(")[0]
    try:
        result = function(*args)
    except TypeError as error:
        return wrong(f"{call} raised TypeError: {error}", f"define the function as {signature}."), None
    except (IndexError, ValueError) as error:
        return wrong(f"{call} raised {type(error).__name__}: {error}", crash_hint), None
    if result is None:
        if number == 0:
            return not_attempted(todo), None
        return wrong(f"{name} returned None", "end the function with `return output`."), None
    try:
        return None, np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        return wrong(f"{call} returned {type(result).__name__} {result!r:.60}",
                     f"return a NumPy array (or nested lists) of numbers: {shape}."), None


def first_disagreement(function, cases: Sequence[tuple], *, signature: str, todo: str, crash_hint: str,
                       shape: str, describe: Callable[..., str], torch_output: Callable[..., np.ndarray],
                       shape_hint: Callable[[tuple, np.ndarray, np.ndarray], str],
                       value_hint: Callable[[tuple, np.ndarray, np.ndarray], str],
                       mistake: Callable[[tuple, np.ndarray], Feedback | None] | None = None,
                       atol: float = 1e-6) -> Feedback | None:
    """Run a learner's loops on every case and compare with torch; the first disagreement as
    feedback, or None when every case agrees.

    ``function(*case)`` is the learner's answer (on copies of the arrays), ``torch_output(*case)``
    torch's; ``describe(*case)`` names a case in a message. ``mistake(case, got)`` may recognise
    a typical slip (a flipped kernel, a mean instead of a max) and explain it; otherwise
    ``value_hint`` and ``shape_hint`` give the hint.

    >>> import numpy as np
    >>> double = dict(signature="my_double(x)", todo="write my_double", crash_hint="", shape="",
    ...               describe=lambda x: f"x={x.tolist()}", torch_output=lambda x: 2 * x,
    ...               shape_hint=lambda *_: "", value_hint=lambda *_: "multiply by two.")
    >>> first_disagreement(lambda x: x + x, [(np.arange(3.0),)], **double) is None
    True
    >>> first_disagreement(lambda x: x + 1, [(np.arange(3.0),)], **double)
    ✗ for x=[0.0, 1.0, 2.0] torch gives [0.0, 2.0, 4.0], yours gives [1.0, 2.0, 3.0]
      Hint: multiply by two.
    """
    name = signature.split("(")[0]
    for number, case in enumerate(cases):
        text = describe(*case)
        copies = tuple(arg.copy() if isinstance(arg, np.ndarray) else arg for arg in case)
        problem, got = call_learner(function, copies, number, call=f"{name}({text})", signature=signature,
                                    todo=todo, crash_hint=crash_hint, shape=shape)
        if problem is not None:
            return problem
        expected = torch_output(*case)
        if expected.ndim == 1:
            got = got.ravel()
        if got.shape != expected.shape:
            sizes = (f"{expected.size} values", f"{got.size}") if expected.ndim == 1 else \
                (f"shape {expected.shape}", f"shape {got.shape}")
            return wrong(f"for {text} torch gives {sizes[0]}, yours gives {sizes[1]}",
                         shape_hint(case, got, expected))
        if not np.allclose(got, expected, atol=atol):
            recognised = mistake(case, got) if mistake else None
            if recognised is not None:
                return recognised
            shown = (f"torch gives {rounded(expected)}, yours gives {rounded(got)}" if expected.size <= 9
                     else "your values differ from torch's")
            return wrong(f"for {text} {shown}", value_hint(case, got, expected))
    return None
