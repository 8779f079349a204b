package efficientnet

import (
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
)

// Row is one row of a stage table: Repeat blocks of one kind, as the
// papers' tables give them (timm's block strings, e.g.
// "ir_r2_k3_s2_e6_c24_se0.25" is {MBConv, 2, 3, 2, 6, 24, 0.25, nil}).
type Row struct {
	Block  BlockType
	Repeat int     // layers, before depth scaling
	Kernel int     // kxk of the depthwise (MBConv, DS) or full (Fused, ConvBNAct) conv
	Stride int     // of the first block of the row; the others have stride 1
	Expand float64 // expansion ratio (1 for DS and ConvBNAct)
	Out    int     // output channels, before width scaling
	SE     float64 // squeeze-excite ratio; 0: none
	Act    nn.Act  // nil: the network's default activation
}

// Config is a network of the family: a stem, stages of blocks and a head,
// with the width and depth multipliers that scale them. Specs applies the
// multipliers; it is the one scaling function of EfficientNet's compound
// scaling (the resolution is the variant's image size).
type Config struct {
	Stem      int     // stem channels (3x3 conv, stride 2), before width scaling
	FixStem   bool    // do not width-scale the stem (timm fix_stem)
	Stages    [][]Row // timm's blocks.<stage>.<block>; rows of a stage share its index
	Head      int     // channels of the 1x1 head conv (timm num_features)
	ScaleHead bool    // width-scale the head conv
	Width     float64 // width multiplier (timm channel_multiplier)
	Depth     float64 // depth multiplier (timm depth_multiplier)
	Act       nn.Act  // default activation
	// SE settings. SEAct nil uses the block's activation (EfficientNet's
	// SiLU); MobileNetV3 forces ReLU. SEFromExp selects MobileNetV3's rule,
	// reduced = MakeDivisible(expanded·ratio, 8), over EfficientNet's,
	// reduced = round(expanded·ratio/expand) = round(input·ratio).
	SEAct, SEGate nn.Act
	SEFromExp     bool
	Norm          Norm
}

// ScaleDepth scales the repeats of one stage's rows by depth as timm's
// _scale_stage_depth with depth_trunc="ceil": the stage's total repeats
// become ceil(total·depth), shared out over the rows in proportion, last
// row first, with Python's round-half-to-even.
func ScaleDepth(repeats []int, depth float64) []int {
	num := 0
	for _, r := range repeats {
		num += r
	}
	scaled := int(math.Ceil(float64(num) * depth))
	out := make([]int, len(repeats))
	for i := len(repeats) - 1; i >= 0; i-- {
		r := repeats[i]
		rs := max(1, pyRound(float64(r)/float64(num)*float64(scaled)))
		out[i] = rs
		num -= r
		scaled -= rs
	}
	return out
}

// Specs resolves cfg into its stem width and per-stage block specs: widths
// through RoundChannels(·, Width, 8), repeats through ScaleDepth, expanded
// widths as MakeDivisible(in·expand, 8), SE widths by cfg's rule, and
// stochastic depth rising as dropPath·i/n over the n blocks (timm's
// EfficientNetBuilder, whose denominator is n, not n-1).
func Specs(cfg Config, dropPath float32) (stem int, stages [][]BlockSpec) {
	round := func(c int) int { return RoundChannels(c, cfg.Width, 8) }
	stem = cfg.Stem
	if !cfg.FixStem {
		stem = round(stem)
	}
	depth := cfg.Depth
	if depth == 0 {
		depth = 1
	}
	in := stem
	for _, rows := range cfg.Stages {
		reps := make([]int, len(rows))
		for i, r := range rows {
			reps[i] = r.Repeat
		}
		reps = ScaleDepth(reps, depth)
		var stage []BlockSpec
		for i, r := range rows {
			for j := 0; j < reps[i]; j++ {
				s := BlockSpec{Type: r.Block, In: in, Out: round(r.Out), Kernel: r.Kernel, Stride: r.Stride,
					Act: r.Act, SEAct: cfg.SEAct, SEGate: cfg.SEGate}
				if len(stage) > 0 {
					s.Stride = 1
				}
				if s.Act == nil {
					s.Act = cfg.Act
				}
				expand := r.Expand
				switch r.Block {
				case DS, ConvBNAct:
					expand = 1
				case FusedMBConv:
					if expand == 1 {
						s.Type = ConvBNAct // see FusedMBConv
					}
				}
				s.Mid = MakeDivisible(float64(in)*expand, 8)
				if s.Type == DS || s.Type == ConvBNAct {
					s.Mid = in
				}
				s.Skip = s.Stride == 1 && s.In == s.Out && (s.Type != ConvBNAct || r.Block == FusedMBConv)
				if r.SE > 0 {
					if cfg.SEFromExp {
						s.SE = MakeDivisible(float64(s.Mid)*r.SE, 8)
					} else {
						s.SE = pyRound(float64(s.Mid) * (r.SE / expand))
					}
				}
				stage = append(stage, s)
				in = s.Out
			}
		}
		stages = append(stages, stage)
	}
	n, i := 0, 0
	for _, st := range stages {
		n += len(st)
	}
	for _, st := range stages {
		for j := range st {
			st[j].DropPath = dropPath * float32(i) / float32(n)
			i++
		}
	}
	return stem, stages
}

// HeadChannels returns the width of cfg's head conv.
func (cfg Config) HeadChannels() int {
	if cfg.ScaleHead {
		return RoundChannels(cfg.Head, cfg.Width, 8)
	}
	return cfg.Head
}

// Trunk is the stem and the stages of blocks (timm's conv_stem, bn1,
// blocks), shared by EfficientNet and MobileNetV3.
type Trunk struct {
	Stem   *ConvBN
	Blocks [][]Block
	Out    int // channels of the last block
}

// NewTrunk creates "conv_stem", "bn1" and "blocks.<i>.<j>" under b.
func NewTrunk(b *nn.Builder, cfg Config, inChans int, dropPath float32) *Trunk {
	stem, specs := Specs(cfg, dropPath)
	t := &Trunk{Stem: cfg.Norm.convBN(b, "conv_stem", "bn1", inChans, stem, 3, 2, 1, cfg.Act), Out: stem}
	for i, st := range specs {
		var blocks []Block
		for j, s := range st {
			blocks = append(blocks, NewBlock(b.Subf("blocks.%d.%d", i, j), s, cfg.Norm))
			t.Out = s.Out
		}
		t.Blocks = append(t.Blocks, blocks)
	}
	return t
}

// Forward runs the stem and every stage, marking "stem" and "blocks.<i>".
func (t *Trunk) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	x = t.Stem.Forward(c, x)
	c.Mark("stem", x)
	for i, st := range t.Blocks {
		for _, blk := range st {
			x = blk.Forward(c, x)
		}
		c.MarkIndexed("blocks.", i, x)
	}
	return x
}

// OneRowPerStage makes each row its own stage, as in EfficientNet's tables.
func OneRowPerStage(rows []Row) [][]Row {
	st := make([][]Row, len(rows))
	for i, r := range rows {
		st[i] = []Row{r}
	}
	return st
}
