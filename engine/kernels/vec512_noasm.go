//go:build !amd64 || purego

package kernels

// vecGELU512 exists only in assembly; useAVX512 is false here.
func vecGELU512(dst, x []float32) { panic("kernels: vecGELU512 without assembly") }

// vecGELUBack512 exists only in assembly; useAVX512 is false here.
func vecGELUBack512(dx, dy, a []float32) { panic("kernels: vecGELUBack512 without assembly") }
