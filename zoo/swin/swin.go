package swin

import (
	"fmt"
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Size is one row of the paper's "Architecture Variants" (Sec. 3.3 of
// arXiv:2103.14030): the channel number C of the first stage (stage i has
// C·2^i), the number of blocks per stage, and the heads per stage (the
// paper fixes the head dimension d = 32, so stage i has C·2^i/32 heads).
type Size struct {
	Embed  int   // C
	Depths []int // blocks per stage ("layer numbers")
	Heads  []int // attention heads per stage
}

// Swin-T/S/B/L, Sec. 3.3 of arXiv:2103.14030 (configs/swin/*.yaml of
// microsoft/Swin-Transformer; timm's swin_*_patch4_* constructors).
var (
	// Size{C, depths, heads}
	tiny  = Size{96, []int{2, 2, 6, 2}, []int{3, 6, 12, 24}}
	small = Size{96, []int{2, 2, 18, 2}, []int{3, 6, 12, 24}}
	base  = Size{128, []int{2, 2, 18, 2}, []int{4, 8, 16, 32}}
	large = Size{192, []int{2, 2, 18, 2}, []int{6, 12, 24, 48}}
)

// twin is the reduced-scale Swin of the _r28 and _r32 twins: two stages
// (the paper's four would leave a 28x28 input with 1x1 tokens), C = 32
// with the paper's doubling at the patch merging, head dimension 16 (half
// the paper's 32, so that a 32-wide stage still has 2 heads), two blocks
// per stage so that each stage holds one W-MSA and one SW-MSA block.
var twin = Size{32, []int{2, 2}, []int{2, 4}}

// mlpRatio is the paper's α: the MLP hidden width is α·C in every variant.
const mlpRatio = 4

// lnEps is the LayerNorm epsilon of every norm (torch.nn.LayerNorm's
// default, which the paper's code and timm use).
const lnEps = 1e-5

// Config is everything that defines one Swin model.
type Config struct {
	Size
	Patch  int // side of the square patches embedded as tokens (4 in the paper)
	Window int // side M of the attention windows (7; 12 for the 384 fine-tunes)
}

// variant is one named model: a size, its patch and window, and its
// published input and classes.
type variant struct {
	name          string
	size          Size
	patch, window int
	img, in, cls  int
	twin          bool
}

// The timm variants (Tab. 1 of arXiv:2103.14030; Swin-L at 224 is in the
// paper's GitHub README) and the reduced-scale twins.
//
// The twins use 2x2 patches: 28x28 and 32x32 inputs give 14x14 and 16x16
// tokens. swin_tiny_r28 keeps the paper's window M = 7: stage 0 has 2x2
// windows (so the shifted block really shifts) and stage 1 (7x7 tokens)
// is one window without shift, as the last stage of Swin-T at 224.
// swin_tiny_r32 uses M = 4: 4x4 windows in stage 0 and 2x2 in stage 1,
// so every stage shifts.
var variants = []variant{
	// {name, size, patch, window, img, in, classes, twin}
	{"swin_tiny_patch4_window7_224", tiny, 4, 7, 224, 3, 1000, false},
	{"swin_small_patch4_window7_224", small, 4, 7, 224, 3, 1000, false},
	{"swin_base_patch4_window7_224", base, 4, 7, 224, 3, 1000, false},
	{"swin_base_patch4_window12_384", base, 4, 12, 384, 3, 1000, false},
	{"swin_large_patch4_window7_224", large, 4, 7, 224, 3, 1000, false},
	{"swin_large_patch4_window12_384", large, 4, 12, 384, 3, 1000, false},
	{"swin_tiny_r28", twin, 2, 7, 28, 1, 10, true},
	{"swin_tiny_r32", twin, 2, 4, 32, 3, 10, true},
}

// Variants returns every Swin variant under its timm name, and the twins.
// The default drop rates are 0 (the zoo's convention; the paper trains with
// stochastic depth 0.2/0.3/0.5 for T/S/B, and timm's class defaults to 0.1,
// which recipes set through Options.DropPath).
func Variants() []arch.Variant {
	vs := make([]arch.Variant, len(variants))
	for i, v := range variants {
		cfg := Config{Size: v.size, Patch: v.patch, Window: v.window}
		vs[i] = arch.Variant{
			Name:     v.name,
			Family:   "swin",
			Twin:     v.twin,
			Defaults: arch.Options{NumClasses: v.cls, InChans: v.in, ImgSize: v.img},
			New:      func(b *nn.Builder, o arch.Options) arch.Model { return New(b, cfg, o) },
		}
	}
	return vs
}

// Model is a Swin Transformer (timm's SwinTransformer).
type Model struct {
	PatchEmbed *nn.Conv2d    // patch_embed.proj: patch×patch conv, stride patch
	EmbedNorm  *nn.LayerNorm // patch_embed.norm
	Stages     []*Stage      // layers.<i>
	Norm       *nn.LayerNorm // norm
	HeadDrop   nn.Dropout    // timm's drop_rate, before the classifier
	Head       *nn.Linear    // head.fc
}

// Stage is one stage (timm's SwinTransformerStage): patch merging (stages
// 1..3) then blocks alternating W-MSA and SW-MSA.
//
// The paper's Fig. 3 and its first code release put the merging at the
// END of stages 1..3 (layers.<i>.downsample, i = 0..2); timm (from 0.9)
// moves it to the START of the next stage, so the same weights are named
// layers.<i+1>.downsample. The computation is identical; we follow timm.
type Stage struct {
	Downsample *PatchMerging // nil in stage 0
	Blocks     []*Block
	Res        int // token grid side inside the stage
}

// PatchMerging concatenates each 2×2 group of tokens (4C channels),
// normalises and projects them to 2C without bias (Sec. 3.1).
type PatchMerging struct {
	Norm      *nn.LayerNorm // norm over 4C
	Reduction *nn.Linear    // reduction: 4C → 2C, no bias
}

// Block is a Swin Transformer block (Eq. 3 of the paper): pre-norm
// (shifted) window attention and MLP, each with a residual connection.
type Block struct {
	Norm1, Norm2 *nn.LayerNorm
	Attn         *WindowAttention
	Mlp          *nn.Mlp
	DropPath     nn.DropPath
	Window       int           // window side used (the stage's grid if smaller than M)
	Shift        int           // cyclic shift ⌊M/2⌋ of SW-MSA blocks, 0 for W-MSA
	Mask         *autograd.Var // [nW, 1, N, N]: 0 within a region, -100 across; nil without shift
}

// WindowAttention is multi-head self-attention within each window, with a
// relative position bias B (Eq. 4): softmax(QKᵀ/√d + B)V. B for a pair of
// tokens is read from a learned table B̂ of (2M-1)² entries per head by
// their relative offset (Sec. 3.2, "Relative position bias").
type WindowAttention struct {
	QKV, Proj *nn.Linear
	Table     *nn.Param // relative_position_bias_table [(2M-1)², heads]
	Index     []int     // relative_position_index [N·N], N = M²
	Heads     int
	Scale     float32
}

// New builds a Swin model with cfg through b. Options are resolved (see
// arch.Variant.Resolve).
func New(b *nn.Builder, cfg Config, o arch.Options) *Model {
	nStages := len(cfg.Depths)
	if len(cfg.Heads) != nStages || nStages == 0 {
		panic(fmt.Sprintf("swin: %d depths and %d head counts", nStages, len(cfg.Heads)))
	}
	if o.ImgSize < cfg.Patch {
		panic(fmt.Sprintf("swin: image size %d is smaller than the patch %d", o.ImgSize, cfg.Patch))
	}
	m := &Model{HeadDrop: nn.Dropout{Rate: o.Dropout}}

	// Patch partition + linear embedding (Sec. 3.1) as one conv. timm
	// leaves this conv at PyTorch's default init (its ViT init only touches
	// nn.Linear): U(±1/√fan_in) for weight and bias.
	pb := b.Sub("patch_embed")
	fanIn := o.InChans * cfg.Patch * cfg.Patch
	bound := 1 / math.Sqrt(float64(fanIn))
	m.PatchEmbed = &nn.Conv2d{
		Weight:   pb.Sub("proj").Param("weight", nn.Uniform(bound), cfg.Embed, o.InChans, cfg.Patch, cfg.Patch),
		Bias:     pb.Sub("proj").Param("bias", nn.Uniform(bound), cfg.Embed),
		Stride:   cfg.Patch,
		Dilation: 1,
		Groups:   1,
		Padding:  nn.PadValid,
	}
	m.EmbedNorm = nn.NewLayerNorm(pb.Sub("norm"), cfg.Embed, lnEps)

	total := 0
	for _, d := range cfg.Depths {
		total += d
	}
	dpr := arch.DropPathRates(o.DropPath, total)
	res := o.ImgSize / cfg.Patch
	dim := cfg.Embed
	k := 0
	for i := range nStages {
		sb := b.Subf("layers.%d", i)
		s := &Stage{}
		if i > 0 {
			s.Downsample = &PatchMerging{
				Norm:      nn.NewLayerNorm(sb.Sub("downsample.norm"), 4*dim, lnEps),
				Reduction: nn.NewLinear(sb.Sub("downsample.reduction"), 4*dim, 2*dim, false, nn.TruncNormal(0.02)),
			}
			dim *= 2
			res = (res + 1) / 2 // PatchMerging pads odd sides (timm)
		}
		s.Res = res
		// timm's _calc_window_shift: a grid no larger than the window is
		// one window, and then nothing shifts.
		ws, shift := cfg.Window, cfg.Window/2
		if res <= ws {
			ws, shift = res, 0
		}
		var mask *autograd.Var
		if shift > 0 {
			mask = autograd.Const(shiftMask(roundUp(res, ws), ws, shift, b.Meta()))
		}
		for j := range cfg.Depths[i] {
			bb := sb.Subf("blocks.%d", j)
			blk := &Block{
				Norm1:    nn.NewLayerNorm(bb.Sub("norm1"), dim, lnEps),
				Attn:     newWindowAttention(bb.Sub("attn"), dim, cfg.Heads[i], ws),
				Norm2:    nn.NewLayerNorm(bb.Sub("norm2"), dim, lnEps),
				Mlp:      nn.NewMlp(bb.Sub("mlp"), dim, mlpRatio*dim, dim, nn.GELU, 0, nn.TruncNormal(0.02)),
				DropPath: nn.DropPath{Rate: dpr[k]},
				Window:   ws,
			}
			if j%2 == 1 { // every second block is SW-MSA (Fig. 3b)
				blk.Shift, blk.Mask = shift, mask
			}
			s.Blocks = append(s.Blocks, blk)
			k++
		}
		m.Stages = append(m.Stages, s)
	}
	m.Norm = nn.NewLayerNorm(b.Sub("norm"), dim, lnEps)
	m.Head = nn.NewLinear(b.Sub("head.fc"), dim, o.NumClasses, true, nn.TruncNormal(0.02))
	return m
}

func newWindowAttention(b *nn.Builder, dim, heads, ws int) *WindowAttention {
	if dim%heads != 0 {
		panic(fmt.Sprintf("swin: %s: dim %d not divisible by %d heads", b.Name("qkv"), dim, heads))
	}
	a := &WindowAttention{
		Table: b.Param("relative_position_bias_table", nn.TruncNormal(0.02), (2*ws-1)*(2*ws-1), heads),
		QKV:   nn.NewLinear(b.Sub("qkv"), dim, 3*dim, true, nn.TruncNormal(0.02)),
		Proj:  nn.NewLinear(b.Sub("proj"), dim, dim, true, nn.TruncNormal(0.02)),
		Index: relativePositionIndex(ws),
		Heads: heads,
		Scale: float32(1 / math.Sqrt(float64(dim/heads))),
	}
	// timm (>= 0.9) keeps this buffer out of the state dict
	// (persistent=False); the paper's code and torchvision save it.
	idx := tensor.Meta(ws*ws, ws*ws)
	if !b.Meta() {
		idx = tensor.New(ws*ws, ws*ws)
		for i, v := range a.Index {
			idx.Data[i] = float32(v)
		}
	}
	b.Buffer("relative_position_index", idx)
	return a
}

// relativePositionIndex returns, for every pair (i, j) of the ws² tokens of
// a window in row-major order, the row of the bias table for their offset:
// (Δy + ws-1)·(2ws-1) + (Δx + ws-1) with Δ = position(i) - position(j).
func relativePositionIndex(ws int) []int {
	n := ws * ws
	idx := make([]int, n*n)
	for i := range n {
		for j := range n {
			dy, dx := i/ws-j/ws, i%ws-j%ws
			idx[i*n+j] = (dy+ws-1)*(2*ws-1) + dx + ws - 1
		}
	}
	return idx
}

// shiftMask returns the SW-MSA attention mask [nW, 1, N, N] for a (padded)
// grid of side hp cut into ws-windows after a cyclic shift by shift (Sec.
// 3.2, "Efficient batch computation for shifted configuration"): the grid
// splits into 3×3 regions at -ws and -shift along each axis; a token pair
// from different regions gets -100, which the softmax turns into ~0.
// Shape-only when meta.
func shiftMask(hp, ws, shift int, meta bool) *tensor.Tensor {
	nw, n := (hp/ws)*(hp/ws), ws*ws
	if meta {
		return tensor.Meta(nw, 1, n, n)
	}
	region := func(p int) int { // 0, 1, 2 along one axis
		switch {
		case p < hp-ws:
			return 0
		case p < hp-shift:
			return 1
		}
		return 2
	}
	label := make([]int, hp*hp)
	for y := range hp {
		for x := range hp {
			label[y*hp+x] = 3*region(y) + region(x)
		}
	}
	mask := tensor.New(nw, 1, n, n)
	for w := range nw {
		wy, wx := w/(hp/ws), w%(hp/ws)
		at := func(t int) int { return label[(wy*ws+t/ws)*hp+wx*ws+t%ws] }
		for i := range n {
			for j := range n {
				if at(i) != at(j) {
					mask.Data[(w*n+i)*n+j] = -100
				}
			}
		}
	}
	return mask
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// Forward returns the logits [N, classes] of images x [N, C, H, W].
func (m *Model) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	t := c.Tape
	x = m.PatchEmbed.Forward(c, x)
	x = t.Permute(x, 0, 2, 3, 1) // tokens stay [B, H, W, C] (timm's NHWC)
	x = m.EmbedNorm.Forward(c, x)
	c.Mark("stem", x)
	for i, s := range m.Stages {
		x = s.Forward(c, x)
		c.MarkIndexed("stages.", i, x)
	}
	x = m.Norm.Forward(c, x)
	x = t.Mean(x, []int{1, 2}, false) // global average pool
	x = m.Head.Forward(c, m.HeadDrop.Forward(c, x))
	c.Mark("head", x)
	return x
}

// Forward runs the stage on tokens x [B, H, W, C].
func (s *Stage) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	if s.Downsample != nil {
		x = s.Downsample.Forward(c, x)
	}
	for _, blk := range s.Blocks {
		x = blk.Forward(c, x)
	}
	return x
}

