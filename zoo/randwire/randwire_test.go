package randwire

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
	"github.com/reprise-ml/reprise/zoo/zootest"
)

var update = flag.Bool("update", false, "rewrite testdata/cases.json from the Go configs")

func config(t *testing.T, s Spec) Config {
	t.Helper()
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// count builds cfg shape-only and returns its parameters and the MACs of
// one image of o.ImgSize (zootest.CountModel).
func count(t *testing.T, name string, cfg Config, o arch.Options) ([]*nn.Param, int64) {
	t.Helper()
	_, params, macs := zootest.CountModel(t, name, o, func(b *nn.Builder) arch.Model { return New(b, cfg, o) })
	return params, macs
}

// closedForm is the parameter and MAC count of cfg derived from the
// architecture, independently of the model code. With a the input and c
// the output channels of a layer, h×h its output and K the classes:
//
//	3x3 conv (no bias) + BN      params 9ac + 2c              MACs h²·9ac
//	node fed by the input node   params 9a + ac + 2c          MACs h²(9a + ac)      (stride 2, a -> c)
//	other node, in-degree d      params 9c + c² + 2c + [d>1]d MACs h²(9c + c²)
//	1x1 conv to H + BN           params cH + 2H               MACs h²·cH
//	fc                           params HK + K                MACs HK
//
// where a 3x3 conv with padding 1 and stride s maps h to (h-1)/s + 1.
// Adds, the weighted sums, averages and pools are not counted (the
// paper's FLOPs count multiply-adds of convs and the fc).
func closedForm(cfg Config, o arch.Options) (params, macs int64) {
	down := func(h, s int) int { return (h-1)/s + 1 }
	h, a := down(o.ImgSize, cfg.StemStride), int64(o.InChans)
	c := int64(cfg.StemChannels)
	params, macs = 9*a*c+2*c, int64(h*h)*9*a*c
	a = c
	for _, s := range cfg.Stages {
		c = int64(s.Channels)
		h = down(h, s.Stride)
		hh := int64(h * h)
		if s.Graph == nil {
			params += 9*a*c + 2*c
			macs += hh * 9 * a * c
		} else {
			for _, p := range s.Graph.Preds() {
				switch d := int64(len(p)); {
				case d == 0:
					params += 9*a + a*c + 2*c
					macs += hh * (9*a + a*c)
				default:
					params += 9*c + c*c + 2*c
					if d > 1 {
						params += d
					}
					macs += hh * (9*c + c*c)
				}
			}
		}
		a = c
	}
	H, K := int64(cfg.Head), int64(o.NumClasses)
	params += a*H + 2*H + H*K + K
	macs += int64(h*h)*a*H + H*K
	return params, macs
}

// TestCounts holds every full-size variant, with its default graph seed,
// against the paper: timm has no RandWire, so parameters and MACs must be
// within 3% of the paper's (zoo/published.csv). They are also the closed
// form of the architecture, exactly.
//
// Where the paper's numbers come from (published.csv): small C=78, 5.6M
// and 583M, Tab. 2 (verified); regular C=109, 31.9M and 4.0G, Tab. 3,
// UNVERIFIED (from memory); regular C=154, 61.5M and 7.9G, Tab. 3 via
// paperswithcode. With seed 1 we are 0.9%, 1.0% and 1.1% under the
// paper's params and 1.6%, 0.5% and 0.9% under its MACs. Counts depend on
// the graphs (TestSeeds): the paper's numbers are for its own random
// instances; over seeds 1..8 our means are 0.4-0.5% under its params.
// Our MACs, like the paper's FLOPs, count the convs and the fc.
func TestCounts(t *testing.T) {
	pub := zootest.Published(t)
	for _, r := range variants {
		if r.twin {
			continue
		}
		p, ok := pub[r.name]
		if !ok {
			t.Errorf("%s: not in published.csv", r.name)
			continue
		}
		if !math.IsNaN(p.ParamsTimm) || !math.IsNaN(p.GMACsTimm) {
			t.Errorf("%s: published.csv has timm numbers now; test against them", r.name)
		}
		cfg := config(t, r.spec)
		o := zootest.Variant(t, Variants(), r.name).Resolve(arch.Options{})
		ps, macs := count(t, r.name, cfg, o)
		params := nn.CountParams(ps, "")
		t.Logf("%s (seed %d): %d params, %.4f GMACs; paper %.1fM, %.3f G", r.name, r.spec.Seed, params, float64(macs)/1e9, p.ParamsPaper, p.GMACsPaper)
		if wp, wm := closedForm(cfg, o); params != wp || macs != wm {
			t.Errorf("%s: %d params, %d MACs; the closed form gives %d, %d", r.name, params, macs, wp, wm)
		}
		if d := float64(params)/1e6/p.ParamsPaper - 1; math.Abs(d) > 0.03 {
			t.Errorf("%s: %d params, %+.1f%% off the paper's %.1fM", r.name, params, 100*d, p.ParamsPaper)
		}
		if d := float64(macs)/1e9/p.GMACsPaper - 1; math.Abs(d) > 0.03 {
			t.Errorf("%s: %.4f GMACs, %+.1f%% off the paper's %.3f", r.name, float64(macs)/1e9, 100*d, p.GMACsPaper)
		}
	}
}

// TestSeeds checks the paper's claim that the cost of a RandWire network
// hardly depends on its wiring: for each full-size variant, graphs from
// seeds 1..8.
//
// MACs: every seed is within 2% of the mean over the seeds (we see at most
// 1.5%), and the mean is within 3% of the paper's.
//
// Parameters: the mean is within 1% of the paper's (we see 0.4-0.5% low),
// but single instances spread by up to ±3.7%, more than 2%, in this
// construction and in the public re-implementations (JiaminRen and
// seungwonpark/RandWireNN build nodes the same way). The reason: a node fed
// by the stage's input node maps the previous stage's channels a = c/2 to
// c with a separable conv, 9a + ac ≈ c²/2 parameters, half of a full node
// (9c + c²); WS(4, 0.75) on 32 nodes gives from 2 to 10 such nodes (the
// nodes none of whose neighbours has a lower index), and in conv5 of the
// regular C=154 network each costs 0.76M parameters less than a full node:
// 8 more input nodes is 6M, 10% of the network. The MACs spread less
// because every stage costs about the same MACs (each halves the
// resolution and doubles the width), so the stages' variations average
// out, while the parameters are dominated by conv5.
func TestSeeds(t *testing.T) {
	pub := zootest.Published(t)
	for _, r := range variants {
		if r.twin {
			continue
		}
		o := zootest.Variant(t, Variants(), r.name).Resolve(arch.Options{})
		var params, macs []float64
		graphs := map[string]bool{}
		for seed := uint64(1); seed <= 8; seed++ {
			s := r.spec
			s.Seed = seed
			cfg := config(t, s)
			var key []byte
			for _, st := range cfg.Stages {
				if st.Graph != nil {
					e, _ := json.Marshal(st.Graph.Edges)
					key = append(key, e...)
				}
			}
			graphs[string(key)] = true
			ps, m := count(t, r.name, cfg, o)
			params = append(params, float64(nn.CountParams(ps, "")))
			macs = append(macs, float64(m))
		}
		if len(graphs) != 8 {
			t.Errorf("%s: 8 seeds give %d distinct networks", r.name, len(graphs))
		}
		p := pub[r.name]
		mp, sp := spread(params)
		mm, sm := spread(macs)
		t.Logf("%s: params %.2fM ± %.1f%% (paper %.1fM), MACs %.3fG ± %.1f%% (paper %.3fG)", r.name, mp/1e6, 100*sp, p.ParamsPaper, mm/1e9, 100*sm, p.GMACsPaper)
		if sm > 0.02 {
			t.Errorf("%s: MACs vary by %.1f%% across seeds, the paper says about 2%%", r.name, 100*sm)
		}
		if d := mm/1e9/p.GMACsPaper - 1; math.Abs(d) > 0.03 {
			t.Errorf("%s: mean MACs %+.1f%% off the paper's", r.name, 100*d)
		}
		if d := mp/1e6/p.ParamsPaper - 1; math.Abs(d) > 0.01 {
			t.Errorf("%s: mean params %+.1f%% off the paper's", r.name, 100*d)
		}
		if sp > 0.045 {
			t.Errorf("%s: params vary by %.1f%% across seeds", r.name, 100*sp)
		}
	}
}

// spread returns the mean of xs and the largest relative deviation from it.
func spread(xs []float64) (mean, dev float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		dev = max(dev, math.Abs(x/mean-1))
	}
	return mean, dev
}

