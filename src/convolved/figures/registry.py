"""The figure registry: :func:`figure` registers a drawing function, :func:`build` writes PNGs.

Kept apart from the package's ``__init__`` so that the notebook modules can import
:func:`figure` without importing the package that imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..diagrams import DPI, RC

FIGURES: dict[str, Callable[[], Figure]] = {}
"""Figure name (the PNG file name without extension) → function that draws it."""

ALT_TEXT: dict[str, str] = {}
"""Figure name → alt text (the first paragraph of the drawing function's docstring)."""


def figure(name: str) -> Callable[[Callable[[], Figure]], Callable[[], Figure]]:
    """Register a drawing function as the figure ``images/<name>.png``."""

    def register(func: Callable[[], Figure]) -> Callable[[], Figure]:
        if name in FIGURES:
            raise ValueError(f"figure {name!r} is already registered")
        doc = (func.__doc__ or "").strip()
        if not doc:
            raise ValueError(f"figure {name!r} needs a docstring: it is the figure's alt text")
        FIGURES[name] = func
        ALT_TEXT[name] = " ".join(line.strip() for line in doc.split("\n\n")[0].splitlines())
        return func

    return register


def alt_text(name: str) -> str:
    """The alt text of a registered figure."""
    if name not in ALT_TEXT:
        raise KeyError(f"unknown figure {name!r}; known: {', '.join(sorted(ALT_TEXT))}")
    return ALT_TEXT[name]


# ----------------------------------------------------------------------------------------------
# Building


def render(name: str) -> Figure:
    """Draw one registered figure (inside the course's style context)."""
    if name not in FIGURES:
        raise KeyError(f"unknown figure {name!r}; known: {', '.join(sorted(FIGURES))}")
    with mpl.rc_context(RC):
        fig = FIGURES[name]()
    FigureCanvasAgg(fig)
    return fig


def build(out_dir: str | Path, names: Iterable[str] | None = None) -> list[Path]:
    """Write the figures ``names`` (default: all) as ``out_dir/<name>.png``; return the paths."""
    out_dir = Path(out_dir)
    names = list(FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise KeyError(f"unknown figure(s) {unknown}; known: {', '.join(sorted(FIGURES))}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        with mpl.rc_context(RC):
            fig = render(name)
            path = out_dir / f"{name}.png"
            # No "Software" text chunk and no timestamp: the bytes depend on the drawing only.
            fig.savefig(path, dpi=DPI, format="png", metadata={"Software": None},
                        pil_kwargs={"optimize": True})
        paths.append(path)
    return paths
