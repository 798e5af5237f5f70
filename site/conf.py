"""Sphinx configuration of the course website (`make site`; tools/build_site.py runs Sphinx).

The source folder is a staging copy laid out like the repository (index.md from here, notebooks/),
so a page's path is the notebook's path in the repository. The notebooks are shown as committed,
never executed here (the staging copy only gives each figure its alt text and hides the
``show_figure`` line above it). Everything a page loads is served from the site itself, MathJax
included.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from docutils import nodes

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from launch_links import binder_url, colab_url, github_repository  # noqa: E402  (as `make links`)

BRANCH = "main"
# A notebook's explorer leaves a picture and this text/plain in its saved output.
EXPLORER = re.compile(r"^(?P<name>.+) \(run the cell to interact\)$")
# The parts of MathJax 3 a page can load: the TeX→CommonHTML bundle, its fonts, the TeX
# extensions it loads on demand, and the menu with its accessibility tools (English speech).
MATHJAX_FILES = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y",
                 "sre/mathmaps/base.json", "sre/mathmaps/en.json"]


def git_remote() -> str:
    """The URL of the git remote origin ("" if none); $CONVOLVED_SITE_REMOTE stands in for it."""
    if "CONVOLVED_SITE_REMOTE" in os.environ:
        return os.environ["CONVOLVED_SITE_REMOTE"]
    done = subprocess.run(["git", "-C", str(REPO), "remote", "get-url", "origin"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def launch_links(path: str) -> dict[str, str]:
    """Binder (JupyterLab at the file) and Colab links for a repository path; none without GitHub."""
    if REPOSITORY is None:
        return {}
    return {"Binder": binder_url(REMOTE, path, BRANCH), "Colab": colab_url(REMOTE, path, BRANCH)}


REMOTE = git_remote()
REPOSITORY = github_repository(REMOTE)
HOW_TO_GET_LINKS = ("this copy of the site was built from a clone without a GitHub remote, so it has "
                    "no Binder or Colab links: once the course is on GitHub, `make links` prints them "
                    "and `make site` adds Binder and Colab buttons to every notebook page")

project = "Convolved"
author = "the Convolved authors"
html_title = "Convolved"
html_show_copyright = False
extensions = ["myst_nb", "sphinx.ext.mathjax"]
root_doc = "index"
exclude_patterns = ["**.ipynb_checkpoints"]

# MyST-NB: show the saved outputs, never execute, never load widget JavaScript from a CDN.
nb_execution_mode = "off"
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath", "substitution"]
myst_heading_anchors = 3

# MathJax from the site's own _static/mathjax/ (copied from sphinx-mathjax-offline's files).
mathjax_path = "mathjax/tex-chtml.js"

html_theme = "sphinx_book_theme"
html_favicon = "_static/favicon.svg"
html_context = {"default_mode": "light"}  # the figures are drawn on white (readers can switch)
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,
    "navbar_persistent": [],  # one search box, in the sidebar (the theme's own choice)
    "path_to_docs": "",  # the staging folder mirrors the repository: pages are at their repo paths
}
if REPOSITORY is not None:
    html_theme_options |= {
        "repository_url": "https://github.com/{}/{}".format(*REPOSITORY),
        "repository_branch": BRANCH,
        "use_repository_button": True,
        "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab",
                           "colab_url": "https://colab.research.google.com"},
    }


def title_cell(cells: list[dict]) -> int:
    """The index of a notebook's title: its first markdown cell that starts with a level-1 heading."""
    return next(i for i, cell in enumerate(cells)
                if cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith("# "))


def notebook_list(srcdir: Path) -> str:
    """The home page's list: each notebook's title (a link) and its one-sentence promise."""
    items = []
    for path in sorted((srcdir / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        lines = "".join(cells[title_cell(cells)]["source"]).splitlines()
        title = lines[0].lstrip("# ").strip()
        promise = " ".join(line.strip() for line in lines[1:] if line.strip()).split("You will learn")[0]
        items.append(f"- [{title}](notebooks/{path.name}): {promise.strip().strip('*')}")
    return "\n".join(items)


def launch_text() -> str:
    links = launch_links("notebooks/01_convolution_in_code.ipynb")
    if not links:
        return f"**In Binder or Colab:** {HOW_TO_GET_LINKS}."
    return ("**In Binder or Colab:** "
            + " or ".join(f"[open notebook 01 in {where}]({url})" for where, url in links.items())
            + "; every notebook page has these launch buttons at its top (the rocket icon).")


def inline(text: str) -> list[nodes.Node]:
    """Docutils nodes for text in which `backticks` mark code."""
    return [nodes.literal(text=part) if i % 2 else nodes.Text(part) for i, part in enumerate(text.split("`"))]


def notebook_cells(app, doctree) -> None:
    """A page starts at the notebook's title: the code above it (the cell that installs the course
    package where it is missing, e.g. on Colab) is left out. Pictures in outputs get alt text (a
    figure has its own, from tools/build_site.py); each
    explorer's saved picture gets a line on how to make it interactive (launch links where the site
    knows them, `make lab` always)."""
    source = Path(app.env.doc2path(app.env.docname))
    if source.suffix != ".ipynb":
        return
    cells = json.loads(source.read_text())["cells"]
    for container in list(doctree.findall(nodes.container)):
        if container.get("nb_element") != "cell_code":
            continue
        if container["cell_index"] < title_cell(cells):
            container.parent.remove(container)
            continue
        outputs = cells[container["cell_index"]].get("outputs", [])
        texts = ["".join(output.get("data", {}).get("text/plain", "")) for output in outputs]
        explorers = [match for match in map(EXPLORER.match, texts) if match]
        for image in container.findall(nodes.image):
            image.setdefault("alt", f"{explorers[0]['name']}, its starting view" if explorers
                             else "Figure drawn by the code above")
        if not explorers:
            continue
        note = nodes.admonition(classes=["tip", "explorer-note"])
        note += nodes.title(text=f"{explorers[0]['name']}: a picture of its starting view")
        links = launch_links(source.relative_to(app.srcdir).as_posix())
        line = nodes.paragraph(text="To move its controls, run this notebook ")
        for where, url in links.items():
            line += [nodes.reference(text=f"in {where}", refuri=url), nodes.Text(", ")]
        line += inline(("or " if links else "") + "on your computer: `make lab` in a clone of the course "
                       "opens it in JupyterLab" + (f" ({HOW_TO_GET_LINKS})." if not links else "."))
        note += line
        container += note


def copy_mathjax(app, exception) -> None:
    """Serve MathJax from _static/mathjax/: only the files a page can ask for."""
    if exception is not None or app.builder.format != "html":
        return
    import importlib.util

    package = Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent / "static" / "mathjax"
    target = Path(app.outdir) / "_static" / "mathjax"
    for name in MATHJAX_FILES:
        source, destination = package / name, target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination)


def substitutions(app, config) -> None:
    config.myst_substitutions = {"notebooks": notebook_list(Path(app.srcdir)), "launch": launch_text()}


def setup(app):
    app.connect("config-inited", substitutions)
    app.connect("doctree-read", notebook_cells)
    app.connect("build-finished", copy_mathjax)
