#!/usr/bin/python3
"""Writes counts.json: the parameter count of every full-size Swin variant,
taken from torchvision's SwinTransformer (Debian's python3-torchvision).

torchvision's Swin v1 has the same parameters as timm's (other names): the
conv patch embedding and its LayerNorm, per block two LayerNorms, qkv and
proj with biases, a (2M-1)^2 x heads relative position bias table (its index
is a buffer, not a parameter), the MLP, PatchMerging's LayerNorm(4C) and
bias-free reduction, the final LayerNorm and the head. swin_t/s/b are
torchvision's own constructors; Swin-L and the window-12 models are the same
class with the rows of timm's constructors. At 224 with M = 7 and at 384
with M = 12 the last stage's grid equals the window, so timm's shrinking of
the window to the grid changes nothing and the tables have equal sizes.

Each count is checked against timm's param_count (millions, two decimals)
in ../../published.csv, or, for swin_large_patch4_window7_224 which has no
row there, against the 196.53 M quoted in the source column of the
swin_large_patch4_window12_384 row.

Run from this directory: /usr/bin/python3 gen_counts.py
"""
import csv
import json
import os

import torchvision
from torchvision.models.swin_transformer import SwinTransformer

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (torchvision constructor or None, embed_dim, depths, heads, window)
MODELS = {
    "swin_tiny_patch4_window7_224": (torchvision.models.swin_t, 96, [2, 2, 6, 2], [3, 6, 12, 24], 7),
    "swin_small_patch4_window7_224": (torchvision.models.swin_s, 96, [2, 2, 18, 2], [3, 6, 12, 24], 7),
    "swin_base_patch4_window7_224": (torchvision.models.swin_b, 128, [2, 2, 18, 2], [4, 8, 16, 32], 7),
    "swin_base_patch4_window12_384": (None, 128, [2, 2, 18, 2], [4, 8, 16, 32], 12),
    "swin_large_patch4_window7_224": (None, 192, [2, 2, 18, 2], [6, 12, 24, 48], 7),
    "swin_large_patch4_window12_384": (None, 192, [2, 2, 18, 2], [6, 12, 24, 48], 12),
}


def count(model):
    return sum(p.numel() for p in model.parameters())


def main():
    published = {}
    with open(os.path.join(HERE, "..", "..", "published.csv")) as f:
        for row in csv.DictReader(f):
            if row["params_m_timm"]:
                published[row["name"]] = float(row["params_m_timm"])
    published.setdefault("swin_large_patch4_window7_224", 196.53)

    out = {}
    for name, (ctor, dim, depths, heads, win) in MODELS.items():
        cls = SwinTransformer(patch_size=[4, 4], embed_dim=dim, depths=depths, num_heads=heads,
                              window_size=[win, win], num_classes=1000)
        n = count(cls)
        if ctor is not None:
            n2 = count(ctor())
            assert n == n2, (name, n, n2)
        assert round(n / 1e6, 2) == published[name], (name, n, published[name])
        out[name] = n
        print(f"{name:34s} {n:>11d}  timm {published[name]:.2f} M")
    tmp = os.path.join(HERE, "counts.json.tmp")
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(HERE, "counts.json"))


if __name__ == "__main__":
    main()
