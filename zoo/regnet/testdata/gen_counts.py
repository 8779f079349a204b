"""Exact parameter counts, timm parameter names and conv+linear MACs of the
RegNetY variants, counted on torchvision's RegNet class (module hooks on a
forward pass at 224x224). Writes counts.json.

Stages. timm (timm/models/regnet.py) and pycls generate a RegNet's stages
from (d, w0, wa, wm, g) and then round each stage width to a multiple of
its group width with quantize_float, int(round(w / g) * g), Python's round
(halves to even). torchvision's BlockParams.from_init_params does the same
except for that last rounding, which is _make_divisible (never more than
10% down): for regnety_008, regnety_040 and regnety_080 it widens stages
(e.g. RegNetY-8GF stage 1: 168 -> 224), and torchvision's regnet_y_800mf
(6,432,512 params) and regnet_y_8gf (39,381,472) are not timm's
regnety_008 (6.26 M) and regnety_080 (39.18 M). So this script generates
the stages as pycls does (pycls_params below, Python, independent of the Go
code) and builds torchvision's RegNet class from those BlockParams. Where
both roundings agree (regnety_002, 004, 016, 032, 160, 320) it asserts that
the count equals torchvision's own builder (regnet_y_400mf, 1_6gf, 3_2gf,
16gf, 32gf; from_init_params for regnety_002, which torchvision lacks), and
where they differ that it does not. Every count is also held to timm's
param_count as timm's results tables print it (millions, two decimals;
published.csv has regnety_160's 83.59).

torchvision's module names are mapped to timm's (stem.0 -> stem.conv,
trunk_output.block2.block2-0.f.a.0 -> s2.b1.conv1.conv, proj ->
downsample, fc -> head.fc) so that the test also checks our names.

    /usr/bin/python3 zoo/regnet/testdata/gen_counts.py
"""
import json
import math
import os
import re

import numpy as np
import torch
import torchvision
from torchvision.models import regnet as tvr

# timm name: (d, w0, wa, wm, g), torchvision builder with the same
# parameters or None, timm's published param_count in millions.
MODELS = {
    "regnety_002": ((13, 24, 36.44, 2.49, 8), None, 3.16),
    "regnety_004": ((16, 48, 27.89, 2.09, 8), "regnet_y_400mf", 4.34),
    "regnety_008": ((14, 56, 38.84, 2.4, 16), "regnet_y_800mf", 6.26),
    "regnety_016": ((27, 48, 20.71, 2.65, 24), "regnet_y_1_6gf", 11.20),
    "regnety_032": ((21, 80, 42.63, 2.66, 24), "regnet_y_3_2gf", 19.44),
    "regnety_040": ((22, 96, 31.41, 2.24, 64), None, 20.65),
    "regnety_080": ((17, 192, 76.82, 2.19, 56), "regnet_y_8gf", 39.18),
    "regnety_160": ((18, 200, 106.23, 2.48, 112), "regnet_y_16gf", 83.59),
    "regnety_320": ((20, 232, 115.89, 2.53, 232), "regnet_y_32gf", 145.05),
}

BLOCK = re.compile(r"^trunk_output\.block(\d+)\.block\d+-(\d+)\.(.*)$")
PART = {"f.a.0": "conv1.conv", "f.a.1": "conv1.bn", "f.b.0": "conv2.conv", "f.b.1": "conv2.bn",
        "f.se.fc1": "se.fc1", "f.se.fc2": "se.fc2", "f.c.0": "conv3.conv", "f.c.1": "conv3.bn",
        "proj.0": "downsample.conv", "proj.1": "downsample.bn"}


def timm_name(n):
    m = BLOCK.match(n)
    if m:
        mod, leaf = m.group(3).rsplit(".", 1)
        return "s%s.b%d.%s.%s" % (m.group(1), int(m.group(2)) + 1, PART[mod], leaf)
    for a, b in (("stem.0.", "stem.conv."), ("stem.1.", "stem.bn."), ("fc.", "head.fc.")):
        if n.startswith(a):
            return b + n[len(a):]
    raise ValueError("unmapped torchvision name " + n)


def pycls_params(d, w0, wa, wm, g):
    """Stages as pycls/timm generate them (b = 1)."""
    u = np.arange(d) * wa + w0
    s = np.round(np.log(u / w0) / np.log(wm))
    w = (np.round(w0 * np.power(wm, s) / 8) * 8).astype(int)
    widths, depths = np.unique(w, return_counts=True)
    gs = [min(g, int(x)) for x in widths]
    widths = [int(round(int(x) / gg) * gg) for x, gg in zip(widths, gs)]
    n = len(widths)
    return tvr.BlockParams([int(x) for x in depths], widths, gs, [1.0] * n, [2] * n, se_ratio=0.25)


def count_macs(m):
    macs = [0]

    def hook(mod, inp, outp):
        if isinstance(mod, torch.nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
            macs[0] += outp.numel() * k
        elif isinstance(mod, torch.nn.Linear):
            macs[0] += outp.numel() * mod.in_features

    for mod in m.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
            mod.register_forward_hook(hook)
    with torch.no_grad():
        m.eval()(torch.zeros(1, 3, 224, 224))
    return macs[0]


def nparams(m):
    return sum(p.numel() for p in m.parameters())


out = {}
for name, ((d, w0, wa, wm, g), tv, timm_m) in MODELS.items():
    bp = pycls_params(d, w0, wa, wm, g)
    m = tvr.RegNet(bp)
    n = nparams(m)
    assert math.isclose(round(n / 1e6, 2), timm_m), (name, n, timm_m)
    tvb = tvr.BlockParams.from_init_params(d, w0, wa, wm, g, se_ratio=0.25)
    tv_n = nparams(getattr(torchvision.models, tv)(weights=None)) if tv else nparams(tvr.RegNet(tvb))
    same = tvb.widths == bp.widths
    assert (tv_n == n) == same, (name, tv_n, n)
    out[name] = {
        "params": n,
        "macs": count_macs(m),
        "widths": bp.widths,
        "depths": bp.depths,
        "group_widths": bp.group_widths,
        "torchvision": tv or "RegNet(BlockParams.from_init_params(...))",
        "torchvision_params": tv_n,
        "names": sorted(timm_name(k) for k, _ in m.named_parameters()),
    }
    print(name, n, out[name]["macs"], bp.widths, bp.depths, "torchvision", tv_n)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "counts.json")
with open(path, "w") as f:
    json.dump({"generator": "zoo/regnet/testdata/gen_counts.py", "torchvision": torchvision.__version__,
               "models": out}, f, indent=1)
print("wrote", path)
