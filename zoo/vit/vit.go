package vit

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Size is one row of ViT's Table 1: the shape of the transformer encoder.
type Size struct {
	Layers int // encoder blocks
	Dim    int // hidden size D, the width of every token
	MLP    int // hidden width of each block's MLP
	Heads  int // attention heads
}

// Table 1 of arXiv:2010.11929 (ViT-Base, -Large, -Huge). ViT-Ti and ViT-S
// are not in the paper: their rows are those of the authors' code
// (vit_jax/configs/models.py) and of DeiT's Table 1 (DeiT-Ti, DeiT-S; DeiT-B
// is ViT-B), which keeps the head dimension D/heads at 64 in every row.
var (
	//            layers  D    MLP  heads
	Tiny  = Size{12, 192, 768, 3}   // ViT-Ti, DeiT-Ti
	Small = Size{12, 384, 1536, 6}  // ViT-S, DeiT-S
	Base  = Size{12, 768, 3072, 12} // ViT-B, DeiT-B
	Large = Size{24, 1024, 4096, 16}
	Huge  = Size{32, 1280, 5120, 16}
	Twin  = Size{6, 64, 128, 4} // reduced scale: see twins below
)

// Config is one model of the family: an encoder size, the patch size P
// (the "/16" of ViT-B/16) and, for DeiT⚗, the distillation token.
type Config struct {
	Size
	Patch     int
	Distilled bool // DeiT's distillation token and head_dist
}

type row struct {
	name string
	img  int // native resolution: what timm's name ends with
	cfg  Config
}

// The timm models, one per row of ViT Tab. 1/Tab. 5 and DeiT Tab. 1/Tab. 5
// at the resolution each was published at (ViT fine-tunes at 384 and, for
// H/14 in Tab. 2, at 518; DeiT trains at 224 and fine-tunes B at 384).
// vit_huge_patch14_518 is not a timm model (timm has H/14 at 224 only); its
// name is the one of zoo/published.csv.
var rows = []row{
	// timm name                        img  Config{size, patch, distilled}
	{"vit_tiny_patch16_224", 224, Config{Tiny, 16, false}},
	{"vit_small_patch16_224", 224, Config{Small, 16, false}},
	{"vit_base_patch16_224", 224, Config{Base, 16, false}},
	{"vit_base_patch32_224", 224, Config{Base, 32, false}},
	{"vit_base_patch16_384", 384, Config{Base, 16, false}},
	{"vit_large_patch16_224", 224, Config{Large, 16, false}},
	{"vit_large_patch16_384", 384, Config{Large, 16, false}},
	{"vit_huge_patch14_224", 224, Config{Huge, 14, false}},
	{"vit_huge_patch14_518", 518, Config{Huge, 14, false}},
	{"deit_tiny_patch16_224", 224, Config{Tiny, 16, false}},
	{"deit_small_patch16_224", 224, Config{Small, 16, false}},
	{"deit_base_patch16_224", 224, Config{Base, 16, false}},
	{"deit_base_patch16_384", 384, Config{Base, 16, false}},
	{"deit_tiny_distilled_patch16_224", 224, Config{Tiny, 16, true}},
	{"deit_small_distilled_patch16_224", 224, Config{Small, 16, true}},
	{"deit_base_distilled_patch16_224", 224, Config{Base, 16, true}},
	{"deit_base_distilled_patch16_384", 384, Config{Base, 16, true}},
}

// The reduced-scale twins, the students of the DeiT replication: the same
// network (class token, learned position embedding, pre-norm blocks,
// distillation token for the distilled twin) with patch 4, so 28x28 gives
// a 7x7 grid of 49 patches and 32x32 an 8x8 grid of 64, and the Twin size:
// D 64, 6 blocks, 4 heads of 16, MLP ratio 2 (the paper's ratio is 4). They
// cost 11.8 M MACs per image at 28x28 (12.1 M distilled) and 16.2 M at
// 32x32 (16.5 M distilled), where 65 tokens make attention dearer (see the
// tests).
// ViT and DeiT twins are the same network; they differ in how the
// replication trains them.
var twins = []struct {
	name string
	cfg  Config
}{
	{"vit_tiny", Config{Twin, 4, false}},
	{"deit_tiny", Config{Twin, 4, false}},
	{"deit_tiny_distilled", Config{Twin, 4, true}},
}

// Variants lists the family: the timm ViT and DeiT models and the twins
// <name>_r28 (28x28x1) and <name>_r32 (32x32x3), all with timm's default
// drop rates (0).
func Variants() []arch.Variant {
	var v []arch.Variant
	for _, r := range rows {
		v = append(v, arch.Variant{Name: r.name, Family: "vit",
			Defaults: arch.Options{NumClasses: 1000, InChans: 3, ImgSize: r.img}, New: builder(r.cfg)})
	}
	for _, t := range twins {
		v = append(v,
			arch.Variant{Name: t.name + "_r28", Family: "vit", Twin: true,
				Defaults: arch.Options{NumClasses: 10, InChans: 1, ImgSize: 28}, New: builder(t.cfg)},
			arch.Variant{Name: t.name + "_r32", Family: "vit", Twin: true,
				Defaults: arch.Options{NumClasses: 10, InChans: 3, ImgSize: 32}, New: builder(t.cfg)})
	}
	return v
}

