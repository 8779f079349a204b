"""Shared helpers for the PyTorch golden files of reprise's op table.

Each gen_<group>.py builds a list of cases with `case` and writes
testdata/golden/<group>.json with `write`. A case's name is the name of a row
of the op table in engine/autograd/optable_test.go; the Go test runs that row
on the inputs stored here and compares its output and input gradients with
PyTorch's (normwise relative error max|got-want| / max(1, max|want|) <= tol).

Run with Debian's PyTorch:  /usr/bin/python3 testdata/golden/gen.py
"""
import json
import os
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def gen(name):
    """A torch.Generator seeded by the case name, so cases are independent."""
    g = torch.Generator()
    g.manual_seed(zlib.crc32(name.encode()))
    return g


def randn(g, *shape, std=1.0):
    return torch.randn(tuple(shape), generator=g, dtype=torch.float32) * std


def uniform(g, lo, hi, *shape):
    return lo + (hi - lo) * torch.rand(tuple(shape), generator=g, dtype=torch.float32)


def _t(x):
    x = x.detach().to(torch.float32).contiguous()
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def case(name, fn, inputs, tol=1e-5, note="", grad=None):
    """Run fn(*inputs) in float32 and record inputs, output, a random output
    gradient and the input gradients. grad[i] False marks an input whose
    gradient is not compared."""
    g = gen(name + "/grad")
    xs = [x.detach().clone().to(torch.float32).requires_grad_(True) for x in inputs]
    y = fn(*xs)
    gy = randn(g, *y.shape)
    y.backward(gy)
    grads = []
    for i, x in enumerate(xs):
        if (grad is not None and not grad[i]) or x.grad is None:
            grads.append(None if (grad is not None and not grad[i]) else _t(torch.zeros_like(x)))
        else:
            grads.append(_t(x.grad))
    return {
        "name": name,
        "inputs": [_t(x) for x in inputs],
        "output": _t(y),
        "grad_output": _t(gy),
        "grads": grads,
        "tol": tol,
        "note": note,
    }


def write(group, cases):
    path = os.path.join(HERE, group + ".json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"generator": "testdata/golden/gen_%s.py" % group,
                   "torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)
    print("wrote %s (%d cases)" % (path, len(cases)))
