package mobilenetv3

import (
	"fmt"
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/zoo/arch"
	"github.com/reprise-ml/reprise/zoo/efficientnet"
)

// Op is the operator of a row of MobileNetV3's tables.
type Op int

const (
	// Bneck is the inverted-residual bottleneck: 1x1 expansion to "exp
	// size" channels (omitted when exp size equals the input, timm's "ds"
	// block), kxk depthwise, optional SE, 1x1 projection; residual when the
	// stride is 1 and the widths match.
	Bneck Op = iota
	// Conv is a kxk convolution with BN and the row's nonlinearity (the
	// 1x1 conv before pooling; timm's "cn" block).
	Conv
)

// Nonlinearities of the tables: RE is ReLU, HS is h-swish.
var (
	RE = nn.ReLU
	HS = nn.HardSwish
)

// Layer is one row of Table 1 or 2 of arXiv:1905.02244: operator, kernel,
// exp size, #out, SE, NL and s. Stage is timm's grouping of the rows into
// blocks.<stage>.<i> (its arch_def lists).
type Layer struct {
	Op     Op
	Kernel int
	Exp    int
	Out    int
	SE     bool
	NL     nn.Act
	Stride int
	Stage  int
}

// Large is MobileNetV3-Large, Table 1 of arXiv:1905.02244 (final version),
// from the first bneck to the 1x1 conv before pooling; the stem is a 3x3
// conv with 16 channels, h-swish, stride 2; after pooling come the 1x1 conv
// to 1280 without BN, h-swish, and the classifier.
var Large = []Layer{
	// op, kernel, exp size, #out, SE, NL, s, timm stage
	{Bneck, 3, 16, 16, false, RE, 1, 0},
	{Bneck, 3, 64, 24, false, RE, 2, 1},
	{Bneck, 3, 72, 24, false, RE, 1, 1},
	{Bneck, 5, 72, 40, true, RE, 2, 2},
	{Bneck, 5, 120, 40, true, RE, 1, 2},
	{Bneck, 5, 120, 40, true, RE, 1, 2},
	{Bneck, 3, 240, 80, false, HS, 2, 3},
	{Bneck, 3, 200, 80, false, HS, 1, 3},
	{Bneck, 3, 184, 80, false, HS, 1, 3},
	{Bneck, 3, 184, 80, false, HS, 1, 3},
	{Bneck, 3, 480, 112, true, HS, 1, 4},
	{Bneck, 3, 672, 112, true, HS, 1, 4},
	{Bneck, 5, 672, 160, true, HS, 2, 5},
	{Bneck, 5, 960, 160, true, HS, 1, 5},
	{Bneck, 5, 960, 160, true, HS, 1, 5},
	{Conv, 1, 0, 960, false, HS, 1, 6},
}

// Small is MobileNetV3-Small, Table 2 of arXiv:1905.02244; the head conv
// after pooling has 1024 channels. Deviation: the paper's table marks SE on
// the 1x1 conv to 576; the TF reference (V3_SMALL) and timm have no SE
// there, and neither have we (papers.md section 13).
var Small = []Layer{
	// op, kernel, exp size, #out, SE, NL, s, timm stage
	{Bneck, 3, 16, 16, true, RE, 2, 0},
	{Bneck, 3, 72, 24, false, RE, 2, 1},
	{Bneck, 3, 88, 24, false, RE, 1, 1},
	{Bneck, 5, 96, 40, true, HS, 2, 2},
	{Bneck, 5, 240, 40, true, HS, 1, 2},
	{Bneck, 5, 240, 40, true, HS, 1, 2},
	{Bneck, 5, 120, 48, true, HS, 1, 3},
	{Bneck, 5, 144, 48, true, HS, 1, 3},
	{Bneck, 5, 288, 96, true, HS, 2, 4},
	{Bneck, 5, 576, 96, true, HS, 1, 4},
	{Bneck, 5, 576, 96, true, HS, 1, 4},
	{Conv, 1, 0, 576, false, HS, 1, 5},
}

// LargeTwin is the reduced-scale MobileNetV3-Large for 28x28 and 32x32
// inputs: Large's first eight bnecks with its third downsampling removed
// (a 32x32 input ends at 4x4), one SE + h-swish bneck to 112, the 1x1 conv
// to 6·112 and a 1024-wide head. SE (ReLU, h-sigmoid gate, exp/4 rounded
// to 8) and h-swish in the second half are kept.
var LargeTwin = []Layer{
	// op, kernel, exp size, #out, SE, NL, s, timm stage
	{Bneck, 3, 16, 16, false, RE, 1, 0},
	{Bneck, 3, 64, 24, false, RE, 2, 1},
	{Bneck, 3, 72, 24, false, RE, 1, 1},
	{Bneck, 5, 72, 40, true, RE, 2, 2},
	{Bneck, 5, 120, 40, true, RE, 1, 2},
	{Bneck, 3, 240, 80, false, HS, 1, 3},
	{Bneck, 3, 200, 80, false, HS, 1, 3},
	{Bneck, 3, 480, 112, true, HS, 1, 4},
	{Conv, 1, 0, 672, false, HS, 1, 5},
}

// Config is a MobileNetV3: its table, stem and head widths, and the width
// multiplier.
type Config struct {
	Layers []Layer
	Stem   int // 16 in both tables
	Head   int // the 1x1 conv after pooling: 1280 (Large), 1024 (Small)
	Width  float64
}

