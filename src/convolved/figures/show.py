"""Show a course figure in a notebook: :func:`show_figure` displays the committed PNG file.

A figure is a code cell's output, not a Markdown image link, so that it shows wherever the notebook
is opened: saved in the notebook, it shows on GitHub, on the website and in Colab before anything
runs; run again, it reads the file from the installed package (``convolved.images``, which is the
repository's ``images/`` folder), so Colab, which cannot follow a relative link, shows it too.
"""

from __future__ import annotations

import base64
from collections.abc import Container
from dataclasses import dataclass
from importlib import resources

from .registry import ALT_TEXT


@dataclass(frozen=True, repr=False)
class FigureFile:
    """A course figure as a notebook shows it: the PNG file's bytes and the figure's alt text."""

    name: str
    png: bytes
    alt: str

    def _repr_mimebundle_(self, include: Container[str] | None = None,
                          exclude: Container[str] | None = None) -> dict[str, str]:
        """The picture for Jupyter, and its alt text for anything that shows only text."""
        return {"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.alt}

    def __repr__(self) -> str:
        return f"<figure {self.name}: {self.alt}>"


def show_figure(name: str) -> FigureFile:
    """The course figure ``name`` (a file name in ``images/`` without ``.png``), ready to display.

    The last expression of a cell, it shows as the picture, with the figure's alt text as its
    text form. The PNG is the committed file, not drawn again (`make images` draws them).

    >>> figure = show_figure("02_padding")
    >>> figure.png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", figure.alt.startswith("Padding a 4×4 image")
    (True, True)
    >>> sorted(figure._repr_mimebundle_())
    ['image/png', 'text/plain']
    >>> show_figure("02_pading")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown figure '02_pading'; the figures are: 01_bias_feature_map, ...
    """
    if name not in ALT_TEXT:
        raise ValueError(f"unknown figure {name!r}; the figures are: {', '.join(sorted(ALT_TEXT))}")
    png = resources.files("convolved.images").joinpath(f"{name}.png")
    if not png.is_file():
        raise FileNotFoundError(f"{name}.png is not in images/ (convolved.images): run `make images`")
    return FigureFile(name, png.read_bytes(), ALT_TEXT[name])
