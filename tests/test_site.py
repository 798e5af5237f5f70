"""The course website (`make site`): built with the network cut, self-contained, working in Chromium.

The site is built by tools/build_site.py in a fresh network namespace with only loopback (the
helpers of tests/test_offline.py), so a build step that downloads anything fails. Then:

- every page, internal link, anchor and image resolves, and no script, stylesheet, font or image
  comes from the network (external URLs only in ordinary <a> links to other sites);
- the home page lists the seven notebooks in order, pages link previous/next, the search box and
  its index are there, each figure (a `show_figure` cell) is its PNG with the registry's alt
  text and without the line of code, and each explorer's picture has its line on how to interact;
- with a GitHub remote (stood in for by $CONVOLVED_SITE_REMOTE) the Binder and Colab links are
  right; without one there are none, and the page says how to get them;
- Debian's Chromium (Playwright over CDP, as tests/test_browser.py) opens the home page and every
  notebook page from a local HTTP server: no console error, no request that leaves the server,
  every image loaded, every formula typeset by MathJax; screenshots go to build/screenshots/site-*.

Not part of `make test` (CI's budget does not pay for Sphinx): it runs when asked for, by `make
site` or `pytest tests/test_site.py` (or `-m site`). Without a network namespace it skips and says
why, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_browser import chromium, free_port, stop, wait_for_url
from test_offline import cut_network_command, network_namespace_or_skip

from convolved import figures

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCREENSHOTS = ROOT / "build" / "screenshots"
REMOTE = "https://github.com/someone/convolved.git"
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, //host
FIGURE_CELL = re.compile(r'^show_figure\("(?P<name>\w+)"\)$')

pytestmark = [pytest.mark.site, pytest.mark.xdist_group("site")]


@pytest.fixture(scope="module")
def offline():
    return network_namespace_or_skip("the site test")


def build_offline(unshare, out: Path, remote: str, notebooks: str = "*.ipynb") -> Path:
    """tools/build_site.py with the network cut; ``remote`` stands in for the git remote."""
    command = cut_network_command(sys.executable, str(ROOT / "tools" / "build_site.py"), "--out", str(out),
                                  "--work", str(out.parent / f"{out.name}-work"), "--notebooks", notebooks,
                                  unshare=unshare)
    done = subprocess.run(command, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "CONVOLVED_SITE_REMOTE": remote})
    assert done.returncode == 0, f"no offline build:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    print(done.stdout.strip())
    return out


@pytest.fixture(scope="module")
def site(offline, tmp_path_factory):
    """The whole site, built offline from a clone without a GitHub remote."""
    return build_offline(offline, tmp_path_factory.mktemp("site") / "site", remote="")


@pytest.fixture(scope="module")
def site_with_remote(offline, tmp_path_factory):
    """The home page and notebook 01, built offline as from a clone whose origin is on GitHub."""
    return build_offline(offline, tmp_path_factory.mktemp("site") / "site", remote=REMOTE,
                         notebooks=NOTEBOOKS[0].name)


class Page(HTMLParser):
    """What a page refers to: (tag, attribute, URL, rel or class), its element ids, and its <img> alts."""

    def __init__(self, path: Path):
        super().__init__()
        self.refs, self.ids, self.images = [], set(), []
        self.feed(path.read_text())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src", "data", "poster"):
            if attrs.get(name):
                self.refs.append((tag, name, attrs[name], attrs.get("rel") or attrs.get("class") or ""))
        for candidate in (attrs.get("srcset") or "").split(","):
            if candidate.strip():
                self.refs.append((tag, "srcset", candidate.split()[0], ""))
        if tag == "img":
            self.images.append((attrs.get("src", ""), attrs.get("alt") or ""))


def pages(site: Path) -> list[Path]:
    """The site's pages (the theme's template fragments under _static/ are not pages)."""
    return sorted(path for path in site.rglob("*.html") if "_static" not in path.relative_to(site).parts)


def text(path: Path) -> str:
    """A page's words, tags removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text()))


