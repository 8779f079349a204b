package data

import (
	"math"
	"testing"
)

// TestRandomErasing checks timm's probability, box ranges and per-pixel
// N(0, 1) fill: erasing happens with probability p (4σ), boxes are within
// the image with area fractions in [0.02, 1/3] (up to the rounding of each
// side) and aspects in [0.3, 1/0.3], and only the box changes.
func TestRandomErasing(t *testing.T) {
	const c, h, w, n, p = 2, 28, 28, 4000, 0.25
	rng := NewTestRand(8)
	erased := 0
	var noise, noise2, count float64
	for range n {
		img := make([]float32, c*h*w)
		for i := range img {
			img[i] = 7
		}
		RandomErasing{P: p}.Apply(rng, img, c, h, w)
		y0, x0, y1, x1 := h, w, -1, -1
		for k := 0; k < c; k++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := float64(img[(k*h+y)*w+x])
					if v == 7 {
						continue
					}
					y0, x0, y1, x1 = min(y0, y), min(x0, x), max(y1, y), max(x1, x)
					noise += v
					noise2 += v * v
					count++
				}
			}
		}
		if y1 < 0 {
			continue
		}
		erased++
		eh, ew := y1-y0+1, x1-x0+1
		// Each side is round(√(T·r)) or round(√(T/r)), T the target area:
		// off by at most half a pixel, so eh·ew = T ± (√(T·r) + √(T/r))/2
		// + 1/4, and √r + 1/√r ≤ √(1/0.3) + √0.3.
		slack := func(T float64) float64 { return (math.Sqrt(1/0.3)+math.Sqrt(0.3))*math.Sqrt(T)/2 + 0.25 }
		tLo, tHi := 0.02*h*w, h*w/3.
		if a := float64(eh * ew); a < tLo-slack(tLo) || a > tHi+slack(tHi) || eh >= h || ew >= w {
			t.Fatalf("erased %dx%d box: area fraction %g", eh, ew, a/(h*w))
		}
		if a := float64(eh) / float64(ew); a < 0.3*0.7 || a > 1/0.3/0.7 {
			t.Fatalf("erased %dx%d box: aspect %g", eh, ew, a)
		}
	}
	if sd := math.Sqrt(n * p * (1 - p)); math.Abs(float64(erased)-n*p) > 4*sd {
		t.Errorf("erased %d of %d images, want %g ± 4·%g", erased, n, n*p, sd)
	}
	mean := noise / count
	if sd := 1 / math.Sqrt(count); math.Abs(mean) > 4*sd || math.Abs(noise2/count-1) > 4*math.Sqrt(2/count) {
		t.Errorf("erased pixels have mean %g and second moment %g, want N(0, 1)", mean, noise2/count)
	}
	// P = 0 never erases, P = 1 always does (28×28 always fits).
	for _, tc := range []struct{ p, want float64 }{{0, 0}, {1, 1}} {
		hits := 0
		for range 200 {
			if _, _, _, _, ok := (RandomErasing{P: tc.p}).box(rng, h, w); ok {
				hits++
			}
		}
		if float64(hits) != 200*tc.want {
			t.Errorf("P = %g erased %d of 200", tc.p, hits)
		}
	}
}

// TestCutout checks the square's shape and that its centre is uniform: on
// an 8×8 image with side 4, pixel (y, x) is zeroed iff the centre row is in
// [y−1, y+2] and the centre column in [x−1, x+2], so its rate is
// (#rows · #cols)/64 with the range clipped to the image.
func TestCutout(t *testing.T) {
	const h, w, side, n = 8, 8, 4, 20000
	rng := NewTestRand(2)
	var zeros [h * w]int
	for range n {
		img := make([]float32, 2*h*w)
		for i := range img {
			img[i] = 1
		}
		Cutout{Size: side}.Apply(rng, img, 2, h, w)
		y0, x0, y1, x1 := h, w, -1, -1
		for i, v := range img[:h*w] {
			if v != 0 {
				continue
			}
			if img[h*w+i] != 0 {
				t.Fatal("the channels were cut differently")
			}
			zeros[i]++
			y0, x0, y1, x1 = min(y0, i/w), min(x0, i%w), max(y1, i/w), max(x1, i%w)
		}
		if y1 >= 0 {
			area := 0
			for _, v := range img[:h*w] {
				if v == 0 {
					area++
				}
			}
			if area != (y1-y0+1)*(x1-x0+1) || y1-y0+1 > side || x1-x0+1 > side {
				t.Fatalf("the hole is not a clipped %d-square: rows %d..%d, columns %d..%d, %d pixels", side, y0, y1, x0, x1, area)
			}
		}
	}
	span := func(i, n int) int { return min(n-1, i+2) - max(0, i-1) + 1 }
	for i, z := range zeros {
		p := float64(span(i/w, h)*span(i%w, w)) / (h * w)
		if sd := math.Sqrt(n * p * (1 - p)); math.Abs(float64(z)-n*p) > 4*sd {
			t.Errorf("pixel %d zeroed %d times, want %g ± 4·%g", i, z, n*p, sd)
		}
	}
}