// TestStructure checks the built network against Table 1: names, shapes,
// stride-2 nodes, aggregation weights, and the stage marks.
func TestStructure(t *testing.T) {
	r := variants[1] // randwire_regular_c109
	if r.name != "randwire_regular_c109" {
		t.Fatal(r.name)
	}
	cfg := config(t, r.spec)
	o := zootest.Variant(t, Variants(), r.name).Resolve(arch.Options{})
	if cfg.StemChannels != 54 || cfg.StemStride != 2 || cfg.Head != 1280 || len(cfg.Stages) != 4 {
		t.Fatalf("config %+v", cfg)
	}
	for i, want := range []struct {
		name         string
		nodes, chans int
	}{{"conv2", 16, 109}, {"conv3", 32, 218}, {"conv4", 32, 436}, {"conv5", 32, 872}} {
		s := cfg.Stages[i]
		if s.Name != want.name || s.Graph == nil || s.Graph.Nodes != want.nodes || s.Channels != want.chans || s.Stride != 2 {
			t.Errorf("stage %d: %s, %d channels, stride %d, graph %v; want %+v", i, s.Name, s.Channels, s.Stride, s.Graph != nil, want)
		}
		if len(s.Graph.Edges) != want.nodes*2 {
			t.Errorf("stage %d: %d edges, WS(4, .) has N·K/2 = %d", i, len(s.Graph.Edges), want.nodes*2)
		}
	}
	b := nn.NewBuilder(nil, true)
	m := New(b, cfg, o)
	shapes := map[string][]int{}
	for _, p := range b.Params() {
		shapes[p.Name] = p.Value.Shape
	}
	g := cfg.Stages[3].Graph
	in := g.Inputs()[0]
	var inner, multi int = -1, -1
	for j, p := range g.Preds() {
		if len(p) > 0 && inner < 0 {
			inner = j
		}
		if len(p) > 1 && multi < 0 {
			multi = j
		}
	}
	pre := func(j int) string { return "stages.3.nodes." + strconv.Itoa(j) + "." }
	for name, shape := range map[string][]int{
		"stem.conv.weight":                       {54, 3, 3, 3},
		"stem.bn.weight":                         {54},
		"stages.0.nodes.0.conv.depthwise.weight": {54, 1, 3, 3},
		"stages.0.nodes.0.conv.pointwise.weight": {109, 54, 1, 1},
		pre(in) + "conv.depthwise.weight":        {436, 1, 3, 3},
		pre(in) + "conv.pointwise.weight":        {872, 436, 1, 1},
		pre(in) + "bn.bias":                      {872},
		pre(inner) + "conv.depthwise.weight":     {872, 1, 3, 3},
		pre(inner) + "conv.pointwise.weight":     {872, 872, 1, 1},
		pre(multi) + "weight":                    {len(g.Preds()[multi])},
		"head.conv.weight":                       {1280, 872, 1, 1},
		"head.bn.weight":                         {1280},
		"fc.weight":                              {1000, 1280},
		"fc.bias":                                {1000},
	} {
		if got, ok := shapes[name]; !ok {
			t.Errorf("no parameter %s", name)
		} else if !tensor.SameShape(got, shape) {
			t.Errorf("%s: shape %v, want %v", name, got, shape)
		}
	}
	// Aggregation weights exactly on the nodes with two or more inputs.
	for i, s := range cfg.Stages {
		for j, p := range s.Graph.Preds() {
			name := "stages." + strconv.Itoa(i) + ".nodes." + strconv.Itoa(j) + ".weight"
			if _, ok := shapes[name]; ok != (len(p) > 1) {
				t.Errorf("%s: present %v with %d inputs", name, ok, len(p))
			}
		}
	}
	// Stage marks and their shapes: 112, 56, 28, 14, 7.
	var marks []string
	c := &nn.Ctx{Tape: autograd.NoGrad(), Trace: func(stage string, out *autograd.Var) {
		marks = append(marks, fmt.Sprintf("%s%v", stage, out.Value.Shape))
	}}
	m.Forward(c, autograd.Const(tensor.Meta(1, 3, 224, 224)))
	want := "stem[1 54 112 112] stages.0[1 109 56 56] stages.1[1 218 28 28] stages.2[1 436 14 14] stages.3[1 872 7 7] head[1 1000]"
	if got := strings.Join(marks, " "); got != want {
		t.Errorf("marks %s, want %s", got, want)
	}
}

