package regnet

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Config is one point of the RegNet design space (Sec. 3.3 of
// arXiv:2003.13678) plus the fixed parts of the network around it.
type Config struct {
	Depth       int     // d: number of blocks
	W0          int     // w0: initial width, a multiple of 8
	WA          float64 // wa: slope of the linear widths u_j = w0 + wa·j
	WM          float64 // wm: width ratio between consecutive stages
	GroupWidth  int     // g: channels per group of the 3x3 conv
	BottleRatio float64 // b: bottleneck ratio (1 in RegNetX and RegNetY)
	SERatio     float64 // SE width as a fraction of the block's input width (RegNetY: 0.25; RegNetX: 0)
	StemWidth   int     // the 3x3 stem conv's output channels (32)
	// StemStride is 2 in the paper. The 28/32-pixel twins use 1, as CIFAR
	// ResNets do (He et al. §4.2), so that four stride-2 stages still leave
	// a 2x2 map.
	StemStride int
}

// The RegNetY-200MF .. 32GF models of the paper, with their d, w0, wa, wm
// and g as released in pycls's model zoo (timm's model_cfgs hold the same
// numbers), under timm's names. timm's suffix is the model's flops in units of 10^8.
var table = []struct {
	name   string
	d, w0  int
	wa, wm float64
	g      int
}{
	// name          d   w0   wa      wm    g
	{"regnety_002", 13, 24, 36.44, 2.49, 8},     // RegNetY-200MF
	{"regnety_004", 16, 48, 27.89, 2.09, 8},     // RegNetY-400MF
	{"regnety_008", 14, 56, 38.84, 2.4, 16},     // RegNetY-800MF
	{"regnety_016", 27, 48, 20.71, 2.65, 24},    // RegNetY-1.6GF
	{"regnety_032", 21, 80, 42.63, 2.66, 24},    // RegNetY-3.2GF
	{"regnety_040", 22, 96, 31.41, 2.24, 64},    // RegNetY-4.0GF
	{"regnety_080", 17, 192, 76.82, 2.19, 56},   // RegNetY-8.0GF
	{"regnety_160", 18, 200, 106.23, 2.48, 112}, // RegNetY-16GF, DeiT's teacher
	{"regnety_320", 20, 232, 115.89, 2.53, 232}, // RegNetY-32GF
}

// Twin is the reduced point of the RegNetY space behind regnety_r28 and
// regnety_r32: d=10, w0=24, wa=16, wm=2, g=8 gives four stages, like every
// full-size RegNet, of widths 24, 48, 96, 192 and depths 1, 2, 4, 3 (widths
// doubling from stage to stage, depth growing towards the later stages, as
// in the paper's models), with SE and 8-channel groups. Its stem has stride
// 1 (see Config.StemStride).
var Twin = Config{Depth: 10, W0: 24, WA: 16, WM: 2, GroupWidth: 8, BottleRatio: 1, SERatio: 0.25, StemWidth: 32, StemStride: 1}

// regnetY is the RegNetY design space: b = 1, SE ratio 0.25, a 32-channel
// stride-2 stem (Sec. 3.3 and 4 of the paper; timm's RegNetCfg defaults).
func regnetY(d, w0 int, wa, wm float64, g int) Config {
	return Config{Depth: d, W0: w0, WA: wa, WM: wm, GroupWidth: g, BottleRatio: 1, SERatio: 0.25, StemWidth: 32, StemStride: 2}
}

// Variants lists RegNetY-200MF .. 32GF and the twins.
func Variants() []arch.Variant {
	full := arch.Options{NumClasses: 1000, InChans: 3, ImgSize: 224}
	var v []arch.Variant
	for _, r := range table {
		v = append(v, arch.Variant{Name: r.name, Family: "regnet", Defaults: full, New: builder(regnetY(r.d, r.w0, r.wa, r.wm, r.g))})
	}
	return append(v,
		arch.Variant{Name: "regnety_r28", Family: "regnet", Twin: true, Defaults: arch.Options{NumClasses: 10, InChans: 1, ImgSize: 28}, New: builder(Twin)},
		arch.Variant{Name: "regnety_r32", Family: "regnet", Twin: true, Defaults: arch.Options{NumClasses: 10, InChans: 3, ImgSize: 32}, New: builder(Twin)},
	)
}

func builder(cfg Config) func(b *nn.Builder, o arch.Options) arch.Model {
	return func(b *nn.Builder, o arch.Options) arch.Model { return New(b, cfg, o) }
}

// Stage is a run of Depth blocks of output width Width whose 3x3 convs have
// GroupWidth channels per group; its first block has stride 2.
type Stage struct {
	Width, Depth, GroupWidth int
}

// quant is the multiple every block width is rounded to (pycls's q = 8).
const quant = 8

// Stages generates the network's stages from the design-space parameters:
// per block j < d the linear width u_j = w0 + wa·j (Eq. 2), its exponent
// s_j = round(log(u_j/w0) / log(wm)) (Eq. 3), the quantised width
// w_j = w0·wm^s_j rounded to a multiple of 8 (Eq. 4 and pycls); blocks of
// equal width form a stage. Last, each stage's bottleneck width w·b and group
// width are made compatible as pycls's adjust_ws_gs_comp does: g = min(g,
// w·b), and w·b rounded to the nearest multiple of g (Python's round, halves
// to even). torchvision instead rounds with _make_divisible, which never
// rounds down by more than 10%, so its regnet_y_800mf and regnet_y_8gf have
// wider stages than the paper's and timm's models (see the tests).
func (c Config) Stages() []Stage {
	if c.W0 <= 0 || c.W0%quant != 0 || c.WA < 0 || c.WM <= 1 || c.Depth < 1 || c.GroupWidth < 1 || c.BottleRatio <= 0 {
		panic(fmt.Sprintf("regnet: invalid design-space parameters %+v", c))
	}
	w0 := float64(c.W0)
	var st []Stage
	for j := 0; j < c.Depth; j++ {
		u := float64(j)*c.WA + w0
		s := math.RoundToEven(math.Log(u/w0) / math.Log(c.WM))
		w := int(math.RoundToEven(w0*math.Pow(c.WM, s)/quant)) * quant
		if n := len(st); n > 0 && st[n-1].Width == w {
			st[n-1].Depth++
		} else {
			st = append(st, Stage{Width: w, Depth: 1, GroupWidth: c.GroupWidth})
		}
	}
	for i := range st {
		bot := int(float64(st[i].Width) * c.BottleRatio)
		g := min(st[i].GroupWidth, bot)
		bot = int(math.RoundToEven(float64(bot)/float64(g))) * g
		st[i].Width, st[i].GroupWidth = int(float64(bot)/c.BottleRatio), g
	}
	return st
}

// BatchNorm settings of timm's (PyTorch's default) BatchNorm2d.
const (
	bnMomentum = 0.1
	bnEps      = 1e-5
)

// convBN is timm's ConvNormAct: conv (no bias), batch norm, optional ReLU.
// Its parameters are "<name>.conv.weight" and "<name>.bn.*".
type convBN struct {
	conv *nn.Conv2d
	bn   *nn.BatchNorm
	relu bool
}

func newConvBN(b *nn.Builder, in, out, k, stride, groups int, relu bool) *convBN {
	return &convBN{
		conv: nn.NewConv2d(b.Sub("conv"), in, out, k, nn.ConvOpts{Stride: stride, Groups: groups}),
		bn:   nn.NewBatchNorm(b.Sub("bn"), out, bnMomentum, bnEps),
		relu: relu,
	}
}

func (l *convBN) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	x = l.bn.Forward(c, l.conv.Forward(c, x))
	if l.relu {
		x = c.Tape.ReLU(x)
	}
	return x
}

