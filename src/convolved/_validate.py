"""Argument checks shared by the package: every message names the argument and what is allowed."""

from __future__ import annotations

import numbers
from typing import TypeAlias

import numpy as np

#: A size argument: one int for every spatial dimension, or a tuple with one int per dimension.
IntOrTuple: TypeAlias = int | tuple[int, ...]
#: What the from-scratch operations accept: a NumPy array, a torch tensor or nested lists.
ArrayLike: TypeAlias = "np.ndarray | list | tuple | torch.Tensor"  # noqa: F821 - torch is optional here


def as_int(value, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, refusing bools, floats and anything below ``minimum``."""
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def as_tuple(value, name: str, ndim: int, *, minimum: int | None = None) -> tuple[int, ...]:
    """An int or a tuple with one int per spatial dimension → a tuple of ``ndim`` checked ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != ndim:
            raise ValueError(
                f"{name} must be an int or a tuple of {ndim} ints (one per spatial dimension), "
                f"got {len(value)} values {tuple(value)!r}"
            )
        return tuple(as_int(v, f"{name}[{i}]", minimum=minimum) for i, v in enumerate(value))
    return (as_int(value, name, minimum=minimum),) * ndim


def spatial_ndim(*values) -> tuple[int, bool]:
    """How many spatial dimensions a group of int-or-tuple arguments describes.

    Returns (ndim, was_tuple): the length of the first tuple among ``values`` (1 if they are
    all ints), and whether any was a tuple, so a function can answer in the form it was asked.
    """
    for value in values:
        if isinstance(value, (tuple, list)):
            return len(value), True
    return 1, False


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def as_array(value, name: str, ndims: tuple[int, ...], what: str) -> np.ndarray:
    """Turn ``value`` (NumPy array, torch tensor or nested list) into a float array of allowed ndim."""
    if type(value) is np.ndarray and value.dtype in _FLOATS and value.ndim in ndims:
        return value  # the common case, without the checks below (they cost more than a small conv)
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if not isinstance(value, (np.ndarray, list, tuple)):
        raise TypeError(f"{name} must be a NumPy array or a torch tensor, got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array; its rows have different lengths") from None
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim not in ndims:
        allowed = english_list([str(n) for n in ndims], "or")
        plural = "" if ndims == (1,) else "s"
        raise ValueError(f"{name} must have {allowed} dimension{plural} ({what}), got shape {array.shape}")
    return array.astype(np.float64 if array.dtype == np.float64 else np.float32, copy=False)


def english_list(words: list[str], conjunction: str = "and") -> str:
    """'a', 'a or b', 'a, b or c': a list as a sentence says it.

    >>> english_list(["1", "2", "3"], "or")
    '1, 2 or 3'
    """
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def one_of(value, name: str, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value
