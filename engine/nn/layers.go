package nn

import (
	"fmt"
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Linear is y = x·Wᵀ + b over the last dimension, as torch.nn.Linear
// (weight [out, in], bias [out]).
type Linear struct {
	Weight, Bias *Param
}

// NewLinear creates "<b>.weight" [out, in] with init and, if bias,
// "<b>.bias" [out] (zeros, as timm initialises transformer linears).
// A nil init uses PyTorch's default U(-1/√in, 1/√in) for the weight and
// the bias.
func NewLinear(b *Builder, in, out int, bias bool, init Init) *Linear {
	bound := 1 / math.Sqrt(float64(in))
	biasInit := Zeros
	if init == nil {
		init, biasInit = Uniform(bound), Uniform(bound)
	}
	l := &Linear{Weight: b.Param("weight", init, out, in)}
	if bias {
		l.Bias = b.Param("bias", biasInit, out)
	}
	return l
}

// Forward applies the layer.
func (l *Linear) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	var bias *autograd.Var
	if l.Bias != nil {
		bias = l.Bias.Var
	}
	return c.Tape.Linear(x, l.Weight.Var, bias)
}

// ForwardTokens applies the layer over the second-to-last dimension of
// x [..., S, C] (the tokens of a channels-last sequence): Forward on x
// transposed, transposed back, without the transposes (TokenLinear).
func (l *Linear) ForwardTokens(c *Ctx, x *autograd.Var) *autograd.Var {
	var bias *autograd.Var
	if l.Bias != nil {
		bias = l.Bias.Var
	}
	return c.Tape.TokenLinear(x, l.Weight.Var, bias)
}

// Padding is how a Conv2d pads its input.
type Padding int

const (
	// PadSymmetric pads (k-1)/2·dilation on every side (PyTorch's usual
	// padding=k//2 for odd kernels).
	PadSymmetric Padding = iota
	// PadSame pads as TensorFlow's "SAME", computed from each input's size:
	// the output is ceil(in/stride) and an odd total puts the extra row and
	// column at the bottom and right (timm's Conv2dSame, for tf_ ports).
	PadSame
	// PadValid does not pad.
	PadValid
)

// Conv2d is a 2-D convolution over NCHW input (weight [out, in/groups, k, k],
// bias [out] or none).
type Conv2d struct {
	Weight, Bias *Param
	Stride       int
	Dilation     int
	Groups       int
	Padding      Padding
}

// ConvOpts are Conv2d's options; zero values mean stride 1, dilation 1,
// groups 1, symmetric padding, no bias.
type ConvOpts struct {
	Stride, Dilation, Groups int
	Padding                  Padding
	Bias                     bool
}

// NewConv2d creates "<b>.weight" [out, in/groups, k, k], initialised
// Kaiming-normal over fan-out (timm's EfficientNet/MobileNet and
// torchvision's ResNet init), and "<b>.bias" [out] (zeros) if o.Bias.
func NewConv2d(b *Builder, in, out, k int, o ConvOpts) *Conv2d {
	g := max(o.Groups, 1)
	if in%g != 0 || out%g != 0 {
		panic(fmt.Sprintf("nn: Conv2d %s: %d in and %d out channels do not split into %d groups", b.prefix, in, out, g))
	}
	shape := []int{out, in / g, k, k}
	c := &Conv2d{Stride: max(o.Stride, 1), Dilation: max(o.Dilation, 1), Groups: g, Padding: o.Padding}
	c.Weight = b.Param("weight", KaimingNormalFanOut(tensor.Meta(shape...), g), shape...)
	if o.Bias {
		c.Bias = b.Param("bias", Zeros, out)
	}
	return c
}