// TestSmallRegime: Table 1's small column: conv1 and conv2 are 3x3 convs
// (C/2 then C), then three random stages of N nodes, C, 2C, 4C.
func TestSmallRegime(t *testing.T) {
	cfg := config(t, variants[0].spec)
	if cfg.StemChannels != 39 || cfg.StemStride != 2 {
		t.Errorf("conv1: %d channels, stride %d", cfg.StemChannels, cfg.StemStride)
	}
	var got []string
	for _, s := range cfg.Stages {
		n := 0
		if s.Graph != nil {
			n = s.Graph.Nodes
		}
		got = append(got, s.Name+":"+strconv.Itoa(n)+"/"+strconv.Itoa(s.Channels)+"/"+strconv.Itoa(s.Stride))
	}
	if want := "conv2:0/78/2 conv3:32/78/2 conv4:32/156/2 conv5:32/312/2"; strings.Join(got, " ") != want {
		t.Errorf("stages %s, want %s", strings.Join(got, " "), want)
	}
}

// TestFullSizeForward runs every full-size model on one image with real
// weights (all are under 8 GMACs, so none is skipped with -short).
func TestFullSizeForward(t *testing.T) {
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			zootest.CheckForward(t, v)
		})
	}
}

// TestTwins: each twin costs at most ~15M MACs per image, gives [2, 10]
// finite logits, and one training step gives every parameter (aggregation
// weights included) a finite, non-zero gradient.
func TestTwins(t *testing.T) {
	for _, r := range variants {
		if !r.twin {
			continue
		}
		t.Run(r.name, func(t *testing.T) {
			v := zootest.Variant(t, Variants(), r.name)
			o := v.Resolve(arch.Options{})
			if o.NumClasses != 10 || (o.ImgSize == 28) != (o.InChans == 1) || (o.ImgSize != 28 && o.ImgSize != 32) {
				t.Errorf("options %+v", o)
			}
			cfg := config(t, r.spec)
			ps, macs := count(t, r.name, cfg, o)
			params := nn.CountParams(ps, "")
			t.Logf("%d params, %.2fM MACs", params, float64(macs)/1e6)
			if wp, wm := closedForm(cfg, o); params != wp || macs != wm {
				t.Errorf("%d params, %d MACs; the closed form gives %d, %d", params, macs, wp, wm)
			}
			if macs > 15e6 {
				t.Errorf("%.1fM MACs per image: want at most 15M", float64(macs)/1e6)
			}
			zootest.CheckTwinTrainStep(t, v, arch.Options{}, nil)
		})
	}
}

