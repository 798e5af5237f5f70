"""Drawing ahead: while a browser shows an explorer, the kernel draws the next and previous step of
the control last changed (before any change, of every control) in its idle time, so that those
steps are shown without drawing. The pictures must be the ones a drawing on arrival gives, the
browser must hear nothing of it, and the controls must be left exactly as the learner set them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import ipywidgets as w
import numpy as np
import pytest

from convolved import data, plotting
from convolved.widgets import (
    ConvGeometryExplorer,
    DatasetExplorer,
    KernelExplorer,
    PoolingExplorer,
    TransformExplorer,
    TransposeConvExplorer,
)
from convolved.widgets.base import _first_steps, _steps


def shown_in_a_browser(explorer):
    """Tell ``explorer`` that a browser shows it; inside a coroutine that run() runs, whose event
    loop then draws ahead, as a kernel's explorer draws on the loop it was made in (the thread
    that made it here may have Playwright's loop, running but not turning)."""
    asyncio.get_running_loop()  # raises outside one
    explorer.ahead_delay = 0  # in a test, at once
    explorer._loop = None  # this loop, the running one
    explorer.widget.set_state({"_view_count": 1})  # the message JupyterLab sends for a new view
    return explorer


def run(learner) -> None:
    """Run the coroutine function ``learner`` in an event loop of its own, as a kernel runs its
    widgets' messages, on a thread of its own: this test worker's thread may already have a
    running loop (Playwright's, once the browser tests ran here)."""
    failures = []

    def in_a_loop() -> None:
        try:
            asyncio.run(learner())
        except BaseException as failure:  # noqa: BLE001 - raised again on the test's thread
            failures.append(failure)

    thread = threading.Thread(target=in_a_loop)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


async def idle(explorer) -> None:
    """Let the event loop run until the explorer has drawn what it draws ahead."""
    deadline = time.monotonic() + 30
    await asyncio.sleep(0)
    while explorer._ahead:
        assert time.monotonic() < deadline, "drawing ahead never ran"
        await asyncio.sleep(0.001)


@pytest.fixture()
def sent(monkeypatch):
    """Every message a widget sends to the browser, as (widget type, method, state keys). (Before
    ipywidgets 8.1, a widget without a kernel sends nothing at all, so there this sees nothing.)"""
    messages = []
    send = w.Widget._send

    def recorded(self, msg, buffers=None):
        messages.append((type(self).__name__, msg.get("method"), sorted(msg.get("state", {}))))
        return send(self, msg, buffers)

    monkeypatch.setattr(w.Widget, "_send", recorded)
    return messages


def counting_draws(explorer) -> list:
    """A list that grows by one at each drawing of the explorer's figure (ahead or not)."""
    calls = []
    draw = explorer.draw
    explorer.draw = lambda: (calls.append(1), draw())[1]
    return calls


def the_shown_picture_is_the_drawn_one(explorer) -> None:
    encode = plotting.to_jpeg if explorer.photos else plotting.to_png
    assert bytes(explorer.view.value) == encode(explorer.picture, dpi=explorer.dpi)


# An explorer, the control a learner steps, and its values step by step: each kind of control
# (slider, number box, dropdown, toggle buttons, float slider and box, unbounded number box).
STEPPED = {
    "slider, whose steps change another control's range": (
        lambda: TransposeConvExplorer(size=2, kernel_size=3, stride=2), "input_size", [3, 4, 5, 4, 3]),
    "number box": (lambda: TransposeConvExplorer(size=3), "pixel", [2, 3, 4, 3]),
    "dropdown": (lambda: ConvGeometryExplorer(size=7, kernel_size=3, padding=1),
                 "mode", ["circular", "reflect", "replicate", "reflect"]),  # options: zeros, circular, …
    "photos": (lambda: KernelExplorer(image="camera", size=48), "photo", list(data.IMAGES)[1:4]),
    "toggle buttons and a float slider": (
        lambda: PoolingExplorer(image="camera", size=32), "noise", [0.05, 0.1, 0.15, 0.1]),
    "a dropdown that sets another control's range and value": (
        lambda: TransformExplorer(image="chelsea", transform="RandomRotation", size=48),
        "transform", None),
    "unbounded number box": (lambda: DatasetExplorer(*_digits(), views=3), "seed", [1, 2, 3, 2]),
}


def _digits():
    images, labels = data.digits()
    return images[:50], labels[:50]


