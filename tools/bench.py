"""Measure the course's budgets (`make bench`): notebook run time and memory, explorer redraw
latency, conv2d_fast speed.

Each notebook is executed by papermill in a fresh process under tools/peak_memory.py, which
reports the wall time and the kernel's peak RSS. The speed ratio is measured with one thread for
NumPy and torch alike. Results: a Markdown table on stdout
and build/bench.json. These are measurements for the README, not tests: machines differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Times are budgeted as multiples of the import floor measured in the same run (machines drift
# ±25 % from day to day): a notebook ≤ 2 floors, the series of seven ≤ 1.5 × 7 floors.
BUDGET_FLOORS, BUDGET_SERIES_FLOORS, BUDGET_RSS_GB, BUDGET_RATIO = 2.0, 1.5 * 7, 1.2, 2.0
FLOOR_SOURCE = "import torch, torchvision, matplotlib.pyplot, ipywidgets"
BUDGET_EXPLORER_MEDIAN_MS, BUDGET_EXPLORER_WORST_MS, EXPLORER_CHANGES = 100.0, 250.0, 6
# (input shape, weight shape) of the convolutions the notebooks run
LESSON_SHAPES = [
    ((1, 1, 256, 256), (1, 1, 3, 3)),  # a kernel on the grayscale photo (01, explorer)
    ((1, 3, 256, 256), (8, 3, 3, 3)),  # a small Conv2d layer on an RGB photo (02)
    ((1, 3, 64, 64), (1, 3, 3, 3)),  # a 3-channel kernel on a small colour photo (01)
    ((1, 1, 96, 96), (1, 1, 3, 3)),  # the speed race: smallest, middle and largest kernels (01)
    ((1, 1, 96, 96), (1, 1, 9, 9)),
    ((1, 1, 96, 96), (1, 1, 21, 21)),
]


def run_notebook(path: Path) -> dict:
    """Execute one notebook with papermill in a child process; its wall time and peak memory."""
    command = [sys.executable, str(ROOT / "tools" / "peak_memory.py"), sys.executable, "-m", "papermill",
               str(path), os.devnull, "--cwd", str(path.parent), "-k", "python3", "--no-progress-bar"]
    child = subprocess.run(command, check=True, capture_output=True, text=True)
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    if measured["returncode"]:
        raise RuntimeError(f"{path.name} failed under papermill:\n{child.stderr[-3000:]}")
    return measured


def import_floor() -> dict:
    """The same measurement for a one-cell notebook that only imports the big packages."""
    import tempfile

    import nbformat

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "floor.ipynb"
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_SOURCE)])
        notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                           "display_name": "Python 3"}
        nbformat.write(notebook, path)
        return run_notebook(path)


def lesson_explorers():
    """Each notebook's explorer, built as its notebook builds it (default parameters)."""
    from torchvision.transforms import v2

    from convolved import data, widgets
    from convolved.exercises import nb03

    images, labels = data.digits()
    yield "01", widgets.KernelExplorer(image="camera")
    yield "02", widgets.ConvGeometryExplorer(size=7, kernel_size=3, padding=1, stride=2)
    yield "03", widgets.LayerShapeExplorer(presets=nb03.explorer_presets())
    yield "04", widgets.TransposeConvExplorer(size=3, kernel_size=3, stride=2, padding=1)
    yield "05", widgets.PoolingExplorer(image="camera", size=128)
    yield "06", widgets.TransformExplorer(image="chelsea", transform="RandomRotation", value=30, seed=0)
    train_transform = v2.RandomAffine(degrees=12, translate=(0.1, 0.1),
                                      interpolation=v2.InterpolationMode.BILINEAR)
    yield "07", widgets.DatasetExplorer(images[:1400], labels[:1400],
                                        transforms={"train_transform": train_transform})