// block is RegNet's X block (residual bottleneck with a grouped 3x3 conv,
// Fig. 4 of the paper) plus, for RegNetY, squeeze-excitation after the 3x3
// conv (Sec. 4): conv1 1x1, conv2 3x3 (stride, groups), se, conv3 1x1,
// added to the shortcut (a 1x1 conv + BN where the shape changes), ReLU.
type block struct {
	conv1, conv2, conv3 *convBN
	se                  *nn.SqueezeExcite
	down                *convBN
	dropPath            nn.DropPath
}

func newBlock(b *nn.Builder, cfg Config, in, out, stride, groupWidth int, dropPath float32) *block {
	bot := int(math.RoundToEven(float64(out) * cfg.BottleRatio))
	blk := &block{
		conv1:    newConvBN(b.Sub("conv1"), in, bot, 1, 1, 1, true),
		conv2:    newConvBN(b.Sub("conv2"), bot, bot, 3, stride, bot/groupWidth, true),
		conv3:    newConvBN(b.Sub("conv3"), bot, out, 1, 1, 1, false),
		dropPath: nn.DropPath{Rate: dropPath},
	}
	if cfg.SERatio > 0 {
		// The SE width is a fraction of the block's input width, not of
		// the bottleneck it gates (pycls, timm and torchvision alike).
		// timm's SEModule: fc1, ReLU, fc2, sigmoid, with biases.
		rd := int(math.RoundToEven(float64(in) * cfg.SERatio))
		blk.se = &nn.SqueezeExcite{
			Reduce: nn.NewConv2d(b.Sub("se.fc1"), bot, rd, 1, nn.ConvOpts{Bias: true}),
			Expand: nn.NewConv2d(b.Sub("se.fc2"), rd, bot, 1, nn.ConvOpts{Bias: true}),
			Act:    nn.ReLU, Gate: nn.Sigmoid,
		}
	}
	if in != out || stride != 1 {
		blk.down = newConvBN(b.Sub("downsample"), in, out, 1, stride, 1, false)
	}
	return blk
}

