package kernels

import "fmt"

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major matrices, where
// op(A) is m×k (A is m×k, or k×m when transA) and op(B) is k×n (B is k×n, or
// n×k when transB). It equals this loop, with the sum over p taken in order
// p = 0..k-1 in float32:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += A(i,p) * B(p,j)
//			}
//			C[i*ldc+j] = alpha*s + beta*C[i*ldc+j]
//		}
//	}
//
// When beta is 0, C is overwritten (NaNs in C do not propagate).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkMat("Sgemm C", c, m, n, ldc)
	if transA {
		checkMat("Sgemm A", a, k, m, lda)
	} else {
		checkMat("Sgemm A", a, m, k, lda)
	}
	if transB {
		checkMat("Sgemm B", b, n, k, ldb)
	} else {
		checkMat("Sgemm B", b, k, n, ldb)
	}
	// Pack op(B) as a contiguous k×n panel so that the inner loop streams it.
	var bp []float32
	if !transB && ldb == n {
		bp = b[:k*n]
	} else {
		bp = make([]float32, k*n)
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				if transB {
					bp[p*n+j] = b[j*ldb+p]
				} else {
					bp[p*n+j] = b[p*ldb+j]
				}
			}
		}
	}
	grain := max(1, 16384/max(1, n*max(k, 1)))
	ParallelFor(m, grain, func(lo, hi int) {
		acc := make([]float32, n)
		for i := lo; i < hi; i++ {
			for j := range acc {
				acc[j] = 0
			}
			for p := 0; p < k; p++ {
				var aip float32
				if transA {
					aip = a[p*lda+i]
				} else {
					aip = a[i*lda+p]
				}
				row := bp[p*n : p*n+n]
				for j, bv := range row {
					acc[j] += aip * bv
				}
			}
			crow := c[i*ldc : i*ldc+n]
			if beta == 0 {
				for j := range crow {
					crow[j] = alpha * acc[j]
				}
			} else {
				for j := range crow {
					crow[j] = alpha*acc[j] + beta*crow[j]
				}
			}
		}
	})
}

func checkMat(name string, s []float32, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("kernels: %s: leading dimension %d < %d columns", name, ld, cols))
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("kernels: %s: slice of %d values, %d×%d with ld %d needs %d", name, len(s), rows, cols, ld, need))
	}
}