func builder(cfg Config) func(b *nn.Builder, o arch.Options) arch.Model {
	return func(b *nn.Builder, o arch.Options) arch.Model { return New(b, cfg, o) }
}

// VisionTransformer is the network (timm's VisionTransformer with the
// distillation token and head of VisionTransformerDistilled when
// Config.Distilled). A distilled model is returned by New wrapped as
// *Distilled, which adds ForwardBoth.
type VisionTransformer struct {
	Config
	InChans, ImgSize int
	Grid             int        // patches per side, ImgSize/Patch
	PatchEmbed       *nn.Conv2d // "patch_embed.proj": P×P conv, stride P, with bias
	ClsToken         *nn.Param  // [1, 1, D]
	PosEmbed         *nn.Param  // [1, prefix + Grid², D]
	DistToken        *nn.Param  // [1, 1, D], distilled models only
	Blocks           []*Block
	Norm             *nn.LayerNorm
	HeadDrop         nn.Dropout
	Head             *nn.Linear
	HeadDist         *nn.Linear // distilled models only
}

// Distilled is a DeiT⚗ model: Forward averages its two heads, ForwardBoth
// returns them apart.
type Distilled struct {
	*VisionTransformer
}

// Block is a pre-norm transformer encoder block (timm's Block without
// layer scale): x += DropPath(Attn(LN(x))); x += DropPath(MLP(LN(x))).
type Block struct {
	Norm1    *nn.LayerNorm
	Attn     *nn.Attention
	Norm2    *nn.LayerNorm
	Mlp      *nn.Mlp
	DropPath nn.DropPath
}

// LayerNorm epsilon of timm's ViT and DeiT (partial(nn.LayerNorm, eps=1e-6)).
const lnEps = 1e-6

// New builds cfg for o and returns a *VisionTransformer, or a *Distilled
// when cfg.Distilled. The image size must be a multiple of the patch size
// (timm's PatchEmbed asserts the input size too).
//
// Initialisation is timm's default weight_init mode: every linear layer,
// heads included, trunc-normal std 0.02 with zero biases; pos_embed and
// dist_token trunc-normal std 0.02; cls_token N(0, 1e-6²); LayerNorms ones
// and zeros; and patch_embed.proj left at PyTorch's Conv2d default,
// U(±1/√fan_in) for weight and bias (timm's init_weights_vit_timm touches
// only nn.Linear). The ViT paper attaches a zero-initialised head when
// fine-tuning (Sec. 3.2), as timm's 'jax' mode does; timm's default does
// not, nor do we.
//
// Stochastic depth rises linearly with depth from 0 to o.DropPath (timm's
// dpr, as DeiT trains). o.Dropout is timm's head dropout (drop_rate) on the
// class token before the head. Deviation: timm's distilled forward_head
// skips head_drop; we apply o.Dropout to both tokens, which is the same at
// timm's default rate 0.
func New(b *nn.Builder, cfg Config, o arch.Options) arch.Model {
	if cfg.Patch < 1 || o.ImgSize%cfg.Patch != 0 {
		panic(fmt.Sprintf("vit: image size %d is not a multiple of the patch size %d", o.ImgSize, cfg.Patch))
	}
	d := cfg.Dim
	m := &VisionTransformer{Config: cfg, InChans: o.InChans, ImgSize: o.ImgSize, Grid: o.ImgSize / cfg.Patch,
		HeadDrop: nn.Dropout{Rate: o.Dropout}}
	trunc := nn.TruncNormal(0.02)

	// State-dict order: the model's own parameters, then its modules.
	m.ClsToken = b.Param("cls_token", normal(1e-6), 1, 1, d)
	m.PosEmbed = b.Param("pos_embed", trunc, 1, m.prefix()+m.Grid*m.Grid, d)
	if cfg.Distilled {
		m.DistToken = b.Param("dist_token", trunc, 1, 1, d)
	}
	// timm's no_weight_decay: {pos_embed, cls_token, dist_token}.
	for _, p := range []*nn.Param{m.ClsToken, m.PosEmbed, m.DistToken} {
		if p != nil {
			p.NoDecay = true
		}
	}
	pb := b.Sub("patch_embed.proj")
	fanIn := o.InChans * cfg.Patch * cfg.Patch
	torchDefault := nn.Uniform(1 / math.Sqrt(float64(fanIn)))
	m.PatchEmbed = &nn.Conv2d{
		Weight: pb.Param("weight", torchDefault, d, o.InChans, cfg.Patch, cfg.Patch),
		Bias:   pb.Param("bias", torchDefault, d),
		Stride: cfg.Patch, Dilation: 1, Groups: 1, Padding: nn.PadValid,
	}
	rates := arch.DropPathRates(o.DropPath, cfg.Layers)
	for i := 0; i < cfg.Layers; i++ {
		bb := b.Subf("blocks.%d", i)
		m.Blocks = append(m.Blocks, &Block{
			Norm1:    nn.NewLayerNorm(bb.Sub("norm1"), d, lnEps),
			Attn:     nn.NewAttention(bb.Sub("attn"), d, cfg.Heads, true, trunc),
			Norm2:    nn.NewLayerNorm(bb.Sub("norm2"), d, lnEps),
			Mlp:      nn.NewMlp(bb.Sub("mlp"), d, cfg.MLP, d, nn.GELU, 0, trunc),
			DropPath: nn.DropPath{Rate: rates[i]},
		})
	}
	m.Norm = nn.NewLayerNorm(b.Sub("norm"), d, lnEps)
	m.Head = nn.NewLinear(b.Sub("head"), d, o.NumClasses, true, trunc)
	if cfg.Distilled {
		m.HeadDist = nn.NewLinear(b.Sub("head_dist"), d, o.NumClasses, true, trunc)
		return &Distilled{m}
	}
	return m
}

