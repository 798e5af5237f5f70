"""`convolved.ops` on PyTorch's own test inputs: every OpInfo sample that PyTorch's test suite
feeds to the matching ``torch.nn.functional`` function (``op_db``, which needs ``expecttest``).

Every sample must give torch's result (values, shapes, and max_pool2d's indices): our functions
leave no feature of torch's signatures out, so none may raise or differ.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convolved import ops

op_db = pytest.importorskip("torch.testing._internal.common_methods_invocations").op_db

OURS = {
    "nn.functional.conv1d": ops.conv1d,
    "nn.functional.conv2d": ops.conv2d,
    "nn.functional.conv3d": ops.conv3d,
    "nn.functional.conv_transpose2d": ops.conv_transpose2d,
    "nn.functional.max_pool2d": ops.max_pool2d,
    "nn.functional.avg_pool2d": ops.avg_pool2d,
    "nn.functional.pad": ops.pad,
}
OPS = [op for op in op_db if op.name in OURS]


def _numpy(value):
    return value.detach().numpy() if isinstance(value, torch.Tensor) else value


def _samples(op):
    torch.manual_seed(0)
    return list(op.sample_inputs("cpu", torch.float64, requires_grad=False))


def _id(op) -> str:
    return op.name.split(".")[-1] + (f"-{op.variant_test_name}" if op.variant_test_name else "")


def test_every_function_has_opinfo_samples():
    assert {op.name for op in OPS} == set(OURS)


# torch's own samples include padding="same" with even kernels, about which torch warns (once
# per process, so whether it shows depended on which worker ran the sample first).
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@pytest.mark.parametrize("op", OPS, ids=[_id(op) for op in OPS])
def test_agrees_with_torch_on_its_own_samples(op):
    ours = OURS[op.name]
    samples = _samples(op)
    assert samples
    for sample in samples:
        args = [_numpy(a) for a in sample.args]
        kwargs = {k: _numpy(v) for k, v in sample.kwargs.items()}
        call = f"{op.name}(input {tuple(sample.input.shape)}, *{sample.args!r}, **{sample.kwargs!r})"
        expected = op.op(sample.input, *sample.args, **sample.kwargs)
        got = ours(_numpy(sample.input), *args, **kwargs)
        expected = expected if isinstance(expected, tuple) else (expected,)
        got = got if isinstance(got, tuple) else (got,)
        assert len(got) == len(expected), call
        for mine, theirs in zip(got, expected, strict=True):
            theirs = theirs.numpy()
            assert np.shape(mine) == theirs.shape, f"{call}: shape {np.shape(mine)} vs {theirs.shape}"
            if theirs.dtype == np.int64:
                assert np.array_equal(mine, theirs), call
            else:
                np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-9, err_msg=call)
