"""Goldens for BatchNorm, LayerNorm, Affine and Dropout (op_norm.go, op_dropout.go).

Writes norm.json (one case per op-table row of optable_norm_test.go) and
batchnorm_running.json (running statistics after two training steps, and an
eval pass with them, for TestBatchNormRunningGolden in norm_test.go).

Dropout and DropPath rows with p > 0 have no golden: their masks come from
reprise's seeded PCG stream, which torch's generator cannot reproduce.
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import json
import torch
import torch.nn.functional as F
from golden import HERE, _t, case, gen, randn, uniform, write

torch.set_num_threads(1)
cases = []


def eval_state(c):
    """The running statistics of the eval rows (normEvalState in Go):
    exactly representable, so both sides hold the same float32 values."""
    ch = torch.arange(c, dtype=torch.float32)
    return -0.25 + 0.125 * ch, 0.5 + 0.25 * ch


def bn(name, shape, affine, train, momentum, eps, note=""):
    g = gen(name)
    c = shape[1]
    inputs = [randn(g, *shape)]
    if affine:
        inputs += [randn(g, c), randn(g, c)]

    def fn(x, w=None, b=None):
        if train:
            rm, rv = torch.zeros(c), torch.ones(c)
        else:
            rm, rv = eval_state(c)
        return F.batch_norm(x, rm, rv, w, b, training=train, momentum=momentum, eps=eps)

    cases.append(case(name, fn, inputs, note=note))


bn("batchnorm/train1d_affine", (3, 4, 5), True, True, 0.1, 1e-5)
bn("batchnorm/train1d", (3, 4, 5), False, True, 0.1, 1e-5)
bn("batchnorm/train2d_affine", (2, 3, 4, 5), True, True, 0.1, 1e-5)
bn("batchnorm/train2d", (2, 3, 4, 5), False, True, 0.1, 1e-5)
bn("batchnorm/train_nc_tf", (5, 3), True, True, 0.01, 1e-3,
   note="TF/Keras BN momentum (decay) 0.99 is PyTorch momentum 0.01; eps 1e-3 as timm's tf_ EfficientNets")
bn("batchnorm/train_batch1", (1, 2, 3, 3), True, True, 0.1, 1e-5)
bn("batchnorm/eval_affine", (1, 3, 2, 2), True, False, 0.1, 1e-5)
bn("batchnorm/eval", (2, 4, 3), False, False, 0.1, 1e-3)


def ln(name, shape, affine, eps):
    g = gen(name)
    d = shape[-1]
    inputs = [randn(g, *shape)]
    if affine:
        inputs += [randn(g, d), randn(g, d)]
    cases.append(case(name, lambda x, w=None, b=None: F.layer_norm(x, (d,), w, b, eps), inputs))


ln("layernorm/affine", (2, 3, 7), True, 1e-5)
ln("layernorm/plain", (2, 3, 7), False, 1e-5)
ln("layernorm/row1", (1, 5), True, 1e-6)

# timm's resmlp Affine: x * alpha + beta over the last dimension.
for name, shape in [("affine/channels_last", (2, 5, 6)), ("affine/rank1", (4,))]:
    g = gen(name)
    d = shape[-1]
    cases.append(case(name, lambda x, a, b: x * a + b, [randn(g, *shape), randn(g, d), randn(g, d)]))

g = gen("dropout/p0")
cases.append(case("dropout/p0", lambda x: F.dropout(x, 0.0, training=True), [randn(g, 3, 5)]))

write("norm", cases)


# Running statistics: two training steps of a BatchNorm module, then eval.
def running(name, shape, momentum, eps, fresh):
    g = gen("running/" + name)
    c = shape[1]
    m = torch.nn.BatchNorm2d(c, eps=eps, momentum=momentum) if len(shape) == 4 else \
        torch.nn.BatchNorm1d(c, eps=eps, momentum=momentum)
    with torch.no_grad():
        m.weight.copy_(randn(g, c))
        m.bias.copy_(randn(g, c))
        if not fresh:
            m.running_mean.copy_(randn(g, c))
            m.running_var.copy_(uniform(g, 0.5, 2.0, c))
    rec = {"name": name, "momentum": momentum, "eps": eps,
           "gamma": _t(m.weight), "beta": _t(m.bias),
           "init_mean": _t(m.running_mean), "init_var": _t(m.running_var), "steps": []}
    m.train()
    for _ in range(2):
        x = randn(g, *shape, std=2.0) + 0.5
        with torch.no_grad():
            y = m(x)
        rec["steps"].append({"x": _t(x), "out": _t(y),
                             "mean": _t(m.running_mean), "var": _t(m.running_var)})
    m.eval()
    x = randn(g, *shape)
    with torch.no_grad():
        rec["eval"] = {"x": _t(x), "out": _t(m(x))}
    return rec


runs = [running("torch_default_2d", (4, 3, 2, 2), 0.1, 1e-5, True),
        running("tf_style_nc", (6, 5), 0.01, 1e-3, False),
        running("batch1_1d", (1, 2, 5), 0.3, 1e-5, False)]
path = os.path.join(HERE, "batchnorm_running.json")
with open(path + ".tmp", "w") as f:
    json.dump({"generator": "testdata/golden/gen_norm.py", "torch": torch.__version__,
               "running": runs}, f, separators=(",", ":"))
    f.write("\n")
os.replace(path + ".tmp", path)
print("wrote %s (%d runs)" % (path, len(runs)))
