package nasnet

import (
	"fmt"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Stem is the layer(s) in front of the first normal cell.
type Stem int

const (
	// ImageNetStem is slim's _imagenet_stem: conv0, a 3x3 stride-2 "VALID"
	// conv of 32·StemMult filters and BN (no ReLU), then two reduction
	// cells, cell_stem_0 and cell_stem_1, with 1/4 and 1/2 of the first
	// stack's filters (timm's CellStem0/CellStem1 are the reduction cell).
	ImageNetStem Stem = iota
	// CIFARStem is slim's _cifar_stem: one 3x3 stride-1 "SAME" conv of
	// filters·StemMult channels and BN, for 32x32 (and here 28x28) inputs.
	CIFARStem
)

// Config is one NASNet: the paper's "N @ F" and the slim hyper-parameters
// that change between its ImageNet and CIFAR models.
type Config struct {
	N        int     // normal cells per stack; 3 stacks, 2 reduction cells between them
	F        int     // filters of the penultimate layer; NASNet-A's normal cell concatenates 6 states after two doublings, so num_conv_filters = F/24
	Stem     Stem    // ImageNet or CIFAR stem
	StemMult float64 // slim's stem_multiplier
	// SkipReductionInput is slim's skip_reduction_layer_input: the normal
	// cell after a reduction takes as h_{i-1} the cell before the
	// reduction's input (large), rather than the reduction's input (mobile,
	// CIFAR).
	SkipReductionInput bool
	// Normal and Reduction are the cells; zero values mean NASNet-A's.
	Normal, Reduction Cell
}

// Filters returns slim's num_conv_filters, the filters of each hidden state
// in the first stack: F/24.
func (c Config) Filters() int { return c.F / 24 }

// NASNet-A on ImageNet: N @ F of Tab. 2 (Large, 331x331) and Tab. 3 (Mobile,
// 224x224) of arXiv:1707.07012, with the other settings of slim's
// nasnet.py (large_imagenet_config, mobile_imagenet_config). The twins are
// the same network with the CIFAR stem of slim's cifar_config (stem
// multiplier 3) and N = 2 as in the paper's search (Sec. 4.1), narrowed to
// about 13M MACs per image: num_conv_filters 6 at 32x32, 7 at 28x28.
var configs = []struct {
	name    string
	cfg     Config
	img, in int
	classes int
	twin    bool
}{
	// name, {N, F, stem, stem multiplier, skip reduction input}, image size, channels, classes, twin
	{"nasnetalarge", Config{N: 6, F: 4032, Stem: ImageNetStem, StemMult: 3, SkipReductionInput: true}, 331, 3, 1000, false},
	{"nasnetamobile", Config{N: 4, F: 1056, Stem: ImageNetStem, StemMult: 1, SkipReductionInput: false}, 224, 3, 1000, false},
	{"nasnet_mobile_r32", Config{N: 2, F: 144, Stem: CIFARStem, StemMult: 3, SkipReductionInput: false}, 32, 3, 10, true},
	{"nasnet_mobile_r28", Config{N: 2, F: 168, Stem: CIFARStem, StemMult: 3, SkipReductionInput: false}, 28, 1, 10, true},
}

// Variants returns the full-size models under timm's names (nasnetamobile,
// which timm lacks, under its name in zoo/published.csv) and their
// reduced-scale twins.
func Variants() []arch.Variant {
	vs := make([]arch.Variant, len(configs))
	for i, r := range configs {
		cfg := r.cfg
		vs[i] = arch.Variant{
			Name:     r.name,
			Family:   "nasnet",
			Twin:     r.twin,
			Defaults: arch.Options{NumClasses: r.classes, InChans: r.in, ImgSize: r.img},
			New:      func(b *nn.Builder, o arch.Options) arch.Model { return New(b, cfg, o) },
		}
	}
	return vs
}

// Model is a NASNet.
type Model struct {
	cfg        Config
	conv0      *actConvBn
	cells      []plannedCell
	stageEnds  []int // index in cells of the last cell of each stack
	stemEnd    int   // index in cells of the last stem cell, -1 for none
	head       *nn.Linear
	drop       nn.Dropout
	dropPath   float32 // the final drop-path rate, 1 - slim's drop_path_keep_prob
	totalCells int     // slim's total_num_cells
	progress   float32
}

// plannedCell is a cell and where its inputs come from: indices into the
// list of outputs [none, stem conv, cell, cell, ...]; index 0 is "none".
type plannedCell struct {
	name      string
	m         *cellMod
	cur, prev int
}

// New builds a NASNet from cfg for options o (fully resolved).
func New(b *nn.Builder, cfg Config, o arch.Options) *Model {
	if err := o.Validate(); err != nil {
		panic("nasnet: " + err.Error())
	}
	normal, reduction := cfg.Normal, cfg.Reduction
	if normal.Blocks == nil {
		normal = NASNetANormal
	}
	if reduction.Blocks == nil {
		reduction = NASNetAReduction
	}
	filters := cfg.Filters()
	if cfg.N < 1 || filters < 1 || (cfg.Stem == ImageNetStem && filters < 4) {
		panic(fmt.Sprintf("nasnet: %d @ %d: want N >= 1 and F >= 24 (96 with the ImageNet stem, whose first cell has F/96 filters)", cfg.N, cfg.F))
	}
	m := &Model{cfg: cfg, drop: nn.Dropout{Rate: o.Dropout}, dropPath: o.DropPath, stemEnd: -1}

	// outputs holds the shapes of [none, conv0, cells...], as slim's
	// cell_outputs [None, net, ...].
	h := o.ImgSize
	var stem shape
	switch cfg.Stem {
	case ImageNetStem:
		c := int(32 * cfg.StemMult)
		m.conv0 = newActConvBn(b.Sub("conv0"), false, o.InChans, c, 3, 2, 1)
		m.conv0.conv.valid = true
		h = (h-3)/2 + 1
		stem = shape{c, h, h}
	case CIFARStem:
		c := int(float64(filters) * cfg.StemMult)
		m.conv0 = newActConvBn(b.Sub("conv0"), false, o.InChans, c, 3, 1, 1)
		stem = shape{c, h, h}
	default:
		panic(fmt.Sprintf("nasnet: unknown stem %d", cfg.Stem))
	}
	outputs := []shape{{}, stem}
	num := 0 // slim's true_cell_num
	add := func(name string, cell Cell, stride, f, cur, prev int) {
		var p *shape
		if prev > 0 {
			p = &outputs[prev]
		}
		cm := newCell(b.Sub(name), cell, stride, f, num, outputs[cur], p)
		m.cells = append(m.cells, plannedCell{name: name, m: cm, cur: cur, prev: prev})
		outputs = append(outputs, shape{cm.outC, ceilDiv(outputs[cur].h, stride), ceilDiv(outputs[cur].w, stride)})
		num++
	}
	last := func() int { return len(outputs) - 1 }

	if cfg.Stem == ImageNetStem {
		// slim's _imagenet_stem: filter scaling 1/rate² then 1/rate.
		for i, scale := range []float64{0.25, 0.5} {
			add(fmt.Sprintf("cell_stem_%d", i), reduction, 2, int(float64(filters)*scale), last(), last()-1)
		}
		m.stemEnd = len(m.cells) - 1
	}
	// slim's _build_nasnet_base.
	numCells := 3 * cfg.N
	reductions := reductionLayers(numCells, 2)
	scale := 1
	for cellNum := range numCells {
		prev := last() - 1
		if r := indexOf(reductions, cellNum); r >= 0 {
			m.stageEnds = append(m.stageEnds, len(m.cells)-1)
			scale *= 2
			add(fmt.Sprintf("reduction_cell_%d", r), reduction, 2, filters*scale, last(), last()-1)
		}
		if !cfg.SkipReductionInput {
			prev = last() - 1
		}
		add(fmt.Sprintf("cell_%d", cellNum), normal, 1, filters*scale, last(), prev)
	}
	m.stageEnds = append(m.stageEnds, len(m.cells)-1)
	// slim: num_cells + 2 reduction cells, + 2 stem cells on ImageNet.
	m.totalCells = numCells + 2
	if cfg.Stem == ImageNetStem {
		m.totalCells += 2
	}
	m.head = nn.NewLinear(b.Sub("last_linear"), outputs[last()].c, o.NumClasses, true, nil)
	return m
}

// reductionLayers is slim's calc_reduction_layers: the cell numbers before
// which the reduction cells sit.
func reductionLayers(numCells, numReductions int) []int {
	var r []int
	for i := 1; i <= numReductions; i++ {
		r = append(r, int(float64(i)/float64(numReductions+1)*float64(numCells)))
	}
	return r
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// SetProgress sets the training progress in [0, 1] (step / total steps)
// that scales ScheduledDropPath; values outside are clamped.
func (m *Model) SetProgress(p float32) { m.progress = min(max(p, 0), 1) }

// Progress returns the training progress set by SetProgress.
func (m *Model) Progress() float32 { return m.progress }

// NumCells returns the number of cells, stem cells included (slim's
// total_num_cells).
func (m *Model) NumCells() int { return m.totalCells }

// scheduledRate is ScheduledDropPath (Sec. 4 and App. A.5 of
// arXiv:1707.07012), slim's _apply_drop_path with drop_connect_version
// "v3": for cell number n (0 for the first stem cell) of T cells, at
// training progress t = min(1, step/total_training_steps) and final rate
// p = 1 - drop_path_keep_prob,
//
//	keep = 1 - t·(n+1)/T·(1 - drop_path_keep_prob), so rate = p·(n+1)/T·t,
//
// linear in depth (the last cell reaches p) and in time.
func (m *Model) scheduledRate(n int) float32 {
	return m.dropPath * float32(n+1) / float32(m.totalCells) * m.progress
}

// DropPathRate returns the drop-path rate of cell n (0 for the first cell)
// at the current progress.
func (m *Model) DropPathRate(n int) float32 { return m.scheduledRate(n) }

// Forward returns logits [N, classes] for images x [N, C, H, W].
func (m *Model) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	x = m.conv0.forward(c, x)
	var obuf [64]*autograd.Var // on the stack for up to 62 cells
	outputs := append(obuf[:0], nil, x)
	if m.stemEnd < 0 {
		c.Mark("stem", x)
	}
	stage := 0
	for i, pc := range m.cells {
		out := pc.m.forward(c, outputs[pc.cur], outputs[pc.prev], m.scheduledRate(pc.m.num))
		outputs = append(outputs, out)
		if i == m.stemEnd {
			c.Mark("stem", out)
		}
		if stage < len(m.stageEnds) && i == m.stageEnds[stage] {
			c.MarkIndexed("stages.", stage, out)
			stage++
		}
	}
	x = c.Tape.GlobalAvgPool(c.Tape.ReLU(outputs[len(outputs)-1]))
	x = m.head.Forward(c, m.drop.Forward(c, x))
	c.Mark("head", x)
	return x
}
