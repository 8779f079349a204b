"""Writes zoo/published.csv from the team's reference table
(../shared/papers/reference_counts.csv): one row per model under its
timm-compatible name, the paper's FLOPs/MAdds converted to GMACs.

    python3 zoo/gen_published.py ../shared/papers/reference_counts.csv > zoo/published.csv
"""
import csv
import sys

NAMES = [
    "nasnetamobile", "nasnetalarge",
    "randwire_small_c78", "randwire_regular_c109", "randwire_regular_c154",
    "tf_efficientnet_b0", "tf_efficientnet_b1", "tf_efficientnet_b2", "tf_efficientnet_b3",
    "tf_efficientnet_b4", "tf_efficientnet_b5", "tf_efficientnet_b6", "tf_efficientnet_b7",
    "tf_efficientnetv2_s", "tf_efficientnetv2_m", "tf_efficientnetv2_l",
    "mobilenetv3_large_100", "mobilenetv3_large_075", "mobilenetv3_small_100", "mobilenetv3_small_075",
    "vit_tiny_patch16_224", "vit_small_patch16_224", "vit_base_patch16_384", "vit_large_patch16_384",
    "vit_huge_patch14_518",
    "deit_tiny_patch16_224", "deit_small_patch16_224", "deit_base_patch16_224", "deit_base_patch16_384",
    "deit_tiny_distilled_patch16_224", "deit_small_distilled_patch16_224",
    "deit_base_distilled_patch16_224", "deit_base_distilled_patch16_384",
    "swin_tiny_patch4_window7_224", "swin_small_patch4_window7_224", "swin_base_patch4_window7_224",
    "swin_base_patch4_window12_384", "swin_large_patch4_window12_384",
    "mixer_s32_224", "mixer_s16_224", "mixer_b32_224", "mixer_b16_224", "mixer_l32_224", "mixer_l16_224",
    "mixer_h14_224",
    "resmlp_12_224", "resmlp_24_224", "resmlp_36_224", "resmlp_b24_patch16_224", "resmlp_big_24_224",
    "resnet50", "regnety_160",
]


def gmacs(value, unit):
    if not value:
        return ""
    v = float(value)
    return "%g" % (v / 1000 if unit.startswith("M ") else v)


rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert len(rows) == len(NAMES), (len(rows), len(NAMES))
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["name", "family", "img_size", "params_m_paper", "gmacs_paper", "top1_paper",
              "params_m_timm", "gmacs_timm", "paper_row", "source"])
for name, r in zip(NAMES, rows):
    out.writerow([name, r["family"], r["img_size"], r["params_M_paper"],
                  gmacs(r["flops_or_madds_paper"], r["flops_unit"]), r["top1_paper"],
                  r["params_M_timm"], r["gmacs_timm"], r["model"], r["source"]])
