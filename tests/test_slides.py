"""The slide decks (`make slides`): built with the network cut, self-contained, presentable in Chromium.

tools/build_slides.py builds every deck in a fresh network namespace with only loopback (the
helpers of tests/test_offline.py), so a build step that downloads anything fails. Then, per deck:

- every picture is embedded, and every script and style sheet is a file in the deck's vendor/
  folder (its CSS imports none from elsewhere);
- each exercise's title (as the notebook's progress cell lists it) and every key point are there;
  no reference solution, solution button or checker message is;
- Debian's Chromium (Playwright over CDP, as tests/test_browser.py) opens the deck as a file, as
  from a USB stick: no console error, no request outside the deck's folder, every formula typeset
  by MathJax with its fonts from vendor/ and no raw `$` left, a key press moves to the next slide,
  every slide fits the canvas, and the speaker view opens with the notes. Screenshots of slide 1
  and of the first picture slide go to build/screenshots/slides-NN-*.png.

Not part of `make test`: it runs when asked for, by `make slides` or `pytest tests/test_slides.py`
(or `-m slides`). Without a network namespace or Chromium it skips and says why, except under
CI=true, where it fails.
"""

from __future__ import annotations

import ast
import html
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page
from test_browser import chromium
from test_offline import cut_network_command, network_namespace_or_skip

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCREENSHOTS = ROOT / "build" / "screenshots"
WIDTH, HEIGHT = 1280, 800  # the decks' canvas (tools/build_slides.py)
FIGURE_CELL = re.compile(r'^show_figure\("\w+"\)$')
REVEAL = "vendor/reveal.js/dist/reveal.js"  # its AMD module id: the template loads it with RequireJS

pytestmark = [pytest.mark.slides, pytest.mark.xdist_group("slides")]


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> Path:
    """Every deck, built by tools/build_slides.py with the network cut."""
    unshare = network_namespace_or_skip("the slides test")
    out = tmp_path_factory.mktemp("slides") / "slides"
    command = cut_network_command(sys.executable, str(ROOT / "tools" / "build_slides.py"), "--out", str(out),
                                  unshare=unshare)
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"no offline build:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    print(done.stdout.strip())
    return out


def cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def words(page: str) -> str:
    """A page's text: tags removed, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def on_slides(page: str) -> str:
    """A deck's page without its speaker notes."""
    return re.sub(r'<aside class="notes">.*?</aside>', " ", page, flags=re.DOTALL)


def plain(markdown: str) -> str:
    """The longest stretch of a line of Markdown without a formula, code or emphasis, as shown."""
    return " ".join(max(re.split(r"\$[^$]*\$|`[^`]*`|\*+", markdown), key=len).split())


def exercise_titles(notebook: Path) -> list[str]:
    """The exercises as the notebook's progress cell lists them ("  <status>   <title>" lines)."""
    cell = next(cell for cell in cells(notebook) if source(cell).strip() == "progress(ex)")
    listing = "".join(cell["outputs"][0]["data"]["text/plain"]).splitlines()[1:]
    return [re.split(r"\s{2,}", line.strip())[-1] for line in listing]


def prompt_end(notebook: Path, title: str) -> str:
    """The last line of an exercise's prompt in the cell of its heading."""
    text = next(source(cell) for cell in cells(notebook) if f"### {title}\n" in source(cell))
    return text.split(f"### {title}\n", 1)[1].split("\n#", 1)[0].strip().splitlines()[-1]


def key_points(notebook: Path) -> list[str]:
    """The bullets of the notebook's Key points, each as its first line."""
    text = next(source(cell) for cell in cells(notebook) if "## Key points" in source(cell))
    section = text.split("## Key points", 1)[1].split("\n## ", 1)[0]
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]


def solutions(notebook: Path) -> dict[str, list[str]]:
    """Each solution the notebook's buttons reveal, as the lines of its body a deck must not show.

    Read from the notebook's exercise module, where ``@solution(name)`` registers it (the source
    convolved.exercises.reveal shows), without importing torch.
    """
    module = ROOT / "src" / "convolved" / "exercises" / f"nb{notebook.name[:2]}.py"
    code = module.read_text()
    registered = {decorator.args[0].value: ast.get_source_segment(code, node)
                  for node in ast.walk(ast.parse(code)) if isinstance(node, ast.FunctionDef | ast.ClassDef)
                  for decorator in node.decorator_list
                  if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "solution"}
    shown = "\n".join(source(cell) for cell in cells(notebook))  # what the notebook itself shows
    names = re.findall(r'solution_button\("(\w+)"\)', shown)
    assert names and set(names) <= set(registered), f"{module.name}: solutions {names} not all found"
    return {name: [line.strip() for line in registered[name].splitlines()[1:]  # the body
                   if len(line.strip()) > 20 and line.strip() not in shown] for name in names}


