package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// elementwiseKernel is one forward/backward kernel pair with an independent
// float64 formula of the function; the backward is checked against float64
// central differences of that formula.
type elementwiseKernel struct {
	name   string
	fwd    func(dst, x []float32)
	back   func(dx, dy, x, y []float32)
	f      func(float64) float64
	lo, hi float64   // input domain
	kinks  []float64 // inputs are kept 1e-3 away
}

func elementwiseKernels() []elementwiseKernel {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	return []elementwiseKernel{
		{"Scale", func(d, x []float32) { Scale(d, x, -1.25) }, func(dx, dy, _, _ []float32) { AddScaled(dx, dy, -1.25) },
			func(x float64) float64 { return -1.25 * x }, -3, 3, nil},
		{"AddScalar", func(d, x []float32) { AddScalar(d, x, 0.5) }, func(dx, dy, _, _ []float32) { AddScaled(dx, dy, 1) },
			func(x float64) float64 { return x + 0.5 }, -3, 3, nil},
		{"Exp", Exp, func(dx, dy, _, y []float32) { ExpBackward(dx, dy, y) }, math.Exp, -5, 5, nil},
		{"Log", Log, func(dx, dy, x, _ []float32) { LogBackward(dx, dy, x) }, math.Log, 0.1, 5, nil},
		{"Sqrt", Sqrt, func(dx, dy, _, y []float32) { SqrtBackward(dx, dy, y) }, math.Sqrt, 0.1, 5, nil},
		{"Abs", Abs, func(dx, dy, x, _ []float32) { AbsBackward(dx, dy, x) }, math.Abs, -3, 3, []float64{0}},
		{"Pow", func(d, x []float32) { Pow(d, x, -1.5) }, func(dx, dy, x, _ []float32) { PowBackward(dx, dy, x, -1.5) },
			func(x float64) float64 { return 1 / (x * math.Sqrt(x)) }, 0.5, 3, nil},
		{"Clamp", func(d, x []float32) { Clamp(d, x, -1, 2) }, func(dx, dy, x, _ []float32) { ClampBackward(dx, dy, x, -1, 2) },
			func(x float64) float64 { return math.Min(math.Max(x, -1), 2) }, -3, 3, []float64{-1, 2}},
		{"ReLU", ReLU, func(dx, dy, _, y []float32) { ReLUBackward(dx, dy, y) },
			func(x float64) float64 { return math.Max(x, 0) }, -3, 3, []float64{0}},
		{"ReLU6", ReLU6, func(dx, dy, x, _ []float32) { ReLU6Backward(dx, dy, x) },
			func(x float64) float64 { return math.Min(math.Max(x, 0), 6) }, -2, 8, []float64{0, 6}},
		{"Sigmoid", Sigmoid, func(dx, dy, _, y []float32) { SigmoidBackward(dx, dy, y) }, sig, -8, 8, nil},
		{"Tanh", Tanh, func(dx, dy, _, y []float32) { TanhBackward(dx, dy, y) },
			func(x float64) float64 { return (math.Exp(2*x) - 1) / (math.Exp(2*x) + 1) }, -5, 5, nil},
		{"SiLU", SiLU, func(dx, dy, x, _ []float32) { SiLUBackward(dx, dy, x) },
			func(x float64) float64 { return x * sig(x) }, -8, 8, nil},
		{"HardSwish", HardSwish, func(dx, dy, x, _ []float32) { HardSwishBackward(dx, dy, x) },
			func(x float64) float64 { return x * math.Min(math.Max(x+3, 0), 6) / 6 }, -5, 5, []float64{-3, 3}},
		{"HardSigmoid", HardSigmoid, func(dx, dy, x, _ []float32) { HardSigmoidBackward(dx, dy, x) },
			func(x float64) float64 { return math.Min(math.Max(x+3, 0), 6) / 6 }, -5, 5, []float64{-3, 3}},
		{"GELU", GELU, func(dx, dy, x, _ []float32) { GELUBackward(dx, dy, x) },
			func(x float64) float64 { return x * math.Erfc(-x/math.Sqrt2) / 2 }, -5, 5, nil},
		{"GELUTanh", GELUTanh, func(dx, dy, x, _ []float32) { GELUTanhBackward(dx, dy, x) },
			func(x float64) float64 {
				u := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
				return x / 2 * (1 + (math.Exp(2*u)-1)/(math.Exp(2*u)+1))
			}, -5, 5, nil},
	}
}

