"""Build the slides (`make slides`): one reveal.js deck per notebook, build/slides/NN_name.slides.html.

A deck is made from a copy of its committed notebook, as saved (never executed): the rule below
gives each cell of the copy a reveal.js slide type (``metadata.slideshow.slide_type``), then
nbconvert's SlidesExporter renders it.

1. The title cell opens the deck: the title, the promise and "You will learn". Its other
   paragraphs become speaker notes (press S in a deck).
2. Each ``##`` heading starts a slide and each ``###`` heading a subslide below it: the heading,
   the first paragraph or list after it, and the cell's display formulas. The rest of the text
   becomes speaker notes (the notes of the picture it leads up to, if any), so slides fit.
3. Every picture outside an exercise has a subslide of its own: each figure (the picture a
   ``show_figure("NAME")`` cell saved, with the figure's alt text), and each plot or explorer
   picture a code cell saved (an explorer's with its caption). No code is shown.
4. In "Your turn", an exercise (a ``###`` heading followed by an answer cell: one that calls a
   checker, a hint or a solution button) is shown whole: its prompt, and what the cells between it
   and the answer cell say, print or draw (the question). The answer cells, and everything after
   them up to the next heading, are left out.
5. "Key points" and "Going further" are shown whole. The install cell above the title, "Setup"
   (with the parameters) and "Your progress" are left out.

Offline and self-contained: reveal.js, MathJax 2, jQuery and RequireJS come from npm at the
versions slides/package-lock.json pins (`make slides` installs them into build/slides-npm/), and
the parts a deck loads are copied into vendor/ beside the decks; pictures are embedded. So the
folder works from a USB stick, without network, opened as a file. MathJax 2, not the site's
MathJax 3: nbconvert's reveal template configures and re-renders math with MathJax 2's API.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbformat import NotebookNode
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
NPM = ROOT / "build" / "slides-npm" / "node_modules"
# What a deck loads from each npm package (globs; each package's licence travels with it).
VENDOR = {
    "reveal.js": ["LICENSE", "dist/reveal.css", "dist/reveal.js", "dist/theme/white.css",
                  "dist/theme/fonts/source-sans-pro/*", "plugin/notes/notes.js"],
    # The TeX → CommonHTML configuration with its safe mode, and what it loads on demand: the
    # menu, TeX extensions, fonts (not the 3.7 MB of accessibility tools the menu can add).
    "mathjax": ["LICENSE", "MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js",
                "extensions/*.js", "extensions/TeX/**/*.js", "jax/input/TeX/**/*.js",
                "jax/output/CommonHTML/**/*.js", "jax/element/**/*.js", "fonts/HTML-CSS/TeX/woff/*"],
    "jquery": ["LICENSE.txt", "dist/jquery.min.js"],
    "requirejs": ["require.js"],  # its licence is the header of require.js
}

HEADING = re.compile(r"^(#{1,3}) (.+)$")
FIGURE = re.compile(r'^show_figure\("\w+"\)$')
# A code cell that holds a learner's answer: it calls a checker, a hint or a solution button.
ANSWER = re.compile(r"\b(?:ex\.check_\w+|ex\.hint|solution_button)\(")
LEFT_OUT = ("Setup", "Your progress")
WHOLE = ("Key points", "Going further")


def blocks(text: str) -> list[str]:
    """Markdown split at blank lines; a display formula stays one block even across blank lines."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if out and out[-1].count("$$") % 2:
            out[-1] += "\n\n" + block
        else:
            out.append(block)
    return out


def parts(source: str) -> list[tuple[int, str, list[str]]]:
    """A markdown cell as (heading level, heading text, blocks after it), split at its headings.

    Text before the first heading has level 0 and no heading.
    """
    found: list[tuple[int, str, list[str]]] = []
    level, title, lines = 0, "", []
    for line in source.splitlines():
        match = HEADING.match(line)
        if match:
            if level or "".join(lines).strip():
                found.append((level, title, blocks("\n".join(lines))))
            level, title, lines = len(match[1]), match[2].strip(), []
        else:
            lines.append(line)
    found.append((level, title, blocks("\n".join(lines))))
    return found


def slide(source: str, slide_type: str) -> NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def is_picture(output: NotebookNode) -> bool:
    return "image/png" in output.get("data", {})


