#!/usr/bin/python3
"""Golden logits for zoo/nasnet: a minimal PyTorch NASNet built from cells.json.

Run with Debian's Python (torch 1.13):  /usr/bin/python3 testdata/gen_golden.py
from zoo/nasnet. It reads testdata/cells.json (written by the Go test from the
Go cell data: go test -run CellsJSON -update), builds each network here in
plain PyTorch, following TF-slim's nasnet.py / nasnet_utils.py (the authors'
code) with timm's parameter names, and writes testdata/golden.json: every
parameter and batch-norm buffer, a seeded input, and the logits in evaluation
mode (running statistics) and in training mode (batch statistics).

Conventions (as slim): every conv is bias-free with TensorFlow "SAME" padding
(the ImageNet stem conv0 is "VALID"); SAME pads put the odd pixel at the
bottom/right; SAME average pools exclude the padding; BN eps 1e-3.
"""
import base64
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = 1e-3


def same_pad(h, w, kh, kw, sh, sw, dil=1):
    """F.pad tuple (left, right, top, bottom) of TensorFlow's SAME."""
    def axis(n, k, s):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * dil + 1 - n, 0)
        return total // 2, total - total // 2
    t, b = axis(h, kh, sh)
    l, r = axis(w, kw, sw)
    return (l, r, t, b)


class Conv(nn.Module):
    def __init__(self, cin, cout, kh, kw, stride=(1, 1), dil=1, groups=1, valid=False):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin // groups, kh, kw))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.stride, self.dil, self.groups, self.valid = stride, dil, groups, valid

    def forward(self, x):
        kh, kw = self.weight.shape[2:]
        if not self.valid:
            x = F.pad(x, same_pad(x.shape[2], x.shape[3], kh, kw, self.stride[0], self.stride[1], self.dil))
        return F.conv2d(x, self.weight, None, self.stride, 0, self.dil, self.groups)


def bn(c):
    return nn.BatchNorm2d(c, eps=EPS, momentum=0.1)


class ActConvBn(nn.Module):
    def __init__(self, act, cin, cout, k, stride=1, dil=1, valid=False):
        super().__init__()
        self.act = act
        self.conv = Conv(cin, cout, k, k, (stride, stride), dil, valid=valid)
        self.bn = bn(cout)

    def forward(self, x):
        if self.act:
            x = F.relu(x)
        return self.bn(self.conv(x))


class Factored(nn.Module):
    """ReLU, 1xk conv (strided along the width), kx1 conv (along the height), BN."""

    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.k = k
        setattr(self, f"conv_1x{k}", Conv(cin, cout, 1, k, (1, stride)))
        setattr(self, f"conv_{k}x1", Conv(cout, cout, k, 1, (stride, 1)))
        self.bn = bn(cout)

    def forward(self, x):
        x = getattr(self, f"conv_1x{self.k}")(F.relu(x))
        return self.bn(getattr(self, f"conv_{self.k}x1")(x))


