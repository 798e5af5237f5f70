"""Print the mybinder.org link of this repository (`make binder-url`), from its git remote.

Binder builds public GitHub repositories; the link opens JupyterLab at the README. No link is
made up: without a GitHub remote the command says so and exits with status 1.
"""

from __future__ import annotations

import re
import subprocess
import sys

GITHUB = re.compile(r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
                    r"(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")


def binder_url(remote: str, branch: str = "main") -> str | None:
    """The Binder link for a GitHub remote URL, or None for any other remote."""
    match = GITHUB.match(remote.strip())
    if not match:
        return None
    return (f"https://mybinder.org/v2/gh/{match['owner']}/{match['repo']}/{branch}"
            "?labpath=README.md")


def main() -> int:
    remote = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True, text=True)
    url = binder_url(remote.stdout) if remote.returncode == 0 else None
    if url is None:
        where = remote.stdout.strip() or "no remote named origin"
        print(f"No Binder link: Binder builds public GitHub repositories, and this clone's origin is "
              f"{where}. Push the course to GitHub, then run `make binder-url` again.")
        return 1
    print(url)
    print(f"Badge for the README: [![Binder](https://mybinder.org/badge_logo.svg)]({url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
