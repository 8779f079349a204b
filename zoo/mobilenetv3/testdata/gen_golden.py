"""Golden logits for the twin mobilenetv3_large_r32, built with
torchvision's MobileNetV3 class (InvertedResidual, SqueezeExcitation with
ReLU and Hardsigmoid, Hardswish, the efficient head) from the twin's table
(LargeTwin in mobilenetv3.go, tables.py here), with PyTorch's BatchNorm
(eps 1e-5) as timm's mobilenetv3 uses. Weights are exported under timm's
names. Writes golden_mobilenetv3_large_r32.json (names, shapes, input,
logits) and .bin (float32 little-endian tensors in the order of the json).

    /usr/bin/python3 zoo/mobilenetv3/testdata/gen_golden.py
"""
import json
import os
import sys

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in testdata
sys.path.insert(0, here)
from tables import LARGE_TWIN, build, timm_names, timm_shape  # noqa: E402

torch.manual_seed(0)
name = "mobilenetv3_large_r32"
m, stages = build(LARGE_TWIN, 1024, 1.0, num_classes=10, norm_layer=nn.BatchNorm2d)
# Non-trivial BN affine maps, and running statistics measured on a batch of
# noise (momentum None: their plain average), so that eval-mode activations
# stay normalised and the logits depend on the input.
for mod in m.modules():
    if isinstance(mod, nn.BatchNorm2d):
        mod.weight.data.uniform_(0.5, 1.5)
        mod.bias.data.uniform_(-0.2, 0.2)
        mod.momentum = None
m.train()
with torch.no_grad():
    m(torch.randn(16, 3, 32, 32))
for mod in m.modules():  # torchvision draws N(0, 0.01) linears: logits of 1e-3; make them O(1)
    if isinstance(mod, nn.Linear):
        nn.init.normal_(mod.weight, std=mod.in_features ** -0.5)
        nn.init.uniform_(mod.bias, -0.5, 0.5)
m.eval()
x = torch.randn(2, 3, 32, 32)
with torch.no_grad():
    y = m(x)
assert (y[0] - y[1]).abs().max() > 0.1 * y.abs().max(), "logits do not depend on the input"
mp = timm_names(m, stages)
tensors = [(mp[n], t) for n, t in m.state_dict().items() if not n.endswith("num_batches_tracked")]
base = os.path.join(here, "golden_" + name)
with open(base + ".bin", "wb") as f:
    for _, t in tensors:
        f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())
with open(base + ".json", "w") as f:
    json.dump({"generator": "zoo/mobilenetv3/testdata/gen_golden.py", "model": name,
               "tensors": [{"name": n, "shape": timm_shape(n, t)} for n, t in tensors],
               "input": {"shape": list(x.shape), "data": x.reshape(-1).tolist()},
               "logits": {"shape": list(y.shape), "data": y.reshape(-1).tolist()}}, f)
print("wrote", base + ".{json,bin}:", len(tensors), "tensors,", sum(p.numel() for p in m.parameters()), "params")
