package kernels

import (
	"fmt"
	"math"
)

// LinearTaps returns the 2 taps per output sample of PyTorch's linear
// interpolation from in to out samples with align_corners=False (one axis
// of F.interpolate(mode='bilinear')): output i reads input idx[2i] with
// weight wt[2i] and idx[2i+1] with weight wt[2i+1], where, in float32,
//
//	scale := float32(in) / float32(out)
//	src := max(scale*(float32(i)+0.5)-0.5, 0)
//	i0 := int(src)
//	i1 := i0 + 1 // i0 when i0 == in-1
//	l1 := src - float32(i0)
//	idx[2i], idx[2i+1], wt[2i], wt[2i+1] = i0, i1, 1-l1, l1
//
// When in == out the taps are the identity.
func LinearTaps(in, out int) (idx []int, wt []float32) {
	resizeCheck("LinearTaps", in, out)
	idx, wt = make([]int, 2*out), make([]float32, 2*out)
	scale := float32(in) / float32(out)
	for i := 0; i < out; i++ {
		if in == out {
			idx[2*i], idx[2*i+1], wt[2*i], wt[2*i+1] = i, i, 1, 0
			continue
		}
		src := max(scale*(float32(i)+0.5)-0.5, 0)
		i0 := int(src)
		i1 := i0
		if i0 < in-1 {
			i1 = i0 + 1
		}
		l1 := src - float32(i0)
		idx[2*i], idx[2*i+1], wt[2*i], wt[2*i+1] = i0, i1, 1-l1, l1
	}
	return idx, wt
}

// CubicTaps returns the 4 taps per output sample of PyTorch's cubic
// convolution interpolation (A = -0.75) from in to out samples with
// align_corners=False (one axis of F.interpolate(mode='bicubic')): output i
// reads inputs idx[4i+j] with weights wt[4i+j], j = 0..3, where, in float32,
//
//	scale := float32(in) / float32(out)
//	src := scale*(float32(i)+0.5) - 0.5 // not clamped
//	i0 := floor(src)
//	t := src - i0
//	idx[4i+j] = clamp(i0-1+j, 0, in-1)
//	wt[4i:4i+4] = cc2(t+1), cc1(t), cc1(1-t), cc2(2-t)
//
// with cc1(x) = ((A+2)x - (A+3))x² + 1 for |x| <= 1 and
// cc2(x) = ((Ax - 5A)x + 8A)x - 4A for 1 < |x| < 2. Clamped taps keep their
// weights, as in PyTorch (the border sample is repeated).
func CubicTaps(in, out int) (idx []int, wt []float32) {
	resizeCheck("CubicTaps", in, out)
	const a = -0.75
	cc1 := func(x float32) float32 { return ((a+2)*x-(a+3))*x*x + 1 }
	cc2 := func(x float32) float32 { return ((a*x-5*a)*x+8*a)*x - 4*a }
	idx, wt = make([]int, 4*out), make([]float32, 4*out)
	scale := float32(in) / float32(out)
	for i := 0; i < out; i++ {
		src := scale*(float32(i)+0.5) - 0.5
		f := float32(math.Floor(float64(src)))
		i0, t := int(f), src-f
		for j := 0; j < 4; j++ {
			idx[4*i+j] = min(max(i0-1+j, 0), in-1)
		}
		wt[4*i], wt[4*i+1], wt[4*i+2], wt[4*i+3] = cc2(t+1), cc1(t), cc1(1-t), cc2(2-t)
	}
	return idx, wt
}

func resizeCheck(name string, in, out int) {
	if in < 1 || out < 1 {
		panic(fmt.Sprintf("kernels: %s: bad sizes %d -> %d", name, in, out))
	}
}

// Resample2d resamples planes input planes x [planes, h, w] into
// y [planes, oh, ow] with separable taps (taps per output sample on each
// axis): rows iy, wy [oh·taps] and columns ix, wx [ow·taps], as made by
// LinearTaps or CubicTaps. It overwrites y and equals:
//
//	for p := 0; p < planes; p++ {
//		for i := 0; i < oh; i++ {
//			for j := 0; j < ow; j++ {
//				var s float32
//				for a := 0; a < taps; a++ {
//					var r float32
//					for b := 0; b < taps; b++ {
//						r += wx[j*taps+b] * x[(p*h+iy[i*taps+a])*w+ix[j*taps+b]]
//					}
//					s += wy[i*taps+a] * r
//				}
//				y[(p*oh+i)*ow+j] = s
//			}
//		}
//	}
func Resample2d(planes, h, w, oh, ow, taps int, iy []int, wy []float32, ix []int, wx []float32, x, y []float32) {
	resizeCheckTaps("Resample2d", h, w, oh, ow, taps, iy, wy, ix, wx)
	convCheckLen("Resample2d x", x, planes*h*w)
	convCheckLen("Resample2d y", y, planes*oh*ow)
	parallelJob(&resampleJobs, planes, convGrain(oh*ow*taps*taps), &resampleJob{h: h, w: w, oh: oh, ow: ow, taps: taps, iy: iy, ix: ix, wy: wy, wx: wx, x: x, y: y})
}

