package data

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/reprise-ml/reprise/engine/tensor"
)

func TestRandomCropShiftsWithZeroFill(t *testing.T) {
	img := make([]float32, 2*4*5)
	for i := range img {
		img[i] = float32(i + 1)
	}
	rng := NewTestRand(3)
	seenShift := false
	for trial := 0; trial < 50; trial++ {
		x := append([]float32(nil), img...)
		RandomCrop{Pad: 2}.Apply(rng, x, 2, 4, 5)
		// Every output pixel is 0 (padding) or an input pixel of the same
		// channel at one common offset.
		off := -1 << 30
		for ch := 0; ch < 2; ch++ {
			for i := 0; i < 20; i++ {
				v := x[ch*20+i]
				if v == 0 {
					continue
				}
				d := int(v) - 1 - (ch*20 + i)
				if off == -1<<30 {
					off = d
				}
				if d != off || int(v)-1 < ch*20 || int(v)-1 >= (ch+1)*20 {
					t.Fatalf("pixel %d of channel %d came from %v", i, ch, v)
				}
			}
		}
		seenShift = seenShift || off != 0
	}
	if !seenShift {
		t.Fatal("50 crops never moved the image")
	}
}

func TestHFlipAndNormalize(t *testing.T) {
	rng := NewTestRand(1)
	flipped := 0
	for trial := 0; trial < 400; trial++ {
		x := []float32{1, 2, 3, 4, 5, 6}
		HFlip{}.Apply(rng, x, 1, 2, 3)
		switch {
		case x[0] == 3 && x[2] == 1 && x[3] == 6:
			flipped++
		case x[0] != 1:
			t.Fatalf("not a flip: %v", x)
		}
	}
	if flipped < 160 || flipped > 240 { // 400·0.5 ± 4σ (σ = 10)
		t.Fatalf("%d of 400 flipped", flipped)
	}
	x := []float32{0.5, 1, 0, 0.25}
	Normalize{Mean: []float32{0.5, 0}, Std: []float32{0.5, 0.25}}.Apply(nil, x, 2, 1, 2)
	want := []float32{0, 1, 0, 1}
	for i := range x {
		if math.Abs(float64(x[i]-want[i])) > 1e-7 {
			t.Fatalf("normalised %v, want %v", x, want)
		}
	}
}

func TestPipelineRejectsNonsense(t *testing.T) {
	if _, _, err := Pipeline(AugConfig{Mean: []float32{0.5}, Std: []float32{0.5}}, 3, 8, 8, 10); err == nil {
		t.Fatal("1 mean for 3 channels accepted")
	}
	if _, _, err := Pipeline(AugConfig{Mean: []float32{0.5}, Std: []float32{0}}, 1, 8, 8, 10); err == nil {
		t.Fatal("std 0 accepted")
	}
}

// deitAug is DeiT's recipe (Tab. 9; timm's create_transform and Mixup
// arguments in facebookresearch/deit main.py) for c channels.
func deitAug(c int) AugConfig {
	mean, std := make([]float32, c), make([]float32, c)
	for i := range mean {
		mean[i], std[i] = 0.5, 0.25
	}
	return AugConfig{
		RandomResizedCrop: true, HFlip: true,
		RandAugment: RandAugmentConfig{N: 2, M: 9, MStd: 0.5, Interp: "bicubic"},
		Mean:        mean, Std: std, EraseProb: 0.25,
		Mixup: 0.8, CutMix: 1, MixProb: 1, SwitchProb: 0.5, LabelSmoothing: 0.1,
	}
}

