package swin

import (
	"math"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
	"github.com/reprise-ml/reprise/zoo/zootest"
)

func configOf(t *testing.T, name string) (Config, int) {
	t.Helper()
	for _, v := range variants {
		if v.name == name {
			return Config{Size: v.size, Patch: v.patch, Window: v.window}, v.img
		}
	}
	t.Fatalf("no variant %q", name)
	return Config{}, 0
}

// TestParamCounts holds every full-size variant to torchvision's count of
// the same architecture, which gen_counts.py checks equals timm's.
func TestParamCounts(t *testing.T) {
	var want map[string]int64
	zootest.ReadJSON(t, "testdata/counts.json", &want)
	n := 0
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		n++
		w, ok := want[v.Name]
		if !ok {
			t.Errorf("%s: no count in testdata/counts.json", v.Name)
			continue
		}
		params, _ := zootest.Count(t, v)
		if got := nn.CountParams(params, ""); got != w {
			t.Errorf("%s: %d parameters, want %d (timm/torchvision)", v.Name, got, w)
		}
	}
	if n != 6 || len(want) != 6 {
		t.Errorf("%d full-size variants and %d counts, want 6 of each", n, len(want))
	}
}

// published returns timm's GMACs per model in ../published.csv.
func published(t *testing.T) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, r := range zootest.Published(t) {
		if !math.IsNaN(r.GMACsTimm) {
			out[name] = r.GMACsTimm
		}
	}
	return out
}

// layerNormElems returns how many values the LayerNorms of cfg normalise on
// one img×img image: the patch embedding's norm, per stage the merging's
// norm over 4C and two per block, and the final norm.
func layerNormElems(cfg Config, img int) int64 {
	res, dim := img/cfg.Patch, cfg.Embed
	n := res * res * dim
	for i, d := range cfg.Depths {
		if i > 0 {
			res = (res + 1) / 2
			n += res * res * 4 * dim
			dim *= 2
		}
		n += 2 * d * res * res * dim
	}
	return int64(n + res*res*dim)
}

// TestMACs holds the multiply-accumulates of every full-size variant within
// 2% of timm's GMACs in ../published.csv. swin_large_patch4_window7_224 has
// no row there; its 34.53 GMACs are quoted in the source column of the
// swin_large_patch4_window12_384 row (timm's benchmark CSV).
//
// We count 0.15-0.43% less than timm. The whole gap is LayerNorm: timm's
// counter (fvcore) charges 5 operations per normalised value, which we do
// not count (only conv, linear and attention matmuls). Adding them back
// lands within 0.2% of every timm figure, the rounding of its two
// decimals, which the test checks too: e.g. Swin-T counts 4.4906 G and
// normalises 3.73 M values, 4.4906 + 5·0.00373 = 4.509 ≈ 4.51.
func TestMACs(t *testing.T) {
	want := published(t)
	if _, ok := want["swin_large_patch4_window7_224"]; ok {
		t.Fatal("published.csv now has swin_large_patch4_window7_224: drop the fallback below")
	}
	want["swin_large_patch4_window7_224"] = 34.53
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		w, ok := want[v.Name]
		if !ok {
			t.Errorf("%s: no gmacs_timm in published.csv", v.Name)
			continue
		}
		_, macs := zootest.Count(t, v)
		got := float64(macs) / 1e9
		if rel := math.Abs(got-w) / w; rel > 0.02 {
			t.Errorf("%s: %.4f GMACs, timm %.2f (off by %.2f%%, want <= 2%%)", v.Name, got, w, 100*rel)
		}
		cfg, img := configOf(t, v.Name)
		withLN := got + 5*float64(layerNormElems(cfg, img))/1e9
		if rel := math.Abs(withLN-w) / w; rel > 0.002 {
			t.Errorf("%s: %.4f GMACs + LayerNorm = %.4f, timm %.2f (off by %.3f%%, want <= 0.2%%)", v.Name, got, withLN, w, 100*rel)
		}
		t.Logf("%-32s %.4f GMACs (+LN %.4f), timm %.2f", v.Name, got, withLN, w)
	}
}

// TestTwinBudget keeps each twin at most about 15 M MACs per image and
// checks that its shifted blocks really shift: a shifted stage has at
// least 2x2 windows, and some block shifts.
func TestTwinBudget(t *testing.T) {
	for _, v := range Variants() {
		if !v.Twin {
			continue
		}
		m, ps, macs := zootest.CountAt(t, v, arch.Options{})
		params := nn.CountParams(ps, "")
		if macs > 15_000_000 {
			t.Errorf("%s: %d MACs per image, want <= 15 M", v.Name, macs)
		}
		shifted := 0
		for i, s := range m.(*Model).Stages {
			for j, blk := range s.Blocks {
				if blk.Shift == 0 {
					continue
				}
				shifted++
				if s.Res/blk.Window < 2 || blk.Shift != blk.Window/2 || blk.Mask == nil {
					t.Errorf("%s: stage %d block %d: grid %d, window %d, shift %d", v.Name, i, j, s.Res, blk.Window, blk.Shift)
				}
			}
		}
		if shifted == 0 {
			t.Errorf("%s: no block shifts its windows", v.Name)
		}
		t.Logf("%s: %d params, %.2f M MACs per image, %d shifted blocks", v.Name, params, float64(macs)/1e6, shifted)
	}
}

