"""Exact parameter counts, parameter names and shapes (in timm's names),
conv+linear MACs and batch-norm output sizes of MobileNetV3 Large/Small at
widths 1.0 and 0.75 at 224x224, counted with module hooks on torchvision's
MobileNetV3 class built with timm's widths (tables.py). At width 1.0 the
configuration is checked to give exactly torchvision's own
mobilenet_v3_large/small (whose counts equal timm's 5.48M/2.54M); at 0.75 it
gives timm's published 3.99M/2.04M. Writes counts.json.

    /usr/bin/python3 zoo/mobilenetv3/testdata/gen_counts.py
"""
import json
import os
import sys

import torch
import torchvision

here = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in testdata
sys.path.insert(0, here)
from tables import LARGE, SMALL, build, timm_names, timm_shape  # noqa: E402

MODELS = {  # our name: (table, head, width, torchvision's own model at width 1)
    "mobilenetv3_large_100": (LARGE, 1280, 1.0, "mobilenet_v3_large"),
    "mobilenetv3_large_075": (LARGE, 1280, 0.75, None),
    "mobilenetv3_small_100": (SMALL, 1024, 1.0, "mobilenet_v3_small"),
    "mobilenetv3_small_075": (SMALL, 1024, 0.75, None),
}

shapes = lambda m: [(n, tuple(t.shape)) for n, t in m.state_dict().items()]
out = {}
for name, (table, head, width, tv) in MODELS.items():
    m, stages = build(table, head, width)
    m.eval()
    if tv is not None:
        own = getattr(torchvision.models, tv)(weights=None)
        assert shapes(own) == shapes(m), name + ": config differs from torchvision's own model"
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
        m(torch.zeros(1, 3, 224, 224))
    mp = timm_names(m, stages)
    out[name] = {
        "width": width,
        "params": sum(p.numel() for p in m.parameters()),
        "macs": c["macs"],
        "bn_elements": c["bn"],
        "params_timm": sorted("%s %s" % (mp[n], "x".join(map(str, timm_shape(mp[n], p))))
                              for n, p in m.named_parameters()),
    }
    print(name, out[name]["params"], out[name]["macs"])
path = os.path.join(here, "counts.json")
with open(path + ".tmp", "w") as f:
    json.dump({"generator": "zoo/mobilenetv3/testdata/gen_counts.py", "torchvision": torchvision.__version__,
               "models": out}, f, indent=0)
os.replace(path + ".tmp", path)
print("wrote", path)
