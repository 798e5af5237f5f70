"""Grade learners' notebooks: ``python -m convolved.grade SUBMISSIONS... [--out REPORT]``.

For every submitted notebook the grader reports each exercise as solved, tried and wrong (with
the checker's message) or not attempted, and the number solved: as a table on screen and, with
``--out REPORT``, in REPORT.csv (one row per submission) and REPORT.md. Which course notebook a
submission is comes from its imports (``from convolved.exercises import nb03 as ex``) or its title
("# 03 · ..."), or from ``--notebook``.

How a notebook is run
    Each submission runs as it is, in its own fresh kernel, in a temporary folder (deleted
    afterwards), with the network cut (a network namespace, see :mod:`convolved.sandbox`: Linux,
    as root or with user namespaces; elsewhere the grader stops and says so, unless told
    ``--allow-network``), a wall-time limit for the whole notebook (kernel start included) and a
    memory limit (the resident memory of the kernel, its children and the runner, added up and
    checked ten times a second). A cell that raises does not stop the run: the later cells still
    run, so one broken cell does not cost the exercises after it. The notebook's
    ``use_reference_solutions`` has no effect: before the first cell, the grader makes every
    checker check the learner's own answer, so the checkers never run our solutions there and
    switching them on earns nothing.

How results are read
    From the checkers, not from what the notebook prints: after every cell the kernel writes each
    exercise's latest result (exercises._RESULTS) to a file in the temporary folder. The latest
    check of an exercise counts, as in the notebook's own progress cell. An exercise whose check
    never ran (its cell deleted, failed before the check, or never reached) counts as not
    attempted. A notebook stopped by a limit keeps what it solved before.

Clear rows
    A file that is not a notebook, a notebook that is not one of the course's, a limit exceeded,
    a kernel that died: each gets its row with the reason (the "run" column), the cells that
    raised are listed with their error, and grading goes on with the next submission.

What it cannot prevent
    The learner's code runs with the instructor's permissions, in the same kernel as the
    checkers. The network is cut, but the files are not: the code can read and write what you can
    (grade in a container or as an unprivileged user if that matters). And it can tamper with the
    checkers in its kernel: redefine them, write a "correct" result into their records, or write
    the results file itself. Re-checking the answers in a clean process would not close this
    cheaply: the answers are live objects (functions, layers, datasets) that only the learner's
    kernel holds, and checking a function means running the learner's code anyway. Read a
    surprising result in the notebook itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import sandbox

__all__ = ["DEFAULT_MEMORY_LIMIT_GB", "DEFAULT_TIME_LIMIT", "STATUSES", "CellError", "Exercise", "Graded",
           "GradingError", "course_module", "exercise_titles", "grade", "grade_submission", "notebook_option",
           "prepare", "sandbox_command"]

DEFAULT_TIME_LIMIT = 120.0  # seconds per notebook: the course's notebooks take 10 to 20 s here
DEFAULT_MEMORY_LIMIT_GB = 2.0  # Binder's limit; each notebook's kernel peaks below 1 GB
GB = 2**30
#: the checkers' statuses → the grader's
STATUSES = {"correct": "solved", "wrong": "wrong", "not attempted": "not attempted"}
NEVER_CHECKED = "its check never ran (the cell was deleted, stopped before the check, or was not reached)"
GRADER_CELL = "from convolved.grade import _kernel\n_kernel.start({results!r}, {module!r})\ndel _kernel"
_EXERCISES_PACKAGE = "convolved.exercises"


class GradingError(RuntimeError):
    """The grader cannot run at all here (no network namespace, no submissions)."""


@dataclass(frozen=True)
class Exercise:
    """One exercise of one submission, as its checker last answered."""

    key: str
    title: str
    status: str  # "solved", "wrong" or "not attempted"
    message: str  # the checker's message (or why it never ran)


@dataclass(frozen=True)
class CellError:
    """A cell of the submission that raised."""

    cell: int  # its number among the notebook's code cells, from 1
    source: str  # its first line
    error: str  # e.g. "SyntaxError: invalid syntax"

    def __str__(self) -> str:
        return f"code cell {self.cell} ({_shorten(self.source, 40)}): {_shorten(self.error, 120)}"


@dataclass(frozen=True)
class Graded:
    """The grade of one submission."""

    submission: str  # the path as given
    notebook: str | None  # the exercise module, e.g. "nb03" (None when not known)
    run: str  # "completed", or why not: "time limit 120 s exceeded in code cell 5", "error: ..."
    exercises: tuple[Exercise, ...] = ()
    errors: tuple[CellError, ...] = ()
    seconds: float = 0.0

    @property
    def solved(self) -> int:
        return sum(exercise.status == "solved" for exercise in self.exercises)


def _shorten(text: str, width: int) -> str:
    """One line of at most ``width`` characters.

    >>> _shorten("a long line\\nand more", 8)
    'a long …'
    """
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


# ----------------------------------------------------------------------------------------------
# Which course notebook, and its exercises


def course_module(nb) -> str | None:
    """The exercise module a notebook uses ("nb03"), from its imports, else from its title
    ("# 03 · ..."); None if neither says.

    >>> import nbformat.v4 as v4
    >>> course_module(v4.new_notebook(cells=[v4.new_code_cell("from convolved.exercises import nb03 as ex")]))
    'nb03'
    >>> course_module(v4.new_notebook(cells=[v4.new_markdown_cell("# 05 · Max and mean pooling")]))
    'nb05'
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            found = re.search(r"\bconvolved\.exercises(?:\s+import\s+|\.)(nb\d\d)\b", cell.source)
            if found:
                return found[1]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.match(r"#\s*(\d\d)\s*·", cell.source)
            if found:
                return f"nb{found[1]}"
    return None


