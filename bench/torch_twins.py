"""PyTorch modules of the Go zoo's reduced-scale convnet and Swin twins, for
bench/torch_zoo.py's BenchmarkTrainStep (1x28x28 inputs, 10 classes), and
of its full-size NASNet-A and RandWire models, for BenchmarkForward.

Each constructor mirrors the Go twin's layers, activations, norms, SE
placement and padding (all symmetric k//2 except NASNet's TensorFlow SAME),
with drop-path and dropout off, as zoo.New(name, arch.Options{}) builds them
for bench/zoo_test.go; torch_zoo.py checks every parameter count against the
Go zoo's. Sources:

  efficientnet_b0_r28, efficientnetv2_s_r28   zoo/efficientnet (B0Twin, V2Twin)
  mobilenetv3_large_r28                       zoo/mobilenetv3 (LargeTwin)
  regnety_r28                                 zoo/regnet (Twin)
  swin_tiny_r28                               zoo/swin (twin): torchvision's
                                              SwinTransformerBlock, PatchMerging
  nasnet_mobile_r28, randwire_small_r28       the golden-checked PyTorch
      references zoo/nasnet/testdata/gen_golden.py and zoo/randwire/testdata/
      gen_golden.py, built from the Go-written cells.json (NASNet-A cells) and
      cases.json (the twin's exact random graphs); NASNet's convs and pools
      take PyTorch's built-in padding where SAME is symmetric (stride 1).

The same two references build torch_zoo.py's full-size nasnetamobile (from
cells.json's NASNet-A cells) and randwire_small_c78, randwire_regular_c109
and randwire_regular_c154 (from the Go models' graphs in
bench/testdata/randwire_graphs.json, see RANDWIRE_GRAPHS).

The EfficientNet-family builder below is zoo/efficientnet's Specs (depth and
width multipliers 1, as every twin has) with timm's blocks: DS (MBConv1),
MBConv (inverted residual), EdgeResidual (Fused-MBConv) and ConvBNAct, each
with a residual where stride is 1 and widths match; SE is
torchvision.ops.SqueezeExcitation (pool, 1x1 conv with bias, act, 1x1 conv
with bias, gate), conv-BN-act is torchvision.ops.Conv2dNormActivation.
"""
import importlib.util
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.swin_transformer import PatchMerging, SwinTransformerBlock
from torchvision.ops import Conv2dNormActivation, SqueezeExcitation
from torchvision.ops.misc import Permute

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- zoo/efficientnet: Specs and the blocks (TorchNorm: BN eps 1e-5, momentum 0.1).

DS, MBCONV, FUSED, CONVBNACT = "DS", "MBConv", "FusedMBConv", "ConvBNAct"


def make_divisible(v, divisor=8):
    """timm's make_divisible (zoo/efficientnet MakeDivisible)."""
    n = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return n + divisor if n < 0.9 * v else n


def conv_bn(cin, cout, k, stride=1, groups=1, act=None):
    return Conv2dNormActivation(cin, cout, k, stride, groups=groups, activation_layer=act)


