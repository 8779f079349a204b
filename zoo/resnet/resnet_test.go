package resnet

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
	for _, v := range Variants() {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no variant %q", name)
	return arch.Variant{}
}

// count builds v shape-only and returns its parameters and the MACs of one
// forward pass at its native resolution.
func count(v arch.Variant) ([]*nn.Param, int64) {
	b := nn.NewBuilder(nil, true)
	o := v.Resolve(arch.Options{})
	m := v.New(b, o)
	tp := autograd.NoGrad()
	m.Forward(&nn.Ctx{Tape: tp}, autograd.Const(tensor.Meta(1, o.InChans, o.ImgSize, o.ImgSize)))
	return b.Params(), tp.MACs()
}

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
	b, err := os.ReadFile("testdata/counts.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for name, want := range ref.Models {
		params, macs := count(variant(t, name))
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
	f, err := os.Open("../published.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows[1:] {
		if r[0] != "resnet50" {
			continue
		}
		found = true
		timm, _ := strconv.ParseFloat(r[7], 64)
		_, macs := count(variant(t, "resnet50"))
		if e := math.Abs(float64(macs)/1e9-timm) / timm; e > 0.02 {
			t.Errorf("resnet50: %.3f GMACs, timm %.2f (%.1f%% off)", float64(macs)/1e9, timm, 100*e)
		}
	}
	if !found {
		t.Fatal("resnet50 missing from published.csv")
	}
}

func TestFullSizeForward(t *testing.T) {
	for _, name := range []string{"resnet18", "resnet34", "resnet50"} {
		v := variant(t, name)
		o := v.Resolve(arch.Options{})
		m := v.New(nn.NewBuilder(tensor.NewRand(1), false), o)
		x := tensor.Randn(tensor.NewRand(2), 1, 1, 3, 224, 224)
		y := m.Forward(&nn.Ctx{}, autograd.Const(x)).Value
		if !cmp.Equal(y.Shape, []int{1, 1000}) {
			t.Fatalf("%s: logits %v", name, y.Shape)
		}
		for _, v := range y.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: non-finite logit", name)
			}
		}
	}
}

func TestTwinsTrainStep(t *testing.T) {
	for _, name := range []string{"resnet18_r28", "resnet18_r32"} {
		v := variant(t, name)
		o := v.Resolve(arch.Options{DropPath: 0.1})
		_, macs := count(v)
		if macs > 20e6 { // "about 15 M": an epoch of 60k images in minutes
			t.Errorf("%s: %d MACs per image, budget 20M", name, macs)
		}
		b := nn.NewBuilder(tensor.NewRand(3), false)
		m := v.New(b, o)
		x := tensor.Randn(tensor.NewRand(4), 1, 2, o.InChans, o.ImgSize, o.ImgSize)
		tp := autograd.NewTape()
		y := m.Forward(&nn.Ctx{Tape: tp, Train: true, RNG: tensor.NewRand(5)}, autograd.Const(x))
		if !cmp.Equal(y.Value.Shape, []int{2, 10}) {
			t.Fatalf("%s: logits %v", name, y.Value.Shape)
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

// TestGoldenLogits loads PyTorch weights (torchvision's BasicBlock in the
// twin's layout, testdata/gen_golden.py) by name and compares eval logits.
func TestGoldenLogits(t *testing.T) {
	var g struct {
		Widths  [4]int `json:"widths"`
		Tensors []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
		} `json:"tensors"`
		Input, Logits struct {
			Shape []int     `json:"shape"`
			Data  []float32 `json:"data"`
		}
	}
	js, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &g); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/golden.bin")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Basic, [4]int{1, 1, 1, 1}, g.Widths, true, g.Widths[0]}
	b := nn.NewBuilder(tensor.NewRand(0), false)
	m := New(b, cfg, arch.Options{NumClasses: 10, InChans: 1, ImgSize: 28})
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
			t.Fatalf("PyTorch tensor %s has no counterpart", ts.Name)
		}
		if !cmp.Equal(dst.Shape, ts.Shape) {
			t.Fatalf("%s: shape %v, PyTorch %v", ts.Name, dst.Shape, ts.Shape)
		}
		for i := range dst.Data {
			dst.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(off+i):]))
		}
		off += len(dst.Data)
		delete(byName, ts.Name)
	}
	if len(byName) != 0 || off*4 != len(raw) {
		t.Fatalf("unloaded tensors %v; %d of %d bytes read", byName, off*4, len(raw))
	}
	y := m.Forward(&nn.Ctx{}, autograd.Const(tensor.FromData(g.Input.Data, g.Input.Shape...))).Value
	var d, mx float64
	for i, w := range g.Logits.Data {
		d = math.Max(d, math.Abs(float64(y.Data[i]-w)))
		mx = math.Max(mx, math.Abs(float64(w)))
	}
	if d/math.Max(1, mx) > 1e-4 {
		t.Fatalf("logits differ from PyTorch by %.3g (normwise)\ngot  %v\nwant %v", d/math.Max(1, mx), y.Data, g.Logits.Data)
	}
}
