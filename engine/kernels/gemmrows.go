package kernels

import "fmt"

// gemmRowsA computes, serially, c [m, n] (rows ldc apart) = beta·c + A·Bᵀ
// for an A [m, k] whose row i is a[aoff[i] : aoff[i]+k], read in place (not
// packed), and B given transposed: bt [n, k], rows ldb apart. It is for
// products whose A would otherwise be written out first, such as the
// unfolded columns of a convolution's filter gradient, where A's rows are
// rows of the input planes. Each element is the sum over p in order within
// K blocks that depend on k alone, each block added to c (beta for the
// first), so the bits depend on the shapes only. It needs the AVX-512
// kernel (avx512()).
func gemmRowsA(m, n, k int, a []float32, aoff []int, bt []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 || k <= 0 || len(aoff) < m {
		panic(fmt.Sprintf("kernels: gemmRowsA: m=%d n=%d k=%d with %d row offsets", m, n, k, len(aoff)))
	}
	for i := 0; i < m; i++ {
		if o := aoff[i]; o < 0 || o+k > len(a) {
			panic(fmt.Sprintf("kernels: gemmRowsA: A row %d at %d..%d outside its %d values", i, o, o+k, len(a)))
		}
	}
	checkMat("gemmRowsA B", bt, n, k, ldb)
	checkMat("gemmRowsA C", c, m, n, ldc)
	buf := gemmBufs.get()
	defer gemmBufs.put(buf)
	kcb := gemmSplit(k, gemmKC, 1)
	np := (n + gemmNR - 1) / gemmNR * gemmNR
	bp := buf.grow(&buf.b, kcb*np)
	for pc := 0; pc < k; pc += kcb {
		kc := min(kcb, k-pc)
		gemmPackB(true, bt, ldb, pc, kc, 0, n, bp)
		bb := beta
		if pc > 0 {
			bb = 1
		}
		// Goto's order: a block of A's rows (mc×kc, in L2) against each
		// micro-panel pair of B in turn (kc×32, in L1).
		for ic := 0; ic < m; ic += gemmMC {
			mc := min(gemmMC, m-ic)
			for j := 0; j < n; j += 2 * gemmNR {
				ncol := min(2*gemmNR, n-j)
				b1, b2 := &bp[j*kc], &bp[j*kc]
				if ncol > gemmNR {
					b2 = &bp[(j+gemmNR)*kc]
				}
				f := gemm32Flags(bb, ncol)
				for i := ic; i < ic+mc; i += gemmMR {
					mr := min(gemmMR, ic+mc-i)
					var rows [gemmMR]*float32
					for r := range rows {
						rows[r] = &a[aoff[i+min(r, mr-1)]+pc]
					}
					ff := gemmTileRows(f, mr)
					ct := c[i*ldc+j : i*ldc+j+(mr-1)*ldc+ncol]
					if ncol <= gemmNR {
						gemmKernel6x16A(kc, &rows, b1, b2, &ct[0], ldc, 1, bb, nil, nil, ff)
						continue
					}
					gemmKernel6x32A(kc, &rows, b1, b2, &ct[0], ldc, 1, bb, nil, nil, ff)
				}
			}
		}
	}
}