@pytest.mark.parametrize("case", STEPPED, ids=list(STEPPED))
def test_a_step_of_the_control_last_changed_is_shown_without_drawing(case):
    """The first step drawn ahead when the explorer was shown, each next one after the step
    before it."""
    make, name, values = STEPPED[case]
    explorer = make()
    control = getattr(explorer, name)
    if values is None:  # a dropdown's next options, in order
        values = list(control.options)[control.index + 1:control.index + 4]
    draws = counting_draws(explorer)

    async def learner() -> None:
        shown_in_a_browser(explorer)
        for value in values:
            await idle(explorer)
            drawn = len(draws)
            control.value = value  # a step: drawn ahead
            assert len(draws) == drawn, f"{name} = {value!r} was drawn on arrival"
        await idle(explorer)

    run(learner)
    the_shown_picture_is_the_drawn_one(explorer)


@pytest.mark.parametrize("case", STEPPED, ids=list(STEPPED))
def test_drawing_ahead_sends_nothing_and_leaves_the_controls_as_they_were(case, sent):
    make, name, values = STEPPED[case]
    explorer = make()
    control = getattr(explorer, name)
    value = values[0] if values else control.options[control.index + 1]

    async def drawn_ahead_unseen() -> None:
        states = [c.get_state() for c in explorer.controls]
        message, before = explorer.message, len(sent)
        await idle(explorer)
        assert sent[before:] == []
        assert [c.get_state() for c in explorer.controls] == states
        assert explorer.message == message

    async def learner() -> None:
        shown_in_a_browser(explorer)
        await drawn_ahead_unseen()  # a step of every control
        control.value = value
        await drawn_ahead_unseen()  # the steps of this one

    run(learner)
    assert len(explorer._kept) >= 2  # the picture shown and at least one step drawn ahead
    the_shown_picture_is_the_drawn_one(explorer)  # its figure was drawn again when asked for


@pytest.mark.parametrize("name", ["photo", "mode", "noise", "kernel_size", "ceil_mode"])
def test_once_shown_a_first_step_of_any_control_is_shown_without_drawing(name):
    """Before any change, the next and previous step of every control are drawn ahead: a
    dropdown of photos, toggle buttons, a float slider, a slider and a checkbox here."""
    explorer = PoolingExplorer(image="camera", size=32)
    explorer.noise.value = 0.1  # a cell's change before the explorer is shown
    draws = counting_draws(explorer)
    control = getattr(explorer, name)

    async def learner() -> None:
        shown_in_a_browser(explorer)
        await idle(explorer)
        ahead = len(draws)
        assert ahead == sum(len(_steps(c, +1)) for c in explorer.controls)  # each step once
        setattr(control, *_steps(control, +1)[0])
        assert len(draws) == ahead, f"the first change of {name} was drawn on arrival"
        await idle(explorer)

    run(learner)
    the_shown_picture_is_the_drawn_one(explorer)


def test_a_jump_is_drawn_when_it_comes_and_is_the_right_picture():
    explorer = TransposeConvExplorer(size=2, kernel_size=3, stride=2)
    draws = counting_draws(explorer)

    async def learner() -> None:
        shown_in_a_browser(explorer)
        explorer.input_size.value = 3
        await idle(explorer)
        drawn = len(draws)
        explorer.input_size.value = 6  # not a step from 3
        assert len(draws) == drawn + 1
        explorer.stride.value = 3  # another control: drawn, and its steps planned instead
        assert len(draws) == drawn + 2
        await idle(explorer)

    run(learner)
    assert explorer.pixel.max == 36
    the_shown_picture_is_the_drawn_one(explorer)


def message_while_drawing_ahead(explorer, widget, message: dict, then: Callable) -> list:
    """When ``explorer`` first draws a picture ahead, ``message`` comes for ``widget`` on another
    thread, as from a kernel subshell, and ``then(thread)`` runs before the picture is drawn.
    Returns a list that will hold the thread."""
    arrived, draw = [], explorer.draw

    def draw_while_a_message_comes():
        if explorer._holding and not arrived:  # drawing ahead
            arrived.append(threading.Thread(target=widget.comm.handle_msg, args=(message,)))
            arrived[0].start()
            then(arrived[0])
        return draw()

    explorer.draw = draw_while_a_message_comes
    return arrived