func TestPipelineOrder(t *testing.T) {
	st, bt, err := Pipeline(deitAug(3), 3, 28, 28, 10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range st {
		names = append(names, fmt.Sprintf("%T", s))
	}
	want := "[data.RandomResizedCrop data.HFlip data.RandAugment data.Normalize data.RandomErasing]"
	if fmt.Sprint(names) != want {
		t.Fatalf("transforms %v, want %s", names, want)
	}
	ra := st[2].(RandAugment)
	if ra.N != 2 || ra.M != 9 || ra.MStd != 0.5 || ra.Interp != Bicubic || ra.Fill[0] != 128./255 {
		t.Fatalf("RandAugment %+v", ra)
	}
	if e := st[4].(RandomErasing); e.P != 0.25 {
		t.Fatalf("erasing probability %v", e.P)
	}
	m, ok := bt.(Mixup)
	if !ok || m != (Mixup{MixupAlpha: 0.8, CutMixAlpha: 1, Prob: 1, SwitchProb: 0.5, LabelSmoothing: 0.1}) {
		t.Fatalf("batch transform %#v", bt)
	}
	cfg := AugConfig{RandomCropPad: 4, HFlip: true, Mean: []float32{0.5}, Std: []float32{0.5}, CutoutSize: 8}
	st, bt, err = Pipeline(cfg, 1, 28, 28, 10)
	if err != nil || bt != nil || fmt.Sprintf("%T %T %T %T", st[0], st[1], st[2], st[3]) != "data.RandomCrop data.HFlip data.Normalize data.Cutout" {
		t.Fatalf("CIFAR-style pipeline %v %v %v", st, bt, err)
	}
}

func TestPipelineNamesBadFields(t *testing.T) {
	deit := deitAug(1)
	for _, tc := range []struct {
		field string
		edit  func(*AugConfig)
	}{
		{"random_crop_pad", func(c *AugConfig) { c.RandomCropPad = 4 }}, // with random_resized_crop
		{"random_crop_pad", func(c *AugConfig) { c.RandomResizedCrop, c.RandomCropPad = false, -1 }},
		{"rand_augment.n", func(c *AugConfig) { c.RandAugment.N = -1 }},
		{"rand_augment.m", func(c *AugConfig) { c.RandAugment.M = 11 }},
		{"rand_augment.mstd", func(c *AugConfig) { c.RandAugment.MStd = -0.5 }},
		{"rand_augment.interp", func(c *AugConfig) { c.RandAugment.Interp = "lanczos" }},
		{"rand_augment", func(c *AugConfig) { c.RandAugment.N = 0 }}, // m set, n 0
		{"mean/std", func(c *AugConfig) { c.Mean = nil }},
		{"std", func(c *AugConfig) { c.Std = []float32{0} }},
		{"erase_prob", func(c *AugConfig) { c.EraseProb = 1.5 }},
		{"cutout_size", func(c *AugConfig) { c.CutoutSize = -2 }},
		{"cutout_size", func(c *AugConfig) { c.CutoutSize = 29 }},
		{"mixup", func(c *AugConfig) { c.Mixup = -1 }},
		{"cutmix", func(c *AugConfig) { c.CutMix = math.Inf(1) }},
		{"mix_prob", func(c *AugConfig) { c.MixProb = 0 }},
		{"mix_prob", func(c *AugConfig) { c.MixProb = 2 }},
		{"mix_prob", func(c *AugConfig) { c.Mixup, c.CutMix = 0, 0 }},
		{"switch_prob", func(c *AugConfig) { c.SwitchProb = 0 }},
		{"switch_prob", func(c *AugConfig) { c.SwitchProb = -0.1 }},
		{"label_smoothing", func(c *AugConfig) { c.LabelSmoothing = 1 }},
	} {
		cfg := deit
		tc.edit(&cfg)
		_, _, err := Pipeline(cfg, 1, 28, 28, 10)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error %v, want one naming %s", tc.field, err, tc.field)
		}
	}
	if _, _, err := Pipeline(deitAug(2), 2, 28, 28, 10); err == nil || !strings.Contains(err.Error(), "rand_augment") {
		t.Errorf("RandAugment on 2 channels: %v", err)
	}
	if _, _, err := Pipeline(deit, 1, 28, 28, 10); err != nil {
		t.Fatal(err)
	}
}