// TestSavedGraphs: the graphs are data saved with the model. A model's
// Config written to JSON and read back builds the same network (names,
// shapes, parameter count, MACs, and with the same weight seed the same
// logits, bit for bit); another graph seed gives other graphs; and a model
// built from a saved Config uses the saved graphs as they are (an edited
// graph gives the edited network: nothing is regenerated).
func TestSavedGraphs(t *testing.T) {
	for _, name := range []string{"randwire_regular_c154", "randwire_small_r32"} {
		spec, _ := SpecOf(name)
		v := zootest.Variant(t, Variants(), name)
		o := v.Resolve(arch.Options{})
		m := v.New(nn.NewBuilder(nil, true), o).(*Model)
		saved, err := json.Marshal(m.Config())
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseConfig(saved)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, m.Config()) || !reflect.DeepEqual(back, config(t, spec)) {
			t.Fatalf("%s: config does not round-trip through JSON", name)
		}
		p1, macs1 := count(t, name, m.Config(), o)
		p2, macs2 := count(t, name+" from JSON", back, o)
		if !reflect.DeepEqual(shapesOf(p1), shapesOf(p2)) || macs1 != macs2 ||
			nn.CountParams(p1, "") != nn.CountParams(p2, "") {
			t.Errorf("%s: the rebuilt network differs", name)
		}

		other := spec
		other.Seed = spec.Seed + 1
		oc := config(t, other)
		for i, s := range oc.Stages {
			if s.Graph != nil && reflect.DeepEqual(s.Graph.Edges, back.Stages[i].Graph.Edges) {
				t.Errorf("%s: seeds %d and %d give the same %s graph", name, spec.Seed, other.Seed, s.Name)
			}
		}

		// Edit the saved graph of the last stage: drop the edges into its
		// last node and give it a false origin.
		edited, _ := ParseConfig(saved)
		g := edited.Stages[len(edited.Stages)-1].Graph
		last := g.Nodes - 1
		var kept [][2]int
		for _, e := range g.Edges {
			if e[1] != last {
				kept = append(kept, e)
			}
		}
		g.Edges, g.Origin = kept, "WS(4, 0.75), N=32, seed 99"
		p3, _ := count(t, name+" edited", edited, o)
		pre := "stages." + strconv.Itoa(len(edited.Stages)-1) + ".nodes." + strconv.Itoa(last) + "."
		s3 := shapesOf(p3)
		if _, ok := s3[pre+"weight"]; ok {
			t.Errorf("%s: edited node %d still aggregates", name, last)
		}
		if a, c := s3[pre+"conv.pointwise.weight"][1], s3[pre+"conv.pointwise.weight"][0]; a != c/2 {
			t.Errorf("%s: edited node %d, now fed by the input node, maps %d to %d channels", name, last, a, c)
		}
	}

	// Same weights seed, saved and rebuilt config: the same logits.
	v := zootest.Variant(t, Variants(), "randwire_small_r32")
	o := v.Resolve(arch.Options{})
	m1 := v.New(nn.NewBuilder(tensor.NewRand(5), false), o).(*Model)
	saved, _ := json.Marshal(m1.Config())
	back, _ := ParseConfig(saved)
	m2 := New(nn.NewBuilder(tensor.NewRand(5), false), back, o)
	x := autograd.Const(tensor.Randn(tensor.NewRand(6), 1, 2, o.InChans, o.ImgSize, o.ImgSize))
	if !tensor.BitEqual(m1.Forward(&nn.Ctx{}, x).Value, m2.Forward(&nn.Ctx{}, x).Value) {
		t.Error("the rebuilt twin gives other logits")
	}
}

