//go:build !amd64 || purego

package kernels

// maskedCopy16 exists only in assembly; useAVX512 is false here.
func maskedCopy16(dst, src *float32, off int, masks *uint16, n int) {
	panic("kernels: maskedCopy16 without assembly")
}

// maskedAdd16 exists only in assembly; useAVX512 is false here.
func maskedAdd16(dst *float32, off int, src *float32, masks *uint16, n int) {
	panic("kernels: maskedAdd16 without assembly")
}

// gatherMasked16 exists only in assembly; useAVX512 is false here.
func gatherMasked16(dst, src *float32, idx *int32, masks *uint16, n int) {
	panic("kernels: gatherMasked16 without assembly")
}

// scatterAddMasked16 exists only in assembly; useAVX512 is false here.
func scatterAddMasked16(dst *float32, idx *int32, src *float32, masks *uint16, n int) {
	panic("kernels: scatterAddMasked16 without assembly")
}

// deintRows exists only in assembly; useAVX512 is false here.
func deintRows(even, odd *float32, dstride int, src *float32, sstride, rows, n int) {
	panic("kernels: deintRows without assembly")
}

// intRows exists only in assembly; useAVX512 is false here.
func intRows(dst *float32, dstride int, even, odd *float32, sstride, rows, n int, add bool) {
	panic("kernels: intRows without assembly")
}

// copyRows exists only in assembly; useAVX512 is false here.
func copyRows(dst *float32, dstride int, src *float32, sstride, rows, n int, add, lead bool) {
	panic("kernels: copyRows without assembly")
}
