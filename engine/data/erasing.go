package data

import (
	"math"
	"math/rand/v2"
)

// Random erasing's box, timm's RandomErasing defaults (Zhong et al.,
// arXiv:1708.04896): area fraction uniform in [eraseMinArea, eraseMaxArea],
// aspect ratio log-uniform in [eraseMinAspect, 1/eraseMinAspect].
const (
	eraseMinArea   = 0.02
	eraseMaxArea   = 1. / 3
	eraseMinAspect = 0.3
)

// RandomErasing is timm's RandomErasing in mode "pixel" with one box
// (DeiT: --reprob 0.25 --remode pixel --recount 1): with probability P,
// a box of random area and aspect is filled with per-pixel N(0, 1) noise.
// It belongs after Normalize, where N(0, 1) is on the data's scale.
//
// Apply draws one Float64 (erase if ≤ P, as timm's random() > p skips);
// then up to 10 attempts of area (Float64) and log aspect (Float64), sides
// rounded half to even; the first box strictly smaller than the image on
// both sides draws its top (IntN) then its left (IntN), then C·h·w
// NormFloat64 in channel, row, column order. If no attempt fits, nothing is
// erased.
type RandomErasing struct{ P float64 }

// box draws the erased box, as Apply.
func (e RandomErasing) box(rng *rand.Rand, h, w int) (top, left, eh, ew int, ok bool) {
	if rng.Float64() > e.P {
		return 0, 0, 0, 0, false
	}
	area := float64(h * w)
	logLo, logHi := math.Log(eraseMinAspect), math.Log(1/eraseMinAspect)
	for range 10 {
		target := area * (eraseMinArea + (eraseMaxArea-eraseMinArea)*rng.Float64())
		aspect := math.Exp(logLo + (logHi-logLo)*rng.Float64())
		eh = int(math.RoundToEven(math.Sqrt(target * aspect)))
		ew = int(math.RoundToEven(math.Sqrt(target / aspect)))
		if ew < w && eh < h {
			return rng.IntN(h - eh + 1), rng.IntN(w - ew + 1), eh, ew, true
		}
	}
	return 0, 0, 0, 0, false
}

// Apply implements SampleTransform.
func (e RandomErasing) Apply(rng *rand.Rand, img []float32, c, h, w int) {
	top, left, eh, ew, ok := e.box(rng, h, w)
	if !ok {
		return
	}
	for k := 0; k < c; k++ {
		for y := top; y < top+eh; y++ {
			row := img[(k*h+y)*w+left : (k*h+y)*w+left+ew]
			for i := range row {
				row[i] = float32(rng.NormFloat64())
			}
		}
	}
}

// Cutout is DeVries & Taylor's cutout (arXiv:1708.04552; their
// uoguelph-mlrg/Cutout code): one square hole of side Size, zero-filled,
// its centre uniform over the pixels (row IntN, then column IntN) and the
// square clipped at the borders. Like the reference code it spans
// centre ± Size/2 (integer division), so an odd Size cuts Size−1 pixels a
// side, and it runs after Normalize, where zero is the data mean.
type Cutout struct{ Size int }

// Apply implements SampleTransform.
func (k Cutout) Apply(rng *rand.Rand, img []float32, c, h, w int) {
	cy, cx := rng.IntN(h), rng.IntN(w)
	y0, y1 := max(0, cy-k.Size/2), min(h, cy+k.Size/2)
	x0, x1 := max(0, cx-k.Size/2), min(w, cx+k.Size/2)
	for ch := 0; ch < c; ch++ {
		for y := y0; y < y1; y++ {
			clear(img[(ch*h+y)*w+x0 : (ch*h+y)*w+x1])
		}
	}
}
