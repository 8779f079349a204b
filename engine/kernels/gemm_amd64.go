//go:build !purego

package kernels

// gemmKernel6x16 computes the 6×16 tile acc = sum over p < k of
// a[p*6+r]*b[p*16+j] from the packed micro-panels a and b (fused
// multiply-adds, in order of p), then stores into c (row stride ldc):
//
//	c[r*ldc+j] = ((alpha*acc + beta*c[r*ldc+j]) + rowBias[r]) + colBias[j]
//
// each operation rounded to float32; beta*c is skipped unless flags&1, and
// rowBias or colBias when nil. When flags&2, only the first
// mr = flags>>8&255 rows and nr = flags>>16 columns of c, rowBias and
// colBias are touched (an edge tile).
//
//go:noescape
func gemmKernel6x16(k int, a, b, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int)

// gemmKernel6x32 is gemmKernel6x16 on two micro-panels of B side by side,
// in AVX-512: b holds the first packed kc×16 micro-panel and the second
// follows it (b + k*16), and the tile is 6×32; with flags&2, only its first
// mr = flags>>8&255 rows are read and written, and with flags&4 only its
// first ncol = flags>>16&63 columns (1 to 32; through AVX-512 masks, so the
// second micro-panel need not exist when ncol <= 16). Each element
// is the same sum and store as gemmKernel6x16's, bit for bit. Only call it
// when useAVX512.
//
//go:noescape
func gemmKernel6x32(k int, a, b, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int)

// gemmKernel6x32R is gemmKernel6x32 on a B that is not packed: row p of
// the tile's (up to 32) columns is the ncol floats from b + offs[p], read
// through the column masks, so nothing past ncol is read. Each element is
// the same sum and store as gemmKernel6x32's on the packed rows, bit for
// bit. Only call it when useAVX512.
//
//go:noescape
func gemmKernel6x32R(k int, a, b *float32, offs *int, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int)

// gemmKernel6x32A is gemmKernel6x32 with an A that is not packed: row r of
// the tile is the k floats from a[r] (rows past mr may point anywhere
// valid, often at another row: they are computed and not stored), and the
// second micro-panel of B starts at b2 (pass b when ncol <= 16). Each
// element is the same sum and store as gemmKernel6x32's. Only call it when
// useAVX512.
//
//go:noescape
func gemmKernel6x32A(k int, a *[6]*float32, b, b2, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int)

// gemmKernel6x16A is gemmKernel6x32A on one micro-panel of B (ncol <= 16;
// b2 is not read), with half its multiply-adds. Only call it when
// useAVX512.
//
//go:noescape
func gemmKernel6x16A(k int, a *[6]*float32, b, b2, c *float32, ldc int, alpha, beta float32, rowBias, colBias *float32, flags int)

// gemmPrefetchRows prefetches rows rows of width bytes each, stride bytes
// apart, from p on, into L1. It has no effect on any value.
//
//go:noescape
func gemmPrefetchRows(p *float32, stride, rows, width int)

// The packing routines. Each fills micro-panels exactly as gemmPackA and
// gemmPackB do in Go:
//
//	gemmPackA6:   dst[q*6+r] = a[r*lda+q],  r < 6,  q < k&^7 (stores 2 values past the end)
//	gemmPackA6T:  dst[q*6+r] = a[q*lda+r],  r < 6,  q < k
//	gemmPackB16T: dst[q*16+j] = b[j*ldb+q], j < 16, q < k&^7

//go:noescape
func gemmPackA6(k int, a *float32, lda int, dst *float32)

//go:noescape
func gemmPackA6T(k int, a *float32, lda int, dst *float32)

//go:noescape
func gemmPackB16T(k int, b *float32, ldb int, dst *float32)

// gemmPackB16G packs panels full micro-panels of B (not transposed) at
// once, row by row: dst[q*pstride+p*16+j] = b[p*ldb+q*16+j] for
// q < panels, p < k, j < 16.
//
//go:noescape
func gemmPackB16G(k int, b *float32, ldb int, dst *float32, panels, pstride int)
