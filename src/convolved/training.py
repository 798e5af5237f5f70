"""Small, seeded training loops for the course's tiny CNNs: on the CPU, in seconds.

Kept deliberately plain (Adam, mini-batches, one progress bar) so a notebook can say in one
line what happens, and the same seed always gives the same model.
"""

from __future__ import annotations

import time

from ._validate import as_int

__all__ = ["accuracy", "count_parameters", "fit", "fit_loader"]


def _progress(epochs: int, description: str, show: bool):
    """A text progress bar on stdout: a saved notebook keeps its final state ("100% 5/5"),
    where a widget bar would be saved as it first appeared, at 0%."""
    import sys

    from tqdm import tqdm

    return tqdm(range(epochs), desc=description, unit="epoch", disable=not show, file=sys.stdout,
                ncols=80)


def count_parameters(model) -> int:
    """The number of trainable numbers in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def fit(model, inputs, targets, *, epochs=5, batch_size=64, lr=1e-2, seed=0, loss_fn=None,
        progress=True, description="training"):
    """Train ``model`` on ``inputs``/``targets`` tensors with Adam; returns a dict of results.

    Batches are shuffled by a generator seeded with ``seed``. ``loss_fn`` defaults to
    cross-entropy (classification). The result holds the mean loss of each epoch
    (``"losses"``) and the wall time in seconds (``"seconds"``).
    """
    import torch

    epochs = as_int(epochs, "epochs", minimum=1)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    if len(inputs) != len(targets):
        raise ValueError(f"inputs and targets must have the same length, got {len(inputs)} and "
                         f"{len(targets)}")
    loss_fn = loss_fn or torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    start = time.perf_counter()
    model.train()
    for _ in _progress(epochs, description, progress):
        order = torch.randperm(len(inputs), generator=generator)
        total = 0.0
        for first in range(0, len(inputs), batch_size):
            batch = order[first:first + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(inputs[batch]), targets[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(inputs))
    model.eval()
    return {"losses": losses, "seconds": time.perf_counter() - start}


def accuracy(model, inputs, labels, batch_size=512) -> float:
    """The fraction of ``inputs`` whose highest-scoring class is the label."""
    import torch

    model.eval()
    correct = 0
    with torch.no_grad():
        for first in range(0, len(inputs), batch_size):
            scores = model(inputs[first:first + batch_size])
            correct += (scores.argmax(dim=1) == labels[first:first + batch_size]).sum().item()
    return correct / len(inputs)


def fit_loader(model, loader, *, epochs=3, lr=1e-2, loss_fn=None, progress=True,
               description="training"):
    """Train ``model`` on the batches of a ``DataLoader`` with Adam; returns a dict of results.

    Each epoch is one pass over ``loader``: its sampler decides the order (seed its generator
    for a reproducible order) and its Dataset's transform runs on every item drawn. The result
    holds the mean loss of each epoch (``"losses"``), the number of batches and items seen per
    epoch (``"batches"``, ``"items"``) and the wall time in seconds (``"seconds"``).
    """
    import torch

    epochs = as_int(epochs, "epochs", minimum=1)
    if not hasattr(loader, "__iter__") or isinstance(loader, torch.Tensor):
        raise TypeError(f"loader must be a DataLoader (or any iterable of (inputs, targets) "
                        f"batches), got {type(loader).__name__}")
    loss_fn = loss_fn or torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses, batches, items = [], 0, 0
    start = time.perf_counter()
    model.train()
    for _ in _progress(epochs, description, progress):
        total, batches, items = 0.0, 0, 0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(targets)
            batches, items = batches + 1, items + len(targets)
        if not items:
            raise ValueError("loader gave no batches: is the dataset empty, or smaller than "
                             "batch_size with drop_last=True?")
        losses.append(total / items)
    model.eval()
    return {"losses": losses, "batches": batches, "items": items,
            "seconds": time.perf_counter() - start}