class EffBlock(nn.Module):
    """One resolved block spec of zoo/efficientnet NewBlock."""

    def __init__(self, kind, cin, mid, cout, k, stride, se, act, se_act, se_gate, skip):
        super().__init__()
        self.skip = skip
        if kind == DS:
            layers = [conv_bn(cin, cin, k, stride, cin, act)]
            if se:
                layers.append(SqueezeExcitation(cin, se, se_act, se_gate))
            layers.append(conv_bn(cin, cout, 1))
        elif kind == MBCONV:
            layers = [conv_bn(cin, mid, 1, act=act), conv_bn(mid, mid, k, stride, mid, act)]
            if se:
                layers.append(SqueezeExcitation(mid, se, se_act, se_gate))
            layers.append(conv_bn(mid, cout, 1))
        elif kind == FUSED:
            layers = [conv_bn(cin, mid, k, stride, act=act)]
            if se:
                layers.append(SqueezeExcitation(mid, se, se_act, se_gate))
            layers.append(conv_bn(mid, cout, 1))
        else:  # ConvBNAct
            assert not se
            layers = [conv_bn(cin, cout, k, stride, act=act)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        y = self.body(x)
        return y + x if self.skip else y


def eff_trunk(rows, stem, in_chans, act, se_act=None, se_gate=nn.Sigmoid, se_from_exp=False):
    """zoo/efficientnet NewTrunk at width and depth 1: the 3x3 stride-2 stem
    and one block per repeat of each row. rows: (block, repeat, kernel,
    stride, expand, out, se ratio, act or None)."""
    layers = [conv_bn(in_chans, stem, 3, 2, act=act)]
    cin = stem
    for kind, repeat, k, stride, expand, out, se_ratio, row_act in rows:
        for j in range(repeat):
            s = stride if j == 0 else 1
            a = row_act or act
            typ = kind
            if kind in (DS, CONVBNACT):
                expand = 1
            elif kind == FUSED and expand == 1:
                typ = CONVBNACT  # Fused-MBConv1: one kxk conv with a skip
            mid = cin if typ in (DS, CONVBNACT) else make_divisible(cin * expand)
            skip = s == 1 and cin == out and (typ != CONVBNACT or kind == FUSED)
            se = 0
            if se_ratio:
                se = make_divisible(mid * se_ratio) if se_from_exp else round(mid * (se_ratio / expand))
            layers.append(EffBlock(typ, cin, mid, out, k, s, se, a, se_act or a, se_gate, skip))
            cin = out
    return nn.Sequential(*layers), cin


class EfficientNetTwin(nn.Module):
    """zoo/efficientnet Model: trunk, conv_head 1x1 + BN + SiLU, global average
    pool, classifier."""

    def __init__(self, rows, stem, head, in_chans=1, classes=10):
        super().__init__()
        self.trunk, c = eff_trunk(rows, stem, in_chans, nn.SiLU)
        self.head = conv_bn(c, head, 1, act=nn.SiLU)
        self.classifier = nn.Linear(head, classes)

    def forward(self, x):
        return self.classifier(self.head(self.trunk(x)).mean((2, 3)))


#            block  repeat k  s  expand out  se
B0_TWIN = [(DS, 1, 3, 1, 1, 16, 0.25, None),
           (MBCONV, 2, 3, 2, 6, 24, 0.25, None),
           (MBCONV, 2, 5, 2, 6, 40, 0.25, None),
           (MBCONV, 2, 3, 1, 6, 80, 0.25, None)]
V2_TWIN = [(FUSED, 1, 3, 1, 1, 16, 0, None),
           (FUSED, 2, 3, 2, 4, 32, 0, None),
           (MBCONV, 2, 3, 2, 4, 64, 0.25, None),
           (MBCONV, 2, 3, 1, 6, 96, 0.25, None)]


def efficientnet_b0_r28():
    return EfficientNetTwin(B0_TWIN, 32, 320)


def efficientnetv2_s_r28():
    return EfficientNetTwin(V2_TWIN, 16, 640)


# --- zoo/mobilenetv3 LargeTwin: the shared trunk with h-swish default, SE
# ReLU / h-sigmoid reduced to make_divisible(exp/4); after pooling a 1x1
# conv_head with bias (no BN), h-swish, classifier.

RE, HS = nn.ReLU, nn.Hardswish
#                 k  exp  out  SE    NL  s
LARGE_TWIN = [(3, 16, 16, False, RE, 1),
              (3, 64, 24, False, RE, 2),
              (3, 72, 24, False, RE, 1),
              (5, 72, 40, True, RE, 2),
              (5, 120, 40, True, RE, 1),
              (3, 240, 80, False, HS, 1),
              (3, 200, 80, False, HS, 1),
              (3, 480, 112, True, HS, 1)]


class MobileNetV3Twin(nn.Module):
    def __init__(self, in_chans=1, classes=10, stem=16, last=672, head=1024):
        super().__init__()
        rows, cin = [], stem
        for k, exp, out, se, act, s in LARGE_TWIN:
            kind = DS if exp == cin else MBCONV
            rows.append((kind, 1, k, s, exp / cin if kind == MBCONV else 1, out, 0.25 if se else 0, act))
            cin = out
        rows.append((CONVBNACT, 1, 1, 1, 1, last, 0, HS))
        self.trunk, c = eff_trunk(rows, stem, in_chans, HS, nn.ReLU, nn.Hardsigmoid, se_from_exp=True)
        self.conv_head = nn.Conv2d(c, head, 1)
        self.act = nn.Hardswish()
        self.classifier = nn.Linear(head, classes)

    def forward(self, x):
        x = self.trunk(x).mean((2, 3), keepdim=True)
        return self.classifier(self.act(self.conv_head(x)).flatten(1))


# --- zoo/regnet Twin: RegNetY d=10, w0=24, wa=16, wm=2, g=8, SE 0.25 of the
# block input, 32-channel stride-1 stem.

def regnet_stages(d, w0, wa, wm, g, q=8):
    """zoo/regnet Config.Stages (bottleneck ratio 1): [(width, depth, group width)]."""
    st = []
    for j in range(d):
        s = round(math.log((w0 + wa * j) / w0) / math.log(wm))
        w = round(w0 * wm ** s / q) * q
        if st and st[-1][0] == w:
            st[-1][1] += 1
        else:
            st.append([w, 1, g])
    for s in st:
        s[2] = min(s[2], s[0])
        s[0] = round(s[0] / s[2]) * s[2]
    return st


class RegNetBlock(nn.Module):
    """conv1 1x1, conv2 3x3 grouped (stride), SE, conv3 1x1, + shortcut, ReLU."""

    def __init__(self, cin, cout, stride, gw, se_ratio=0.25):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(cin, cout, 1, act=nn.ReLU),
            conv_bn(cout, cout, 3, stride, cout // gw, act=nn.ReLU),
            SqueezeExcitation(cout, round(cin * se_ratio)),
            conv_bn(cout, cout, 1))
        self.down = conv_bn(cin, cout, 1, stride) if cin != cout or stride != 1 else None

    def forward(self, x):
        return F.relu(self.body(x) + (x if self.down is None else self.down(x)))


class RegNetTwin(nn.Module):
    def __init__(self, in_chans=1, classes=10, stem=32):
        super().__init__()
        layers, cin = [conv_bn(in_chans, stem, 3, 1, act=nn.ReLU)], stem
        for w, depth, gw in regnet_stages(10, 24, 16, 2, 8):
            for j in range(depth):
                layers.append(RegNetBlock(cin, w, 2 if j == 0 else 1, gw))
                cin = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


# --- zoo/swin twin: patch 2 (14x14 tokens), C 32, depths 2-2, heads 2-4,
# window 7 (stage 0: 2x2 windows, block 1 shifted by 3; stage 1: 7x7 tokens,
# one window, no shift), MLP ratio 4, LayerNorm eps 1e-5.

class SwinTwin(nn.Module):
    def __init__(self, in_chans=1, classes=10, embed=32, patch=2, depths=(2, 2), heads=(2, 4), window=7):
        super().__init__()
        layers = [nn.Conv2d(in_chans, embed, patch, patch), Permute([0, 2, 3, 1]), nn.LayerNorm(embed)]
        dim = embed
        for i, (depth, h) in enumerate(zip(depths, heads)):
            if i > 0:
                layers.append(PatchMerging(dim))
                dim *= 2
            for j in range(depth):
                shift = window // 2 if j % 2 else 0
                layers.append(SwinTransformerBlock(dim, h, [window, window], [shift, shift]))
        self.features = nn.Sequential(*layers)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        return self.head(self.norm(self.features(x)).mean((1, 2)))


# --- NASNet and RandWire: the Go packages' golden-checked PyTorch references.

def _load(family):
    path = os.path.join(ROOT, "zoo", family, "testdata", "gen_golden.py")
    spec = importlib.util.spec_from_file_location(f"{family}_golden", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, os.path.dirname(path)


def _nasnet(**changes):
    """A NASNet of zoo/nasnet's reference with NASNet-A cells: cells.json's
    nasnet_mobile_r32 case (the Go-written NASNet-A cells) with changes to
    its settings. Convs and pools take PyTorch's built-in padding where
    TensorFlow's SAME is symmetric (stride 1, odd kernels): the same
    arithmetic without the F.pad copy."""
    gg, here = _load("nasnet")

    class Conv(gg.Conv):
        def forward(self, x):  # stride-1 SAME with odd kernels is symmetric
            kh, kw = self.weight.shape[2:]
            if self.stride == (1, 1) and kh % 2 and kw % 2 and not self.valid:
                pad = ((kh - 1) // 2 * self.dil, (kw - 1) // 2 * self.dil)
                return F.conv2d(x, self.weight, None, 1, pad, self.dil, self.groups)
            return super().forward(x)

    class Pool(gg.Pool):
        def forward(self, x):
            if self.stride != 1:
                return super().forward(x)
            k = self.k
            if self.kind == "max":
                x = F.max_pool2d(x, k, 1, k // 2)
            else:  # TensorFlow's SAME average excludes the padding
                x = F.avg_pool2d(x, k, 1, k // 2, count_include_pad=False)
            if hasattr(self, "conv"):
                x = self.bn(self.conv(x))
            return x

    gg.Conv, gg.Pool = Conv, Pool  # this private copy of the module only
    with open(os.path.join(here, "cells.json")) as f:
        case = next(c for c in json.load(f) if c["name"] == "nasnet_mobile_r32")
    return gg.NASNet(dict(case, **changes))


def nasnet_mobile_r28():
    """zoo/nasnet's nasnet_mobile_r28: N 2, F 168 (7 filters), CIFAR stem
    (x3), NASNet-A cells, on 28x28x1; its cells.json holds the _r32 twin,
    which differs only in F, image size and input channels."""
    return _nasnet(name="nasnet_mobile_r28", f=168, img=28, in_chans=1)


def nasnetamobile():
    """zoo/nasnet's nasnetamobile, NASNet-A Mobile 4 @ 1056 (slim's
    mobile_imagenet_config): N 4, F 1056 (44 filters), the ImageNet stem
    (conv0 3x3/2 VALID of 32 filters, two reduction cells of 11 and 22
    filters), stem multiplier 1, reduction inputs not skipped, 224x224x3,
    1000 classes."""
    return _nasnet(name="nasnetamobile", n=4, f=1056, stem="imagenet", stem_mult=1,
                   skip_reduction_input=False, img=224, in_chans=3, classes=1000)


def randwire_small_r28():
    """zoo/randwire's randwire_small_r28 with the graphs the Go model draws
    (WS(4, 0.75), N 16, seed 1), as the Go test saved them in cases.json."""
    gg, here = _load("randwire")
    with open(os.path.join(here, "cases.json")) as f:
        case = next(c for c in json.load(f) if c["name"] == "randwire_small_r28")
    return gg.RandWire(case["config"], case["in_chans"], case["classes"])


# The Go zoo's full-size RandWire graphs: randwire.SpecOf(name).Config() of
# each model, as json.Marshal writes them (the Config Go saves with a model),
# in bench/testdata/randwire_graphs.json. Regenerate it with a throwaway
# module outside the tree that imports zoo/randwire through a replace:
#
#   mkdir /tmp/rwdump && cd /tmp/rwdump && cp /work/main/go.sum .
#   printf 'module rwdump\n\ngo 1.26.0\n\nrequire github.com/reprise-ml/reprise v0.0.0\n\nreplace github.com/reprise-ml/reprise => /work/main\n' > go.mod
#   cat > main.go <<'EOF'
#   package main
#
#   import (
#   	"encoding/json"
#   	"os"
#
#   	"github.com/reprise-ml/reprise/zoo/randwire"
#   )
#
#   func main() {
#   	names := []string{"randwire_small_c78", "randwire_regular_c109", "randwire_regular_c154"}
#   	os.Stdout.WriteString("{\n")
#   	for i, name := range names {
#   		spec, _ := randwire.SpecOf(name)
#   		cfg, err := spec.Config()
#   		if err != nil {
#   			panic(err)
#   		}
#   		b, _ := json.Marshal(cfg)
#   		sep := ",\n"
#   		if i == len(names)-1 {
#   			sep = "\n"
#   		}
#   		os.Stdout.WriteString(`"` + name + `": ` + string(b) + sep)
#   	}
#   	os.Stdout.WriteString("}\n")
#   }
#   EOF
#   GOFLAGS=-mod=mod go run . > /work/main/bench/testdata/randwire_graphs.json
#
# The graphs are fixed by each Spec's seed; torch_zoo.py's parameter check
# would notice a changed node count, in-degree or set of input nodes, not a
# rewiring that keeps them.
RANDWIRE_GRAPHS = os.path.join(ROOT, "bench", "testdata", "randwire_graphs.json")


def randwire(name):
    """zoo/randwire's full-size model name (WS(4, 0.75), N 32, graph seed 1;
    224x224x3, 1000 classes) with the Go model's graphs."""
    gg, _ = _load("randwire")
    with open(RANDWIRE_GRAPHS) as f:
        cfg = json.load(f)[name]
    return gg.RandWire(cfg, 3, 1000)
