// Package mobilenetv3 builds MobileNetV3-Large and -Small (Howard et al.,
// arXiv:1905.02244) as timm's mobilenetv3_large_100/_075 and
// mobilenetv3_small_100/_075, from Tables 1 and 2 of the paper written as
// typed rows, on the blocks and stage builder of package efficientnet
// (inverted residuals with SE whose gate is an h-sigmoid, h-swish, and the
// efficient last stage: pooling before the 1x1 head conv). The width
// multiplier is applied by the shared builder with timm's rounding. Twins:
// mobilenetv3_large_r28 and mobilenetv3_large_r32.
package mobilenetv3
