"""Names of torchvision's EfficientNet / EfficientNetV2 tensors in timm's
layout (timm/models/efficientnet.py), shared by gen_counts.py and
gen_golden.py.

torchvision: features.0 (stem conv, BN), features.<s> (stage s-1, blocks
<j>.block.<layer>), features.<last> (head conv, BN), classifier.1. Its MBConv
always has SE and omits the expansion conv when the ratio is 1; its
FusedMBConv with ratio 1 is one conv with BN and activation.
"""
from torchvision.models.efficientnet import FusedMBConv, MBConv

BN = ("weight", "bias", "running_mean", "running_var")


def timm_names(m):
    """Returns {torchvision state-dict name: timm name} for m."""
    mp = {}

    def convbn(tv, conv, bn):
        mp[tv + ".0.weight"] = conv + ".weight"
        for k in BN:
            mp["%s.1.%s" % (tv, k)] = "%s.%s" % (bn, k)

    def se(tv, t):
        for k in ("weight", "bias"):
            mp["%s.fc1.%s" % (tv, k)] = "%s.se.conv_reduce.%s" % (t, k)
            mp["%s.fc2.%s" % (tv, k)] = "%s.se.conv_expand.%s" % (t, k)

    feats = m.features
    convbn("features.0", "conv_stem", "bn1")
    for s in range(1, len(feats) - 1):
        for j, blk in enumerate(feats[s]):
            tv, t = "features.%d.%d.block" % (s, j), "blocks.%d.%d" % (s - 1, j)
            n = len(blk.block)
            if isinstance(blk, MBConv) and n == 4:
                convbn(tv + ".0", t + ".conv_pw", t + ".bn1")
                convbn(tv + ".1", t + ".conv_dw", t + ".bn2")
                se(tv + ".2", t)
                convbn(tv + ".3", t + ".conv_pwl", t + ".bn3")
            elif isinstance(blk, MBConv) and n == 3:
                convbn(tv + ".0", t + ".conv_dw", t + ".bn1")
                se(tv + ".1", t)
                convbn(tv + ".2", t + ".conv_pw", t + ".bn2")
            elif isinstance(blk, FusedMBConv) and n == 2:
                convbn(tv + ".0", t + ".conv_exp", t + ".bn1")
                convbn(tv + ".1", t + ".conv_pwl", t + ".bn2")
            elif isinstance(blk, FusedMBConv) and n == 1:
                convbn(tv + ".0", t + ".conv", t + ".bn1")
            else:
                raise ValueError("unexpected block %s: %r" % (tv, blk))
    convbn("features.%d" % (len(feats) - 1), "conv_head", "bn2")
    mp["classifier.1.weight"] = "classifier.weight"
    mp["classifier.1.bias"] = "classifier.bias"
    keys = [k for k in m.state_dict() if not k.endswith("num_batches_tracked")]
    missing = set(keys) ^ set(mp)
    if missing:
        raise ValueError("unmapped or unknown tensors: %s" % sorted(missing)[:10])
    return mp
