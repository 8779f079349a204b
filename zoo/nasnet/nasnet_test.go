package nasnet

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
	"github.com/reprise-ml/reprise/zoo/zootest"
)

var update = flag.Bool("update", false, "rewrite testdata/cells.json from the Go cell data")

// timmLargeParams is the parameter count of timm's NASNetALarge, written
// from timm's nasnet.py class by class, independently of the cell data
// (it is also what slim's checkpoint holds):
//
//	ActConvBn(i, o)            = i·o + 2o               (1x1 conv, BN)
//	BranchSeparables(i, o, k)  = i·k² + i·m + 2m + m·k² + m·o + 2o, m = i (m = o with stem_cell)
//	CellStem0(S, n)            = ActConvBn(S, n) + BS(n,n,5) + BS(S,n,7)* + BS(S,n,7)* + BS(S,n,5)* + BS(n,n,3)
//	CellStem1(S, n)            = ActConvBn(2n, n) + 2·S·n/2 + 2n + BS(n,n,5) + 2·BS(n,n,7) + BS(n,n,5) + BS(n,n,3)
//	FirstCell(il, ol, ir, or)  = ActConvBn(ir, or) + 2·il·ol + 2·2ol + BS(or,or,5) + BS(or,or,3) + BS(or,or,5) + BS(or,or,3) + BS(or,or,3)
//	NormalCell(il, ol, ir, or) = ActConvBn(il, ol) + ActConvBn(ir, or) + BS(or,or,5) + BS(ol,ol,3) + BS(ol,ol,5) + BS(ol,ol,3) + BS(or,or,3)
//	ReductionCell(., ., ir, o) = ActConvBn(il, o) + ActConvBn(ir, o) + BS(o,o,5) + 2·BS(o,o,7) + BS(o,o,5) + BS(o,o,3)
//
// with S = 96, c = 4032/24 = 168, conv0 = 3·9·S + 2S, the cells' arguments as
// in NASNetALarge.__init__, and last_linear 4032·1000 + 1000.
func timmLargeParams() int64 {
	bs := func(i, o, k int, stem bool) int {
		m := i
		if stem {
			m = o
		}
		return i*k*k + i*m + 2*m + m*k*k + m*o + 2*o
	}
	acb := func(i, o int) int { return i*o + 2*o }
	stem0 := func(s, n int) int {
		return acb(s, n) + bs(n, n, 5, false) + bs(s, n, 7, true) + bs(s, n, 7, true) + bs(s, n, 5, true) + bs(n, n, 3, false)
	}
	stem1 := func(s, n int) int {
		return acb(2*n, n) + 2*s*(n/2) + 2*n + bs(n, n, 5, false) + 2*bs(n, n, 7, false) + bs(n, n, 5, false) + bs(n, n, 3, false)
	}
	first := func(il, ol, ir, or int) int {
		return acb(ir, or) + 2*il*ol + 2*2*ol + bs(or, or, 5, false) + bs(or, or, 3, false) + bs(or, or, 5, false) + 2*bs(or, or, 3, false)
	}
	normal := func(il, ol, ir, or int) int {
		return acb(il, ol) + acb(ir, or) + bs(or, or, 5, false) + bs(ol, ol, 3, false) + bs(ol, ol, 5, false) + bs(ol, ol, 3, false) + bs(or, or, 3, false)
	}
	reduction := func(il, ir, o int) int {
		return acb(il, o) + acb(ir, o) + bs(o, o, 5, false) + 2*bs(o, o, 7, false) + bs(o, o, 5, false) + bs(o, o, 3, false)
	}
	const c, s = 168, 96
	n := 3*9*s + 2*s + stem0(s, c/4) + stem1(s, c/2)
	n += first(c, c/2, 2*c, c) + normal(2*c, c, 6*c, c) + 4*normal(6*c, c, 6*c, c)
	n += reduction(6*c, 6*c, 2*c) + first(6*c, c, 8*c, 2*c) + normal(8*c, 2*c, 12*c, 2*c) + 4*normal(12*c, 2*c, 12*c, 2*c)
	n += reduction(12*c, 12*c, 4*c) + first(12*c, 2*c, 16*c, 4*c) + normal(16*c, 4*c, 24*c, 4*c) + 4*normal(24*c, 4*c, 24*c, 4*c)
	return int64(n + 4032*1000 + 1000)
}

