"""Self-checking exercises: each checker answers ✓, ✗ with a hint, or "not attempted yet".

A checker never shows the learner a traceback: an exception raised by their code becomes a ✗
that names it. Reference solutions are registered with :func:`solution`; a notebook offers them
behind a button (:func:`solution_button`), so "Run all" never gives the answer away.
One module per notebook (``nb01``, ...) holds that notebook's checkers and solutions.

Every checker records its latest answer, so a notebook can end with :func:`progress`. With
:func:`set_reference_mode` switched on (the tests and instructors do this through the
notebook's ``use_reference_solutions`` parameter), every checker checks our reference solution
instead of the learner's answer: the learner's cell holds only their answer and the check.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import textwrap
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Feedback", "call_learner", "checker", "correct", "is_whole", "predicted_shapes", "progress",
           "record", "reference_answer", "register", "reveal", "rounded", "set_reference_mode",
           "shape_entry", "solution", "solution_button", "wrong"]

_SOLUTIONS: dict = {}
#: module name → {exercise key → title}, in the order the exercises are defined.
_EXERCISES: dict[str, dict[str, str]] = {}
#: module name → {exercise key → the latest Feedback}.
_RESULTS: dict[str, dict[str, Feedback]] = {}
_USE_REFERENCE = False


@dataclass(frozen=True)
class Feedback:
    """The answer of a checker; true when the exercise is solved, shown as its message."""

    status: str  # "correct", "wrong" or "not attempted"
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message


def correct(message: str) -> Feedback:
    return Feedback("correct", f"✓ {message}")


def wrong(message: str, hint: str) -> Feedback:
    return Feedback("wrong", f"✗ {message}\n  Hint: {hint}")


def not_attempted(todo: str) -> Feedback:
    return Feedback("not attempted", f"… not attempted yet: {todo}")


def set_reference_mode(on: bool) -> None:
    """With ``on``, every checker checks our reference solution instead of the learner's answer.

    A notebook calls it once, with its ``use_reference_solutions`` parameter.
    """
    global _USE_REFERENCE
    if not isinstance(on, bool):
        raise TypeError(f"use_reference_solutions must be True or False, got {on!r}")
    _USE_REFERENCE = on


def register(module: str, key: str, title: str) -> None:
    """Declare exercise ``key`` of a notebook's module, with the title of its heading."""
    _EXERCISES.setdefault(module, {})[key] = title


def reference_answer(key: str, answer):
    """The answer to check: the learner's, or (reference mode) solution ``key`` in its place.

    Where the learner writes a function or a class, the solution is one too; where they fill
    in a value, the registered solution function returns it.
    """
    if not _USE_REFERENCE:
        return answer
    reference = _SOLUTIONS[key]
    return reference if callable(answer) else reference()


def record(module: str, key: str, feedback: Feedback) -> Feedback:
    """Remember the latest answer to exercise ``key``, for :func:`progress`."""
    _RESULTS.setdefault(module, {})[key] = feedback
    return feedback


