"""Goldens for unary math, activations, reductions and softmax
(op_unary.go, op_activation.go, op_reduce.go, op_softmax.go).

Each case has the name, input shape and options of a row of elementwiseCases
or reduceCases in engine/autograd/optable_elementwise_test.go, and inputs
drawn from the same domain (positive for log/sqrt/fractional pow, away from
kinks, distinct values for max). The */kinks and clamp/bounds cases put inputs
exactly on the kinks to pin PyTorch's gradient convention there.

    /usr/bin/python3 testdata/golden/gen_elementwise.py
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
import torch.nn.functional as F
from golden import case, gen, randn, uniform, write

torch.set_num_threads(1)
cases = []


def normal(g, *shape):
    return randn(g, *shape)


def away_from_zero(lo):
    def draw(g, *shape):
        x = randn(g, *shape)
        return x + lo * torch.where(x >= 0, 1.0, -1.0)
    return draw


def positive(lo, hi):
    return lambda g, *shape: uniform(g, lo, hi, *shape)


def uniform_avoid(lo, hi, *kinks):
    """Uniform in [lo, hi), redrawing values within 0.05 of a kink."""
    def draw(g, *shape):
        x = uniform(g, lo, hi, *shape).reshape(-1)
        for j in range(x.numel()):
            while any(abs(float(x[j]) - k) < 0.05 for k in kinks):
                x[j] = uniform(g, lo, hi, 1)[0]
        return x.reshape(shape)
    return draw


def distinct(g, *shape):
    """A random permutation of evenly spaced values (spacing 0.1): no ties."""
    n = 1
    for s in shape:
        n *= s
    p = torch.randperm(n, generator=g).to(torch.float32)
    return ((p - n // 2) * 0.1 + 0.05).reshape(shape)


def fixed(*vals):
    return lambda g, *shape: torch.tensor(vals, dtype=torch.float32).reshape(shape)


large = positive(-90, 90)


def c(name, fn, shape, draw=normal, **kw):
    g = gen(name)
    cases.append(case(name, fn, [draw(g, *shape)], **kw))


# Unary math.
c("exp/2d", torch.exp, (3, 5))
c("log/3d", torch.log, (2, 3, 4), positive(0.2, 3))
c("sqrt/2d", torch.sqrt, (3, 5), positive(0.2, 3))
c("abs/3d", torch.abs, (1, 5, 3), away_from_zero(0.1))
c("abs/zero", torch.abs, (2, 3), fixed(0, -1, 2, 0, 0.5, -0.25))
c("neg/3d", torch.neg, (2, 3, 4))
c("pow/p2", lambda x: torch.pow(x, 2), (3, 5))
c("pow/p3", lambda x: torch.pow(x, 3), (2, 3, 4))
c("pow/p0.5", lambda x: torch.pow(x, 0.5), (3, 5), positive(0.2, 3))
c("pow/p-1.5", lambda x: torch.pow(x, -1.5), (1, 4, 3), positive(0.5, 2))
c("clamp/3d", lambda x: torch.clamp(x, -0.5, 0.75), (2, 3, 4), uniform_avoid(-2, 2, -0.5, 0.75))
c("clamp/bounds", lambda x: torch.clamp(x, -0.5, 0.75), (2, 3), fixed(-0.5, 0.75, -1, 0, 1, 0.25))
# Scalars as float32, as the Go op takes them.
c("scale/3d", lambda x: x * torch.tensor(-1.7, dtype=torch.float32), (2, 3, 4))
c("addscalar/2d", lambda x: x + torch.tensor(0.3, dtype=torch.float32), (3, 5))

# Activations.
c("relu/2d", F.relu, (3, 5), away_from_zero(0.1))
c("relu/kinks", F.relu, (2, 3), fixed(0, -0.5, 1.5, 0, -2, 3))
c("relu6/3d", F.relu6, (2, 3, 4), uniform_avoid(-2, 8, 0, 6))
c("relu6/kinks", F.relu6, (2, 3), fixed(0, 6, -1, 3, 7, 0.5))
c("sigmoid/2d", torch.sigmoid, (3, 5))
c("sigmoid/large", torch.sigmoid, (2, 5), large)
c("tanh/3d", torch.tanh, (2, 3, 4))
c("tanh/large", torch.tanh, (2, 5), large)
c("silu/2d", F.silu, (3, 5))
c("silu/large", F.silu, (2, 5), large)
c("hardswish/3d", F.hardswish, (2, 3, 4), uniform_avoid(-5, 5, -3, 3))
c("hardswish/kinks", F.hardswish, (2, 3), fixed(-3, 3, -4, 0, 4, 1.5))
c("hardsigmoid/2d", F.hardsigmoid, (3, 5), uniform_avoid(-5, 5, -3, 3))
c("hardsigmoid/kinks", F.hardsigmoid, (2, 3), fixed(-3, 3, -4, 0, 4, 1.5))
c("gelu/3d", F.gelu, (2, 3, 4))
c("gelu/large", F.gelu, (2, 5), large)
c("gelutanh/2d", lambda x: F.gelu(x, approximate="tanh"), (3, 5))
c("gelutanh/large", lambda x: F.gelu(x, approximate="tanh"), (2, 5), large)

# Reductions. An empty or missing dim list means all axes, as in Go.
def alldims(x):
    return tuple(range(x.dim()))

c("sum/axis1", lambda x: torch.sum(x, dim=1), (2, 3, 4))
c("sum/axes02_keepdim", lambda x: torch.sum(x, dim=(0, 2), keepdim=True), (2, 3, 4))
c("sum/neg", lambda x: torch.sum(x, dim=-1), (3, 1, 5))
c("sum/all", torch.sum, (3, 5))
c("sum/all_keepdim", lambda x: torch.sum(x, dim=alldims(x), keepdim=True), (2, 3, 4))
c("mean/axis1", lambda x: torch.mean(x, dim=1), (2, 5, 3))
c("mean/axes12_keepdim", lambda x: torch.mean(x, dim=(1, 2), keepdim=True), (2, 3, 4))
c("mean/neg_keepdim", lambda x: torch.mean(x, dim=-2, keepdim=True), (1, 4, 3))
c("mean/all", torch.mean, (3, 5))
# amax splits the gradient among tied maxima where Go's Max gives it all to
# the first; distinct inputs have no ties, so the two agree.
c("max/axis1", lambda x: torch.amax(x, dim=1), (2, 3, 4), distinct)
c("max/axes_neg0", lambda x: torch.amax(x, dim=(-1, 0)), (2, 3, 4), distinct)
c("max/neg_keepdim", lambda x: torch.amax(x, dim=-1, keepdim=True), (3, 5), distinct)
c("max/all_keepdim", lambda x: torch.amax(x, dim=alldims(x), keepdim=True), (3, 5), distinct)
c("var/axis1_c1", lambda x: torch.var(x, dim=1, correction=1), (2, 5, 3))
c("var/axes02_c0_keepdim", lambda x: torch.var(x, dim=(0, 2), correction=0, keepdim=True), (3, 4, 5))
c("var/neg_c0", lambda x: torch.var(x, dim=-1, correction=0), (4, 5))
c("var/all_c1", lambda x: torch.var(x, dim=alldims(x), correction=1), (3, 5))

# Softmax.
c("softmax/last", lambda x: torch.softmax(x, dim=-1), (3, 5))
c("softmax/axis1", lambda x: torch.softmax(x, dim=1), (2, 3, 4))
c("softmax/axis0", lambda x: torch.softmax(x, dim=0), (3, 1, 4))
c("softmax/large", lambda x: torch.softmax(x, dim=-1), (2, 6), positive(50, 100))
c("logsoftmax/last", lambda x: torch.log_softmax(x, dim=-1), (3, 5))
c("logsoftmax/axis1", lambda x: torch.log_softmax(x, dim=1), (2, 3, 4))
c("logsoftmax/large", lambda x: torch.log_softmax(x, dim=-1), (2, 6), positive(50, 100))

write("elementwise", cases)
