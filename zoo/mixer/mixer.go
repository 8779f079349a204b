package mixer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Block is the kind of residual block.
type Block int

const (
	// Mixer is the MLP-Mixer block (timm MixerBlock): x += MLP_S(LN(x)ᵀ)ᵀ;
	// x += MLP_C(LN(x)), LayerNorm eps 1e-6, GELU.
	Mixer Block = iota
	// ResMLP is the ResMLP block (timm ResBlock, arXiv:2105.03404 Eq. 1-2):
	// x += ls1·(A·Aff(x)ᵀ)ᵀ; x += ls2·MLP_C(Aff(x)), with a linear token
	// mixer A (S×S, with bias) and layer scales ls1, ls2. The paper writes
	// the post-branch scaling as a full Aff (α and β); the authors' code
	// and timm have α only (gamma_1, gamma_2 there, ls1, ls2 here), as we do.
	// Each Aff holds timm's alpha and beta as [D] (timm stores [1, 1, D]:
	// the same numbers, reshaped when loading timm weights).
	ResMLP
)

// Config is one row of the papers' tables.
type Config struct {
	Block  Block
	Layers int // number of blocks
	Patch  int // patch resolution P (stride and kernel of the stem)
	Hidden int // hidden size C (Mixer) or d (ResMLP)
	// TokenMLP is D_S, the hidden width of the token-mixing MLP (Mixer);
	// 0 for ResMLP, whose token mixer is a single S×S linear layer.
	TokenMLP int
	// ChannelMLP is D_C, the hidden width of the channel MLP (4C in both
	// papers).
	ChannelMLP int
	// LayerScale is the initial value of ResMLP's ls1 and ls2, chosen by
	// depth as in CaiT; 0 for Mixer, which has none.
	LayerScale float32
}

type row struct {
	Name string
	Config
}

// MLP-Mixer, Table 1 of arXiv:2105.01601 (one column of the paper's table
// per row here). timm spells D_S, D_C as mlp_ratio (0.5, 4.0) of C, which
// gives the same widths. Mixer-H/14 is not in timm; its name is the one of
// zoo/published.csv.
var mixers = []row{
	// name, Config{block, layers, patch P, hidden C, D_S, D_C, layer scale}
	{"mixer_s32_224", Config{Mixer, 8, 32, 512, 256, 2048, 0}},
	{"mixer_s16_224", Config{Mixer, 8, 16, 512, 256, 2048, 0}},
	{"mixer_b32_224", Config{Mixer, 12, 32, 768, 384, 3072, 0}},
	{"mixer_b16_224", Config{Mixer, 12, 16, 768, 384, 3072, 0}},
	{"mixer_l32_224", Config{Mixer, 24, 32, 1024, 512, 4096, 0}},
	{"mixer_l16_224", Config{Mixer, 24, 16, 1024, 512, 4096, 0}},
	{"mixer_h14_224", Config{Mixer, 32, 14, 1280, 640, 5120, 0}},
}

// ResMLP, Table 1 / Table 3 of arXiv:2105.03404 (channel MLP 4d), with the
// layer-scale initialisation of the authors' resmlp_models.py (S12 0.1,
// S24 1e-5, S36 1e-6, B24 1e-6). S36 is not in the paper's tables but in
// the authors' code and timm. ResMLP-B24 with patch 16 is the paper's row,
// not in timm (timm's resmlp_big_24_224 is B24/8).
//
// Deviation from timm: timm's resmlp_12_224 leaves ls1, ls2 at its ResBlock
// default 1e-4; we take the authors' 0.1 for S12 (the other depths agree).
var resmlps = []row{
	// name, Config{block, layers, patch P, hidden d, -, D_C = 4d, layer-scale init}
	{"resmlp_12_224", Config{ResMLP, 12, 16, 384, 0, 1536, 0.1}},
	{"resmlp_24_224", Config{ResMLP, 24, 16, 384, 0, 1536, 1e-5}},
	{"resmlp_36_224", Config{ResMLP, 36, 16, 384, 0, 1536, 1e-6}},
	{"resmlp_b24_patch16_224", Config{ResMLP, 24, 16, 768, 0, 3072, 1e-6}},
	{"resmlp_big_24_224", Config{ResMLP, 24, 8, 768, 0, 3072, 1e-6}},
}

// Reduced-scale twins, the same at 28x28x1 (49 tokens) and 32x32x3 (64
// tokens): patch 4, C 64 and 6 blocks for both kinds. Mixer-S keeps the
// paper's D_S = C/2 and D_C = 4C; ResMLP-S12 keeps its linear token mixer,
// 4C channel MLP and its layer-scale init 0.1 (CaiT's value for depth
// <= 18). Both cost about 10.7 M MACs per image at 28x28 (Mixer 10.89 M,
// ResMLP 10.61 M) and 14.35 M at 32x32 (TestTwinCost); a wider ResMLP
// (d 96) with the paper's 4d channel MLP would exceed 15 M MACs at 32x32
// with more than 3 blocks, so the twins trade width for depth.
var twins = []row{
	// name, Config{block, layers, patch P, hidden C, D_S, D_C, layer scale}
	{"mixer_s", Config{Mixer, 6, 4, 64, 32, 256, 0}},
	{"resmlp_12", Config{ResMLP, 6, 4, 64, 0, 256, 0.1}},
}

