package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// vecUlp returns the spacing of float32 values at |w| (2^-149 for
// subnormals).
func vecUlp(w float64) float64 {
	f := float32(math.Abs(w))
	if math.IsInf(float64(f), 0) {
		f = math.MaxFloat32
	}
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// vecSweep returns a dense sweep of [lo, hi] plus random float32 values in
// it and the special values.
func vecSweep(lo, hi float64, n int) []float32 {
	x := make([]float32, 0, 2*n+16)
	for i := 0; i <= n; i++ {
		x = append(x, float32(lo+(hi-lo)*float64(i)/float64(n)))
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for i := 0; i < n; i++ {
		x = append(x, float32(lo+(hi-lo)*rng.Float64()))
	}
	// Tiny magnitudes, where relative accuracy matters.
	for e := -40; e <= 0; e++ {
		v := float32(math.Ldexp(1.2345, e))
		x = append(x, v, -v)
	}
	return append(x, 0, float32(math.Copysign(0, -1)))
}

// vecNeedAsm flips to the assembly path, skipping when it cannot run.
func vecNeedAsm(t *testing.T) (restore func()) {
	t.Helper()
	restore = setAsm(true)
	if !useAsm {
		restore()
		t.Skip("no AVX2+FMA assembly on this build or CPU")
	}
	return restore
}

// TestVecAccuracy checks the vectorised transcendental kernels against
// float64 math over dense sweeps: the error bound is in float32 ulps of the
// exact value, or absolute where the value is a cancellation (erf near 0
// is relative).
func TestVecAccuracy(t *testing.T) {
	defer vecNeedAsm(t)()
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	cases := []struct {
		name   string
		fwd    func(dst, x []float32)
		f      func(float64) float64
		lo, hi float64
		ulps   float64 // bound in ulps of the result
		abs    float64 // or absolute bound, whichever is larger
		cond   float64 // plus cond·|z| ulps, z = GELUTanh's 2u (see below)
	}{
		{"Exp", Exp, math.Exp, -104, 89, 1, 0, 0},
		{"Sigmoid", Sigmoid, sig, -110, 30, 3, 0, 0},
		{"SiLU", SiLU, func(x float64) float64 { return x * sig(x) }, -110, 40, 3, 0, 0},
		{"Tanh", Tanh, math.Tanh, -20, 20, 2, 0, 0},
		{"Erf", Erf, math.Erf, -6, 6, 2, 8e-8, 0},
		// GELU: 1+erf(z) cancels for -1 < z < -0.5 (erf's 8e-8 abs error
		// becomes ~7 ulps); the tail beyond uses erfc, within 5 ulps down
		// to the subnormals near x = -13.
		{"GELU", GELU, func(x float64) float64 { return x * math.Erfc(-x/math.Sqrt2) / 2 }, -14, 14, 7, 1e-37, 0},
		// GELUTanh = x·sigmoid(z), z = 2u = 2β(x + κx³) (the reference uses
		// this form, as 1+tanh(u) cancels even in float64). For x < 0,
		// e^z amplifies the float32 rounding of z (and of 2β, 2βκ) by |z|,
		// as in any float32 evaluation of the formula (PyTorch's included):
		// the bound grows by 2.5 ulps per unit of |z| (197 ulps at x = -10).
		{"GELUTanh", GELUTanh, func(x float64) float64 {
			return x * sig(2*math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))
		}, -10, 10, 4, 0, 2.5},
	}
	for _, c := range cases {
		x := vecSweep(c.lo, c.hi, 200000)
		y := make([]float32, len(x))
		c.fwd(y, x)
		var worst, at float64
		for i, v := range x {
			want := c.f(float64(v))
			err := math.Abs(float64(y[i]) - want)
			if err <= c.abs {
				continue
			}
			xv := float64(v)
			z := 2 * math.Sqrt(2/math.Pi) * (xv + 0.044715*xv*xv*xv)
			u := err / vecUlp(want)
			if u > c.ulps+c.cond*math.Abs(z) {
				t.Errorf("%s(%g) = %g, want %g: error %.2f ulps", c.name, v, y[i], want, u)
				break
			}
			if u > worst {
				worst, at = u, xv
			}
		}
		t.Logf("%s: max error %.2f ulps at x=%g", c.name, worst, at)
	}
	// Erf's absolute error everywhere, and its relative error near 0.
	x := vecSweep(-5, 5, 400000)
	y := make([]float32, len(x))
	Erf(y, x)
	var maxAbs float64
	for i, v := range x {
		maxAbs = math.Max(maxAbs, math.Abs(float64(y[i])-math.Erf(float64(v))))
	}
	if maxAbs > 1e-7 {
		t.Errorf("Erf: max abs error %g, want <= 1e-7", maxAbs)
	}
	t.Logf("Erf: max abs error %g", maxAbs)
}

// TestVecSpecials checks overflow, underflow, NaN and infinities.
func TestVecSpecials(t *testing.T) {
	defer vecNeedAsm(t)()
	inf, nan := math.Inf(1), math.NaN()
	x := []float32{float32(nan), float32(inf), float32(-inf), 0, float32(math.Copysign(0, -1)),
		88.72, 88.73, 89, 100, -87.5, -100, -103.9, -104, -105, -1000, 1e30, -1e30}
	for _, c := range []struct {
		name string
		fwd  func(dst, x []float32)
		gen  func(float64) float64
	}{
		{"Exp", Exp, math.Exp},
		{"Sigmoid", Sigmoid, elementwiseSigmoid},
		{"Tanh", Tanh, math.Tanh},
		{"Erf", Erf, math.Erf},
		{"SiLU", SiLU, func(v float64) float64 { return v * elementwiseSigmoid(v) }},
		{"GELU", GELU, func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }},
	} {
		y := make([]float32, len(x))
		c.fwd(y, x)
		for i, v := range x {
			want := float32(c.gen(float64(v)))
			got := y[i]
			switch {
			case math.IsNaN(float64(want)) != math.IsNaN(float64(got)):
				t.Errorf("%s(%g) = %g, want %g", c.name, v, got, want)
			case math.IsInf(float64(want), 0) || want == 0:
				if got != want {
					t.Errorf("%s(%g) = %g, want %g", c.name, v, got, want)
				}
			case !math.IsNaN(float64(want)) && math.Abs(float64(got-want)) > 4*vecUlp(float64(want)):
				t.Errorf("%s(%g) = %g, want %g", c.name, v, got, want)
			}
		}
	}
}

