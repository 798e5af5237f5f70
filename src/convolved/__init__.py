"""Convolved: helpers for a hands-on course on convolution for deep learning.

The torch-free core (NumPy only): ``_validate`` (argument checks), ``shapes`` (output sizes,
receptive fields, costs), ``ops`` (convolution and pooling from scratch), ``kernels`` and
``transpose``. Everything else builds on torch, matplotlib or ipywidgets: ``data``, ``plotting``,
``diagrams``, ``training``, ``models``, ``transforms``, ``datasets``, the explorers in
``widgets``, the checkers in ``exercises`` and the figures in ``figures``.

Importing ``convolved`` checks the installed versions against the floors in pyproject.toml (read
back from the installed package's metadata, so they are written once): a version too old for the
course stops the notebook's setup cell with one clear line, not a traceback deep inside a cell.
It also asks PyTorch and MKL for the arithmetic that gives the same numbers on every x86 machine
(see :func:`_same_numbers_on_every_x86_machine`).
"""

import os as _os
import re as _re
from importlib import metadata as _metadata


def _has_avx2() -> bool:
    """Whether this processor runs AVX2 instructions, as NumPy's CPU detection found."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy 1
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return False
    return bool(__cpu_features__.get("AVX2"))


def _same_numbers_on_every_x86_machine() -> None:
    """Use PyTorch's AVX2 kernels and MKL's AVX2 code on every processor that has AVX2.

    A float sum's last bits depend on the order in which it is added up, and PyTorch's CPU
    kernels add in chunks as wide as the processor's vectors: 16 floats with AVX-512, 8 with AVX2.
    After a few hundred training steps those bits become another model: notebook 07's network
    was right on 78.6 % of the held-out digits after one epoch with AVX-512 kernels and 75.8 %
    with AVX2's. AVX2 is what x86 processors of the last decade share. Both settings are read
    when torch first computes, after this import; a learner's own setting of either is kept.
    Threads and oneDNN's kernels are seen to where the course trains (training.one_thread).
    """
    if _has_avx2():
        _os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
        _os.environ.setdefault("MKL_CBWR", "AVX2")


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of a version string: "2.4.0+cu121" → (2, 4, 0), "2.5.0a0" → (2, 5, 0)."""
    match = _re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in match[0].split(".")) if match else ()


def _older(found: str, floor: str) -> bool:
    found_release, floor_release = _release(found), _release(floor)
    width = max(len(found_release), len(floor_release))
    pad = (0,) * width
    return (found_release + pad)[:width] < (floor_release + pad)[:width]


def _version(name: str) -> str:
    """The installed version of distribution ``name``, read off the head of its METADATA file:
    ten times faster than ``importlib.metadata.version``, which parses all of it (torch's is long)."""
    distribution = _metadata.distribution(name)
    head = (distribution.read_text("METADATA") or "").split("\n\n", 1)[0]
    match = _re.search(r"^Version:[ \t]*(\S+)", head, _re.MULTILINE)
    return match[1] if match else distribution.version


def _too_old() -> list[tuple[str, str, str]]:
    """(name, floor, found) for every ``name>=floor`` requirement of the installed package that an
    older version installed does not meet. Nothing when convolved runs from a source tree without
    being installed, or a dependency has no metadata (importing it then fails with its own message)."""
    try:
        requirements = _metadata.requires("convolved") or []
    except _metadata.PackageNotFoundError:
        return []
    result = []
    for requirement in requirements:
        match = _re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([0-9][0-9.]*)\s*", requirement)
        if not match:  # an extra's requirement ("x; extra == ...") or another form: no floor here
            continue
        name, floor = match.groups()
        try:
            found = _version(name)
        except _metadata.PackageNotFoundError:
            continue
        if _older(found, floor):
            result.append((name, floor, found))
    return result


def _check_versions() -> None:
    """Raise ImportError naming each package too old for the course, and the command that fixes it."""
    too_old = _too_old()
    if too_old:
        needs = " and ".join(f"{name} >= {floor} (found {found})" for name, floor, found in too_old)
        command = " ".join(f"'{name}>={floor}'" for name, floor, _ in too_old)
        raise ImportError(f"Convolved needs {needs}: pip install -U {command}, then restart the kernel")


_check_versions()
_same_numbers_on_every_x86_machine()