func shapesOf(params []*nn.Param) map[string][]int {
	s := map[string][]int{}
	for _, p := range params {
		s[p.Name] = p.Value.Shape
	}
	return s
}

func TestBadConfigs(t *testing.T) {
	if _, err := (Spec{Regime: "huge", C: 8, N: 8, Generator: ws475, Head: 16}).Config(); err == nil {
		t.Error("unknown regime accepted")
	}
	if _, err := (Spec{Regime: Small, C: 8, N: 4, Generator: ws475, Head: 16}).Config(); err == nil {
		t.Error("WS(4, 0.75) on 4 nodes accepted")
	}
	if _, err := ParseConfig([]byte(`{"stem_channels": 4, "stem_stride": 1, "head": 8, "stages": [{"name": "conv2", "channels": 8, "stride": 2, "graph": {"nodes": 3, "edges": [[2, 1]]}}]}`)); err == nil {
		t.Error("a graph edge pointing down accepted")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "drop-path") {
			t.Errorf("drop-path: %v", r)
		}
	}()
	v := zootest.Variant(t, Variants(), "randwire_small_r28")
	v.New(nn.NewBuilder(nil, true), v.Resolve(arch.Options{DropPath: 0.1}))
}

// goldenCase is one network of the PyTorch golden check; testdata/
// cases.json lists them (with their graphs) for gen_golden.py.
type goldenCase struct {
	Name    string `json:"name"`
	Config  Config `json:"config"`
	Img     int    `json:"img"`
	InChans int    `json:"in_chans"`
	Classes int    `json:"classes"`
	Batch   int    `json:"batch"`
}