// elementwiseDraw draws n inputs in [lo, hi) at least 1e-3 from every kink.
func elementwiseDraw(rng *rand.Rand, k elementwiseKernel, n int) []float32 {
	x := make([]float32, n)
	near := func(v float64) bool {
		for _, q := range k.kinks {
			if math.Abs(v-q) < 1e-3 {
				return true
			}
		}
		return false
	}
	for i := range x {
		v := k.lo + (k.hi-k.lo)*rng.Float64()
		for near(v) {
			v = k.lo + (k.hi-k.lo)*rng.Float64()
		}
		x[i] = float32(v)
	}
	return x
}

// TestElementwiseKernels checks every kernel on awkward sizes against its
// float64 formula (forward) and float64 central differences of it
// (backward, which must accumulate), with guard bands after every output.
func TestElementwiseKernels(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		elementwiseTestKernels(t)
		restore()
	}
}

func elementwiseTestKernels(t *testing.T) {
	const guard = 4
	for _, k := range elementwiseKernels() {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 3*elementwiseGrain + 5} {
			x := elementwiseDraw(rng, k, n)
			y := make([]float32, n+guard)
			for i := range y {
				y[i] = 7
			}
			k.fwd(y[:n], x)
			dy, dx := make([]float32, n), make([]float32, n+guard)
			for i := range dy {
				dy[i] = float32(rng.NormFloat64())
				dx[i] = float32(rng.NormFloat64())
			}
			for i := n; i < n+guard; i++ {
				dx[i] = 7
			}
			dx0 := append([]float32(nil), dx...)
			k.back(dx[:n], dy, x, y[:n])
			for i := n; i < n+guard; i++ {
				if y[i] != 7 || dx[i] != 7 {
					t.Fatalf("%s n=%d: wrote past the end (guard %d)", k.name, n, i-n)
				}
			}
			for i, v := range x {
				xv := float64(v)
				want := k.f(xv)
				if d := math.Abs(float64(y[i]) - want); d > 2e-7*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s(%g) = %g, want %g", k.name, v, y[i], want)
				}
				const h = 1e-6
				deriv := (k.f(xv+h) - k.f(xv-h)) / (2 * h)
				wantDx := float64(dx0[i]) + float64(dy[i])*deriv
				if d := math.Abs(float64(dx[i]) - wantDx); d > 1e-5*math.Max(1, math.Abs(wantDx)) {
					t.Fatalf("%s backward at x=%g, dy=%g: dx %g -> %g, want %g", k.name, v, dy[i], dx0[i], dx[i], wantDx)
				}
			}
		}
	}
}

// TestElementwiseKernelsParallel checks that results do not depend on
// GOMAXPROCS (1, 2, 3 and 4), on both paths.
func TestElementwiseKernelsParallel(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		elementwiseTestParallel(t)
		restore()
	}
}

func elementwiseTestParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	n := 5*elementwiseGrain + 3
	for _, k := range elementwiseKernels() {
		x := elementwiseDraw(rand.New(rand.NewPCG(5, 6)), k, n)
		dy := elementwiseDraw(rand.New(rand.NewPCG(7, 8)), k, n)
		// Three workers split at multiples of n/3, not of 8.
		procs := []int{1, 2, 3, 4}
		var ys, dxs [4][]float32
		for j, p := range procs {
			runtime.GOMAXPROCS(p)
			ys[j], dxs[j] = make([]float32, n), make([]float32, n)
			k.fwd(ys[j], x)
			k.back(dxs[j], dy, x, ys[0])
		}
		for j := 1; j < len(procs); j++ {
			if !elementwiseSameBits(ys[0], ys[j]) || !elementwiseSameBits(dxs[0], dxs[j]) {
				t.Fatalf("%s: results differ between GOMAXPROCS 1 and %d", k.name, procs[j])
			}
		}
	}
}