// TestShiftMask checks the SW-MSA mask against the paper's Fig. 4 on a
// 4x4 grid with 2x2 windows shifted by 1: after the cyclic shift, the
// bottom-right window holds four tokens from four different regions and
// the top-left window one region.
func TestShiftMask(t *testing.T) {
	m := shiftMask(4, 2, 1, false) // [4, 1, 4, 4]
	at := func(w, i, j int) float32 { return m.Data[(w*4+i)*4+j] }
	for i := range 4 {
		for j := range 4 {
			if at(0, i, j) != 0 {
				t.Errorf("top-left window: mask[%d][%d] = %v, want 0", i, j, at(0, i, j))
			}
			want := float32(-100)
			if i == j {
				want = 0
			}
			if at(3, i, j) != want {
				t.Errorf("bottom-right window: mask[%d][%d] = %v, want %v", i, j, at(3, i, j), want)
			}
		}
	}
	// Top-right window: columns 2 (region 1) and 3 (region 2, wrapped).
	if at(1, 0, 2) != 0 || at(1, 0, 1) != -100 {
		t.Errorf("top-right window: mask row 0 = %v", m.Data[16:20])
	}
}

// TestRelativePositionIndex checks the index of a 2x2 window: token 0
// (0,0) against token 3 (1,1) has offset (-1,-1), the table's first row;
// token 3 against token 0 has (1,1), its last.
func TestRelativePositionIndex(t *testing.T) {
	idx := relativePositionIndex(2)
	if idx[0*4+3] != 0 || idx[3*4+0] != 8 || idx[0] != 4 || idx[1*4+0] != 5 {
		t.Errorf("index %v", idx)
	}
}

// TestForwardFullSize runs every full-size model on one image with seeded
// weights. The three above 20 GMACs (swin_large_patch4_window7_224,
// swin_base_patch4_window12_384, swin_large_patch4_window12_384) are
// skipped with -short.
func TestForwardFullSize(t *testing.T) {
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			if _, macs := zootest.Count(t, v); testing.Short() && macs > 20e9 {
				t.Skipf("%.1f GMACs: skipped with -short", float64(macs)/1e9)
			}
			zootest.CheckForward(t, v)
		})
	}
}

// TestTwinsTrainStep runs each twin forward on two images (finite [2, 10]
// logits in inference and training) and back from the logits times a fixed
// random tensor, in training mode: every parameter gets a finite gradient
// that is not all zero.
func TestTwinsTrainStep(t *testing.T) {
	for _, v := range Variants() {
		if !v.Twin {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			zootest.CheckTwinTrainStep(t, v, arch.Options{}, nil)
		})
	}
}

// TestGolden loads the weights of gen_golden.py's PyTorch Swin (timm's
// names; checked there against torchvision's SwinTransformer) into each twin
// by name and compares the logits of the same input.
func TestGolden(t *testing.T) {
	for _, name := range []string{"swin_tiny_r28", "swin_tiny_r32"} {
		t.Run(name, func(t *testing.T) {
			var g struct {
				Params        map[string]zootest.Tensor `json:"params"`
				Input, Logits zootest.Tensor
			}
			zootest.ReadJSON(t, "testdata/golden_"+name+".json", &g)
			v := zootest.Variant(t, Variants(), name)
			b := nn.NewBuilder(tensor.NewRand(7), false)
			m := v.New(b, v.Resolve(arch.Options{}))
			// Parameters only: the relative position index, a buffer, is
			// not in the file.
			zootest.LoadTensors(t, zootest.Params(b), zootest.ByName(g.Params))
			got := m.Forward(&nn.Ctx{}, autograd.Const(g.Input.Value())).Value
			want := g.Logits.Data
			if !tensor.SameShape(got.Shape, g.Logits.Shape) {
				t.Fatalf("logits %v, PyTorch %v", got.Shape, g.Logits.Shape)
			}
			rel := zootest.L2RelErr(got.Data, want)
			if rel > 1e-4 {
				t.Errorf("logits normwise relative error %.3g, want <= 1e-4\n got %v\nwant %v", rel, got.Data, want)
			}
			t.Logf("normwise relative error %.3g", rel)
		})
	}
}

// TestDropPathRates checks that Options.DropPath rises linearly over all
// blocks from 0 to the rate, as timm's dpr (Sec. A2.1: stochastic depth).
func TestDropPathRates(t *testing.T) {
	v := zootest.Variant(t, Variants(), "swin_tiny_patch4_window7_224")
	m := v.New(nn.NewBuilder(nil, true), v.Resolve(arch.Options{DropPath: 0.2})).(*Model)
	var rates []float32
	for _, s := range m.Stages {
		for _, blk := range s.Blocks {
			rates = append(rates, blk.DropPath.Rate)
		}
	}
	if len(rates) != 12 || rates[0] != 0 || math.Abs(float64(rates[11])-0.2) > 1e-7 || math.Abs(float64(rates[1])-0.2/11) > 1e-7 {
		t.Errorf("drop-path rates %v", rates)
	}
}
