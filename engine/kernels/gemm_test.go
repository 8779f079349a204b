package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveSgemm is the loop Sgemm's doc comment promises, in float64 for a
// reference that does not share Sgemm's rounding.
func naiveSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, len(c))
	for i := range c {
		out[i] = float64(c[i])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*ldc+j] = float64(alpha)*s + float64(beta)*float64(c[i*ldc+j])
		}
	}
	return out
}

func TestSgemmAwkwardSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	const guard = 5
	sizes := []int{0, 1, 7, 8, 9, 15, 16, 17}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range []int{0, 1, 9, 17} {
						ra, ca := m, k
						if tA {
							ra, ca = k, m
						}
						rb, cb := k, n
						if tB {
							rb, cb = n, k
						}
						lda, ldb, ldc := ca+3, cb+1, n+2
						a := fill(max(ra*lda, 1))
						b := fill(max(rb*ldb, 1))
						c := fill(m*ldc + guard)
						sentinel := append([]float32(nil), c[m*ldc:]...)
						alpha, beta := float32(1.5), float32(-0.5)
						want := naiveSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
						Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
						for i := 0; i < m; i++ {
							for j := 0; j < ldc; j++ {
								got, w := float64(c[i*ldc+j]), want[i*ldc+j]
								if j >= n { // padding between rows is a guard band too
									if got != w {
										t.Fatalf("tA=%v tB=%v m=%d n=%d k=%d: wrote padding C[%d,%d]", tA, tB, m, n, k, i, j)
									}
									continue
								}
								if math.Abs(got-w) > 1e-5*(1+math.Abs(w))*float64(k+1) {
									t.Fatalf("tA=%v tB=%v m=%d n=%d k=%d: C[%d,%d]=%v want %v", tA, tB, m, n, k, i, j, got, w)
								}
							}
						}
						for i, v := range c[m*ldc:] {
							if v != sentinel[i] {
								t.Fatalf("m=%d n=%d k=%d: wrote past C", m, n, k)
							}
						}
					}
				}
			}
		}
	}
}

func TestSgemmBetaZeroOverwritesNaN(t *testing.T) {
	c := []float32{float32(math.NaN())}
	Sgemm(false, false, 1, 1, 1, 1, []float32{2}, 1, []float32{3}, 1, 0, c, 1)
	if c[0] != 6 {
		t.Fatalf("got %v, want 6", c[0])
	}
}
