"""Exact parameter counts and conv+linear MACs of torchvision's ResNets
(whose layouts and counts equal timm's resnet18/34/50), counted with module
hooks on a forward pass at 224x224. Writes counts.json.

    /usr/bin/python3 zoo/resnet/testdata/gen_counts.py
"""
import json
import os

import torch
import torchvision

out = {}
for name in ["resnet18", "resnet34", "resnet50"]:
    m = getattr(torchvision.models, name)(weights=None).eval()
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
        m(torch.zeros(1, 3, 224, 224))
    out[name] = {
        "params": sum(p.numel() for p in m.parameters()),
        "macs": macs[0],
        "names": sorted(n for n, _ in m.named_parameters()),
    }
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "counts.json")
with open(path, "w") as f:
    json.dump({"generator": "zoo/resnet/testdata/gen_counts.py", "torchvision": torchvision.__version__, "models": out}, f, indent=1)
print("wrote", path)
