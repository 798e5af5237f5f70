"""Strict nbval on every committed notebook: offline, within memory, at the learner's thread count.

This is the course's main promise, "what you read is what you get": each notebook is re-executed
in a fresh kernel and every output must match the committed one (only cells tagged
``nbval-ignore-output``, widgets and timings, are exempt; tests/nbval_sanitize.cfg masks memory
addresses). The run happens

- in a fresh network namespace (``unshare --net``) where only loopback exists, so any download
  fails;
- with ``OMP_NUM_THREADS`` and its cousins removed from the environment, as a learner runs it:
  on the 2-core CI machine torch then uses two threads, while the committed outputs come from
  `make execute` and the browser test runs its kernels with one (tests/test_browser.py compares
  those outputs with the committed ones too), so two thread counts are checked in one test run;
- under tools/peak_memory.py, which measures the kernel's peak memory (must stay < 1.5 GB).

Needs a network namespace (root, or user namespaces): elsewhere the test skips and says why,
except under CI=true, where it fails. The namespace helpers live in convolved.sandbox (the grader
uses them too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from convolved.sandbox import cut_network_command, working_unshare

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PEAK_LIMIT_GB = 1.5
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def network_namespace_or_skip(what: str) -> list[str]:
    """The working unshare command; without one, skip ``what`` saying why (fail under CI=true)."""
    unshare, reason = working_unshare()
    if unshare is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} must run in CI: {reason}")
        pytest.skip(reason)
    return unshare


@pytest.fixture(scope="module")
def offline():
    return network_namespace_or_skip("the offline test")


def strict_nbval_command(path: Path) -> list[str]:
    # Only nbval's plugin is needed: loading hypothesis's and anyio's took another second.
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
            "-p", "no:hypothesispytest", "-p", "no:anyio",
            "-o", "addopts=", "--nbval", "--nbval-current-env",
            "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), str(path)]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_strict_nbval_offline_at_default_threads_within_memory(offline, path, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in THREAD_VARIABLES}
    command = cut_network_command(sys.executable, str(ROOT / "tools" / "peak_memory.py"),
                                  *strict_nbval_command(path), unshare=offline)
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=400)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["returncode"] == 0, f"strict nbval failed on {path.name}:\n{done.stdout[-6000:]}"
    assert report["peak_gb"] < PEAK_LIMIT_GB, f"{path.stem}: peak {report['peak_gb']:.2f} GB"
