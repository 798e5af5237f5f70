"""Build the course website (`make site`): Sphinx + MyST-NB + sphinx-book-theme, into build/site/.

Stages a source folder laid out like the repository (site/index.md, notebooks/*.ipynb as committed,
images/*.png), so the notebooks' ``../images/NAME.png`` links resolve, then runs Sphinx on it with
site/conf.py, warnings as errors. Needs no network: the notebooks are not executed and every asset
(theme, search, MathJax) comes from installed packages. Always a fresh build (-E): site/conf.py
changes Sphinx cannot see still take effect. Prints the page count, size and build time.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stage(source: Path, notebooks: str = "*.ipynb") -> None:
    """The Sphinx source folder, laid out like the repository: index.md, notebooks/, images/."""
    shutil.rmtree(source, ignore_errors=True)
    (source / "notebooks").mkdir(parents=True)
    shutil.copy2(ROOT / "site" / "index.md", source / "index.md")
    for notebook in sorted((ROOT / "notebooks").glob(notebooks)):
        shutil.copy2(notebook, source / "notebooks" / notebook.name)
    shutil.copytree(ROOT / "images", source / "images")


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
