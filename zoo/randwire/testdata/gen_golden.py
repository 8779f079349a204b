#!/usr/bin/python3
"""Golden logits for zoo/randwire: a minimal PyTorch RandWire built from saved graphs.

Run with Debian's Python (torch 1.13):  /usr/bin/python3 testdata/gen_golden.py
from zoo/randwire. It reads testdata/cases.json (written by the Go test from the
Go configs, graphs included: go test -run GoldenCases -update), builds each
network here in plain PyTorch from those graphs, following Sec. 3 and Table 1 of
arXiv:1904.01569, and writes testdata/golden.json: every parameter and
batch-norm buffer under the Go model's names, a seeded input, and the logits in
evaluation mode (running statistics) and in training mode (batch statistics).
Weights and statistics are rounded to float16 and stored so (little-endian,
base64, "dtype": "f16"); the logits are those of the rounded model, in float32.

The network:
  stem:      3x3 conv (stride stem_stride, padding 1, no bias) -> BN
  stage:     a 3x3 conv stage is ReLU -> 3x3 conv (stride, padding 1) -> BN;
             a random stage is a DAG (edges from lower to higher index). A node
             without predecessors takes ReLU(stage input) and convolves with
             stride 2 from the previous stage's channels; any other node takes
             ReLU(sum_i sigmoid(w_i) x_i) over its predecessors in index order
             (no w for a single input). Every node is separable 3x3 conv
             (depthwise, then pointwise, no biases) -> BN. The stage output is
             the plain mean of the nodes without successors.
  head:      ReLU -> 1x1 conv to `head` channels -> BN -> ReLU -> global mean -> fc
BN: eps 1e-5, momentum 0.1 (PyTorch defaults).
"""
import base64
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


class ConvBN(nn.Module):
    def __init__(self, relu, cin, cout, stride):
        super().__init__()
        self.relu = relu
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        if self.relu:
            x = F.relu(x)
        return self.bn(self.conv(x))


class SepConv(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class Node(nn.Module):
    def __init__(self, preds, cin, cout, stride):
        super().__init__()
        self.preds = preds
        if len(preds) > 1:
            self.weight = nn.Parameter(torch.ones(len(preds)))
        self.conv = SepConv(cin, cout, stride)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class GraphStage(nn.Module):
    def __init__(self, graph, cin, cout, stride):
        super().__init__()
        n = graph["nodes"]
        self.preds = [[] for _ in range(n)]
        has_succ = [False] * n
        for u, v in graph["edges"]:
            assert u < v
            self.preds[v].append(u)
            has_succ[u] = True
        self.preds = [sorted(p) for p in self.preds]
        self.outputs = [j for j in range(n) if not has_succ[j]]
        self.nodes = nn.ModuleList(
            Node(p, cin, cout, stride) if not p else Node(p, cout, cout, 1) for p in self.preds)

    def forward(self, x):
        x = F.relu(x)
        outs = []
        for node, preds in zip(self.nodes, self.preds):
            if not preds:
                agg = x
            elif len(preds) == 1:
                agg = F.relu(outs[preds[0]])
            else:
                w = torch.sigmoid(node.weight)
                agg = F.relu(sum(w[i] * outs[p] for i, p in enumerate(preds)))
            outs.append(node(agg))
        return torch.stack([outs[j] for j in self.outputs]).mean(0)


class Head(nn.Module):
    def __init__(self, cin, width):
        super().__init__()
        self.conv = nn.Conv2d(cin, width, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)


class RandWire(nn.Module):
    def __init__(self, cfg, in_chans, classes):
        super().__init__()
        self.stem = ConvBN(False, in_chans, cfg["stem_channels"], cfg["stem_stride"])
        cin = cfg["stem_channels"]
        stages = []
        for s in cfg["stages"]:
            if s.get("graph") is None:
                stages.append(ConvBN(True, cin, s["channels"], s["stride"]))
            else:
                assert s["stride"] == 2
                stages.append(GraphStage(s["graph"], cin, s["channels"], s["stride"]))
            cin = s["channels"]
        self.stages = nn.ModuleList(stages)
        self.head = Head(cin, cfg["head"])
        self.fc = nn.Linear(cfg["head"], classes)

    def forward(self, x):
        x = self.stem(x)
        for s in self.stages:
            x = s(x)
        x = F.relu(self.head.bn(self.head.conv(F.relu(x))))
        return self.fc(x.mean((2, 3)))


def b64(t, dtype="<f4"):
    a = np.ascontiguousarray(t.detach().numpy().astype(dtype))
    out = {"shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}
    if dtype != "<f4":
        out["dtype"] = "f16"
    return out


def main():
    torch.manual_seed(0)
    with open(os.path.join(HERE, "cases.json")) as f:
        cases = json.load(f)
    out = []
    for case in cases:
        model = RandWire(case["config"], case["in_chans"], case["classes"])
        x = torch.randn(case["batch"], case["in_chans"], case["img"], case["img"])
        with torch.no_grad():
            # Aggregation weights away from their initial 1, so that a
            # mix-up of the inputs' order shows.
            for name, p in model.named_parameters():
                if name.endswith(".weight") and p.dim() == 1 and ".nodes." in name and ".bn." not in name:
                    p.normal_(0, 1.5)
            # Non-trivial BN affine parameters, then running statistics set
            # to the statistics of this input (momentum 1), perturbed, so that
            # eval-mode activations stay of order one and every layer matters.
            bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
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
            # Round every weight and statistic to float16 (exactly, so the
            # logits below are those of the rounded model): the file stores
            # them as float16, half the size of the 1M-parameter twin.
            for v in model.state_dict().values():
                if v.is_floating_point():
                    v.copy_(v.half().float())
        state = {k: b64(v, "<f2") for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
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
