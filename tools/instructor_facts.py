"""The measured facts of INSTRUCTORS.md: the size of every part of every notebook, as Markdown.

    python tools/instructor_facts.py            # the tables, from the committed notebooks
    python tools/instructor_facts.py --timings  # the same, plus each part's run time, measured by
                                                # executing every notebook three times in a fresh
                                                # kernel and keeping each cell's least time (~4 min)

Paste the tables into INSTRUCTORS.md; tests/test_instructors.py recomputes every count and estimate
with the functions below (not the run times, which depend on the machine) and fails when they drift.

A notebook is cut into *parts* at every "## " heading and at every "### Optional" heading. What
comes before the first numbered section (title, goals, set-up, parameters) is one part, "Your turn"
(the exercises) is one, and "Your progress", "Key points" and "Going further" together are one. A
line belongs to the part of the last heading above it; a cell counts in the part where it starts.
Words are the whitespace-separated tokens of the Markdown cells, without image links (their alt
text is for screen readers) and without $$ display formulas $$.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"

# The estimates (stated in INSTRUCTORS.md): reading speed for technical prose and the time to run a
# code cell and look at what it printed or drew; presenting takes the prose at speaking pace and
# half a minute to show each code cell's result.
READING_WPM = 150
MINUTES_PER_CODE_CELL = 1.0
SPEAKING_WPM = 130
PRESENT_MINUTES_PER_CODE_CELL = 0.5
INTRO = "Title, goals, set-up"
YOUR_TURN = "Your turn"
WRAP_UP = "Progress, key points, going further"
WRAP_UP_HEADINGS = ("Your progress", "Key points", "Going further")

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)


@dataclass
class Part:
    name: str
    optional: bool = False
    cells: int = 0
    code_cells: int = 0
    words: int = 0
    cell_indices: list[int] = field(default_factory=list)

    @property
    def read_exact(self) -> float:
        """Estimated self-study minutes: the prose at READING_WPM, plus time for each code cell."""
        return self.words / READING_WPM + MINUTES_PER_CODE_CELL * self.code_cells

    @property
    def present_exact(self) -> float:
        """Estimated minutes to present it: the prose at SPEAKING_WPM, plus each code cell shown."""
        return self.words / SPEAKING_WPM + PRESENT_MINUTES_PER_CODE_CELL * self.code_cells

    @property
    def read_minutes(self) -> int:
        return minutes(self.read_exact)

    @property
    def present_minutes(self) -> int:
        return minutes(self.present_exact)


def minutes(exact: float) -> int:
    """Minutes as the guide prints them: whole, half up, at least 1."""
    return max(1, int(math.floor(exact + 0.5)))


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def count_words(markdown: str) -> int:
    return len(_DISPLAY_MATH.sub(" ", _IMAGE.sub(" ", markdown)).split())


def round_words(words: int) -> int:
    """Words as the guide prints them: to the nearest 10."""
    return int(math.floor(words / 10 + 0.5) * 10)


def title(notebook: dict) -> str:
    """The notebook's "# " heading, e.g. "01 · Convolution in code"."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in source(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError("the notebook has no '# ' title")


def headings(notebook: dict) -> list[tuple[int, str]]:
    """Every Markdown heading: (level, text)."""
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in source(cell).splitlines():
                match = re.match(r"(#{1,6}) (.+)", line)
                if match:
                    found.append((len(match[1]), match[2].strip()))
    return found


def learning_goals(notebook: dict) -> list[str]:
    """The bullets under "You will learn"."""
    text = source(next(c for c in notebook["cells"] if c["cell_type"] == "markdown"))
    after = text.split("You will learn", 1)[1]
    return [line[2:].strip() for line in after.splitlines() if line.startswith("- ")]


def registered_exercises(path: Path) -> list[str]:
    """The titles of a notebook's exercises, as its exercise module registers them (nbNN.py)."""
    import importlib

    from convolved.exercises import progress

    module = importlib.import_module(f"convolved.exercises.nb{Path(path).name[:2]}")
    return [title for title, _status in progress(module).rows]


def your_turn_headings(notebook: dict) -> list[str]:
    """The "### " headings between "## Your turn…" and the next "## " heading."""
    found, inside = [], False
    for level, text in headings(notebook):
        if level == 2:
            inside = text.startswith(YOUR_TURN)
        elif level == 3 and inside:
            found.append(text)
    return found


def parameters(notebook: dict) -> list[str]:
    """The names assigned in the cell tagged "parameters", in order."""
    cell = next(c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse(source(cell))
    return [target.id for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)]


def _part_name(level: int, text: str, current: str) -> tuple[str, bool] | None:
    """The part a heading starts, or None if it does not start one."""
    if level == 2:
        if text.startswith(YOUR_TURN):
            return YOUR_TURN, False
        if text.startswith(WRAP_UP_HEADINGS):
            return WRAP_UP, False
        if re.match(r"\d+ · ", text):
            return text, False
        return (INTRO, False) if current == INTRO else (text, False)
    if level == 3 and text.startswith("Optional"):
        return text, True
    return None


