"""Helpers shared by the test modules (imported by them, not collected): hypothesis settings and
strategies, and the assertion that a checker answered ✗ with a hint."""

from hypothesis import settings
from hypothesis import strategies as st

from convolved.exercises import Feedback


def random_configs(max_examples):
    """``max_examples`` random configurations; conftest.py's profile decides whether they are
    the same every run (CI) or new ones (locally). No deadline: torch's first call can be slow."""
    return settings(max_examples=max_examples, deadline=None)


def int_or_tuple(ndim, values):
    """An int (used for every dimension) or a tuple with one value per dimension."""
    return st.one_of(values, st.tuples(*[values] * ndim))


def per_dim(value, ndim):
    return tuple(value) if isinstance(value, tuple) else (value,) * ndim


def assert_wrong_with_hint(feedback: Feedback, *fragments: str) -> None:
    """The checker said ✗ with a hint (never a traceback), and its text mentions each fragment."""
    assert feedback.status == "wrong" and not feedback
    text = repr(feedback)
    assert text.startswith("✗") and "\n  Hint: " in text and "Traceback" not in text
    for fragment in fragments:
        assert fragment in text, text
