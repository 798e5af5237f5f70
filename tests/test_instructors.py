"""INSTRUCTORS.md states facts about the notebooks; these tests recompute them and fail when they drift.

Fast: nothing is executed. Counted from the committed notebooks: titles and file names, the parts
tables (cells, code cells, words, and the minutes estimated from them), the number of goals, the
prerequisite notebooks, the parameters, every exercise (each one named, with its registered title
and its heading), the exercise-time totals, every heading quoted as the place a misconception is
addressed, and the numbers quoted as evidence. Also every `make` target and `python -m` module the
guide names. Only the run times, which depend on the machine, go unchecked.

Each check is a function of the guide's text, so the last test can show that it fails on a guide
with a stale fact.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import instructor_facts as facts  # noqa: E402

GUIDE = ROOT / "INSTRUCTORS.md"
NOTEBOOKS = facts.notebooks()
BY_NUMBER = {path.name[:2]: path for path in NOTEBOOKS}
SET_IT = ("in class", "homework", "stretch")
# The misconceptions the course was asked to address (issue 13): each must have a row.
REQUIRED_MISCONCEPTIONS = ["stride reduces the number of parameters",
                           "transpose convolution inverts convolution", "pooling makes a CNN shift-invariant",
                           "more layers always see more", "a 1×1 convolution does nothing",
                           "augmentation always helps"]


# ---------------------------------------------------------------------------------------------
# Reading the guide


def sections(text: str) -> dict[str, str]:
    """The guide's "## " sections by heading (code blocks are not searched for headings)."""
    found, name, fenced = {}, None, False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("## "):
            name = line[3:].strip()
            found[name] = ""
        elif name is not None:
            found[name] += line + "\n"
    return found


def tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Every Markdown table in ``text``, keyed by its first column's header: a list of rows."""
    found, block = {}, []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if block:
            header, rows = block[0], block[2:]
            found[header[0]] = [dict(zip(header, row, strict=True)) for row in rows]
            block = []
    return found


def notebook_section(text: str, path: Path) -> str:
    title = facts.title(facts.read(path))
    found = sections(text)
    assert title in found, f"INSTRUCTORS.md has no section '## {title}'"
    return found[title]


def line_after(section: str, label: str) -> str:
    """The paragraph that starts with ``label`` (e.g. "**Parameters:**"), joined into one line."""
    match = re.search(rf"^{re.escape(label)}(.*?)(?:\n\n|\Z)", section, re.MULTILINE | re.DOTALL)
    assert match, f"no paragraph starting with {label}"
    return " ".join(match[1].split())


def without_run_column(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{key: value for key, value in row.items() if key != "Run (s)"} for row in rows]


def notebook_text(path: Path) -> str:
    """Everything a notebook shows: its sources and its text outputs, without any whitespace."""
    chunks = []
    for cell in facts.read(path)["cells"]:
        chunks.append(facts.source(cell))
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            chunks.append(text if isinstance(text, str) else "".join(text))
    return re.sub(r"\s", "", "".join(chunks))


# ---------------------------------------------------------------------------------------------
# The checks: each takes the guide's text and raises AssertionError on a stale fact


def check_notebook_sections(text: str) -> None:
    titles = {facts.title(facts.read(path)) for path in NOTEBOOKS}
    named = {name for name in sections(text) if re.match(r"\d\d · ", name)}
    assert named == titles, f"notebook sections {sorted(named ^ titles)} do not match the notebooks"
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in notebook_section(text, path), f"{path.name} is not named"
    for name in set(re.findall(r"notebooks/([\w.-]+\.ipynb)", text)):
        assert (facts.NOTEBOOK_DIR / name).exists(), f"INSTRUCTORS.md names a missing notebook {name}"


def check_at_a_glance(text: str) -> None:
    guide = tables(sections(text)["The course at a glance"])["#"]
    assert without_run_column(guide) == tables(facts.summary(NOTEBOOKS))["#"]


def check_parts(text: str) -> None:
    for path in NOTEBOOKS:
        guide = tables(notebook_section(text, path))["Part"]
        assert without_run_column(guide) == tables(facts.table(path))["Part"], f"{path.name}: parts table"


