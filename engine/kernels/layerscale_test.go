package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestLayerScaleAddAwkwardSizes checks LayerScaleAdd against its loop in
// float64 on both paths, with a guard band after the output, and in place
// (out aliasing x, then h).
func TestLayerScaleAddAwkwardSizes(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		rng := rand.New(rand.NewPCG(5, 6))
		for _, rows := range []int{0, 1, 2, 7} {
			for _, d := range []int{1, 7, 8, 9, 15, 16, 17, 33} {
				n := rows * d
				x, h, gamma := normFill(rng, n), normFill(rng, n), normFill(rng, d)
				want := make([]float64, n)
				for q := range want {
					want[q] = float64(x[q]) + float64(gamma[q%d])*float64(h[q])
				}
				out := normOut(n, nil)
				LayerScaleAdd(rows, d, x, h, gamma, out)
				normCheck(t, "LayerScaleAdd", out, want)
				ox := normOut(n, x)
				LayerScaleAdd(rows, d, ox, h, gamma, ox)
				normCheck(t, "LayerScaleAdd out=x", ox, want)
				oh := normOut(n, h)
				LayerScaleAdd(rows, d, x, oh, gamma, oh)
				normCheck(t, "LayerScaleAdd out=h", oh, want)
			}
		}
		restore()
	}
}

// TestLayerScaleAddAnyGOMAXPROCS checks bit-identical results with 1 and 7
// workers on a size that is split.
func TestLayerScaleAddAnyGOMAXPROCS(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		rng := rand.New(rand.NewPCG(9, 10))
		const rows, d = 300, 283
		x, h, gamma := normFill(rng, rows*d), normFill(rng, rows*d), normFill(rng, d)
		run := func() []float32 {
			out := make([]float32, rows*d)
			LayerScaleAdd(rows, d, x, h, gamma, out)
			return out
		}
		prev := runtime.GOMAXPROCS(1)
		want := run()
		runtime.GOMAXPROCS(7)
		got := run()
		runtime.GOMAXPROCS(prev)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("asm %v: element %d: %v with 7 workers, %v with 1", asm, i, got[i], want[i])
			}
		}
		restore()
	}
}
