"""Offline, within memory, and deterministic: every notebook, executed twice with the network cut.

Each run happens in a fresh network namespace (``unshare --net``) where only loopback exists, so
any download fails; the kernel's peak memory is measured (tools/bench.py --one) and must stay
under 1.5 GB. The two runs, each in a fresh kernel, must print exactly the same outputs, apart
from cells tagged as volatile (widgets, timings). Needs root for the namespace: elsewhere the
test skips and says why, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import coalesce_streams

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PEAK_LIMIT_GB = 1.5
VOLATILE = "nbval-ignore-output"


# As root a plain network namespace; otherwise inside a user namespace where we are root.
UNSHARE = [["unshare", "--net"], ["unshare", "--map-root-user", "--net"]]


def cut_network_command(*command: str, unshare=("unshare", "--net")) -> list[str]:
    """Run ``command`` in a new network namespace with only the loopback interface up."""
    script = 'ip link set lo up && exec "$@"'
    return [*unshare, "sh", "-c", script, "sh", *command]


def working_unshare() -> tuple[list[str] | None, str]:
    """The unshare command that works here, or None and the reason none does."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return None, "unshare or ip (util-linux, iproute2) is missing"
    errors = []
    for unshare in UNSHARE:
        probe = subprocess.run(cut_network_command("true", unshare=unshare), capture_output=True, text=True)
        if probe.returncode == 0:
            return unshare, ""
        errors.append(probe.stderr.strip())
    return None, f"cannot create a network namespace: {'; '.join(errors)}"


@pytest.fixture(scope="module")
def offline():
    unshare, reason = working_unshare()
    if unshare is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the offline test must run in CI: {reason}")
        pytest.skip(reason)
    return unshare


def execute_offline(path: Path, output: Path, unshare) -> dict:
    command = cut_network_command(sys.executable, str(ROOT / "tools" / "bench.py"), "--one", str(path),
                                  str(output), unshare=unshare)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def stable_outputs(path: Path) -> list:
    """The outputs of every cell not tagged volatile, streams merged, without execution metadata."""
    nb = nbformat.read(path, as_version=4)
    kept = []
    for cell in nb.cells:
        if cell.cell_type != "code" or VOLATILE in cell.metadata.get("tags", []):
            continue
        outputs = coalesce_streams(cell.outputs)  # how the kernel split a stream is timing, not content
        for output in outputs:
            output.pop("execution_count", None)
            output.pop("metadata", None)
        kept.append((cell.source, outputs))
    return kept


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_offline_twice_identically_within_memory(offline, path, tmp_path):
    first = execute_offline(path, tmp_path / "first.ipynb", offline)
    second = execute_offline(path, tmp_path / "second.ipynb", offline)
    peak = max(first["peak_gb"], second["peak_gb"])
    assert peak < PEAK_LIMIT_GB, f"{path.stem}: peak {peak:.2f} GB"
    one, two = stable_outputs(tmp_path / "first.ipynb"), stable_outputs(tmp_path / "second.ipynb")
    for (source, outputs_one), (_, outputs_two) in zip(one, two, strict=True):
        assert outputs_one == outputs_two, f"outputs differ between two runs of:\n{source[:300]}"
