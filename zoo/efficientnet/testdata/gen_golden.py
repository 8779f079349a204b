"""Golden logits for the twins efficientnet_b0_r32 and efficientnetv2_s_r32,
built with torchvision's own EfficientNet class (MBConv, FusedMBConv, SE,
SiLU) from the twins' stage tables (B0Twin, V2Twin in efficientnet.go), with
PyTorch's BatchNorm (eps 1e-5) as the twins use. Weights are exported under
timm's names (tvnames.py). Writes golden_<name>.json (names, shapes, input,
logits) and golden_<name>.bin (float32 little-endian tensors in the order of
the json: parameters and BN running statistics).

    /usr/bin/python3 zoo/efficientnet/testdata/gen_golden.py
"""
import json
import os
import sys

import torch
from torch import nn
from torchvision.models.efficientnet import EfficientNet, FusedMBConvConfig, MBConvConfig

here = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in testdata
sys.path.insert(0, here)
from tvnames import timm_names  # noqa: E402

# (expand, kernel, stride, in, out, layers): B0Twin with the 32-channel stem.
B0_TWIN = [MBConvConfig(1, 3, 1, 32, 16, 1), MBConvConfig(6, 3, 2, 16, 24, 2),
           MBConvConfig(6, 5, 2, 24, 40, 2), MBConvConfig(6, 3, 1, 40, 80, 2)]
# V2Twin with the 16-channel stem.
V2_TWIN = [FusedMBConvConfig(1, 3, 1, 16, 16, 1), FusedMBConvConfig(4, 3, 2, 16, 32, 2),
           MBConvConfig(4, 3, 2, 32, 64, 2), MBConvConfig(6, 3, 1, 64, 96, 2)]

for seed, (name, setting, head) in enumerate([("efficientnet_b0_r32", B0_TWIN, 320),
                                              ("efficientnetv2_s_r32", V2_TWIN, 640)]):
    torch.manual_seed(seed)
    m = EfficientNet(setting, dropout=0.2, num_classes=10, norm_layer=nn.BatchNorm2d, last_channel=head)
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
    m.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        y = m(x)
    assert (y[0] - y[1]).abs().max() > 0.1 * y.abs().max(), "logits do not depend on the input"
    mp = timm_names(m)
    tensors = [(mp[n], t) for n, t in m.state_dict().items() if not n.endswith("num_batches_tracked")]
    base = os.path.join(here, "golden_" + name)
    with open(base + ".bin", "wb") as f:
        for _, t in tensors:
            f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())
    with open(base + ".json", "w") as f:
        json.dump({"generator": "zoo/efficientnet/testdata/gen_golden.py", "model": name,
                   "tensors": [{"name": n, "shape": list(t.shape)} for n, t in tensors],
                   "input": {"shape": list(x.shape), "data": x.reshape(-1).tolist()},
                   "logits": {"shape": list(y.shape), "data": y.reshape(-1).tolist()}}, f)
    print("wrote", base + ".{json,bin}:", len(tensors), "tensors,", sum(p.numel() for p in m.parameters()), "params")
