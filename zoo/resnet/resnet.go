// Package resnet builds ResNet (He et al., "Deep Residual Learning for Image
// Recognition", arXiv:1512.03385), the convolutional baseline of the zoo and
// the teacher of the DeiT replication. Layout and parameter names follow
// torchvision and timm (conv1, bn1, layer1.0.conv1, ..., fc), with the
// stride of a bottleneck on its 3x3 conv ("ResNet v1.5", as both do).
package resnet

import (
	"fmt"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Block is a residual block type.
type Block int

const (
	// Basic is two 3x3 convs (ResNet-18/34), expansion 1.
	Basic Block = iota
	// Bottleneck is 1x1, 3x3, 1x1 convs (ResNet-50/101/152), expansion 4.
	Bottleneck
)

func (b Block) expansion() int {
	if b == Bottleneck {
		return 4
	}
	return 1
}

// Config is one row of Table 1 of arXiv:1512.03385, plus the stem.
type Config struct {
	Block  Block
	Depths [4]int // blocks per stage (conv2_x .. conv5_x)
	Widths [4]int // base widths per stage (output = width × expansion)
	// SmallStem replaces the 7x7/2 conv and 3x3/2 max pool by one 3x3/1
	// conv, as CIFAR ResNets do (He et al. §4.2), for the 28/32-pixel twins.
	SmallStem bool
	StemWidth int
}

// Table 1 of arXiv:1512.03385.
var (
	//                 block       depths         widths
	resnet18 = Config{Basic, [4]int{2, 2, 2, 2}, [4]int{64, 128, 256, 512}, false, 64}
	resnet34 = Config{Basic, [4]int{3, 4, 6, 3}, [4]int{64, 128, 256, 512}, false, 64}
	resnet50 = Config{Bottleneck, [4]int{3, 4, 6, 3}, [4]int{64, 128, 256, 512}, false, 64}
	// Reduced twins: four stages of one basic block at a quarter of the
	// width, with the CIFAR stem: about 13 M MACs on 28x28 (see tests).
	resnet18Twin = Config{Basic, [4]int{1, 1, 1, 1}, [4]int{16, 32, 64, 128}, true, 16}
)

// Variants lists the ResNets of the zoo.
func Variants() []arch.Variant {
	full := arch.Options{NumClasses: 1000, InChans: 3, ImgSize: 224}
	v := []arch.Variant{
		{Name: "resnet18", Family: "resnet", Defaults: full, New: builder(resnet18)},
		{Name: "resnet34", Family: "resnet", Defaults: full, New: builder(resnet34)},
		{Name: "resnet50", Family: "resnet", Defaults: full, New: builder(resnet50)},
		{Name: "resnet18_r28", Family: "resnet", Twin: true, Defaults: arch.Options{NumClasses: 10, InChans: 1, ImgSize: 28}, New: builder(resnet18Twin)},
		{Name: "resnet18_r32", Family: "resnet", Twin: true, Defaults: arch.Options{NumClasses: 10, InChans: 3, ImgSize: 32}, New: builder(resnet18Twin)},
	}
	return v
}

func builder(cfg Config) func(b *nn.Builder, o arch.Options) arch.Model {
	return func(b *nn.Builder, o arch.Options) arch.Model { return New(b, cfg, o) }
}

// ResNet is the network.
type ResNet struct {
	cfg     Config
	Conv1   *nn.Conv2d
	BN1     *nn.BatchNorm
	Stages  [4][]*block
	Drop    nn.Dropout
	FC      *nn.Linear
	outChan int
}

type block struct {
	kind                Block
	conv1, conv2, conv3 *nn.Conv2d
	bn1, bn2, bn3       *nn.BatchNorm
	downConv            *nn.Conv2d
	downBN              *nn.BatchNorm
	dropPath            nn.DropPath
}

// BatchNorm settings of torchvision and timm ResNets.
const (
	bnMomentum = 0.1
	bnEps      = 1e-5
)

// New builds a ResNet from cfg. Initialisation follows torchvision:
// Kaiming-normal (fan-out) convs, unit BN scales, and PyTorch's default
// uniform init for fc. (timm additionally zero-initialises the last BN scale
// of each block; torchvision does not by default, and neither do we, so
// that every weight receives a gradient from the first step.)
func New(b *nn.Builder, cfg Config, o arch.Options) *ResNet {
	r := &ResNet{cfg: cfg}
	if cfg.SmallStem {
		r.Conv1 = nn.NewConv2d(b.Sub("conv1"), o.InChans, cfg.StemWidth, 3, nn.ConvOpts{})
	} else {
		r.Conv1 = nn.NewConv2d(b.Sub("conv1"), o.InChans, cfg.StemWidth, 7, nn.ConvOpts{Stride: 2})
	}
	r.BN1 = nn.NewBatchNorm(b.Sub("bn1"), cfg.StemWidth, bnMomentum, bnEps)
	total := cfg.Depths[0] + cfg.Depths[1] + cfg.Depths[2] + cfg.Depths[3]
	rates := arch.DropPathRates(o.DropPath, total)
	in, idx := cfg.StemWidth, 0
	for s := 0; s < 4; s++ {
		for i := 0; i < cfg.Depths[s]; i++ {
			stride := 1
			if s > 0 && i == 0 {
				stride = 2
			}
			bb := b.Subf("layer%d.%d", s+1, i)
			blk := newBlock(bb, cfg.Block, in, cfg.Widths[s], stride)
			blk.dropPath = nn.DropPath{Rate: rates[idx]}
			r.Stages[s] = append(r.Stages[s], blk)
			in = cfg.Widths[s] * cfg.Block.expansion()
			idx++
		}
	}
	r.outChan = in
	r.Drop = nn.Dropout{Rate: o.Dropout}
	r.FC = nn.NewLinear(b.Sub("fc"), in, o.NumClasses, true, nil)
	return r
}

func newBlock(b *nn.Builder, kind Block, in, width, stride int) *block {
	out := width * kind.expansion()
	blk := &block{kind: kind}
	switch kind {
	case Basic:
		blk.conv1 = nn.NewConv2d(b.Sub("conv1"), in, width, 3, nn.ConvOpts{Stride: stride})
		blk.bn1 = nn.NewBatchNorm(b.Sub("bn1"), width, bnMomentum, bnEps)
		blk.conv2 = nn.NewConv2d(b.Sub("conv2"), width, width, 3, nn.ConvOpts{})
		blk.bn2 = nn.NewBatchNorm(b.Sub("bn2"), width, bnMomentum, bnEps)
	case Bottleneck:
		blk.conv1 = nn.NewConv2d(b.Sub("conv1"), in, width, 1, nn.ConvOpts{})
		blk.bn1 = nn.NewBatchNorm(b.Sub("bn1"), width, bnMomentum, bnEps)
		blk.conv2 = nn.NewConv2d(b.Sub("conv2"), width, width, 3, nn.ConvOpts{Stride: stride})
		blk.bn2 = nn.NewBatchNorm(b.Sub("bn2"), width, bnMomentum, bnEps)
		blk.conv3 = nn.NewConv2d(b.Sub("conv3"), width, out, 1, nn.ConvOpts{})
		blk.bn3 = nn.NewBatchNorm(b.Sub("bn3"), out, bnMomentum, bnEps)
	default:
		panic(fmt.Sprintf("resnet: unknown block type %d", kind))
	}
	if stride != 1 || in != out {
		blk.downConv = nn.NewConv2d(b.Sub("downsample.0"), in, out, 1, nn.ConvOpts{Stride: stride})
		blk.downBN = nn.NewBatchNorm(b.Sub("downsample.1"), out, bnMomentum, bnEps)
	}
	return blk
}

func (blk *block) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	tp := c.Tape
	h := tp.ReLU(blk.bn1.Forward(c, blk.conv1.Forward(c, x)))
	h = blk.bn2.Forward(c, blk.conv2.Forward(c, h))
	if blk.kind == Bottleneck {
		h = blk.bn3.Forward(c, blk.conv3.Forward(c, tp.ReLU(h)))
	}
	short := x
	if blk.downConv != nil {
		short = blk.downBN.Forward(c, blk.downConv.Forward(c, x))
	}
	return tp.ReLU(tp.Add(blk.dropPath.Forward(c, h), short))
}

// Forward returns logits [N, classes] for images [N, C, H, W].
func (r *ResNet) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	tp := c.Tape
	h := tp.ReLU(r.BN1.Forward(c, r.Conv1.Forward(c, x)))
	if !r.cfg.SmallStem {
		h = tp.MaxPool2d(h, [2]int{3, 3}, autograd.PoolOpts{Stride: [2]int{2, 2}, Pad: autograd.SymmetricPad(1)})
	}
	c.Mark("stem", h)
	for s, blocks := range r.Stages {
		for _, blk := range blocks {
			h = blk.forward(c, h)
		}
		c.MarkIndexed("layer", s+1, h)
	}
	logits := r.FC.Forward(c, r.Drop.Forward(c, tp.GlobalAvgPool(h)))
	c.Mark("head", logits)
	return logits
}
