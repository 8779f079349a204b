package randwire

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Regime is a column of Table 1 of arXiv:1904.01569.
type Regime string

const (
	// Small is Table 1's small regime (Tab. 2, ~580M FLOPs).
	Small Regime = "small"
	// Regular is Table 1's regular regime (Tab. 3, 4.0 and 7.9 GFLOPs).
	Regular Regime = "regular"
	// SmallCIFAR is the small regime for 32x32 and 28x28 inputs: conv1
	// keeps the resolution (stride 1), as CIFAR versions of ImageNet
	// networks do; every other row is the small regime's. Not in the
	// paper: it is the reduced-scale twins' table.
	SmallCIFAR Regime = "small_cifar"
)

// op is what a row of Table 1 is.
type op int

const (
	conv3x3 op = iota // a 3x3 conv (conv1: conv-BN; later rows: ReLU-conv-BN)
	random            // a randomly wired stage of nodes·N nodes
)

// row is a row of Table 1: nodes is the stage's node count as a multiple
// of N, width its channels as a multiple of C.
type row struct {
	stage  string
	op     op
	nodes  float64
	width  float64
	stride int
}

// Table 1 of arXiv:1904.01569 ("RandWire architectures for small and
// regular computation networks"), one row per row of the paper's table.
// Every row halves the resolution (224 -> 112 -> 56 -> 28 -> 14 -> 7); a
// random stage does so in the nodes the stage's input node feeds, which
// use stride 2 (Sec. 3.3, "Stages"). The classifier row (1x1 conv to 1280,
// global average pool, fc) is the same in both regimes: Spec.Head.
var regimes = map[Regime][]row{
	Small: {
		// stage, op, nodes (×N), channels (×C), stride
		{"conv1", conv3x3, 0, 0.5, 2},
		{"conv2", conv3x3, 0, 1, 2},
		{"conv3", random, 1, 1, 2},
		{"conv4", random, 1, 2, 2},
		{"conv5", random, 1, 4, 2},
	},
	Regular: {
		{"conv1", conv3x3, 0, 0.5, 2},
		{"conv2", random, 0.5, 1, 2},
		{"conv3", random, 1, 2, 2},
		{"conv4", random, 1, 4, 2},
		{"conv5", random, 1, 8, 2},
	},
	SmallCIFAR: {
		{"conv1", conv3x3, 0, 0.5, 1},
		{"conv2", conv3x3, 0, 1, 2},
		{"conv3", random, 1, 1, 2},
		{"conv4", random, 1, 2, 2},
		{"conv5", random, 1, 4, 2},
	},
}

// Spec is how a RandWire network is drawn: Table 1's regime, its C and N,
// the graph generator and the seed of its graphs. Spec.Config draws the
// graphs; the model is built from the Config.
type Spec struct {
	Regime    Regime
	C         int // channels of Table 1
	N         int // nodes of a full random stage
	Generator Generator
	Seed      uint64 // graph seed
	Head      int    // width of the classifier's 1x1 conv (1280 in Table 1)
}

// Stage is a stage of a built network after conv1: a 3x3 conv or a
// random graph.
type Stage struct {
	Name     string `json:"name"` // Table 1's row (conv2..conv5)
	Channels int    `json:"channels"`
	Stride   int    `json:"stride"`
	// Graph is the stage's wiring; nil for a ReLU-3x3 conv-BN.
	Graph *Graph `json:"graph,omitempty"`
}

// Config is a RandWire network with its graphs: everything New needs, and
// JSON-serialisable, so the graphs are saved with the model and a model
// built from a saved Config has exactly the saved wiring.
type Config struct {
	StemChannels int     `json:"stem_channels"` // conv1: 3x3 conv, C/2
	StemStride   int     `json:"stem_stride"`
	Stages       []Stage `json:"stages"` // conv2..conv5
	Head         int     `json:"head"`   // classifier 1x1 conv width (1280)
}

