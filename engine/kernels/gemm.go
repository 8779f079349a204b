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
	// Pack op(A) row-major too, so that the micro-kernel reads four rows
	// with unit stride.
	ap, ldap := a, lda
	if transA {
		ap, ldap = make([]float32, m*k), k
		for p := 0; p < k; p++ {
			for i := 0; i < m; i++ {
				ap[i*k+p] = a[p*lda+i]
			}
		}
	}
	// Four rows of C at a time share each load of B; columns go in tiles
	// that keep the four accumulator rows in L1. Each C element still sums
	// over p = 0..k-1 in order, so the split does not change any bit.
	const rows, tile = 4, 512
	blocks := (m + rows - 1) / rows
	grain := max(1, 4096/max(1, n*max(k, 1)))
	ParallelFor(blocks, grain, func(lo, hi int) {
		acc := make([]float32, rows*tile)
		for blk := lo; blk < hi; blk++ {
			i0 := blk * rows
			nr := min(rows, m-i0)
			for j0 := 0; j0 < n; j0 += tile {
				nc := min(tile, n-j0)
				c0, c1, c2, c3 := acc[0:nc], acc[tile:tile+nc], acc[2*tile:2*tile+nc], acc[3*tile:3*tile+nc]
				clear(acc)
				for p := 0; p < k; p++ {
					brow := bp[p*n+j0 : p*n+j0+nc]
					a0 := ap[i0*ldap+p]
					if nr == rows {
						a1, a2, a3 := ap[(i0+1)*ldap+p], ap[(i0+2)*ldap+p], ap[(i0+3)*ldap+p]
						c0, c1, c2, c3 := c0[:len(brow)], c1[:len(brow)], c2[:len(brow)], c3[:len(brow)]
						for j, bv := range brow {
							c0[j] += a0 * bv
							c1[j] += a1 * bv
							c2[j] += a2 * bv
							c3[j] += a3 * bv
						}
						continue
					}
					for r := 0; r < nr; r++ {
						ar := ap[(i0+r)*ldap+p]
						cr := acc[r*tile : r*tile+nc]
						for j, bv := range brow {
							cr[j] += ar * bv
						}
					}
				}
				for r := 0; r < nr; r++ {
					crow := c[(i0+r)*ldc+j0 : (i0+r)*ldc+j0+nc]
					ar := acc[r*tile : r*tile+nc]
					if beta == 0 {
						for j := range crow {
							crow[j] = alpha * ar[j]
						}
					} else {
						for j := range crow {
							crow[j] = alpha*ar[j] + beta*crow[j]
						}
					}
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
