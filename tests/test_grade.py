"""The grader (``python -m convolved.grade``) on submissions generated from notebook 03.

Notebook 03 is the quickest of the course to run, and its eight exercises are all answered in
cells of one form (``my_answer_1 = ...`` then ``ex.check_challenge(1, my_answer_1)``), so the test
finds them by their check call and writes into them: the reference solution registered in
convolved.exercises (a solved copy), a wrong answer, a syntax error, and so on. Each submission
is then graded in a real kernel with the network cut, and each row must say what happened.
Generated submissions:

- solved: every answer cell holds the reference solution's code → 8 of 8;
- untouched: the committed notebook → all "not attempted", with the checkers' own messages;
- partly wrong, the kinds of mess learners make, in one notebook: two solved, one wrong, one left
  as is, one cell deleted, one answer renamed (NameError), one syntax error, one that raises,
  ``use_reference_solutions = True`` (which must earn nothing) and a cell that reaches for the
  network: a server of this test on the host's 127.0.0.1, out of reach of the notebook's network
  namespace (every kernel costs seconds, so these share one);
- memory: a cell that allocates without end; loop: a cell that never ends (graded on its own,
  with a short time limit);
- not a notebook: a text file, a notebook cut in half, JSON that is no notebook.

Two grader runs in this process and one of the command line, on files that need no kernel.
"""

from __future__ import annotations

import copy
import csv
import inspect
import io
import json
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from test_offline import network_namespace_or_skip

from convolved import exercises, grade
from convolved.exercises import nb03
from convolved.grade.__main__ import main as grade_main
from convolved.grade.report import csv_text, markdown, table, write_reports

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("grade")]

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks" / "03_code_challenge.ipynb"
CHECK = re.compile(r"^ex\.check_(?:challenge\((\d+), |stack\()(\w+)\)$", re.MULTILINE)
KEYS = list(exercises._EXERCISES[nb03.__name__])
WRONG_2 = {"out_channels": 64, "kernel_size": 3, "stride": 1, "padding": 0}
TIME_LIMIT, MEMORY_LIMIT_GB, LOOP_TIME_LIMIT = 120, 2.0, 6


def read_source():
    return nbformat.read(SOURCE, as_version=4)


def answer_cells(nb) -> dict[str, int]:
    """Exercise key → index of the cell that answers it."""
    found = {}
    for index, cell in enumerate(nb.cells):
        match = CHECK.search(cell.source) if cell.cell_type == "code" else None
        if match:
            found["stack" if match[1] is None else f"challenge_{match[1]}"] = index
    assert list(found) == KEYS, "every exercise of notebook 03 has one answer cell"
    return found


def check_line(cell) -> str:
    return CHECK.search(cell.source)[0]


def solution_code(key: str, cell) -> str:
    """The answer cell with the registered reference solution's code in place of the scaffold."""
    function = exercises._SOLUTIONS[key]
    source = textwrap.dedent(inspect.getsource(function))
    source = "\n".join(line for line in source.splitlines() if not line.startswith("@solution"))
    variable = CHECK.search(cell.source)[2]
    return f"{source}\n\n\n{variable} = {function.__name__}()\n\n{check_line(cell)}"


def solved(nb):
    nb = copy.deepcopy(nb)
    for key, index in answer_cells(nb).items():
        nb.cells[index].source = solution_code(key, nb.cells[index])
    return nb


def partly_wrong(nb, port: int):
    nb = solved(nb)
    untouched = read_source()
    cells = answer_cells(nb)
    parameters = next(cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", []))
    parameters.source = parameters.source.replace("reference_solutions = False", "reference_solutions = True")
    assert "use_reference_solutions = True" in parameters.source
    nb.cells[cells["challenge_2"]].source = f"my_answer_2 = {WRONG_2!r}\n\nex.check_challenge(2, my_answer_2)"
    nb.cells[cells["challenge_3"]] = untouched.cells[cells["challenge_3"]]
    renamed = "my_conv = nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)"
    nb.cells[cells["challenge_5"]].source = f"{renamed}\n\nex.check_challenge(5, my_layer_5)"
    nb.cells[cells["challenge_6"]].source = ('my_answer_6 = {"out_channels": 16,, "kernel_size": 5}\n\n'
                                             "ex.check_challenge(6, my_answer_6)")
    nb.cells[cells["stack"]].source = "my_stack = nn.Sequential(nn.Conv2d(1, 6))\n\nex.check_stack(my_stack)"
    del nb.cells[cells["challenge_4"]]
    setup = next(index for index, cell in enumerate(nb.cells) if "import nb03 as ex" in cell.source)
    download = f"import socket\n\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)"
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(download))
    return nb