// TestVecBackwardAccuracy checks the vectorised backward kernels against
// the generic ones (float64 formulas) on a sweep, with dx accumulated.
func TestVecBackwardAccuracy(t *testing.T) {
	defer vecNeedAsm(t)()
	x := vecSweep(-12, 12, 50000)
	dy := make([]float32, len(x))
	dx0 := make([]float32, len(x))
	rng := rand.New(rand.NewPCG(23, 24))
	for i := range dy {
		dy[i] = float32(rng.NormFloat64())
		dx0[i] = float32(rng.NormFloat64())
	}
	for _, k := range elementwiseKernels() {
		y := make([]float32, len(x))
		restore := setAsm(false)
		k.fwd(y, x)
		want := append([]float32(nil), dx0...)
		k.back(want, dy, x, y)
		restore()
		got := append([]float32(nil), dx0...)
		k.back(got, dy, x, y)
		for i := range got {
			// The change dy·f' must agree to 2e-6 relative (a few ulps of
			// f' and of the sum).
			d := math.Abs(float64(got[i]) - float64(want[i]))
			if d > 2e-6*(math.Abs(float64(want[i]))+math.Abs(float64(want[i]-dx0[i]))+1e-30) {
				t.Fatalf("%s backward at x=%g, dy=%g: dx %g -> %g, generic %g", k.name, x[i], dy[i], dx0[i], got[i], want[i])
			}
		}
	}
}

// TestVecBothPathsAwkwardSizes runs every vectorised kernel on both paths
// for sizes 0..35 at odd offsets, with guard bands, and requires the asm
// result to match the generic one to a few ulps (bit for bit where both
// are exact float32 arithmetic).
func TestVecBothPathsAwkwardSizes(t *testing.T) {
	defer vecNeedAsm(t)()
	const guard = 9
	rng := rand.New(rand.NewPCG(25, 26))
	for _, k := range elementwiseKernels() {
		for n := 0; n <= 35; n++ {
			for _, off := range []int{0, 1, 3} {
				x := elementwiseDraw(rng, k, n)
				y := make([]float32, n) // the backward gets the same y on both paths
				restore := setAsm(false)
				k.fwd(y, x)
				restore()
				run := func(asm bool) (y0, dx []float32) {
					restore := setAsm(asm)
					defer restore()
					yb := make([]float32, off+n+guard)
					dxb := make([]float32, off+n+guard)
					for i := range yb {
						yb[i], dxb[i] = -7, float32(i)
					}
					k.fwd(yb[off:off+n], x)
					k.back(dxb[off:off+n], x, x, y)
					return yb, dxb
				}
				yg, dg := run(false)
				ya, da := run(true)
				for i := range ya {
					if i < off || i >= off+n {
						if ya[i] != -7 || da[i] != float32(i) {
							t.Fatalf("%s n=%d off=%d: wrote outside the output at %d", k.name, n, off, i)
						}
						continue
					}
					for _, p := range [][2]float32{{ya[i], yg[i]}, {da[i], dg[i]}} {
						if d := math.Abs(float64(p[0] - p[1])); d > 8*vecUlp(float64(p[1]))+1e-7 {
							t.Fatalf("%s n=%d off=%d [%d]: asm %g, generic %g", k.name, n, off, i-off, p[0], p[1])
						}
					}
				}
			}
		}
	}
}

// TestVecBackwardSaturation checks the smooth activations' derivatives far
// out in the tails on both paths: finite, and 0 or 1 where they saturate.
func TestVecBackwardSaturation(t *testing.T) {
	x := []float32{-1e30, -1000, -90, -30, 30, 90, 1000, 1e30}
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		for _, c := range []struct {
			name string
			back func(dx, dy, x []float32)
		}{{"SiLU", SiLUBackward}, {"GELU", GELUBackward}, {"GELUTanh", GELUTanhBackward}} {
			dy := []float32{1, 1, 1, 1, 1, 1, 1, 1}
			dx := make([]float32, len(x))
			c.back(dx, dy, x)
			for i, v := range x {
				want := float32(0)
				if v > 0 {
					want = 1
				}
				if !(math.Abs(float64(dx[i]-want)) <= 1e-6) { // NaN fails too
					t.Errorf("%s'(%g) = %g, want %g (asm %v)", c.name, v, dx[i], want, useAsm)
				}
			}
		}
		restore()
	}
}