// resampleJob is Resample2d's parallel step (a pooled job, no closure per call).
type resampleJob struct {
	h, w, oh, ow, taps int
	iy, ix             []int
	wy, wx, x, y       []float32
}

var resampleJobs gemmFreeList[resampleJob]

func (j *resampleJob) run(lo, hi int) {
	h, w, oh, ow, taps, iy, ix, wy, wx, x, y := j.h, j.w, j.oh, j.ow, j.taps, j.iy, j.ix, j.wy, j.wx, j.x, j.y
	for p := lo; p < hi; p++ {
		xp := x[p*h*w : (p+1)*h*w]
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				cx, cw := ix[j*taps:(j+1)*taps], wx[j*taps:(j+1)*taps]
				var s float32
				for a := 0; a < taps; a++ {
					row := xp[iy[i*taps+a]*w : (iy[i*taps+a]+1)*w]
					var r float32
					for b, c := range cx {
						r += cw[b] * row[c]
					}
					s += wy[i*taps+a] * r
				}
				y[(p*oh+i)*ow+j] = s
			}
		}
	}
}

// Resample2dBackward adds to gx [planes, h, w] the gradient of Resample2d
// with the same taps, given the output gradient gy [planes, oh, ow]. It
// equals:
//
//	for p := 0; p < planes; p++ {
//		for i := 0; i < oh; i++ {
//			for j := 0; j < ow; j++ {
//				for a := 0; a < taps; a++ {
//					d := wy[i*taps+a] * gy[(p*oh+i)*ow+j]
//					for b := 0; b < taps; b++ {
//						gx[(p*h+iy[i*taps+a])*w+ix[j*taps+b]] += wx[j*taps+b] * d
//					}
//				}
//			}
//		}
//	}
func Resample2dBackward(planes, h, w, oh, ow, taps int, iy []int, wy []float32, ix []int, wx []float32, gy, gx []float32) {
	resizeCheckTaps("Resample2dBackward", h, w, oh, ow, taps, iy, wy, ix, wx)
	convCheckLen("Resample2dBackward gy", gy, planes*oh*ow)
	convCheckLen("Resample2dBackward gx", gx, planes*h*w)
	parallelJob(&resampleBackJobs, planes, convGrain(oh*ow*taps*taps), &resampleBackJob{h: h, w: w, oh: oh, ow: ow, taps: taps, iy: iy, ix: ix, wy: wy, wx: wx, gy: gy, gx: gx})
}

// resampleBackJob is Resample2dBackward's parallel step (a pooled job, no closure per call).
type resampleBackJob struct {
	h, w, oh, ow, taps int
	iy, ix             []int
	wy, wx, gy, gx     []float32
}

var resampleBackJobs gemmFreeList[resampleBackJob]

func (j *resampleBackJob) run(lo, hi int) {
	h, w, oh, ow, taps, iy, ix, wy, wx, gy, gx := j.h, j.w, j.oh, j.ow, j.taps, j.iy, j.ix, j.wy, j.wx, j.gy, j.gx
	for p := lo; p < hi; p++ {
		gxp := gx[p*h*w : (p+1)*h*w]
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				cx, cw := ix[j*taps:(j+1)*taps], wx[j*taps:(j+1)*taps]
				g := gy[(p*oh+i)*ow+j]
				for a := 0; a < taps; a++ {
					d := wy[i*taps+a] * g
					row := gxp[iy[i*taps+a]*w : (iy[i*taps+a]+1)*w]
					for b, c := range cx {
						row[c] += cw[b] * d
					}
				}
			}
		}
	}
}

func resizeCheckTaps(name string, h, w, oh, ow, taps int, iy []int, wy []float32, ix []int, wx []float32) {
	if h < 1 || w < 1 || oh < 0 || ow < 0 || taps < 1 ||
		len(iy) < oh*taps || len(wy) < oh*taps || len(ix) < ow*taps || len(wx) < ow*taps {
		panic(fmt.Sprintf("kernels: %s: bad sizes %dx%d -> %dx%d with %d taps (%d,%d row and %d,%d column taps)",
			name, h, w, oh, ow, taps, len(iy), len(wy), len(ix), len(wx)))
	}
	for _, v := range iy[:oh*taps] {
		if v < 0 || v >= h {
			panic(fmt.Sprintf("kernels: %s: row tap %d outside [0,%d)", name, v, h))
		}
	}
	for _, v := range ix[:ow*taps] {
		if v < 0 || v >= w {
			panic(fmt.Sprintf("kernels: %s: column tap %d outside [0,%d)", name, v, w))
		}
	}
}
