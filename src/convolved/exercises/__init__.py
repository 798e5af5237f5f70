"""Self-checking exercises: each checker answers ✓, ✗ with a hint, or "not attempted yet".

A checker never shows the learner a traceback: an exception raised by their code becomes a ✗
that names it. Reference solutions are registered with :func:`solution`; a notebook offers them
behind a button (:func:`solution_button`), so "Run all" never gives the answer away.
One module per notebook (``nb01``, ...) holds that notebook's checkers and solutions.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
from dataclasses import dataclass

__all__ = ["Feedback", "checker", "correct", "reveal", "solution", "solution_button", "wrong"]

_SOLUTIONS: dict = {}


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


def checker(todo: str):
    """Decorate a checker: ``None`` means not attempted; an exception becomes a ✗ naming it.

    The checker runs on a copy of torch's random state, so checking an answer (which may build
    layers or draw test cases) never changes what the notebook draws next.
    """

    def decorate(check):
        @functools.wraps(check)
        def run(answer, *args, **kwargs):
            if answer is None:
                return not_attempted(todo)
            import torch

            try:
                with torch.random.fork_rng(devices=[]):
                    return check(answer, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any learner error becomes feedback
                return wrong(f"your answer raised {type(exc).__name__}: {exc}",
                             "try it on a tiny example and print the intermediate values.")

        return run

    return decorate


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
