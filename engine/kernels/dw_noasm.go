//go:build !amd64 || purego

package kernels

func dwTaps(dst, src []float32, offs []int, wts []float32, bias float32) {
	dwTapsGo(dst, src, offs, wts, bias)
}

func dwDotTaps(gy, src []float32, offs []int, out []float32) { dwDotTapsGo(gy, src, offs, out) }

func dwDeinterleave(src, even, odd []float32) { dwDeinterleaveGo(src, even, odd) }

func dwCopyRows(dst []float32, dpitch int, src []float32, spitch int, rows, cols int) {
	dwCopyRowsGo(dst, dpitch, src, spitch, rows, cols)
}
