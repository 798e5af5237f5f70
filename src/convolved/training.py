"""Small, seeded training loops for the course's tiny CNNs: on the CPU, in seconds.

Kept deliberately plain (Adam, mini-batches, one progress bar) so a notebook can say in one
line what happens, and the same seed always gives the same model, **at any thread count and on
any x86 machine**: training and evaluation run inside :func:`one_thread`. A float sum rounds
differently when it is split over a different number of threads, or added up in a different
order, and after a few hundred Adam steps those last bits become a different model. So they run
with one intra-op thread, and with PyTorch's own convolution rather than oneDNN's, whose kernels
are chosen for the CPU (its instruction set, its cache sizes): with them, notebook 07's network
reached 78.8 % after one epoch on the machine that wrote the notebook and 78.1 % on an AMD EPYC.
The caller's settings are restored afterwards.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator

import torch
from tqdm import tqdm

from ._validate import as_int

__all__ = ["Adam", "accuracy", "count_parameters", "fit", "fit_loader", "one_thread"]


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with the same arithmetic on every machine: one intra-op thread, and
    convolutions computed by PyTorch's own code (im2col and a matrix product), not by oneDNN's
    CPU-specific kernels. The caller's settings are restored afterwards.

    >>> before = torch.get_num_threads()
    >>> with one_thread():
    ...     torch.get_num_threads(), torch.backends.mkldnn.enabled
    (1, False)
    >>> torch.get_num_threads() == before
    True
    """
    # The switch behind torch.backends.mkldnn.enabled, which refuses to be set once PyTorch's
    # test utilities have frozen the global flags (as the OpInfo tests' import does).
    previous, onednn = torch.get_num_threads(), torch._C._get_mkldnn_enabled()
    torch.set_num_threads(1)
    torch._C._set_mkldnn_enabled(False)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
        torch._C._set_mkldnn_enabled(onednn)


class Adam:
    """``torch.optim.Adam`` with its defaults, the same arithmetic step for step (the tests check
    the two give bit-identical weights), written out in a few lines.

    Why a copy: the first ``torch.optim`` optimizer a process creates imports ``torch._dynamo``,
    which costs each notebook that trains about 1.2 s and 0.2 GB of memory. Each step applies,
    to every parameter θ with gradient g, the running averages m ← β₁m + (1 − β₁)g and
    v ← β₂v + (1 − β₂)g², and θ ← θ − lr · m̂ / (√v̂ + ε) with the bias-corrected m̂ = m / (1 − β₁ᵗ)
    and v̂ = v / (1 − β₂ᵗ).

    >>> weight = torch.nn.Parameter(torch.tensor([1.0]))
    >>> optimizer = Adam([weight], lr=0.1)
    >>> (weight ** 2).sum().backward(); optimizer.step()
    >>> round(weight.item(), 4)  # the first step moves each weight by about lr
    0.9
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.state: dict[int, dict] = {}  # per parameter: step count and the two running averages

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for index, param in enumerate(self.params):
            if param.grad is None:  # frozen, or not used: no step, as in torch
                continue
            state = self.state.setdefault(index, {"step": 0, "m": torch.zeros_like(param),
                                                  "v": torch.zeros_like(param)})
            state["step"] += 1
            grad, m, v, step = param.grad, state["m"], state["v"], float(state["step"])
            m.lerp_(grad, 1 - self.beta1)
            v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
            step_size = self.lr / (1 - self.beta1**step)
            denominator = (v.sqrt() / (1 - self.beta2**step) ** 0.5).add_(self.eps)
            param.addcdiv_(m, denominator, value=-step_size)


def _progress(epochs: int, description: str, show: bool):
    """A text progress bar on stdout: a saved notebook keeps its final state ("100% 5/5"),
    where a widget bar would be saved as it first appeared, at 0%."""
    return tqdm(range(epochs), desc=description, unit="epoch", disable=not show, file=sys.stdout,
                ncols=80)


def count_parameters(model) -> int:
    """The number of trainable numbers in a model.

    >>> count_parameters(torch.nn.Conv2d(3, 4, 3))
    112
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _batches(inputs, targets, batch_size: int, generator) -> Iterator[tuple]:
    """One epoch of shuffled mini-batches of two tensors."""
    order = torch.randperm(len(inputs), generator=generator)
    for first in range(0, len(inputs), batch_size):
        batch = order[first:first + batch_size]
        yield inputs[batch], targets[batch]