@dataclass
class Deck:
    """The cells of a deck, built cell by cell from a notebook by the rule (module docstring)."""

    cells: list[NotebookNode] = field(default_factory=list)
    section: str = ""  # the current `##` heading
    started: bool = False  # the title has been seen
    exercises: set[str] = field(default_factory=set)  # the `###` headings of exercises
    prompt_open: bool = False  # between an exercise's heading and its answer cell
    answered: bool = False  # between an answer cell and the next heading
    pending: list[str] = field(default_factory=list)  # text waiting for the next picture's notes

    def notes(self, texts: list[str]) -> None:
        if texts:
            self.cells.append(slide("\n\n".join(texts), "notes"))

    def flush(self) -> None:
        self.notes(self.pending)
        self.pending = []

    def figure(self, cell: NotebookNode) -> None:
        """A figure: the picture its cell saved, as a Markdown image with the figure's alt text (the
        cell's text form), so the slide's <img> has it; in an exercise's prompt, part of the prompt."""
        [output] = [output for output in cell.outputs if is_picture(output)]
        png = "".join(output.data["image/png"].split())
        image = f"![{output.data['text/plain']}](data:image/png;base64,{png})"
        if self.prompt_open:
            self.cells.append(slide(image, "-"))
        else:
            self.picture(slide(image, "subslide"))

    def picture(self, cell: NotebookNode, caption: str = "") -> None:
        """A subslide showing a picture (a markdown image or a code cell's saved pictures)."""
        # data-picture on the slide: the template's style sheet lets the picture fill it
        cell.metadata["slideshow"] = {"slide_type": "subslide", "data": {"picture": "true"}}
        self.cells.append(cell)
        if caption:
            self.cells.append(slide(caption, "-"))
        self.flush()  # the text that led up to the picture is what a teacher says about it

    def skipping(self) -> bool:
        return not self.started or self.section.startswith(LEFT_OUT)

    def markdown(self, source: str) -> None:
        for level, title, body in parts(source):
            if level == 1:
                self.title(title, body)
            elif level in (2, 3):
                self.heading(level, title, body)
            elif not self.skipping():
                self.text(body)

    def title(self, title: str, body: list[str]) -> None:
        self.started = True
        learn = [block for block in body if block.startswith("You will learn")]
        shown = [f"# {title}", *body[:1], *learn]
        self.cells.append(slide("\n\n".join(shown), "slide"))
        self.notes([block for block in body[1:] if block not in learn])

    def heading(self, level: int, title: str, body: list[str]) -> None:
        self.flush()
        if level == 2:
            self.section = title
        self.prompt_open = self.answered = False
        if self.skipping():
            return
        kind = "slide" if level == 2 else "subslide"
        heading = f"{'#' * level} {title}"
        if self.section.startswith(WHOLE) or (level == 3 and title in self.exercises):
            self.cells.append(slide("\n\n".join([heading, *body]), kind))
            self.prompt_open = level == 3
            return
        first = next((block for block in body if "$$" not in block), None)
        shown = [block for block in body if block is first or "$$" in block]
        self.cells.append(slide("\n\n".join([heading, *shown]), kind))
        self.notes([block for block in body if block not in shown])

    def text(self, body: list[str]) -> None:
        """Text between headings: on an exercise's slide, its prompt; otherwise speaker notes."""
        if self.prompt_open:
            self.cells.append(slide("\n\n".join(body), "-"))
            return
        if self.answered:
            return  # how to get help, or the story of the solution
        self.pending.extend(body)

    def code(self, cell: NotebookNode) -> None:
        if self.skipping():
            return
        if ANSWER.search(cell.source):
            self.prompt_open, self.answered = False, True
            return
        if FIGURE.match(cell.source):
            if not self.answered:
                self.figure(cell)
            return
        if self.prompt_open:  # the question the exercise's prompt refers to, printed or drawn
            shown = [output for output in cell.outputs
                     if output.output_type == "stream" or is_picture(output)]
            if shown:
                self.cells.append(nbformat.v4.new_code_cell(cell.source, outputs=shown))
            return
        pictures = [output for output in cell.outputs if is_picture(output)]
        if not pictures or self.answered:
            return
        # An explorer's picture is its starting view: its text says so, as a caption.
        explorer = "".join(pictures[0].data.get("text/plain", ""))
        caption = f"*{explorer}*" if explorer.endswith("(run the cell to interact)") else ""
        self.picture(nbformat.v4.new_code_cell(cell.source, outputs=pictures), caption)