def parts(notebook: dict) -> list[Part]:
    """The notebook cut into parts (see the module docstring), in order."""
    result = [Part(INTRO)]
    by_name = {INTRO: result[0]}

    def switch(name: str, optional: bool) -> Part:
        if name not in by_name:
            by_name[name] = Part(name, optional)
            result.append(by_name[name])
        return by_name[name]

    current = result[0]
    for index, cell in enumerate(notebook["cells"]):
        lines = source(cell).splitlines() if cell["cell_type"] == "markdown" else []
        first = re.match(r"(#{1,6}) (.+)", lines[0]) if lines else None
        if first:
            started = _part_name(len(first[1]), first[2].strip(), current.name)
            if started:
                current = switch(*started)
        current.cells += 1
        current.cell_indices.append(index)
        current.code_cells += cell["cell_type"] == "code"
        chunk = []
        for line in lines:
            match = re.match(r"(#{1,6}) (.+)", line)
            started = match and _part_name(len(match[1]), match[2].strip(), current.name)
            if started and by_name.get(started[0]) is not current:
                current.words += count_words("\n".join(chunk))
                chunk, current = [], switch(*started)
            chunk.append(line)
        current.words += count_words("\n".join(chunk))
    return result


def notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def run_times(path: Path, repeat: int = 1) -> tuple[float, dict[int, float]]:
    """Execute a notebook in a fresh kernel ``repeat`` times: (wall seconds including the kernel's
    start, {cell index: seconds}), each the least of the runs (the run least slowed by other jobs)."""
    import nbformat
    from dateutil.parser import isoparse
    from nbclient import NotebookClient

    walls, seconds = [], {}
    for _ in range(repeat):
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(notebook, timeout=900, kernel_name="python3", record_timing=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        walls.append(time.perf_counter() - start)
        for index, cell in enumerate(notebook.cells):
            stamps = cell.metadata.get("execution", {})
            if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
                took = (isoparse(stamps["shell.execute_reply"])
                        - isoparse(stamps["iopub.execute_input"])).total_seconds()
                seconds[index] = min(took, seconds.get(index, took))
    return min(walls), seconds


def whole(notebook: dict) -> Part:
    """The whole notebook as one part (the estimates add up, so its minutes are the sum's)."""
    every = parts(notebook)
    return Part(title(notebook), cells=sum(p.cells for p in every),
                code_cells=sum(p.code_cells for p in every), words=sum(p.words for p in every),
                cell_indices=[i for p in every for i in p.cell_indices])


def _markdown(header: list[str], rows: list[list], text_columns: int) -> str:
    align = ["---"] * text_columns + ["---:"] * (len(header) - text_columns)
    return "\n".join("| " + " | ".join(map(str, row)) + " |" for row in [header, align, *rows])


def _figures(part: Part, timings: dict[int, float] | None) -> list:
    seconds = [f"{sum(timings.get(i, 0.0) for i in part.cell_indices):.1f}"] if timings is not None else []
    return [part.cells, part.code_cells, round_words(part.words), *seconds, part.read_minutes,
            part.present_minutes]


def _header(timings) -> list[str]:
    run = ["Run (s)"] if timings is not None else []
    return ["Cells", "Code cells", "Words", *run, "Read & run (min)", "Present (min)"]


def table(path: Path, timings: dict[int, float] | None = None) -> str:
    """The Markdown table of one notebook's parts (optional parts in italics)."""
    rows = [[f"*{part.name}*" if part.optional else part.name, *_figures(part, timings)]
            for part in parts(read(path))]
    return _markdown(["Part", *_header(timings)], rows, text_columns=1)


def summary(paths: list[Path], timings: dict[str, dict[int, float]] | None = None) -> str:
    """The guide's "at a glance" table: one row per notebook."""
    rows = []
    for path in paths:
        notebook = read(path)
        number, name = title(notebook).split(" · ", 1)
        figures = _figures(whole(notebook), timings[path.name] if timings is not None else None)
        rows.append([number, f"[{name}](notebooks/{path.name})", *figures[:3],
                     len(registered_exercises(path)), *figures[3:]])
    header = ["#", "Notebook", *_header(timings)]
    return _markdown([*header[:5], "Exercises", *header[5:]], rows, text_columns=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timings", action="store_true",
                        help="execute every notebook in a fresh kernel and add each part's run time")
    parser.add_argument("--repeat", type=int, default=3,
                        help="with --timings: runs per notebook; each cell's least time is kept")
    args = parser.parse_args(argv)
    paths = notebooks()
    timings = None
    if args.timings:
        timings, walls = {}, {}
        for path in paths:
            walls[path.name], timings[path.name] = run_times(path, args.repeat)
            print(f"{path.name}: {walls[path.name]:.1f} s wall in a fresh kernel, "
                  f"{sum(timings[path.name].values()):.1f} s in its cells", file=sys.stderr)
    print(summary(paths, timings), end="\n\n")
    for path in paths:
        print(f"### {title(read(path))}\n")
        print(table(path, timings[path.name] if timings else None), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
