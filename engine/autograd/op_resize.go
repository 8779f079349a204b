package autograd

import (
	"math"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// ResizeMode is the interpolation of Resize.
type ResizeMode int

const (
	// Bilinear is F.interpolate(mode='bilinear', align_corners=False).
	Bilinear ResizeMode = iota
	// Bicubic is F.interpolate(mode='bicubic', align_corners=False): cubic
	// convolution with A = -0.75, border taps clamped.
	Bicubic
)

// String returns the mode's name.
func (m ResizeMode) String() string {
	switch m {
	case Bilinear:
		return "Bilinear"
	case Bicubic:
		return "Bicubic"
	}
	return "ResizeMode(?)"
}

// Resize returns x [N,C,H,W] resampled to [N,C,oh,ow], exactly as
// torch.nn.functional.interpolate(x, size=(oh, ow), mode='bilinear' or
// 'bicubic', align_corners=False, antialias=False), for up- and
// down-sampling: each output sample maps to the input coordinate
// (i+0.5)·in/out - 0.5; bilinear clamps it at 0 and blends the 2 nearest
// samples, bicubic blends 4 with Keys' kernel (A = -0.75), repeating border
// samples. Downsampling does not low-pass filter (no antialias). Resizing
// ViT position embeddings passes them as [1, D, gh, gw].
func (t *Tape) Resize(x *Var, oh, ow int, mode ResizeMode) *Var {
	xs := x.Value.Shape
	if len(xs) != 4 || oh < 1 || ow < 1 || xs[2] < 1 || xs[3] < 1 {
		panicf("Resize: input %v to %dx%d: want [N,C,H,W] with H, W, oh, ow >= 1", xs, oh, ow)
	}
	if mode != Bilinear && mode != Bicubic {
		panicf("Resize: unknown mode %d for input %v", int(mode), xs)
	}
	out := t.newOut([]int{xs[0], xs[1], oh, ow}, x)
	if isMeta(out) {
		return out
	}
	planes, h, w := xs[0]*xs[1], xs[2], xs[3]
	taps, iy, wy, ix, wx := 2, []int(nil), []float32(nil), []int(nil), []float32(nil)
	if mode == Bilinear {
		iy, wy = kernels.LinearTaps(h, oh)
		ix, wx = kernels.LinearTaps(w, ow)
	} else {
		taps = 4
		iy, wy = kernels.CubicTaps(h, oh)
		ix, wx = kernels.CubicTaps(w, ow)
	}
	kernels.Resample2d(planes, h, w, oh, ow, taps, iy, wy, ix, wx, x.Value.Data, out.Value.Data)
	t.push("Resize", out, func(gy []float32) {
		kernels.Resample2dBackward(planes, h, w, oh, ow, taps, iy, wy, ix, wx, gy, x.grad())
	}, x)
	return out
}

// refResize is the naive reference for Resize: each output sample's source
// coordinate and weights are computed in float64 from the interpolation
// kernel as a function of distance.
func refResize(x *tensor.Tensor, oh, ow int, mode ResizeMode) *tensor.Tensor {
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	// taps returns the input indices and weights that output i reads.
	taps := func(i, in, out int) ([]int, []float64) {
		src := (float64(i)+0.5)*float64(in)/float64(out) - 0.5
		clampIdx := func(j int) int { return min(max(j, 0), in-1) }
		if mode == Bilinear {
			src = math.Max(src, 0)
			f := math.Floor(src)
			return []int{clampIdx(int(f)), clampIdx(int(f) + 1)}, []float64{1 - (src - f), src - f}
		}
		const a = -0.75
		keys := func(d float64) float64 {
			d = math.Abs(d)
			switch {
			case d <= 1:
				return (a+2)*d*d*d - (a+3)*d*d + 1
			case d < 2:
				return a*d*d*d - 5*a*d*d + 8*a*d - 4*a
			}
			return 0
		}
		f := math.Floor(src)
		var idx []int
		var wt []float64
		for j := int(f) - 1; j <= int(f)+2; j++ {
			idx = append(idx, clampIdx(j))
			wt = append(wt, keys(src-float64(j)))
		}
		return idx, wt
	}
	out := tensor.New(n, c, oh, ow)
	for i := range out.Data {
		ox, oy, p := i%ow, (i/ow)%oh, i/(ow*oh)
		ry, wy := taps(oy, h, oh)
		rx, wx := taps(ox, w, ow)
		var s float64
		for a := range ry {
			for b := range rx {
				s += wy[a] * wx[b] * float64(x.Data[(p*h+ry[a])*w+rx[b]])
			}
		}
		out.Data[i] = float32(s)
	}
	return out
}
