"""Golden logits for two small RegNetY networks built with torchvision's
RegNet class (its blocks, SE and stem are PyTorch's own), exported under
timm's parameter names:

  golden_regnety_r28: the regnety_r28 twin (d=10, w0=24, wa=16, wm=2, g=8;
      1x28x28 input, stride-1 stem, 10 classes);
  golden_stem2: a smaller point (d=6, w0=24, wa=16, wm=2, g=8) with the
      paper's stride-2 stem on a 3x32x32 input.

The stages come from torchvision's generator, BlockParams.from_init_params
(whose rounding agrees with pycls's for these widths). Weights, biases and
batch-norm statistics are randomised so that eval-mode normalisation, the
SE biases and the classifier bias are all exercised. Each case writes
<case>.json (design parameters, stages, tensor names and shapes, input,
logits) and <case>.bin (float32 tensors, little-endian, in that order).

    /usr/bin/python3 zoo/regnet/testdata/gen_golden.py
"""
import json
import os
import re

import torch
from torch import nn
from torchvision.models import regnet as tvr
from torchvision.ops.misc import Conv2dNormActivation

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


def case(name, design, stem_stride, in_ch, size, seed, here):
    torch.manual_seed(seed)
    bp = tvr.BlockParams.from_init_params(se_ratio=0.25, **design)

    def stem(width_in, width_out, norm_layer, activation_layer):
        return Conv2dNormActivation(in_ch, width_out, kernel_size=3, stride=stem_stride,
                                    norm_layer=norm_layer, activation_layer=activation_layer)

    m = tvr.RegNet(bp, num_classes=10, stem_type=stem)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
        m.fc.weight.normal_(0, 0.1)
        m.fc.bias.uniform_(-0.1, 0.1)
    m.eval()
    x = torch.randn(2, in_ch, size, size)
    with torch.no_grad():
        y = m(x)
        y2 = m(torch.randn(2, in_ch, size, size))
    assert (y - y2).abs().max() > 1e-2 * y.abs().max(), "logits do not depend on the input"
    sd = [(timm_name(n), t) for n, t in m.state_dict().items() if not n.endswith("num_batches_tracked")]
    with open(os.path.join(here, name + ".bin"), "wb") as f:
        for _, t in sd:
            f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())
    d = dict(design)
    with open(os.path.join(here, name + ".json"), "w") as f:
        json.dump({"generator": "zoo/regnet/testdata/gen_golden.py",
                   "design": {"depth": d["depth"], "w0": d["w_0"], "wa": d["w_a"], "wm": d["w_m"],
                              "group_width": d["group_width"], "stem_stride": stem_stride,
                              "in_chans": in_ch, "img_size": size},
                   "stages": {"widths": bp.widths, "depths": bp.depths, "group_widths": bp.group_widths},
                   "tensors": [{"name": n, "shape": list(t.shape)} for n, t in sd],
                   "input": {"shape": list(x.shape), "data": x.reshape(-1).tolist()},
                   "logits": {"shape": list(y.shape), "data": y.reshape(-1).tolist()}}, f)
    print("wrote", name, bp.widths, bp.depths, sum(t.numel() for _, t in sd), "values")


here = os.path.dirname(os.path.abspath(__file__))
case("golden_regnety_r28", dict(depth=10, w_0=24, w_a=16, w_m=2.0, group_width=8), 1, 1, 28, 0, here)
case("golden_stem2", dict(depth=6, w_0=24, w_a=16, w_m=2.0, group_width=8), 2, 3, 32, 1, here)