def check_run_times_add_up(text: str) -> None:
    """Not measured again (machines differ), but each notebook's total is the sum of its parts."""
    glance = {row["#"]: row for row in tables(sections(text)["The course at a glance"])["#"]}
    for path in NOTEBOOKS:
        parts = tables(notebook_section(text, path))["Part"]
        if "Run (s)" in parts[0]:
            total = sum(float(row["Run (s)"]) for row in parts)
            assert abs(total - float(glance[path.name[:2]]["Run (s)"])) <= 0.05 * (len(parts) + 1)


def check_goals_and_prerequisites(text: str) -> None:
    for path in NOTEBOOKS:
        notebook, section = facts.read(path), notebook_section(text, path)
        goals = re.search(r"^\*\*Goals\*\*.*\n((?:(?:- |  ).*\n)+)", section, re.MULTILINE)
        assert goals, f"{path.name}: no **Goals** list"
        bullets = [line for line in goals[1].splitlines() if line.startswith("- ")]
        assert len(bullets) == len(facts.learning_goals(notebook)), f"{path.name}: one goal per bullet"
        intro = facts.source(next(c for c in notebook["cells"] if c["cell_type"] == "markdown"))
        theirs = set(re.findall(r"\b0[1-9]\b", intro.split("**Prerequisites:**", 1)[1].split("\n\n")[0]))
        ours = set(re.findall(r"\b0[1-9]\b", line_after(section, "**Prerequisites:**")))
        assert ours == theirs, f"{path.name}: prerequisites {sorted(ours)}, the notebook's {sorted(theirs)}"


def check_parameters(text: str) -> None:
    for path in NOTEBOOKS:
        named = re.findall(r"`(\w+)`", line_after(notebook_section(text, path), "**Parameters:**"))
        assert named == facts.parameters(facts.read(path)), f"{path.name}: parameters"


def check_exercises(text: str) -> None:
    total = 0
    for path in NOTEBOOKS:
        section = notebook_section(text, path)
        rows = tables(section)["Exercise"]
        titles = [row["Exercise"] for row in rows]
        registered = facts.registered_exercises(path)
        total += len(registered)
        assert titles == registered, f"{path.name}: exercises {titles}, registered {registered}"
        headings = facts.your_turn_headings(facts.read(path))
        assert set(titles) <= set(headings), f"{path.name}: {sorted(set(titles) - set(headings))} no headings"
        minutes = {kind: 0 for kind in SET_IT}
        for row in rows:
            assert row["Set it"] in SET_IT, row
            minutes[row["Set it"]] += int(row["Minutes (est.)"])
        stated = line_after(section, "**Exercise time (estimated):**")
        expected = ", ".join(f"{kind} {value} min" for kind, value in minutes.items() if value) + "."
        assert stated == expected, f"{path.name}: exercise time '{stated}', the table adds up to '{expected}'"
    assert re.search(rf"\ball {total} exercises of the course\b", " ".join(text.split()))


def _where(item: str, path: Path) -> tuple[Path, str]:
    match = re.match(r"(\d\d): (.+)", item)
    return (BY_NUMBER[match[1]], match[2]) if match else (path, item)


def check_misconceptions(text: str) -> None:
    beliefs = []
    for path in NOTEBOOKS:
        rows = tables(notebook_section(text, path))["Learners may believe"]
        assert len(rows) >= 3, f"{path.name}: at least three misconceptions"
        for row in rows:
            beliefs.append(row["Learners may believe"].lower())
            places = [_where(item.strip(), path) for item in row["Where"].split(";")]
            for where, heading in places:
                headings = {text for _level, text in facts.headings(facts.read(where))}
                assert heading in headings, f"'{heading}' is no heading of {where.name}"
            shown = "".join(notebook_text(where) for where in {where for where, _ in places})
            for number in re.findall(r"\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?\s?%",
                                     row["What the notebook shows"]):
                assert re.sub(r"\s", "", number) in shown, f"{number} is not in {[p.name for p, _ in places]}"
    for belief in REQUIRED_MISCONCEPTIONS:
        assert any(belief.lower() in row for row in beliefs), f"no row for '{belief}'"


