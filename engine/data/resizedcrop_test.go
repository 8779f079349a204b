package data

import (
	"math"
	"testing"
)

// TestResizeCropBilinear enlarges a 2×2 crop of a 4×4 image by hand: taps
// at source coordinates −0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
func TestResizeCropBilinear(t *testing.T) {
	img := make([]float32, 16)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			img[y*4+x] = float32(10*y + x)
		}
	}
	resizeCrop(img, 1, 4, 4, 1, 1, 2, 2) // the crop is [[11 12] [21 22]]
	want := []float32{
		11, 11.25, 11.75, 12,
		13.5, 13.75, 14.25, 14.5,
		18.5, 18.75, 19.25, 19.5,
		21, 21.25, 21.75, 22,
	}
	for i := range want {
		if img[i] != want[i] {
			t.Fatalf("resized crop %v, want %v", img, want)
		}
	}
	whole := []float32{1, 2, 3, 4, 5, 6}
	resizeCrop(whole, 2, 1, 3, 0, 0, 1, 3)
	if whole[0] != 1 || whole[5] != 6 || whole[2] != 3 {
		t.Fatalf("the whole-image crop changed the image: %v", whole)
	}
}

// TestRandomResizedCropParams checks the crop distribution on a large
// image against torchvision's sampling worked out analytically: one
// attempt draws s ~ U(0.08, 1), log r ~ U(±log 4/3) and fits iff
// s ≤ m(r) = min(r, 1/r), so given that it fits, E[s] and P(s < 1/2)
// are integrals over log r.
func TestRandomResizedCropParams(t *testing.T) {
	const h, w, n = 512, 512, 20000
	rng := NewTestRand(5)
	var sum, sum2, logSum float64
	small := 0
	for range n {
		top, left, ch, cw := RandomResizedCrop{}.Params(rng, h, w)
		if ch < 1 || cw < 1 || top < 0 || left < 0 || top+ch > h || left+cw > w {
			t.Fatalf("crop (%d, %d, %d, %d) outside the %dx%d image", top, left, ch, cw, h, w)
		}
		s := float64(ch*cw) / (h * w)
		sum += s
		sum2 += s * s
		if s < 0.5 {
			small++
		}
		lr := math.Log(float64(cw) / float64(ch))
		if math.Abs(lr) > math.Log(4./3)+0.01 || s < 0.079 || s > 1 {
			t.Fatalf("crop %dx%d: area %g or aspect %g out of range", ch, cw, s, math.Exp(lr))
		}
		logSum += lr
	}
	// Simpson's rule over u = log r in [−L, L], symmetric: use [0, L].
	L := math.Log(4. / 3)
	var acc, es float64
	const k = 1000
	for i := 0; i <= k; i++ {
		m := math.Exp(-L * float64(i) / k)
		wt := 2.0
		if i == 0 || i == k {
			wt = 1
		} else if i%2 == 1 {
			wt = 4
		}
		acc += wt * (m - 0.08) / 0.92
		es += wt * (m*m - 0.08*0.08) / (2 * 0.92)
	}
	pSmall := (0.5 - 0.08) / 0.92 / (acc / (3 * k)) // m ≥ 3/4 > 1/2 always
	mean := es / acc
	if sd := math.Sqrt((sum2/n - sum*sum/n/n) / n); math.Abs(sum/n-mean) > 4*sd {
		t.Errorf("mean area fraction %g, want %g ± 4·%g", sum/n, mean, sd)
	}
	if sd := math.Sqrt(pSmall * (1 - pSmall) / n); math.Abs(float64(small)/n-pSmall) > 4*sd {
		t.Errorf("P(area < 1/2) = %g, want %g ± 4·%g", float64(small)/n, pSmall, sd)
	}
	if sd := L / math.Sqrt(3) / math.Sqrt(n); math.Abs(logSum/n) > 4*sd {
		t.Errorf("mean log aspect %g, want 0 ± 4·%g", logSum/n, sd)
	}

	// No scale fits: the central crop of the whole image, clamped to 4/3.
	top, left, ch, cw := RandomResizedCrop{Scale: [2]float64{1.5, 2}}.Params(rng, 14, 28)
	if top != 0 || left != 4 || ch != 14 || cw != 19 {
		t.Fatalf("fallback crop (%d, %d, %d, %d), want (0, 4, 14, 19)", top, left, ch, cw)
	}
	top, left, ch, cw = RandomResizedCrop{Scale: [2]float64{1.5, 2}}.Params(rng, 9, 10)
	if top != 0 || left != 0 || ch != 9 || cw != 10 {
		t.Fatalf("fallback crop (%d, %d, %d, %d), want the whole 9x10 image", top, left, ch, cw)
	}
}