def first_cells_then(nb, source: str):
    """The notebook's install cell and title, then ``source``: the rest deleted (the grader knows
    the notebook by its title)."""
    nb = copy.deepcopy(nb)
    assert nb.cells[1].source.startswith("# 03 · ")
    nb.cells = [*nb.cells[:2], nbformat.v4.new_code_cell(source)]
    return nb


@pytest.fixture(scope="session")
def offline():
    return network_namespace_or_skip("the grader test")


@pytest.fixture(scope="session")
def host_server():
    """A TCP server on the host's loopback: a notebook that reaches it is not cut off."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # reachable from here
        yield port


@pytest.fixture(scope="session")
def submissions(tmp_path_factory, host_server):
    folder = tmp_path_factory.mktemp("submissions")
    nb = read_source()
    notebooks = {
        "memory.ipynb": first_cells_then(nb, "hog = []\nwhile True:\n    hog.append(b'x' * 50_000_000)"),
        "solved.ipynb": solved(nb),
        "untouched.ipynb": nb,
        "partly_wrong.ipynb": partly_wrong(nb, host_server),
        "loop.ipynb": first_cells_then(nb, "while True:\n    pass"),
    }
    for name, notebook in notebooks.items():
        nbformat.write(notebook, folder / name)
    (folder / "text.ipynb").write_text("# My answers\n\nchallenge 1: kernel 5, stride 1\n")
    text = SOURCE.read_text()
    (folder / "cut.ipynb").write_text(text[: len(text) // 2])
    (folder / "cells.ipynb").write_text(json.dumps(read_source().cells[:3]))
    return folder


@pytest.fixture(scope="session")  # session: graded once even if the worker interleaves modules
def graded(offline, submissions):
    names = ["memory", "text", "solved", "untouched", "partly_wrong", "cut", "cells"]
    rows = grade.grade([submissions / f"{name}.ipynb" for name in names], time_limit=TIME_LIMIT,
                       memory_limit_gb=MEMORY_LIMIT_GB, jobs=2)
    assert [row.submission for row in rows] == [str(submissions / f"{name}.ipynb") for name in names]
    return {Path(row.submission).stem: row for row in rows}


def statuses(row) -> dict[str, str]:
    return {exercise.key: exercise.status for exercise in row.exercises}


def test_solved_copy_solves_every_exercise(graded):
    row = graded["solved"]
    assert (row.run, row.errors, row.notebook) == ("completed", (), "nb03")
    assert row.solved == len(KEYS) == 8
    assert all(exercise.message.startswith("✓") for exercise in row.exercises)
    assert [exercise.key for exercise in row.exercises] == KEYS


def committed_messages() -> dict[str, str]:
    """What each checker printed in the committed notebook (every exercise not attempted)."""
    nb = read_source()
    return {key: nb.cells[index].outputs[0].data["text/plain"] for key, index in answer_cells(nb).items()}


def test_untouched_copy_is_not_attempted_with_the_checkers_messages(graded):
    row = graded["untouched"]
    assert (row.run, row.errors, row.solved) == ("completed", (), 0)
    assert set(statuses(row).values()) == {"not attempted"}
    assert {exercise.key: exercise.message for exercise in row.exercises} == committed_messages()


def test_partly_wrong_copy_each_exercise_as_it_was_left(graded):
    row = graded["partly_wrong"]
    assert row.run == "completed"
    assert statuses(row) == {"challenge_1": "solved", "challenge_2": "wrong", "challenge_3": "not attempted",
                             "challenge_4": "not attempted", "challenge_5": "not attempted",
                             "challenge_6": "not attempted", "challenge_7": "solved",
                             "stack": "not attempted"}
    messages = {exercise.key: exercise.message for exercise in row.exercises}
    saved = copy.deepcopy(exercises._RESULTS)
    try:
        assert messages["challenge_2"] == nb03.check_challenge(2, WRONG_2).message
    finally:
        exercises._RESULTS.clear()
        exercises._RESULTS.update(saved)
    # use_reference_solutions = True did not put our solution in the learner's place
    assert messages["challenge_3"] == committed_messages()["challenge_3"]
    for key in ("challenge_4", "challenge_5", "challenge_6", "stack"):
        assert messages[key] == grade.NEVER_CHECKED
    errors = [(error.source, error.error.split(":")[0]) for error in row.errors]
    assert errors == [("import socket", "ConnectionRefusedError"),  # the network is cut
                      ("my_conv = nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)", "NameError"),
                      ('my_answer_6 = {"out_channels": 16,, "kernel_size": 5}', "SyntaxError"),
                      ("my_stack = nn.Sequential(nn.Conv2d(1, 6))", "TypeError")]
    assert "my_layer_5" in row.errors[1].error
    code = [cell for cell in partly_wrong(read_source(), 0).cells if cell.cell_type == "code"]
    assert [code[error.cell - 1].source.splitlines()[0] for error in row.errors] == [e[0] for e in errors]


def test_memory_hog_is_stopped_and_grading_goes_on(graded):
    row = graded["memory"]
    assert row.run == f"memory limit {MEMORY_LIMIT_GB:g} GB exceeded in code cell 2"
    assert row.solved == 0 and all(exercise.message == grade.NEVER_CHECKED for exercise in row.exercises)
    assert row.seconds < TIME_LIMIT / 2
    assert graded["solved"].solved == 8  # graded after it


def test_files_that_are_not_notebooks(graded):
    assert graded["text"].run == graded["cut"].run == "error: not a notebook (not JSON)"
    assert graded["cells"].run == "error: not a notebook (JSON, but no nbformat version)"
    for name in ("text", "cut", "cells"):
        assert (graded[name].notebook, graded[name].exercises) == (None, ())


def test_endless_loop_is_stopped_at_the_time_limit(offline, submissions):
    [row] = grade.grade([submissions / "loop.ipynb"], time_limit=LOOP_TIME_LIMIT)
    assert row.run.startswith(f"time limit {LOOP_TIME_LIMIT} s exceeded"), row.run
    assert LOOP_TIME_LIMIT <= row.seconds < LOOP_TIME_LIMIT + 5
    assert row.solved == 0 and len(row.exercises) == 8


def test_reports(graded, tmp_path):
    rows = list(graded.values())
    screen = table(rows)
    assert re.search(r"^.*solved\.ipynb +(✓ +){8}8/8 +completed$", screen, re.MULTILINE), screen
    assert re.search(r"partly_wrong\.ipynb +✓ +✗ +… .* 2/8 +completed; 4 cells raised$", screen, re.MULTILINE)
    assert "not graded:" in screen and "text.ipynb: error: not a notebook" in screen

    paths = write_reports(rows, tmp_path / "out" / "report", time_limit=TIME_LIMIT,
                          memory_limit_gb=MEMORY_LIMIT_GB)
    assert [path.name for path in paths] == ["report.csv", "report.md"]
    table_rows = list(csv.DictReader(io.StringIO(paths[0].read_text())))
    assert [row["submission"].rsplit("/", 1)[-1] for row in table_rows] == [Path(row.submission).name
                                                                           for row in rows]
    wrong = next(row for row in table_rows if row["submission"].endswith("partly_wrong.ipynb"))
    assert (wrong["solved"], wrong["exercises"], wrong["nb03 challenge_2"]) == ("2", "8", "wrong")
    assert wrong["nb03 challenge_2 message"] == graded["partly_wrong"].exercises[1].message
    assert paths[0].read_text() == csv_text(rows)

    report = paths[1].read_text()
    assert report == markdown(rows, time_limit=TIME_LIMIT, memory_limit_gb=MEMORY_LIMIT_GB)
    assert "| submission | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | solved | run |" in report
    for line in graded["partly_wrong"].exercises[1].message.splitlines():
        assert f"  {line}" in report
    assert "- never checked (cell deleted, failed, unreached): 4, 5, 6, 8" in report


def test_command_line(submissions, tmp_path, capsys):
    done = subprocess.run([sys.executable, "-m", "convolved.grade", str(submissions / "text.ipynb"),
                           str(submissions / "missing.ipynb"), "--out", str(tmp_path / "grades")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "missing.ipynb: error: no such file" in done.stdout
    assert f"wrote {tmp_path / 'grades.csv'} and {tmp_path / 'grades.md'}" in done.stdout
    with pytest.raises(SystemExit) as stopped:
        grade_main(["--help"])
    assert stopped.value.code == 0
    assert "SUBMISSION" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stopped:
        grade_main(["--jobs", "0", "x.ipynb"])
    assert stopped.value.code == 2 and "--jobs at least 1" in capsys.readouterr().err


def test_without_a_network_namespace_the_grader_says_how_to_go_on(monkeypatch):
    monkeypatch.setattr(grade.sandbox, "working_unshare", lambda extra=(): (None, "unshare is missing"))
    with pytest.raises(grade.GradingError, match="unshare is missing.*--allow-network"):
        grade.sandbox_command()