class SepConv(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.depthwise_conv2d = Conv(cin, cin, k, k, (stride, stride), groups=cin)
        self.pointwise_conv2d = Conv(cin, cout, 1, 1)

    def forward(self, x):
        return self.pointwise_conv2d(self.depthwise_conv2d(x))


class Separable(nn.Module):
    """slim's _stacked_separable_conv with 2 layers; timm's BranchSeparables."""

    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.separable_1 = SepConv(cin, cout, k, stride)
        self.bn_sep_1 = bn(cout)
        self.separable_2 = SepConv(cout, cout, k, 1)
        self.bn_sep_2 = bn(cout)

    def forward(self, x):
        x = self.bn_sep_1(self.separable_1(F.relu(x)))
        return self.bn_sep_2(self.separable_2(F.relu(x)))


class Pool(nn.Module):
    def __init__(self, kind, k, stride, cin, cout):
        super().__init__()
        self.kind, self.k, self.stride = kind, k, stride
        if cin != cout:  # slim: 1x1 conv and BN after the pool, no ReLU
            self.conv = Conv(cin, cout, 1, 1)
            self.bn = bn(cout)

    def forward(self, x):
        k, s = self.k, self.stride
        pad = same_pad(x.shape[2], x.shape[3], k, k, s, s)
        if self.kind == "max":
            x = F.max_pool2d(F.pad(x, pad, value=-math.inf), k, s)
        else:
            total = F.avg_pool2d(F.pad(x, pad), k, s) * (k * k)
            ones = torch.ones(1, 1, x.shape[2], x.shape[3], dtype=x.dtype)
            count = F.avg_pool2d(F.pad(ones, pad), k, s) * (k * k)
            x = total / count
        if hasattr(self, "conv"):
            x = self.bn(self.conv(x))
        return x


OPS = {
    # name: (kind, k, dilation)
    "identity": ("identity", 1, 1),
    "conv_1x3_3x1": ("factored", 3, 1),
    "conv_1x7_7x1": ("factored", 7, 1),
    "dil_conv_3x3": ("conv", 3, 2),
    "avg_pool_3x3": ("avg", 3, 1),
    "max_pool_3x3": ("max", 3, 1),
    "max_pool_5x5": ("max", 5, 1),
    "max_pool_7x7": ("max", 7, 1),
    "conv_1x1": ("conv", 1, 1),
    "conv_3x3": ("conv", 3, 1),
    "sep_conv_3x3": ("sep", 3, 1),
    "sep_conv_5x5": ("sep", 5, 1),
    "sep_conv_7x7": ("sep", 7, 1),
}


def make_op(name, cin, cout, stride):
    """slim's _apply_conv_operations; None for a plain identity."""
    kind, k, dil = OPS[name]
    if kind == "identity":
        if stride == 1 and cin == cout:
            return None
        return ActConvBn(True, cin, cout, 1, stride)
    if kind == "factored":
        return Factored(cin, cout, k, stride)
    if kind == "conv":
        return ActConvBn(True, cin, cout, k, stride, dil)
    if kind in ("avg", "max"):
        return Pool(kind, k, stride, cin, cout)
    return Separable(cin, cout, k, stride)


class FactorizedReduction(nn.Module):
    """slim's factorized_reduction; ReLU in front when it adjusts h_{i-1}."""

    def __init__(self, act, cin, cout, stride):
        super().__init__()
        self.act, self.stride = act, stride
        if stride == 1:
            self.conv = Conv(cin, cout, 1, 1)
            self.bn = bn(cout)
            return
        self.path_1 = nn.Module()
        self.path_1.conv = Conv(cin, cout // 2, 1, 1)
        self.path_2 = nn.Module()
        self.path_2.conv = Conv(cin, cout // 2 + cout % 2, 1, 1)
        self.final_path_bn = bn(cout)

    def forward(self, x):
        if self.act:
            x = F.relu(x)
        if self.stride == 1:
            return self.bn(self.conv(x))
        p1 = x[:, :, ::2, ::2]
        p2 = F.pad(x, (0, 1, 0, 1))[:, :, 1::2, 1::2]
        return self.final_path_bn(torch.cat([self.path_1.conv(p1), self.path_2.conv(p2)], 1))


class Cell(nn.Module):
    def __init__(self, cell, stride, filters, cur, prev):
        """cur, prev: (channels, height, width) of h_i and h_{i-1}; prev None for none."""
        super().__init__()
        self.cell, self.stride = cell, stride
        self.conv_1x1 = ActConvBn(True, cur[0], filters, 1)
        self.adjust = None
        states = [(filters, cur[1], cur[2])]
        if prev is None:
            states.append(cur)
        elif prev[1:] != cur[1:]:
            assert (-(-prev[1] // 2), -(-prev[2] // 2)) == cur[1:]
            # timm's names: path_1, path_2, final_path_bn directly in the cell.
            fr = FactorizedReduction(True, prev[0], filters, 2)
            self.path_1, self.path_2, self.final_path_bn = fr.path_1, fr.path_2, fr.final_path_bn
            object.__setattr__(self, "factorized", fr)
            self.adjust = "factorized"
            states.append((filters, cur[1], cur[2]))
        elif prev[0] != filters:
            self.conv_prev_1x1 = ActConvBn(True, prev[0], filters, 1)
            self.adjust = "conv"
            states.append((filters, cur[1], cur[2]))
        else:
            states.append(prev)
        out = (filters, -(-cur[1] // stride), -(-cur[2] // stride))
        self.ops = []
        for k, blk in enumerate(cell["blocks"]):
            row = []
            for side, br in zip(("left", "right"), blk):
                s = stride if br["in"] < 2 else 1
                op = make_op(br["op"], states[br["in"]][0], filters, s)
                if op is not None:
                    setattr(self, f"comb_iter_{k}_{side}", op)
                row.append(op)
            self.ops.append(row)
            states.append(out)
        self.concat_ops = []
        for s in cell["concat"]:
            st = states[s]
            op = None
            if st[1:] != out[1:]:
                op = FactorizedReduction(False, st[0], filters, 2)
            elif st[0] != filters:
                op = FactorizedReduction(False, st[0], filters, 1)
            if op is not None:
                setattr(self, f"reduction_{s}", op)
            self.concat_ops.append(op)
        self.out_shape = (len(cell["concat"]) * filters, out[1], out[2])

    def forward(self, cur, prev):
        if prev is None:
            prev = cur
        elif self.adjust == "factorized":
            prev = self.factorized(prev)
        elif self.adjust == "conv":
            prev = self.conv_prev_1x1(prev)
        states = [self.conv_1x1(cur), prev]
        for blk, row in zip(self.cell["blocks"], self.ops):
            hs = []
            for br, op in zip(blk, row):
                h = states[br["in"]]
                hs.append(h if op is None else op(h))
            states.append(hs[0] + hs[1])
        outs = []
        for s, op in zip(self.cell["concat"], self.concat_ops):
            outs.append(states[s] if op is None else op(states[s]))
        return torch.cat(outs, 1)


class NASNet(nn.Module):
    """slim's _build_nasnet_base with the ImageNet or CIFAR stem."""

    def __init__(self, case):
        super().__init__()
        filters = case["f"] // 24
        img, normal, reduction = case["img"], case["normal"], case["reduction"]
        if case["stem"] == "imagenet":
            c = int(32 * case["stem_mult"])
            self.conv0 = ActConvBn(False, case["in_chans"], c, 3, 2, valid=True)
            h = (img - 3) // 2 + 1
        else:
            c = int(filters * case["stem_mult"])
            self.conv0 = ActConvBn(False, case["in_chans"], c, 3, 1)
            h = img
        outputs = [None, (c, h, h)]
        self.plan = []

        def add(name, cell, stride, f, cur, prev):
            m = Cell(cell, stride, f, outputs[cur], outputs[prev] if prev > 0 else None)
            setattr(self, name, m)
            self.plan.append((name, cur, prev))
            outputs.append(m.out_shape)

        if case["stem"] == "imagenet":
            for i, scale in enumerate((0.25, 0.5)):
                add(f"cell_stem_{i}", reduction, 2, int(filters * scale), len(outputs) - 1, len(outputs) - 2)
        num_cells = 3 * case["n"]
        reductions = [int(i / 3 * num_cells) for i in (1, 2)]
        scale = 1
        for cell_num in range(num_cells):
            prev = len(outputs) - 2
            if cell_num in reductions:
                scale *= 2
                add(f"reduction_cell_{reductions.index(cell_num)}", reduction, 2, filters * scale,
                    len(outputs) - 1, len(outputs) - 2)
            if not case["skip_reduction_input"]:
                prev = len(outputs) - 2
            add(f"cell_{cell_num}", normal, 1, filters * scale, len(outputs) - 1, prev)
        self.last_linear = nn.Linear(outputs[-1][0], case["classes"])

    def forward(self, x):
        outs = [None, self.conv0(x)]
        for name, cur, prev in self.plan:
            outs.append(getattr(self, name)(outs[cur], outs[prev]))
        x = F.relu(outs[-1]).mean((2, 3))
        return self.last_linear(x)


def b64(t):
    a = np.ascontiguousarray(t.detach().numpy().astype("<f4"))
    return {"shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}


def main():
    torch.manual_seed(0)
    with open(os.path.join(HERE, "cells.json")) as f:
        cases = json.load(f)
    out = []
    for case in cases:
        model = NASNet(case)
        x = torch.randn(case["batch"], case["in_chans"], case["img"], case["img"])
        # Non-trivial BN affine parameters, then running statistics set to the
        # statistics of this input (momentum 1), so that eval-mode activations
        # stay of order one through the depth and every layer matters.
        bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        with torch.no_grad():
            for m in bns:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
                m.momentum = 1.0
            model.train()
            model(x)
            for m in bns:
                m.running_mean.add_(torch.randn_like(m.running_mean) * 0.05)
                m.running_var.mul_(torch.empty_like(m.running_var).uniform_(0.8, 1.25))
                m.momentum = 0.1
        state = {k: b64(v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        with torch.no_grad():
            model.eval()
            logits_eval = model(x)
            model.train()
            logits_train = model(x)
        print(f"{case['name']}: {sum(p.numel() for p in model.parameters())} params, "
              f"eval logits std {logits_eval.std():.3g}, train logits std {logits_train.std():.3g}")
        out.append({"name": case["name"], "input": b64(x), "state": state,
                    "logits_eval": b64(logits_eval), "logits_train": b64(logits_train)})
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
