"""Execute the course notebooks in place and save them clean (`make execute`).

Clean means reproducible: no timestamps, no widget model ids, a fixed kernelspec and no machine
details in the metadata, so executing an unchanged notebook again leaves git with nothing to
commit. Cells tagged ``timing`` measure this machine's speed, which differs on every run: they
keep their committed output while their source is unchanged, unless ``--refresh-timings``.

Usage: python tools/execute_notebooks.py [--refresh-timings] [NOTEBOOK ...]  (default: all).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import ClearMetadataPreprocessor, CoalesceStreamsPreprocessor

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what changes from run to run or machine to machine; keep outputs and cell tags."""
    nb, _ = ClearMetadataPreprocessor(preserve_cell_metadata_mask={"tags"}).preprocess(nb, {})
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        # Widget views point at a random model id that no saved notebook can restore;
        # our widgets also publish a PNG of their view, which is what stays.
        for output in cell.outputs:
            output.get("data", {}).pop(WIDGET_VIEW, None)
        cell.outputs = [output for output in cell.outputs
                        if output.output_type not in ("display_data", "execute_result") or output.data]
    # How the kernel split a stream into outputs is timing, not content.
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    return nb


def execute(path: Path, refresh_timings: bool = False) -> float:
    nb = nbformat.read(path, as_version=4)
    # A timing cell keeps its outputs only while neither it nor the parameters cell changed.
    parameters = "".join(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    measured = {(parameters, cell.source): cell.outputs for cell in nb.cells
                if "timing" in cell.metadata.get("tags", []) and cell.get("outputs")}
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    if not refresh_timings:
        for cell in nb.cells:
            kept = measured.get((parameters, cell.source))
            if kept is not None and "timing" in cell.metadata.get("tags", []):
                for output in kept:
                    if output.output_type == "execute_result":
                        output.execution_count = cell.execution_count
                cell.outputs = kept
    nbformat.write(clean(nb), path)
    return seconds


def main(argv: list[str]) -> int:
    refresh_timings = "--refresh-timings" in argv
    paths = [Path(arg).resolve() for arg in argv if not arg.startswith("--")]
    for path in paths or sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        seconds = execute(path, refresh_timings)
        print(f"executed {path.relative_to(ROOT)} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
