"""Goldens for fused scaled dot-product attention (op_attention.go):
softmax(q @ k^T * scale + bias, -1) @ v, as torch computes it unfused."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from golden import case, gen, randn, write

cases = []


def attn(scale, with_bias):
    def fn(q, k, v, b=None):
        s = q @ k.transpose(-2, -1) * scale
        if with_bias:
            s = s + b
        return torch.softmax(s, -1) @ v
    return fn


def c(name, scale, *shapes):
    g = gen(name)
    cases.append(case(name, attn(scale, len(shapes) == 4), [randn(g, *s) for s in shapes]))


c("attention/vit", 0.5, (2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 4))
c("attention/cross_dv", 0.3, (1, 2, 3, 4), (1, 2, 6, 4), (1, 2, 6, 5))
c("attention/swin_bias", 0.7, (2, 2, 3, 4, 3), (2, 2, 3, 4, 3), (2, 2, 3, 4, 3), (2, 3, 4, 4))
c("attention/head_bias", 1.0, (2, 3, 4, 2), (2, 3, 4, 2), (2, 3, 4, 2), (3, 4, 4))
write("attention", cases)
