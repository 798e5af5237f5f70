"""Notebook tests: hygiene of the committed files, and a papermill run with other parameters.

Each notebook is executed three times per `make test`, each run proving something different:
strict nbval, offline and at the learner's thread count (tests/test_offline.py); papermill with
every parameter changed and the reference solutions checked (here); Run All in JupyterLab in
Chromium, whose outputs are compared with the committed ones too (tests/test_browser.py).
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from convolved import figures
from convolved.exercises import progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import launch_links  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]

# Non-default parameters for each notebook: every knob moved, exercises filled with solutions.
OTHER_PARAMETERS = {
    "01_convolution_in_code": {
        "seed": 7,
        "image_name": "coins",
        "color_image_name": "chelsea",
        "image_size": 96,
        "speed_image_size": 40,
        "speed_kernel_sizes": [3, 7],
        "use_reference_solutions": True,
    },
    "02_the_conv2d_class": {
        "seed": 3,
        "image_name": "chelsea",
        "image_size": 72,
        "out_channels": 2,
        "n_random_layers": 40,
        "shift_pixels": [-3, 7],
        "use_reference_solutions": True,
    },
    "03_code_challenge": {
        "seed": 7,
        "image_name": "coins",
        "batch_size": 3,
        "max_kernel_size": 9,
        "use_reference_solutions": True,
    },
    "04_transpose_convolution": {
        "seed": 5,
        "image_name": "coins",
        "image_size": 48,
        "n_random_layers": 60,
        "epochs": 3,
        "use_reference_solutions": True,
    },
    "05_max_and_mean_pooling": {
        "seed": 3,
        "image_name": "coffee",
        "image_size": 96,
        "noise_level": 0.3,
        "n_stars": 25,
        "n_random_configs": 60,
        "channels": [6, 12],
        "designs": ["pool", "all-conv"],
        "dense_hidden": [32],
        "epochs": 3,
        "n_runs": 1,
        "use_reference_solutions": True,
    },
    "06_image_transforms": {
        "seed": 5,
        "image_name": "coffee",
        "photo_size": 112,
        "crop_size": 64,
        "rotation_degrees": 45,
        "jitter_strength": 0.2,
        "noise_std": 0.05,
        "batch_image_names": ["astronaut", "camera", "rocket"],
        "digits_per_class": 15,
        "augment_epochs": 20,
        "use_reference_solutions": True,
    },
    "07_custom_datasets": {
        "seed": 3,
        "n_train": 1300,
        "rotation": 20,
        "shift": 0.15,
        "n_files": 25,
        "batch_size": 48,
        "epochs": 3,
        "source_classes": [5, 6, 7, 8, 9],
        "shots_per_class": [2, 5],
        "n_draws": 2,
        "few_shot_epochs": 15,
        "use_reference_solutions": True,
    },
}

IMAGE_LINK = re.compile(r"!\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(([^)\s]+)\)")
FIGURE_CELL = re.compile(r'^show_figure\("(?P<name>\w+)"\)$')
IMAGES = ROOT / "images"
MACHINE_PATH = re.compile(r"/(root|tmp|work|home|Users)/")
VOLATILE_TAG = "nbval-ignore-output"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def output_text(cell) -> str:
    """All text a code cell printed or displayed."""
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
        parts.append(output.get("evalue", ""))
    return "".join(parts)


def test_the_seven_notebooks_are_numbered_in_order():
    numbers = [int(name[:2]) for name in NAMES]
    assert numbers == list(range(1, len(numbers) + 1)), NAMES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
class TestHygiene:
    def test_kernelspec_and_clean_metadata(self, path):
        nb = read(path)
        assert nb.metadata.kernelspec.name == "python3"
        assert set(nb.metadata) == {"kernelspec", "language_info"}, "run `make execute` to clean"
        assert "version" not in nb.metadata.language_info

    def test_executed_in_order_without_errors(self, path):
        code = [cell for cell in read(path).cells if cell.cell_type == "code"]
        assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
        for cell in code:
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]
            assert "Traceback" not in output_text(cell), cell.source[:80]

    def test_install_cell_then_setup_then_parameters(self, path):
        cells = [cell for cell in read(path).cells if cell.cell_type == "code"]
        assert cells[0].source == launch_links.install_cell_source(launch_links.recorded_repository()), \
            "the first cell installs the course package where it is missing: run `make links`"
        assert not cells[0].outputs, "where the package is installed, the install cell prints nothing"
        tagged = [i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", [])]
        assert len(tagged) == 1
        assert "import" in cells[1].source and tagged[0] == 2, "setup cell, then parameters"

    def test_cell_metadata_is_clean(self, path):
        for cell in read(path).cells:
            assert set(cell.metadata) <= {"tags"}, cell.metadata
            assert "raises-exception" not in cell.metadata.get("tags", []), "papermill fails on it"

    def test_no_machine_paths_or_widget_ids_in_outputs(self, path):
        for cell in read(path).cells:
            for output in cell.get("outputs", []):
                assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {})
                assert not MACHINE_PATH.search(json.dumps(output.get("text", ""))), cell.source[:80]
                assert not MACHINE_PATH.search(json.dumps(output.get("data", {}).get("text/plain", "")))

    def test_only_widget_and_timing_cells_are_volatile(self, path):
        for cell in read(path).cells:
            tags = cell.metadata.get("tags", [])
            if "timing" in tags or re.search(r"widgets\.\w+Explorer\(|solution_button\(", cell.source):
                assert VOLATILE_TAG in tags, cell.source[:80]
            elif VOLATILE_TAG in tags:
                pytest.fail(f"only widget and timing cells may skip output checks: {cell.source[:80]}")

    def test_figures_are_show_figure_cells_with_the_committed_png_and_alt_text(self, path):
        """A figure is the output of a one-line `show_figure("NAME")` cell, never a Markdown image:
        Colab does not follow an image link. Its saved output is the current PNG from images/."""
        for cell in read(path).cells:
            if cell.cell_type == "markdown":
                assert not IMAGE_LINK.search(cell.source), \
                    f"a Markdown image: show figures with show_figure: {cell.source[:80]}"
            elif "show_figure(" in cell.source:
                match = FIGURE_CELL.match(cell.source)
                assert match, f"a figure cell is one line, show_figure(\"NAME\"): {cell.source[:80]}"
                name = match["name"]
                assert name in figures.FIGURES, f"no figure {name!r} in the registry"
                [output] = cell.outputs
                assert output.output_type == "execute_result"
                assert set(output.data) == {"image/png", "text/plain"}
                assert output.data["text/plain"] == figures.alt_text(name), f"{name}: alt text differs"
                assert base64.b64decode(output.data["image/png"]) == (IMAGES / f"{name}.png").read_bytes(), \
                    f"{name}: the saved picture is not images/{name}.png; run `make execute`"

    def test_learner_cells_hold_no_test_plumbing(self, path):
        """Only the parameters cell and the cell after it (figures aside) mention the reference solutions."""
        code = [cell.source for cell in read(path).cells
                if cell.cell_type == "code" and not FIGURE_CELL.match(cell.source)]
        assert "set_reference_mode(use_reference_solutions)" in code[3]
        assert not [source[:80] for source in code[4:] if "use_reference_solutions" in source]

    def test_ends_with_the_learners_progress(self, path):
        cells = read(path).cells
        key_points = next(i for i, cell in enumerate(cells) if cell.source.startswith("## Key points"))
        code_before = [cell for cell in cells[:key_points] if cell.cell_type == "code"]
        assert code_before[-1].source == "progress(ex)"
        assert "Your progress" in output_text(code_before[-1])

    def test_progress_titles_are_the_exercise_headings(self, path):
        headings = {line[4:].strip() for cell in read(path).cells if cell.cell_type == "markdown"
                    for line in cell.source.splitlines() if line.startswith("### ")}
        module = importlib.import_module(f"convolved.exercises.nb{path.stem[:2]}")
        titles = [title for title, _ in progress(module).rows]
        assert len(titles) >= 2
        assert set(titles) <= headings, sorted(set(titles) - headings)

    def test_exercises_use_the_checkers(self, path):
        source = "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "code")
        assert len(re.findall(r"\bex\.check_\w+\(", source)) >= 2, "at least two self-checking exercises"
        assert source.count("solution_button(") >= 2
        assert "NotImplementedError" not in source


def test_every_figure_is_shown_by_a_notebook():
    shown = {match["name"] for path in NOTEBOOKS for cell in read(path).cells
             if cell.cell_type == "code" and (match := FIGURE_CELL.match(cell.source))}
    assert set(figures.FIGURES) <= shown, sorted(set(figures.FIGURES) - shown)


def run_papermill(path: Path, tmp_path: Path, parameters: dict) -> nbformat.NotebookNode:
    import papermill

    out = tmp_path / path.name
    papermill.execute_notebook(str(path), str(out), parameters=parameters, kernel_name="python3",
                               cwd=str(path.parent), progress_bar=False)
    return read(out)


# These notebooks' run with other parameters happens as on Colab: in a fresh environment that has
# torch and the other libraries but not the course package, so their first cell must install it,
# from a clone of this repository standing in for the GitHub one, without reinstalling torch.
AS_ON_COLAB = {"01_convolution_in_code", "05_max_and_mean_pooling"}


@pytest.fixture(scope="session")
def colab_like(tmp_path_factory):
    """(python of a fresh venv that sees .venv's packages but not `convolved`, the clone's URL)."""
    import sysconfig

    base = tmp_path_factory.mktemp("colab")
    clone = base / "course"
    subprocess.run(["git", "clone", "--quiet", str(NOTEBOOK_DIR.parent), str(clone)], check=True)
    venv = base / "venv"
    # No pip of its own: the one .venv shares below installs into this venv, as Colab's pip does.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # torch, papermill & co. from .venv; its .pth files (the editable course package) stay unread
    (Path(site) / "preinstalled.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([python, "-c", "import torch, papermill; import convolved"], capture_output=True)
    assert b"No module named 'convolved'" in probe.stderr, probe.stderr[-500:]
    return python, Path(site), f"file://{clone}"


def run_as_on_colab(path: Path, tmp_path: Path, parameters: dict, colab_like) -> nbformat.NotebookNode:
    python, site, repository = colab_like
    nb = read(path)
    nb.cells[0].source = launch_links.install_cell_source(repository)
    source, out = tmp_path / f"colab_{path.name}", tmp_path / path.name
    nbformat.write(nb, source)
    done = subprocess.run([python, "-m", "papermill", str(source), str(out), "-y", json.dumps(parameters),
                           "-k", "python3", "--cwd", str(path.parent), "--no-progress-bar"],
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (site / "convolved").is_dir(), "the install cell did not install the course package"
    assert not (site / "torch").exists(), "the install cell must not install torch"
    # The figures came with the package (images/ is its data package convolved.images) and show.
    shipped = sorted(png.stem for png in (site / "convolved" / "images").glob("*.png"))
    assert shipped == sorted(figures.FIGURES), "the installed package does not carry every figure"
    ran = read(out)
    shown = [(match["name"], cell) for cell in ran.cells if (match := FIGURE_CELL.match(cell.source))]
    assert shown, f"{path.name} shows no figure, so this run does not test that figures show on Colab"
    for name, cell in shown:
        assert base64.b64decode(cell.outputs[0].data["image/png"]) == (IMAGES / f"{name}.png").read_bytes()
    return ran


def texts(nb) -> list[str]:
    return [output_text(cell) for cell in nb.cells if cell.cell_type == "code"]


def feedback(nb) -> list[str]:
    """What the exercise checkers answered: cell results that start with ✓, ✗ or …."""
    answers = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type != "execute_result":
                continue
            text = output.data.get("text/plain", "")
            if text[:1] in ("✓", "✗", "…"):
                answers.append(text)
    return answers


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_committed_run_leaves_every_exercise_unattempted(path):
    """The committed outputs are a default run: no exercise solved or tried (strict nbval in
    tests/test_offline.py proves that re-running the notebook reproduces them)."""
    answers = feedback(read(path))
    assert len(answers) >= 2
    assert all(answer.startswith("… not attempted yet") for answer in answers), answers


@pytest.mark.notebook
@pytest.mark.parametrize("path", [
    # the notebooks run as on Colab share one worker, so one fresh venv installs the package once
    pytest.param(path, marks=pytest.mark.xdist_group("colab")) if path.stem in AS_ON_COLAB else path
    for path in NOTEBOOKS], ids=NAMES)
def test_papermill_other_parameters_and_reference_solutions(path, tmp_path, request):
    parameters = OTHER_PARAMETERS[path.stem]
    if path.stem in AS_ON_COLAB:
        nb = run_as_on_colab(path, tmp_path, parameters, request.getfixturevalue("colab_like"))
    else:
        nb = run_papermill(path, tmp_path, parameters)
    injected = [cell for cell in nb.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert len(injected) == 1
    answers = feedback(nb)
    assert len(answers) >= 2
    assert all(answer.startswith("✓") for answer in answers), answers
    # The parameters really were used: some output differs from the committed (default) run.
    committed = set(texts(read(path)))
    assert [text for text in texts(nb) if text not in committed]
