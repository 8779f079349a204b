package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGemmRowsAMatchesLoops checks gemmRowsA against the plain loop in
// float64, with rows of A at scattered (overlapping) offsets, edge tiles in
// both directions, several K blocks, and beta 0 and 1.
func TestGemmRowsAMatchesLoops(t *testing.T) {
	if !avx512() {
		t.Skip("gemmRowsA needs the AVX-512 kernel")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, sz := range [][3]int{{1, 1, 1}, {6, 32, 8}, {7, 16, 300}, {13, 33, 257}, {144, 16, 838}, {72, 40, 100}, {5, 70, 513}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, beta := range []float32{0, 1} {
			name := fmt.Sprintf("m=%d n=%d k=%d beta=%v", m, n, k, beta)
			a := convFill(rng, 3*k+m*5)
			aoff := make([]int, m)
			for i := range aoff {
				aoff[i] = rng.IntN(len(a) - k + 1)
			}
			ldb := k + 3
			bt := convFill(rng, n*ldb)
			ldc := n + 2
			c := convFill(rng, m*ldc)
			want := make([]float64, len(c))
			for i := range want {
				want[i] = float64(c[i])
			}
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var s float64
					for p := 0; p < k; p++ {
						s += float64(a[aoff[i]+p]) * float64(bt[j*ldb+p])
					}
					want[i*ldc+j] = float64(beta)*want[i*ldc+j] + s
				}
			}
			for i := 0; i < m; i++ { // the columns between rows stay as they were
				for j := n; j < ldc; j++ {
					want[i*ldc+j] = float64(c[i*ldc+j])
				}
			}
			gemmRowsA(m, n, k, a, aoff, bt, ldb, beta, c, ldc)
			convCheck64(t, name, c, want, 1e-4)
		}
	}
}
