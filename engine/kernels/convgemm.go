package kernels

import (
	"fmt"
	"runtime"
)

// Conv is a grouped 2-D convolution computed as im2col + GEMM: N samples
// x [N, C, H, W], filters w [O, C/Groups, KH, KW], outputs y [N, O, OH, OW].
// Group gi of sample n is the product
//
//	y_{n,gi} [O/G, OH·OW] = w_gi [O/G, K] · cols_{n,gi} [K, OH·OW],  K = C/G·KH·KW,
//
// where cols is Im2col of the group's C/G input planes. A pointwise
// convolution (1×1, stride 1, no padding) multiplies the planes directly.
//
// A batch runs in parallel over samples, each worker unfolding into its own
// slot of scratch and multiplying with SgemmSerial; a single sample (or a
// batch whose unfolded columns would not fit the scratch cap) runs sample by
// sample with the GEMM parallel inside. Samples are independent and Sgemm
// does not depend on how it is split, so Forward and BackwardInput give the
// same bits either way. BackwardFilter sums over samples: it splits the batch
// into FilterSlots contiguous runs, a number fixed by the shapes alone, sums
// each run in sample order into its own partial, and adds the partials in
// run order, so its bits do not depend on GOMAXPROCS either.
type Conv struct {
	G                 Geom2d
	N, C, O, Groups   int
	cg, og, k, ohw    int
	pointwise         bool
	colLen, planeSize int
}

// convScratchCap caps the floats of per-slot scratch a convolution asks for
// (64 MiB of float32).
const convScratchCap = 1 << 24

// convMaxSlots caps the number of parallel sample slots.
const convMaxSlots = 8

// NewConv checks and returns the convolution of the given sizes.
func NewConv(g Geom2d, n, c, o, groups int) Conv {
	g.check("Conv")
	if n < 0 || c <= 0 || o <= 0 || groups <= 0 || c%groups != 0 || o%groups != 0 {
		panic(fmt.Sprintf("kernels: Conv: n=%d c=%d o=%d groups=%d: need c, o > 0 and both divisible by groups", n, c, o, groups))
	}
	cv := Conv{G: g, N: n, C: c, O: o, Groups: groups}
	cv.cg, cv.og = c/groups, o/groups
	cv.k = cv.cg * g.KH * g.KW
	cv.ohw = g.OH * g.OW
	cv.planeSize = g.H * g.W
	cv.pointwise = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 &&
		g.PadT == 0 && g.PadL == 0 && g.OH == g.H && g.OW == g.W
	if !cv.pointwise {
		cv.colLen = cv.k * cv.ohw
	}
	return cv
}

// slots is the number of per-sample work slots of Forward and
// BackwardInput; 1 means sample by sample with a parallel GEMM.
func (cv Conv) slots() int {
	s := min(cv.N, convMaxSlots, 2*runtime.GOMAXPROCS(0))
	if cv.colLen > 0 {
		s = min(s, max(1, convScratchCap/cv.colLen))
	}
	return max(s, 1)
}

// FilterSlots is the number of runs BackwardFilter splits the batch into:
// min(N, 8), fewer if their partials would pass the scratch cap. It depends
// on the shapes only.
func (cv Conv) FilterSlots() int {
	per := cv.colLen + cv.O*cv.k
	return max(1, min(cv.N, convMaxSlots, convScratchCap/per))
}

// ScratchLen is the number of floats of scratch Forward and BackwardInput
// need.
func (cv Conv) ScratchLen() int { return cv.slots() * cv.colLen }

// FilterScratchLen is the number of floats of scratch BackwardFilter needs.
func (cv Conv) FilterScratchLen() int {
	s := cv.FilterSlots()
	if s == 1 {
		return cv.colLen
	}
	return s * (cv.colLen + cv.O*cv.k)
}

func (cv Conv) checkLens(name string, x, y, w, scratch []float32, scratchLen int) {
	convCheckLen(name+" input", x, cv.N*cv.C*cv.planeSize)
	convCheckLen(name+" output", y, cv.N*cv.O*cv.ohw)
	convCheckLen(name+" filters", w, cv.O*cv.k)
	convCheckLen(name+" scratch", scratch, scratchLen)
}

// sampleRange returns the samples [lo, hi) of slot s of slots.
func sampleRange(n, slots, s int) (lo, hi int) {
	return n * s / slots, n * (s + 1) / slots
}

// Forward computes y = conv(x, w) + bias (bias [O] may be nil), overwriting
// y. scratch holds ScratchLen floats.
func (cv Conv) Forward(x, w, bias, y, scratch []float32) {
	cv.checkLens("Conv.Forward", x, y, w, scratch, cv.ScratchLen())
	if bias != nil {
		convCheckLen("Conv.Forward bias", bias, cv.O)
	}
	sample := func(n int, col []float32, parallel bool) {
		for gi := 0; gi < cv.Groups; gi++ {
			xg := x[(n*cv.C+gi*cv.cg)*cv.planeSize:]
			cols := xg
			if !cv.pointwise {
				if parallel {
					Im2col(cv.G, cv.cg, xg, col)
				} else {
					im2colRows(cv.G, xg, col, 0, cv.k)
				}
				cols = col
			}
			var rb []float32
			if bias != nil {
				rb = bias[gi*cv.og : (gi+1)*cv.og]
			}
			gemmRun(parallel, false, false, cv.og, cv.ohw, cv.k, 1, w[gi*cv.og*cv.k:], cv.k, cols, cv.ohw, 0, y[(n*cv.O+gi*cv.og)*cv.ohw:], cv.ohw, rb, nil)
		}
	}
	cv.eachSample(scratch, sample)
}