def resolve(site: Path, page: Path, url: str) -> tuple[Path, str]:
    """The file an internal URL points to, and its #fragment."""
    parts = urllib.parse.urlsplit(url)
    target = (page.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page
    if target.is_dir():
        target = target / "index.html"
    return target, urllib.parse.unquote(parts.fragment)


def test_the_pages_are_the_home_page_and_the_seven_notebooks_in_order(site):
    names = {path.relative_to(site).as_posix() for path in pages(site)}
    order = ["index.html"] + [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
    assert names == {"search.html", "genindex.html", *order}
    for before, after in zip(order, order[1:], strict=False):  # the buttons at the bottom of a page
        links = {(ref[3], resolve(site, site / before, ref[2])[0]) for ref in Page(site / before).refs}
        assert ("right-next", site / after) in links, f"{before} has no 'next' link to {after}"
        links = {(ref[3], resolve(site, site / after, ref[2])[0]) for ref in Page(site / after).refs}
        assert ("left-prev", site / before) in links, f"{after} has no 'previous' link to {before}"
    home = (site / "index.html").read_text()
    positions = [home.index(f'href="notebooks/{p.stem}.html"') for p in NOTEBOOKS]
    assert positions == sorted(positions), "the home page lists the notebooks out of order"
    for words in ("What you learn", "How to start", "make lab", "make links", "Binder", "Colab"):
        assert words in text(site / "index.html"), f"the home page does not mention {words!r}"
    for notebook in NOTEBOOKS:  # each with its title and promise, as the notebook states them
        cells = json.loads(notebook.read_text())["cells"]
        heading = next("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"
                       and "".join(cell["source"]).startswith("# "))
        title, promise = heading.splitlines()[0][2:], heading.split("**")[1]
        assert f"{title} : {promise.split()[0]}" in text(site / "index.html"), f"home page: {title}"
        page = (site / "notebooks" / f"{notebook.stem}.html").read_text()
        assert f"<h1>{title}<" in page and page.index("<h1>") < page.index("cell_input"), \
            f"{notebook.stem}: the page does not start at the notebook's title"


def test_every_internal_link_anchor_and_image_resolves(site):
    parsed = {path.resolve(): Page(path) for path in pages(site)}
    broken = []
    for path, page in parsed.items():
        for tag, attribute, url, _ in page.refs:
            if EXTERNAL.match(url) or url.startswith(("mailto:", "data:", "javascript:")):
                continue
            target, fragment = resolve(site, path, url)
            where = f"{path.relative_to(site.resolve())}: <{tag} {attribute}={url!r}>"
            if not target.is_file():
                broken.append(f"{where}: no file")
            elif fragment and target.suffix == ".html" and fragment not in parsed[target].ids:
                broken.append(f"{where}: no element #{fragment}")
    assert not broken, "\n".join(broken)


def test_no_asset_is_loaded_from_the_network(site):
    """Only <a> may point off the site; scripts, styles, fonts, images and frames are local."""
    loaded = [f"{path.relative_to(site)}: <{tag} {attribute}={url!r}>"
              for path in pages(site) for tag, attribute, url, rel in Page(path).refs
              if EXTERNAL.match(url) and tag != "a"]
    for sheet in site.rglob("*.css"):
        loaded += [f"{sheet.relative_to(site)}: {match}" for match in
                   re.findall(r"(?:url\(|@import)\s*['\"]?(?:[a-z]+:)?//[^)'\"\s]+", sheet.read_text())]
    assert not loaded, "\n".join(loaded)
    math_scripts = [url for path in pages(site) for tag, _, url, _ in Page(path).refs
                    if tag == "script" and "mathjax" in url.lower()]
    assert math_scripts and all("_static/mathjax/tex-chtml.js" in url for url in math_scripts)
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_figures_carry_their_alt_text_and_explorers_say_how_to_interact(site):
    for notebook in NOTEBOOKS:
        page = site / "notebooks" / f"{notebook.stem}.html"
        images = Page(page).images
        assert all(alt and not alt.endswith(".png") for _, alt in images), f"{page.name}: an image lacks alt"
        cells = json.loads(notebook.read_text())["cells"]
        html = page.read_text()
        for cell in cells:  # each figure: its picture (the PNG in images/) with its alt text, no code
            match = FIGURE_CELL.match("".join(cell["source"])) if cell["cell_type"] == "code" else None
            if not match:
                continue
            name = match["name"]
            png = (ROOT / "images" / f"{name}.png").read_bytes()
            shown = [src for src, alt in images
                     if alt == figures.alt_text(name) and (page.parent / src).read_bytes() == png]
            assert shown, f"{page.name}: figure {name} is missing or lost its alt text"
        assert not re.search(r"show_figure\s*\(", text(page)), f"{page.name}: a figure cell's code is shown"
        explorers = html.count("explorer-note")
        assert explorers == sum("(run the cell to interact)" in json.dumps(cell.get("outputs", []))
                                for cell in cells), f"{page.name}: an explorer without its note"
        if explorers:
            note = text(page)
            assert "make lab" in note and "make links" in note, f"{page.name}: the explorer's note"
            assert "mybinder.org" not in html and "colab.research.google.com" not in html
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^links:", makefile, re.MULTILINE), "the pages name `make links`: it must exist"


def test_search_box_and_index(site):
    home = (site / "index.html").read_text()
    assert re.search(r'<form[^>]*\saction="search\.html"', home) and 'name="q"' in home
    index = (site / "searchindex.js").read_text()
    assert "padding" in index and "01_convolution_in_code" in index


def test_launch_links_for_a_github_remote(site_with_remote):
    path = "notebooks/01_convolution_in_code.ipynb"
    binder = f"https://mybinder.org/v2/gh/someone/convolved/main?labpath={path}"
    colab = f"https://colab.research.google.com/github/someone/convolved/blob/main/{path}"
    theme_binder = f"https://mybinder.org/v2/gh/someone/convolved/main?urlpath=lab/tree/{path}"
    page = {ref[2] for ref in Page(site_with_remote / "notebooks" / "01_convolution_in_code.html").refs}
    assert {binder, colab, theme_binder, "https://github.com/someone/convolved"} <= page
    home = {ref[2] for ref in Page(site_with_remote / "index.html").refs}
    assert {binder, colab} <= home
    assert "without a GitHub remote" not in (site_with_remote / "index.html").read_text()


@pytest.fixture(scope="module")
def server(site, tmp_path_factory):
    """Python's HTTP server on 127.0.0.1 serving the built site; stopped by its PID."""
    port = free_port()
    log = (tmp_path_factory.mktemp("http") / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                "--directory", str(site)], stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{url}/index.html", process, "the HTTP server")
        yield url
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as connected:
        yield connected


# Every formula typeset (a MathJax container in each math element), none a TeX error.
MATH_STATE = """() => {
    const math = [...document.querySelectorAll('.math')];
    return {math: math.length,
            typeset: math.filter(m => m.querySelector('mjx-container')).length,
            errors: document.querySelectorAll('mjx-merror').length,
            images: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)};
}"""


@pytest.mark.parametrize("name", ["index"] + [p.stem for p in NOTEBOOKS])
def test_page_in_chromium(server, browser, name):
    url = f"{server}/index.html" if name == "index" else f"{server}/notebooks/{name}.html"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, requests = [], []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("response", lambda response: response.status >= 400 and problems.append(
        f"HTTP {response.status}: {response.url}"))
    page.on("request", lambda request: requests.append(request.url))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
        page.wait_for_load_state("networkidle")
        state = page.evaluate(MATH_STATE)
        page.screenshot(path=str(SCREENSHOTS / f"site-{name}.png"))
        explorer = page.locator(".explorer-note")
        if explorer.count():
            cell = page.locator(".cell:has(.explorer-note)").first
            cell.scroll_into_view_if_needed()
            cell.screenshot(path=str(SCREENSHOTS / f"site-{name}-explorer.png"))
    finally:
        page.close()
    assert not problems, problems
    off_site = [request for request in requests if not request.startswith((server, "data:", "blob:"))]
    assert not off_site, f"requests that leave the site: {off_site}"
    assert state["math"] > 0 and state["typeset"] == state["math"], f"math not typeset: {state}"
    assert state["errors"] == 0, f"MathJax reports {state['errors']} TeX errors"
    assert not state["images"], f"images that did not load: {state['images']}"
    if name != "index":
        assert any(request.endswith("/_static/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff")
                   for request in requests), "MathJax's fonts were not served by the site"


def test_search_finds_a_term_in_chromium(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{server}/index.html")
        page.locator(".bd-sidebar-primary .search-button-field").click()  # the search box
        page.keyboard.type("receptive field")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search.html?q=receptive*")
        results = page.locator("#search-results li")
        results.first.wait_for(timeout=15_000)
        found = [link.get_attribute("href") for link in page.locator("#search-results li a").all()]
        page.screenshot(path=str(SCREENSHOTS / "site-search.png"))
    finally:
        page.close()
    assert not problems, problems
    assert any("05_max_and_mean_pooling" in href for href in found), found
