"""The training helpers: they learn, they are reproducible, and they validate their input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convolved
from convolved import data, models, training


def tiny_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 10))


def test_a_tiny_cnn_learns_the_digits():
    images, labels = data.digits()
    torch.manual_seed(0)
    model = tiny_cnn()
    before = training.accuracy(model, images[1500:], labels[1500:])
    result = training.fit(model, images[:1500], labels[:1500], epochs=4, progress=False)
    after = training.accuracy(model, images[1500:], labels[1500:])
    assert after > 0.85 > before
    assert result["losses"][-1] < result["losses"][0] and result["seconds"] > 0


def test_the_same_seed_gives_the_same_model():
    images, labels = data.digits()
    weights = []
    for _ in range(2):
        torch.manual_seed(1)
        model = tiny_cnn()
        training.fit(model, images[:300], labels[:300], epochs=2, seed=5, progress=False)
        weights.append(torch.cat([p.flatten() for p in model.parameters()]))
    assert torch.equal(weights[0], weights[1])


def test_count_parameters():
    assert training.count_parameters(nn.Conv2d(3, 4, 3)) == 4 * 3 * 9 + 4
    frozen = nn.Linear(2, 2)
    frozen.bias.requires_grad_(False)
    assert training.count_parameters(frozen) == 4


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"epochs": 0}, ValueError, "epochs must be >= 1"),
     ({"batch_size": 1.5}, TypeError, "batch_size must be an int")],
)
def test_fit_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        training.fit(tiny_cnn(), torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long), **kwargs)


def test_fit_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        training.fit(tiny_cnn(), torch.zeros(4, 1, 8, 8), torch.zeros(3, dtype=torch.long))


class TestFitLoader:
    """Training from a DataLoader: it learns, repeats itself with a seeded generator, checks input."""

    @staticmethod
    def loader(images, labels, seed=0, batch_size=64, drop_last=False):
        from torch.utils.data import DataLoader, TensorDataset

        return DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=True,
                          drop_last=drop_last, generator=torch.Generator().manual_seed(seed))

    def test_a_tiny_cnn_learns_the_digits_from_a_loader(self):
        images, labels = data.digits()
        torch.manual_seed(0)
        model = tiny_cnn()
        result = training.fit_loader(model, self.loader(images[:1500], labels[:1500]), epochs=4,
                                     progress=False)
        assert training.accuracy(model, images[1500:], labels[1500:]) > 0.85
        assert result["losses"][-1] < result["losses"][0]
        assert (result["batches"], result["items"]) == (24, 1500) and result["seconds"] > 0
        assert not model.training

    def test_drop_last_counts_only_full_batches(self):
        images, labels = data.digits()
        result = training.fit_loader(tiny_cnn(), self.loader(images[:100], labels[:100], batch_size=32,
                                                             drop_last=True), epochs=1, progress=False)
        assert (result["batches"], result["items"]) == (3, 96)

    def test_the_same_seeds_give_the_same_model(self):
        images, labels = data.digits()
        weights = []
        for _ in range(2):
            torch.manual_seed(1)
            model = tiny_cnn()
            training.fit_loader(model, self.loader(images[:300], labels[:300], seed=5), epochs=2,
                                progress=False)
            weights.append(torch.cat([p.flatten() for p in model.parameters()]))
        assert torch.equal(weights[0], weights[1])

    @pytest.mark.parametrize(
        ("loader", "kwargs", "error", "match"),
        [(torch.zeros(4, 1, 8, 8), {}, TypeError, "loader must be a DataLoader"),
         (42, {}, TypeError, "loader must be a DataLoader"),
         ([], {}, ValueError, "gave no batches"),
         ([(torch.zeros(2, 1, 8, 8), torch.zeros(2, dtype=torch.long))], {"epochs": 0}, ValueError,
          "epochs must be >= 1")],
        ids=["tensor", "int", "empty", "zero-epochs"],
    )
    def test_bad_input(self, loader, kwargs, error, match):
        with pytest.raises(error, match=match):
            training.fit_loader(tiny_cnn(), loader, progress=False, **kwargs)


def test_our_adam_is_torchs_adam_bit_for_bit():
    """Training with convolved.training.Adam and with torch.optim.Adam gives identical weights."""
    images, labels = data.digits()
    results = []
    for make in (training.Adam, torch.optim.Adam):
        torch.manual_seed(0)
        model = models.digits_cnn("pool")  # two conv layers and a dense layer
        model[0].weight.requires_grad_(False)  # a frozen parameter is skipped by both
        optimizer = make(model.parameters(), lr=0.02)
        generator = torch.Generator().manual_seed(1)
        with training.one_thread():
            for _ in range(30):
                batch = torch.randint(0, len(images), (64,), generator=generator)
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(images[batch]), labels[batch]).backward()
                optimizer.step()
        results.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(results[0], results[1])


def test_training_does_not_import_torch_dynamo():
    """The point of our Adam: a notebook that trains does not pay for torch._dynamo."""
    import subprocess
    import sys

    code = ("import sys, torch; from convolved import data, models, training; "
            "x, y = data.digits(); training.fit(models.digits_cnn('pool'), x[:64], y[:64], epochs=1, "
            "progress=False); assert 'torch._dynamo' not in sys.modules, 'torch._dynamo was imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


# A machine of another kind, as far as one machine can play it: oneDNN's kernels for AVX2, not
# AVX-512 (other kernels, other blocking), PyTorch's and MKL's AVX2 code asked for explicitly
# (AVX-512 machines get it from importing convolved), two threads.
OTHER_CPU = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2",
             "OMP_NUM_THREADS": "2"}


@pytest.mark.skipif(not convolved._has_avx2(), reason="plays processors with AVX2, which this one lacks")
def test_the_same_seed_gives_the_same_model_on_another_kind_of_cpu():
    """The weights after an epoch are identical, bit for bit, with the CPU's kernels chosen as for
    another processor: the course's numbers are the same on every x86 machine with AVX2."""
    import os
    import subprocess
    import sys

    code = ("import hashlib, torch; from convolved import data, models, training; "
            "x, y = data.digits(); torch.manual_seed(0); model = models.digits_cnn('pool'); "
            "training.fit(model, x[:700], y[:700], epochs=1, progress=False); "
            "print(torch.backends.cpu.get_cpu_capability(), hashlib.sha256(torch.cat("
            "[p.detach().flatten() for p in model.parameters()]).numpy().tobytes()).hexdigest())")
    here = {key: value for key, value in os.environ.items() if key not in OTHER_CPU}
    runs = []
    for variables in ({}, OTHER_CPU):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**here, **variables})
        assert done.returncode == 0, done.stderr[-2000:]
        runs.append(done.stdout.split())
    assert runs[0][0] == "AVX2"  # this machine's AVX-512 kernels were not used
    assert runs[0][1] == runs[1][1]
