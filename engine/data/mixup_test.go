package data

import (
	"math"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// constBatch is b images of c×h×w, image i filled with i+1.
func constBatch(b, c, h, w int) *tensor.Tensor {
	x := tensor.New(b, c, h, w)
	sz := c * h * w
	for i := range x.Data {
		x.Data[i] = float32(i/sz + 1)
	}
	return x
}

func checkRows(t *testing.T, tgt *tensor.Tensor) {
	t.Helper()
	k := tgt.Shape[1]
	for i := 0; i < tgt.Shape[0]; i++ {
		s := 0.0
		for _, v := range tgt.Data[i*k : (i+1)*k] {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-6 {
			t.Fatalf("target row %d sums to %g", i, s)
		}
	}
}

// TestMixTarget checks timm's smoothing: off ε/K, on 1 − ε + ε/K, mixed
// with the reversed labels.
func TestMixTarget(t *testing.T) {
	tgt := MixTarget([]int{2, 0, 1}, 4, 0.75, 0.1)
	on, off := float32(1-0.1+0.025), float32(0.025)
	mix := func(a, b float32) float32 { return float32(a*0.75) + float32(b*0.25) }
	want := []float32{ // labels reversed: 1, 0, 2
		mix(off, off), mix(off, on), mix(on, off), mix(off, off),
		mix(on, on), mix(off, off), mix(off, off), mix(off, off),
		mix(off, off), mix(on, off), mix(off, on), mix(off, off),
	}
	for i := range want {
		if tgt.Data[i] != want[i] {
			t.Fatalf("targets %v, want %v", tgt.Data, want)
		}
	}
	checkRows(t, tgt)
}

// TestMixupLambda: with Mixup alone (α = 0.8), λ ~ Beta(0.8, 0.8) has
// mean 1/2 and variance 1/(4(2α+1)); each image is λ·x + (1−λ)·x_flip and
// the target carries the same λ.
func TestMixupLambda(t *testing.T) {
	const n, alpha = 4000, 0.8
	m := Mixup{MixupAlpha: alpha, Prob: 1}
	rng := NewTestRand(4)
	var sum float64
	for range n {
		x := constBatch(2, 1, 2, 3)
		tgt := m.Apply(rng, x, []int{0, 1}, 2)
		checkRows(t, tgt)
		lam := tgt.Data[0] // ε = 0: row 0 is (λ, 1−λ)
		want := float32(1*lam) + float32(2*float32(1-float64(lam)))
		if math.Abs(float64(x.Data[0]-want)) > 1e-6 || math.Abs(float64(x.Data[6]-(3-want))) > 1e-6 {
			t.Fatalf("mixed images %v for λ = %g", x.Data, lam)
		}
		sum += float64(lam)
	}
	sd := math.Sqrt(1 / (4 * (2*alpha + 1)) / n)
	if mean := sum / n; math.Abs(mean-0.5) > 4*sd {
		t.Errorf("mean λ %g, want 0.5 ± 4·%g", mean, sd)
	}
}

// TestCutMixArea: the pasted box's area is exactly 1 − λ of the image,
// with λ read from the target; the box is one rectangle, the same in every
// channel and image; with both methods on, CutMix runs with probability
// SwitchProb; with Prob 1/2 half the batches keep their images and get
// smoothed one-hot targets. CutMix's λ ~ Beta(1, 1) is uniform, and its
// box is empty (a side ⌊9·√(1−λ)⌋ < 2) with probability 4/81: those
// batches look unmixed.
func TestCutMixArea(t *testing.T) {
	const b, c, h, w, n = 4, 2, 9, 11, 4000
	m := Mixup{MixupAlpha: 0.8, CutMixAlpha: 1, Prob: 0.5, SwitchProb: 0.5, LabelSmoothing: 0.1}
	rng := NewTestRand(6)
	labels := []int{0, 1, 2, 3}
	plain, cuts, blends := 0, 0, 0
	for range n {
		x := constBatch(b, c, h, w)
		tgt := m.Apply(rng, x, labels, 4)
		checkRows(t, tgt)
		sz := c * h * w
		pasted, blended := 0, false
		y0, x0, y1, x1 := h, w, -1, -1
		for i := 0; i < b; i++ {
			own, flip := float32(i+1), float32(b-i)
			for k, v := range x.Data[i*sz : (i+1)*sz] {
				switch {
				case v == own && own != flip:
				case v == flip && own != flip:
					pasted++
					p := k % (h * w)
					y0, x0, y1, x1 = min(y0, p/w), min(x0, p%w), max(y1, p/w), max(x1, p%w)
				default:
					blended = true
				}
			}
		}
		lam := float64(tgt.Data[0]-0.025) / 0.9 // row 0: λ·on(0) + (1−λ)·off
		switch {
		case blended:
			blends++
		case pasted == 0 && tgt.Data[0] == float32(1-0.1+0.025):
			plain++
		case pasted == 0:
			t.Fatalf("no box pasted but λ = %g", lam)
		default:
			cuts++
			area := (y1 - y0 + 1) * (x1 - x0 + 1)
			if pasted != b*c*area {
				t.Fatalf("pasted %d pixels, not a %dx%d box in %d images of %d channels", pasted, y1-y0+1, x1-x0+1, b, c)
			}
			want := MixTarget(labels, 4, 1-float64(area)/(h*w), 0.1)
			if !tensor.BitEqual(tgt, want) {
				t.Fatalf("a %d-pixel box gave targets %v, want λ = 1 − %d/%d", area, tgt.Data[:4], area, h*w)
			}
		}
	}
	for _, tc := range []struct {
		what      string
		got, want float64
	}{
		{"unmixed", float64(plain), n/2 + n/4*4./81},
		{"cutmix", float64(cuts), n / 4 * (1 - 4./81)},
		{"mixup", float64(blends), n / 4},
	} {
		p := tc.want / n
		if sd := math.Sqrt(n * p * (1 - p)); math.Abs(tc.got-tc.want) > 4*sd {
			t.Errorf("%s batches %g of %d, want %g ± 4·%g", tc.what, tc.got, n, tc.want, sd)
		}
	}
}