// Variants lists MLP-Mixer and ResMLP: the full-size rows of both papers and
// the twins <name>_r28 and <name>_r32.
func Variants() []arch.Variant {
	full := arch.Options{NumClasses: 1000, InChans: 3, ImgSize: 224}
	var v []arch.Variant
	for _, r := range append(append([]row{}, mixers...), resmlps...) {
		v = append(v, arch.Variant{Name: r.Name, Family: "mixer", Defaults: full, New: builder(r.Config)})
	}
	for _, r := range twins {
		v = append(v,
			arch.Variant{Name: r.Name + "_r28", Family: "mixer", Twin: true,
				Defaults: arch.Options{NumClasses: 10, InChans: 1, ImgSize: 28}, New: builder(r.Config)},
			arch.Variant{Name: r.Name + "_r32", Family: "mixer", Twin: true,
				Defaults: arch.Options{NumClasses: 10, InChans: 3, ImgSize: 32}, New: builder(r.Config)})
	}
	return v
}

func builder(cfg Config) func(b *nn.Builder, o arch.Options) arch.Model {
	return func(b *nn.Builder, o arch.Options) arch.Model { return New(b, cfg, o) }
}

// Net is an MLP-Mixer or a ResMLP.
type Net struct {
	Config
	Stem     *nn.Conv2d // "stem.proj": P×P conv with stride P and bias
	Blocks   []*block
	Norm     norm
	HeadDrop nn.Dropout
	Head     *nn.Linear
}

// norm is LayerNorm (Mixer) or Affine (ResMLP).
type norm interface {
	Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var
}

type block struct {
	kind         Block
	norm1, norm2 norm
	mlpTokens    *nn.Mlp    // Mixer
	linearTokens *nn.Linear // ResMLP
	mlpChannels  *nn.Mlp
	ls1, ls2     *nn.Param // ResMLP
	dropPath     nn.DropPath
}

// LayerNorm epsilon of timm's Mixer (partial(nn.LayerNorm, eps=1e-6)).
const lnEps = 1e-6

// New builds cfg for o. Initialisation follows timm's mlp_mixer
// _init_weights (its "jax-like" init): the stem conv LeCun-normal
// (truncated at 2σ), every linear but the head Xavier-uniform with biases
// N(0, 1e-6²) inside the MLPs and 0 elsewhere (linear_tokens), the head all
// zeros, norms and Affine ones and zeros, layer scales cfg.LayerScale.
//
// Stochastic depth: timm and the ResMLP authors' code apply the same rate
// o.DropPath to every block (not a linear rise); so do we. o.Dropout is
// timm's head dropout before the classifier.
func New(b *nn.Builder, cfg Config, o arch.Options) *Net {
	if o.ImgSize%cfg.Patch != 0 {
		panic(fmt.Sprintf("mixer: image size %d is not a multiple of patch %d", o.ImgSize, cfg.Patch))
	}
	tokens := (o.ImgSize / cfg.Patch) * (o.ImgSize / cfg.Patch)
	d := cfg.Hidden
	m := &Net{Config: cfg, HeadDrop: nn.Dropout{Rate: o.Dropout}}

	sb := b.Sub("stem.proj")
	m.Stem = &nn.Conv2d{
		Weight: sb.Param("weight", lecunNormal(o.InChans*cfg.Patch*cfg.Patch), d, o.InChans, cfg.Patch, cfg.Patch),
		Bias:   sb.Param("bias", nn.Zeros, d),
		Stride: cfg.Patch, Dilation: 1, Groups: 1, Padding: nn.PadValid,
	}
	for i := 0; i < cfg.Layers; i++ {
		bb := b.Subf("blocks.%d", i)
		blk := &block{kind: cfg.Block, dropPath: nn.DropPath{Rate: o.DropPath}}
		switch cfg.Block {
		case Mixer:
			blk.norm1 = nn.NewLayerNorm(bb.Sub("norm1"), d, lnEps)
			blk.mlpTokens = newMlp(bb.Sub("mlp_tokens"), tokens, cfg.TokenMLP)
			blk.norm2 = nn.NewLayerNorm(bb.Sub("norm2"), d, lnEps)
		case ResMLP:
			blk.norm1 = nn.NewAffine(bb.Sub("norm1"), d)
			blk.linearTokens = newLinear(bb.Sub("linear_tokens"), tokens, tokens, xavierUniform(tokens, tokens), nn.Zeros)
			blk.norm2 = nn.NewAffine(bb.Sub("norm2"), d)
		default:
			panic(fmt.Sprintf("mixer: unknown block kind %d", cfg.Block))
		}
		blk.mlpChannels = newMlp(bb.Sub("mlp_channels"), d, cfg.ChannelMLP)
		if cfg.Block == ResMLP {
			blk.ls1 = bb.Param("ls1", nn.Constant(cfg.LayerScale), d)
			blk.ls2 = bb.Param("ls2", nn.Constant(cfg.LayerScale), d)
		}
		m.Blocks = append(m.Blocks, blk)
	}
	if cfg.Block == Mixer {
		m.Norm = nn.NewLayerNorm(b.Sub("norm"), d, lnEps)
	} else {
		m.Norm = nn.NewAffine(b.Sub("norm"), d)
	}
	m.Head = newLinear(b.Sub("head"), d, o.NumClasses, nn.Zeros, nn.Zeros)
	return m
}

