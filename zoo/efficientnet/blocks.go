package efficientnet

import (
	"fmt"
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
)

// The blocks of EfficientNet, EfficientNetV2 and MobileNetV3, with timm's
// parameter names (timm/models/_efficientnet_blocks.py). Each block applies
// its stochastic depth to the residual branch only, and only when it has a
// skip connection, as timm does.

// BlockType is the kind of a block in a stage table.
type BlockType int

const (
	// DS is the depthwise-separable block, the MBConv1 of the papers
	// (an inverted residual without the 1x1 expansion): conv_dw, bn1 +
	// act, optional SE, conv_pw, bn2 (timm "ds").
	DS BlockType = iota
	// MBConv is the inverted residual: conv_pw (1x1 expansion), bn1 + act,
	// conv_dw, bn2 + act, optional SE, conv_pwl (1x1 projection), bn3
	// (timm "ir").
	MBConv
	// FusedMBConv replaces MBConv's expansion and depthwise convs by one
	// regular kxk conv: conv_exp, bn1 + act, optional SE, conv_pwl, bn2
	// (timm "er", EdgeResidual). With expansion 1 it is a single kxk conv,
	// bn1 + act with a skip: timm's "cn_..._skip" ConvBnAct, as the automl
	// reference has no projection conv when expand_ratio is 1.
	FusedMBConv
	// ConvBNAct is a plain conv, bn1 + act (timm "cn"), without a skip:
	// MobileNetV3's last 1x1 conv before pooling.
	ConvBNAct
)

func (t BlockType) String() string {
	switch t {
	case DS:
		return "DS"
	case MBConv:
		return "MBConv"
	case FusedMBConv:
		return "FusedMBConv"
	case ConvBNAct:
		return "ConvBNAct"
	}
	return fmt.Sprintf("BlockType(%d)", int(t))
}

