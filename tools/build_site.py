"""Build the course website (`make site`): Sphinx + MyST-NB + sphinx-book-theme, into build/site/.

Stages a source folder laid out like the repository (site/index.md and notebooks/*.ipynb), then runs
Sphinx on it with site/conf.py, warnings as errors. The notebooks are staged as committed, with one
change: a figure cell, ``show_figure("NAME")``, gets the figure's alt text from the registry in its
metadata (``mystnb.image.alt``, which MyST-NB gives the picture it shows) and the tag
``remove-input``, so the page shows the figure and not the line that displays it. Needs no network:
the notebooks are not executed and every asset (theme, search, MathJax) comes from installed
packages. Always a fresh build (-E): site/conf.py changes Sphinx cannot see still take effect.
Prints the page count, size and build time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from convolved.figures import alt_text

ROOT = Path(__file__).resolve().parents[1]
FIGURE_CELL = re.compile(r'^show_figure\("(?P<name>\w+)"\)$')


def figures_for_the_site(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Give each figure cell its alt text (from the figure registry) and hide its one line of code."""
    for cell in notebook.cells:
        match = FIGURE_CELL.match(cell.source) if cell.cell_type == "code" else None
        if match:
            cell.metadata["mystnb"] = {"image": {"alt": alt_text(match["name"])}}
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), "remove-input"]
    return notebook


def stage(source: Path, notebooks: str = "*.ipynb") -> None:
    """The Sphinx source folder, laid out like the repository: index.md and notebooks/."""
    shutil.rmtree(source, ignore_errors=True)
    (source / "notebooks").mkdir(parents=True)
    shutil.copy2(ROOT / "site" / "index.md", source / "index.md")
    for notebook in sorted((ROOT / "notebooks").glob(notebooks)):
        staged = figures_for_the_site(nbformat.read(notebook, as_version=4))
        nbformat.write(staged, source / "notebooks" / notebook.name)


def build(out: Path, work: Path, notebooks: str = "*.ipynb") -> None:
    stage(work / "source", notebooks)
    shutil.rmtree(out, ignore_errors=True)  # no page left over from a renamed notebook
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", "-W", "--keep-going",
               "-c", str(ROOT / "site"), "-d", str(work / "doctrees"), str(work / "source"), str(out)]
    done = subprocess.run(command)
    if done.returncode != 0:
        sys.exit(f"the site did not build (sphinx-build exited with {done.returncode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site", help="the website")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "site-work",
                        help="staged sources and Sphinx's cache")
    parser.add_argument("--notebooks", default="*.ipynb", help="which notebooks (a glob; a quick preview)")
    args = parser.parse_args()
    start = time.perf_counter()
    build(args.out.resolve(), args.work.resolve(), args.notebooks)
    seconds = time.perf_counter() - start
    files = [path for path in args.out.rglob("*") if path.is_file()]
    pages = sum(path.suffix == ".html" and "_static" not in path.parts for path in files)
    size = sum(path.stat().st_size for path in files) / 1e6
    print(f"site: {pages} pages, {len(files)} files, {size:.1f} MB in {args.out} ({seconds:.0f} s); "
          f"open {args.out / 'index.html'}")


if __name__ == "__main__":
    main()