// Config draws the random graphs of s, one per random stage, each from
// its own source rand.New(rand.NewPCG(s.Seed, row)) with row the index of
// its row in Table 1 (so conv5's graph does not depend on conv4's size),
// and returns the network. This is the only place graphs are generated.
func (s Spec) Config() (Config, error) {
	rows, ok := regimes[s.Regime]
	if !ok {
		return Config{}, fmt.Errorf("randwire: unknown regime %q", s.Regime)
	}
	if s.C < 2 || s.N < 1 || s.Head < 1 {
		return Config{}, fmt.Errorf("randwire: C=%d, N=%d, head %d: want C >= 2, N >= 1, head >= 1", s.C, s.N, s.Head)
	}
	cfg := Config{StemChannels: int(rows[0].width * float64(s.C)), StemStride: rows[0].stride, Head: s.Head}
	for i, r := range rows[1:] {
		st := Stage{Name: r.stage, Channels: int(r.width * float64(s.C)), Stride: r.stride}
		if r.op == random {
			n := int(r.nodes * float64(s.N))
			g, err := s.Generator.Generate(n, rand.New(rand.NewPCG(s.Seed, uint64(i+1))))
			if err != nil {
				return Config{}, fmt.Errorf("randwire: %s: %w", r.stage, err)
			}
			g.Origin = fmt.Sprintf("%v, N=%d, seed %d, %s", s.Generator, n, s.Seed, r.stage)
			st.Graph = &g
		}
		cfg.Stages = append(cfg.Stages, st)
	}
	return cfg, nil
}

// Validate reports a Config New cannot build.
func (c Config) Validate() error {
	if c.StemChannels < 1 || c.StemStride < 1 || c.Head < 1 || len(c.Stages) == 0 {
		return fmt.Errorf("randwire: config with stem %d/%d, head %d, %d stages", c.StemChannels, c.StemStride, c.Head, len(c.Stages))
	}
	for _, s := range c.Stages {
		if s.Channels < 1 || s.Stride < 1 {
			return fmt.Errorf("randwire: stage %s: %d channels, stride %d", s.Name, s.Channels, s.Stride)
		}
		if s.Graph != nil {
			if err := s.Graph.Validate(); err != nil {
				return fmt.Errorf("randwire: stage %s: %w", s.Name, err)
			}
		}
	}
	return nil
}

// ParseConfig reads a Config written by json.Marshal and validates it.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("randwire: config: %w", err)
	}
	return c, c.Validate()
}

// ws475 is the paper's default generator, WS(4, 0.75) (Sec. 4.1, Fig. 3).
var ws475 = Generator{Kind: WS, K: 4, P: 0.75}

// The variants: RandWire-WS(4, 0.75) with N = 32 in the small regime (C =
// 78, Tab. 2) and the regular regime (C = 109 and 154, Tab. 3) of
// arXiv:1904.01569, named as in zoo/published.csv (timm has no RandWire).
// Each has a fixed graph seed, so a name is one network (the paper's
// accuracies are means over 5 random instances; TestSeeds counts 8). The twins are the small
// regime with N = 16 and C = 48 on 32x32 (28x28) input, conv1 at stride 1
// (SmallCIFAR), about 12M (10M) MACs per image.
var variants = []struct {
	name    string
	spec    Spec
	img, in int
	classes int
	twin    bool
}{
	// name, Spec{regime, C, N, generator, graph seed, head width}, image size, input channels, classes, twin
	{"randwire_small_c78", Spec{Small, 78, 32, ws475, 1, 1280}, 224, 3, 1000, false},
	{"randwire_regular_c109", Spec{Regular, 109, 32, ws475, 1, 1280}, 224, 3, 1000, false},
	{"randwire_regular_c154", Spec{Regular, 154, 32, ws475, 1, 1280}, 224, 3, 1000, false},
	{"randwire_small_r32", Spec{SmallCIFAR, 48, 16, ws475, 1, 1280}, 32, 3, 10, true},
	{"randwire_small_r28", Spec{SmallCIFAR, 48, 16, ws475, 1, 1280}, 28, 1, 10, true},
}

// SpecOf returns the Spec of a variant by name, e.g. to draw the same
// network with other graph seeds.
func SpecOf(name string) (Spec, bool) {
	for _, v := range variants {
		if v.name == name {
			return v.spec, true
		}
	}
	return Spec{}, false
}

// Variants returns the full-size models and their reduced-scale twins.
func Variants() []arch.Variant {
	vs := make([]arch.Variant, len(variants))
	for i, r := range variants {
		spec := r.spec
		vs[i] = arch.Variant{
			Name:     r.name,
			Family:   "randwire",
			Twin:     r.twin,
			Defaults: arch.Options{NumClasses: r.classes, InChans: r.in, ImgSize: r.img},
			New: func(b *nn.Builder, o arch.Options) arch.Model {
				cfg, err := spec.Config()
				if err != nil {
					panic(err.Error())
				}
				return New(b, cfg, o)
			},
		}
	}
	return vs
}

