package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// vec512Inputs are values that cross every branch of the GELU kernels:
// both sides of |x/√2| = 1, the tails up to and past the clamps, signed
// zeros, subnormals, infinities and NaN, then random values at several
// scales; 1001 of them, so that the tail step runs too.
func vec512Inputs() []float32 {
	xs := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, 1e-30, -1e-30,
		1.4142134, 1.4142135, 1.4142137, -1.4142134, -1.4142135, -1.4142137,
		3, -3, 5.2, -5.2, 9.9, -9.9, 14.8, -14.8, 14.9, -14.9, 20, -20, 100, -100, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	rng := rand.New(rand.NewPCG(31, 32))
	for len(xs) < 1001 {
		scale := []float64{0.1, 1, 3, 10}[len(xs)%4]
		xs = append(xs, float32(rng.NormFloat64()*scale))
	}
	return xs
}

// TestVecGELU512SameBitsAsAVX2 checks the AVX-512 GELU against the AVX2
// one bit for bit (NaN only as NaN), on every length up to 40 (each tail
// length of both) and on the whole input set.
func TestVecGELU512SameBitsAsAVX2(t *testing.T) {
	if !(useAsm && hasAVX512) {
		t.Skip("no AVX-512F (or no assembly) on this build or CPU")
	}
	xs := vec512Inputs()
	check := func(x []float32) {
		t.Helper()
		want, got := make([]float32, len(x)), make([]float32, len(x)+1)
		got[len(x)] = 42 // a guard: the tail must not write past the end
		vecGELU(want, x)
		vecGELU512(got[:len(x)], x)
		for i := range x {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("len %d: GELU(%v): AVX-512 %v (%#x), AVX2 %v (%#x)", len(x), x[i], got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
		if got[len(x)] != 42 {
			t.Fatalf("len %d: the AVX-512 GELU wrote past the end", len(x))
		}
	}
	for n := 0; n <= 40; n++ {
		check(xs[:n])
		check(xs[len(xs)-n:])
	}
	check(xs)
}

// TestVecGELUBack512SameBitsAsAVX2 is TestVecGELU512SameBitsAsAVX2 for the
// gradient, which adds dy·GELU'(x) onto dx.
func TestVecGELUBack512SameBitsAsAVX2(t *testing.T) {
	if !(useAsm && hasAVX512) {
		t.Skip("no AVX-512F (or no assembly) on this build or CPU")
	}
	xs := vec512Inputs()
	rng := rand.New(rand.NewPCG(33, 34))
	dy, dx0 := make([]float32, len(xs)), make([]float32, len(xs))
	for i := range dy {
		dy[i], dx0[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	check := func(lo, hi int) {
		t.Helper()
		n := hi - lo
		want, got := make([]float32, n), make([]float32, n+1)
		copy(want, dx0[lo:hi])
		copy(got, dx0[lo:hi])
		got[n] = 42
		vecGELUBack(want, dy[lo:hi], xs[lo:hi])
		vecGELUBack512(got[:n], dy[lo:hi], xs[lo:hi])
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("len %d: GELU'(%v): AVX-512 %v, AVX2 %v", n, xs[lo+i], got[i], want[i])
			}
		}
		if got[n] != 42 {
			t.Fatalf("len %d: the AVX-512 GELU gradient wrote past the end", n)
		}
	}
	for n := 0; n <= 40; n++ {
		check(0, n)
		check(len(xs)-n, len(xs))
	}
	check(0, len(xs))
}
