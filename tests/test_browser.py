"""The learner's experience in a real browser: JupyterLab + Chromium, every notebook, Run All.

Starts JupyterLab from this venv on 127.0.0.1 with a token, in a temporary root with its own
Jupyter config, runtime and settings folders; drives Debian's Chromium through Playwright (no
browser download). In one JupyterLab page, as a learner works, every notebook in turn: open it
(File ▸ Open from Path), run all cells, wait for the kernel (through the server's API), assert
that no cell failed and that the outputs JupyterLab saved equal the committed ones (kernels here
run with one thread; tests/test_offline.py checks the learner's default thread count), that the
explorer rendered, and that changing each kind of control it has changes its picture. Six
changes of one control are timed, as a learner sees them (build/browser-latency.json, and
printed). Run on its own (`pytest tests/test_browser.py`), the module also times six changes of
a widget that draws nothing: the floor, what JupyterLab, Chromium and ipywidgets take on this
machine at this time. A screenshot per notebook goes to build/screenshots/ for a person to look
at. Without Chromium or Playwright the tests skip with the reason, except under CI=true, where
they fail: CI must always run them (.ci/run installs Chromium).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium flags for a headless run as root on a machine without a network or a GPU.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
RUN_ALL_TIMEOUT_MS = 120_000
LATENCY = ROOT / "build" / "browser-latency.json"
CHANGES = 6  # control changes timed per explorer
VOLATILE = "nbval-ignore-output"
# The masks strict nbval applies (tests/nbval_sanitize.cfg): regex line, then replace line.
_SANITIZE = [line.split(":", 1)[1].strip() for line in
             (ROOT / "tests" / "nbval_sanitize.cfg").read_text().splitlines()
             if line.startswith(("regex:", "replace:"))]
SANITIZE = list(zip(_SANITIZE[::2], _SANITIZE[1::2], strict=True))

# One worker runs every test here (pytest-xdist --dist loadgroup): one server, one browser.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def unavailable(reason: str):
    """Skip with the reason; under CI=true a missing browser is a failure, not a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop a process we started, and its process group, by PID: politely, then firmly."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_url(url: str, process: subprocess.Popen, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start")
            time.sleep(0.3)


