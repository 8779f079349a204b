package resnet

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

// TestCountsMatchTorchvision holds parameter counts, names and conv+linear
// MACs to torchvision's models (counted by testdata/gen_counts.py with
// forward hooks), whose layout and counts equal timm's resnet18/34/50.
func TestCountsMatchTorchvision(t *testing.T) {
	var ref struct {
		Models map[string]struct {
			Params int64    `json:"params"`
			MACs   int64    `json:"macs"`
			Names  []string `json:"names"`
		} `json:"models"`
	}
	zootest.ReadJSON(t, "testdata/counts.json", &ref)
	for name, want := range ref.Models {
		params, macs := zootest.Count(t, zootest.Variant(t, Variants(), name))
		if got := nn.CountParams(params, ""); got != want.Params {
			t.Errorf("%s: %d parameters, torchvision %d", name, got, want.Params)
		}
		if macs != want.MACs {
			t.Errorf("%s: %d MACs, torchvision hooks count %d", name, macs, want.MACs)
		}
		if diff := cmp.Diff(want.Names, nn.SortedNames(params)); diff != "" {
			t.Errorf("%s: parameter names (-torchvision +ours):\n%s", name, diff)
		}
	}
}

// TestMACsNearTimm compares with timm's published GMACs (zoo/published.csv):
// timm's counter also counts batch norm and additions, hence a small excess.
func TestMACsNearTimm(t *testing.T) {
	r, ok := zootest.Published(t)["resnet50"]
	if !ok {
		t.Fatal("resnet50 missing from published.csv")
	}
	timm := r.GMACsTimm
	_, macs := zootest.Count(t, zootest.Variant(t, Variants(), "resnet50"))
	if e := math.Abs(float64(macs)/1e9-timm) / timm; math.IsNaN(e) || e > 0.02 {
		t.Errorf("resnet50: %.3f GMACs, timm %.2f (%.1f%% off)", float64(macs)/1e9, timm, 100*e)
	}
}

func TestFullSizeForward(t *testing.T) {
	for _, name := range []string{"resnet18", "resnet34", "resnet50"} {
		zootest.CheckForward(t, zootest.Variant(t, Variants(), name))
	}
}

func TestTwinsTrainStep(t *testing.T) {
	for _, name := range []string{"resnet18_r28", "resnet18_r32"} {
		v := zootest.Variant(t, Variants(), name)
		if _, macs := zootest.Count(t, v); macs > 20e6 { // "about 15 M": an epoch of 60k images in minutes
			t.Errorf("%s: %d MACs per image, budget 20M", name, macs)
		}
		zootest.CheckTwinTrainStep(t, v, arch.Options{DropPath: 0.1}, nil)
	}
}

// TestGoldenLogits loads PyTorch weights (torchvision's BasicBlock in the
// twin's layout, testdata/gen_golden.py) by name and compares eval logits.
func TestGoldenLogits(t *testing.T) {
	var twin struct {
		Widths [4]int `json:"widths"`
	}
	g := zootest.ReadGolden(t, "testdata/golden", &twin)
	cfg := Config{Basic, [4]int{1, 1, 1, 1}, twin.Widths, true, twin.Widths[0]}
	b := nn.NewBuilder(tensor.NewRand(0), false)
	m := New(b, cfg, arch.Options{NumClasses: 10, InChans: 1, ImgSize: 28})
	zootest.LoadTensors(t, zootest.State(b), g.Tensors)
	y := m.Forward(&nn.Ctx{}, autograd.Const(g.Input.Value())).Value
	if e := zootest.MaxMixedErr(y.Data, g.Logits.Data); e > 1e-4 {
		t.Fatalf("logits differ from PyTorch by %.3g (normwise)\ngot  %v\nwant %v", e, y.Data, g.Logits.Data)
	}
}
