package data

import (
	"math"
	"testing"
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