def notebook_option(value: str) -> str:
    """The exercise module named by the ``--notebook`` option: 3, 03, nb03 or 03_code_challenge.

    >>> notebook_option("3"), notebook_option("03_code_challenge.ipynb")
    ('nb03', 'nb03')
    """
    found = re.match(r"(?:nb)?(\d{1,2})(?:\D|$)", value)
    if not found:
        raise ValueError(f"--notebook must be a notebook number such as 03, got {value!r}")
    return f"nb{int(found[1]):02d}"


def exercise_titles(module: str) -> dict[str, str]:
    """The exercises of module ``module`` ("nb03"): key → title, in the notebook's order."""
    from .. import exercises

    name = f"{_EXERCISES_PACKAGE}.{module}"
    if not re.fullmatch(r"nb\d\d", module) or importlib.util.find_spec(name) is None:
        raise ValueError(f"there is no exercise module {name}")
    importlib.import_module(name)
    return dict(exercises._EXERCISES.get(name, {}))


# ----------------------------------------------------------------------------------------------
# Running one submission


def sandbox_command(allow_network: bool = False) -> list[str] | None:
    """The unshare command each notebook runs under (network cut, its own processes), or None
    when ``allow_network`` and no namespace can be made; otherwise GradingError says why."""
    unshare, reason = sandbox.working_unshare(sandbox.OWN_PROCESSES)
    if unshare is None and not allow_network:
        raise GradingError(f"the grader runs each notebook with the network cut, and {reason}. Run it as "
                           "root or where user namespaces are allowed, or pass --allow-network to grade "
                           "with the network on.")
    return unshare


def prepare(nb, results_path: str, module: str):
    """A copy of notebook ``nb`` with the grader's cell first (see _kernel.start)."""
    import nbformat

    prepared = nbformat.from_dict(json.loads(json.dumps(nb)))  # a deep copy
    cell = nbformat.v4.new_code_cell(GRADER_CELL.format(results=results_path, module=module))
    prepared.cells.insert(0, cell)
    return prepared


def _read_notebook(path: Path):
    """(notebook, None), or (None, why it is not one)."""
    import nbformat

    if not path.is_file():
        return None, "error: no such file"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except ValueError:  # UnicodeDecodeError too
        return None, "error: not a notebook (not JSON)"
    if not isinstance(data, dict) or "nbformat" not in data:
        return None, "error: not a notebook (JSON, but no nbformat version)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. cells without ids: nbformat adds them
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as error:  # noqa: BLE001 - whatever stops nbformat, it is not a notebook
        return None, f"error: not a notebook ({_shorten(str(error), 100) or type(error).__name__})"
    return nb, None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _exercises(titles: dict[str, str], recorded) -> tuple[Exercise, ...]:
    """Each exercise with its checker's latest answer, from the kernel's results file."""
    recorded = recorded if isinstance(recorded, dict) else {}
    rows = []
    for key, title in titles.items():
        answer = recorded.get(key)
        if (isinstance(answer, list) and len(answer) == 2 and answer[0] in STATUSES
                and isinstance(answer[1], str)):
            rows.append(Exercise(key, title, STATUSES[answer[0]], answer[1]))
        else:
            rows.append(Exercise(key, title, "not attempted", NEVER_CHECKED))
    return tuple(rows)


