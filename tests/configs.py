"""Hypothesis helpers shared by the property tests (imported by test modules, not collected)."""

from hypothesis import settings
from hypothesis import strategies as st


def random_configs(max_examples):
    """Reproducible in CI (derandomize); no deadline, torch's first call can be slow."""
    return settings(max_examples=max_examples, deadline=None, derandomize=True)


def int_or_tuple(ndim, values):
    """An int (used for every dimension) or a tuple with one value per dimension."""
    return st.one_of(values, st.tuples(*[values] * ndim))


def per_dim(value, ndim):
    return tuple(value) if isinstance(value, tuple) else (value,) * ndim