// Trunk returns the stage table for the shared builder (package
// efficientnet), as timm's _gen_mobilenet_v3: channels are width-scaled with
// round_channels (divisor 8) except the head, which keeps 1280/1024 at every
// width; the stem is scaled only at width >= 0.75; a bneck's expansion is
// the ratio exp size/input at width 1, applied to the scaled input (timm
// writes 88/24 as e3.67, which rounds to the same 88 channels at widths 1
// and 0.75); SE reduces exp size/4, rounded to a multiple of 8, with ReLU
// and an h-sigmoid gate; BN and padding are PyTorch's defaults (timm's
// mobilenetv3_*, not the tf_ ports).
func (cfg Config) Trunk() efficientnet.Config {
	var stages [][]efficientnet.Row
	in := cfg.Stem
	for i, l := range cfg.Layers {
		r := efficientnet.Row{Repeat: 1, Kernel: l.Kernel, Stride: l.Stride, Expand: 1, Out: l.Out, Act: l.NL}
		switch {
		case l.Op == Conv:
			r.Block = efficientnet.ConvBNAct
		case l.Exp == in:
			r.Block = efficientnet.DS
		default:
			r.Block, r.Expand = efficientnet.MBConv, float64(l.Exp)/float64(in)
		}
		if l.SE {
			r.SE = 0.25
		}
		switch {
		case l.Stage == len(stages):
			stages = append(stages, nil)
		case l.Stage != len(stages)-1:
			panic(fmt.Sprintf("mobilenetv3: layer %d: stage %d out of order", i, l.Stage))
		}
		stages[l.Stage] = append(stages[l.Stage], r)
		in = l.Out
	}
	return efficientnet.Config{
		Stem: cfg.Stem, FixStem: cfg.Width < 0.75, Stages: stages, Head: cfg.Head,
		Width: cfg.Width, Depth: 1, Act: HS,
		SEAct: nn.ReLU, SEGate: nn.HardSigmoid, SEFromExp: true,
		Norm: efficientnet.TorchNorm,
	}
}

// Model is MobileNetV3 with its efficient last stage (Sec. 5.1): the trunk,
// global pooling, then conv_head (1x1 with bias, no BN) and h-swish,
// dropout and the classifier (timm's MobileNetV3; the paper's last "conv2d
// 1x1, NBN" to k classes is this Linear on the pooled features).
type Model struct {
	*efficientnet.Trunk
	ConvHead   *nn.Conv2d
	Act        nn.Act
	Drop       nn.Dropout
	Classifier *nn.Linear
}

// New builds cfg for o.
func New(b *nn.Builder, cfg Config, o arch.Options) *Model {
	t := efficientnet.NewTrunk(b, cfg.Trunk(), o.InChans, o.DropPath)
	return &Model{
		Trunk:    t,
		ConvHead: nn.NewConv2d(b.Sub("conv_head"), t.Out, cfg.Head, 1, nn.ConvOpts{Bias: true}),
		Act:      HS,
		Drop:     nn.Dropout{Rate: o.Dropout},
		// timm's _init_weight_goog: U(±1/√fan_out) with fan_out = classes.
		Classifier: nn.NewLinear(b.Sub("classifier"), cfg.Head, o.NumClasses, true, nn.Uniform(1/math.Sqrt(float64(o.NumClasses)))),
	}
}

// Forward returns logits [N, classes] for x [N, C, H, W].
func (m *Model) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	x = m.Trunk.Forward(c, x)
	n, ch := x.Value.Shape[0], x.Value.Shape[1]
	x = c.Tape.Reshape(c.Tape.GlobalAvgPool(x), n, ch, 1, 1)
	x = m.Act(c.Tape, m.ConvHead.Forward(c, x))
	x = m.Drop.Forward(c, c.Tape.Reshape(x, n, -1))
	y := m.Classifier.Forward(c, x)
	c.Mark("head", y)
	return y
}

func variant(name string, twin bool, d arch.Options, cfg Config) arch.Variant {
	return arch.Variant{Name: name, Family: "mobilenetv3", Twin: twin, Defaults: d,
		New: func(b *nn.Builder, o arch.Options) arch.Model { return New(b, cfg, o) }}
}

// Variants lists mobilenetv3_large_100/_075, mobilenetv3_small_100/_075 and
// the twins mobilenetv3_large_r28/_r32.
func Variants() []arch.Variant {
	in1k := arch.Options{NumClasses: 1000, InChans: 3, ImgSize: 224}
	twin := Config{LargeTwin, 16, 1024, 1}
	return []arch.Variant{
		variant("mobilenetv3_large_100", false, in1k, Config{Large, 16, 1280, 1}),
		variant("mobilenetv3_large_075", false, in1k, Config{Large, 16, 1280, 0.75}),
		variant("mobilenetv3_small_100", false, in1k, Config{Small, 16, 1024, 1}),
		variant("mobilenetv3_small_075", false, in1k, Config{Small, 16, 1024, 0.75}),
		variant("mobilenetv3_large_r28", true, arch.Options{NumClasses: 10, InChans: 1, ImgSize: 28}, twin),
		variant("mobilenetv3_large_r32", true, arch.Options{NumClasses: 10, InChans: 3, ImgSize: 32}, twin),
	}
}
