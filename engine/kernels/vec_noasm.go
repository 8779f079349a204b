//go:build !amd64 || purego

package kernels

import "math"

// Pure-Go versions of the kernels in vec_amd64.s, so that the package
// builds everywhere. useAsm is false in these builds, so the exported
// kernels run their own generic loops and never call these; each is the
// plain loop its assembly twin equals up to float32 rounding.

func vecMap(dst, x []float32, f func(float64) float64) {
	for i, v := range x {
		dst[i] = float32(f(float64(v)))
	}
}

func vecBackMap(dx, dy, a []float32, f func(float64) float64) {
	for i, g := range dy {
		dx[i] += g * float32(f(float64(a[i])))
	}
}

func vecExp(dst, x []float32)     { vecMap(dst, x, math.Exp) }
func vecSigmoid(dst, x []float32) { vecMap(dst, x, elementwiseSigmoid) }
func vecSiLU(dst, x []float32) {
	vecMap(dst, x, func(v float64) float64 { return v * elementwiseSigmoid(v) })
}
func vecTanh(dst, x []float32) { vecMap(dst, x, math.Tanh) }
func vecErf(dst, x []float32)  { vecMap(dst, x, math.Erf) }
func vecGELU(dst, x []float32) {
	vecMap(dst, x, func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) })
}
func vecGELUTanh(dst, x []float32) {
	vecMap(dst, x, func(v float64) float64 {
		return v * elementwiseSigmoid(2*elementwiseGELUBeta*(v+elementwiseGELUKappa*v*v*v))
	})
}
func vecHardSigmoid(dst, x []float32) {
	for i, v := range x {
		dst[i] = min(max(v+3, 0), 6) / 6
	}
}
func vecHardSwish(dst, x []float32) {
	for i, v := range x {
		dst[i] = v * min(max(v+3, 0), 6) / 6
	}
}
func vecReLU(dst, x []float32) {
	for i, v := range x {
		dst[i] = max(v, 0)
	}
}
func vecReLU6(dst, x []float32) {
	for i, v := range x {
		dst[i] = min(max(v, 0), 6)
	}
}

func vecExpBack(dx, dy, a []float32) { vecBackMap(dx, dy, a, func(y float64) float64 { return y }) }
func vecSigmoidBack(dx, dy, a []float32) {
	vecBackMap(dx, dy, a, func(y float64) float64 { return (1 - y) * y })
}
func vecTanhBack(dx, dy, a []float32) {
	vecBackMap(dx, dy, a, func(y float64) float64 { return 1 - y*y })
}
func vecSiLUBack(dx, dy, a []float32) {
	vecBackMap(dx, dy, a, func(v float64) float64 {
		s := elementwiseSigmoid(v)
		return s * (1 + v*(1-s))
	})
}
func vecGELUBack(dx, dy, a []float32) {
	vecBackMap(dx, dy, a, func(v float64) float64 {
		return 0.5*(1+math.Erf(v/math.Sqrt2)) + v*math.Exp(-0.5*v*v)/math.Sqrt(2*math.Pi)
	})
}
func vecGELUTanhBack(dx, dy, a []float32) {
	vecBackMap(dx, dy, a, func(v float64) float64 {
		t := math.Tanh(elementwiseGELUBeta * (v + elementwiseGELUKappa*v*v*v))
		return 0.5*(1+t) + 0.5*v*(1-t*t)*elementwiseGELUBeta*(1+3*elementwiseGELUKappa*v*v)
	})
}
func vecReLUBack(dx, dy, a []float32) {
	for i, g := range dy {
		if a[i] > 0 {
			dx[i] += g
		}
	}
}
func vecReLU6Back(dx, dy, a []float32) {
	for i, g := range dy {
		if v := a[i]; v > 0 && v < 6 {
			dx[i] += g
		}
	}
}
func vecHardSigmoidBack(dx, dy, a []float32) {
	for i, g := range dy {
		if v := a[i]; v > -3 && v < 3 {
			dx[i] += g * (1.0 / 6)
		}
	}
}
func vecHardSwishBack(dx, dy, a []float32) {
	for i, g := range dy {
		switch v := a[i]; {
		case v < -3:
		case v <= 3:
			dx[i] += g * (v/3 + 0.5)
		default:
			dx[i] += g
		}
	}
}

func vecMax(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	return m
}
func vecSum(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += v
	}
	return s
}
func vecDot(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
func vecExpShiftSum(dst, x []float32, m float32) float32 {
	var s float32
	for i, v := range x {
		dst[i] = float32(math.Exp(float64(v - m)))
		s += dst[i]
	}
	return s
}
func vecExpShiftSumOnly(x []float32, m float32) float32 {
	var s float32
	for _, v := range x {
		s += float32(math.Exp(float64(v - m)))
	}
	return s
}
func vecScale(dst, x []float32, s float32) {
	for i, v := range x {
		dst[i] = v * s
	}
}
func vecShift2(dst, x []float32, m, ls float32) {
	for i, v := range x {
		dst[i] = (v - m) - ls
	}
}
func vecSoftmaxBack(dx, dy, a []float32, s float32) {
	for i, g := range dy {
		dx[i] += a[i] * (g - s)
	}
}
func vecLogSoftmaxBack(dx, dy, a []float32, s float32) {
	for i, g := range dy {
		dx[i] += g - float32(math.Exp(float64(a[i])))*s
	}
}

func vecSum64(x []float32) float64                  { return normSum(x) }
func vecSumSqDev64(x []float32, mu float64) float64 { return normSumSqDev(x, mu) }
func vecSumDot64(g, x []float32, mu float64) (sg, sgx float64) {
	return normSumDot(g, x, mu)
}
func vecAxpb(dst, x []float32, a, b float32) {
	for i, v := range x {
		dst[i] = v*a + b
	}
}
func vecSubMul(dst, x []float32, m, r float32) {
	for i, v := range x {
		dst[i] = (v - m) * r
	}
}
func vecMul(dst, a, b []float32) {
	for i, v := range a {
		dst[i] = v * b[i]
	}
}
func vecAdd(dst, a, b []float32) {
	for i, v := range a {
		dst[i] = v + b[i]
	}
}
func vecReLUBackSet(dx, y, dy []float32) {
	for i, g := range dy {
		if y[i] > 0 {
			dx[i] = g
		} else {
			dx[i] = 0
		}
	}
}
func vecNormRow(dst, a, b, c []float32, m, r float32) {
	for i, v := range a {
		dst[i] = (v-m)*r*b[i] + c[i]
	}
}
func vecFMA3(dst, a, b, c []float32) {
	for i, v := range a {
		dst[i] = v*b[i] + c[i]
	}
}
func vecAxpy(dx, x []float32, k float32) {
	for i, v := range x {
		dx[i] += k * v
	}
}
func vecLNBack(dx, dy, a []float32, mu, rs, ma, mb float32) {
	for i, g := range dy {
		dx[i] += rs * (g - ma - (a[i]-mu)*rs*mb)
	}
}
func vecBNGrad(dx, dy, a []float32, k, gm, u, xc float32) {
	for i, g := range dy {
		dx[i] += k * (g - gm - (a[i]-u)*xc)
	}
}
func vecBNGradSet(dx, dy, a []float32, k, gm, u, xc float32) {
	for i, g := range dy {
		dx[i] = k * (g - gm - (a[i]-u)*xc)
	}
}
func vecLNParam(sa, sb []float64, g, x []float32, mu, rs float32) {
	for i, v := range g {
		sa[i] += float64(v)
		sb[i] += float64(v) * float64((x[i]-mu)*rs)
	}
}