def update(state: dict) -> dict:
    """The message a browser sends when a learner changes a control."""
    return {"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []}


def applied_when(control) -> threading.Event:
    """An event set when a message's state is applied to ``control``."""
    applied, set_state = threading.Event(), control.set_state
    control.set_state = lambda state: (applied.set(), set_state(state))
    return applied


def test_a_change_that_comes_on_another_thread_while_drawing_ahead_is_kept():
    """JupyterLab may hand widget messages to a kernel subshell: a learner's change can arrive on
    another thread while a picture is drawn ahead with the controls set otherwise. It is applied
    once they are put back, not lost in between."""
    explorer = TransposeConvExplorer(size=2, kernel_size=3, stride=2)
    control, waited = explorer.input_size, []
    applied = applied_when(control)
    # Drawing ahead the next step, M = 4, the message must wait for the controls to be put back:
    # without the lock it would be applied at once (and then undone).
    arrived = message_while_drawing_ahead(explorer, control, update({"value": 4}),
                                          lambda thread: waited.append(not applied.wait(1.0)))

    async def learner() -> None:
        shown_in_a_browser(explorer)
        control.value = 3  # before any picture is drawn ahead: then those of its steps
        await idle(explorer)

    run(learner)
    arrived[0].join()
    assert waited == [True], "the change was applied while the controls were set otherwise"
    assert control.value == 4 and explorer.pixel.max == 16
    the_shown_picture_is_the_drawn_one(explorer)


def test_explorers_draw_one_at_a_time_whichever_thread_asks():
    """Explorers share renderers, fonts and text stamps: a learner's change to one explorer that
    arrives on another thread while another explorer draws ahead waits for that picture."""
    drawing, other = TransposeConvExplorer(size=2, kernel_size=3, stride=2), ConvGeometryExplorer()
    applied, waited = applied_when(other.mode), []
    arrived = message_while_drawing_ahead(drawing, other.mode, update({"index": 1}),
                                          lambda thread: waited.append(not applied.wait(0.5)))

    async def learner() -> None:
        shown_in_a_browser(drawing)
        drawing.input_size.value = 3
        await idle(drawing)

    run(learner)
    arrived[0].join()
    assert waited == [True], "the other explorer's change was applied while a picture was drawn"
    assert other.mode.value == "circular"


def test_a_click_on_another_thread_while_drawing_ahead_is_kept():
    """The same for a button that changes a control (notebook 07's "redraw": the next seed)."""
    explorer = DatasetExplorer(*_digits(), views=3)
    click = {"content": {"data": {"method": "custom", "content": {"event": "click"}}}, "buffers": []}
    # Drawing ahead seed 2, the click comes.
    arrived = message_while_drawing_ahead(explorer, explorer.redraw, click, lambda thread: thread.join(0.5))

    async def learner() -> None:
        shown_in_a_browser(explorer)
        explorer.seed.value = 1  # before any picture is drawn ahead: then those of its steps
        await idle(explorer)

    run(learner)
    arrived[0].join()
    assert explorer.seed.value == 2  # the click's seed + 1, counted from the seed the learner set
    the_shown_picture_is_the_drawn_one(explorer)


def test_nothing_is_drawn_ahead_without_a_browser():
    """papermill, nbval, make bench: no view, so every change is drawn when it comes."""
    explorer = TransposeConvExplorer(size=2, kernel_size=3, stride=2)
    explorer.ahead_delay = 0
    draws = counting_draws(explorer)

    async def notebook() -> None:
        for value in [3, 4, 3, 4]:
            explorer.input_size.value = value
            await asyncio.sleep(0.01)

    run(notebook)
    assert len(draws) == 4 and not explorer._kept


def test_nothing_more_is_drawn_ahead_once_no_browser_shows_the_explorer():
    explorer = TransposeConvExplorer(size=2, kernel_size=3, stride=2)
    draws = counting_draws(explorer)

    async def learner() -> None:
        shown_in_a_browser(explorer)
        explorer.input_size.value = 4  # a jump: drawn, and its steps planned
        explorer.widget.set_state({"_view_count": 0})  # its output cleared, or the notebook closed
        await idle(explorer)

    run(learner)
    assert len(draws) == 1


def test_the_steps_drawn_ahead():
    slider = w.IntSlider(value=4, min=1, max=4)
    assert _steps(slider, +1) == [("value", 3)]  # the end: only back
    slider.value = 2
    assert _steps(slider, -1) == [("value", 1), ("value", 3)]  # on the way it moved first
    noise = w.FloatSlider(value=0.1, min=0, max=0.5, step=0.05)
    assert _steps(noise, +1) == [("value", 0.15), ("value", 0.05)]  # as the browser sends them
    dropdown = w.Dropdown(options=["a", "b", "c"], value="c")
    assert _steps(dropdown, +1) == [("index", 0), ("index", 1)]  # round to the first
    assert _steps(w.Dropdown(options=["a", "b"]), +1) == [("index", 1)]  # the one other option
    assert _steps(w.IntText(value=0), -1) == [("value", -1), ("value", 1)]  # no bounds
    assert _steps(w.Checkbox(value=True), +1) == [("value", False)]
    assert np.isclose(_steps(w.FloatText(value=1.0, step=0.5), +1)[0][1], 1.5)
    # Before any change: every enabled control's next step, then its previous one; boxes last.
    box, off = w.FloatText(value=1.0, step=0.5), w.IntSlider(value=1, max=3, disabled=True)
    on = w.IntSlider(value=1, max=3)
    assert _first_steps([box, dropdown, off, on]) == [
        (dropdown, "index", 0), (on, "value", 2), (dropdown, "index", 1), (on, "value", 0),
        (box, "value", 1.5), (box, "value", 0.5)]
