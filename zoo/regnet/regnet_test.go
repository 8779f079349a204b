package regnet

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
	"github.com/reprise-ml/reprise/zoo/zootest"
)

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
	zootest.ReadJSON(t, "testdata/counts.json", &ref)
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
		model, params, macs := zootest.CountAt(t, zootest.Variant(t, Variants(), name), arch.Options{})
		m := model.(*RegNet)
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
	pub := zootest.Published(t)
	found := false
	for _, v := range Variants() {
		r, ok := pub[v.Name]
		if v.Twin || !ok {
			continue
		}
		found = found || v.Name == "regnety_160"
		paramsM, gmacs := r.ParamsTimm, r.GMACsTimm // NaN (empty) fails both checks
		params, macs := zootest.Count(t, v)
		if got := float64(nn.CountParams(params, "")) / 1e6; math.IsNaN(paramsM) || math.Abs(got-paramsM) > 0.005 {
			t.Errorf("%s: %.3f M parameters, timm %.2f M", v.Name, got, paramsM)
		}
		if e := math.Abs(float64(macs)/1e9-gmacs) / gmacs; math.IsNaN(e) || e > 0.02 {
			t.Errorf("%s: %.3f GMACs, timm %.2f (%.1f%% off)", v.Name, float64(macs)/1e9, gmacs, 100*e)
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
		if _, macs := zootest.Count(t, v); macs > 20e9 && testing.Short() {
			t.Logf("%s: %.1f GMACs, skipped in -short", v.Name, float64(macs)/1e9)
			continue
		}
		zootest.CheckForward(t, v)
	}
}

func TestTwinsTrainStep(t *testing.T) {
	for _, name := range []string{"regnety_r28", "regnety_r32"} {
		v := zootest.Variant(t, Variants(), name)
		if _, macs := zootest.Count(t, v); macs > 15e6 { // an epoch of 60k images in minutes
			t.Errorf("%s: %d MACs per image, budget 15M", name, macs)
		}
		zootest.CheckTwinTrainStep(t, v, arch.Options{DropPath: 0.1, Dropout: 0.1}, nil)
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
}

// TestGoldenLogits loads the weights of torchvision's RegNet class
// (testdata/gen_golden.py, names mapped to timm's) by name into our model
// built from the same design-space parameters, and compares eval logits:
// the regnety_r28 twin itself, and a smaller point of the space with the
// paper's stride-2 stem on 3x32x32 input.
func TestGoldenLogits(t *testing.T) {
	for _, file := range []string{"golden_regnety_r28", "golden_stem2"} {
		t.Run(file, func(t *testing.T) {
			var spec golden
			g := zootest.ReadGolden(t, "testdata/"+file, &spec)
			d := spec.Design
			cfg := Config{Depth: d.Depth, W0: d.W0, WA: d.WA, WM: d.WM, GroupWidth: d.GroupWidth,
				BottleRatio: 1, SERatio: 0.25, StemWidth: 32, StemStride: d.StemStride}
			if file == "golden_regnety_r28" && cfg != Twin {
				t.Fatalf("design %+v is not the twin's %+v", cfg, Twin)
			}
			var want []Stage
			for i, w := range spec.Stages.Widths {
				want = append(want, Stage{w, spec.Stages.Depths[i], spec.Stages.GroupWidths[i]})
			}
			if got := cfg.Stages(); !cmp.Equal(got, want) {
				t.Fatalf("stages %v, torchvision's from_init_params %v", got, want)
			}
			b := nn.NewBuilder(tensor.NewRand(0), false)
			m := New(b, cfg, arch.Options{NumClasses: 10, InChans: d.InChans, ImgSize: d.ImgSize})
			zootest.LoadTensors(t, zootest.State(b), g.Tensors)
			y := m.Forward(&nn.Ctx{}, autograd.Const(g.Input.Value())).Value
			if !cmp.Equal(y.Shape, g.Logits.Shape) {
				t.Fatalf("logits %v, PyTorch %v", y.Shape, g.Logits.Shape)
			}
			e := zootest.L2RelErr(y.Data, g.Logits.Data)
			if e > 1e-4 {
				t.Fatalf("logits differ from PyTorch by %.3g (normwise)\ngot  %v\nwant %v", e, y.Data, g.Logits.Data)
			}
			// The match must come from the input: a reversed input gives
			// clearly different logits.
			rev := make([]float32, len(g.Input.Data))
			for i, v := range g.Input.Data {
				rev[len(rev)-1-i] = v
			}
			y2 := m.Forward(&nn.Ctx{}, autograd.Const(tensor.FromData(rev, g.Input.Shape...))).Value
			if e := zootest.L2RelErr(y2.Data, g.Logits.Data); e < 1e-2 {
				t.Fatalf("logits of a different input differ by only %.3g", e)
			}
			t.Logf("normwise relative error %.2g", e)
		})
	}
}
