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

__all__ = ["Feedback", "checker", "correct", "is_whole", "progress", "record", "reference_answer",
           "register", "reveal", "rounded", "set_reference_mode", "solution", "solution_button", "wrong"]

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


def is_whole(value) -> bool:
    """A whole number as a learner may write it (an int or a NumPy integer), never a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


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