// Forward merges 2×2 neighbours of x [B, H, W, C] into [B, ⌈H/2⌉, ⌈W/2⌉, 2C].
func (p *PatchMerging) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	t := c.Tape
	s := x.Value.Shape
	b, h, w, ch := s[0], s[1], s[2], s[3]
	if h%2 != 0 || w%2 != 0 { // timm pads the bottom row and right column with zeros
		x = t.Pad(x, []int{0, 0, 0, 0}, []int{0, h % 2, w % 2, 0}, 0)
		h, w = h+h%2, w+w%2
	}
	// Channel order (x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2],
	// x[1::2, 1::2]) as the paper's code: column offset outer, row inner.
	x = t.Reshape(x, b, h/2, 2, w/2, 2, ch)
	x = t.Permute(x, 0, 1, 3, 4, 2, 5)
	x = t.Reshape(x, b, h/2, w/2, 4*ch)
	return p.Reduction.Forward(c, p.Norm.Forward(c, x))
}

// Forward applies the block to tokens x [B, H, W, C].
func (blk *Block) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	t := c.Tape
	s := x.Value.Shape
	b, h, w, ch := s[0], s[1], s[2], s[3]
	ws := blk.Window
	y := blk.Norm1.Forward(c, x)
	if blk.Shift > 0 { // cyclic shift towards the top left
		y = t.Roll(y, []int{-blk.Shift, -blk.Shift}, []int{1, 2})
	}
	hp, wp := roundUp(h, ws), roundUp(w, ws)
	if hp != h || wp != w { // timm pads (after the shift) to whole windows
		y = t.Pad(y, []int{0, 0, 0, 0}, []int{0, hp - h, wp - w, 0}, 0)
	}
	nw := (hp / ws) * (wp / ws)
	y = t.Reshape(t.WindowPartition(y, ws), b, nw, ws*ws, ch)
	y = blk.Attn.Forward(c, y, blk.Mask)
	y = t.WindowReverse(t.Reshape(y, b*nw, ws, ws, ch), ws, hp, wp)
	if hp != h {
		y = t.Slice(y, 1, 0, h, 1)
	}
	if wp != w {
		y = t.Slice(y, 2, 0, w, 1)
	}
	if blk.Shift > 0 {
		y = t.Roll(y, []int{blk.Shift, blk.Shift}, []int{1, 2})
	}
	x = t.Add(x, blk.DropPath.Forward(c, y))
	return t.Add(x, blk.DropPath.Forward(c, blk.Mlp.Forward(c, blk.Norm2.Forward(c, x))))
}

