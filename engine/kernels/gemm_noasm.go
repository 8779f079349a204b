//go:build !amd64 || purego

package kernels

import "unsafe"

// gemmKernel6x16 is the pure-Go equivalent of the assembly micro-kernel (see
// gemm_amd64.go), so the package builds everywhere; useAsm is false here, so
// Sgemm calls gemmKernelGo and gemmStore directly instead.
func gemmKernel6x16(k int, a, b, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int) {
	var tile [gemmMR * gemmNR]float32
	gemmKernelGo(k, unsafe.Slice(a, k*gemmMR), unsafe.Slice(b, k*gemmNR), &tile)
	mr, nr := gemmMR, gemmNR
	if flags&2 != 0 {
		mr, nr = flags>>8&255, flags>>16
	}
	var rb, cb []float32
	if rowBias != nil {
		rb = unsafe.Slice(rowBias, mr)
	}
	if colBias != nil {
		cb = unsafe.Slice(colBias, nr)
	}
	if flags&1 == 0 {
		beta = 0
	}
	gemmStore(&tile, mr, nr, unsafe.Slice(c, (mr-1)*ldc+nr), ldc, alpha, beta, rb, cb)
}

// gemmKernel6x32 exists only in assembly; useAVX512 is false here.
func gemmKernel6x32(k int, a, b, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int) {
	panic("kernels: gemmKernel6x32 without assembly")
}

// gemmKernel6x32R exists only in assembly; useAVX512 is false here.
func gemmKernel6x32R(k int, a, b *float32, offs *int, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int) {
	panic("kernels: gemmKernel6x32R without assembly")
}

// gemmKernel6x32A exists only in assembly; useAVX512 is false here.
func gemmKernel6x32A(k int, a *[6]*float32, b, b2, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int) {
	panic("kernels: gemmKernel6x32A without assembly")
}

// gemmKernel6x16A exists only in assembly; useAVX512 is false here.
func gemmKernel6x16A(k int, a *[6]*float32, b, b2, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int) {
	panic("kernels: gemmKernel6x16A without assembly")
}

// gemmPrefetchRows is a hint with no pure-Go equivalent; it does nothing.
func gemmPrefetchRows(p *float32, stride, rows, width int) {}

// The pure-Go equivalents of the assembly packing routines (see
// gemm_amd64.go); useAsm is false here, so gemmPackA and gemmPackB do not
// call them.

func gemmPackA6(k int, a *float32, lda int, dst *float32) {
	k &^= 7
	if k == 0 {
		return
	}
	src, d := unsafe.Slice(a, 5*lda+k), unsafe.Slice(dst, 6*k)
	for q := 0; q < k; q++ {
		for r := 0; r < 6; r++ {
			d[q*6+r] = src[r*lda+q]
		}
	}
}

func gemmPackA6T(k int, a *float32, lda int, dst *float32) {
	if k <= 0 {
		return
	}
	src, d := unsafe.Slice(a, (k-1)*lda+6), unsafe.Slice(dst, 6*k)
	for q := 0; q < k; q++ {
		copy(d[q*6:q*6+6], src[q*lda:q*lda+6])
	}
}

func gemmPackB16T(k int, b *float32, ldb int, dst *float32) {
	k &^= 7
	if k == 0 {
		return
	}
	src, d := unsafe.Slice(b, 15*ldb+k), unsafe.Slice(dst, 16*k)
	for q := 0; q < k; q++ {
		for j := 0; j < 16; j++ {
			d[q*16+j] = src[j*ldb+q]
		}
	}
}

func gemmPackB16G(k int, b *float32, ldb int, dst *float32, panels, pstride int) {
	if k <= 0 || panels <= 0 {
		return
	}
	src, d := unsafe.Slice(b, (k-1)*ldb+16*panels), unsafe.Slice(dst, (panels-1)*pstride+16*k)
	for q := 0; q < panels; q++ {
		for p := 0; p < k; p++ {
			copy(d[q*pstride+p*16:q*pstride+p*16+16], src[p*ldb+q*16:p*ldb+q*16+16])
		}
	}
}