// TestCounts holds every full-size variant's parameters and MACs against
// the published numbers.
func TestCounts(t *testing.T) {
	pub := zootest.Published(t)
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		p, ok := pub[v.Name]
		if !ok {
			t.Errorf("%s: not in published.csv", v.Name)
			continue
		}
		ps, macs := zootest.Count(t, v)
		params := nn.CountParams(ps, "")
		gmacs := float64(macs) / 1e9
		t.Logf("%s: %d params, %.3f GMACs", v.Name, params, gmacs)
		switch v.Name {
		case "nasnetalarge":
			// Exactly timm's count (88,753,150; timm's table rounds it to 88.75M).
			if want := timmLargeParams(); params != want {
				t.Errorf("%s: %d params, timm has %d", v.Name, params, want)
			}
			if math.Abs(float64(params)/1e6-p.ParamsTimm) > 0.005 {
				t.Errorf("%s: %d params, published.csv has %.2fM", v.Name, params, p.ParamsTimm)
			}
		case "nasnetamobile":
			// timm lacks it: within 3% of the paper's 5.3M (Tab. 3). We get
			// 5,289,978 (0.2% below; the paper rounds to 0.1M). Like timm's
			// count for the large model, it holds no auxiliary head: the
			// paper's training uses one, but it is not part of the model.
			if r := float64(params) / 1e6 / p.ParamsPaper; math.Abs(r-1) > 0.03 {
				t.Errorf("%s: %d params, %.1f%% off the paper's %.1fM", v.Name, params, 100*(r-1), p.ParamsPaper)
			}
		default:
			t.Errorf("%s: no parameter check", v.Name)
		}
		// MACs: conv and linear layers (pools, adds and BN are not counted,
		// as in the paper's Mult-Adds). The large model is 0.45% below
		// timm's 23.89 GMACs (and 0.07% below the paper's 23.8B), the
		// mobile model 0.06% below the paper's 564M.
		if !math.IsNaN(p.GMACsTimm) {
			if r := gmacs / p.GMACsTimm; math.Abs(r-1) > 0.02 {
				t.Errorf("%s: %.3f GMACs, %.1f%% off timm's %.2f", v.Name, gmacs, 100*(r-1), p.GMACsTimm)
			}
		} else if r := gmacs / p.GMACsPaper; math.Abs(r-1) > 0.03 {
			t.Errorf("%s: %.3f GMACs, %.1f%% off the paper's %.3f", v.Name, gmacs, 100*(r-1), p.GMACsPaper)
		}
	}
}

