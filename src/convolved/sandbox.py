"""Run a command with the network cut, within a wall-time and a memory limit (Linux only).

The network is cut with ``unshare --net``: the command runs in a new network namespace where only
the loopback interface exists (and is up), so every connection beyond the machine fails at once,
and the host's own services on 127.0.0.1 are out of reach too. As root a plain network namespace
is made; otherwise one inside a user namespace where we are root, if the system allows those.
``util-linux`` (unshare) and ``iproute2`` (ip) must be installed.

:func:`run_limited` runs a command and watches it: ten times a second it adds up the resident
memory of the command and of every process it started (read from ``/proc``), and kills them all
when that sum passes the memory limit or the wall time passes the time limit. A limit is checked
between two looks, so a process that allocates very fast can briefly go over the memory limit by
what it allocates in a tenth of a second. Pages that processes share (a ``fork``) count once per
process. Run under :data:`OWN_PROCESSES` as well, the command is the first process of its own
PID namespace: killing it ends every process it started, even one that left its process tree.

The course's tests use this module for the offline notebook runs (tests/test_offline.py,
tests/test_site.py), and the grader (``python -m convolved.grade``) for each learner's notebook.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["OWN_PROCESSES", "UNSHARE", "Finished", "cut_network_command", "descendants", "kill_tree",
           "resident_bytes", "run_limited", "working_unshare"]

#: As root a plain network namespace; otherwise inside a user namespace where we are root.
UNSHARE = (("unshare", "--net"), ("unshare", "--map-root-user", "--net"))
#: Options of unshare that give the command its own PID namespace, ended when the command is killed.
OWN_PROCESSES = ("--pid", "--fork", "--kill-child")
POLL_SECONDS = 0.1


def cut_network_command(*command: str, unshare: Sequence[str] = UNSHARE[0]) -> list[str]:
    """Run ``command`` in a new network namespace with only the loopback interface up.

    >>> cut_network_command("python", "-V")
    ['unshare', '--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', 'python', '-V']
    """
    script = 'ip link set lo up && exec "$@"'
    return [*unshare, "sh", "-c", script, "sh", *command]


def working_unshare(extra: Sequence[str] = ()) -> tuple[list[str] | None, str]:
    """The unshare command (with the ``extra`` options) that works here, or None and the reason
    none does."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return None, "unshare or ip (util-linux, iproute2) is missing"
    errors = []
    for unshare in UNSHARE:
        candidate = [*unshare, *extra]
        probe = subprocess.run(cut_network_command("true", unshare=candidate), capture_output=True, text=True)
        if probe.returncode == 0:
            return candidate, ""
        errors.append(probe.stderr.strip())
    return None, f"cannot create a network namespace: {'; '.join(errors)}"


def descendants(pid: int) -> list[int]:
    """Every process started by ``pid``, directly or not, that is still running (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def resident_bytes(pids: Sequence[int]) -> int:
    """The resident memory of processes ``pids`` added up, in bytes (ended processes count 0)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def kill_tree(pid: int) -> None:
    """Kill ``pid`` and every process it started (SIGKILL: nothing can catch it)."""
    for target in [pid, *descendants(pid)]:
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue


@dataclass(frozen=True)
class Finished:
    """How a command run by :func:`run_limited` ended."""

    returncode: int
    seconds: float
    peak_bytes: int  # the largest memory sum seen
    limit: str | None  # "time" or "memory" when killed for going over that limit, "stopped" when told


def run_limited(command: Sequence[str], *, time_limit: float, memory_limit: int,
                cwd: str | Path | None = None, env: dict[str, str] | None = None, output=None,
                stop: threading.Event | None = None) -> Finished:
    """Run ``command`` until it ends or goes over ``time_limit`` seconds or ``memory_limit`` bytes
    (its own memory and its descendants', added up); then kill it and everything it started.

    ``output`` is a file that receives the command's stdout and stderr (default: ours). Setting
    ``stop`` (from another thread) kills the command too.

    >>> run_limited(["sleep", "10"], time_limit=0.3, memory_limit=2**30).limit
    'time'
    """
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT if output
                               else None, stdin=subprocess.DEVNULL, start_new_session=True)
    peak, limit = 0, None
    try:
        while True:
            try:
                process.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            used = resident_bytes([process.pid, *descendants(process.pid)])
            peak = max(peak, used)
            if used > memory_limit:
                limit = "memory"
            elif time.monotonic() - start > time_limit:
                limit = "time"
            elif stop is not None and stop.is_set():
                limit = "stopped"
            if limit:
                kill_tree(process.pid)
                process.wait()
                break
    finally:
        if process.poll() is None:  # interrupted (Ctrl-C): leave nothing behind
            kill_tree(process.pid)
            process.wait()
    return Finished(process.returncode, time.monotonic() - start, peak, limit)
