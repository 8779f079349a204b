package nn

import (
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
)

// SqueezeExcite is the channel gate of SENet as MobileNetV3 and EfficientNet
// use it: global average pool, 1x1 conv "conv_reduce" (with bias), act,
// 1x1 conv "conv_expand" (with bias), gate, and a channel-wise multiply
// (timm's SqueezeExcite in _efficientnet_blocks.py).
type SqueezeExcite struct {
	Reduce, Expand *Conv2d
	Act, Gate      Act
}

// NewSqueezeExcite creates an SE block on c channels with rd reduced
// channels.
func NewSqueezeExcite(b *Builder, c, rd int, act, gate Act) *SqueezeExcite {
	return &SqueezeExcite{
		Reduce: NewConv2d(b.Sub("conv_reduce"), c, rd, 1, ConvOpts{Bias: true}),
		Expand: NewConv2d(b.Sub("conv_expand"), rd, c, 1, ConvOpts{Bias: true}),
		Act:    act, Gate: gate,
	}
}

// Forward gates x [N, C, H, W] channel-wise.
func (l *SqueezeExcite) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	s := x.Value.Shape
	se := c.Tape.Reshape(c.Tape.GlobalAvgPool(x), s[0], s[1], 1, 1)
	se = l.Act(c.Tape, l.Reduce.Forward(c, se))
	se = l.Gate(c.Tape, l.Expand.Forward(c, se))
	return c.Tape.Mul(x, se)
}

// Mlp is the transformer feed-forward block: fc1, act, dropout, fc2,
// dropout (timm's layers.Mlp; parameters "fc1", "fc2").
type Mlp struct {
	FC1, FC2 *Linear
	Act      Act
	Drop     Dropout
}

// NewMlp creates an MLP in → hidden → out with biases, weights initialised
// with init (timm's ViT: trunc-normal std 0.02).
func NewMlp(b *Builder, in, hidden, out int, act Act, drop float32, init Init) *Mlp {
	return &Mlp{
		FC1: NewLinear(b.Sub("fc1"), in, hidden, true, init),
		FC2: NewLinear(b.Sub("fc2"), hidden, out, true, init),
		Act: act, Drop: Dropout{Rate: drop},
	}
}

// Forward applies the MLP over the last dimension.
func (l *Mlp) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	h := l.Drop.Forward(c, l.Act(c.Tape, l.FC1.Forward(c, x)))
	return l.Drop.Forward(c, l.FC2.Forward(c, h))
}

// ForwardTokens applies the MLP over the second-to-last dimension of
// x [..., S, C], as Forward on x transposed and transposed back (MLP-Mixer's
// token mixing), without the transposes.
func (l *Mlp) ForwardTokens(c *Ctx, x *autograd.Var) *autograd.Var {
	h := l.Drop.Forward(c, l.Act(c.Tape, l.FC1.ForwardTokens(c, x)))
	return l.Drop.Forward(c, l.FC2.ForwardTokens(c, h))
}

// Attention is multi-head self-attention with one fused qkv projection and
// an output projection "proj" (timm's vision_transformer.Attention; also
// the window attention of Swin, which passes a bias).
type Attention struct {
	QKV, Proj *Linear
	Heads     int
	Scale     float32
	AttnDrop  Dropout
	ProjDrop  Dropout
}

// NewAttention creates attention over dim channels split into heads, with
// qkv bias if qkvBias.
func NewAttention(b *Builder, dim, heads int, qkvBias bool, init Init) *Attention {
	if dim%heads != 0 {
		panic("nn: Attention: dim not divisible by heads")
	}
	return &Attention{
		QKV:   NewLinear(b.Sub("qkv"), dim, 3*dim, qkvBias, init),
		Proj:  NewLinear(b.Sub("proj"), dim, dim, true, init),
		Heads: heads,
		Scale: float32(1 / math.Sqrt(float64(dim/heads))),
	}
}

// Forward attends over the tokens of x [B, N, C]. bias is nil or
// broadcastable to [B, heads, N, N] (as autograd.Attention documents).
// Attention dropout is not applied inside the fused op; a non-zero
// AttnDrop panics rather than being ignored.
func (l *Attention) Forward(c *Ctx, x, bias *autograd.Var) *autograd.Var {
	if l.AttnDrop.Rate != 0 && c.Train {
		panic("nn: Attention: attention-probability dropout is not supported by the fused op")
	}
	s := x.Value.Shape
	bsz, n, ch := s[0], s[1], s[2]
	hd := ch / l.Heads
	qkv := c.Tape.Reshape(l.QKV.Forward(c, x), bsz, n, 3, l.Heads, hd)
	qkv = c.Tape.Permute(qkv, 2, 0, 3, 1, 4) // [3, B, heads, N, hd]
	parts := c.Tape.Split(qkv, 0, 1, 1, 1)
	q := c.Tape.Reshape(parts[0], bsz, l.Heads, n, hd)
	k := c.Tape.Reshape(parts[1], bsz, l.Heads, n, hd)
	v := c.Tape.Reshape(parts[2], bsz, l.Heads, n, hd)
	o := c.Tape.Attention(q, k, v, l.Scale, bias)                 // [B, heads, N, hd]
	o = c.Tape.Reshape(c.Tape.Permute(o, 0, 2, 1, 3), bsz, n, ch) // [B, N, C]
	return l.ProjDrop.Forward(c, l.Proj.Forward(c, o))
}
