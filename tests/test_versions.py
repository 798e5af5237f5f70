"""The versions the course claims: requirements-oldest.txt (what `make test-oldest` installs) follows
pyproject.toml's floors, and `import convolved` stops with one clear line, naming the package and
the version needed, when a dependency is older than its floor."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import convolved

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from oldest_requirements import floors, pins, render  # noqa: E402
from test_oldest import DESELECT  # noqa: E402

DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def test_requirements_oldest_is_generated_from_pyproject():
    assert (ROOT / "requirements-oldest.txt").read_text() == render(), \
        "requirements-oldest.txt drifted from pyproject.toml: run python tools/oldest_requirements.py"


def test_every_dependency_is_pinned_at_its_floor():
    oldest = pins(ROOT / "requirements-oldest.txt")
    assert floors() == {name: oldest[name.lower()] for name in floors()}
    assert len(floors()) == len(DEPENDENCIES)


def test_a_dependency_without_a_floor_is_refused(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["numpy>=1.26", "torch"]\n')
    with pytest.raises(ValueError, match="'torch' is not of the form"):
        floors(pyproject)


def test_the_installed_package_declares_pyprojects_floors():
    """The import-time check reads the floors back from the installed metadata: they must be these."""
    assert metadata.requires("convolved") == DEPENDENCIES


def test_deselected_tests_exist():
    """A renamed test would silently run again in `make test-oldest`, or stay excluded by mistake."""
    for node in DESELECT:
        path, *_, name = node.split("::")
        assert f"def {name}(" in (ROOT / path).read_text(), f"{node} is not a test any more"


def test_the_versions_installed_here_are_new_enough():
    assert convolved._too_old() == []


@pytest.mark.parametrize(("found", "floor", "older"), [
    ("2.3.1", "2.4", True),
    ("2.4", "2.4", False),
    ("2.4.0", "2.4", False),
    ("2.4.0+cu121", "2.4", False),
    ("2.5.0a0+git1234", "2.4", False),  # a source build of the next release
    ("1.25.2", "1.26", True),
    ("1.26.4", "1.26", False),
    ("7.8.1", "8", True),
    ("10.0", "8", False),  # compared as numbers, not text
    ("0.19", "0.19.1", True),
])
def test_older(found, floor, older):
    assert convolved._older(found, floor) is older


class TestTooOld:
    @pytest.fixture
    def installed(self, monkeypatch):
        """Pretend some dependencies are installed at other versions."""
        real = convolved._version
        versions = {}
        monkeypatch.setattr(convolved, "_version", lambda name: versions.get(name) or real(name))
        return versions

    def test_one_package(self, installed):
        installed["torch"] = "2.3.1"
        floor = floors()["torch"]
        with pytest.raises(ImportError) as error:
            convolved._check_versions()
        assert str(error.value) == (f"Convolved needs torch >= {floor} (found 2.3.1): "
                                    f"pip install -U 'torch>={floor}', then restart the kernel")

    def test_every_package_too_old_is_named_once(self, installed):
        installed.update({"numpy": "1.24.4", "ipywidgets": "7.7.1"})
        with pytest.raises(ImportError) as error:
            convolved._check_versions()
        message = str(error.value)
        assert "\n" not in message
        assert message.count("numpy >=") == message.count("ipywidgets >=") == 1
        assert "found 1.24.4" in message and "found 7.7.1" in message
        assert f"'numpy>={floors()['numpy']}' 'ipywidgets>={floors()['ipywidgets']}'" in message

    def test_the_floor_itself_is_enough(self, installed):
        installed.update(floors())
        convolved._check_versions()

    def test_a_dependency_without_metadata_is_left_to_its_import(self, monkeypatch):
        def missing(name):
            raise metadata.PackageNotFoundError(name)
        monkeypatch.setattr(convolved, "_version", missing)
        assert convolved._too_old() == []

    def test_nothing_to_check_from_a_source_tree(self, monkeypatch):
        def not_installed(name):
            raise metadata.PackageNotFoundError(name)
        monkeypatch.setattr(convolved._metadata, "requires", not_installed)
        assert convolved._too_old() == []

    def test_requirements_with_markers_are_not_floors(self, monkeypatch, installed):
        monkeypatch.setattr(convolved._metadata, "requires",
                            lambda name: ['pytest>=99; extra == "test"', "torch>=2.4"])
        installed["pytest"] = "1.0"
        assert convolved._too_old() == []


def test_version_reads_the_metadata():
    for name in floors():
        assert convolved._version(name) == metadata.version(name)


def test_import_stops_with_one_clear_line():
    """What a learner sees in the setup cell: the import fails with one line that says what to do."""
    floor = floors()["torch"]
    script = """if True:
        import importlib.metadata as m
        real = m.distribution
        class Old:
            version = "2.3.1"
            def read_text(self, filename):
                return "Metadata-Version: 2.1\\nName: torch\\nVersion: 2.3.1\\n\\nText"
        m.distribution = lambda name: Old() if name == "torch" else real(name)
        import convolved
    """
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"ImportError: Convolved needs torch >= {floor} (found 2.3.1): "
        f"pip install -U 'torch>={floor}', then restart the kernel")
