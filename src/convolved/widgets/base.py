"""The base class of every explorer: controls, a figure drawn into an image, a saved picture."""

from __future__ import annotations

import asyncio
import base64
import gc
import textwrap
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack, contextmanager

import ipywidgets as w
from matplotlib.figure import Figure

from .. import diagrams, plotting
from ..training import one_thread
from .render import ExplorerCanvas


class Explorer:
    """Base class of the explorers.

    A subclass creates its controls, passes them (and optionally a layout) to ``__init__``,
    implements ``draw() -> Figure``, and may override ``react(change)`` to keep related controls
    consistent. Every change a learner makes runs ``react`` and then shows one new picture: drawn
    then, or, for a step of the control changed last (or, before any change, of any control),
    drawn ahead while a browser showed the explorer (see "Drawing ahead" below). ``draw`` must
    depend on the controls' values only.
    """

    title = "Explorer"
    #: Held while an explorer changes or draws: JupyterLab may hand widget messages to a kernel
    #: subshell, another thread than the one running cells and drawing ahead. One lock for every
    #: explorer, as they draw with shared renderers, fonts and text stamps (render.py), which
    #: two threads must not use at once.
    _lock = threading.RLock()
    #: Work worth doing once a learner can interact (such as preparing the photos to switch to),
    #: set by a subclass after ``__init__``. It starts when a browser first shows the explorer,
    #: so that the learner's first change does not share the kernel with it, or at the first
    #: change if the browser does not say. A notebook run without a browser (papermill, nbval,
    #: the tests) never pays for it.
    on_first_view: Callable[[], None] | None = None
    #: Seconds after a change before the pictures of the likely next ones are drawn (see
    #: :meth:`_plan_ahead`): by then the browser has shown the change's picture, so drawing ahead
    #: does not take a core from it; and a learner's next step usually comes later than that.
    ahead_delay = 0.15

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
        self._picture: Figure | None = None  # the figure of the picture shown (see picture)
        self._picture_stale = False  # whether drawing ahead has drawn other pictures into it
        self.draws = 0  # how many pictures were shown: one per change
        self._holding = 0
        # Drawing ahead (only while a browser shows the explorer): the pictures of settings,
        # shown or drawn ahead, by the controls' values; the control last changed and the way it
        # moved; the current plan (a number, and the steps it has left to draw); whether
        # controls are being put back after a trial.
        self._kept: OrderedDict = OrderedDict()
        self._last: tuple[w.Widget, int] | None = None
        self._plan, self._ahead = 0, []
        self._restoring = False
        # Where pictures are drawn ahead: the event loop of the thread that runs the notebook's
        # cells (the one making the explorer), so that drawing ahead never runs beside a cell
        # (it sets torch's threads and random state for a moment). None outside a kernel.
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        for control in controls:
            control.observe(self._changed, names="value")
        self.widget = w.VBox([layout or w.HBox(controls), self.view])
        # Each message to the explorer's widgets (controls, buttons) is handled under the lock,
        # which a picture drawn ahead holds while it changes the controls and puts them back.
        for widget in _widgets_in(self.widget):
            if widget.comm is not None:
                widget.comm.on_msg(self._locked(widget._handle_msg))
        # A browser counts the views it makes of a widget whose _view_count is a number, and
        # tells the kernel: that is how the explorer knows it is being shown.
        self.widget._view_count = 0
        self.widget.observe(self._views_changed, names="_view_count")
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
        """Show the picture of the controls' settings now, unless controls are being changed
        inside :meth:`holding`: drawn now, or kept from drawing ahead."""
        if self._holding:
            return
        with self._lock:
            self.draws += 1
            settings = self._settings()
            kept = self._kept.pop(settings, None)
            if kept is None:
                fig = self._figure()
                kept = (self._encode(fig), self.message)
                self._picture, self._picture_stale = fig, False
            else:
                self._picture_stale = True  # drawn when asked for (picture)
            if self._viewed():  # going back a step is then instant too
                self._keep(settings, kept)
            self.view.value, self.message = kept
            self._plan_ahead()

    @property
    def picture(self) -> Figure | None:
        """The figure of the picture shown (drawn again if it was reused to draw ahead). The
        explorer draws its next pictures into it: take from it what you need at once."""
        with self._lock:
            if self._picture_stale:
                self._picture, self._picture_stale = self._figure(), False
            return self._picture

    def _figure(self) -> Figure:
        """The figure of the controls' settings, drawn; ``message`` says why if it is empty."""
        self.message = None  # set by no_output() when the settings give no picture
        # An explorer's tensors are small: a second thread only adds waiting, 4× the CPU time
        # for notebook 06's rotations on two busy cores.
        with one_thread():
            fig = self._reuse_layout(self.draw())
        ExplorerCanvas(fig)  # to_png and to_jpeg draw on it
        return fig

    def _encode(self, fig: Figure) -> bytes:
        return (plotting.to_jpeg if self.photos else plotting.to_png)(fig, dpi=self.dpi)

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
        if self._restoring:  # controls put back as they were after drawing ahead
            return
        if not self._holding:  # a learner's change (or the notebook's), not react()'s
            self._last = (change["owner"], _direction(change))
        self._start_first_view_work()
        with self.holding():
            self.react(change)

    # Drawing ahead. In a browser a learner mostly steps a control: a slider or a number box one
    # step with the arrow keys, a dropdown to the next option. While they look at a change's
    # picture, the kernel is idle: it draws the pictures of the next and the previous step of the
    # control they changed (once the explorer is shown, before any change, those of every
    # control), so that those steps are answered without drawing (the browser's own
    # work, JupyterLab's and ipywidgets', then is all the learner waits for). Other changes are
    # drawn when they come, as before. Nothing of this is sent to the browser, and without one
    # (papermill, nbval, the tests, make bench) nothing is drawn ahead.

    def _viewed(self) -> bool:
        views = self.widget._view_count
        return isinstance(views, int) and views > 0

    def _settings(self) -> tuple | None:
        """The controls' values: what a picture depends on (None if they cannot be a key)."""
        settings = tuple(control.value for control in self.controls)
        try:
            hash(settings)
        except TypeError:
            return None
        return settings

    def _keep(self, settings: tuple | None, picture: tuple[bytes, str | None]) -> None:
        if settings is not None:
            self._kept[settings] = picture
            self._kept.move_to_end(settings)
            while len(self._kept) > 32:  # a step each way of every control (notebook 01 has 11)
                self._kept.popitem(last=False)

    def _plan_ahead(self, every_control: bool = False) -> None:
        """Plan drawing the next and previous steps of the control last changed, once the learner
        has the picture (``ahead_delay``); when the explorer is first shown (``every_control``),
        or before any change, a step each way of every control (:func:`_first_steps`). A new
        plan replaces the one before."""
        with self._lock:
            self._plan += 1
            self._ahead = []
            if not self._viewed():
                return
            loop = self._loop
            if loop is None:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:  # not in an event loop: nothing can run later
                    return
            if self._last is not None and not every_control:
                control, direction = self._last
                self._ahead = [(control, name, value) for name, value in _steps(control, direction)]
            else:  # a learner's first change, whichever control it is, is answered at once too
                self._ahead = _first_steps(self.controls)
            if not self._ahead:
                return
            plan = self._plan
            try:
                loop.call_soon_threadsafe(loop.call_later, self.ahead_delay, self._draw_ahead, plan)
            except RuntimeError:  # that loop is closed
                self._ahead = []

    def _locked(self, handle: Callable[[dict], None]) -> Callable[[dict], None]:
        def handle_locked(message: dict) -> None:
            with self._lock:
                handle(message)
        return handle_locked

    def _draw_ahead(self, plan: int) -> None:
        """Draw the next step of ``plan``, unless a newer plan replaced it, then schedule the
        rest: one picture per turn of the event loop, so that a learner's change waits for one
        at most."""
        with self._lock:
            if plan != self._plan or not self._ahead:  # a newer plan replaced it
                return
            if not self._viewed():  # no browser shows the explorer any more
                self._ahead = []
                return
            control, name, value = self._ahead.pop(0)
            try:
                self._try(control, name, value)
            except BaseException:
                self._ahead = []  # reported by the event loop; this plan stops
                raise
            if not self._ahead:
                return
        asyncio.get_running_loop().call_soon(self._draw_ahead, plan)

    def _try(self, control: w.Widget, name: str, value) -> None:
        """Keep the picture the controls would show after ``control.<name> = value``, then put
        every control back as it was; the browser hears of none of it."""
        saved = [(c, {key: getattr(c, key) for key in c.keys}) for c in self.controls]
        shown_message = self.message
        with ExitStack() as held:
            for c in self.controls:
                held.enter_context(c.hold_sync())  # what would be sent is collected, not sent
            self._holding += 1  # react() runs as for a learner's change; nothing is shown
            try:
                setattr(control, name, value)
                settings = self._settings()
                if settings is not None and settings not in self._kept:
                    fig = self._figure()
                    self._picture_stale = True  # the shown picture's figure may have been reused
                    self._keep(settings, (self._encode(fig), self.message))
            finally:
                self._restoring = True
                try:
                    for c, state in saved:
                        changed = {key: old for key, old in state.items() if not _same(getattr(c, key), old)}
                        with c.hold_trait_notifications():  # validated together, as they were
                            for key, old in changed.items():
                                setattr(c, key, old)
                finally:
                    self._restoring = False
                    self._holding -= 1
                    self.message = shown_message
                    for c in self.controls:
                        c._states_to_send.clear()  # the controls are as the browser shows them

    def _views_changed(self, change) -> None:
        self._start_first_view_work()
        if not change["old"] and self._viewed():  # shown now: draw what a first change may ask for
            self._plan_ahead(every_control=True)

    def _start_first_view_work(self) -> None:
        if self.on_first_view is not None:
            start, self.on_first_view = self.on_first_view, None
            start()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # What a saved notebook, the website and the slides show: the picture as a PNG.
        with self._lock:
            png = plotting.to_png(self.picture, dpi=self.dpi) if self.photos else self.view.value
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        bundle["text/plain"] = f"{self.title} (run the cell to interact)"
        return bundle


