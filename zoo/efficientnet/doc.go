// Package efficientnet builds EfficientNet-B0..B7 (Tan & Le, arXiv:1905.11946)
// and EfficientNetV2-S/M/L (arXiv:2104.00298) as timm does, and owns the
// blocks and the stage-table builder that MobileNetV3 (package mobilenetv3)
// shares with them, as in timm's _efficientnet_blocks.py and
// _efficientnet_builder.py.
//
// A network is a Config: a stage table of Rows (one row per row of the
// paper's table), a stem, a head, and the width and depth multipliers that
// Specs applies with timm's rounding (round_channels with divisor 8, ceil
// depth). B1..B7 are the B0 table scaled by the Compound coefficients;
// V2-S/M/L are their own tables. Parameter names are timm's state-dict names
// (conv_stem, bn1, blocks.<stage>.<block>.conv_pw, ..., conv_head, bn2,
// classifier).
//
// Variants: tf_efficientnet_b0..b7 and tf_efficientnetv2_s/m/l (TensorFlow
// "SAME" padding, BN eps 1e-3), efficientnet_b0 (PyTorch padding and BN),
// and the reduced-scale twins efficientnet_b0_r28/_r32 and
// efficientnetv2_s_r28/_r32.
package efficientnet