// TestTimmNames checks parameter names and shapes against timm's
// nasnetalarge (nasnet.py: NASNetALarge and its cell classes).
func TestTimmNames(t *testing.T) {
	params, _ := zootest.Count(t, zootest.Variant(t, Variants(), "nasnetalarge"))
	got := map[string][]int{}
	for _, p := range params {
		got[p.Name] = p.Value.Shape
	}
	for name, shape := range map[string][]int{
		"conv0.conv.weight":                {96, 3, 3, 3},
		"conv0.bn.weight":                  {96},
		"cell_stem_0.conv_1x1.conv.weight": {42, 96, 1, 1},
		"cell_stem_0.comb_iter_0_left.separable_1.depthwise_conv2d.weight":       {42, 1, 5, 5},
		"cell_stem_0.comb_iter_0_right.separable_1.depthwise_conv2d.weight":      {96, 1, 7, 7},
		"cell_stem_0.comb_iter_0_right.separable_1.pointwise_conv2d.weight":      {42, 96, 1, 1},
		"cell_stem_0.comb_iter_0_right.bn_sep_1.weight":                          {42},
		"cell_stem_0.comb_iter_4_left.bn_sep_2.bias":                             {42},
		"cell_stem_1.conv_1x1.conv.weight":                                       {84, 168, 1, 1},
		"cell_stem_1.path_1.conv.weight":                                         {42, 96, 1, 1},
		"cell_stem_1.path_2.conv.weight":                                         {42, 96, 1, 1},
		"cell_stem_1.final_path_bn.weight":                                       {84},
		"cell_0.conv_1x1.conv.weight":                                            {168, 336, 1, 1},
		"cell_0.path_1.conv.weight":                                              {84, 168, 1, 1},
		"cell_0.comb_iter_0_left.separable_1.depthwise_conv2d.weight":            {168, 1, 5, 5},
		"cell_0.comb_iter_4_left.separable_2.pointwise_conv2d.weight":            {168, 168, 1, 1},
		"cell_1.conv_prev_1x1.conv.weight":                                       {168, 336, 1, 1},
		"cell_1.conv_1x1.conv.weight":                                            {168, 1008, 1, 1},
		"reduction_cell_0.conv_prev_1x1.conv.weight":                             {336, 1008, 1, 1},
		"reduction_cell_0.comb_iter_1_right.separable_2.depthwise_conv2d.weight": {336, 1, 7, 7},
		"cell_6.path_1.conv.weight":                                              {168, 1008, 1, 1},
		"cell_6.conv_1x1.conv.weight":                                            {336, 1344, 1, 1},
		"cell_7.conv_prev_1x1.conv.weight":                                       {336, 1344, 1, 1},
		"reduction_cell_1.conv_1x1.conv.weight":                                  {672, 2016, 1, 1},
		"cell_12.path_2.conv.weight":                                             {336, 2016, 1, 1},
		"cell_17.comb_iter_1_right.bn_sep_2.weight":                              {672},
		"last_linear.weight":                                                     {1000, 4032},
		"last_linear.bias":                                                       {1000},
	} {
		if g, ok := got[name]; !ok {
			t.Errorf("no parameter %s", name)
		} else if !tensor.SameShape(g, shape) {
			t.Errorf("%s: shape %v, timm has %v", name, g, shape)
		}
	}
	// timm has no parameters for identities and pools, and no cell_18.
	for name := range got {
		for _, bad := range []string{"comb_iter_2_right", "comb_iter_3_left.", "cell_18.", "aux"} {
			if strings.Contains(name, bad) && !strings.HasPrefix(name, "cell_stem") && !strings.HasPrefix(name, "reduction_cell") {
				t.Errorf("unexpected parameter %s", name)
			}
		}
	}
}

// TestFullSizeForward runs every full-size model on one image with real
// weights. nasnetalarge (23.8 GMACs, above the ~20 GMACs threshold) is
// skipped with -short.
func TestFullSizeForward(t *testing.T) {
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			if v.Name == "nasnetalarge" && testing.Short() {
				t.Skip("23.8 GMACs: skipped in -short")
			}
			zootest.CheckForward(t, v)
		})
	}
}

// TestTwins: each twin costs at most ~15M MACs per image, gives [2, 10]
// finite logits and trains: every parameter gets a finite, non-zero
// gradient.
func TestTwins(t *testing.T) {
	for _, v := range Variants() {
		if !v.Twin {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			params, macs := zootest.Count(t, v)
			t.Logf("%d params, %.2fM MACs", nn.CountParams(params, ""), float64(macs)/1e6)
			if macs > 15e6 {
				t.Errorf("%.1fM MACs per image: want at most 15M", float64(macs)/1e6)
			}
			o := v.Resolve(arch.Options{})
			if o.NumClasses != 10 || (o.ImgSize == 28) != (o.InChans == 1) {
				t.Errorf("options %+v", o)
			}
			zootest.CheckTwinTrainStep(t, v, arch.Options{}, nil)
		})
	}
}