@pytest.fixture(scope="session")  # one per worker, even if it interleaves modules
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the course; stopped by its process group at the end."""
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    base = tmp_path_factory.mktemp("lab")
    course = base / "course"
    for folder in ("notebooks", "images"):
        shutil.copytree(ROOT / folder, course / folder)
    # JupyterLab's own defaults, as a learner has them (its default windowing mode keeps every cell
    # in the page and skips drawing those out of view), but no news pop-up.
    news = base / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port, token = free_port(), os.urandom(16).hex()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(base / "config"),
           "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           # The second thread count whose outputs are compared with the committed ones.
           "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = (base / "server.log").open("w")
    # Its own process group, stopped by PID below; the server shuts its kernels down as it stops
    # (and each test already stops its notebook's kernel through the API).
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{url}/api/status?token={token}", server, "JupyterLab (see its log in "
                     f"{base / 'server.log'})")
        yield url, token
    finally:
        stop(server)
        log.close()


@contextlib.contextmanager
def chromium(profile: Path):
    """Debian's Chromium, started and stopped by us (by PID), driven by Playwright over CDP."""
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed")
    port = free_port()
    process = subprocess.Popen(
        [CHROMIUM, "--headless=new", f"--remote-debugging-port={port}",
         "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}", *CHROMIUM_ARGS,
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_url(f"http://127.0.0.1:{port}/json/version", process, "Chromium")
        with sync_playwright() as playwright:
            yield playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
    finally:
        stop(process)


@pytest.fixture(scope="session")  # one per worker, even if it interleaves modules
def browser(lab, tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as connected:
        yield connected


class LabPage:
    """One JupyterLab page in which the tests open one notebook after another, as a learner does.

    Starting JupyterLab in a new page costs Chromium about 3.5 s of CPU, the biggest part of
    opening a notebook, so the page is started once. After a failure it is closed: the next
    test starts a fresh one, not a page in an unknown state.
    """

    def __init__(self, browser, url: str, token: str):
        self.browser, self.url, self.token = browser, url, token
        self._page = None

    def page(self):
        if self._page is None:
            page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
            try:
                page.goto(f"{self.url}/lab?reset&token={self.token}")  # ?reset: a fresh workspace
                page.get_by_role("menuitem", name="File", exact=True).wait_for()
            except BaseException:
                page.close()  # a JupyterLab that did not start is not kept for the next test
                raise
            self._page = page
        return self._page

    def open(self, path: str):
        """The page with only the notebook at ``path`` (relative to the server's root) open."""
        page = self.page()
        self.close_all()
        menu(page, "File", "Open from Path…")
        page.get_by_placeholder("/path/relative/to/jlab/root").fill(path)
        page.keyboard.press("Enter")
        return page

    def close_all(self) -> None:
        """Close every tab of the page, if there is one; unsaved changes are discarded."""
        if self._page is None:
            return
        page = self._page
        menu(page, "File", "Close All Tabs")
        while True:
            page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel') || "
                                   "document.querySelector('.jp-Dialog')", polling=100)
            dialog = page.locator(".jp-Dialog")
            if not dialog.count():
                return
            dialog.get_by_role("button", name="Discard").click()  # "Save your work?"
            dialog.wait_for(state="detached")

    def discard(self) -> None:
        """Close the page (after a failure): the next notebook opens in a new one."""
        if self._page is not None:
            page, self._page = self._page, None
            page.close()


@pytest.fixture(scope="session")
def lab_page(lab, browser):
    opened = LabPage(browser, *lab)
    yield opened
    opened.discard()


def menu(page, top: str, item: str) -> None:
    page.get_by_role("menuitem", name=top, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def api(url: str, token: str, path: str, method: str = "GET", body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/api/{path}?token={token}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def wait_for_idle_kernel(url: str, token: str, notebook: str, seconds: float = 60) -> None:
    """Poll the server's sessions API until this notebook's kernel reports "idle"."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        states = [session["kernel"]["execution_state"] for session in api(url, token, "sessions")
                  if session["path"].endswith(notebook)]
        if states and all(state == "idle" for state in states):
            return
        time.sleep(0.2)
    pytest.fail(f"the kernel of {notebook} did not become idle in {seconds:.0f} s")


def run_all(page, url: str, token: str, notebook: str) -> None:
    """Clear the committed outputs, Run All Cells, and wait until every code cell has run."""
    page.locator(".jp-Notebook").wait_for()
    page.wait_for_function("() => document.querySelector('.jp-Notebook .jp-CodeCell')")
    wait_for_idle_kernel(url, token, notebook)  # the kernel is up
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".every(p => !/\\d/.test(p.textContent))")
    menu(page, "Run", "Run All Cells")
    # Done when every cell has run, or as soon as one fails (Run All stops there).
    page.wait_for_function(
        """() => {
            const failed = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
            if (document.querySelector(failed)) return true;
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=RUN_ALL_TIMEOUT_MS,
    )
    wait_for_idle_kernel(url, token, notebook)


def explorer_picture(panel):
    """The first explorer: a widget box holding controls and an image."""
    return panel.locator(".jp-OutputArea-output .widget-vbox:has(img)").first


# The kinds of control an explorer has, found by the element a learner works with.
CONTROLS = {"dropdown": "select", "slider": ".noUi-handle", "number box": "input[type=number]"}


def step(control, kind: str) -> None:
    """Change one control as a learner does: a dropdown to its next option; a slider one step
    with the arrow keys, a number box one step with its arrow keys (away from the end it is at)."""
    if kind == "dropdown":
        count = control.locator("option").count()
        control.select_option(index=(control.evaluate("select => select.selectedIndex") + 1) % count)
        return
    # A number box without bounds (a seed) has no end: its max attribute is empty.
    at_end = control.evaluate("c => { const end = c.getAttribute('aria-valuemax') ?? c.max; "
                              "return end !== '' && "
                              "Number(c.getAttribute('aria-valuenow') ?? c.value) >= Number(end); }")
    control.focus()
    if kind == "slider":
        control.press("ArrowLeft" if at_end else "ArrowRight")
    else:
        control.press("ArrowDown" if at_end else "ArrowUp")


def change_one_control(explorer) -> None:
    """The control that is timed: the explorer's first dropdown, or else its first slider."""
    kind = "dropdown" if explorer.locator(CONTROLS["dropdown"]).count() else "slider"
    step(explorer.locator(CONTROLS[kind]).first, kind)


# Timed in the page, as a learner sees it: from the input event's time stamp until the frame that
# shows the new picture has been painted (decoded, then the next animation frame; a task queued
# from it runs after that frame's paint). Playwright's own work around a change (finding the
# control, its actionability checks, a round trip per call) and the polling that waits for the
# result are not the learner's wait, and are left out.
WATCH_PICTURE = """box => {
    const img = box.querySelector('img');
    box.latencies = [];
    let start = null;
    for (const type of ['input', 'change', 'keydown']) {
        box.addEventListener(type, event => { start ??= event.timeStamp; }, true);
    }
    new MutationObserver(() => {
        if (start === null) return;
        const t0 = start;
        start = null;
        img.decode().catch(() => {}).then(() => requestAnimationFrame(() => setTimeout(
            () => box.latencies.push(performance.now() - t0))));
    }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def new_picture_after(page, box, change, what: str) -> None:
    """Run ``change()`` and wait until the explorer ``box`` (watched by WATCH_PICTURE) shows a
    new picture; fail, saying ``what`` was changed, if none comes."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    seen = box.evaluate("box => box.latencies.length")
    change()
    try:
        # Checked every 100 ms, not at every frame: a page that animates would take CPU from
        # the kernel that draws the picture (two cores here).
        page.wait_for_function("([box, seen]) => box.latencies.length > seen", arg=[box, seen],
                               polling=100, timeout=30_000)
    except PlaywrightTimeout:
        pytest.fail(f"changing {what} did not change the explorer's picture")


def timed_changes(page, explorer, count: int = CHANGES) -> list[float]:
    """Change a control ``count`` times; for each, the seconds until the new picture was shown."""
    box = explorer.element_handle()
    box.evaluate(WATCH_PICTURE)
    for _ in range(count):
        new_picture_after(page, box, lambda: change_one_control(explorer), "the timed control")
    return [ms / 1e3 for ms in box.evaluate("box => box.latencies")]


def every_kind_of_control_redraws(page, explorer) -> None:
    """Change the first control of each kind the explorer has; each must bring a new picture."""
    box = explorer.element_handle()  # watched since timed_changes
    for kind, selector in CONTROLS.items():
        if explorer.locator(selector).count():
            control = explorer.locator(selector).first
            new_picture_after(page, box, lambda control=control, kind=kind: step(control, kind),
                              f"the first {kind}")


def record_latency(notebook: str, times: list[float]) -> None:
    """Record the changes' latencies: median and worst over all, and the first on its own (the
    kernel drew it ahead once the explorer was shown, the steps after it once the change before
    came: convolved.widgets.base.Explorer)."""
    results = json.loads(LATENCY.read_text()) if LATENCY.exists() else {}
    results[notebook] = {"median_ms": statistics.median(times) * 1e3, "worst_ms": max(times) * 1e3,
                         "first_ms": times[0] * 1e3}
    LATENCY.parent.mkdir(parents=True, exist_ok=True)
    LATENCY.write_text(json.dumps(results, indent=2, sort_keys=True))
    print(f"{notebook}: a change seen in the browser {results[notebook]['median_ms']:.0f} ms "
          f"median, {results[notebook]['worst_ms']:.0f} ms worst over {len(times)} changes "
          f"(the first {results[notebook]['first_ms']:.0f} ms)")


def comparable_outputs(nb) -> list[tuple[str, list[str]]]:
    """Each non-volatile code cell's text outputs as a person reads them: streams merged, carriage
    returns applied (a progress bar's last state), nbval's masks applied."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code" or VOLATILE in cell.metadata.get("tags", []):
            continue
        texts, stream = [], ""
        for output in cell.outputs:
            if output.output_type == "stream":
                stream += output.text
                continue
            texts.append(output.get("data", {}).get("text/plain", "") or output.get("evalue", ""))
        lines = [line.split("\r")[-1] for line in stream.split("\n")]
        texts.insert(0, "\n".join(lines))
        for pattern, replacement in SANITIZE:
            texts = [re.sub(pattern, replacement, text) for text in texts]
        cells.append((cell.source, texts))
    return cells


def saved_notebook(page, url: str, token: str, path: Path):
    """Save the notebook in JupyterLab and read back what it wrote, through the contents API."""
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    model = api(url, token, f"contents/notebooks/{urllib.parse.quote(path.name)}")
    return nbformat.from_dict(model["content"])


def shut_down_kernels(url: str, token: str) -> None:
    """Stop the notebook's kernel through the server's API (seven idle kernels add up)."""
    for session in api(url, token, "sessions"):
        try:
            api(url, token, f"sessions/{session['id']}", method="DELETE")
        except urllib.error.HTTPError as error:
            # Already gone between the listing and the request: what the clean-up wants.
            if error.code != 404:
                raise


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(lab, lab_page, path):
    url, token = lab
    errors, page, passed = [], None, False

    def record(error) -> None:
        errors.append(str(error))

    try:
        page = lab_page.page()
        page.on("pageerror", record)
        lab_page.open(f"notebooks/{path.name}")
        run_all(page, url, token, path.name)
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        failed = panel.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert failed.count() == 0, failed.first.inner_text()[:2000]
        committed = comparable_outputs(nbformat.read(path, as_version=4))
        in_lab = comparable_outputs(saved_notebook(page, url, token, path))
        for (source, expected), (_, seen) in zip(committed, in_lab, strict=True):
            assert seen == expected, f"outputs in JupyterLab differ from the committed ones:\n{source[:300]}"
        explorer = explorer_picture(panel)
        explorer.wait_for(timeout=30_000)
        assert explorer.locator(".widget-slider, .widget-dropdown, .widget-text").count() > 0
        explorer.scroll_into_view_if_needed()
        record_latency(path.stem, timed_changes(page, explorer))
        every_kind_of_control_redraws(page, explorer)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{path.stem}.png"))
        # Closed while its errors still count: closing a notebook must not fail either.
        lab_page.close_all()
        assert not errors, errors
        passed = True
    except BaseException:
        try:
            if page is not None and not page.is_closed():  # what the page looked like, for a person
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"{path.stem}-failed.png"), full_page=True)
        finally:
            lab_page.discard()
        raise
    finally:
        # A failing clean-up must not hide the test's own failure: report it only after a pass.
        cleanup_errors = []
        for clean_up in (lambda: page and page.remove_listener("pageerror", record),
                         lambda: shut_down_kernels(url, token)):
            try:
                clean_up()
            except Exception as error:  # noqa: BLE001 - collected, reported below
                cleanup_errors.append(repr(error))
        if passed and cleanup_errors:
            pytest.fail(f"clean-up failed: {cleanup_errors}")


# A slider that shows one of ten pictures made in advance, as large as notebook 04's: what a
# change costs JupyterLab, Chromium and ipywidgets on this machine, with no drawing at all.
FLOOR_CELL = """\
import io

import ipywidgets as w
import numpy as np
from PIL import Image

rows, columns = np.mgrid[0:490, 0:734]
pictures = []
for shade in range(10):
    stripes = ((rows // 27 + columns // 27 + shade) % 2 * 40 + 200).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(np.stack([stripes] * 3, axis=-1)).save(buffer, "PNG", compress_level=1)
    pictures.append(buffer.getvalue())
slider = w.IntSlider(value=1, min=0, max=9, continuous_update=False)
view = w.Image(value=pictures[1], format="png")
slider.observe(lambda change: setattr(view, "value", pictures[change["new"]]), names="value")
w.VBox([slider, view])
"""


@pytest.mark.floor  # a tenth of this worker's time: measured when the module runs on its own
def test_the_round_trip_floor(lab, lab_page):
    """The latency of a widget that draws nothing: the part of an explorer's latency that is
    JupyterLab's, Chromium's and ipywidgets', measured in the same run (the machine's speed
    drifts), and recorded beside the explorers' as "floor"."""
    url, token = lab
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    api(url, token, "contents/floor.ipynb", method="PUT",
        body={"type": "notebook", "format": "json", "content": notebook})
    try:
        page = lab_page.open("floor.ipynb")
        run_all(page, url, token, "floor.ipynb")
        explorer = explorer_picture(page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)"))
        explorer.wait_for(timeout=30_000)
        explorer.scroll_into_view_if_needed()
        record_latency("floor", timed_changes(page, explorer))
        lab_page.close_all()  # it was never saved: its changes are discarded
    except BaseException:
        lab_page.discard()
        raise
    finally:
        shut_down_kernels(url, token)
