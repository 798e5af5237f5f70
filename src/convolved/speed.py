"""Timing helpers for the speed lesson and the benchmark: best of several runs, no magic."""

from __future__ import annotations

import time

import numpy as np

__all__ = ["race", "time_call"]


def time_call(function, *args, repeat: int = 5, budget: float = 0.5) -> float:
    """Best wall time in seconds of ``function(*args)`` over up to ``repeat`` runs.

    Stops early once ``budget`` seconds are spent, so slow functions run only once. The best
    (not the mean) run is the one least disturbed by whatever else the machine was doing.
    """
    best, spent = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent > budget:
            break
    return best


def race(methods: dict, image: np.ndarray, kernel_sizes, seed: int = 0, repeat: int = 5):
    """Time each ``method(image, kernel)`` on random square kernels of each size.

    Returns {method name: [seconds for each kernel size]}.
    """
    rng = np.random.default_rng(seed)
    timings = {name: [] for name in methods}
    for size in kernel_sizes:
        kernel = rng.standard_normal((size, size)).astype(np.float32)
        for name, method in methods.items():
            timings[name].append(time_call(method, image, kernel, repeat=repeat))
    return timings