// Forward attends within each window of x [B, nW, N, C]; mask is nil or
// [nW, 1, N, N], added to the relative position bias of every head.
func (a *WindowAttention) Forward(c *nn.Ctx, x, mask *autograd.Var) *autograd.Var {
	t := c.Tape
	s := x.Value.Shape
	b, nw, n, ch := s[0], s[1], s[2], s[3]
	hd := ch / a.Heads
	qkv := t.Reshape(a.QKV.Forward(c, x), b, nw, n, 3, a.Heads, hd)
	qkv = t.Permute(qkv, 3, 0, 1, 4, 2, 5) // [3, B, nW, heads, N, d]
	parts := t.Split(qkv, 0, 1, 1, 1)
	q := t.Reshape(parts[0], b, nw, a.Heads, n, hd)
	k := t.Reshape(parts[1], b, nw, a.Heads, n, hd)
	v := t.Reshape(parts[2], b, nw, a.Heads, n, hd)

	bias := t.IndexSelect(a.Table.Var, 0, a.Index) // [N·N, heads]
	bias = t.Permute(t.Reshape(bias, n, n, a.Heads), 2, 0, 1)
	if mask != nil {
		bias = t.Add(bias, mask) // [nW, heads, N, N]
	}
	o := t.Attention(q, k, v, a.Scale, bias)                 // [B, nW, heads, N, d]
	o = t.Reshape(t.Permute(o, 0, 1, 3, 2, 4), b, nw, n, ch) // heads back into channels
	return a.Proj.Forward(c, o)
}
