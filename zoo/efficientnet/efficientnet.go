package efficientnet

import (
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// B0 is EfficientNet-B0, Table 1 of arXiv:1905.11946 (stages 2-8; stage 1
// is the 3x3 stem with 32 channels, stage 9 the 1x1 head conv with 1280,
// pooling and the classifier). Strides are from the reference block strings
// (tensorflow/tpu efficientnet_builder.py), which the table implies through
// each stage's input resolution. Every block has SE 0.25 of its input
// channels. MBConv1 is timm's "ds" block: with expansion 1 there is no 1x1
// expansion conv. (The table prints 28x28 as stage 6's input; with stage
// 5's stride 2 it is 14x14, as the code has it.)
var B0 = []Row{
	// block, repeat, kernel, stride, expand, out, se, act (nil: the network's SiLU)
	{DS, 1, 3, 1, 1, 16, 0.25, nil},
	{MBConv, 2, 3, 2, 6, 24, 0.25, nil},
	{MBConv, 2, 5, 2, 6, 40, 0.25, nil},
	{MBConv, 3, 3, 2, 6, 80, 0.25, nil},
	{MBConv, 3, 5, 1, 6, 112, 0.25, nil},
	{MBConv, 4, 5, 2, 6, 192, 0.25, nil},
	{MBConv, 1, 3, 1, 6, 320, 0.25, nil},
}

// Coefficients are one EfficientNet's compound-scaling coefficients:
// width and depth multipliers and the input resolution, with the recipe's
// dropout before the classifier.
type Coefficients struct {
	Name         string
	Width, Depth float64
	Res          int
	Dropout      float32
}

// Compound are B0-B7's coefficients as released in tensorflow/tpu
// efficientnet_builder.py (the paper's Eq. 3 with φ = 0..7, rounded; its
// grid search gave α = 1.2, β = 1.1, γ = 1.15). The dropout column is the
// training recipe's; timm's models (and so our defaults) have dropout 0
// unless the trainer sets it.
var Compound = []Coefficients{
	// name, width, depth, resolution, dropout
	{"b0", 1.0, 1.0, 224, 0.2},
	{"b1", 1.0, 1.1, 240, 0.2},
	{"b2", 1.1, 1.2, 260, 0.3},
	{"b3", 1.2, 1.4, 300, 0.3},
	{"b4", 1.4, 1.8, 380, 0.4},
	{"b5", 1.6, 2.2, 456, 0.4},
	{"b6", 1.8, 2.6, 528, 0.5},
	{"b7", 2.0, 3.1, 600, 0.5},
}

// V2S is EfficientNetV2-S, Table 4 of arXiv:2104.00298 (stage 0 is the 3x3
// stem with 24 channels, stage 7 the 1x1 head conv with 1280, pooling and
// the classifier). Fused-MBConv1 is timm's "cn_..._skip": one 3x3 conv with
// BN, SiLU and a residual, no projection.
var V2S = []Row{
	// block, repeat, kernel, stride, expand, out, se, act (nil: the network's SiLU)
	{FusedMBConv, 2, 3, 1, 1, 24, 0, nil},
	{FusedMBConv, 4, 3, 2, 4, 48, 0, nil},
	{FusedMBConv, 4, 3, 2, 4, 64, 0, nil},
	{MBConv, 6, 3, 2, 4, 128, 0.25, nil},
	{MBConv, 9, 3, 1, 6, 160, 0.25, nil},
	{MBConv, 15, 3, 2, 6, 256, 0.25, nil},
}

// V2M is EfficientNetV2-M. The paper gives only S's table; M and L are
// google/automl efficientnetv2/effnetv2_configs.py (v2_m_block), as timm's
// _gen_efficientnetv2_m; the stem has 24 channels.
var V2M = []Row{
	// block, repeat, kernel, stride, expand, out, se, act (nil: the network's SiLU)
	{FusedMBConv, 3, 3, 1, 1, 24, 0, nil},
	{FusedMBConv, 5, 3, 2, 4, 48, 0, nil},
	{FusedMBConv, 5, 3, 2, 4, 80, 0, nil},
	{MBConv, 7, 3, 2, 4, 160, 0.25, nil},
	{MBConv, 14, 3, 1, 6, 176, 0.25, nil},
	{MBConv, 18, 3, 2, 6, 304, 0.25, nil},
	{MBConv, 5, 3, 1, 6, 512, 0.25, nil},
}

// V2L is EfficientNetV2-L (automl v2_l_block, timm _gen_efficientnetv2_l);
// the stem has 32 channels.
var V2L = []Row{
	// block, repeat, kernel, stride, expand, out, se, act (nil: the network's SiLU)
	{FusedMBConv, 4, 3, 1, 1, 32, 0, nil},
	{FusedMBConv, 7, 3, 2, 4, 64, 0, nil},
	{FusedMBConv, 7, 3, 2, 4, 96, 0, nil},
	{MBConv, 10, 3, 2, 4, 192, 0.25, nil},
	{MBConv, 19, 3, 1, 6, 224, 0.25, nil},
	{MBConv, 25, 3, 2, 6, 384, 0.25, nil},
	{MBConv, 7, 3, 1, 6, 640, 0.25, nil},
}

// B0Twin is the reduced-scale EfficientNet for 28x28 and 32x32 inputs: B0's
// stages 2-5 with fewer layers and the 80-channel stage at stride 1 (a
// 32x32 input would otherwise end at 2x2), MBConv with SE 0.25 and SiLU,
// and a 320-channel head. Compound scaling applies to it unchanged
// (Config.Width, Config.Depth and the image size).
var B0Twin = []Row{
	// block, repeat, kernel, stride, expand, out, se, act (nil: the network's SiLU)
	{DS, 1, 3, 1, 1, 16, 0.25, nil},
	{MBConv, 2, 3, 2, 6, 24, 0.25, nil},
	{MBConv, 2, 5, 2, 6, 40, 0.25, nil},
	{MBConv, 2, 3, 1, 6, 80, 0.25, nil},
}

// V2Twin is the reduced-scale EfficientNetV2-S: Fused-MBConv1, Fused-MBConv4,
// then MBConv4 and MBConv6 with SE, two layers each and narrower, with a
// 16-channel stem and a 640-channel head.
var V2Twin = []Row{
	// block, repeat, kernel, stride, expand, out, se, act (nil: the network's SiLU)
	{FusedMBConv, 1, 3, 1, 1, 16, 0, nil},
	{FusedMBConv, 2, 3, 2, 4, 32, 0, nil},
	{MBConv, 2, 3, 2, 4, 64, 0.25, nil},
	{MBConv, 2, 3, 1, 6, 96, 0.25, nil},
}

// Norms: TensorFlow's (the tf_ ports: "SAME" padding, BN eps 1e-3, decay
// 0.99 = PyTorch momentum 0.01) and PyTorch's (timm's efficientnet_b0:
// symmetric padding, BN eps 1e-5, momentum 0.1). timm's tf_ constructors set
// only bn_eps and pad_type, leaving PyTorch's momentum 0.1; we use TF's
// 0.01, the momentum the checkpoints were trained with.
var (
	TFNorm    = Norm{Pad: nn.PadSame, Eps: 1e-3, Momentum: 0.01}
	TorchNorm = Norm{Pad: nn.PadSymmetric, Eps: 1e-5, Momentum: 0.1}
)

// EfficientNetConfig returns an EfficientNet from a B0-style table (B0, or
// a twin's rows) with its stem and head widths, scaled by the width and
// depth multipliers (timm _gen_efficientnet: SiLU, SE with a sigmoid gate,
// stem and head width-scaled). With a Compound row's image size, this is
// the paper's compound scaling.
func EfficientNetConfig(rows []Row, stem, head int, width, depth float64, norm Norm) Config {
	return Config{Stem: stem, Stages: OneRowPerStage(rows), Head: head, ScaleHead: true,
		Width: width, Depth: depth, Act: nn.SiLU, SEGate: nn.Sigmoid, Norm: norm}
}

// V2Config returns an EfficientNetV2 layout (timm _gen_efficientnetv2_*;
// width and depth 1).
func V2Config(rows []Row, stem, head int, norm Norm) Config {
	return Config{Stem: stem, Stages: OneRowPerStage(rows), Head: head, ScaleHead: true,
		Width: 1, Depth: 1, Act: nn.SiLU, SEGate: nn.Sigmoid, Norm: norm}
}

// Model is EfficientNet or EfficientNetV2: the trunk, then conv_head, bn2
// and activation, global average pooling, dropout and the classifier
// (timm's EfficientNet).
type Model struct {
	*Trunk
	Head       *ConvBN
	Drop       nn.Dropout
	Classifier *nn.Linear
}

// New builds cfg for o.
func New(b *nn.Builder, cfg Config, o arch.Options) *Model {
	t := NewTrunk(b, cfg, o.InChans, o.DropPath)
	head := cfg.HeadChannels()
	return &Model{
		Trunk: t,
		Head:  cfg.Norm.convBN(b, "conv_head", "bn2", t.Out, head, 1, 1, 1, cfg.Act),
		Drop:  nn.Dropout{Rate: o.Dropout},
		// timm's _init_weight_goog: U(±1/√fan_out) with fan_out = classes.
		Classifier: nn.NewLinear(b.Sub("classifier"), head, o.NumClasses, true, nn.Uniform(1/math.Sqrt(float64(o.NumClasses)))),
	}
}

// Forward returns logits [N, classes] for x [N, C, H, W].
func (m *Model) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	x = m.Head.Forward(c, m.Trunk.Forward(c, x))
	x = m.Drop.Forward(c, c.Tape.GlobalAvgPool(x))
	y := m.Classifier.Forward(c, x)
	c.Mark("head", y)
	return y
}

