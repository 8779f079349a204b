"""MobileNetV3's tables (Tables 1 and 2 of arXiv:1905.02244, and the twin's,
as in mobilenetv3.go) turned into torchvision MobileNetV3 configurations with
timm's channel rounding, and torchvision's tensor names mapped to timm's.
Shared by gen_counts.py and gen_golden.py.

timm (_gen_mobilenet_v3) scales every width by the multiplier with
make_divisible(., 8) except the 1280/1024 head, expands a block's *scaled*
input by the ratio exp/input of the table, and reduces SE to
make_divisible(exp/4, 8). torchvision instead scales the table's exp sizes
and the head with the multiplier, so its width_mult=0.75 models are not
timm's (3.38M/1.65M parameters, not 3.99M/2.04M); built from the configs
below (width_mult=1.0, timm's widths given explicitly) its class gives
timm's models.
"""
from torchvision.models.mobilenetv3 import InvertedResidual, InvertedResidualConfig, MobileNetV3

# kernel, exp size, out, SE, NL, stride, timm stage; the last row is the 1x1
# conv before pooling (kernel, -, out, -, NL, -, stage).
LARGE = [
    (3, 16, 16, False, "RE", 1, 0),
    (3, 64, 24, False, "RE", 2, 1),
    (3, 72, 24, False, "RE", 1, 1),
    (5, 72, 40, True, "RE", 2, 2),
    (5, 120, 40, True, "RE", 1, 2),
    (5, 120, 40, True, "RE", 1, 2),
    (3, 240, 80, False, "HS", 2, 3),
    (3, 200, 80, False, "HS", 1, 3),
    (3, 184, 80, False, "HS", 1, 3),
    (3, 184, 80, False, "HS", 1, 3),
    (3, 480, 112, True, "HS", 1, 4),
    (3, 672, 112, True, "HS", 1, 4),
    (5, 672, 160, True, "HS", 2, 5),
    (5, 960, 160, True, "HS", 1, 5),
    (5, 960, 160, True, "HS", 1, 5),
    (1, 0, 960, False, "HS", 1, 6),
]
SMALL = [  # no SE on the last conv (TF reference and timm; the paper marks one)
    (3, 16, 16, True, "RE", 2, 0),
    (3, 72, 24, False, "RE", 2, 1),
    (3, 88, 24, False, "RE", 1, 1),
    (5, 96, 40, True, "HS", 2, 2),
    (5, 240, 40, True, "HS", 1, 2),
    (5, 240, 40, True, "HS", 1, 2),
    (5, 120, 48, True, "HS", 1, 3),
    (5, 144, 48, True, "HS", 1, 3),
    (5, 288, 96, True, "HS", 2, 4),
    (5, 576, 96, True, "HS", 1, 4),
    (5, 576, 96, True, "HS", 1, 4),
    (1, 0, 576, False, "HS", 1, 5),
]
LARGE_TWIN = [
    (3, 16, 16, False, "RE", 1, 0),
    (3, 64, 24, False, "RE", 2, 1),
    (3, 72, 24, False, "RE", 1, 1),
    (5, 72, 40, True, "RE", 2, 2),
    (5, 120, 40, True, "RE", 1, 2),
    (3, 240, 80, False, "HS", 1, 3),
    (3, 200, 80, False, "HS", 1, 3),
    (3, 480, 112, True, "HS", 1, 4),
    (1, 0, 672, False, "HS", 1, 5),
]


def make_divisible(v, divisor=8):
    n = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return n + divisor if n < 0.9 * v else n


def build(table, head, width, num_classes=1000, norm_layer=None):
    """torchvision's MobileNetV3 with timm's widths; returns (model, stages),
    stages being the number of blocks in each of timm's stages."""
    rc = lambda c: make_divisible(c * width)
    stem = 16 if width < 0.75 else rc(16)  # timm's fix_stem
    setting, stages = [], []
    in_base, in_ = 16, stem
    for k, exp, out, se, nl, s, stage in table[:-1]:
        o = rc(out)
        mid = in_ if exp == in_base else make_divisible(in_ * (exp / in_base))
        setting.append(InvertedResidualConfig(in_, k, mid, o, se, nl, s, 1, 1.0))
        in_base, in_ = out, o
        if stage == len(stages):
            stages.append(0)
        stages[stage] += 1
    last = table[-1]
    assert last[0] == 1 and rc(last[2]) == 6 * in_, "torchvision's last conv is 6x its input"
    stages.append(1)
    kw = {} if norm_layer is None else {"norm_layer": norm_layer}
    return MobileNetV3(setting, head, num_classes=num_classes, **kw), stages


BN = ("weight", "bias", "running_mean", "running_var")


def timm_names(m, stages):
    """Returns {torchvision state-dict name: timm name} for m."""
    mp = {}

    def convbn(tv, conv, bn):
        mp[tv + ".0.weight"] = conv + ".weight"
        for k in BN:
            mp["%s.1.%s" % (tv, k)] = "%s.%s" % (bn, k)

    convbn("features.0", "conv_stem", "bn1")
    f = 1
    for s, n in enumerate(stages):
        for j in range(n):
            tv, t = "features.%d" % f, "blocks.%d.%d" % (s, j)
            blk = m.features[f]
            if not isinstance(blk, InvertedResidual):
                convbn(tv, t + ".conv", t + ".bn1")
            else:
                layers = list(blk.block)
                has_se = any(type(l).__name__ == "SqueezeExcitation" for l in layers)
                convs = len(layers) - has_se
                names = [("conv_pw", "bn1"), ("conv_dw", "bn2"), ("conv_pwl", "bn3")] if convs == 3 else \
                    [("conv_dw", "bn1"), ("conv_pw", "bn2")]
                i = 0
                for li, l in enumerate(layers):
                    if type(l).__name__ == "SqueezeExcitation":
                        for k in ("weight", "bias"):
                            mp["%s.block.%d.fc1.%s" % (tv, li, k)] = "%s.se.conv_reduce.%s" % (t, k)
                            mp["%s.block.%d.fc2.%s" % (tv, li, k)] = "%s.se.conv_expand.%s" % (t, k)
                    else:
                        convbn("%s.block.%d" % (tv, li), t + "." + names[i][0], t + "." + names[i][1])
                        i += 1
            f += 1
    assert f == len(m.features)
    for k in ("weight", "bias"):
        mp["classifier.0." + k] = "conv_head." + k  # a Linear on pooled features = timm's 1x1 conv
        mp["classifier.3." + k] = "classifier." + k
    keys = [k for k in m.state_dict() if not k.endswith("num_batches_tracked")]
    bad = set(keys) ^ set(mp)
    if bad:
        raise ValueError("unmapped or unknown tensors: %s" % sorted(bad)[:10])
    return mp


def timm_shape(name, t):
    """timm's shape of a tensor: conv_head.weight is [out, in, 1, 1]."""
    shape = list(t.shape)
    return shape + [1, 1] if name == "conv_head.weight" else shape