func TestAugConfigJSON(t *testing.T) {
	b, err := json.Marshal(AugConfig{})
	if err != nil || string(b) != "{}" {
		t.Fatalf("the zero config encodes as %s (%v)", b, err)
	}
	b, _ = json.Marshal(deitAug(1))
	var back AugConfig
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, deitAug(1)) {
		t.Fatalf("%s decodes to %+v (%v)", b, back, err)
	}
	if !strings.Contains(string(b), `"rand_augment":{"n":2,"m":9,"mstd":0.5,"interp":"bicubic"}`) {
		t.Fatalf("DeiT config encodes as %s", b)
	}
}

// TestTransformsAreSeeded: every transform gives the same output for the
// same generator state and (for random ones) another for another seed.
func TestTransformsAreSeeded(t *testing.T) {
	const c, h, w = 3, 12, 12
	d := Synthetic(1, 1, c, h, w, 1)
	img := make([]float32, c*h*w)
	for i, v := range d.Image(0) {
		img[i] = float32(v) / 255
	}
	for _, tr := range []SampleTransform{
		RandomResizedCrop{}, RandAugment{N: 2, M: 9, MStd: 0.5, Interp: Bilinear},
		RandomErasing{P: 1}, Cutout{Size: 6}, RandomCrop{Pad: 3}, HFlip{},
	} {
		run := func(seed uint64) []float32 {
			x := append([]float32(nil), img...)
			tr.Apply(NewTestRand(seed), x, c, h, w)
			return x
		}
		a, differs := run(1), false
		for seed := uint64(1); seed <= 20; seed++ {
			b := run(seed)
			if seed == 1 && !reflect.DeepEqual(a, b) {
				t.Fatalf("%T: one seed, two outputs", tr)
			}
			differs = differs || !reflect.DeepEqual(a, b)
		}
		if !differs {
			t.Errorf("%T: 20 seeds gave one output", tr)
		}
	}
	x1, x2 := constBatch(8, c, h, w), constBatch(8, c, h, w)
	m := Mixup{MixupAlpha: 0.8, CutMixAlpha: 1, Prob: 1, SwitchProb: 0.5, LabelSmoothing: 0.1}
	t1 := m.Apply(NewTestRand(3), x1, []int{0, 1, 2, 3, 4, 5, 6, 7}, 8)
	t2 := m.Apply(NewTestRand(3), x2, []int{0, 1, 2, 3, 4, 5, 6, 7}, 8)
	if !tensor.BitEqual(x1, x2) || !tensor.BitEqual(t1, t2) {
		t.Fatal("Mixup: one seed, two outputs")
	}
}

// TestDeiTPipelineSpeed times DeiT's whole pipeline on a batch of 128
// 28×28 images through the Loader (reported, not asserted: it should be
// well under a second), and checks that the loader's seeding makes the
// batch reproducible.
func TestDeiTPipelineSpeed(t *testing.T) {
	for _, c := range []int{1, 3} {
		d := Synthetic(256, 10, c, 28, 28, 2)
		st, bt, err := Pipeline(deitAug(c), c, 28, 28, 10)
		if err != nil {
			t.Fatal(err)
		}
		l, err := NewLoader(d, nil, LoaderConfig{Batch: 128, Shuffle: true, Seed: 7}, st, bt)
		if err != nil {
			t.Fatal(err)
		}
		l.Get(0, 0, nil) // warm up
		start := time.Now()
		const reps = 5
		var b *Batch
		for range reps {
			b = l.Get(0, 1, nil)
		}
		el := time.Since(start) / reps
		t.Logf("DeiT pipeline, 128 images of %dx28x28: %v per batch (GOMAXPROCS %d)", c, el, runtime.GOMAXPROCS(0))
		again := l.Get(0, 1, nil)
		if !tensor.BitEqual(b.X, again.X) || !tensor.BitEqual(b.Target, again.Target) {
			t.Fatal("the same step gave two batches")
		}
		checkRows(t, b.Target)
	}
}
