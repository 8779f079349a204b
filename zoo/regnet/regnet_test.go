package regnet

import (
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
)

func variant(t *testing.T, name string) arch.Variant {
	t.Helper()
	for _, v := range Variants() {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no variant %q", name)
	return arch.Variant{}
}

// count builds v shape-only and returns the model, its parameters and the
// MACs of one forward pass at its native resolution.
func count(v arch.Variant) (*RegNet, []*nn.Param, int64) {
	b := nn.NewBuilder(nil, true)
	o := v.Resolve(arch.Options{})
	m := v.New(b, o).(*RegNet)
	tp := autograd.NoGrad()
	m.Forward(&nn.Ctx{Tape: tp}, autograd.Const(tensor.Meta(1, o.InChans, o.ImgSize, o.ImgSize)))
	return m, b.Params(), tp.MACs()
}

// TestCountsMatchTorchvision holds every full-size variant's stages,
// parameter count, parameter names and conv+linear MACs to torchvision's
// RegNet class built with pycls's (= timm's) stages, counted with forward
// hooks by testdata/gen_counts.py. That script also checks these counts
// against torchvision's own regnet_y_* builders where its rounding agrees
// with pycls's, and against timm's published param_count (3.16 M .. 145.05
// M) for all nine.
func TestCountsMatchTorchvision(t *testing.T) {
	var ref struct {
		Models map[string]struct {
			Params      int64    `json:"params"`
			MACs        int64    `json:"macs"`
			Widths      []int    `json:"widths"`
			Depths      []int    `json:"depths"`
			GroupWidths []int    `json:"group_widths"`
			Names       []string `json:"names"`
		} `json:"models"`
	}
	b, err := os.ReadFile("testdata/counts.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	full := 0
	for _, v := range Variants() {
		if !v.Twin {
			full++
			if _, ok := ref.Models[v.Name]; !ok {
				t.Errorf("%s: not in counts.json", v.Name)
			}
		}
	}
	if len(ref.Models) != full {
		t.Errorf("counts.json has %d models, we have %d full-size variants", len(ref.Models), full)
	}
	for name, want := range ref.Models {
		m, params, macs := count(variant(t, name))
		var widths, depths, groups []int
		for _, s := range m.Stages {
			widths, depths, groups = append(widths, s.Width), append(depths, s.Depth), append(groups, s.GroupWidth)
		}
		if !cmp.Equal(widths, want.Widths) || !cmp.Equal(depths, want.Depths) || !cmp.Equal(groups, want.GroupWidths) {
			t.Errorf("%s: stages %v, pycls rule %v %v %v", name, m.Stages, want.Widths, want.Depths, want.GroupWidths)
		}
		if got := nn.CountParams(params, ""); got != want.Params {
			t.Errorf("%s: %d parameters, torchvision %d", name, got, want.Params)
		}
		if macs != want.MACs {
			t.Errorf("%s: %d MACs, torchvision hooks count %d", name, macs, want.MACs)
		}
		if diff := cmp.Diff(want.Names, nn.SortedNames(params)); diff != "" {
			t.Errorf("%s: parameter names (-torchvision mapped to timm +ours):\n%s", name, diff)
		}
	}
}

// TestStagesRoundHalfToEven pins the two roundings of the generator where
// they matter: RegNetY-800MF's stage widths 56, 136, 776 are 3.5, 8.5 and
// 48.5 groups of 16, which pycls's Python round takes to 64, 128 and 768
// (halves to even); and RegNetY-8GF's stage 1 (192 = 3.43 groups of 56)
// rounds down to 168, where torchvision's _make_divisible gives 224.
func TestStagesRoundHalfToEven(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []Stage
	}{
		{regnetY(14, 56, 38.84, 2.4, 16), []Stage{{64, 1, 16}, {128, 3, 16}, {320, 8, 16}, {768, 2, 16}}},
		{regnetY(17, 192, 76.82, 2.19, 56), []Stage{{168, 2, 56}, {448, 4, 56}, {896, 10, 56}, {2016, 1, 56}}},
		{Twin, []Stage{{24, 1, 8}, {48, 2, 8}, {96, 4, 8}, {192, 3, 8}}},
	} {
		if got := tc.cfg.Stages(); !cmp.Equal(got, tc.want) {
			t.Errorf("%+v: stages %v, want %v", tc.cfg, got, tc.want)
		}
	}
}

// TestPublishedTimm compares our variants in zoo/published.csv (there:
// regnety_160, DeiT's teacher) with timm's numbers: 83.59 M parameters,
// 15.96 GMACs. Our count
// is conv and linear MACs (15.91 G); timm's counter also counts the SE
// gating, pooling and batch norms, hence a 0.3% excess.
func TestPublishedTimm(t *testing.T) {
	f, err := os.Open("../published.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, v := range Variants() {
		ours[v.Name] = !v.Twin
	}
	found := false
	for _, r := range rows[1:] {
		if !ours[r[0]] {
			continue
		}
		found = found || r[0] == "regnety_160"
		paramsM, _ := strconv.ParseFloat(r[6], 64)
		gmacs, _ := strconv.ParseFloat(r[7], 64)
		_, params, macs := count(variant(t, r[0]))
		if got := float64(nn.CountParams(params, "")) / 1e6; math.Abs(got-paramsM) > 0.005 {
			t.Errorf("%s: %.3f M parameters, timm %.2f M", r[0], got, paramsM)
		}
		if e := math.Abs(float64(macs)/1e9-gmacs) / gmacs; e > 0.02 {
			t.Errorf("%s: %.3f GMACs, timm %.2f (%.1f%% off)", r[0], float64(macs)/1e9, gmacs, 100*e)
		}
	}
	if !found {
		t.Fatal("regnety_160 missing from published.csv")
	}
}

// TestFullSizeForward runs every full-size variant on one 224x224 image
// with seeded weights. regnety_320 (32 GMACs) is skipped with -short.
func TestFullSizeForward(t *testing.T) {
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		if _, _, macs := count(v); macs > 20e9 && testing.Short() {
			t.Logf("%s: %.1f GMACs, skipped in -short", v.Name, float64(macs)/1e9)
			continue
		}
		o := v.Resolve(arch.Options{})
		m := v.New(nn.NewBuilder(tensor.NewRand(1), false), o)
		x := tensor.Randn(tensor.NewRand(2), 1, 1, 3, 224, 224)
		y := m.Forward(&nn.Ctx{}, autograd.Const(x)).Value
		if !cmp.Equal(y.Shape, []int{1, 1000}) {
			t.Fatalf("%s: logits %v", v.Name, y.Shape)
		}
		for _, l := range y.Data {
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				t.Fatalf("%s: non-finite logit", v.Name)
			}
		}
	}
}