def control_changes(explorer):
    """A control of the explorer and a function giving its next value: what the browser test
    does (tests/test_browser.py), so that both change the same control. The first dropdown goes to
    its next option; without one, the first slider moves one step, away from the end it is at.
    Here, with no browser showing the explorer, every change is drawn when it comes; in the
    browser, steps are drawn ahead (convolved.widgets.base.Explorer)."""
    import ipywidgets as w

    dropdowns = [c for c in explorer.controls if isinstance(c, w.Dropdown) and len(c.options) > 1]
    if dropdowns:
        control = dropdowns[0]
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
        return control, lambda: values[(values.index(control.value) + 1) % len(values)]
    for control in explorer.controls:
        if isinstance(control, (w.IntSlider, w.FloatSlider)) and control.max > control.min:
            return control, lambda control=control: control.value + (
                -control.step if control.value >= control.max else control.step)
    raise ValueError(f"{type(explorer).__name__} has no slider or dropdown to move")


def explorer_latency() -> list[dict]:
    """Milliseconds from a control's new value to the explorer's new picture, in the kernel."""
    import statistics

    rows = []
    for notebook, explorer in lesson_explorers():
        control, next_value = control_changes(explorer)
        times = []
        for change in range(EXPLORER_CHANGES):
            value = next_value()
            start = time.perf_counter()
            control.value = value  # runs react() and draws the new picture
            times.append(time.perf_counter() - start)
            if change == 0:
                # Here, with no browser to show the explorer, the first change starts
                # preparing the other photos in the background (Explorer.on_first_view); a
                # learner's next change comes seconds later.
                for thread in threading.enumerate():
                    if thread.name == "prepare_images":
                        thread.join()
        rows.append({"notebook": notebook, "explorer": type(explorer).__name__,
                     "control": control.description, "median_ms": statistics.median(times) * 1e3,
                     "worst_ms": max(times) * 1e3, "png_kb": len(explorer.view.value) / 1024})
    return rows


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
    results = {"floor": import_floor(), "notebooks": {}, "explorers": [], "speed": []}
    floor = results["floor"]["wall"]
    print("| notebook | wall (s) | floors | peak RSS (GB) |\n|---|---:|---:|---:|")
    print(f"| import floor ({FLOOR_SOURCE}) | {floor:.1f} | 1.00 | {results['floor']['peak_gb']:.2f} |")
    for path in notebooks:
        measured = run_notebook(path)
        results["notebooks"][path.stem] = measured
        floors = measured["wall"] / floor
        flag = " ⚠" if floors > BUDGET_FLOORS or measured["peak_gb"] > BUDGET_RSS_GB else ""
        print(f"| {path.stem} | {measured['wall']:.1f} | {floors:.2f} | {measured['peak_gb']:.2f} |{flag}")
    series = sum(m["wall"] for m in results["notebooks"].values())
    flag = " ⚠" if series / floor > BUDGET_SERIES_FLOORS else ""
    print(f"| **series** | **{series:.1f}** | **{series / floor:.2f}** | |{flag}")
    print(f"\nbudgets: ≤ {BUDGET_RSS_GB:g} GB per notebook; the series ≤ {BUDGET_SERIES_FLOORS:g} floors "
          f"(1.5 × 7); a notebook ≤ {BUDGET_FLOORS:g} floors\n")
    print("| notebook | explorer | control | median (ms) | worst (ms) | picture (KB) |\n"
          "|---|---|---|---:|---:|---:|")
    for row in explorer_latency():
        results["explorers"].append(row)
        flag = " ⚠" if (row["median_ms"] > BUDGET_EXPLORER_MEDIAN_MS
                        or row["worst_ms"] > BUDGET_EXPLORER_WORST_MS) else ""
        print(f"| {row['notebook']} | {row['explorer']} | {row['control']} | {row['median_ms']:.0f} | "
              f"{row['worst_ms']:.0f} | {row['png_kb']:.0f} |{flag}")
    print(f"\nbudget: ≤ {BUDGET_EXPLORER_MEDIAN_MS:g} ms median and ≤ {BUDGET_EXPLORER_WORST_MS:g} ms "
          f"worst over {EXPLORER_CHANGES} changes, from a control's new value to the new picture\n")
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
    # One thread everywhere, set before NumPy or torch is imported (children inherit it).
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    sys.exit(main())
