"""The base class of every explorer: controls, a figure drawn into an image, a saved picture."""

from __future__ import annotations

import base64
import gc
import textwrap
import weakref
from collections.abc import Callable
from contextlib import contextmanager

import ipywidgets as w
from matplotlib.figure import Figure

from .. import diagrams, plotting
from ..training import one_thread
from .render import ExplorerCanvas


class Explorer:
    """Base class of the explorers.

    A subclass creates its controls, passes them (and optionally a layout) to ``__init__``,
    implements ``draw() -> Figure``, and may override ``react(change)`` to keep related controls
    consistent. Every change a learner makes runs ``react`` and then draws the figure exactly once.
    """

    title = "Explorer"
    #: Work worth doing once a learner can interact (such as preparing the photos to switch to),
    #: set by a subclass after ``__init__``. It starts when a browser first shows the explorer,
    #: so that the learner's first change does not share the kernel with it, or at the first
    #: change if the browser does not say. A notebook run without a browser (papermill, nbval,
    #: the tests) never pays for it.
    on_first_view: Callable[[], None] | None = None

    def __init__(self, controls: list[w.Widget], layout: w.Widget | None = None):
        # Every redraw leaves a figure's worth of garbage, and now and then Python's full garbage
        # collection runs during one: it inspects every object alive, torch's and the notebook's,
        # and froze a redraw for 250–300 ms. Objects that exist now are moved out of its sight
        # (gc.freeze), so a collection only looks at what was made since.
        gc.freeze()
        self.controls = list(controls)
        self.message: str | None = None  # why the current settings give no output, if they don't
        self._layouts: dict = {}  # arrangement of the figure's axes → their laid-out positions
        self._figures: dict = {}  # arrangement → the figure last drawn with it (see reuse)
        self._engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # figure → its layout engine
        self.view = w.Image(format="jpeg" if self.photos else "png", layout=w.Layout(max_width="100%"))
        self.picture: Figure | None = None  # the figure of the picture shown
        self.draws = 0  # how many times the figure was drawn
        self._holding = 0
        for control in controls:
            control.observe(self._changed, names="value")
        self.widget = w.VBox([layout or w.HBox(controls), self.view])
        # A browser counts the views it makes of a widget whose _view_count is a number, and
        # tells the kernel: that is how the explorer knows it is being shown.
        self.widget._view_count = 0
        self.widget.observe(lambda change: self._start_first_view_work(), names="_view_count")
        with self.holding():
            self.react(None)

    def draw(self) -> Figure:
        raise NotImplementedError(f"{type(self).__name__} must define draw()")

    def no_output(self, text: str, context: str = "", width: float = 26) -> Figure:
        """The picture that replaces the figure when the settings give no output: the reason,
        in red, under an optional line of context (the settings that led there)."""
        self.message = text
        lines = textwrap.wrap("No output: " + text, int(4.4 * width))  # ~ characters per line
        fig, ax = diagrams.canvas(width, 3 + 0.6 * len(lines), scale=0.34)
        top = 2.2 + 0.6 * len(lines)
        if context:
            diagrams.label(ax, 0.5, top, context, ha="left", size=10)
        diagrams.label(ax, 0.5, top - 0.9, "\n".join(lines), ha="left", va="top", size=10,
                       color=diagrams.COLORS["R"])
        return fig

    def reuse(self, key, make: Callable[[], Figure]) -> Figure:
        """The figure last drawn with this ``key`` (its arrangement of axes and size), emptied
        (:func:`convolved.plotting.clear_pictures`); the first time, the figure ``make()`` returns.

        Making a figure's axes costs more than drawing them, a third to a half of a redraw, and
        an explorer's arrangement rarely changes as a control moves: the axes stay, and only
        what they show is drawn anew.
        """
        if key not in self._figures:
            if len(self._figures) >= 8:  # the few most recent arrangements are enough
                del self._figures[next(iter(self._figures))]
            self._figures[key] = make()
            return self._figures[key]
        return plotting.clear_pictures(self._figures[key])

    def canvas(self, width: float, height: float, scale: float = 0.45):
        """:func:`convolved.diagrams.canvas` of this size: the last picture's canvas, resized.

        A diagram's size follows its controls (a larger input, a longer canvas); resizing the
        figure and setting its limits costs little, where a new figure costs a third of a redraw.
        """
        fig = self.reuse(("canvas", scale), lambda: diagrams.canvas(width, height, scale)[0])
        fig.set_size_inches(width * scale, height * scale)
        ax = fig.axes[0]
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        return fig, ax

    def panels(self, figsize: tuple[float, float], ncols: int, width_ratios=None):
        """A figure of ``figsize`` inches with one row of ``ncols`` axes (constrained layout),
        reused from the last picture of that shape: the figure and its ``ncols`` axes."""
        def make() -> Figure:
            fig = Figure(figsize=figsize, layout="constrained")
            fig.subplots(1, ncols, width_ratios=width_ratios)
            return fig

        fig = self.reuse(("panels", tuple(figsize), ncols, tuple(width_ratios or ())), make)
        return fig, fig.axes[:ncols]

    def react(self, change) -> None:
        """Adjust other controls after ``change`` (None at start); the figure is drawn after.

        Runs for every change, including those it makes itself: make it idempotent.
        """

    def refresh(self) -> None:
        """Draw the figure now, unless controls are being changed inside :meth:`holding`."""
        if not self._holding:
            self.draws += 1
            self.message = None  # set by no_output() when the settings give no picture
            # An explorer's tensors are small: a second thread only adds waiting, 4× the CPU time
            # for notebook 06's rotations on two busy cores.
            with one_thread():
                fig = self._reuse_layout(self.draw())
            ExplorerCanvas(fig)  # to_png and to_jpeg draw on it
            self.picture = fig
            self.view.value = (plotting.to_jpeg if self.photos else plotting.to_png)(fig, dpi=self.dpi)

    dpi = 80
    #: Whether the pictures are mostly photos: they are then sent as JPEG, a third of the PNG's
    #: size, made in a fraction of the time (diagrams and small pictures stay PNG: sharper, smaller).
    photos = False

    def _reuse_layout(self, fig: Figure) -> Figure:
        """Lay the figure out as the last figure with the same axes, if there was one.

        Matplotlib's constrained layout measures every text to place the axes, which costs as
        much as drawing the figure. The explorer's figure keeps its arrangement while a control
        moves, so it is laid out once per arrangement (and width of colour-bar labels) and the
        positions are reused: those of the axes, and of the figure's titles, which the layout
        moves too.
        """
        # A reused figure (see reuse) had its engine switched off here: the one it came with.
        engine = self._engines.get(fig) or fig.get_layout_engine()
        if engine is None:
            return fig
        self._engines[fig] = engine
        key = (tuple(fig.get_size_inches()), tuple(
            ax.get_label() if ax.get_subplotspec() is None else ax.get_subplotspec().get_geometry()
            for ax in fig.axes),
            # A colour bar's labels widen with its range ("1" or "−1.5"): laid out anew when they do.
            tuple(max((len(label.get_text()) for label in ax.get_yticklabels()), default=0)
                  for ax in fig.axes if ax.get_label() == "<colorbar>"))
        titles = [getattr(fig, name, None) for name in ("_suptitle", "_supxlabel", "_supylabel")]
        if key not in self._layouts:
            ExplorerCanvas(fig)  # the layout measures text with the canvas's renderer
            fig.set_dpi(self.dpi)
            for ax in fig.axes:  # set_position below took a reused figure's axes out of layouts
                ax.set_in_layout(True)
            engine.execute(fig)
            self._layouts[key] = ([ax.get_position() for ax in fig.axes],
                                  [title.get_position() if title else None for title in titles])
        fig.set_layout_engine("none")
        positions, title_positions = self._layouts[key]
        for ax, position in zip(fig.axes, positions, strict=True):
            ax.set_position(position)
        for title, position in zip(titles, title_positions, strict=True):
            if title is not None and position is not None:
                title.set_position(position)
        return fig

    @contextmanager
    def holding(self):
        """Change several controls inside ``with explorer.holding():``; the figure is drawn once."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        self.refresh()

    def _changed(self, change) -> None:
        # react() runs for every change, even one made by react() itself or inside holding();
        # the figure is drawn once, when the outermost change is done.
        self._start_first_view_work()
        with self.holding():
            self.react(change)

    def _start_first_view_work(self) -> None:
        if self.on_first_view is not None:
            start, self.on_first_view = self.on_first_view, None
            start()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # What a saved notebook, the website and the slides show: the picture as a PNG.
        png = plotting.to_png(self.picture, dpi=self.dpi) if self.photos else self.view.value
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        bundle["text/plain"] = f"{self.title} (run the cell to interact)"
        return bundle
