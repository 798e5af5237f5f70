"""Every figure file of the course, drawn from code: ``python -m convolved.figures [OUT_DIR]``.

Each figure is a function that returns a :class:`matplotlib.figure.Figure`, registered under its
file name (without ``.png``) by the :func:`figure` decorator. The first paragraph of its
docstring, one sentence saying what the figure shows, is the figure's alt text (:data:`ALT_TEXT`,
:func:`alt_text`, :func:`markdown`). Every number drawn in a figure is computed with
:mod:`convolved.ops`, so a figure cannot show wrong arithmetic.

One module per notebook (``nb01``, ...) holds that notebook's figures and example data; the
palette, rc context and drawing primitives are in :mod:`convolved.diagrams` (the explorers
draw with them too). This module holds the registry and the build, and imports every notebook
module at its bottom, so importing :mod:`convolved.figures` registers every figure. The command
line is in ``__main__``.

The build is deterministic: fixed sizes and dpi, fixed random seeds, and no metadata text in the
PNG files, so building twice gives byte-identical files (the tests check this against
``images/``; run ``python -m convolved.figures`` and commit the PNGs after changing a figure).
To add a figure, write a function in the module of its notebook and decorate it::

    # in src/convolved/figures/nb02.py
    from . import figure
    from ..diagrams import canvas, grid

    @figure("02_padding")
    def padding_figure() -> Figure:
        \"\"\"Zero padding: a 5×5 image framed by zeros, and the output that keeps its size.\"\"\"
        fig, ax = canvas(12, 6)
        ...
        return fig

A new notebook module must also be added to the imports at the bottom of this file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..diagrams import DPI, RC

__all__ = [
    "ALT_TEXT",
    "DEFAULT_OUT_DIR",
    "FIGURES",
    "alt_text",
    "build",
    "figure",
    "main",  # noqa: F822 - imported on first use by __getattr__ below
    "markdown",
    "render",
]

DEFAULT_OUT_DIR = Path(__file__).resolve().parents[3] / "images"

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


def markdown(name: str, prefix: str = "../images") -> str:
    """The Markdown that embeds a figure in a notebook: ``![alt text](../images/NAME.png)``."""
    return f"![{alt_text(name)}]({prefix}/{name}.png)"


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


def build(out_dir: str | Path = DEFAULT_OUT_DIR, names: Iterable[str] | None = None) -> list[Path]:
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


def __getattr__(name: str):
    # ``main`` lives in ``__main__`` and is imported on first use: importing ``__main__`` here
    # would make ``python -m convolved.figures`` warn that the module was already imported.
    if name == "main":
        from .__main__ import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------------------------------------
# The figures of each notebook register themselves on import; the registry above must exist
# first, since each module imports :func:`figure` from this package. Order = build order.

from . import nb01, nb02, nb04, nb05, nb07  # noqa: E402, F401
