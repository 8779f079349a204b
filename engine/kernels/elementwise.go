package kernels

import (
	"fmt"
	"math"
)

// Elementwise kernels: one output per input element, so any split across
// goroutines gives the same bits. Forward kernels write dst; backward kernels
// ACCUMULATE into dx (dx[i] += ...), given the output gradient dy and the
// op's input x or output y, whichever the derivative is cheapest from.
//
// The generic path (the loops below; the only one under the purego tag or
// without AVX2 and FMA) takes transcendental functions through Go's float64
// math (math.Exp, math.Log, math.Pow, math.Tanh, math.Erf) and rounds once to
// float32; everything else is float32 arithmetic. With useAsm, the kernels
// that have a twin in vec_amd64.s run it instead: float32 throughout, with a
// vectorised exp (Cephes expf, a few ulps, subnormal results rounded once,
// overflow to +Inf, NaN kept) and erf (max abs error 1e-7), so they equal
// their loops up to float32 rounding (a few ulps; see TestVecAccuracy).
// Each element gets the same instructions wherever a chunk starts, so the
// results are bit-identical for any GOMAXPROCS on either path.

// elementwiseGrain is the fewest elements worth a goroutine.
const elementwiseGrain = 1 << 14

// elementwiseMap checks that dst and x have the same length and runs body on
// matching chunks of them, in parallel.
func elementwiseMap(name string, dst, x []float32, body func(d, x []float32)) {
	elementwiseMapCheck(name, dst, x)
	parallelJob(&elementwiseJobs, len(x), elementwiseGrain, &elementwiseJob{dst: dst, x: x, mapBody: body})
}

// elementwiseMapP is elementwiseMap for a body with scalar parameters p and
// q, passed to it rather than captured, so that it is not a closure.
func elementwiseMapP(name string, dst, x []float32, p, q float32, body func(d, x []float32, p, q float32)) {
	elementwiseMapCheck(name, dst, x)
	parallelJob(&elementwiseJobs, len(x), elementwiseGrain, &elementwiseJob{dst: dst, x: x, p: p, q: q, mapP: body})
}

func elementwiseMapCheck(name string, dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("kernels: %s: dst has %d elements, x %d", name, len(dst), len(x)))
	}
}

// elementwiseBack checks that dx, dy and a (the op's input or output) have
// the same length and runs body on matching chunks of them, in parallel.
func elementwiseBack(name string, dx, dy, a []float32, body func(dx, dy, a []float32)) {
	elementwiseBackCheck(name, dx, dy, a)
	parallelJob(&elementwiseJobs, len(dy), elementwiseGrain, &elementwiseJob{dst: dx, x: dy, a: a, backBody: body})
}

// elementwiseBackP is elementwiseBack for a body with scalar parameters p
// and q (see elementwiseMapP).
func elementwiseBackP(name string, dx, dy, a []float32, p, q float32, body func(dx, dy, a []float32, p, q float32)) {
	elementwiseBackCheck(name, dx, dy, a)
	parallelJob(&elementwiseJobs, len(dy), elementwiseGrain, &elementwiseJob{dst: dx, x: dy, a: a, p: p, q: q, backP: body})
}

func elementwiseBackCheck(name string, dx, dy, a []float32) {
	if len(dx) != len(dy) || len(a) != len(dy) {
		panic(fmt.Sprintf("kernels: %s: dx, dy and input have %d, %d and %d elements", name, len(dx), len(dy), len(a)))
	}
}

// elementwiseJob is one elementwise call for parallelJob: exactly one of the
// bodies is set; a map reads dst and x, a backward dst (dx), x (dy) and a.
type elementwiseJob struct {
	dst, x, a []float32
	p, q      float32
	mapBody   func(d, x []float32)
	mapP      func(d, x []float32, p, q float32)
	backBody  func(dx, dy, a []float32)
	backP     func(dx, dy, a []float32, p, q float32)
}

var elementwiseJobs gemmFreeList[elementwiseJob]

func (j *elementwiseJob) run(lo, hi int) {
	switch {
	case j.mapBody != nil:
		j.mapBody(j.dst[lo:hi], j.x[lo:hi])
	case j.mapP != nil:
		j.mapP(j.dst[lo:hi], j.x[lo:hi], j.p, j.q)
	case j.backBody != nil:
		j.backBody(j.dst[lo:hi], j.x[lo:hi], j.a[lo:hi])
	default:
		j.backP(j.dst[lo:hi], j.x[lo:hi], j.a[lo:hi], j.p, j.q)
	}
}

