//go:build !purego

package kernels

// AVX-512 versions of vec_amd64.s kernels (the code is at the end of that
// file, next to the constants it shares): the same operations per lane,
// 16 lanes at a time, so the same bits.

// vecGELU512 is vecGELU in AVX-512. Only call it when useAVX512.
//
//go:noescape
func vecGELU512(dst, x []float32)

// vecGELUBack512 is vecGELUBack in AVX-512. Only call it when useAVX512.
//
//go:noescape
func vecGELUBack512(dx, dy, a []float32)