def test_a_deck_per_notebook_and_what_it_loads_is_in_its_folder(decks):
    assert sorted(p.name for p in decks.glob("*.slides.html")) == [f"{p.stem}.slides.html" for p in NOTEBOOKS]
    for deck in decks.glob("*.slides.html"):
        page = deck.read_text()
        images = re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)
        assert images and all(src.startswith("data:image/png;base64,") for src in images), deck.name
        loaded = re.findall(r'<(?:script|link)[^>]*\s(?:src|href)="([^"]*)"', page)
        for modules in re.findall(r'require\(\s*\{[^}]*\},\s*\[([^\]]*)\]', page):  # reveal.js's
            loaded += re.findall(r'"([^"]+)"', modules)
        for url in loaded:
            path = url.split("?")[0]
            assert path.startswith("vendor/") and (decks / path).is_file(), f"{deck.name} loads {url}"
        assert '"vendor/reveal.js/plugin/notes/notes.js"' in page
    for sheet in (decks / "vendor").rglob("*.css"):
        assert not re.search(r"(?:url\(|@import)\s*['\"]?(?:[a-z]+:)?//", sheet.read_text()), sheet


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_figures_are_picture_slides_with_their_alt_text(decks, notebook):
    """Each `show_figure("NAME")` cell is a picture slide: the picture it saved, with its text (the
    figure's alt text) as the <img>'s alt; the line of code is not shown."""
    page = (decks / f"{notebook.stem}.slides.html").read_text()
    assert "show_figure" not in page, f"{notebook.stem}: the deck shows a figure cell's code"
    pictures = re.findall(r'<section[^>]*\sdata-picture="true"[^>]*>(.*?)</section>', page, re.DOTALL)
    images = [dict(re.findall(r'\s(alt|src)="([^"]*)"', tag)) for slide in pictures
              for tag in re.findall(r"<img[^>]*>", slide)]
    shown = [(html.unescape(image.get("alt", "")), image.get("src")) for image in images]
    for cell in cells(notebook):
        if cell["cell_type"] == "code" and FIGURE_CELL.match(source(cell)):
            output = next(output for output in cell["outputs"] if "image/png" in output.get("data", {}))
            alt = "".join(output["data"]["text/plain"])
            png = "data:image/png;base64," + "".join("".join(output["data"]["image/png"]).split())
            assert (alt, png) in shown, f"{notebook.stem}: not a picture slide with its alt text: {alt[:60]}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_exercises_and_key_points_without_solutions(decks, notebook):
    page = (decks / f"{notebook.stem}.slides.html").read_text()
    text, shown = words(page), words(on_slides(page))
    titles = exercise_titles(notebook)
    assert len(titles) >= 2
    for title in titles:  # on a slide, with its prompt to the end
        assert f"{title} " in shown, f"exercise {title!r} is not on a slide"
        assert plain(prompt_end(notebook, title))[:40] in shown, f"exercise {title!r}: its prompt is cut"
    slide = page.split('id="Key-points"', 1)[1].split("</section>", 1)[0]
    points = key_points(notebook)
    assert slide.count("<li>") == len(points) >= 3, "the Key points slide does not list every point"
    for point in points:  # the longest plain stretch of each point's first line is on the slide
        assert plain(point)[:40] in words(slide), f"key point {point!r} is missing"
    for name, lines in solutions(notebook).items():
        assert lines, f"solution {name}: nothing to look for"
        assert not [line for line in lines if line in text], f"the deck shows solution {name}"
    for plumbing in ("solution_button", "Show solution", "solution hidden", "not attempted yet", "ex.check_"):
        assert plumbing not in text, f"the deck shows {plumbing!r}"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as connected:
        yield connected


# The state of MathJax 2 once it has typeset the page: each formula is a <script type="math/tex">
# beside its output; the text outside code, formulas and speaker notes keeps no `$`.
MATH_STATE = """() => {
    const text = document.querySelector('.slides').cloneNode(true);
    text.querySelectorAll('script, pre, code, aside.notes').forEach(e => e.remove());
    return {tex: document.querySelectorAll('.slides script[type^="math/tex"]').length,
            typeset: document.querySelectorAll('.slides .MathJax_CHTML').length,
            errors: document.querySelectorAll('.mjx-merror').length,
            dollars: [...text.textContent.matchAll(/.{0,30}[$].{0,30}/g)].map(m => m[0])};
}"""
# Walk every slide with the Reveal API: its size, and whether it shows a picture.
WALK = """async ([module, width, height]) => {
    const Reveal = await new Promise(resolve => require([module], resolve));
    Reveal.slide(0, 0);
    const slides = [];
    for (let i = 0; i < Reveal.getTotalSlides(); i++) {
        const slide = Reveal.getCurrentSlide();
        const fits = slide.scrollHeight <= height + 1 && slide.scrollWidth <= width + 1;
        slides.push({indices: Reveal.getIndices(), fits: fits, picture: slide.hasAttribute('data-picture'),
                     title: (slide.querySelector('h1, h2, h3') || {}).textContent || ''});
        Reveal.next();
    }
    return slides;
}"""