def exercises(notebook: NotebookNode) -> set[str]:
    """The ``###`` headings that an answer cell follows (before the next heading): the exercises."""
    found: set[str] = set()
    heading = None  # the latest heading if it is a `###` one
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for level, title, _ in parts(cell.source):
                if level:
                    heading = title if level == 3 else None
        elif ANSWER.search(cell.source) and heading is not None:
            found.add(heading)
    return found


def deck(notebook: NotebookNode) -> NotebookNode:
    """A copy of ``notebook`` with the cells a deck shows, each with its slide type (the rule)."""
    built = Deck(exercises=exercises(notebook))
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            built.markdown(cell.source)
        elif cell.cell_type == "code":
            built.code(cell)
    built.flush()
    copy = nbformat.v4.new_notebook(cells=built.cells, metadata=notebook.metadata)
    title = built.cells[0].source.splitlines()[0].lstrip("# ") if built.cells else ""
    copy.metadata["title"] = title
    return copy


def exporter(template: Path) -> SlidesExporter:
    """nbconvert's slides exporter, configured to load everything from vendor/ beside the decks."""
    config = Config()
    config.SlidesExporter.update(
        reveal_url_prefix="vendor/reveal.js", reveal_theme="white", reveal_transition="none",
        reveal_number="c/t", reveal_width="1280", reveal_height="800",
        mathjax_url="vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        jquery_url="vendor/jquery/dist/jquery.min.js", require_js_url="vendor/requirejs/require.js",
        embed_images=True, exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        template_name="convolved", extra_template_basedirs=[str(template)])
    return SlidesExporter(config=config)


def vendor(npm: Path, out: Path) -> None:
    """Copy the files of each npm package that a deck loads into out/vendor/."""
    if not npm.is_dir():
        sys.exit(f"{npm} is missing: `make slides` installs it (npm ci in build/slides-npm)")
    target = out / "vendor"
    shutil.rmtree(target, ignore_errors=True)
    for package, patterns in VENDOR.items():
        for pattern in patterns:
            files = sorted((npm / package).glob(pattern))
            if not files:
                sys.exit(f"{package} has no {pattern}: is {npm} the one slides/package-lock.json pins?")
            for source in files:
                destination = target / package / source.relative_to(npm / package)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)


def build(out: Path, npm: Path, notebooks: str = "*.ipynb") -> list[tuple[Path, int]]:
    """Write the decks and their vendor/ folder; return each deck with its number of slides."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.slides.html"):  # no deck left over from a renamed notebook
        old.unlink()
    vendor(npm, out)
    slides = exporter(ROOT / "slides" / "templates")
    written = []
    for path in sorted((ROOT / "notebooks").glob(notebooks)):
        copy = deck(nbformat.read(path, as_version=4))
        resources = {"metadata": {"name": path.stem, "path": str(path.parent)}}
        html, _ = slides.from_notebook_node(copy, resources=resources)
        linked = re.findall(r'<img[^>]* src="(?!data:)([^"]*)"', html)
        if linked:  # nbconvert leaves a picture it cannot find as a link: a deck must carry all of them
            sys.exit(f"{path.name}: pictures not embedded: {', '.join(linked)}")
        target = out / f"{path.stem}.slides.html"
        target.write_text(html)
        count = sum(cell.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")
                    for cell in copy.cells)
        written.append((target, count))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "slides", help="the decks")
    parser.add_argument("--npm", type=Path, default=NPM, help="node_modules with slides/package.json's")
    parser.add_argument("--notebooks", default="*.ipynb", help="which notebooks (a glob)")
    args = parser.parse_args()
    start = time.perf_counter()
    written = build(args.out.resolve(), args.npm.resolve(), args.notebooks)
    seconds = time.perf_counter() - start
    for path, count in written:
        print(f"{path.name}: {count} slides, {path.stat().st_size / 1024:.0f} KB")
    shared = sum(p.stat().st_size for p in (args.out / "vendor").rglob("*") if p.is_file()) / 1e6
    print(f"slides: {len(written)} decks in {args.out} ({seconds:.0f} s), vendor/ {shared:.1f} MB; "
          f"open {written[0][0] if written else args.out}")


if __name__ == "__main__":
    main()