// MakeDivisible rounds v to the nearest multiple of divisor, but not below
// divisor and not below 0.9·v (timm's make_divisible, min_value=None,
// round_limit=0.9; also TF's round_filters).
func MakeDivisible(v float64, divisor int) int {
	d := float64(divisor)
	n := max(divisor, int(v+d/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// RoundChannels scales c by the width multiplier and rounds it with
// MakeDivisible (timm's round_channels, divisor 8 in every model here).
func RoundChannels(c int, width float64, divisor int) int {
	if width == 0 {
		return c
	}
	return MakeDivisible(float64(c)*width, divisor)
}

// pyRound is Python's round(): halves go to the even neighbour.
func pyRound(v float64) int { return int(math.RoundToEven(v)) }

// ConvBN is a conv followed by batch norm and an optional activation
// (timm's create_conv2d + BatchNormAct2d).
type ConvBN struct {
	Conv *nn.Conv2d
	BN   *nn.BatchNorm
	Act  nn.Act // nil: none
}

// Forward applies conv, norm and activation.
func (l *ConvBN) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	x = l.BN.Forward(c, l.Conv.Forward(c, x))
	if l.Act != nil {
		x = l.Act(c.Tape, x)
	}
	return x
}

// Norm is how a network builds its convolutions and batch norms: padding
// (PadSame for the tf_ ports of TensorFlow checkpoints) and BN settings
// (momentum in PyTorch's convention: TF's decay 0.99 is 0.01).
type Norm struct {
	Pad      nn.Padding
	Eps      float32
	Momentum float32
}

// convBN creates "<conv>" and "<bn>" under b.
func (n Norm) convBN(b *nn.Builder, conv, bn string, in, out, k, stride, groups int, act nn.Act) *ConvBN {
	return &ConvBN{
		Conv: nn.NewConv2d(b.Sub(conv), in, out, k, nn.ConvOpts{Stride: stride, Groups: groups, Padding: n.Pad}),
		BN:   nn.NewBatchNorm(b.Sub(bn), out, n.Momentum, n.Eps),
		Act:  act,
	}
}

// BlockSpec is one fully resolved block: what the builder hands to a block
// constructor after width and depth scaling.
type BlockSpec struct {
	Type          BlockType
	In, Mid, Out  int // Mid: expanded channels (MBConv, FusedMBConv)
	Kernel        int
	Stride        int
	SE            int // reduced SE channels; 0: no SE
	Act           nn.Act
	Skip          bool
	DropPath      float32
	SEAct, SEGate nn.Act
}

// Block is a residual block of a stage.
type Block interface {
	Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var
}

// NewBlock creates the block s describes under b (e.g. "blocks.3.1").
func NewBlock(b *nn.Builder, s BlockSpec, n Norm) Block {
	var se *nn.SqueezeExcite
	seChans := s.In
	if s.Type != DS {
		seChans = s.Mid
	}
	if s.SE > 0 {
		seAct := s.SEAct
		if seAct == nil {
			seAct = s.Act
		}
		se = nn.NewSqueezeExcite(b.Sub("se"), seChans, s.SE, seAct, s.SEGate)
	}
	switch s.Type {
	case DS:
		return &DepthwiseSeparable{
			DW:       n.convBN(b, "conv_dw", "bn1", s.In, s.In, s.Kernel, s.Stride, s.In, s.Act),
			SE:       se,
			PW:       n.convBN(b, "conv_pw", "bn2", s.In, s.Out, 1, 1, 1, nil),
			Skip:     s.Skip,
			DropPath: nn.DropPath{Rate: s.DropPath},
		}
	case MBConv:
		return &InvertedResidual{
			PW:       n.convBN(b, "conv_pw", "bn1", s.In, s.Mid, 1, 1, 1, s.Act),
			DW:       n.convBN(b, "conv_dw", "bn2", s.Mid, s.Mid, s.Kernel, s.Stride, s.Mid, s.Act),
			SE:       se,
			PWL:      n.convBN(b, "conv_pwl", "bn3", s.Mid, s.Out, 1, 1, 1, nil),
			Skip:     s.Skip,
			DropPath: nn.DropPath{Rate: s.DropPath},
		}
	case FusedMBConv:
		return &EdgeResidual{
			Exp:      n.convBN(b, "conv_exp", "bn1", s.In, s.Mid, s.Kernel, s.Stride, 1, s.Act),
			SE:       se,
			PWL:      n.convBN(b, "conv_pwl", "bn2", s.Mid, s.Out, 1, 1, 1, nil),
			Skip:     s.Skip,
			DropPath: nn.DropPath{Rate: s.DropPath},
		}
	case ConvBNAct:
		if se != nil {
			panic("efficientnet: a ConvBNAct block has no squeeze-excite")
		}
		return &ConvBNActBlock{
			ConvBN:   n.convBN(b, "conv", "bn1", s.In, s.Out, s.Kernel, s.Stride, 1, s.Act),
			Skip:     s.Skip,
			DropPath: nn.DropPath{Rate: s.DropPath},
		}
	}
	panic(fmt.Sprintf("efficientnet: unknown block type %v", s.Type))
}

// residual adds the shortcut to the (drop-path'd) branch when skip is set.
func residual(c *nn.Ctx, skip bool, dp nn.DropPath, branch, shortcut *autograd.Var) *autograd.Var {
	if !skip {
		return branch
	}
	return c.Tape.Add(dp.Forward(c, branch), shortcut)
}

func applySE(c *nn.Ctx, se *nn.SqueezeExcite, x *autograd.Var) *autograd.Var {
	if se == nil {
		return x
	}
	return se.Forward(c, x)
}

// DepthwiseSeparable is timm's DepthwiseSeparableConv (MBConv1).
type DepthwiseSeparable struct {
	DW, PW   *ConvBN
	SE       *nn.SqueezeExcite
	Skip     bool
	DropPath nn.DropPath
}

// Forward applies the block.
func (l *DepthwiseSeparable) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	y := l.PW.Forward(c, applySE(c, l.SE, l.DW.Forward(c, x)))
	return residual(c, l.Skip, l.DropPath, y, x)
}

// InvertedResidual is timm's InvertedResidual (MBConv).
type InvertedResidual struct {
	PW, DW, PWL *ConvBN
	SE          *nn.SqueezeExcite
	Skip        bool
	DropPath    nn.DropPath
}

// Forward applies the block.
func (l *InvertedResidual) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	y := l.DW.Forward(c, l.PW.Forward(c, x))
	y = l.PWL.Forward(c, applySE(c, l.SE, y))
	return residual(c, l.Skip, l.DropPath, y, x)
}

// EdgeResidual is timm's EdgeResidual (Fused-MBConv with expansion > 1).
type EdgeResidual struct {
	Exp, PWL *ConvBN
	SE       *nn.SqueezeExcite
	Skip     bool
	DropPath nn.DropPath
}

// Forward applies the block.
func (l *EdgeResidual) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	y := l.PWL.Forward(c, applySE(c, l.SE, l.Exp.Forward(c, x)))
	return residual(c, l.Skip, l.DropPath, y, x)
}

// ConvBNActBlock is timm's ConvBnAct block: conv, bn1 + act, optional skip
// (Fused-MBConv1 of EfficientNetV2; MobileNetV3's last conv).
type ConvBNActBlock struct {
	*ConvBN
	Skip     bool
	DropPath nn.DropPath
}

// Forward applies the block.
func (l *ConvBNActBlock) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	return residual(c, l.Skip, l.DropPath, l.ConvBN.Forward(c, x), x)
}
