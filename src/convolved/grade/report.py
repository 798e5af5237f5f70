"""The grader's reports: a table on screen, a CSV file and a Markdown file.

Each course notebook gets its own table, one row per submission: a mark per exercise (✓ solved,
✗ tried and wrong, … not attempted), the number solved, and how the run went. Submissions that
could not be graded (not a notebook, not one of the course's) follow in a list. The CSV has one row
per submission, with each exercise's status and the checker's message in two columns (named
``nb03 challenge_1`` and ``nb03 challenge_1 message``); the Markdown report adds, per submission,
the checker's message for every exercise tried and wrong and the cells that raised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from . import NEVER_CHECKED, Graded

__all__ = ["MARKS", "csv_text", "markdown", "table", "write_reports"]

MARKS = {"solved": "✓", "wrong": "✗", "not attempted": "…"}
LEGEND = "✓ solved · ✗ tried and wrong · … not attempted"


def _by_notebook(graded: Sequence[Graded]) -> tuple[dict[str, list[Graded]], list[Graded]]:
    """Submissions with exercises, by notebook; and those without (not graded)."""
    groups: dict[str, list[Graded]] = {}
    ungraded = []
    for one in graded:
        if one.exercises:
            groups.setdefault(one.notebook, []).append(one)
        else:
            ungraded.append(one)
    return groups, ungraded


def _notebook_label(module: str) -> str:
    return f"notebook {module.removeprefix('nb')}"


def _summary(one: Graded) -> str:
    """The run, and how many cells raised."""
    count = len(one.errors)
    return one.run if not count else f"{one.run}; {count} cell{'s' * (count > 1)} raised"


def table(graded: Sequence[Graded]) -> str:
    """The grades as plain text, for the screen."""
    groups, ungraded = _by_notebook(graded)
    blocks = []
    for module, rows in groups.items():
        exercises = rows[0].exercises
        width = max(len("submission"), *(len(one.submission) for one in rows))
        numbers = " ".join(f"{number:>2}" for number in range(1, len(exercises) + 1))
        lines = [f"{_notebook_label(module)}: {len(exercises)} exercises ({LEGEND})",
                 f"{'submission':<{width}}  {numbers}  solved  run"]
        for one in rows:
            marks = " ".join(f"{MARKS[exercise.status]:>2}" for exercise in one.exercises)
            solved = f"{one.solved}/{len(one.exercises)}"
            lines.append(f"{one.submission:<{width}}  {marks}  {solved:>6}  {_summary(one)}")
        lines += [f"{number:>{width + 4}}  {exercise.title}" for number, exercise in enumerate(exercises, 1)]
        blocks.append("\n".join(lines))
    if ungraded:
        blocks.append("\n".join(["not graded:", *(f"  {one.submission}: {one.run}" for one in ungraded)]))
    return "\n\n".join(blocks)


def csv_text(graded: Sequence[Graded]) -> str:
    """The grades as CSV: one row per submission, two columns per exercise (status, message)."""
    columns: list[str] = []
    for one in graded:
        for exercise in one.exercises:
            name = f"{one.notebook} {exercise.key}"
            if name not in columns:
                columns.append(name)
    header = ["submission", "notebook", "solved", "exercises", "run", "cell errors"]
    header += [name for column in columns for name in (column, f"{column} message")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for one in graded:
        cells = {}
        for exercise in one.exercises:
            cells[f"{one.notebook} {exercise.key}"] = exercise.status
            cells[f"{one.notebook} {exercise.key} message"] = exercise.message
        writer.writerow([one.submission, one.notebook or "", one.solved if one.exercises else "",
                         len(one.exercises) or "", one.run, "; ".join(map(str, one.errors)),
                         *(cells.get(name, "") for name in header[6:])])
    return out.getvalue()


def _md(text: str) -> str:
    """Text that stays inside one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def _details(one: Graded) -> list[str]:
    """A submission's section of the Markdown report: what raised, what is wrong and why."""
    lines = [f"- raised: {error}" for error in one.errors]
    numbered = list(enumerate(one.exercises, 1))
    for number, exercise in numbered:
        if exercise.status == "wrong":
            lines += [f"- ✗ {number}. {exercise.title}", "", "  ```text",
                      *(f"  {line}" for line in exercise.message.splitlines()), "  ```"]
    untried = [(number, exercise.message == NEVER_CHECKED) for number, exercise in numbered
               if exercise.status == "not attempted"]
    for what, never in (("not attempted", False), ("never checked (cell deleted, failed, unreached)", True)):
        numbers = [str(number) for number, unchecked in untried if unchecked is never]
        if numbers:
            lines.append(f"- {what}: {', '.join(numbers)}")
    head = [f"### {one.submission}", "",
            f"{one.solved} of {len(one.exercises)} solved; run: {one.run} ({one.seconds:.0f} s)."]
    return [*head, *([""] if lines else []), *lines, ""]


def markdown(graded: Sequence[Graded], *, time_limit: float, memory_limit_gb: float) -> str:
    """The grades as a Markdown report: a table per notebook, then each submission's details."""
    groups, ungraded = _by_notebook(graded)
    lines = ["# Grades", "",
             f"{len(graded)} submissions, each run in a fresh kernel with a time limit of {time_limit:g} s "
             f"and a memory limit of {memory_limit_gb:g} GB. {LEGEND}.", ""]
    for module, rows in groups.items():
        exercises = rows[0].exercises
        lines += [f"## {_notebook_label(module).capitalize()}", ""]
        lines += [f"{number}. {_md(exercise.title)}" for number, exercise in enumerate(exercises, 1)]
        numbers = " | ".join(map(str, range(1, len(exercises) + 1)))
        lines += ["", f"| submission | {numbers} | solved | run |",
                  "|---|" + ":---:|" * len(exercises) + "---:|---|"]
        for one in rows:
            marks = " | ".join(MARKS[exercise.status] for exercise in one.exercises)
            lines.append(f"| {_md(one.submission)} | {marks} | {one.solved}/{len(one.exercises)} | "
                         f"{_md(_summary(one))} |")
        lines.append("")
        for one in rows:
            lines += _details(one)
    if ungraded:
        lines += ["## Not graded", ""]
        lines += [f"- {one.submission}: {one.run}" for one in ungraded]
        lines.append("")
    return "\n".join(lines)


def write_reports(graded: Sequence[Graded], out: str | Path, *, time_limit: float,
                  memory_limit_gb: float) -> list[Path]:
    """Write OUT.csv and OUT.md (``out`` without its suffix; folders are made); return both paths."""
    out = Path(out)
    stem = out.with_suffix("") if out.suffix in (".csv", ".md") else out
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = stem.with_name(stem.name + ".csv"), stem.with_name(stem.name + ".md")
    csv_path.write_text(csv_text(graded), encoding="utf-8")
    md_path.write_text(markdown(graded, time_limit=time_limit, memory_limit_gb=memory_limit_gb),
                       encoding="utf-8")
    return [csv_path, md_path]