// Batch norm as PyTorch's defaults (the paper's code is Caffe2/PyTorch).
const (
	bnMomentum = 0.1
	bnEps      = 1e-5
)

// convBN is [ReLU] -> 3x3 conv (no bias, padding 1) -> BN: conv1 (no
// ReLU: its input is the image) and the small regime's conv2; parameters
// "conv.weight", "bn.*".
type convBN struct {
	relu bool
	conv *nn.Conv2d
	bn   *nn.BatchNorm
}

func newConvBN(b *nn.Builder, relu bool, in, out, stride int) *convBN {
	return &convBN{
		relu: relu,
		conv: nn.NewConv2d(b.Sub("conv"), in, out, 3, nn.ConvOpts{Stride: stride}),
		bn:   nn.NewBatchNorm(b.Sub("bn"), out, bnMomentum, bnEps),
	}
}

func (l *convBN) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	if l.relu {
		x = c.Tape.ReLU(x)
	}
	return l.bn.Forward(c, l.conv.Forward(c, x))
}

// node is a node of a random graph (Sec. 3.2, "node operations"):
// aggregation, a weighted sum of the inputs with positive weights
// sigmoid(w), one learnable w per input edge ("weight", [in-degree],
// initialised to 1 as the JiaminRen/RandWireNN implementation; the paper
// says "positive" and gives no form); transformation, ReLU -> 3x3
// separable conv -> BN ("conv.depthwise.weight", "conv.pointwise.weight",
// "bn.*"; no conv biases, BN follows); distribution, the output goes
// unchanged on every out-edge. A node with one input has no weight: one
// positive scale before ReLU, a linear conv and BN is a no-op in training
// (BN removes it) and would get no gradient. The nodes the stage's input
// node feeds use stride 2 and map the previous stage's channels to this
// stage's.
type node struct {
	weight               *nn.Param
	depthwise, pointwise *nn.Conv2d
	bn                   *nn.BatchNorm
	preds                []int
}

func newNode(b *nn.Builder, preds []int, in, out, stride int) *node {
	n := &node{preds: preds}
	if len(preds) > 1 {
		n.weight = b.Param("weight", nn.Ones, len(preds))
	}
	n.depthwise = nn.NewConv2d(b.Sub("conv.depthwise"), in, in, 3, nn.ConvOpts{Stride: stride, Groups: in})
	n.pointwise = nn.NewConv2d(b.Sub("conv.pointwise"), in, out, 1, nn.ConvOpts{})
	n.bn = nn.NewBatchNorm(b.Sub("bn"), out, bnMomentum, bnEps)
	return n
}

// forward transforms x, the aggregated input after its ReLU.
func (n *node) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	return n.bn.Forward(c, n.pointwise.Forward(c, n.depthwise.Forward(c, x)))
}

// aggregate returns ReLU(Σ sigmoid(w_i)·x_i) over the node's inputs.
func (n *node) aggregate(c *nn.Ctx, outs []*autograd.Var) *autograd.Var {
	t := c.Tape
	if n.weight == nil {
		return t.ReLU(outs[n.preds[0]])
	}
	w := t.Sigmoid(n.weight.Var)
	var sum *autograd.Var
	for i, p := range n.preds {
		term := t.Mul(outs[p], t.Slice(w, 0, i, i+1, 1))
		if sum == nil {
			sum = term
		} else {
			sum = t.Add(sum, term)
		}
	}
	return t.ReLU(sum)
}

// graphStage is a randomly wired stage: its nodes in index (topological)
// order and the nodes its output node averages (unweighted, Sec. 3.2).
type graphStage struct {
	nodes   []*node
	outputs []int
}

func newGraphStage(b *nn.Builder, g *Graph, in, out, stride int) *graphStage {
	s := &graphStage{outputs: g.Outputs()}
	for j, preds := range g.Preds() {
		if len(preds) == 0 {
			s.nodes = append(s.nodes, newNode(b.Subf("nodes.%d", j), nil, in, out, stride))
		} else {
			s.nodes = append(s.nodes, newNode(b.Subf("nodes.%d", j), preds, out, out, 1))
		}
	}
	return s
}