// BackwardInput adds to gx [N, C, H, W] the gradient of Forward with respect
// to x, given gy [N, O, OH, OW]; with overwrite it sets gx to it instead
// (gx's old contents are never read, and each sample's planes are cleared
// just before they are accumulated, while in cache). scratch holds
// ScratchLen floats.
func (cv Conv) BackwardInput(gy, w, gx, scratch []float32, overwrite bool) {
	cv.checkLens("Conv.BackwardInput", gx, gy, w, scratch, cv.ScratchLen())
	beta := float32(1)
	if overwrite {
		beta = 0
	}
	sample := func(n int, col []float32, parallel bool) {
		for gi := 0; gi < cv.Groups; gi++ {
			xoff := (n*cv.C + gi*cv.cg) * cv.planeSize
			gyg := gy[(n*cv.O+gi*cv.og)*cv.ohw:]
			wg := w[gi*cv.og*cv.k:]
			if cv.pointwise {
				// dx_g += w_gᵀ · gy_g (dx_g = with overwrite).
				gemmRun(parallel, true, false, cv.k, cv.ohw, cv.og, 1, wg, cv.k, gyg, cv.ohw, beta, gx[xoff:], cv.ohw, nil, nil)
				continue
			}
			if overwrite {
				clear(gx[xoff : xoff+cv.cg*cv.planeSize])
			}
			// dcols_g = w_gᵀ · gy_g, folded back onto dx.
			gemmRun(parallel, true, false, cv.k, cv.ohw, cv.og, 1, wg, cv.k, gyg, cv.ohw, 0, col, cv.ohw, nil, nil)
			if parallel {
				Col2im(cv.G, cv.cg, col, gx[xoff:])
			} else {
				col2imPlanes(cv.G, col, gx[xoff:], 0, cv.cg, true)
			}
		}
	}
	cv.eachSample(scratch, sample)
}

// eachSample runs fn for every sample, in parallel slots of scratch when
// there are several, else in order with parallel = true.
func (cv Conv) eachSample(scratch []float32, fn func(n int, col []float32, parallel bool)) {
	slots := cv.slots()
	if slots == 1 {
		for n := 0; n < cv.N; n++ {
			fn(n, scratch, true)
		}
		return
	}
	ParallelFor(slots, 1, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			col := scratch[s*cv.colLen : (s+1)*cv.colLen]
			nlo, nhi := sampleRange(cv.N, slots, s)
			for n := nlo; n < nhi; n++ {
				fn(n, col, false)
			}
		}
	})
}

// BackwardFilter adds to gw [O, C/G, KH, KW] the gradient of Forward with
// respect to w, given gy and x: the sum over samples of gy_{n,g} · cols_{n,g}ᵀ,
// in the order the type's comment gives. scratch holds FilterScratchLen
// floats.
func (cv Conv) BackwardFilter(gy, x, gw, scratch []float32) {
	cv.checkLens("Conv.BackwardFilter", x, gy, gw, scratch, cv.FilterScratchLen())
	// acc adds the samples [nlo, nhi) into dst (beta 1) or, with first,
	// overwrites dst with them.
	acc := func(nlo, nhi int, col, dst []float32, first, parallel bool) {
		for n := nlo; n < nhi; n++ {
			beta := float32(1)
			if first && n == nlo {
				beta = 0
			}
			for gi := 0; gi < cv.Groups; gi++ {
				cols := x[(n*cv.C+gi*cv.cg)*cv.planeSize:]
				if !cv.pointwise {
					if parallel {
						Im2col(cv.G, cv.cg, cols, col)
					} else {
						im2colRows(cv.G, cols, col, 0, cv.k)
					}
					cols = col
				}
				gemmRun(parallel, false, true, cv.og, cv.k, cv.ohw, 1, gy[(n*cv.O+gi*cv.og)*cv.ohw:], cv.ohw, cols, cv.ohw, beta, dst[gi*cv.og*cv.k:], cv.k, nil, nil)
			}
		}
	}
	slots := cv.FilterSlots()
	if slots == 1 {
		acc(0, cv.N, scratch, gw, false, true)
		return
	}
	wl := cv.O * cv.k
	per := cv.colLen + wl
	ParallelFor(slots, 1, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			buf := scratch[s*per : (s+1)*per]
			nlo, nhi := sampleRange(cv.N, slots, s)
			acc(nlo, nhi, buf[wl:], buf[:wl], true, false)
		}
	})
	ParallelFor(wl, 4096, func(lo, hi int) {
		for s := 0; s < slots; s++ {
			addTo(gw[lo:hi], scratch[s*per+lo:s*per+hi])
		}
	})
}

// BiasGrad adds to gb [c] the sums of gy [n, c, s] over samples and the s
// positions of each plane: per channel, the planes' sums added in sample
// order.
func BiasGrad(n, c, s int, gy, gb []float32) {
	convCheckLen("BiasGrad gy", gy, n*c*s)
	convCheckLen("BiasGrad gb", gb, c)
	ParallelFor(c, convGrain(n*s), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			for i := 0; i < n; i++ {
				p := gy[(i*c+ch)*s : (i*c+ch+1)*s]
				var sum float32
				for _, v := range p {
					sum += v
				}
				gb[ch] += sum
			}
		}
	})
}
