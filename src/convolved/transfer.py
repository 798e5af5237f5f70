"""Transfer learning on the digits, offline and in seconds (notebook 07).

Using kernels that a network learned on one task for another task is **transfer learning**. The
recipe, on the handwritten digits:

1. pretrain a CNN on some classes (say 0–4), with all the images of those classes;
2. keep its convolution layers, **frozen** (:func:`freeze`: no gradients, and BatchNorm kept in
   evaluation mode), and put a new last layer on top for the other classes (5–9):
   :func:`reuse_features`;
3. train only that new layer on a few images per class, and compare with the same network
   trained from scratch on the same few images: :func:`few_shot_comparison`.

:func:`experiment` runs the whole recipe. :func:`kernel_resemblance` measures how much learned
kernels look like the classic hand-made ones of :mod:`convolved.kernels`, and
:func:`kernel_figure` draws them side by side.

Training goes through :func:`convolved.training.fit_loader` and evaluation runs with one thread,
so the same seed gives the same numbers at any thread count.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import DataLoader

from . import plotting, training
from ._validate import as_int
from .datasets import ClassSubset
from .kernels import KERNELS

__all__ = ["Frozen", "TransferResult", "experiment", "few_shot_comparison", "freeze", "kernel_figure",
           "kernel_resemblance", "loader_accuracy", "random_kernel_resemblance", "reuse_features"]

#: The classic kernels a learned kernel is compared with: notebook 01's, without "identity".
CLASSIC = tuple(name for name in KERNELS if name != "identity")


class Frozen(nn.Module):
    """Layers that no longer learn: their parameters get no gradient, and the layers stay in
    evaluation mode even when the model around them is switched to training mode, so a
    BatchNorm inside keeps the running averages it learned instead of adapting them.

    >>> frozen = Frozen(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)))
    >>> _ = nn.Sequential(frozen, nn.Flatten()).train()  # what a training loop does
    >>> frozen.layers.training, frozen.layers[1].training, frozen.layers[0].weight.requires_grad
    (False, False, False)
    """

    def __init__(self, layers: nn.Module):
        super().__init__()
        if not isinstance(layers, nn.Module):
            raise TypeError(f"layers must be a torch.nn.Module, got {type(layers).__name__}")
        self.layers = layers
        for parameter in layers.parameters():
            parameter.requires_grad_(False)  # the optimizer gets no gradient: the values stay
        layers.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        self.layers.eval()  # whatever the mode of the model around: BatchNorm uses its averages
        return self

    def forward(self, x):
        return self.layers(x)


def freeze(layers: nn.Module) -> Frozen:
    """``layers`` wrapped in :class:`Frozen` (the same modules, not a copy)."""
    return Frozen(layers)


def reuse_features(pretrained: nn.Sequential, n_classes: int) -> nn.Sequential:
    """A new network: a frozen *copy* of every layer of ``pretrained`` but the last, then a new
    ``nn.Linear`` to ``n_classes`` outputs (the only layer that learns).

    >>> pretrained = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    >>> network = reuse_features(pretrained, 3)
    >>> training.count_parameters(network), network[1]
    (435, Linear(in_features=144, out_features=3, bias=True))
    """
    if not isinstance(pretrained, nn.Sequential) or not isinstance(pretrained[-1], nn.Linear):
        raise TypeError("pretrained must be an nn.Sequential that ends with an nn.Linear, got "
                        f"{type(pretrained).__name__}")
    n_classes = as_int(n_classes, "n_classes", minimum=2)
    features = freeze(copy.deepcopy(pretrained[:-1]))
    return nn.Sequential(features, nn.Linear(pretrained[-1].in_features, n_classes))


def loader_accuracy(model: nn.Module, loader) -> float:
    """The fraction of a loader's items whose highest score is their label, in evaluation mode,
    without gradients and with one thread.

    >>> model = nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.eye(2)); _ = model.bias.zero_()
    >>> data = torch.utils.data.TensorDataset(torch.eye(2), torch.tensor([0, 0]))
    >>> loader_accuracy(model, DataLoader(data, batch_size=1))
    0.5
    """
    model.eval()
    correct = total = 0
    with training.one_thread(), torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += len(labels)
    if not total:
        raise ValueError("the loader gave no items")
    return correct / total


def _loader(dataset, batch_size: int, seed: int) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


def few_shot_comparison(pretrained: nn.Sequential, make_model, train_set, test_set, classes, *,
                        shots=(1, 3, 10), draws: int = 3, epochs: int = 20, batch_size: int = 32,
                        seed: int = 0) -> list[dict]:
    """Frozen pretrained features + a new last layer, against ``make_model(len(classes))`` from
    scratch, both trained on ``shots`` images per class of ``classes`` from ``train_set``.

    For each number of shots, ``draws`` different few-image training sets are drawn (seeds
    ``seed``, ``seed + 1``, …); both networks train on the same images for ``epochs`` epochs and are
    measured on every item of ``classes`` in ``test_set``. :func:`experiment` shows an example.
    Returns one dict per shots: ``shots``,
    ``images`` (training images per draw), ``transfer`` and ``scratch`` (the accuracy of each draw),
    and the trainable parameters of each network.
    """
    draws = as_int(draws, "draws", minimum=1)
    shots = [as_int(s, "shots[]", minimum=1) for s in shots]
    n_classes = len(list(classes))
    test_loader = DataLoader(ClassSubset(test_set, classes), batch_size=256, shuffle=False)
    rows = []
    for n in shots:
        row = {"shots": n, "images": None, "transfer": [], "scratch": []}
        for draw in range(draws):
            few = ClassSubset(train_set, classes, per_class=n, seed=seed + draw)
            row["images"] = len(few)
            for kind in ("transfer", "scratch"):
                torch.manual_seed(seed + draw)
                network = (reuse_features(pretrained, n_classes) if kind == "transfer"
                           else make_model(n_classes))
                training.fit_loader(network, _loader(few, batch_size, seed + draw), epochs=epochs,
                                    progress=False)
                row[kind].append(loader_accuracy(network, test_loader))
                row[f"{kind}_parameters"] = training.count_parameters(network)
        rows.append(row)
    return rows


class TransferResult(NamedTuple):
    """What :func:`experiment` measured."""

    pretrained: nn.Sequential  # trained on the source classes
    start_kernels: np.ndarray  # its first-layer kernels before pretraining (out, in, kH, kW)
    source_accuracy: float  # on the held-out images of the source classes
    rows: list  # few_shot_comparison's rows, on the target classes


def experiment(make_model, train_set, test_set, source_classes, target_classes, *, shots=(1, 3, 10),
               draws: int = 3, pretrain_epochs: int = 3, epochs: int = 20, batch_size: int = 64,
               few_batch_size: int = 32, seed: int = 0) -> TransferResult:
    """The whole recipe: pretrain ``make_model(len(source_classes))`` on every training item of
    ``source_classes``, then :func:`few_shot_comparison` on ``target_classes``.

    ``make_model(n_classes)`` must build an ``nn.Sequential`` that ends with an ``nn.Linear``.

    >>> from convolved import data
    >>> from convolved.datasets import InMemoryImageDataset
    >>> images, labels = data.digits()
    >>> train = InMemoryImageDataset(images[:300], labels[:300])
    >>> test = InMemoryImageDataset(images[300:400], labels[300:400])
    >>> def make(n_classes):
    ...     return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
    ...                          nn.Linear(256, n_classes))
    >>> result = experiment(make, train, test, [0, 1], [2, 3], shots=(2,), draws=1,
    ...                     pretrain_epochs=1, epochs=2)
    >>> [(row["shots"], row["images"], row["transfer_parameters"]) for row in result.rows]
    [(2, 4, 514)]
    """
    overlap = sorted(set(source_classes) & set(target_classes))
    if overlap:
        raise ValueError(f"source_classes and target_classes must not share classes, both have "
                         f"{overlap}")
    torch.manual_seed(seed)
    pretrained = make_model(len(list(source_classes)))
    start = next(pretrained.parameters()).detach().clone().numpy()
    training.fit_loader(pretrained, _loader(ClassSubset(train_set, source_classes), batch_size, seed),
                        epochs=pretrain_epochs, progress=False)
    source_test = DataLoader(ClassSubset(test_set, source_classes), batch_size=256, shuffle=False)
    rows = few_shot_comparison(pretrained, make_model, train_set, test_set, target_classes, shots=shots,
                               draws=draws, epochs=epochs, batch_size=few_batch_size, seed=seed)
    return TransferResult(pretrained, start, loader_accuracy(pretrained, source_test), rows)


# ----------------------------------------------------------------------------------------------
# Do learned kernels look like the classic ones?


def _classic(names) -> dict[str, np.ndarray]:
    names = CLASSIC if names is None else tuple(names)
    unknown = [name for name in names if name not in KERNELS]
    if unknown or not names:
        raise ValueError(f"names must be some of {', '.join(map(repr, KERNELS))}; got {names!r}")
    return {name: np.asarray(KERNELS[name], dtype=np.float64) for name in names}


def kernel_resemblance(kernels, names=None) -> list[tuple[str, float]]:
    """For each 3×3 kernel, the classic kernel it resembles most and how much: the largest
    |cosine similarity| between the two as vectors of 9 numbers (1: the same pattern up to scale
    and sign, 0: nothing in common). The sign is ignored because the next layer can flip it.

    ``kernels``: (K, 3, 3), or a conv weight (K, 1, 3, 3). ``names``: the classic kernels to
    compare with (default: notebook 01's, without the identity).

    >>> kernel_resemblance([[[1, 0, -1], [2, 0, -2], [1, 0, -1]]])  # a vertical edge, mirrored
    [('vertical edges', 1.0)]
    """
    if hasattr(kernels, "detach"):
        kernels = kernels.detach().cpu().numpy()
    array = np.asarray(kernels, dtype=np.float64)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3 or array.shape[1:] != (3, 3):
        raise ValueError(f"kernels must have shape (K, 3, 3) or (K, 1, 3, 3), got {array.shape}")
    classic = {name: k.ravel() / np.linalg.norm(k) for name, k in _classic(names).items()}
    result = []
    for kernel in array.reshape(len(array), 9):
        norm = np.linalg.norm(kernel)
        scores = {name: abs(float(kernel @ k)) / norm if norm else 0.0 for name, k in classic.items()}
        best = max(scores, key=scores.get)
        result.append((best, round(float(scores[best]), 6)))
    return result


def random_kernel_resemblance(n: int = 1000, seed: int = 0, names=None) -> float:
    """The mean :func:`kernel_resemblance` of ``n`` random 3×3 kernels (uniform, as a conv layer
    starts): the score a kernel gets by chance.

    >>> 0.4 < random_kernel_resemblance() < 0.6
    True
    """
    rng = np.random.default_rng(as_int(seed, "seed"))
    kernels = rng.uniform(-1, 1, size=(as_int(n, "n", minimum=1), 3, 3))
    return float(np.mean([score for _, score in kernel_resemblance(kernels, names)]))


def kernel_figure(learned, names=None, ncols: int = 8, size: float = 1.15) -> Figure:
    """The classic kernels in the top row, the learned 3×3 kernels below, each titled with the
    classic kernel it resembles most and the |cosine similarity| (red positive, blue negative)."""
    if hasattr(learned, "detach"):
        learned = learned.detach().cpu().numpy()
    learned = np.asarray(learned, dtype=np.float64)
    matches = kernel_resemblance(learned, names)  # checks the shape
    learned = learned.reshape(len(learned), 3, 3)
    classic = _classic(names)
    ncols = as_int(ncols, "ncols", minimum=1)
    rows = 1 + -(-len(learned) // ncols)
    columns = max(ncols, len(classic))
    height = rows * (size + 0.3) + 0.35
    fig = Figure(figsize=(columns * size, height))  # a fixed layout: drawn twice as fast as "constrained"
    axes = fig.subplots(rows, columns, squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.7 / height, wspace=0.15, hspace=0.55)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (name, kernel) in zip(axes[0], classic.items(), strict=False):
        ax.axis("on")
        plotting.draw_kernel(ax, kernel, name.replace(" (laplacian)", "").replace(" ", "\n", 1),
                             annotate=False)
    for i, (kernel, (name, score)) in enumerate(zip(learned, matches, strict=True)):
        ax = axes[1 + i // ncols, i % ncols]
        ax.axis("on")
        plotting.draw_kernel(ax, kernel, f"{name.split()[0]}\n{score:.2f}", annotate=False)
    for ax in fig.axes:
        ax.title.set_fontsize(8)
    fig.suptitle("top: classic kernels · below: learned kernels, titled with the closest classic "
                 "kernel and |cos|", fontsize=9)
    return fig