// Scale sets dst[i] = x[i] * s.
func Scale(dst, x []float32, s float32) {
	elementwiseMapP("Scale", dst, x, s, 0, func(d, x []float32, s, _ float32) {
		if useAsm {
			vecScale(d, x, s)
			return
		}
		for i, v := range x {
			d[i] = v * s
		}
	})
}

// AddScalar sets dst[i] = x[i] + s.
func AddScalar(dst, x []float32, s float32) {
	elementwiseMapP("AddScalar", dst, x, s, 0, func(d, x []float32, s, _ float32) {
		for i, v := range x {
			d[i] = v + s
		}
	})
}

// AddScaled sets dx[i] += dy[i] * s: the backward of Scale (and of AddScalar
// with s = 1).
//
// The AVX2+FMA path equals it up to float32 rounding: one FMA per element.
func AddScaled(dx, dy []float32, s float32) {
	elementwiseBackP("AddScaled", dx, dy, dy, s, 0, func(dx, dy, _ []float32, s, _ float32) {
		if useAsm {
			vecAxpy(dx, dy, s)
			return
		}
		for i, g := range dy {
			dx[i] += g * s
		}
	})
}

// Exp sets dst[i] = float32(math.Exp(float64(x[i]))).
//
// The AVX2+FMA path equals it up to float32 rounding: within 1 ulp, subnormal results
// included.
func Exp(dst, x []float32) {
	elementwiseMap("Exp", dst, x, func(d, x []float32) {
		if useAsm {
			vecExp(d, x)
			return
		}
		for i, v := range x {
			d[i] = float32(math.Exp(float64(v)))
		}
	})
}

// ExpBackward sets dx[i] += dy[i] * y[i], for y = exp(x).
//
// The AVX2+FMA path equals it up to float32 rounding: one FMA per element.
func ExpBackward(dx, dy, y []float32) {
	elementwiseBack("ExpBackward", dx, dy, y, func(dx, dy, y []float32) {
		if useAsm {
			vecExpBack(dx, dy, y)
			return
		}
		for i, g := range dy {
			dx[i] += g * y[i]
		}
	})
}

// Log sets dst[i] = float32(math.Log(float64(x[i]))).
func Log(dst, x []float32) {
	elementwiseMap("Log", dst, x, func(d, x []float32) {
		for i, v := range x {
			d[i] = float32(math.Log(float64(v)))
		}
	})
}

// LogBackward sets dx[i] += dy[i] / x[i].
func LogBackward(dx, dy, x []float32) {
	elementwiseBack("LogBackward", dx, dy, x, func(dx, dy, x []float32) {
		for i, g := range dy {
			dx[i] += g / x[i]
		}
	})
}

// Sqrt sets dst[i] = float32(math.Sqrt(float64(x[i]))), which is the
// correctly rounded float32 square root.
func Sqrt(dst, x []float32) {
	elementwiseMap("Sqrt", dst, x, func(d, x []float32) {
		for i, v := range x {
			d[i] = float32(math.Sqrt(float64(v)))
		}
	})
}

// SqrtBackward sets dx[i] += dy[i] / (2 * y[i]), for y = sqrt(x).
func SqrtBackward(dx, dy, y []float32) {
	elementwiseBack("SqrtBackward", dx, dy, y, func(dx, dy, y []float32) {
		for i, g := range dy {
			dx[i] += g / (2 * y[i])
		}
	})
}

// Abs sets dst[i] = |x[i]| (clearing the sign bit).
func Abs(dst, x []float32) {
	elementwiseMap("Abs", dst, x, func(d, x []float32) {
		for i, v := range x {
			d[i] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
		}
	})
}

// AbsBackward sets dx[i] += dy[i] * sign(x[i]), with sign(0) = 0.
func AbsBackward(dx, dy, x []float32) {
	elementwiseBack("AbsBackward", dx, dy, x, func(dx, dy, x []float32) {
		for i, g := range dy {
			switch v := x[i]; {
			case v > 0:
				dx[i] += g
			case v < 0:
				dx[i] -= g
			}
		}
	})
}

