//go:build !purego

package kernels

// AVX2+FMA versions of the depthwise building blocks. Their plain-Go
// equivalents, with the same contracts, are dwTapsGo, dwDotTapsGo and
// dwDeinterleaveGo in conv.go. Callers run them only when useAsm is set.

// dwTaps sets dst[q] = bias + Σ_t wts[t]·src[offs[t]+q] for q < len(dst),
// the taps t = 0..len(wts)-1 added in order with fused multiply-adds. It
// reads src up to offs[t] + roundup(len(dst), 64): the caller makes src that
// long.
//
//go:noescape
func dwTaps(dst, src []float32, offs []int, wts []float32, bias float32)

// dwDotTaps sets out[8t+l] to the lane-l partial of Σ_q gy[q]·src[offs[t]+q]
// for t < len(offs): lane l sums q ≡ l (mod 8) in two chains (even and odd
// 8-blocks of q, each in increasing q, with fused multiply-adds), added at
// the end. len(gy) is a multiple of 16 and len(offs) a multiple of 4.
//
//go:noescape
func dwDotTaps(gy, src []float32, offs []int, out []float32)

// dwDeinterleave sets even[i], odd[i] = src[2i], src[2i+1] for i < len(even).
//
//go:noescape
func dwDeinterleave(src, even, odd []float32)

// dwCopyRows copies rows rows of cols values from src (row pitch spitch) to
// dst (row pitch dpitch).
//
//go:noescape
func dwCopyRows(dst []float32, dpitch int, src []float32, spitch int, rows, cols int)
