"""Measure the course's budgets (`make bench`): notebook run time and memory, conv2d_fast speed.

Each notebook is executed by papermill in a fresh process, so the kernel it starts is that
process's only child and `getrusage(RUSAGE_CHILDREN)` gives the kernel's peak RSS. The speed
ratio is measured with one thread for NumPy and torch alike. Results: a Markdown table on stdout
and build/bench.json. These are measurements for the README, not tests: machines differ.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_SECONDS, BUDGET_SERIES_SECONDS, BUDGET_RSS_GB, BUDGET_RATIO = 8.0, 55.0, 1.2, 2.0
# (input shape, weight shape) of the convolutions the notebooks run
LESSON_SHAPES = [
    ((1, 1, 256, 256), (1, 1, 3, 3)),  # a kernel on the grayscale photo (01, explorer)
    ((1, 3, 256, 256), (8, 3, 3, 3)),  # a small Conv2d layer on an RGB photo (02)
    ((1, 3, 64, 64), (1, 3, 3, 3)),  # a 3-channel kernel on a small colour photo (01)
    ((1, 1, 96, 96), (1, 1, 3, 3)),  # the speed race: smallest, middle and largest kernels (01)
    ((1, 1, 96, 96), (1, 1, 9, 9)),
    ((1, 1, 96, 96), (1, 1, 21, 21)),
]


def run_one(path: str, output: str = os.devnull) -> None:
    """Child mode: execute one notebook with papermill (saved to ``output``), print wall time and
    the kernel's peak RSS as JSON. tests/test_offline.py runs this with the network cut."""
    import papermill

    start = time.perf_counter()
    papermill.execute_notebook(path, output, kernel_name="python3", cwd=str(Path(path).parent),
                               progress_bar=False)
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"wall": wall, "peak_gb": peak_kb / 1024**2}))


def speed_ratios() -> list[dict]:
    import numpy as np
    import torch
    import torch.nn.functional as F

    from convolved import ops
    from convolved.speed import time_call

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    rows = []
    for x_shape, w_shape in LESSON_SHAPES:
        x = rng.random(x_shape, dtype=np.float32)
        w = rng.standard_normal(w_shape).astype(np.float32)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        ours = time_call(ops.conv2d_fast, x, w, repeat=30, budget=1.0)
        theirs = time_call(F.conv2d, tx, tw, repeat=30, budget=1.0)
        rows.append({"input": x_shape, "weight": w_shape, "conv2d_fast_ms": ours * 1e3,
                     "torch_ms": theirs * 1e3, "ratio": ours / theirs})
    return rows


def main() -> int:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    results = {"notebooks": {}, "speed": []}
    print("| notebook | wall (s) | peak RSS (GB) |\n|---|---:|---:|")
    for path in notebooks:
        child = subprocess.run([sys.executable, __file__, "--one", str(path)], check=True,
                               capture_output=True, text=True)
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        results["notebooks"][path.stem] = measured
        flag = " ⚠" if measured["wall"] > BUDGET_SECONDS or measured["peak_gb"] > BUDGET_RSS_GB else ""
        print(f"| {path.stem} | {measured['wall']:.1f} | {measured['peak_gb']:.2f} |{flag}")
    series = sum(m["wall"] for m in results["notebooks"].values())
    print(f"| **series** | **{series:.1f}** | |")
    print(f"\nbudgets: ≤ {BUDGET_SECONDS:g} s and ≤ {BUDGET_RSS_GB:g} GB per notebook, "
          f"≤ {BUDGET_SERIES_SECONDS:g} s for the series\n")
    print("| input · weight | conv2d_fast (ms) | F.conv2d (ms) | ratio |\n|---|---:|---:|---:|")
    for row in speed_ratios():
        results["speed"].append(row)
        shape = f"{'×'.join(map(str, row['input']))} · {'×'.join(map(str, row['weight']))}"
        print(f"| {shape} | {row['conv2d_fast_ms']:.2f} | {row['torch_ms']:.2f} | {row['ratio']:.2f} |")
    print(f"\nbudget: conv2d_fast ≤ {BUDGET_RATIO:g}× F.conv2d, one thread each")
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "bench.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        run_one(*sys.argv[2:4])
    else:
        # One thread everywhere, set before NumPy or torch is imported (children inherit it).
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = "1"
        sys.exit(main())
