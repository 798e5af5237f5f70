"""Run a command and report how it went: ``python tools/peak_memory.py COMMAND...``.

Prints one JSON line: the command's exit code, its wall time, and the peak resident memory of
the biggest process it started (itself or any descendant, such as a Jupyter kernel), in GB. The
tests run strict nbval through it inside a network namespace, and `make bench` runs papermill.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(command: list[str]) -> int:
    start = time.perf_counter()
    code = subprocess.run(command).returncode
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"returncode": code, "wall": wall, "peak_gb": peak_kb / 1024**2}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
