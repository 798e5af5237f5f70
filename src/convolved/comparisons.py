"""Fair, seeded comparisons of small networks on the digits, and how much a small shift changes.

- :func:`shifted_accuracy` tests a network on images moved by whole pixels
  (:func:`convolved.equivariance.shift`: no wrap-around, the vacated pixels are 0);
- :func:`relative_change` measures how much a feature map changed: ‖after − before‖ / ‖before‖;
- :func:`train_runs` trains one network several times, with seeds ``seed``, ``seed + 1``, …;
- :func:`compare` tests every run on held-out images as they are and moved by a pixel or two,
  and prints parameters, multiply-adds and accuracies side by side (:class:`Comparison`).

Training and testing go through :mod:`convolved.training` (one intra-op thread), so the same
seeds give the same accuracies at any thread count. Train each network at least twice: the
spread between runs of one network is the yardstick for any gap between networks.

>>> import torch
>>> from convolved import models
>>> images = torch.rand(40, 1, 8, 8, generator=torch.Generator().manual_seed(0))
>>> labels = torch.arange(40) % 2
>>> runs = {"dense": train_runs(lambda: models.dense_net([8], n_classes=2), images, labels,
...                             n_runs=2, epochs=1, progress=False)}
>>> table = compare(runs, images, labels, distances=(0, 1))
>>> table.columns, table.rows[0].parameters, len(table.rows[0].accuracies[1])
(('centred', 'shifted 1 px'), 538, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch

from . import models, training
from ._validate import as_int
from .equivariance import shift

__all__ = ["Comparison", "Row", "Run", "compare", "relative_change", "shifted_accuracy", "train_runs"]

#: The four moves of :func:`shifted_accuracy`: down, up, right, left (rows, columns).
DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def relative_change(before, after) -> float:
    """‖after − before‖ / ‖before‖ (Euclidean norms over all values): 0 means unchanged, 1 means
    a change as large as the map itself.

    >>> relative_change(np.array([3.0, 4.0]), np.array([3.0, 4.0]))
    0.0
    >>> relative_change(np.array([3.0, 4.0]), np.array([0.0, 4.0]))  # |−3| / 5
    0.6
    """
    before = np.asarray(before, dtype=np.float64)
    after = np.asarray(after, dtype=np.float64)
    if before.shape != after.shape:
        raise ValueError(f"before and after must have the same shape, got {before.shape} and {after.shape}")
    norm = np.linalg.norm(before)
    if norm == 0:
        raise ValueError("before is all zeros: a change relative to it is undefined")
    return float(np.linalg.norm(after - before) / norm)


def shifted_accuracy(model, images, labels, distance: int) -> float:
    """Accuracy on ``images`` moved ``distance`` pixels, averaged over the four moves (down, up,
    right, left); distance 0 is the plain accuracy (:func:`convolved.training.accuracy`)."""
    distance = as_int(distance, "distance", minimum=0)
    if distance == 0:
        return training.accuracy(model, images, labels)
    return float(np.mean([training.accuracy(model, shift(images, dy * distance, dx * distance), labels)
                          for dy, dx in DIRECTIONS]))


class Run(NamedTuple):
    """One trained copy of a network, and the wall time its training took (machine-dependent)."""

    model: object
    seconds: float


def train_runs(build: Callable, images, labels, *, n_runs: int = 2, seed: int = 0, epochs: int = 6,
               batch_size: int = 128, lr: float = 0.02, progress: bool = True,
               description: str = "training") -> list[Run]:
    """Build and train a network ``n_runs`` times: run ``r`` seeds torch with ``seed + r`` before
    ``build()`` (the initial weights) and shuffles its batches with the same seed.

    Training is :func:`convolved.training.fit` (Adam, cross-entropy): the same seeds give the
    same networks at any thread count.
    """

    if not callable(build) or isinstance(build, torch.nn.Module):
        raise TypeError("build must be a function that returns a new network (each run trains its own), "
                        f"e.g. partial(models.dense_net, [25]); got {type(build).__name__}")

    n_runs = as_int(n_runs, "n_runs", minimum=1)
    seed = as_int(seed, "seed")
    runs = []
    for run in range(n_runs):
        torch.manual_seed(seed + run)
        model = build()
        fitted = training.fit(model, images, labels, epochs=epochs, batch_size=batch_size, lr=lr,
                              seed=seed + run, progress=progress, description=f"{description}, run {run + 1}")
        runs.append(Run(model, fitted["seconds"]))
    return runs


class Row(NamedTuple):
    """One network of a :class:`Comparison`: accuracies per test, one per trained run."""

    name: str
    parameters: int
    multiply_adds: int  # per image
    accuracies: tuple[tuple[float, ...], ...]  # [test][run]


def _column(distance: int) -> str:
    return "centred" if distance == 0 else f"shifted {distance} px"


class Comparison(NamedTuple):
    """What :func:`compare` measured; printing it gives the table (mean accuracy of the runs)."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def mean(self, name: str, column: str) -> float:
        """Mean accuracy of network ``name`` over its runs, in test ``column`` (e.g. "centred")."""
        row = next((row for row in self.rows if row.name == name), None)
        if row is None or column not in self.columns:
            raise ValueError(f"name must be one of {[r.name for r in self.rows]} and column one of "
                             f"{list(self.columns)}, got {name!r}, {column!r}")
        return float(np.mean(row.accuracies[self.columns.index(column)]))

    def spread(self, column: str) -> float:
        """The largest gap (max − min) between the runs of any one network, in test ``column``."""
        index = self.columns.index(column)
        return float(max(max(row.accuracies[index]) - min(row.accuracies[index]) for row in self.rows))

    def __str__(self) -> str:
        width = max(len("network"), *(len(row.name) for row in self.rows))
        header = f"{'network':{width}s}{'parameters':>12s}{'multiply-adds':>15s}" + "".join(
            f"{column:>{max(10, len(column) + 2)}s}" for column in self.columns)
        lines = [header]
        for row in self.rows:
            lines.append(f"{row.name:{width}s}{row.parameters:>12,d}{row.multiply_adds:>15,d}" + "".join(
                f"{100 * np.mean(runs):>{max(10, len(column) + 2) - 1}.1f}%"
                for column, runs in zip(self.columns, row.accuracies, strict=True)))
        n_runs = {len(row.accuracies[0]) for row in self.rows}
        runs = f"{n_runs.pop()} runs" if len(n_runs) == 1 else "several runs"
        if max(len(row.accuracies[0]) for row in self.rows) > 1:
            spreads = ", ".join(f"{100 * self.spread(column):.1f} ({column})" for column in self.columns)
            lines.append(f"(mean of {runs} each; runs of one network differ by up to {spreads} points)")
        else:
            lines.append("(one run each: no spread between runs to compare the gaps with)")
        return "\n".join(lines)

    __repr__ = __str__


def compare(runs: dict, images, labels, distances: Sequence[int] = (0, 1, 2)) -> Comparison:
    """Test every trained run of every network on ``images`` moved 0, 1, 2… pixels.

    ``runs`` maps a network's name to its trained runs (:class:`Run` or plain models). Parameters
    and multiply-adds (:func:`convolved.models.multiply_adds`, per image) come from the first run.
    """
    if not isinstance(runs, dict) or not runs:
        raise ValueError("runs must be a dict {name: [trained runs]} with at least one network")
    distances = tuple(as_int(d, "distances[]", minimum=0) for d in distances)
    if not distances:
        raise ValueError("distances must name at least one shift, e.g. (0, 1, 2)")
    rows = []
    for name, trained in runs.items():
        nets = [run.model if isinstance(run, Run) else run for run in trained]
        if not nets:
            raise ValueError(f"network {name!r} has no trained runs")
        rows.append(Row(str(name), training.count_parameters(nets[0]),
                        models.multiply_adds(nets[0], tuple(images.shape[1:])),
                        tuple(tuple(shifted_accuracy(net, images, labels, d) for net in nets)
                              for d in distances)))
    return Comparison(tuple(_column(d) for d in distances), tuple(rows))
