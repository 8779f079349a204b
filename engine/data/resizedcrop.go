package data

import (
	"math"
	"math/rand/v2"
)

// RandomResizedCrop is torchvision's RandomResizedCrop (timm's
// RandomResizedCropAndInterpolation): crop a random area fraction in Scale
// at a log-uniform aspect ratio (width/height) in Ratio, and resize the
// crop back to the image size, bilinearly.
type RandomResizedCrop struct {
	Scale [2]float64 // zero: (0.08, 1)
	Ratio [2]float64 // zero: (3/4, 4/3)
}

func (r RandomResizedCrop) ranges() (scale, ratio [2]float64) {
	scale, ratio = r.Scale, r.Ratio
	if scale == [2]float64{} {
		scale = [2]float64{0.08, 1}
	}
	if ratio == [2]float64{} {
		ratio = [2]float64{3. / 4, 4. / 3}
	}
	return scale, ratio
}

// Params is torchvision's RandomResizedCrop.get_params for an h×w image:
// up to 10 attempts, each drawing the area fraction (Float64, uniform in
// Scale) then the log aspect ratio (Float64, uniform in log Ratio), sizes
// rounded half to even as Python's round; the first crop that fits draws
// its top (IntN) then its left (IntN). If none fits, the central crop of
// the whole image clamped to Ratio.
func (r RandomResizedCrop) Params(rng *rand.Rand, h, w int) (top, left, ch, cw int) {
	scale, ratio := r.ranges()
	area := float64(h * w)
	logLo, logHi := math.Log(ratio[0]), math.Log(ratio[1])
	for range 10 {
		target := area * (scale[0] + (scale[1]-scale[0])*rng.Float64())
		aspect := math.Exp(logLo + (logHi-logLo)*rng.Float64())
		cw = int(math.RoundToEven(math.Sqrt(target * aspect)))
		ch = int(math.RoundToEven(math.Sqrt(target / aspect)))
		if 0 < cw && cw <= w && 0 < ch && ch <= h {
			top = rng.IntN(h - ch + 1)
			left = rng.IntN(w - cw + 1)
			return top, left, ch, cw
		}
	}
	in := float64(w) / float64(h)
	lo, hi := min(ratio[0], ratio[1]), max(ratio[0], ratio[1])
	switch {
	case in < lo:
		cw, ch = w, int(math.RoundToEven(float64(w)/lo))
	case in > hi:
		ch, cw = h, int(math.RoundToEven(float64(h)*hi))
	default:
		ch, cw = h, w
	}
	return (h - ch) / 2, (w - cw) / 2, ch, cw
}

// Apply implements SampleTransform.
func (r RandomResizedCrop) Apply(rng *rand.Rand, img []float32, c, h, w int) {
	top, left, ch, cw := r.Params(rng, h, w)
	resizeCrop(img, c, h, w, top, left, ch, cw)
}

// resizeCrop replaces img by its crop (top, left, ch, cw) resized to h×w
// bilinearly, as PIL's resize of the crop: pixel centres aligned
// ((x + 0.5)·cw/w − 0.5), edges clamped to the crop. (PIL's triangle filter
// widens when shrinking; a crop is never larger than the image, so it only
// ever enlarges, where the two agree.)
func resizeCrop(img []float32, c, h, w, top, left, ch, cw int) {
	if ch == h && cw == w {
		return
	}
	type tap struct {
		i0, i1 int
		f      float32
	}
	taps := func(out, in, off int) []tap {
		t := make([]tap, out)
		s := float64(in) / float64(out)
		for o := range t {
			v := (float64(o)+0.5)*s - 0.5
			i := int(math.Floor(v))
			f := v - float64(i)
			t[o] = tap{off + clip(i, in), off + clip(i+1, in), float32(f)}
		}
		return t
	}
	ys, xs := taps(h, ch, top), taps(w, cw, left)
	src := append([]float32(nil), img...)
	for k := 0; k < c; k++ {
		p := src[k*h*w : (k+1)*h*w]
		q := img[k*h*w : (k+1)*h*w]
		for y, ty := range ys {
			r0, r1 := p[ty.i0*w:], p[ty.i1*w:]
			for x, tx := range xs {
				a := r0[tx.i0] + (r0[tx.i1]-r0[tx.i0])*tx.f
				b := r1[tx.i0] + (r1[tx.i1]-r1[tx.i0])*tx.f
				q[y*w+x] = a + (b-a)*ty.f
			}
		}
	}
}
