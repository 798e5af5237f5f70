"""Every figure file of the course, drawn from code: ``python -m convolved.figures OUT_DIR``.

Each figure is a function that returns a :class:`matplotlib.figure.Figure`, registered under its
file name (without ``.png``) by the :func:`figure` decorator. The first paragraph of its
docstring, one sentence saying what the figure shows, is the figure's alt text (:data:`ALT_TEXT`,
:func:`alt_text`). Every number drawn in a figure is computed with :mod:`convolved.ops`, so a
figure cannot show wrong arithmetic.

A notebook shows a figure with a one-line code cell, ``show_figure("02_padding")``
(:func:`show_figure`, in ``show``): its output is the committed PNG file, with the alt text as
its text form. The PNG files are package data (``convolved.images`` is the ``images/`` folder).

One module per notebook (``nb01``, ...) holds that notebook's figures and example data; the
palette, rc context and drawing primitives are in :mod:`convolved.diagrams` (the explorers
draw with them too). The registry and the build are in :mod:`convolved.figures.registry`; this
package imports every notebook module, so importing :mod:`convolved.figures` registers every
figure. The command line is in ``__main__`` (`make images` gives it the repository's
``images/`` folder).

The build is deterministic: fixed sizes and dpi, fixed random seeds, and no metadata text in the
PNG files, so building twice gives byte-identical files (the tests check this against
``images/``; run ``python -m convolved.figures`` and commit the PNGs after changing a figure).
To add a figure, write a function in the module of its notebook and decorate it::

    # in src/convolved/figures/nb02.py
    from .registry import figure
    from ..diagrams import canvas, grid

    @figure("02_padding")
    def padding_figure() -> Figure:
        \"\"\"Zero padding: a 5×5 image framed by zeros, and the output that keeps its size.\"\"\"
        fig, ax = canvas(12, 6)
        ...
        return fig

Then `make images` writes ``images/02_padding.png``, and a cell ``show_figure("02_padding")`` shows
it in the notebook. A new notebook module must also be added to the imports below.
"""

# Import order = build order: each notebook module registers its figures on import.
from . import nb01, nb02, nb04, nb05, nb07  # noqa: F401
from .registry import ALT_TEXT, FIGURES, alt_text, build, figure, render
from .show import FigureFile, show_figure

__all__ = ["ALT_TEXT", "FIGURES", "FigureFile", "alt_text", "build", "figure", "render", "show_figure"]