// randomCells is the random normal and reduction cell of a seed; seed 160
// and 269 between them use every op of the search space, and their
// reduction cells concatenate a cell input (h_{i-1}, h_i), which then takes
// the factorized reduction of slim's _combine_unused_states.
func randomCells(seed uint64) (normal, reduction Cell) {
	rng := tensor.NewRand(seed)
	return RandomCell(rng, 5), RandomCell(rng, 5)
}

// TestRandomCell builds NASNets from random cells of the search space with
// the same code as NASNet-A: they count, run forward and backward (with
// ScheduledDropPath on), and every parameter trains.
func TestRandomCell(t *testing.T) {
	seen := map[Op]bool{}
	for _, seed := range []uint64{160, 269} {
		normal, reduction := randomCells(seed)
		for _, c := range []Cell{normal, reduction} {
			if err := c.Validate(); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if fmt.Sprint(c.Concat) != fmt.Sprint(c.Unused()) {
				t.Errorf("seed %d: concat %v, unused %v", seed, c.Concat, c.Unused())
			}
			for _, blk := range c.Blocks {
				for _, br := range blk {
					seen[br.Op] = true
				}
			}
		}
		if reduction.Concat[0] >= 2 {
			t.Errorf("seed %d: the reduction cell concatenates no cell input", seed)
		}
		for _, stem := range []Stem{CIFARStem, ImageNetStem} {
			cfg := Config{N: 1, F: 192, Stem: stem, StemMult: 1, Normal: normal, Reduction: reduction}
			o := arch.Options{NumClasses: 10, InChans: 3, ImgSize: 32, DropPath: 0.3}
			if stem == ImageNetStem {
				o.ImgSize = 67
			}
			name := fmt.Sprintf("seed %d, stem %v", seed, stem)
			build := func(b *nn.Builder) arch.Model { return New(b, cfg, o) }
			if _, params, macs := zootest.CountModel(t, name, o, build); macs <= 0 || nn.CountParams(params, "") <= 0 {
				t.Errorf("%s: %d MACs, %d parameters", name, macs, nn.CountParams(params, ""))
			}
			b := nn.NewBuilder(tensor.NewRand(1), false)
			m := New(b, cfg, o)
			zootest.CheckTrainStep(t, name, m, b.Params(), o, nil) // progress 0: no drop-path yet
			for _, p := range b.Params() {
				p.ZeroGrad()
			}
			// With drop-path on, a branch dropped for both samples
			// legitimately gets a zero gradient: finite is enough.
			m.SetProgress(1)
			zootest.CheckTrainStep(t, name+" at progress 1", m, b.Params(), o, func(string) bool { return true })
		}
	}
	if len(seen) != int(numOps) {
		t.Errorf("random cells use %d of %d ops", len(seen), numOps)
	}
}

// TestNASNetACells checks the data of Fig. 4 against the paper's rule for
// the output: slim (and so timm) concatenates every unused state and, as
// its used_hiddenstates say, one state more in each cell: h_{i-1} in the
// normal cell (6 branches), block 1 in the reduction cell (4 branches).
func TestNASNetACells(t *testing.T) {
	for _, tc := range []struct {
		cell          Cell
		unused, extra string
	}{
		{NASNetANormal, "[2 3 4 5 6]", "[1 2 3 4 5 6]"},
		{NASNetAReduction, "[4 5 6]", "[3 4 5 6]"},
	} {
		if err := tc.cell.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(tc.cell.Unused()); got != tc.unused {
			t.Errorf("unused %s, want %s", got, tc.unused)
		}
		if got := fmt.Sprint(tc.cell.Concat); got != tc.extra {
			t.Errorf("concat %s, want %s", got, tc.extra)
		}
	}
}

