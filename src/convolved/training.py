"""Small, seeded training loops for the course's tiny CNNs: on the CPU, in seconds.

Kept deliberately plain (Adam, mini-batches, one progress bar) so a notebook can say in one
line what happens, and the same seed always gives the same model.
"""

from __future__ import annotations

import time

from ._validate import as_int

__all__ = ["accuracy", "count_parameters", "fit"]


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
    from tqdm.auto import tqdm

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
    for _ in tqdm(range(epochs), desc=description, unit="epoch", disable=not progress):
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
