"""Goldens for the shape ops: reshape, flatten, permute, transpose, expand,
concat, split, slice, pad, roll, index_select, gather and Swin's windows
(op_reshape.go, op_concat.go, op_pad.go, op_gather.go, op_window.go)."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
import torch.nn.functional as F
from golden import case, gen, randn, write

cases = []
def c(name, fn, *shapes, **kw):
    g = gen(name)
    cases.append(case(name, fn, [randn(g, *s) for s in shapes], **kw))


def pad(before, after, value):
    """Our Pad(x, before, after, value): F.pad takes the pads last dim first."""
    p = []
    for b, a in zip(reversed(before), reversed(after)):
        p += [b, a]
    return lambda x: F.pad(x, tuple(p), mode="constant", value=value)


# Swin Transformer's window_partition and window_reverse (timm, microsoft/Swin-Transformer).
def window_partition(x, ws):
    B, H, W, C = x.shape
    x = x.view(B, H // ws, ws, W // ws, ws, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, C)


def window_reverse(windows, ws, H, W):
    B = int(windows.shape[0] / (H * W / ws / ws))
    x = windows.view(B, H // ws, W // ws, ws, ws, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)


# Same values as shapeGatherIndex1 / shapeGatherIndex0 in optable_shape_test.go.
GATHER_INDEX1 = torch.tensor([3, 0, 1, 1, 2, 3, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 1]).reshape(2, 5, 2)
GATHER_INDEX0 = torch.tensor([2, 0, 1, 1, 0, 2, 2, 2]).reshape(4, 2)

c("reshape/infer", lambda x: x.reshape(4, -1, 3), (2, 3, 4))
c("reshape/plain", lambda x: x.reshape(2, 1, 6), (3, 1, 4))
c("flatten/middle", lambda x: torch.flatten(x, 1, 2), (2, 3, 1, 5))
c("flatten/all", lambda x: torch.flatten(x, 0, -1), (3, 1, 4))
c("flatten/tail", lambda x: torch.flatten(x, -2, -1), (2, 3, 4))
c("permute/3d", lambda x: x.permute(2, 0, 1), (2, 3, 4))
c("permute/4d", lambda x: x.permute(-1, 1, 0, 2), (2, 1, 3, 5))
c("transpose/negative", lambda x: x.transpose(-1, -3), (2, 3, 4))
c("transpose/4d", lambda x: x.transpose(1, -1), (1, 3, 2, 5))
c("expand/lead", lambda x: x.expand(2, 3, 4), (3, 1))
c("expand/ones", lambda x: x.expand(3, -1, 2), (1, 4, 1))
c("expand/lead2", lambda x: x.expand(2, 1, 2, 4, 3), (2, 1, 3))
c("concat/axis0", lambda *xs: torch.cat(xs, 0), (1, 3), (2, 3), (4, 3))
c("concat/axis1", lambda *xs: torch.cat(xs, 1), (2, 1, 3), (2, 4, 3), (2, 2, 3))
c("concat/last", lambda *xs: torch.cat(xs, -1), (3, 2, 1), (3, 2, 4), (3, 2, 2))


def reorder(sizes, axis, order):
    def f(x):
        p = torch.split(x, sizes, axis)
        return torch.cat([p[i] for i in order], axis)
    return f


c("split/reorder", reorder([2, 4, 3], 1, [2, 0, 1]), (2, 9, 3))
c("split/one", lambda x: torch.split(x, [2, 4, 3], 1)[1], (2, 9, 3))
c("split/last", reorder([1, 2, 4], -1, [2, 1, 0]), (3, 7))
c("split/empty", reorder([3, 0, 2], 0, [2, 1, 0]), (5, 2))
c("slice/step2", lambda x: x[:, -7:9:2], (3, 9, 2))
c("slice/clamp", lambda x: x[1:100:3], (5, 4))
c("slice/negend", lambda x: x[..., -6:-1:2], (2, 7))
c("pad/2d", pad([1, 0], [2, 3], 0.5), (3, 4))
c("pad/4d", pad([0, 1, 2, 0], [1, 0, 1, 2], -1.0), (1, 2, 3, 2))
c("roll/2axes", lambda x: torch.roll(x, (-2, 4), (2, 1)), (2, 3, 5))
c("roll/negative", lambda x: torch.roll(x, (-1,), (-2,)), (4, 5))
c("roll/repeat", lambda x: torch.roll(x, (1, 2, -7, 3), (2, -1, 0, 1)), (3, 1, 4))
c("index_select/repeat", lambda x: torch.index_select(x, 1, torch.tensor([4, 0, 4, 2, 4, 1])), (3, 5, 2))
c("index_select/axis0", lambda x: torch.index_select(x, 0, torch.tensor([3, 3, 0])), (4, 3))
c("index_select/last", lambda x: torch.index_select(x, -1, torch.tensor([1, 1, 3])), (2, 3, 4))
c("gather/axis1", lambda x: torch.gather(x, 1, GATHER_INDEX1), (3, 4, 2))
c("gather/axis0", lambda x: torch.gather(x, -2, GATHER_INDEX0), (3, 4))
c("window/partition", lambda x: window_partition(x, 2), (2, 4, 6, 3))
c("window/partition3", lambda x: window_partition(x, 3), (1, 3, 6, 2))
c("window/reverse", lambda w: window_reverse(w, 2, 4, 6), (12, 2, 2, 3))
c("window/roundtrip", lambda x: window_reverse(window_partition(x, 2), 2, 4, 6), (2, 4, 6, 3))
write("shape", cases)
