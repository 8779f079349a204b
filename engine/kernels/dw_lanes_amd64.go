//go:build !purego

package kernels

// AVX2+FMA versions of the channels-in-lanes depthwise building blocks (see
// dw_lanes.go). Their plain-Go equivalents, with the same contracts, are the
// functions of the same name ending in Go. Callers run them only when useAsm
// is set.

// dwLanePack sets dst[dstoff[i]+l] = src[planes[l]+i] for i < len(dstoff)
// and lanes l < 8: it interleaves position i of eight planes into one
// 8-float vector. Every dstoff[i] is a multiple of 8.
//
//go:noescape
func dwLanePack(dst, src []float32, planes *[8]int, dstoff []int32)

// dwLaneUnpack sets dst[l·pitch+i] = src[8i+l] for i < n and l < 8. It reads
// src up to 8·roundup(n, 8): the caller makes src that long.
//
//go:noescape
func dwLaneUnpack(dst []float32, pitch int, src []float32, n int)

// dwLaneUnpackAdd is dwLaneUnpack adding to dst instead of overwriting it.
//
//go:noescape
func dwLaneUnpackAdd(dst []float32, pitch int, src []float32, n int)

// dwLaneTaps sets, for r < rows, j < cols and lanes l < 8,
//
//	dst[8(r·dpitch+j·dstep)+l] = bias[l] + Σ_t wts[8t+l]·src[8(r·spitch+j)+offs[t]+l]
//
// the taps t = 0..len(offs)-1 added in order with fused multiply-adds.
// Every offs[t] is a multiple of 8.
//
//go:noescape
func dwLaneTaps(dst, src []float32, offs []int, wts []float32, bias *[8]float32, rows, cols, spitch, dpitch, dstep int)

// dwLaneDot adds, for t < len(offs) (1 to 8 taps) and lanes l < 8,
//
//	out[8t+l] += Σ_{r,j} gy[8(r·cols+j)+l]·src[8(r·spitch+j)+offs[t]+l]
//
// one fused multiply-add per term, r and j in increasing order (row-major),
// starting from out[8t+l]. Every offs[t] is a multiple of 8.
//
//go:noescape
func dwLaneDot(gy, src []float32, offs []int, out []float32, rows, cols, spitch int)
