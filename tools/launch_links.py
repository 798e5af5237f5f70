"""Where the course lives (`make links`): launch links, and the install cell of every notebook.

Binder builds, and Colab opens, public GitHub repositories, so every link is derived from this
clone's git remote ``origin``; none is made up. With a GitHub remote, `make links` records the
repository once, as ``[project.urls] Repository`` in pyproject.toml, writes Binder and Colab links
into the README's notebook table (between the ``<!-- launch links -->`` markers), and writes the
first cell of every notebook: on Colab (or anywhere the package is missing) it installs the course
package from that repository, never torch; where the package is installed it does nothing and
prints nothing. Without a GitHub remote it says why, and the cell says how to install by hand.

Usage: python tools/launch_links.py [--write]   (--check: exit 1 if the notebooks' cells are stale)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PYPROJECT = ROOT / "pyproject.toml"
START, END = "<!-- launch links -->", "<!-- /launch links -->"
GITHUB = re.compile(r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
                    r"(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def github_repository(remote: str) -> tuple[str, str] | None:
    """(owner, repository) of a GitHub remote URL, or None for any other remote."""
    match = GITHUB.match(remote.strip())
    return (match["owner"], match["repo"]) if match else None


def binder_url(remote: str, path: str = "README.md", branch: str = "main") -> str | None:
    """mybinder.org: JupyterLab at ``path`` (the README, or a notebook) of the GitHub remote."""
    repository = github_repository(remote)
    if repository is None:
        return None
    owner, repo = repository
    return f"https://mybinder.org/v2/gh/{owner}/{repo}/{branch}?labpath={path}"


def colab_url(remote: str, path: str, branch: str = "main") -> str | None:
    """Google Colab opening the notebook ``path`` straight from the GitHub remote."""
    repository = github_repository(remote)
    if repository is None:
        return None
    owner, repo = repository
    return f"https://colab.research.google.com/github/{owner}/{repo}/blob/{branch}/{path}"


def repository_url(remote: str) -> str | None:
    """The https address of the GitHub repository behind a remote URL."""
    repository = github_repository(remote)
    return None if repository is None else f"https://github.com/{repository[0]}/{repository[1]}"


def recorded_repository(pyproject: Path = PYPROJECT) -> str | None:
    """The repository recorded in pyproject.toml's [project.urls], if any."""
    return tomllib.loads(pyproject.read_text())["project"].get("urls", {}).get("Repository")


MANUAL_INSTALL = '''\
# The course's helper package: installed by `make lab` (or `pip install -e .` in a clone of
# the course). Once the course is on GitHub, `make links` makes this cell install it on Colab.
try:
    import convolved  # noqa: F401
except ModuleNotFoundError:
    raise SystemExit("Install the course package first: run `make lab` in a clone of the course "
                     "(or `pip install -e .` there).") from None'''

AUTOMATIC_INSTALL = '''\
# On Colab (or anywhere the course's helper package is missing): install it from the course's
# repository. It uses the torch you have; where it is installed, this cell does nothing.
try:
    import convolved  # noqa: F401
except ModuleNotFoundError:
    %pip install --quiet git+{repository}'''


def install_cell_source(repository: str | None) -> str:
    """The first code cell of every notebook: install the course package where it is missing."""
    return MANUAL_INSTALL if repository is None else AUTOMATIC_INSTALL.format(repository=repository)


def write_install_cells(repository: str | None, paths: list[Path] | None = None) -> list[Path]:
    """Make the first cell of each notebook the install cell; return the notebooks changed."""
    changed = []
    for path in paths or notebooks():
        nb = nbformat.read(path, as_version=4)
        source = install_cell_source(repository)
        first = nb.cells[0] if nb.cells and nb.cells[0].cell_type == "code" else None
        if first is not None and first.source == source:
            continue
        if first is not None and first.source.startswith("# ") and "import convolved" in first.source:
            first.source, first.outputs = source, []
        else:
            nb.cells.insert(0, nbformat.v4.new_code_cell(source))
        nbformat.write(nb, path)
        changed.append(path)
    return changed


def record_repository(repository: str) -> None:
    """Write ``[project.urls] Repository`` into pyproject.toml (the one place it is recorded)."""
    text = PYPROJECT.read_text()
    line = f'Repository = "{repository}"'
    if "[project.urls]" in text:
        text = re.sub(r'(?m)^Repository = ".*"$', line, text)
    else:
        text = text.replace("\n[tool.setuptools", f"\n[project.urls]\n{line}\n\n[tool.setuptools", 1)
    PYPROJECT.write_text(text)


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def links_table(remote: str) -> str:
    """Markdown rows: one per notebook, with its Binder and Colab badges."""
    rows = ["| # | Notebook | Launch |", "|---|---|---|"]
    for path in notebooks():
        relative = path.relative_to(ROOT).as_posix()
        title = path.stem[3:].replace("_", " ").capitalize()
        rows.append(f"| {path.stem[:2]} | [{title}]({relative}) | "
                    f"[![Binder]({BINDER_BADGE})]({binder_url(remote, relative)}) "
                    f"[![Open in Colab]({COLAB_BADGE})]({colab_url(remote, relative)}) |")
    return "\n".join(rows)


def write_readme(remote: str) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md needs the markers {START} and {END}")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{links_table(remote)}\n{END}{after}")


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = [p.name for p in notebooks() if nbformat.read(p, as_version=4).cells[0].source
                 != install_cell_source(recorded_repository())]
        if stale:
            print(f"install cells out of step with pyproject.toml: {stale}; run `make links`")
        return 1 if stale else 0
    remote = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True, text=True,
                            cwd=ROOT)
    url = remote.stdout.strip() if remote.returncode == 0 else ""
    if github_repository(url) is None:
        if "--write" in argv:
            write_install_cells(recorded_repository())
        print(f"No launch links: Binder and Colab open public GitHub repositories, and this clone's "
              f"origin is {url or 'not set'}. Push the course to GitHub (git remote add origin "
              f"https://github.com/OWNER/REPO.git), then run `make links` again.")
        return 1
    print(f"Binder (the README): {binder_url(url)}")
    print(links_table(url))
    if "--write" in argv:
        record_repository(repository_url(url))
        write_readme(url)
        changed = write_install_cells(repository_url(url))
        print(f"pyproject.toml, README.md and {len(changed)} notebook install cells written; "
              "run `make execute` to refresh the notebooks' outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
