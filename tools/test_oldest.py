"""`make test-oldest`: the course on the OLDEST versions pyproject.toml claims (run in .venv-oldest).

1. The venv really has the floors: each dependency's installed version is its floor.
2. The package tests, less those that are not about versions (see OMIT) or that compare with what
   today's pins produce byte for byte or number for number (see DESELECT).
3. Every notebook runs with papermill, two at a time, and must: raise no error; keep its setup
   cells (the code cells before the parameters cell) silent; and print, cell by cell, the same ✓
   and ✗ check lines as the committed notebook, numbers aside (they may move with the versions:
   an accuracy, a timing). Lines whose numbers moved are listed, for information.

Usage: .venv-oldest/bin/python tools/test_oldest.py [--no-tests] [--no-notebooks] [NOTEBOOK ...]
Executed notebooks go to build/oldest/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from oldest_requirements import floors  # noqa: E402

NOTEBOOK_DIR = ROOT / "notebooks"
OUT_DIR = ROOT / "build" / "oldest"

# Test modules that are not about the package on other versions.
OMIT = {
    "tests/test_notebooks.py": "the notebooks are executed below, with papermill, in this venv",
    "tests/test_offline.py": "strict nbval compares outputs with those today's pins wrote",
    "tests/test_browser.py": "JupyterLab in Chromium: the course's lab setup, not the package",
    "tests/test_binder.py": "Binder's files and .venv's JupyterLab settings, not the package",
}
# Modules of the site, slides, Colab and launch-link tests need tools this venv does not have.
OMIT_GLOBS = ["tests/test_site*.py", "tests/test_slides*.py", "tests/test_colab*.py", "tests/test_launch*.py"]
# Tests that compare with what today's pins produce, which other versions legitimately change.
DESELECT = {
    "tests/test_figures.py::test_build_reproduces_committed_images":
        "compares PNG bytes with the committed figures, drawn by today's matplotlib",
    "tests/test_figures.py::test_cli_only": "the same byte comparison, through the command line",
    "tests/test_figures.py::test_png_sizes":
        "the 150 KB budget is for the committed figures; matplotlib 3.8 compresses one to 174 KB",
    "tests/test_transfer.py::TestExperiment::test_the_numbers_notebook_07_reports":
        "notebook 07's accuracies to ±0.0005, as today's torch trains them (torch 2.7: 0.916, not 0.921)",
    "tests/test_shapes.py::test_conv_output_size_matches_torch":
        "its reference is torch's meta kernels, which in torch 2.7 refuse a layer only when every "
        "output dimension is empty (the CPU kernels, and the package, refuse any empty dimension)",
}
CHECK = re.compile(r"^\s*([✓✗].*)$", re.MULTILINE)
NUMBER = re.compile(r"[-+−]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?")


def check_floors() -> list[str]:
    """The installed version of each dependency is its floor (so pip resolved what we asked)."""
    problems = []
    for name, floor in floors().items():
        found = metadata.version(name)
        release = found.split("+")[0].split(".")
        wanted = floor.split(".")
        if release[:len(wanted)] != wanted or any(part != "0" for part in release[len(wanted):]):
            problems.append(f"{name} {found} is installed, not the floor {floor}")
        print(f"  {name} {found}")
    return problems


def run_tests() -> int:
    omitted = set(OMIT) | {str(p.relative_to(ROOT)) for g in OMIT_GLOBS for p in ROOT.glob(g)}
    # --disable-warnings: the summary would list matplotlib 3.8's pyparsing and ipywidgets 8.0's
    # ipykernel deprecations, thousands of times; pyproject's filters (errors in convolved) still apply.
    args = [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider", "--disable-warnings",
            "-m", "not notebook and not browser",
            *(f"--ignore={path}" for path in sorted(omitted)),
            *(f"--deselect={test}" for test in DESELECT)]
    for path in sorted(omitted):
        print(f"  omitted {path}: {OMIT.get(path, 'needs tools this venv does not have')}")
    for test, reason in DESELECT.items():
        print(f"  deselected {test}: {reason}")
    return subprocess.run(args, cwd=ROOT).returncode


def check_lines(nb) -> list[list[str]]:
    """For each code cell, its printed ✓/✗ lines."""
    cells = [c for c in nb.cells
             if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    result = []
    for cell in cells:
        text = ""
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                text += output.text
            elif output.output_type in ("display_data", "execute_result"):
                text += output.get("data", {}).get("text/plain", "") + "\n"
        result.append(CHECK.findall(text))
    return result


def setup_cells(nb) -> list:
    """The code cells before the parameters cell."""
    cells = []
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            return cells
        if cell.cell_type == "code":
            cells.append(cell)
    return cells


def execute(path: Path) -> tuple[str, float, list[str], list[str]]:
    """Run one notebook; return (name, seconds, problems, notes)."""
    import nbformat
    import papermill

    output = OUT_DIR / path.name
    start = time.perf_counter()
    problems, notes = [], []
    try:
        papermill.execute_notebook(str(path), str(output), cwd=str(NOTEBOOK_DIR), kernel_name="python3",
                                   progress_bar=False, execution_timeout=900)
    except Exception as error:  # a failing cell: papermill names it and saves the notebook so far
        problems.append(f"{type(error).__name__}: {str(error).strip()[-1500:]}")
    seconds = time.perf_counter() - start
    if not output.exists():
        return path.stem, seconds, problems or ["no output notebook"], notes
    new, committed = nbformat.read(output, as_version=4), nbformat.read(path, as_version=4)
    for cell in new.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error" and not problems:
                problems.append(f"error output: {out.ename}: {out.evalue}")
    for cell in setup_cells(new):
        if cell.get("outputs"):
            printed = " | ".join(str(o.get("text", o.get("evalue", o.output_type))).strip()
                                 for o in cell.outputs)
            problems.append(f"the setup cell printed: {printed[:500]}")
    old_lines, new_lines = check_lines(committed), check_lines(new)
    if len(old_lines) != len(new_lines):
        problems.append(f"{len(new_lines)} code cells ran, the committed notebook has {len(old_lines)}")
    for index, (old, now) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if [NUMBER.sub("#", line) for line in old] != [NUMBER.sub("#", line) for line in now]:
            problems.append(f"code cell {index}: the checks printed\n      "
                            + "\n      ".join(now or ["(nothing)"])
                            + "\n    not, as committed,\n      " + "\n      ".join(old or ["(nothing)"]))
        else:
            notes += [f"code cell {index}: {a!r} → {b!r}" for a, b in zip(old, now, strict=True) if a != b]
    return path.stem, seconds, problems, notes


def run_notebooks(paths: list[Path]) -> int:
    # The kernel must be this venv's: its own kernel spec comes first, and it names "python",
    # which jupyter_client resolves to this interpreter.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                              os.environ.get("JUPYTER_PATH")]))
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(spec.resource_dir).is_relative_to(sys.prefix), f"kernel python3 is {spec.resource_dir}"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    failed = 0
    with ProcessPoolExecutor(max_workers=2) as pool:
        for name, seconds, problems, notes in pool.map(execute, paths):
            print(f"  {'ok  ' if not problems else 'FAIL'} {name} ({seconds:.0f} s)")
            for problem in problems:
                print(f"    {problem}")
            for note in notes:
                print(f"    (numbers moved) {note}")
            failed += bool(problems)
    return failed


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    wanted = [a for a in argv if not a.startswith("--")]
    paths = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if wanted:
        paths = [p for p in paths if any(w in p.name for w in wanted)]
    print(f"The oldest versions pyproject.toml claims, in {sys.prefix}:")
    problems = check_floors()
    for problem in problems:
        print(f"  FAIL {problem}")
    tests = 0 if "--no-tests" in argv else run_tests()
    failed_notebooks = 0
    if "--no-notebooks" not in argv:
        print(f"Notebooks with papermill (outputs in {OUT_DIR.relative_to(ROOT)}/):")
        failed_notebooks = run_notebooks(paths)
    ok = not problems and tests == 0 and failed_notebooks == 0
    summary = (f"test-oldest: {'passed' if ok else 'FAILED'} in {time.perf_counter() - start:.0f} s "
               f"(package tests {'passed' if tests == 0 else 'FAILED'}; "
               f"{len(paths) - failed_notebooks} of {len(paths)} notebooks passed)")
    print(summary)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