func TestCellValidate(t *testing.T) {
	sep := func(in int) Branch { return Branch{In: in, Op: Sep3x3} }
	for _, tc := range []struct {
		cell Cell
		want string
	}{
		{Cell{}, "no blocks"},
		{Cell{Blocks: []Block{{sep(0), sep(2)}}, Concat: []int{2}}, "reads state 2"},
		{Cell{Blocks: []Block{{sep(0), sep(-1)}}, Concat: []int{2}}, "reads state -1"},
		{Cell{Blocks: []Block{{sep(0), {In: 1, Op: numOps}}}, Concat: []int{2}}, "unknown op"},
		{Cell{Blocks: []Block{{sep(0), sep(1)}}}, "concatenates no state"},
		{Cell{Blocks: []Block{{sep(0), sep(1)}}, Concat: []int{2, 2}}, "distinct"},
		{Cell{Blocks: []Block{{sep(0), sep(1)}}, Concat: []int{3}}, "distinct"},
	} {
		err := tc.cell.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%v) = %v, want an error with %q", tc.cell, err, tc.want)
		}
	}
	var o Op
	if err := o.UnmarshalText([]byte("sep_conv_9x9")); err == nil {
		t.Error("unknown op name accepted")
	}
	for i := range numOps {
		var back Op
		if b, err := i.MarshalText(); err != nil || back.UnmarshalText(b) != nil || back != i {
			t.Errorf("op %d does not round-trip through %q", i, b)
		}
	}
}

// TestScheduledDropPath checks the rate formula and that it acts: with the
// same random source, a training pass at progress 0 (rate 0 everywhere)
// and one at progress 1 differ, and one at progress 0 equals a model with
// no drop-path.
func TestScheduledDropPath(t *testing.T) {
	v := zootest.Variant(t, Variants(), "nasnet_mobile_r32")
	o := v.Resolve(arch.Options{DropPath: 0.4})
	m := v.New(nn.NewBuilder(tensor.NewRand(1), false), o).(*Model)
	// slim: 3N normal + 2 reduction cells, no stem cells with the CIFAR stem.
	if m.NumCells() != 8 {
		t.Fatalf("%d cells, want 8", m.NumCells())
	}
	if r := m.DropPathRate(7); r != 0 {
		t.Errorf("rate %v at progress 0", r)
	}
	m.SetProgress(0.5)
	for n, want := range map[int]float32{0: 0.4 * 1 / 8 * 0.5, 3: 0.4 * 4 / 8 * 0.5, 7: 0.4 * 0.5} {
		if r := m.DropPathRate(n); math.Abs(float64(r-want)) > 1e-7 {
			t.Errorf("cell %d: rate %v, want %v", n, r, want)
		}
	}
	m.SetProgress(3)
	if m.Progress() != 1 || math.Abs(float64(m.DropPathRate(7)-0.4)) > 1e-7 {
		t.Errorf("progress %v, last rate %v", m.Progress(), m.DropPathRate(7))
	}
	// Large: 18 + 2 + 2 stem cells; the first stem cell is number 0.
	l := New(nn.NewBuilder(nil, true), configs[0].cfg, arch.Options{NumClasses: 1000, InChans: 3, ImgSize: 331, DropPath: 0.3})
	if l.NumCells() != 22 {
		t.Errorf("nasnetalarge: %d cells, want 22", l.NumCells())
	}

	x := autograd.Const(tensor.Randn(tensor.NewRand(2), 1, 2, o.InChans, o.ImgSize, o.ImgSize))
	run := func(m *Model, p float32) *tensor.Tensor {
		m.SetProgress(p)
		return m.Forward(&nn.Ctx{Train: true, RNG: tensor.NewRand(5)}, x).Value
	}
	plain := v.New(nn.NewBuilder(tensor.NewRand(1), false), v.Resolve(arch.Options{})).(*Model)
	if !tensor.BitEqual(run(m, 0), run(plain, 1)) {
		t.Error("progress 0 differs from no drop-path")
	}
	if tensor.BitEqual(run(m, 0), run(m, 1)) {
		t.Error("drop-path at progress 1 changes nothing")
	}
}