def checker(todo: str, *, solution: str, title: str):
    """Decorate the checker of exercise ``solution`` (the key of its reference solution).

    ``None`` means not attempted; an exception becomes a ✗ naming it; ``title`` is the exercise's
    heading in the notebook, shown by :func:`progress`. The checker runs on a copy of torch's
    random state, so checking an answer (which may build layers or draw test cases) never
    changes what the notebook draws next.
    """

    def decorate(check):
        register(check.__module__, solution, title)

        @functools.wraps(check)
        def run(answer, *args, **kwargs):
            answer = reference_answer(solution, answer)
            if answer is None:
                return record(check.__module__, solution, not_attempted(todo))

            try:
                with torch.random.fork_rng(devices=[]):
                    feedback = check(answer, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any learner error becomes feedback
                feedback = wrong(f"your answer raised {type(exc).__name__}: {exc}",
                                 "try it on a tiny example and print the intermediate values.")
            return record(check.__module__, solution, feedback)

        return run

    return decorate


@dataclass(frozen=True)
class Progress:
    """Which of a notebook's exercises are solved, tried, or not attempted yet."""

    rows: tuple[tuple[str, str], ...]  # (title, status)

    @property
    def solved(self) -> int:
        return sum(status == "correct" for _, status in self.rows)

    def __repr__(self) -> str:
        marks = {"correct": "✓ solved", "wrong": "✗ tried, not solved yet",
                 "not attempted": "… not attempted yet"}
        lines = [f"Your progress: {self.solved} of {len(self.rows)} exercises solved"]
        lines += [f"  {marks[status]:24s} {title}" for title, status in self.rows]
        if self.solved == len(self.rows):
            lines.append("Well done: every exercise of this notebook is solved.")
        return "\n".join(lines)


def progress(module) -> Progress:
    """The latest result of each exercise of a notebook's module (``ex``, or its name)."""
    name = module if isinstance(module, str) else getattr(module, "__name__", None)
    if name not in _EXERCISES:
        raise ValueError(f"module must be an exercise module such as convolved.exercises.nb01, "
                         f"got {module!r}")
    results = _RESULTS.get(name, {})
    return Progress(tuple((title, results[key].status if key in results else "not attempted")
                          for key, title in _EXERCISES[name].items()))


def rounded(values, decimals: int = 2) -> list:
    """Numbers as a checker shows them: a plain list, rounded, with no "-0.0".

    >>> rounded([0.123, -0.0001, 2])
    [0.12, 0.0, 2.0]
    """
    return (np.round(np.asarray(values, dtype=float), decimals) + 0.0).tolist()


def call_learner(function, args: tuple, number: int, *, call: str, signature: str, todo: str,
                 crash_hint: str, shape: str):
    """Run a learner's function on test case ``number``; return (feedback, output array).

    The part every "your loops against torch on many cases" checker shares: a wrong signature,
    a crash inside the loops (IndexError or ValueError: a window or canvas of the wrong size),
    ``None`` (not attempted on the first case, a missing ``return`` later) and a result that is no
    array all become feedback; otherwise feedback is None and the output a float array.
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


def predicted_shapes(value, name: str, count: int, example: str):
    """Check the form of a "predict the shapes" answer: a list of ``count`` (N, C, H, W) tuples.

    Returns (feedback, answers): feedback for a malformed list (or "not attempted" while every
    entry is still None), else None and the entries, each to be checked in order with
    :func:`shape_entry`.
    """
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        return wrong(f"{name} is {value!r}", f"make it a list with one (N, C, H, W) tuple per layer, "
                     f"e.g. [{example}, ...], {count} in all."), None
    if len(value) != count:
        return wrong(f"{name} has {len(value)} entries",
                     f"give one shape for each of the {count} layers, in order."), None
    if all(answer is None for answer in value):
        return not_attempted(f"fill {name} with one (N, C, H, W) tuple per layer"), None
    return None, list(value)


def is_whole(value) -> bool:
    """A whole number as a learner may write it (an int or a NumPy integer), never a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def shape_entry(answer, number: int):
    """(feedback, shape): feedback when entry ``number`` is missing or not four whole numbers,
    else None and the shape as a tuple of ints."""
    if answer is None:
        return wrong(f"layer {number} has no answer yet", "replace its None with a tuple (N, C, H, W)."), None
    if not isinstance(answer, (list, tuple)) or len(answer) != 4 or not all(map(is_whole, answer)):
        return wrong(f"for layer {number} you gave {answer!r}",
                     "write each shape as a tuple of four whole numbers: (N, C, H, W)."), None
    return None, tuple(int(v) for v in answer)


def solution(name: str):
    """Register a reference solution under ``name`` (solutions are tested like any code)."""

    def register(function):
        previous = _SOLUTIONS.get(name)
        # Re-importing a module (importlib.reload, %autoreload) registers the same function again.
        if previous is not None and (previous.__module__, previous.__qualname__) != (
                function.__module__, function.__qualname__):
            raise ValueError(f"solution {name!r} is registered twice")
        _SOLUTIONS[name] = function
        return function

    return register


def reveal(name: str) -> str:
    """The source code of a reference solution, as Markdown."""
    if name not in _SOLUTIONS:
        raise ValueError(f"name must be one of {', '.join(map(repr, _SOLUTIONS))}; got {name!r}")
    source = textwrap.dedent(inspect.getsource(_SOLUTIONS[name]))
    source = "\n".join(line for line in source.splitlines() if not line.startswith("@solution"))
    return f"```python\n{source}\n```"


class _SolutionButton:
    """A "Show solution" button; saved notebooks show a plain note instead of the answer."""

    def __init__(self, name: str):
        import ipywidgets as w
        from IPython.display import Markdown, display

        text = reveal(name)  # fails early on an unknown name
        self.button = w.Button(description="Show solution", icon="eye")
        self.output = w.Output()

        def show(_button):
            with self.output:
                self.output.clear_output()
                display(Markdown(text))

        self.button.on_click(show)
        self.widget = w.VBox([self.button, self.output])

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "(solution hidden: run this cell, then click “Show solution”)"
        return bundle


def solution_button(name: str) -> _SolutionButton:
    """A button that reveals the reference solution ``name`` when clicked."""
    return _SolutionButton(name)
