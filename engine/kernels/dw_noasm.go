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

func dwLanePack(dst, src []float32, planes *[8]int, dstoff []int32) {
	dwLanePackGo(dst, src, planes, dstoff)
}

func dwLaneUnpack(dst []float32, pitch int, src []float32, n int) {
	dwLaneUnpackGo(dst, pitch, src, n)
}

func dwLaneUnpackAdd(dst []float32, pitch int, src []float32, n int) {
	dwLaneUnpackAddGo(dst, pitch, src, n)
}

func dwLaneTaps(dst, src []float32, offs []int, wts []float32, bias *[8]float32, rows, cols, spitch, dpitch, dstep int) {
	dwLaneTapsGo(dst, src, offs, wts, bias, rows, cols, spitch, dpitch, dstep)
}

func dwLaneDot(gy, src []float32, offs []int, out []float32, rows, cols, spitch int) {
	dwLaneDotGo(gy, src, offs, out, rows, cols, spitch)
}