// goldenCase is one network of the PyTorch golden check; testdata/
// cells.json lists them for gen_golden.py.
type goldenCase struct {
	Name      string  `json:"name"`
	N         int     `json:"n"`
	F         int     `json:"f"`
	Stem      string  `json:"stem"` // "imagenet" or "cifar"
	StemMult  float64 `json:"stem_mult"`
	Skip      bool    `json:"skip_reduction_input"`
	Img       int     `json:"img"`
	InChans   int     `json:"in_chans"`
	Classes   int     `json:"classes"`
	Batch     int     `json:"batch"`
	Normal    Cell    `json:"normal"`
	Reduction Cell    `json:"reduction"`
}

func (g goldenCase) config() Config {
	stem := CIFARStem
	if g.Stem == "imagenet" {
		stem = ImageNetStem
	}
	return Config{N: g.N, F: g.F, Stem: stem, StemMult: g.StemMult, SkipReductionInput: g.Skip, Normal: g.Normal, Reduction: g.Reduction}
}

// goldenCases: the r32 twin; a small ImageNet-stem NASNet-A with the large
// model's skip_reduction_layer_input on an odd input (odd "SAME" paddings,
// odd factorized reductions); the random cells of TestRandomCell behind
// both stems.
func goldenCases(t *testing.T) []goldenCase {
	var twin Config
	var twinImg, twinIn int
	for _, r := range configs {
		if r.name == "nasnet_mobile_r32" {
			twin, twinImg, twinIn = r.cfg, r.img, r.in
		}
	}
	if twin.Stem != CIFARStem {
		t.Fatal("nasnet_mobile_r32 is not a CIFAR-stem model")
	}
	n160, r160 := randomCells(160)
	n269, r269 := randomCells(269)
	return []goldenCase{
		{"nasnet_mobile_r32", twin.N, twin.F, "cifar", twin.StemMult, twin.SkipReductionInput, twinImg, twinIn, 10, 2, NASNetANormal, NASNetAReduction},
		{"imagenet_stem_skip", 1, 192, "imagenet", 1, true, 43, 3, 7, 2, NASNetANormal, NASNetAReduction},
		{"random_160_cifar", 1, 96, "cifar", 3, false, 19, 2, 5, 2, n160, r160},
		{"random_269_imagenet", 1, 192, "imagenet", 1, false, 47, 3, 6, 2, n269, r269},
	}
}

// TestCellsJSON keeps testdata/cells.json, which gen_golden.py reads, equal
// to the Go cell data (go test -run CellsJSON -update rewrites it).
func TestCellsJSON(t *testing.T) {
	want, err := json.MarshalIndent(goldenCases(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	zootest.CheckSynced(t, "testdata/cells.json", want, *update, "go test -run CellsJSON -update, then /usr/bin/python3 testdata/gen_golden.py")
}

// TestGolden compares logits with the minimal PyTorch NASNet of
// testdata/gen_golden.py, built from the same cell data, with its weights
// and batch-norm statistics loaded by name: in evaluation (running
// statistics) and in training mode (batch statistics).
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
			m := New(b, gc.config(), arch.Options{NumClasses: gc.Classes, InChans: gc.InChans, ImgSize: gc.Img})
			zootest.LoadTensors(t, zootest.State(b), zootest.ByName(g.State))
			x := autograd.Const(g.Input.Value())
			y := m.Forward(&nn.Ctx{}, x)
			if e := zootest.L2RelErr(y.Value.Data, g.LogitsEval.Data); e > 1e-4 {
				t.Errorf("eval logits: relative error %.3g", e)
			} else {
				t.Logf("eval logits: relative error %.3g", e)
			}
			y = m.Forward(&nn.Ctx{Train: true, RNG: tensor.NewRand(1)}, x)
			if e := zootest.L2RelErr(y.Value.Data, g.LogitsTrain.Data); e > 1e-4 {
				t.Errorf("train logits: relative error %.3g", e)
			} else {
				t.Logf("train logits: relative error %.3g", e)
			}
		})
	}
}