@dataclass
class Opened:
    """A deck open in a Chromium page, and what went wrong on the way."""

    page: Page
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", lambda note: note.type == "error" and self.problems.append(note.text))
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("requestfailed", lambda request: self.problems.append(f"failed: {request.url}"))
        self.page.on("request", lambda request: self.requests.append(request.url))

    def ready(self) -> Page:
        """The page once reveal.js is ready and MathJax has typeset every formula."""
        self.page.wait_for_load_state("load")
        self.page.wait_for_function("() => document.querySelector('.reveal.ready')")
        self.page.wait_for_function("() => window.MathJax && MathJax.isReady")
        self.page.evaluate("() => new Promise(resolve => MathJax.Hub.Queue(resolve))")
        return self.page


@pytest.fixture(scope="module")
def opened(decks, browser):
    """Every deck, opened from file:// in a page of its own, all at once (they load in parallel)."""
    pages = {}
    for notebook in NOTEBOOKS:
        deck = Opened(browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}))
        deck.page.goto((decks / f"{notebook.stem}.slides.html").as_uri(), wait_until="commit")
        pages[notebook] = deck
    yield pages
    for deck in pages.values():
        deck.page.close()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_deck_in_chromium(decks, opened, notebook):
    deck, name = opened[notebook], notebook.stem[:2]
    page = deck.ready()
    math = page.evaluate(MATH_STATE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"slides-{name}-1.png"))
    page.keyboard.press("Space")  # what a presenter's clicker sends
    page.wait_for_function("() => location.hash.length > 2")
    moved = page.evaluate("() => location.hash")
    slides = page.evaluate(WALK, [REVEAL, WIDTH, HEIGHT])
    picture = next(slide for slide in slides if slide["picture"])
    page.evaluate("async ([module, h, v]) => (await new Promise(r => require([module], r))).slide(h, v)",
                  [REVEAL, picture["indices"]["h"], picture["indices"]["v"]])
    page.screenshot(path=str(SCREENSHOTS / f"slides-{name}-picture.png"))
    problems, requests = deck.problems, deck.requests
    assert not problems, problems
    folder = decks.as_uri() + "/"
    assert not [url for url in requests if not url.startswith((folder, "data:"))], "requests outside the deck"
    assert any(url.endswith("vendor/mathjax/fonts/HTML-CSS/TeX/woff/MathJax_Main-Regular.woff")
               for url in requests), "MathJax's fonts did not come from the deck's folder"
    assert math["tex"] > 0 and math["typeset"] == math["tex"], f"math not typeset: {math}"
    assert math["errors"] == 0 and not math["dollars"], f"raw TeX or TeX errors: {math}"
    assert moved in ("#/1", "#/0/1"), f"the key press did not move to the next slide: {moved}"
    assert len(slides) >= 10 and slides[0]["title"].startswith(notebook.stem[:2])
    too_big = [slide["title"] or slide["indices"] for slide in slides if not slide["fits"]]
    assert not too_big, f"slides larger than the {WIDTH}×{HEIGHT} canvas: {too_big}"


def test_the_first_section_has_speaker_notes(opened):
    """The first section's slide carries the rest of its first cell as speaker notes (S shows them
    in reveal.js's speaker view; that pop-up loads two more copies of the deck, too slow for a
    test on a busy machine, so the notes are read where the speaker view reads them)."""
    notebook = NOTEBOOKS[0]
    page = opened[notebook].ready()
    notes = page.evaluate("() => [...document.querySelectorAll('.slides section')]"
                          ".map(s => (s.querySelector(':scope > aside.notes') || {}).textContent || '')"
                          ".find(text => text.trim().length > 40) || ''")
    assert not opened[notebook].problems, opened[notebook].problems
    notes = " ".join(notes.split()).removeprefix("Notes ")
    # The notes are the notebook's own words (formulas left as TeX), not the slide's.
    markdown = " ".join(re.sub(r"[*`]", "", "\n".join(source(cell) for cell in cells(notebook)
                                                      if cell["cell_type"] == "markdown")).split())
    assert len(notes) > 40 and notes[:40] in markdown, notes