func TestTwinsTrainStep(t *testing.T) {
	for _, name := range []string{"regnety_r28", "regnety_r32"} {
		v := variant(t, name)
		o := v.Resolve(arch.Options{DropPath: 0.1, Dropout: 0.1})
		_, _, macs := count(v)
		if macs > 15e6 { // an epoch of 60k images in minutes
			t.Errorf("%s: %d MACs per image, budget 15M", name, macs)
		}
		b := nn.NewBuilder(tensor.NewRand(3), false)
		m := v.New(b, o)
		x := tensor.Randn(tensor.NewRand(4), 1, 2, o.InChans, o.ImgSize, o.ImgSize)
		tp := autograd.NewTape()
		y := m.Forward(&nn.Ctx{Tape: tp, Train: true, RNG: tensor.NewRand(5)}, autograd.Const(x))
		if !cmp.Equal(y.Value.Shape, []int{2, 10}) {
			t.Fatalf("%s: logits %v", name, y.Value.Shape)
		}
		for _, l := range y.Value.Data {
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				t.Fatalf("%s: non-finite logit", name)
			}
		}
		tp.BackwardFrom(y, tensor.Randn(tensor.NewRand(6), 1, 2, 10))
		for _, p := range b.Params() {
			if p.Grad == nil {
				t.Errorf("%s: %s has no gradient", name, p.Name)
				continue
			}
			nonzero := false
			for _, g := range p.Grad.Data {
				if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
					t.Fatalf("%s: %s has a non-finite gradient", name, p.Name)
				}
				nonzero = nonzero || g != 0
			}
			if !nonzero {
				t.Errorf("%s: %s has an all-zero gradient", name, p.Name)
			}
		}
	}
}

type golden struct {
	Design struct {
		Depth      int     `json:"depth"`
		W0         int     `json:"w0"`
		WA         float64 `json:"wa"`
		WM         float64 `json:"wm"`
		GroupWidth int     `json:"group_width"`
		StemStride int     `json:"stem_stride"`
		InChans    int     `json:"in_chans"`
		ImgSize    int     `json:"img_size"`
	} `json:"design"`
	Stages struct {
		Widths      []int `json:"widths"`
		Depths      []int `json:"depths"`
		GroupWidths []int `json:"group_widths"`
	} `json:"stages"`
	Tensors []struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	} `json:"tensors"`
	Input, Logits struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	}
}