// normal draws from N(0, std²) (torch.nn.init.normal_).
func normal(std float64) nn.Init {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * std)
		}
	}
}

// prefix is the number of tokens before the patches: the class token and,
// in DeiT⚗, the distillation token.
func (m *VisionTransformer) prefix() int {
	if m.Distilled {
		return 2
	}
	return 1
}

func (blk *Block) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	tp := c.Tape
	x = tp.Add(x, blk.DropPath.Forward(c, blk.Attn.Forward(c, blk.Norm1.Forward(c, x), nil)))
	return tp.Add(x, blk.DropPath.Forward(c, blk.Mlp.Forward(c, blk.Norm2.Forward(c, x))))
}

// features returns the normalised tokens [N, prefix + Grid², D] of images
// x [N, C, H, W] (timm's forward_features).
func (m *VisionTransformer) features(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	s := x.Value.Shape
	if len(s) != 4 || s[1] != m.InChans || s[2] != m.ImgSize || s[3] != m.ImgSize {
		panic(fmt.Sprintf("vit: input %v, want [N %d %d %d] (SetImgSize moves a model to another size)", s, m.InChans, m.ImgSize, m.ImgSize))
	}
	tp := c.Tape
	n, d := s[0], m.Dim
	h := m.PatchEmbed.Forward(c, x)                            // [N, D, g, g]
	h = tp.Transpose(tp.Reshape(h, n, d, m.Grid*m.Grid), 1, 2) // [N, g², D]
	// toks lives on the stack (its tokens and h).
	var tbuf [3]*autograd.Var
	toks := append(tbuf[:0], tp.Expand(m.ClsToken.Var, n, 1, d)) // timm: cat then add
	if m.DistToken != nil {
		toks = append(toks, tp.Expand(m.DistToken.Var, n, 1, d))
	}
	h = tp.Add(tp.Concat(1, append(toks, h)...), m.PosEmbed.Var)
	c.Mark("stem", h)
	for i, blk := range m.Blocks {
		h = blk.forward(c, h)
		c.MarkIndexed("blocks.", i, h)
	}
	return m.Norm.Forward(c, h)
}

// token returns token i of h [N, T, D] as [N, D], after head dropout.
func (m *VisionTransformer) token(c *nn.Ctx, h *autograd.Var, i int) *autograd.Var {
	s := h.Value.Shape
	return m.HeadDrop.Forward(c, c.Tape.Reshape(c.Tape.Slice(h, 1, i, i+1, 1), s[0], s[2]))
}

// heads returns the class-token logits and, for a distilled model, the
// distillation-token logits (nil otherwise).
func (m *VisionTransformer) heads(c *nn.Ctx, x *autograd.Var) (cls, dist *autograd.Var) {
	h := m.features(c, x)
	cls = m.Head.Forward(c, m.token(c, h, 0))
	if m.HeadDist != nil {
		dist = m.HeadDist.Forward(c, m.token(c, h, 1))
	}
	return cls, dist
}

// Forward returns logits [N, classes] for images [N, C, H, W]: the class
// token's head or, for DeiT⚗, (head + head_dist)/2, as timm's
// VisionTransformerDistilled returns outside distilled training.
func (m *VisionTransformer) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	cls, dist := m.heads(c, x)
	if dist != nil {
		cls = c.Tape.Scale(c.Tape.Add(cls, dist), 0.5)
	}
	c.Mark("head", cls)
	return cls
}

// ForwardBoth returns the class-token and distillation-token logits, each
// [N, classes], as timm's VisionTransformerDistilled in distilled training.
func (m *Distilled) ForwardBoth(c *nn.Ctx, x *autograd.Var) (cls, dist *autograd.Var) {
	cls, dist = m.heads(c, x)
	c.Mark("head", cls)
	c.Mark("head_dist", dist)
	return cls, dist
}