func variant(name string, twin bool, d arch.Options, cfg Config) arch.Variant {
	return arch.Variant{Name: name, Family: "efficientnet", Twin: twin, Defaults: d,
		New: func(b *nn.Builder, o arch.Options) arch.Model { return New(b, cfg, o) }}
}

func imagenet(res int) arch.Options { return arch.Options{NumClasses: 1000, InChans: 3, ImgSize: res} }

var (
	r28 = arch.Options{NumClasses: 10, InChans: 1, ImgSize: 28}
	r32 = arch.Options{NumClasses: 10, InChans: 3, ImgSize: 32}
)

// Variants lists tf_efficientnet_b0..b7, efficientnet_b0,
// tf_efficientnetv2_s/m/l and the twins efficientnet_b0_r28/_r32 and
// efficientnetv2_s_r28/_r32. The twins use PyTorch's padding and BN
// settings (TorchNorm), as timm's efficientnet_b0 and efficientnetv2_s.
func Variants() []arch.Variant {
	var vs []arch.Variant
	for _, k := range Compound {
		vs = append(vs, variant("tf_efficientnet_"+k.Name, false, imagenet(k.Res),
			EfficientNetConfig(B0, 32, 1280, k.Width, k.Depth, TFNorm)))
	}
	vs = append(vs,
		variant("efficientnet_b0", false, imagenet(224), EfficientNetConfig(B0, 32, 1280, 1, 1, TorchNorm)),
		// Evaluation sizes of automl effnetv2_configs.py (timm's test sizes).
		variant("tf_efficientnetv2_s", false, imagenet(384), V2Config(V2S, 24, 1280, TFNorm)),
		variant("tf_efficientnetv2_m", false, imagenet(480), V2Config(V2M, 24, 1280, TFNorm)),
		variant("tf_efficientnetv2_l", false, imagenet(480), V2Config(V2L, 32, 1280, TFNorm)),
	)
	b0 := EfficientNetConfig(B0Twin, 32, 320, 1, 1, TorchNorm)
	v2 := V2Config(V2Twin, 16, 640, TorchNorm)
	vs = append(vs,
		variant("efficientnet_b0_r28", true, r28, b0),
		variant("efficientnet_b0_r32", true, r32, b0),
		variant("efficientnetv2_s_r28", true, r28, v2),
		variant("efficientnetv2_s_r32", true, r32, v2),
	)
	return vs
}