func (s *graphStage) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	t := c.Tape
	in := t.ReLU(x) // the input node's output, shared by the nodes it feeds
	// outs lives on the stack for up to 64 nodes.
	var obuf [64]*autograd.Var
	outs := obuf[:0]
	if len(s.nodes) > len(obuf) {
		outs = make([]*autograd.Var, 0, len(s.nodes))
	}
	outs = outs[:len(s.nodes)]
	for j, n := range s.nodes {
		if n.preds == nil {
			outs[j] = n.forward(c, in)
		} else {
			outs[j] = n.forward(c, n.aggregate(c, outs))
		}
	}
	y := outs[s.outputs[0]]
	for _, j := range s.outputs[1:] {
		y = t.Add(y, outs[j])
	}
	if len(s.outputs) > 1 {
		y = t.Scale(y, 1/float32(len(s.outputs)))
	}
	return y
}

type stageOp interface {
	forward(c *nn.Ctx, x *autograd.Var) *autograd.Var
}

// Model is a RandWire network.
type Model struct {
	cfg    Config
	stem   *convBN
	stages []stageOp
	// Classifier (Table 1): ReLU -> 1x1 conv to Head -> BN -> ReLU ->
	// global average pool -> [dropout] -> fc, as JiaminRen/RandWireNN
	// (the table gives the layers, not the ReLUs and BN).
	headConv *nn.Conv2d
	headBN   *nn.BatchNorm
	drop     nn.Dropout
	fc       *nn.Linear
}

// New builds the network cfg for options o (fully resolved). Parameter
// names: "stem.conv.weight", "stem.bn.*" (conv1); "stages.<i>" for conv2..
// conv5 (i = 0..3): "stages.<i>.conv.weight", "stages.<i>.bn.*" for a 3x3
// conv stage, and for a random stage, per node j of its graph,
// "stages.<i>.nodes.<j>.weight" (aggregation logits, nodes with two or more
// inputs), "stages.<i>.nodes.<j>.conv.depthwise.weight" [in, 1, 3, 3],
// "stages.<i>.nodes.<j>.conv.pointwise.weight" [out, in, 1, 1],
// "stages.<i>.nodes.<j>.bn.*"; "head.conv.weight", "head.bn.*", "fc.weight",
// "fc.bias". The paper has no drop-path; a non-zero o.DropPath is an error.
func New(b *nn.Builder, cfg Config, o arch.Options) *Model {
	if err := o.Validate(); err != nil {
		panic("randwire: " + err.Error())
	}
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	if o.DropPath != 0 {
		panic(fmt.Sprintf("randwire: drop-path %g: RandWire has no drop-path (set it to 0)", o.DropPath))
	}
	m := &Model{cfg: cfg, drop: nn.Dropout{Rate: o.Dropout}}
	m.stem = newConvBN(b.Sub("stem"), false, o.InChans, cfg.StemChannels, cfg.StemStride)
	in := cfg.StemChannels
	for i, s := range cfg.Stages {
		sb := b.Subf("stages.%d", i)
		if s.Graph == nil {
			m.stages = append(m.stages, newConvBN(sb, true, in, s.Channels, s.Stride))
		} else {
			m.stages = append(m.stages, newGraphStage(sb, s.Graph, in, s.Channels, s.Stride))
		}
		in = s.Channels
	}
	m.headConv = nn.NewConv2d(b.Sub("head.conv"), in, cfg.Head, 1, nn.ConvOpts{})
	m.headBN = nn.NewBatchNorm(b.Sub("head.bn"), cfg.Head, bnMomentum, bnEps)
	m.fc = nn.NewLinear(b.Sub("fc"), cfg.Head, o.NumClasses, true, nil)
	return m
}

// Config returns the network the model was built from, graphs included.
func (m *Model) Config() Config { return m.cfg }

// Forward returns logits [N, classes] for images x [N, C, H, W].
func (m *Model) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	t := c.Tape
	x = m.stem.forward(c, x)
	c.Mark("stem", x)
	for i, s := range m.stages {
		x = s.forward(c, x)
		c.MarkIndexed("stages.", i, x)
	}
	x = t.ReLU(m.headBN.Forward(c, m.headConv.Forward(c, t.ReLU(x))))
	x = m.fc.Forward(c, m.drop.Forward(c, t.GlobalAvgPool(x)))
	c.Mark("head", x)
	return x
}
