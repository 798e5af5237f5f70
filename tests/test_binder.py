"""Binder's configuration stays in step with requirements.txt; launch links are derived, not invented."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from launch_links import binder_url, colab_url, links_table  # noqa: E402

CPU_BUILDS = {"torch", "torchvision"}
TEST_ONLY = {"nbval", "pytest", "pytest-xdist", "pytest-timeout", "hypothesis", "ruff", "playwright",
             "expecttest"}
CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def pins(path: Path) -> dict[str, str]:
    result = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith(("#", "-")):
            name, version = line.split("==")
            result[name.lower()] = version
    return result


def test_binder_installs_the_same_pins_with_cpu_torch():
    course, binder = pins(ROOT / "requirements.txt"), pins(ROOT / "binder" / "requirements.txt")
    assert CPU_INDEX in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    for name, version in binder.items():
        assert name in course, f"{name} is pinned for Binder but not in requirements.txt"
        expected = f"{course[name]}+cpu" if name in CPU_BUILDS else course[name]
        assert version == expected, f"{name}: Binder {version}, requirements.txt {course[name]}"
    missing = set(course) - set(binder)
    assert missing <= TEST_ONLY, f"needed on Binder but missing there: {sorted(missing - TEST_ONLY)}"


def test_binder_installs_the_course_package_and_python():
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert "cp binder/overrides.json" in post_build and "share/jupyter/lab/settings" in post_build
    server = 'cat binder/jupyter_server_config.py >> "$prefix/etc/jupyter/jupyter_server_config.py"'
    assert server in post_build  # added to the environment's server settings, if it has some
    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers == {"markdown": "Markdown Preview"}  # the README opens rendered
    assert overrides["@jupyterlab/notebook-extension:tracker"]["kernelShutdown"] is True
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_make_lab_uses_the_same_jupyterlab_defaults_without_the_news_popup():
    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    # `make setup` installs them where JupyterLab reads application settings: <prefix>/share/...
    installed = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert json.loads(installed.read_text()) == overrides, "run `make setup`"


def test_the_server_sends_kernel_messages_at_once(monkeypatch):
    """binder/jupyter_server_config.py, loaded as Jupyter loads it, gives the server a kernel
    connection that sets TCP_NODELAY on its WebSocket, then connects as before; `make setup`
    installs it where every server started from .venv reads it (postBuild: see above)."""
    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("jupyter_server_config.py", str(ROOT / "binder")).load_config()
    connection_class = config.ServerApp.kernel_websocket_connection_class
    assert issubclass(connection_class, ZMQChannelsWebsocketConnection)
    calls = []

    class Handler(KernelWebsocketHandler):
        def __init__(self):  # no application or request: only set_nodelay is called
            pass

        def set_nodelay(self, value: bool) -> None:
            calls.append(("set_nodelay", value))

    monkeypatch.setattr(ZMQChannelsWebsocketConnection, "connect",
                        lambda self: calls.append("connect") or "ready")
    connection = connection_class(websocket_handler=Handler())
    assert connection.connect() == "ready"  # what the server awaits, passed on
    assert calls == [("set_nodelay", True), "connect"]  # set before any message is sent
    monkeypatch.setenv("JUPYTER_GATEWAY_URL", "http://127.0.0.1:8888")  # a gateway's own is kept
    config = PyFileConfigLoader("jupyter_server_config.py", str(ROOT / "binder")).load_config()
    assert "kernel_websocket_connection_class" not in config.ServerApp
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.py"
    course = ROOT / "binder" / "jupyter_server_config.py"
    assert installed.read_text() == course.read_text(), "run `make setup`"


@pytest.mark.parametrize("remote", [
    "https://github.com/someone/convolved.git",
    "https://github.com/someone/convolved",
    "git@github.com:someone/convolved.git",
    "ssh://git@github.com/someone/convolved.git",
])
def test_binder_url_from_a_github_remote(remote):
    assert binder_url(remote) == "https://mybinder.org/v2/gh/someone/convolved/main?labpath=README.md"


@pytest.mark.parametrize("remote", ["/work/main", "https://gitlab.com/someone/convolved.git", ""])
def test_no_launch_links_for_other_remotes(remote):
    assert binder_url(remote) is None
    assert colab_url(remote, "notebooks/01_convolution_in_code.ipynb") is None


def test_every_notebook_gets_binder_and_colab_links():
    table = links_table("git@github.com:someone/convolved.git")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        relative = f"notebooks/{path.name}"
        assert f"https://mybinder.org/v2/gh/someone/convolved/main?labpath={relative}" in table
        assert f"https://colab.research.google.com/github/someone/convolved/blob/main/{relative}" in table


def test_links_tool_refuses_without_a_github_remote(tmp_path):
    """In a clone whose origin is not on GitHub the tool explains and changes nothing."""
    import shutil
    import subprocess

    clone = tmp_path / "clone"
    for folder in ("tools", "notebooks"):
        shutil.copytree(ROOT / folder, clone / folder)
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, clone / name)
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "remote", "add", "origin", "/somewhere/local"], check=True)
    done = subprocess.run([sys.executable, str(clone / "tools" / "launch_links.py"), "--write"],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "No launch links" in done.stdout and "/somewhere/local" in done.stdout
    assert (clone / "README.md").read_text() == (ROOT / "README.md").read_text()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert (clone / "notebooks" / path.name).read_bytes() == path.read_bytes()