def grade_submission(path: str | Path, *, sandbox_prefix: Sequence[str] | None,
                     time_limit: float = DEFAULT_TIME_LIMIT, memory_limit_gb: float = DEFAULT_MEMORY_LIMIT_GB,
                     notebook: str | None = None, stop: threading.Event | None = None) -> Graded:
    """Run one submitted notebook in a fresh kernel and grade it (see the module's docstring).

    ``sandbox_prefix`` comes from :func:`sandbox_command`; ``notebook`` ("nb03") overrides the
    notebook's own imports and title; setting ``stop`` ends the run early.
    """
    import nbformat

    name = str(path)
    nb, problem = _read_notebook(Path(path))
    if nb is None:
        return Graded(name, None, problem)
    module = notebook or course_module(nb)
    if module is None:
        return Graded(name, None, "error: not a notebook of the course (it imports no convolved.exercises "
                                  "module; name it with --notebook)")
    try:
        titles = exercise_titles(module)
    except ValueError as error:
        return Graded(name, module, f"error: {error}")

    folder = Path(tempfile.mkdtemp(prefix="convolved-grade-"))
    try:
        results, progress_path = folder / "results.json", folder / "cells.json"
        prepared = prepare(nb, str(results), module)
        nbformat.write(prepared, folder / "submission.ipynb")
        command = [sys.executable, "-m", "convolved.grade._worker", "submission.ipynb", str(progress_path)]
        if sandbox_prefix:
            command = sandbox.cut_network_command(*command, unshare=sandbox_prefix)
        # The kernel's connection file and IPython profile live (and go) with the folder: no
        # instructor's startup scripts run in a learner's kernel.
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
               "IPYTHONDIR": str(folder / "ipython")}
        with open(folder / "runner.log", "wb") as log:
            finished = sandbox.run_limited(command, time_limit=time_limit,
                                           memory_limit=int(memory_limit_gb * GB), cwd=folder, env=env,
                                           output=log, stop=stop)
        progress = _read_json(progress_path)
        log_tail = (folder / "runner.log").read_text(errors="replace").strip().splitlines()[-1:]
        recorded = _read_json(results).get(f"{_EXERCISES_PACKAGE}.{module}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    code_numbers = {}  # index in the prepared notebook → number among the submission's code cells
    for index, cell in enumerate(prepared.cells[1:], start=1):
        if cell.cell_type == "code":
            code_numbers[index] = len(code_numbers) + 1

    def cell_error(index, ename, evalue) -> CellError:
        source = prepared.cells[index].source.strip().splitlines()
        return CellError(code_numbers.get(index, 0), source[0] if source else "",
                         f"{ename}: {evalue}" if evalue else str(ename))

    raised = [error for error in progress.get("errors", []) if isinstance(error, list) and len(error) == 3]
    errors = [cell_error(*error) for error in raised if error[0] in code_numbers]
    setup_failed = [error for error in raised if error[0] == 0]
    run = _run_outcome(finished, progress, prepared, code_numbers, time_limit, memory_limit_gb, log_tail)
    if setup_failed and run == "completed":
        run = f"error: the grader's setup failed in the kernel ({setup_failed[0][1]}: {setup_failed[0][2]})"
    return Graded(name, module, run, _exercises(titles, recorded), tuple(errors), finished.seconds)


def _run_outcome(finished: sandbox.Finished, progress: dict, prepared, code_numbers: dict[int, int],
                 time_limit: float, memory_limit_gb: float, log_tail: list[str]) -> str:
    """"completed", or how the run ended, and in which cell."""
    last = progress.get("last_cell")
    running = next((index for index, cell in enumerate(prepared.cells)
                    if index > (last if isinstance(last, int) else -1) and cell.cell_type == "code"
                    and cell.source.strip()), None)
    if running == 0:
        where = " while the kernel started"
    elif running is not None:
        where = f" in code cell {code_numbers[running]}"
    else:
        where = ""
    if finished.limit == "time":
        return f"time limit {time_limit:g} s exceeded{where}"
    if finished.limit == "memory":
        return f"memory limit {memory_limit_gb:g} GB exceeded{where}"
    if finished.limit == "stopped":
        return f"stopped: grading was interrupted{where}"
    if progress.get("kernel_died"):
        return f"the kernel died{where}"
    if not progress.get("finished"):
        said = f": {_shorten(log_tail[0], 160)}" if log_tail else ""
        return f"error: the notebook runner stopped (exit code {finished.returncode}){where}{said}"
    return "completed"


def grade(submissions: Sequence[str | Path], *, time_limit: float = DEFAULT_TIME_LIMIT,
          memory_limit_gb: float = DEFAULT_MEMORY_LIMIT_GB, notebook: str | None = None, jobs: int = 1,
          allow_network: bool = False, on_graded: Callable[[Graded], None] | None = None) -> list[Graded]:
    """Grade every submission (``jobs`` at a time), in the order given.

    A folder stands for the ``.ipynb`` files in it. ``on_graded`` is called as each one is done.
    """
    paths: list[Path] = []
    for submission in map(Path, submissions):
        if submission.is_dir():
            found = sorted(submission.glob("*.ipynb"))
            if not found:
                raise GradingError(f"{submission} holds no .ipynb file")
            paths += found
        else:
            paths.append(submission)
    if not paths:
        raise GradingError("no submissions to grade")
    prefix = sandbox_command(allow_network)
    stop = threading.Event()

    def one(path: Path) -> Graded:
        graded = grade_submission(path, sandbox_prefix=prefix, time_limit=time_limit,
                                  memory_limit_gb=memory_limit_gb, notebook=notebook, stop=stop)
        if on_graded:
            on_graded(graded)
        return graded

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, path) for path in paths]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C: end the running notebooks now, start no more
            stop.set()
            pool.shutdown(cancel_futures=True)
            raise

