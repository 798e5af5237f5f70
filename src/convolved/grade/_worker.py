"""The grader's notebook runner, started in the sandbox: ``python -m convolved.grade._worker NOTEBOOK OUT``.

It executes NOTEBOOK (prepared by the grader) in a fresh kernel, in the current folder, cell
after cell, carrying on after a cell that raises. After every cell it writes to OUT (JSON) the
index of the last cell run and the errors so far, so the grader knows how far a notebook got
even when it had to kill it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError


def main(notebook: str, out: str) -> int:
    nb = nbformat.read(notebook, as_version=4)
    out_path = Path(out)
    progress: dict = {"last_cell": None, "errors": [], "finished": False, "kernel_died": False}

    def write() -> None:
        partial = out_path.with_name(out_path.name + ".partial")
        partial.write_text(json.dumps(progress))
        os.replace(partial, out_path)

    def executed(cell, cell_index: int, execute_reply) -> None:
        progress["last_cell"] = cell_index
        content = (execute_reply or {}).get("content", {})
        if content.get("status") == "error":
            progress["errors"].append([cell_index, content.get("ename", ""), content.get("evalue", "")])
        write()

    client = NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=None,
                            resources={"metadata": {"path": os.getcwd()}}, on_cell_executed=executed)
    write()
    try:
        client.execute()
    except DeadKernelError:
        progress["kernel_died"] = True
    progress["finished"] = True
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