// TestElementwiseSaturation checks the smooth activations far out in the
// tails, where a naive e^-x overflows: values must be finite and exact.
func TestElementwiseSaturation(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		elementwiseTestSaturation(t)
		restore()
	}
}

func elementwiseTestSaturation(t *testing.T) {
	x := []float32{-1e30, -1000, -90, -30, 30, 90, 1000, 1e30}
	for _, c := range []struct {
		name string
		fwd  func(dst, x []float32)
		want func(x float32) float32
	}{
		{"Sigmoid", Sigmoid, func(x float32) float32 {
			if x > 0 {
				return 1
			}
			return float32(math.Exp(float64(x))) // 0 below -104
		}},
		{"SiLU", SiLU, func(x float32) float32 {
			if x > 0 {
				return x
			}
			return float32(float64(x) * math.Exp(float64(x)))
		}},
		{"Tanh", Tanh, func(x float32) float32 { return float32(math.Copysign(1, float64(x))) }},
		{"GELU", GELU, func(x float32) float32 {
			if x > 0 {
				return x
			}
			return 0
		}},
		{"GELUTanh", GELUTanh, func(x float32) float32 {
			if x > 0 {
				return x
			}
			return 0
		}},
	} {
		y := make([]float32, len(x))
		c.fwd(y, x)
		for i, v := range x {
			if w := c.want(v); y[i] != w || math.IsNaN(float64(y[i])) {
				t.Errorf("%s(%g) = %g, want %g", c.name, v, y[i], w)
			}
		}
	}
}

func TestElementwiseLengthMismatchPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"ReLU":         func() { ReLU(make([]float32, 3), make([]float32, 4)) },
		"ReLUBackward": func() { ReLUBackward(make([]float32, 3), make([]float32, 3), make([]float32, 2)) },
		"AddScaled":    func() { AddScaled(make([]float32, 2), make([]float32, 3), 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on mismatched lengths", name)
				}
			}()
			f()
		}()
	}
}

func BenchmarkElementwise(b *testing.B) {
	const n = 1 << 20
	x := elementwiseFill(rand.New(rand.NewPCG(1, 1)), n)
	y, dx := make([]float32, n), make([]float32, n)
	for _, k := range elementwiseKernels() {
		if k.name != "ReLU" && k.name != "SiLU" && k.name != "GELU" && k.name != "HardSwish" && k.name != "Exp" {
			continue
		}
		b.Run("op="+k.name+"/n=1M", func(b *testing.B) {
			for b.Loop() {
				k.fwd(y, x)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
		b.Run("op="+k.name+"Backward/n=1M", func(b *testing.B) {
			for b.Loop() {
				k.back(dx, x, x, y)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
}

// TestSetKernelsMatchAccumulating checks the kernels that write a fresh
// gradient (ReLUBackwardSet) against their accumulating form run into
// zeros, and AddRows against the plain sum, on both paths, for sizes
// 0..35 with NaNs in the output beforehand (a set kernel must not read it).
func TestSetKernelsMatchAccumulating(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		for n := 0; n <= 35; n++ {
			dy, y, b := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range dy {
				dy[i], y[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
			}
			if n > 2 {
				y[1], y[2] = 0, float32(math.NaN()) // ReLU's kink, and NaN: no gradient
			}
			want := make([]float32, n)
			ReLUBackward(want, dy, y)
			got := make([]float32, n)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			ReLUBackwardSet(got, dy, y)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("asm=%v n=%d: ReLUBackwardSet[%d] = %v, ReLUBackward into 0 gives %v", asm, n, i, got[i], want[i])
				}
			}
			for i := range got {
				got[i] = float32(math.NaN())
			}
			AddRows(got, dy, b)
			for i := range got {
				if w := dy[i] + b[i]; math.Float32bits(got[i]) != math.Float32bits(w) {
					t.Fatalf("asm=%v n=%d: AddRows[%d] = %v, want %v", asm, n, i, got[i], w)
				}
			}
		}
		restore()
	}
}