// Pow sets dst[i] = float32(math.Pow(float64(x[i]), float64(p))).
func Pow(dst, x []float32, p float32) {
	elementwiseMapP("Pow", dst, x, p, 0, func(d, x []float32, p, _ float32) {
		pp := float64(p)
		for i, v := range x {
			d[i] = float32(math.Pow(float64(v), pp))
		}
	})
}

// PowBackward sets dx[i] += float32(dy[i] * p * x[i]^(p-1)), the product
// taken in float64; for p = 0 it adds nothing.
func PowBackward(dx, dy, x []float32, p float32) {
	elementwiseBackP("PowBackward", dx, dy, x, p, 0, func(dx, dy, x []float32, p, _ float32) {
		pp := float64(p)
		if pp == 0 { // x^0 is constant, also at x = 0 (as PyTorch)
			return
		}
		for i, g := range dy {
			dx[i] += float32(float64(g) * pp * math.Pow(float64(x[i]), pp-1))
		}
	})
}

// Clamp sets dst[i] = min(max(x[i], lo), hi) with Go's min and max (hi wins
// when lo > hi; NaN stays NaN).
func Clamp(dst, x []float32, lo, hi float32) {
	elementwiseMapP("Clamp", dst, x, lo, hi, func(d, x []float32, lo, hi float32) {
		for i, v := range x {
			d[i] = min(max(v, lo), hi)
		}
	})
}

// ClampBackward sets dx[i] += dy[i] where lo <= x[i] <= hi (bounds
// included).
func ClampBackward(dx, dy, x []float32, lo, hi float32) {
	elementwiseBackP("ClampBackward", dx, dy, x, lo, hi, func(dx, dy, x []float32, lo, hi float32) {
		for i, g := range dy {
			if v := x[i]; v >= lo && v <= hi {
				dx[i] += g
			}
		}
	})
}

// ReLU sets dst[i] = max(x[i], 0) with Go's max (NaN stays NaN, -0 gives 0).
func ReLU(dst, x []float32) { elementwiseMap("ReLU", dst, x, reluRows) }

// reluRows is ReLU on the calling goroutine.
func reluRows(d, x []float32) {
	if useAsm {
		vecReLU(d, x)
		return
	}
	for i, v := range x {
		d[i] = max(v, 0)
	}
}

// ReLUBackward sets dx[i] += dy[i] where y[i] > 0, for y = relu(x).
func ReLUBackward(dx, dy, y []float32) {
	elementwiseBack("ReLUBackward", dx, dy, y, func(dx, dy, y []float32) {
		if useAsm {
			vecReLUBack(dx, dy, y)
			return
		}
		for i, g := range dy {
			if y[i] > 0 {
				dx[i] += g
			}
		}
	})
}

// ReLUBackwardSet sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere, for
// y = relu(x): ReLUBackward into a gradient that holds nothing yet, which
// it never reads.
func ReLUBackwardSet(dx, dy, y []float32) {
	elementwiseBack("ReLUBackwardSet", dx, dy, y, func(dx, dy, y []float32) {
		if useAsm {
			vecReLUBackSet(dx, y, dy)
			return
		}
		for i, g := range dy {
			if y[i] > 0 {
				dx[i] = g
			} else {
				dx[i] = 0
			}
		}
	})
}

// AddRows sets dst[i] = a[i] + b[i] on the calling goroutine, for callers
// that split the work themselves.
func AddRows(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if useAsm {
		vecAdd(dst, a, b)
		return
	}
	for i, v := range a {
		dst[i] = v + b[i]
	}
}

// AddToRows sets dst[i] += x[i] on the calling goroutine.
func AddToRows(dst, x []float32) { addTo(dst, x) }

// MulRows sets dst[i] = a[i]·b[i] on the calling goroutine.
func MulRows(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if useAsm {
		vecMul(dst, a, b)
		return
	}
	for i, v := range a {
		dst[i] = v * b[i]
	}
}

// ScaleRows sets dst[i] = x[i]·s on the calling goroutine.
func ScaleRows(dst, x []float32, s float32) {
	x = x[:len(dst)]
	if useAsm {
		vecScale(dst, x, s)
		return
	}
	for i, v := range x {
		dst[i] = v * s
	}
}