_CHOICES = (w.Dropdown, w.ToggleButtons, w.RadioButtons, w.Select)  # one option of several
_BOXES = (w.IntText, w.FloatText, w.BoundedIntText, w.BoundedFloatText)  # number boxes


def _widgets_in(widget: w.Widget) -> list[w.Widget]:
    """``widget`` and every widget inside it (a box's children, theirs, and so on)."""
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += _widgets_in(child)
    return found


def _direction(change) -> int:
    """+1 if a control's change moved it forward (a larger number, a later option), else −1."""
    owner, old, new = change["owner"], change["old"], change["new"]
    if isinstance(owner, _CHOICES):
        values = [option[1] if isinstance(option, tuple) else option for option in owner.options]
        if old in values and new in values:
            return 1 if values.index(new) >= values.index(old) else -1
        return 1
    try:
        return 1 if new >= old else -1
    except TypeError:
        return 1


def _steps(control: w.Widget, direction: int) -> list[tuple[str, object]]:
    """The learner's likeliest next changes of ``control``, as (trait, value): one step on in
    the ``direction`` it last moved, then one step back; none that leave its range. A
    checkbox's one change is to tick or untick it."""
    if isinstance(control, _CHOICES):
        count, index = len(control.options), control.index
        if index is None or count < 2:
            return []
        return [("index", (index + direction) % count), ("index", (index - direction) % count)][:count - 1]
    value = control.value
    if isinstance(value, bool):  # a checkbox: ticked or not
        return [("value", not value)]
    if not isinstance(value, (int, float)):
        return []
    step = getattr(control, "step", None) or 1
    low, high = getattr(control, "min", None), getattr(control, "max", None)
    steps = []
    for sign in (direction, -direction):
        new = value + sign * step
        new = round(new, 10) if isinstance(new, float) else new  # 0.1 + 0.05 is 0.15, as the browser sends
        if (low is None or new >= low) and (high is None or new <= high):
            steps.append(("value", new))
    return steps


def _first_steps(controls: list[w.Widget]) -> list[tuple[w.Widget, str, object]]:
    """What to draw ahead before any change, as (control, trait, value): the next step of each
    enabled control, then its previous one; number boxes after the others, as learners mostly
    type into them rather than step them."""
    enabled = [c for c in controls if not getattr(c, "disabled", False)]
    planned = []
    for boxes in (False, True):
        steps = [(c, _steps(c, +1)) for c in enabled if isinstance(c, _BOXES) == boxes]
        planned += [(c, *each[way]) for way in (0, 1) for c, each in steps if len(each) > way]
    return planned


def _same(a, b) -> bool:
    """Whether a control's trait still has the value it had (``==``, or the same object)."""
    try:
        return a is b or bool(a == b)
    except (TypeError, ValueError):  # arrays compare element by element
        return False