// goldenCases: the r28 twin (WS); the regular regime with BA(2) graphs on
// an odd input (odd stride-2 sizes); the small regime with ER(0.3) graphs
// (nodes that are both input and output, wide fan-in).
func goldenCases(t *testing.T) []goldenCase {
	twin, _ := SpecOf("randwire_small_r28")
	return []goldenCase{
		{"randwire_small_r28", config(t, twin), 28, 1, 10, 2},
		{"regular_ba2", config(t, Spec{Regular, 8, 8, Generator{Kind: BA, M: 2}, 3, 24}), 33, 3, 5, 2},
		{"small_er03", config(t, Spec{Small, 8, 10, Generator{Kind: ER, P: 0.3}, 8, 16}), 35, 2, 4, 2},
	}
}

// TestGoldenCases keeps testdata/cases.json, which gen_golden.py reads,
// equal to the Go configs (go test -run GoldenCases -update rewrites it).
func TestGoldenCases(t *testing.T) {
	cases := goldenCases(t)
	// The ER case has a node with no edges at all and nodes with 3+ inputs.
	g := cases[2].Config.Stages[1].Graph
	isolated, wide := false, false
	for j, p := range g.Preds() {
		wide = wide || len(p) >= 3
		for _, o := range g.Outputs() {
			isolated = isolated || (o == j && len(p) == 0)
		}
	}
	if !isolated || !wide {
		t.Errorf("ER golden graph: isolated node %v, 3+ inputs %v", isolated, wide)
	}
	want, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	zootest.CheckSynced(t, "testdata/cases.json", want, *update, "go test -run GoldenCases -update, then /usr/bin/python3 testdata/gen_golden.py")
}

// TestGolden compares logits with the minimal PyTorch RandWire of
// testdata/gen_golden.py, built from the same saved graphs, its weights and
// batch-norm statistics loaded by name: in evaluation (running statistics)
// and training mode (batch statistics).
func TestGolden(t *testing.T) {
	cases := goldenCases(t)
	var names []string
	for _, gc := range cases {
		names = append(names, gc.Name)
	}
	golden := zootest.ReadStateCases(t, "testdata/golden.json", names)
	for i, gc := range cases {
		g := golden[i]
		t.Run(gc.Name, func(t *testing.T) {
			b := nn.NewBuilder(tensor.NewRand(1), false)
			m := New(b, gc.Config, arch.Options{NumClasses: gc.Classes, InChans: gc.InChans, ImgSize: gc.Img})
			zootest.LoadTensors(t, zootest.State(b), zootest.ByName(g.State))
			x := autograd.Const(g.Input.Value())
			for _, mode := range []struct {
				train bool
				want  zootest.Tensor
			}{{false, g.LogitsEval}, {true, g.LogitsTrain}} {
				y := m.Forward(&nn.Ctx{Train: mode.train}, x)
				if e := zootest.L2RelErr(y.Value.Data, mode.want.Data); e > 1e-4 {
					t.Errorf("train=%v logits: relative error %.3g", mode.train, e)
				} else {
					t.Logf("train=%v logits: relative error %.3g", mode.train, e)
				}
			}
		})
	}
}
