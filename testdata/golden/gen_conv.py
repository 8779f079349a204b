"""Goldens for convolution, pooling and resizing (op_conv.go, op_pool.go, op_resize.go).

Every case mirrors a row of engine/autograd/optable_conv_test.go (same name,
input shapes and options). Pads are (top, bottom, left, right) as in Go's
Conv2dOpts and PoolOpts; asymmetric ones are emulated with F.pad first.
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import math
import torch
import torch.nn.functional as F
from golden import case, gen, randn, write

cases = []


def c(name, fn, *shapes, **kw):
    g = gen(name)
    cases.append(case(name, fn, [randn(g, *s) for s in shapes], **kw))


def same_pad(in_h, in_w, kh, kw, sh, sw, dh=1, dw=1):
    """TensorFlow 'SAME' padding as (top, bottom, left, right), as timm's pad_same."""
    def total(i, k, s, d):
        return max((math.ceil(i / s) - 1) * s + (k - 1) * d + 1 - i, 0)
    h, w = total(in_h, kh, sh, dh), total(in_w, kw, sw, dw)
    return (h // 2, h - h // 2, w // 2, w - w // 2)


ASYM = "asymmetric padding emulated with F.pad before the torch op (our Pad is top, bottom, left, right)"


def conv(name, xs, ws, bias, stride=1, dilation=1, groups=1, pad=(0, 0, 0, 0)):
    t, b, l, r = pad
    sym = t == b == l == r
    def fn(x, w, *bb):
        bv = bb[0] if bb else None
        if sym:
            return F.conv2d(x, w, bv, stride=stride, padding=t, dilation=dilation, groups=groups)
        return F.conv2d(F.pad(x, (l, r, t, b)), w, bv, stride=stride, dilation=dilation, groups=groups)
    shapes = [xs, ws] + ([(ws[0],)] if bias else [])
    c(name, fn, *shapes, note="" if sym else ASYM)


conv("conv/3x3_pad1", (2, 3, 7, 5), (4, 3, 3, 3), True, pad=(1, 1, 1, 1))
conv("conv/size1", (1, 1, 1, 1), (2, 1, 3, 3), True, pad=(1, 1, 1, 1))
conv("conv/tfsame_s2", (1, 3, 7, 8), (4, 3, 3, 3), True, stride=2, pad=same_pad(7, 8, 3, 3, 2, 2))
conv("conv/tfsame_k4_s2_odd", (1, 2, 7, 5), (3, 2, 4, 4), False, stride=2, pad=same_pad(7, 5, 4, 4, 2, 2))
conv("conv/stride2_rect", (2, 2, 9, 6), (3, 2, 3, 2), False, stride=(2, 3), pad=(1, 0, 0, 1))
conv("conv/dilation2", (1, 2, 9, 7), (3, 2, 3, 3), True, dilation=2, pad=(2, 2, 2, 2))
conv("conv/groups2", (2, 4, 5, 6), (6, 2, 3, 3), True, groups=2, pad=(1, 1, 1, 1))
conv("conv/1x1_bias", (2, 5, 3, 4), (7, 5, 1, 1), True)
conv("conv/1x1_nobias", (1, 4, 7, 5), (3, 4, 1, 1), False)
conv("conv/1x1_groups2", (1, 4, 3, 5), (6, 2, 1, 1), False, groups=2)
conv("conv/1x1_stride2", (1, 3, 5, 7), (4, 3, 1, 1), True, stride=2)
conv("depthwise/3x3_s1", (2, 3, 6, 5), (3, 1, 3, 3), True, groups=3, pad=(1, 1, 1, 1))
conv("depthwise/5x5_s2_tfsame", (1, 4, 9, 8), (4, 1, 5, 5), True, groups=4, stride=2, pad=same_pad(9, 8, 5, 5, 2, 2))
conv("depthwise/mult2_dil2", (1, 3, 5, 7), (6, 1, 3, 3), False, groups=3, dilation=2, pad=(2, 2, 2, 2))
conv("depthwise/mult2_s2", (2, 2, 5, 4), (4, 1, 3, 3), True, groups=2, stride=2, pad=(1, 1, 1, 1))


def maxpool(name, xs, k, stride=None, pad=(0, 0, 0, 0)):
    t, b, l, r = pad
    sym = t == b and l == r
    def fn(x):
        if sym:
            return F.max_pool2d(x, k, stride, padding=(t, l))
        return F.max_pool2d(F.pad(x, (l, r, t, b), value=-math.inf), k, stride)
    c(name, fn, xs, note="" if sym else ASYM + " (value -inf)")


def avgpool(name, xs, k, stride=None, pad=(0, 0, 0, 0), include=True):
    t, b, l, r = pad
    sym = t == b and l == r
    def fn(x):
        if sym:
            return F.avg_pool2d(x, k, stride, padding=(t, l), count_include_pad=include)
        assert not include
        # Mean over in-bounds cells: window sums of x over window counts of
        # ones, both zero-padded (TensorFlow's 'SAME' average pool).
        ones = torch.ones_like(x)
        p = (l, r, t, b)
        return F.avg_pool2d(F.pad(x, p), k, stride) / F.avg_pool2d(F.pad(ones, p), k, stride)
    c(name, fn, xs, note="" if sym else ASYM + "; count_include_pad=False as sum/count")


maxpool("maxpool/3x3_s2_p1", (2, 2, 7, 6), 3, 2, pad=(1, 1, 1, 1))
maxpool("maxpool/2x2", (1, 3, 5, 4), 2)
maxpool("maxpool/tfsame_3x3_s2", (1, 2, 8, 7), 3, 2, pad=same_pad(8, 7, 3, 3, 2, 2))
avgpool("avgpool/3x3_s1_p1_incl", (2, 3, 5, 4), 3, 1, pad=(1, 1, 1, 1), include=True)
avgpool("avgpool/3x3_s1_p1_excl", (2, 3, 5, 4), 3, 1, pad=(1, 1, 1, 1), include=False)
avgpool("avgpool/2x2_s2", (1, 3, 7, 5), 2, 2)
avgpool("avgpool/tfsame_3x3_s2_excl", (1, 2, 8, 7), 3, 2, pad=same_pad(8, 7, 3, 3, 2, 2), include=False)
c("adaptiveavgpool/7x5_to_3x2", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (2, 3, 7, 5))
c("adaptiveavgpool/to_1x1", lambda x: F.adaptive_avg_pool2d(x, (1, 1)), (1, 4, 5, 3))
c("adaptiveavgpool/3x2_to_5x4", lambda x: F.adaptive_avg_pool2d(x, (5, 4)), (1, 2, 3, 2))
c("globalavgpool/basic", lambda x: x.mean((2, 3)), (2, 3, 5, 7))
c("globalavgpool/1x1", lambda x: x.mean((2, 3)), (1, 3, 1, 1))


def resize(name, xs, oh, ow, mode):
    c(name, lambda x: F.interpolate(x, size=(oh, ow), mode=mode, align_corners=False, antialias=False), xs)


resize("resize/bilinear_up", (1, 2, 5, 4), 7, 9, "bilinear")
resize("resize/bilinear_down", (2, 1, 8, 8), 3, 5, "bilinear")
resize("resize/bilinear_mixed", (1, 2, 1, 6), 3, 4, "bilinear")
resize("resize/bilinear_same", (1, 1, 3, 4), 3, 4, "bilinear")
resize("resize/bicubic_up", (1, 2, 5, 4), 7, 9, "bicubic")
resize("resize/bicubic_down", (1, 2, 8, 8), 3, 5, "bicubic")
resize("resize/bicubic_mixed", (2, 1, 1, 6), 3, 4, "bicubic")
resize("resize/bicubic_posembed", (1, 6, 3, 3), 5, 5, "bicubic")

write("conv", cases)
