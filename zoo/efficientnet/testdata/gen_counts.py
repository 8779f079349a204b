"""Exact parameter counts, parameter names and shapes (mapped to timm's
names by tvnames.py), conv+linear MACs and batch-norm output sizes of
torchvision's EfficientNet-B0..B7 and EfficientNetV2-S/M/L, whose layouts
and parameter counts equal timm's (tf_)efficientnet_b0..b7 and
tf_efficientnetv2_s/m/l (timm's published counts: 5.29, 7.79, 9.11, 12.23,
19.34, 30.39, 43.04, 66.35, 21.46, 54.14, 118.52 M). Counted with module
hooks on one forward pass at each model's native resolution; the "same"
padding of the tf_ ports gives the same output sizes as torchvision's
symmetric padding. Writes counts.json.

    /usr/bin/python3 zoo/efficientnet/testdata/gen_counts.py
"""
import json
import os
import sys

import torch
import torchvision

sys.dont_write_bytecode = True  # no __pycache__ in testdata
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tvnames import timm_names  # noqa: E402

MODELS = {  # our name: (torchvision name, resolution)
    "efficientnet_b0": ("efficientnet_b0", 224),
    "tf_efficientnetv2_s": ("efficientnet_v2_s", 384),
    "tf_efficientnetv2_m": ("efficientnet_v2_m", 480),
    "tf_efficientnetv2_l": ("efficientnet_v2_l", 480),
}
for k, res in enumerate([224, 240, 260, 300, 380, 456, 528, 600]):
    MODELS["tf_efficientnet_b%d" % k] = ("efficientnet_b%d" % k, res)

out = {}
for name, (tv, res) in sorted(MODELS.items()):
    m = getattr(torchvision.models, tv)(weights=None).eval()
    c = {"macs": 0, "bn": 0}

    def hook(mod, inp, outp):
        if isinstance(mod, torch.nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
            c["macs"] += outp.numel() * k
        elif isinstance(mod, torch.nn.Linear):
            c["macs"] += outp.numel() * mod.in_features
        elif isinstance(mod, torch.nn.BatchNorm2d):
            c["bn"] += outp.numel()

    for mod in m.modules():
        mod.register_forward_hook(hook)
    with torch.no_grad():
        m(torch.zeros(1, 3, res, res))
    mp = timm_names(m)
    out[name] = {
        "torchvision": tv,
        "img_size": res,
        "params": sum(p.numel() for p in m.parameters()),
        "macs": c["macs"],
        "bn_elements": c["bn"],
        "params_timm": sorted("%s %s" % (mp[n], "x".join(map(str, p.shape))) for n, p in m.named_parameters()),
    }
    print(name, out[name]["params"], out[name]["macs"])
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "counts.json")
with open(path + ".tmp", "w") as f:
    json.dump({"generator": "zoo/efficientnet/testdata/gen_counts.py", "torchvision": torchvision.__version__,
               "models": out}, f, indent=0)
os.replace(path + ".tmp", path)
print("wrote", path)