def _train(model, epoch: Callable[[], Iterable], epochs: int, lr: float, loss_fn, progress: bool,
           description: str) -> dict:
    """The one training loop: Adam over the batches ``epoch()`` gives, ``epochs`` times."""
    loss_fn = loss_fn or torch.nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=lr)
    losses, batches, items = [], 0, 0
    start = time.perf_counter()
    with one_thread():
        model.train()  # BatchNorm uses batch statistics and updates its running averages
        for _ in _progress(epochs, description, progress):
            total, batches, items = 0.0, 0, 0
            for inputs, targets in epoch():
                optimizer.zero_grad()
                loss = loss_fn(model(inputs), targets)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(targets)
                batches, items = batches + 1, items + len(targets)
            if not items:
                raise ValueError("the loader gave no batches: is the dataset empty, or smaller than "
                                 "batch_size with drop_last=True?")
            losses.append(total / items)
        model.eval()  # from now on BatchNorm uses its running averages: predictions are per image
    return {"losses": losses, "batches": batches, "items": items,
            "seconds": time.perf_counter() - start}


def fit(model, inputs, targets, *, epochs=5, batch_size=64, lr=1e-2, seed=0, loss_fn=None,
        progress=True, description="training") -> dict:
    """Train ``model`` on ``inputs``/``targets`` tensors with Adam; returns a dict of results.

    Batches are shuffled by a generator seeded with ``seed``. ``loss_fn`` defaults to
    cross-entropy (classification). The result holds the mean loss of each epoch
    (``"losses"``), the batches and items of the last epoch and the wall time in seconds.

    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(2, 2)
    >>> x = torch.randn(32, 2); y = (x[:, 0] > 0).long()
    >>> result = fit(model, x, y, epochs=20, progress=False)
    >>> result["losses"][-1] < result["losses"][0]
    True
    """
    epochs = as_int(epochs, "epochs", minimum=1)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    if len(inputs) != len(targets):
        raise ValueError(f"inputs and targets must have the same length, got {len(inputs)} and "
                         f"{len(targets)}")
    generator = torch.Generator().manual_seed(seed)
    return _train(model, lambda: _batches(inputs, targets, batch_size, generator), epochs, lr, loss_fn,
                  progress, description)


def fit_loader(model, loader, *, epochs=3, lr=1e-2, loss_fn=None, progress=True,
               description="training") -> dict:
    """Train ``model`` on the batches of a ``DataLoader`` with Adam; returns a dict of results.

    Each epoch is one pass over ``loader``: its sampler decides the order (seed its generator
    for a reproducible order) and its Dataset's transform runs on every item drawn. The result
    holds the mean loss of each epoch (``"losses"``), the number of batches and items seen per
    epoch (``"batches"``, ``"items"``) and the wall time in seconds (``"seconds"``).
    """
    epochs = as_int(epochs, "epochs", minimum=1)
    if not hasattr(loader, "__iter__") or isinstance(loader, torch.Tensor):
        raise TypeError(f"loader must be a DataLoader (or any iterable of (inputs, targets) "
                        f"batches), got {type(loader).__name__}")
    return _train(model, lambda: iter(loader), epochs, lr, loss_fn, progress, description)


def accuracy(model, inputs, labels, batch_size=512) -> float:
    """The fraction of ``inputs`` whose highest-scoring class is the label (model in eval mode).

    >>> model = torch.nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.eye(2)); _ = model.bias.zero_()
    >>> accuracy(model, torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0]))
    0.5
    """
    model.eval()
    correct = 0
    with one_thread(), torch.no_grad():
        for first in range(0, len(inputs), batch_size):
            scores = model(inputs[first:first + batch_size])
            correct += (scores.argmax(dim=1) == labels[first:first + batch_size]).sum().item()
    return correct / len(inputs)
