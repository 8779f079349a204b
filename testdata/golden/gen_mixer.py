"""Goldens for the token-mixing ops (op_mixer.go): TokenLinear is
w @ x + b[:, None] (a linear layer over the token axis of [..., S, C]),
LayerScaleAdd is x + gamma * h, LinearAct is act(F.linear(x, w, b))."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
import torch.nn.functional as F
from golden import case, gen, randn, write

cases = []


def token_linear(x, w, b=None):
    y = w @ x
    return y if b is None else y + b[:, None]


def c(name, fn, *shapes):
    g = gen(name)
    cases.append(case(name, fn, [randn(g, *s) for s in shapes]))


c("tokenlinear/bias", token_linear, (2, 3, 5), (4, 3), (4,))
c("tokenlinear/nobias_batch2d", token_linear, (2, 2, 5, 3), (5, 5))
c("tokenlinear/matrix", token_linear, (7, 2), (3, 7), (3,))
c("layerscaleadd/tokens", lambda x, h, g: x + g * h, (2, 3, 9), (2, 3, 9), (9,))
c("layerscaleadd/rank1", lambda x, h, g: x + g * h, (5,), (5,), (5,))
c("linearact/gelu", lambda x, w, b: F.gelu(F.linear(x, w, b)), (2, 3, 5), (20, 5), (20,))
c("linearact/silu_nobias", lambda x, w: F.silu(F.linear(x, w)), (4, 7), (3, 7))
write("mixer", cases)
