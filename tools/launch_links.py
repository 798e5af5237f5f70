"""Launch links for the course (`make links`): Binder and Colab, for the README and each notebook.

Binder builds, and Colab opens, public GitHub repositories, so every link is derived from this
clone's git remote ``origin``; none is made up. With a GitHub remote, `make links` prints the
links and writes the README's notebook table (between the ``<!-- launch links -->`` markers);
without one it says why and changes nothing.

Usage: python tools/launch_links.py [--write]
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
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
    remote = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True, text=True,
                            cwd=ROOT)
    url = remote.stdout.strip() if remote.returncode == 0 else ""
    if github_repository(url) is None:
        print(f"No launch links: Binder and Colab open public GitHub repositories, and this clone's "
              f"origin is {url or 'not set'}. Push the course to GitHub (git remote add origin "
              f"https://github.com/OWNER/REPO.git), then run `make links` again.")
        return 1
    print(f"Binder (the README): {binder_url(url)}")
    print(links_table(url))
    if "--write" in argv:
        write_readme(url)
        print("README.md: launch links written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