// TestGoldenLogits loads the weights of torchvision's RegNet class
// (testdata/gen_golden.py, names mapped to timm's) by name into our model
// built from the same design-space parameters, and compares eval logits:
// the regnety_r28 twin itself, and a smaller point of the space with the
// paper's stride-2 stem on 3x32x32 input.
func TestGoldenLogits(t *testing.T) {
	for _, file := range []string{"golden_regnety_r28", "golden_stem2"} {
		var g golden
		js, err := os.ReadFile("testdata/" + file + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &g); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile("testdata/" + file + ".bin")
		if err != nil {
			t.Fatal(err)
		}
		d := g.Design
		cfg := Config{Depth: d.Depth, W0: d.W0, WA: d.WA, WM: d.WM, GroupWidth: d.GroupWidth,
			BottleRatio: 1, SERatio: 0.25, StemWidth: 32, StemStride: d.StemStride}
		if file == "golden_regnety_r28" && cfg != Twin {
			t.Fatalf("%s: design %+v is not the twin's %+v", file, cfg, Twin)
		}
		var want []Stage
		for i := range g.Stages.Widths {
			want = append(want, Stage{g.Stages.Widths[i], g.Stages.Depths[i], g.Stages.GroupWidths[i]})
		}
		if got := cfg.Stages(); !cmp.Equal(got, want) {
			t.Fatalf("%s: stages %v, torchvision's from_init_params %v", file, got, want)
		}
		b := nn.NewBuilder(tensor.NewRand(0), false)
		m := New(b, cfg, arch.Options{NumClasses: 10, InChans: d.InChans, ImgSize: d.ImgSize})
		byName := map[string]*tensor.Tensor{}
		for _, p := range b.Params() {
			byName[p.Name] = p.Value
		}
		for _, buf := range b.Buffers() {
			byName[buf.Name] = buf.Value
		}
		off := 0
		for _, ts := range g.Tensors {
			dst, ok := byName[ts.Name]
			if !ok {
				t.Fatalf("%s: PyTorch tensor %s has no counterpart", file, ts.Name)
			}
			if !cmp.Equal(dst.Shape, ts.Shape) {
				t.Fatalf("%s: %s: shape %v, PyTorch %v", file, ts.Name, dst.Shape, ts.Shape)
			}
			for i := range dst.Data {
				dst.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(off+i):]))
			}
			off += len(dst.Data)
			delete(byName, ts.Name)
		}
		if len(byName) != 0 || off*4 != len(raw) {
			t.Fatalf("%s: unloaded tensors %v; %d of %d bytes read", file, byName, off*4, len(raw))
		}
		x := tensor.FromData(g.Input.Data, g.Input.Shape...)
		y := m.Forward(&nn.Ctx{}, autograd.Const(x)).Value
		if !cmp.Equal(y.Shape, g.Logits.Shape) {
			t.Fatalf("%s: logits %v, PyTorch %v", file, y.Shape, g.Logits.Shape)
		}
		if e := normRelErr(y.Data, g.Logits.Data); e > 1e-4 {
			t.Fatalf("%s: logits differ from PyTorch by %.3g (normwise)\ngot  %v\nwant %v", file, e, y.Data, g.Logits.Data)
		}
		// The match must come from the input: a reversed input gives
		// clearly different logits.
		rev := make([]float32, len(g.Input.Data))
		for i, v := range g.Input.Data {
			rev[len(rev)-1-i] = v
		}
		y2 := m.Forward(&nn.Ctx{}, autograd.Const(tensor.FromData(rev, g.Input.Shape...))).Value
		if e := normRelErr(y2.Data, g.Logits.Data); e < 1e-2 {
			t.Fatalf("%s: logits of a different input differ by only %.3g", file, e)
		}
		t.Logf("%s: normwise relative error %.2g", file, normRelErr(y.Data, g.Logits.Data))
	}
}

// normRelErr is ‖got − want‖₂ / ‖want‖₂.
func normRelErr(got, want []float32) float64 {
	var d, n float64
	for i, w := range want {
		d += (float64(got[i]) - float64(w)) * (float64(got[i]) - float64(w))
		n += float64(w) * float64(w)
	}
	return math.Sqrt(d / n)
}