func (blk *block) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	h := blk.conv2.forward(c, blk.conv1.forward(c, x))
	if blk.se != nil {
		h = blk.se.Forward(c, h)
	}
	h = blk.dropPath.Forward(c, blk.conv3.forward(c, h))
	short := x
	if blk.down != nil {
		short = blk.down.forward(c, x)
	}
	return c.Tape.ReLU(c.Tape.Add(h, short))
}

// RegNet is the network: stem, stages s1..sN, global pool and classifier.
type RegNet struct {
	Config Config
	Stages []Stage
	stem   *convBN
	blocks [][]*block
	drop   nn.Dropout
	fc     *nn.Linear
}

// New builds the network cfg describes. Initialisation is timm's: convs
// N(0, 2/fan_out) with fan_out = k·k·out/groups (SE convs too, with zero
// biases), BN scales 1 and shifts 0, the classifier N(0, 0.01²) with a zero
// bias. timm also zeroes each block's last BN scale (zero_init_last); pycls
// (BN.ZERO_INIT_FINAL_GAMMA defaults to False) and torchvision do not, and
// neither do we, so that every weight receives a gradient from the first
// step.
func New(b *nn.Builder, cfg Config, o arch.Options) *RegNet {
	r := &RegNet{Config: cfg, Stages: cfg.Stages()}
	r.stem = newConvBN(b.Sub("stem"), o.InChans, cfg.StemWidth, 3, cfg.StemStride, 1, true)
	total := 0
	for _, s := range r.Stages {
		total += s.Depth
	}
	rates := arch.DropPathRates(o.DropPath, total)
	in, idx := cfg.StemWidth, 0
	for i, s := range r.Stages {
		var blocks []*block
		for j := 0; j < s.Depth; j++ {
			stride := 1
			if j == 0 {
				stride = 2
			}
			blocks = append(blocks, newBlock(b.Subf("s%d.b%d", i+1, j+1), cfg, in, s.Width, stride, s.GroupWidth, rates[idx]))
			in = s.Width
			idx++
		}
		r.blocks = append(r.blocks, blocks)
	}
	r.drop = nn.Dropout{Rate: o.Dropout}
	r.fc = nn.NewLinear(b.Sub("head.fc"), in, o.NumClasses, true, normal(0.01))
	return r
}

// normal draws from N(0, std²) (the classifier's init; NewLinear zeroes
// the bias when given an init).
func normal(std float64) nn.Init {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * std)
		}
	}
}

// Forward returns logits [N, classes] for images [N, C, H, W]. Stages are
// marked with timm's module names (s1, s2, ...), so that per-stage
// parameter counts match the parameter names.
func (r *RegNet) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	h := r.stem.forward(c, x)
	c.Mark("stem", h)
	for i, blocks := range r.blocks {
		for _, blk := range blocks {
			h = blk.forward(c, h)
		}
		c.MarkIndexed("s", i+1, h)
	}
	logits := r.fc.Forward(c, r.drop.Forward(c, c.Tape.GlobalAvgPool(h)))
	c.Mark("head", logits)
	return logits
}