// Forward applies the convolution.
func (l *Conv2d) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	k := l.Weight.Value.Shape[2]
	opts := autograd.Conv2dOpts{Stride: [2]int{l.Stride, l.Stride}, Dilation: [2]int{l.Dilation, l.Dilation}, Groups: l.Groups}
	switch l.Padding {
	case PadSymmetric:
		opts.Pad = autograd.SymmetricPad((k - 1) / 2 * l.Dilation)
	case PadSame:
		s := x.Value.Shape
		if len(s) != 4 {
			panic(fmt.Sprintf("nn: Conv2d %s: input %v is not NCHW", l.Weight.Name, s))
		}
		opts.Pad = autograd.SamePad(s[2], s[3], k, k, l.Stride, l.Stride, l.Dilation, l.Dilation)
	}
	var bias *autograd.Var
	if l.Bias != nil {
		bias = l.Bias.Var
	}
	return c.Tape.Conv2d(x, l.Weight.Var, bias, opts)
}

// BatchNorm normalises over the channel axis 1 with batch statistics in
// training and running statistics in evaluation (torch.nn.BatchNorm1d/2d).
type BatchNorm struct {
	Weight, Bias *Param
	State        *autograd.BatchNormState
	// Momentum and Eps follow PyTorch's convention: running =
	// (1-Momentum)·running + Momentum·batch. TF's decay 0.99 is 0.01 here.
	Momentum, Eps float32
}

// NewBatchNorm creates "<b>.weight" (ones), "<b>.bias" (zeros) and the
// buffers "<b>.running_mean", "<b>.running_var" of c channels.
func NewBatchNorm(b *Builder, c int, momentum, eps float32) *BatchNorm {
	bn := &BatchNorm{Weight: b.Param("weight", Ones, c), Bias: b.Param("bias", Zeros, c), Momentum: momentum, Eps: eps}
	if b.Meta() {
		bn.State = &autograd.BatchNormState{Mean: tensor.Meta(c), Var: tensor.Meta(c)}
	} else {
		bn.State = autograd.NewBatchNormState(c)
	}
	b.Buffer("running_mean", bn.State.Mean)
	b.Buffer("running_var", bn.State.Var)
	return bn
}

// Forward applies batch norm.
func (l *BatchNorm) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	return c.Tape.BatchNorm(x, l.Weight.Var, l.Bias.Var, l.State, autograd.BatchNormOpts{Train: c.Train, Momentum: l.Momentum, Eps: l.Eps})
}

// LayerNorm normalises over the last dimension (torch.nn.LayerNorm(d)).
type LayerNorm struct {
	Weight, Bias *Param
	Eps          float32
}

// NewLayerNorm creates "<b>.weight" (ones) and "<b>.bias" (zeros) of size d.
func NewLayerNorm(b *Builder, d int, eps float32) *LayerNorm {
	return &LayerNorm{Weight: b.Param("weight", Ones, d), Bias: b.Param("bias", Zeros, d), Eps: eps}
}

// Forward applies layer norm.
func (l *LayerNorm) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	return c.Tape.LayerNorm(x, l.Weight.Var, l.Bias.Var, l.Eps)
}

// Affine is ResMLP's normalisation-free "Aff": alpha·x + beta over the last
// dimension (timm resmlp Affine; parameters "alpha" and "beta").
type Affine struct {
	Alpha, Beta *Param
}

// NewAffine creates "<b>.alpha" (ones) and "<b>.beta" (zeros) of size d.
func NewAffine(b *Builder, d int) *Affine {
	return &Affine{Alpha: b.Param("alpha", Ones, d), Beta: b.Param("beta", Zeros, d)}
}

// Forward applies the affine map.
func (l *Affine) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	return c.Tape.Affine(x, l.Alpha.Var, l.Beta.Var)
}

// Dropout zeroes elements with probability Rate in training (inverted
// dropout, torch.nn.Dropout); it is the identity in evaluation.
type Dropout struct{ Rate float32 }

// Forward applies dropout when c.Train.
func (l Dropout) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	if !c.Train || l.Rate == 0 {
		return x
	}
	return c.Tape.Dropout(x, l.Rate, c.RNG)
}

// DropPath drops whole samples of a residual branch with probability Rate
// in training (stochastic depth, timm's DropPath); identity in evaluation.
type DropPath struct{ Rate float32 }

// Forward applies drop-path when c.Train.
func (l DropPath) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	if !c.Train || l.Rate == 0 {
		return x
	}
	return c.Tape.DropPath(x, l.Rate, c.RNG)
}