def check_commands(text: str) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", makefile, re.MULTILINE))
    named = set(re.findall(r"`make ([a-z][\w-]*)`", text))
    assert named, "the guide names no make target"
    assert named <= targets, f"not Makefile targets: {sorted(named - targets)}"
    for module in set(re.findall(r"python -m ([\w.]+)", text)):
        assert importlib.util.find_spec(module) is not None, f"no module {module}"
    for path in set(re.findall(r"`(?:python )?((?:tools|tests|src|notebooks)/[\w./-]+)[^`]*`", text)):
        assert (ROOT / path).exists(), f"INSTRUCTORS.md names {path}, which does not exist"
    for line in text.splitlines():
        match = re.search(r"papermill notebooks/(\w+\.ipynb)", line)
        if match:
            command = line + text.split(line, 1)[1].split("\n\n")[0]
            knobs = re.findall(r"-p (\w+) ", command) + re.findall(r"(\w+): \[", command)
            allowed = facts.parameters(facts.read(facts.NOTEBOOK_DIR / match[1]))
            assert knobs and set(knobs) <= set(allowed), f"{match[1]}: {sorted(set(knobs) - set(allowed))}"


CHECKS = [check_notebook_sections, check_at_a_glance, check_parts, check_run_times_add_up,
          check_goals_and_prerequisites, check_parameters, check_exercises, check_misconceptions,
          check_commands]


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__[6:])
def test_the_guide_is_true(guide, check):
    check(guide)


def test_the_parts_cover_every_cell():
    """The counting itself: the parts of a notebook hold each of its cells once, and all its words."""
    for path in NOTEBOOKS:
        notebook = facts.read(path)
        parts = facts.parts(notebook)
        assert sorted(i for part in parts for i in part.cell_indices) == list(range(len(notebook["cells"])))
        code_cells = sum(cell["cell_type"] == "code" for cell in notebook["cells"])
        assert sum(part.code_cells for part in parts) == code_cells
        markdown = "\n".join(facts.source(c) for c in notebook["cells"] if c["cell_type"] == "markdown")
        assert sum(part.words for part in parts) == facts.count_words(markdown)


# A stale fact of each kind; the check named beside it must catch it.
MUTATIONS = [
    ("check_notebook_sections", "## 02 · The Conv2d class", "## 02 · The Conv3d class"),
    ("check_parts", "| 1 · Convolution in 1D | 8 |", "| 1 · Convolution in 1D | 9 |"),
    ("check_parts", "| 8 · Why convolution works for images |", "| 8 · Why convolutions work |"),
    ("check_at_a_glance", "| 72 | 41 | 2470 |", "| 72 | 41 | 2500 |"),
    ("check_parameters", "`shift_pixels`", "`shift`"),
    ("check_exercises", "| Exercise 2 · A kernel for diagonal lines |", "| Exercise 2 · A diagonal kernel |"),
    ("check_exercises", "in class 10 min, homework 25 min.", "in class 10 min, homework 20 min."),
    ("check_misconceptions", "parameters). | 7 · Counting parameters |", "parameters). | 7 · Counting |"),
    ("check_misconceptions", "(mean error 0.050,", "(mean error 0.055,"),
    ("check_commands", "`make lab`", "`make classroom`"),
    ("check_commands", "tools/instructor_facts.py --timings`", "tools/facts.py --timings`"),
    ("check_goals_and_prerequisites", "output-size formula) and 03.", "output-size formula) and 04."),
]


@pytest.mark.parametrize(("check", "old", "new"), MUTATIONS,
                         ids=[f"{check[6:]}-{i}" for i, (check, _, _) in enumerate(MUTATIONS)])
def test_a_stale_guide_fails(guide, check, old, new):
    assert old in guide, f"the mutation's text is gone from INSTRUCTORS.md: {old}"
    with pytest.raises(AssertionError):
        globals()[check](guide.replace(old, new, 1))