// newMlp is timm's Mlp in → hidden → in with GELU, initialised as timm's
// Mixer init: Xavier-uniform weights (fan_in + fan_out is the same for fc1
// and fc2) and N(0, 1e-6²) biases ('mlp' in the module name).
func newMlp(b *nn.Builder, in, hidden int) *nn.Mlp {
	w := xavierUniform(in, hidden)
	return &nn.Mlp{
		FC1: newLinear(b.Sub("fc1"), in, hidden, w, normal(1e-6)),
		FC2: newLinear(b.Sub("fc2"), hidden, in, w, normal(1e-6)),
		Act: nn.GELU,
	}
}

func newLinear(b *nn.Builder, in, out int, w, bias nn.Init) *nn.Linear {
	return &nn.Linear{Weight: b.Param("weight", w, out, in), Bias: b.Param("bias", bias, out)}
}

// xavierUniform is torch.nn.init.xavier_uniform_: U(-a, a) with
// a = √(6/(fan_in+fan_out)).
func xavierUniform(in, out int) nn.Init {
	return nn.Uniform(math.Sqrt(6 / float64(in+out)))
}

// normal draws from N(0, std²).
func normal(std float64) nn.Init {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * std)
		}
	}
}

// lecunNormal is timm's lecun_normal_: variance_scaling_(mode='fan_in',
// distribution='truncated_normal'), i.e. trunc_normal_tf_ with
// std = √(1/fan_in)/0.8796 (0.8796 is the std of a standard normal
// truncated to ±2), truncated at ±2 std.
func lecunNormal(fanIn int) nn.Init {
	std := math.Sqrt(1/float64(fanIn)) / 0.87962566103423978
	return func(rng *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data {
			for {
				v := rng.NormFloat64()
				if v >= -2 && v <= 2 {
					t.Data[i] = float32(v * std)
					break
				}
			}
		}
	}
}

func (blk *block) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	tp := c.Tape
	// Token mixing on [N, S, C] directly: timm's transpose, MLP or linear
	// over the last dimension, transpose back is the same layer applied over
	// the token axis (ForwardTokens), without copying x twice.
	y := blk.norm1.Forward(c, x)
	if blk.kind == Mixer {
		x = tp.Add(x, blk.dropPath.Forward(c, blk.mlpTokens.ForwardTokens(c, y)))
	} else {
		x = tp.LayerScaleAdd(x, blk.dropPath.Forward(c, blk.linearTokens.ForwardTokens(c, y)), blk.ls1.Var)
	}
	// Channel mixing on [N, S, C].
	h := blk.dropPath.Forward(c, channelMLP(c, blk.mlpChannels, blk.norm2.Forward(c, x)))
	if blk.ls2 != nil {
		return tp.LayerScaleAdd(x, h, blk.ls2.Var)
	}
	return tp.Add(x, h)
}

// channelMLP is m.Forward for newMlp's MLPs (GELU, no dropout) with fc1's
// GELU in its GEMM's epilogue (LinearAct), the same values without a pass
// over the hidden activations of its own.
func channelMLP(c *nn.Ctx, m *nn.Mlp, x *autograd.Var) *autograd.Var {
	h := c.Tape.LinearAct(x, m.FC1.Weight.Var, m.FC1.Bias.Var, kernels.ActGELU)
	return m.FC2.Forward(c, h)
}

// Forward returns logits [N, classes] for images [N, C, H, W].
func (m *Net) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	tp := c.Tape
	h := m.Stem.Forward(c, x) // [N, C, H/P, W/P]
	s := h.Value.Shape
	// timm's PatchEmbed: flatten(2).transpose(1, 2) to tokens [N, S, C].
	h = tp.Transpose(tp.Reshape(h, s[0], s[1], s[2]*s[3]), 1, 2)
	c.Mark("stem", h)
	for i, blk := range m.Blocks {
		h = blk.forward(c, h)
		c.MarkIndexed("blocks.", i, h)
	}
	h = tp.Mean(m.Norm.Forward(c, h), []int{1}, false) // global average over tokens
	logits := m.Head.Forward(c, m.HeadDrop.Forward(c, h))
	c.Mark("head", logits)
	return logits
}