// AxpyRows sets dst[i] += x[i]·a on the calling goroutine (one rounding
// per element, fused, where the assembly runs).
func AxpyRows(dst, x []float32, a float32) {
	x = x[:len(dst)]
	if useAsm {
		vecAxpy(dst, x, a)
		return
	}
	for i, v := range x {
		dst[i] += v * a
	}
}

// DotRows returns the sum of a[i]·b[i] on the calling goroutine, in an
// order fixed by the length.
func DotRows(a, b []float32) float32 {
	b = b[:len(a)]
	if useAsm {
		return vecDot(a, b)
	}
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// ReLU6 sets dst[i] = min(max(x[i], 0), 6) with Go's min and max (NaN stays
// NaN).
func ReLU6(dst, x []float32) {
	elementwiseMap("ReLU6", dst, x, func(d, x []float32) {
		if useAsm {
			vecReLU6(d, x)
			return
		}
		for i, v := range x {
			d[i] = min(max(v, 0), 6)
		}
	})
}

// ReLU6Backward sets dx[i] += dy[i] where 0 < x[i] < 6 (bounds excluded).
func ReLU6Backward(dx, dy, x []float32) {
	elementwiseBack("ReLU6Backward", dx, dy, x, func(dx, dy, x []float32) {
		if useAsm {
			vecReLU6Back(dx, dy, x)
			return
		}
		for i, g := range dy {
			if v := x[i]; v > 0 && v < 6 {
				dx[i] += g
			}
		}
	})
}

// elementwiseSigmoid is 1/(1+e^-x) in float64, in the form whose exponential
// cannot overflow: e^x/(1+e^x) for x < 0.
func elementwiseSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Sigmoid sets dst[i] = 1/(1+exp(-x[i])), computed in float64 without
// overflow for any x.
//
// The AVX2+FMA path equals it up to float32 rounding: e = exp(-|x|) within 1 ulp, then
// (x < 0 ? e : 1) / (1 + e), within 3 ulps.
func Sigmoid(dst, x []float32) {
	elementwiseMap("Sigmoid", dst, x, func(d, x []float32) {
		if useAsm {
			vecSigmoid(d, x)
			return
		}
		for i, v := range x {
			d[i] = float32(elementwiseSigmoid(float64(v)))
		}
	})
}

// SigmoidBackward sets dx[i] += dy[i] * (1 - y[i]) * y[i], for y = sigmoid(x).
//
// The AVX2+FMA path equals it up to float32 rounding: the last multiply-add fused.
func SigmoidBackward(dx, dy, y []float32) {
	elementwiseBack("SigmoidBackward", dx, dy, y, func(dx, dy, y []float32) {
		if useAsm {
			vecSigmoidBack(dx, dy, y)
			return
		}
		for i, g := range dy {
			dx[i] += g * (1 - y[i]) * y[i]
		}
	})
}

// Tanh sets dst[i] = float32(math.Tanh(float64(x[i]))).
//
// The AVX2+FMA path equals it up to float32 rounding: Cephes' tanhf polynomial for
// |x| < 0.625, else (1-e)/(1+e) with e = exp(-2|x|); within 2 ulps.
func Tanh(dst, x []float32) {
	elementwiseMap("Tanh", dst, x, func(d, x []float32) {
		if useAsm {
			vecTanh(d, x)
			return
		}
		for i, v := range x {
			d[i] = float32(math.Tanh(float64(v)))
		}
	})
}

// TanhBackward sets dx[i] += dy[i] * (1 - y[i]*y[i]), for y = tanh(x).
//
// The AVX2+FMA path equals it up to float32 rounding: the last multiply-add fused.
func TanhBackward(dx, dy, y []float32) {
	elementwiseBack("TanhBackward", dx, dy, y, func(dx, dy, y []float32) {
		if useAsm {
			vecTanhBack(dx, dy, y)
			return
		}
		for i, g := range dy {
			dx[i] += g * (1 - y[i]*y[i])
		}
	})
}

// SiLU sets dst[i] = x[i] * sigmoid(x[i]), computed in float64 without
// overflow for any x.
//
// The AVX2+FMA path equals it up to float32 rounding: (x < 0 ? x·e : x) / (1 + e) with
// e = exp(-|x|), x·e rounded once even where e is subnormal; within 3 ulps.
func SiLU(dst, x []float32) { elementwiseMap("SiLU", dst, x, siluRows) }

// siluRows is SiLU on the calling goroutine.
func siluRows(d, x []float32) {
	if useAsm {
		vecSiLU(d, x)
		return
	}
	for i, v := range x {
		xv := float64(v)
		d[i] = float32(xv * elementwiseSigmoid(xv))
	}
}

// SiLUBackward sets dx[i] += dy[i] * s * (1 + x[i]*(1-s)) with
// s = sigmoid(x[i]), computed in float64.
//
// The AVX2+FMA path equals it up to float32 rounding: s and 1-s from e = exp(-|x|)
// without cancellation, in float32.
func SiLUBackward(dx, dy, x []float32) {
	elementwiseBack("SiLUBackward", dx, dy, x, func(dx, dy, x []float32) {
		if useAsm {
			vecSiLUBack(dx, dy, x)
			return
		}
		for i, g := range dy {
			xv := float64(x[i])
			s := elementwiseSigmoid(xv)
			dx[i] += float32(float64(g) * s * (1 + xv*(1-s)))
		}
	})
}

// HardSwish sets dst[i] = x[i] * min(max(x[i]+3, 0), 6) / 6 in float32, in
// PyTorch's order of operations.
func HardSwish(dst, x []float32) { elementwiseMap("HardSwish", dst, x, hardSwishRows) }

// hardSwishRows is HardSwish on the calling goroutine.
func hardSwishRows(d, x []float32) {
	if useAsm {
		vecHardSwish(d, x)
		return
	}
	for i, v := range x {
		r := min(max(v+3, 0), 6)
		d[i] = v * r / 6
	}
}

// HardSwishBackward adds PyTorch's hardswish derivative times dy[i] to dx[i]:
// 0 for x < -3, x/3 + 1/2 for -3 <= x <= 3 (so -1/2 at -3 and 3/2 at 3), 1
// for x > 3.
//
// The AVX2+FMA path equals it up to float32 rounding: the multiply-add fused; a NaN x
// adds dy, as the switch does.
func HardSwishBackward(dx, dy, x []float32) {
	elementwiseBack("HardSwishBackward", dx, dy, x, func(dx, dy, x []float32) {
		if useAsm {
			vecHardSwishBack(dx, dy, x)
			return
		}
		for i, g := range dy {
			switch v := x[i]; {
			case v < -3:
			case v <= 3:
				dx[i] += g * (v/3 + 0.5)
			default:
				dx[i] += g
			}
		}
	})
}

// HardSigmoid sets dst[i] = min(max(x[i]+3, 0), 6) / 6 in float32.
func HardSigmoid(dst, x []float32) {
	elementwiseMap("HardSigmoid", dst, x, func(d, x []float32) {
		if useAsm {
			vecHardSigmoid(d, x)
			return
		}
		for i, v := range x {
			d[i] = min(max(v+3, 0), 6) / 6
		}
	})
}

// HardSigmoidBackward sets dx[i] += dy[i] / 6 where -3 < x[i] < 3 (bounds
// excluded).
func HardSigmoidBackward(dx, dy, x []float32) {
	elementwiseBack("HardSigmoidBackward", dx, dy, x, func(dx, dy, x []float32) {
		if useAsm {
			vecHardSigmoidBack(dx, dy, x)
			return
		}
		for i, g := range dy {
			if v := x[i]; v > -3 && v < 3 {
				dx[i] += g * (1.0 / 6)
			}
		}
	})
}

// GELU sets dst[i] = x * (1 + erf(x/√2)) / 2 for x = x[i], computed in
// float64 with math.Erf.
//
// The AVX2+FMA path equals it up to float32 rounding: x/2 + x/2·erf(x/√2) for |x| < √2,
// else x·Φ with Φ from a vectorised erfc; within 7 ulps (the 8e-8 absolute
// error of erf, relative to 1 + erf, near x = -1.4).
func GELU(dst, x []float32) { elementwiseMap("GELU", dst, x, geluRows) }

// geluRows is GELU on the calling goroutine.
func geluRows(d, x []float32) {
	if avx512() {
		vecGELU512(d, x) // the same bits as vecGELU
		return
	}
	if useAsm {
		vecGELU(d, x)
		return
	}
	for i, v := range x {
		xv := float64(v)
		d[i] = float32(0.5 * xv * (1 + math.Erf(xv*(1/math.Sqrt2))))
	}
}

// GELUBackward sets dx[i] += dy[i] * (Φ(x) + x·φ(x)) for x = x[i], with Φ
// and φ the standard normal CDF and density, computed in float64.
//
// The AVX2+FMA path equals it up to float32 rounding: Φ as in GELU, φ from the same
// exponential.
func GELUBackward(dx, dy, x []float32) {
	const invSqrt2Pi = 0.3989422804014327 // 1/√(2π)
	elementwiseBack("GELUBackward", dx, dy, x, func(dx, dy, x []float32) {
		if avx512() {
			vecGELUBack512(dx, dy, x) // the same bits as vecGELUBack
			return
		}
		if useAsm {
			vecGELUBack(dx, dy, x)
			return
		}
		for i, g := range dy {
			xv := float64(x[i])
			cdf := 0.5 * (1 + math.Erf(xv*(1/math.Sqrt2)))
			pdf := invSqrt2Pi * math.Exp(-0.5*xv*xv)
			dx[i] += float32(float64(g) * (cdf + xv*pdf))
		}
	})
}

// Constants of the tanh approximation of GELU.
const (
	elementwiseGELUBeta  = 0.7978845608028654 // √(2/π)
	elementwiseGELUKappa = 0.044715
)

// GELUTanh sets dst[i] = x/2 * (1 + tanh(√(2/π)·(x + 0.044715·x³))) for
// x = x[i], computed in float64 with math.Tanh.
//
// The AVX2+FMA path equals it up to float32 rounding: x·sigmoid(z) with z = 2β(x + κx³),
// which is x/2·(1 + tanh(z/2)) without its cancellation; within 4 ulps for
// x >= 0, and for x < 0 within 4 + 2.5·|z| ulps, the float32 rounding of z
// being amplified by e^z.
func GELUTanh(dst, x []float32) { elementwiseMap("GELUTanh", dst, x, geluTanhRows) }

// geluTanhRows is GELUTanh on the calling goroutine.
func geluTanhRows(d, x []float32) {
	if useAsm {
		vecGELUTanh(d, x)
		return
	}
	for i, v := range x {
		xv := float64(v)
		inner := elementwiseGELUBeta * (xv + elementwiseGELUKappa*xv*xv*xv)
		d[i] = float32(0.5 * xv * (1 + math.Tanh(inner)))
	}
}

// GELUTanhBackward sets dx[i] += dy[i] times the derivative of GELUTanh at
// x[i], (1+t)/2 + x/2·(1-t²)·√(2/π)·(1 + 3·0.044715·x²) with
// t = tanh(√(2/π)·(x + 0.044715·x³)), computed in float64.
//
// The AVX2+FMA path equals it up to float32 rounding: s = sigmoid(z) and 1-s without
// cancellation, derivative s + 2x·s(1-s)·β(1 + 3κx²).
func GELUTanhBackward(dx, dy, x []float32) {
	elementwiseBack("GELUTanhBackward", dx, dy, x, func(dx, dy, x []float32) {
		if useAsm {
			vecGELUTanhBack(dx, dy, x)
			return
		}
		for i, g := range dy {
			xv := float64(x[i])
			x2 := xv * xv
			t := math.Tanh(elementwiseGELUBeta * (xv + elementwiseGELUKappa*x2*xv))
			d := 0.5*(1+t) + 0.5*xv*(1-t*t)*elementwiseGELUBeta*(1+3*elementwiseGELUKappa*x2)
			dx[i] += float32(float64(g) * d)
		}
	})
}

// Erf sets dst[i] = float32(math.Erf(float64(x[i]))); the AVX2+FMA path
// equals it up to an absolute error of 1e-7.
func Erf(dst, x []float32) {
	elementwiseMap("Erf", dst, x, func(d, x []float32) {
		if useAsm {
			vecErf(d, x)
			return
		}
		for i, v := range x {
			d[i] = float32(math.Erf(float64(v)))
		}
	})
}

// ForceGeneric switches the kernels of this package to their pure-Go
// generic path (on = true) or back to the best path for this CPU (on =
// false), and returns a function that restores the previous state. It is
// for benchmarks and tests in other packages only (it is not safe to call
// while kernels run).
func ForceGeneric(on bool) (restore func()) { return setAsm(!on) }
