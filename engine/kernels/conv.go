package kernels

import "fmt"

// Geom2d is the geometry of a 2-D sliding window (a convolution or a pooling
// window) over planes of H×W values stored row-major. The window has KH×KW
// taps spaced DilH rows and DilW columns apart, and moves StrideH rows and
// StrideW columns per output position. The output has OH×OW positions;
// output (oy, ox) reads, at tap (ky, kx), input row and column
//
//	iy = oy*StrideH - PadT + ky*DilH
//	ix = ox*StrideW - PadL + kx*DilW
//
// and a tap outside [0,H)×[0,W) reads padding. Only the top and left
// padding appear: the bottom and right ones are implied by OH and OW.
type Geom2d struct {
	H, W             int
	KH, KW           int
	StrideH, StrideW int
	DilH, DilW       int
	PadT, PadL       int
	OH, OW           int
}

func (g Geom2d) check(name string) {
	if g.H < 0 || g.W < 0 || g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 ||
		g.DilH < 1 || g.DilW < 1 || g.PadT < 0 || g.PadL < 0 || g.OH < 0 || g.OW < 0 {
		panic(fmt.Sprintf("kernels: %s: bad geometry %+v", name, g))
	}
}

// shifted reports whether every tap of g reads its plane shifted by a
// constant: stride 1 both ways and as many output as input columns, so
// that output (oy, ox) at tap (ky, kx) reads flat index oy·W + ox + d of
// the plane, d = (ky·DilH - PadT)·W + kx·DilW - PadL, unless the tap
// falls on padding.
func (g Geom2d) shifted() bool {
	return g.StrideH == 1 && g.StrideW == 1 && g.OW == g.W
}

// shiftRows returns, for a shifted geometry, the output rows [oyLo, oyHi)
// whose tap row ky reads inside the plane, and the flat shift d of the tap
// whose column offset is off.
func (g Geom2d) shiftRows(ky, off int) (oyLo, oyHi, d int) {
	dy := ky*g.DilH - g.PadT
	oyLo = min(max(0, -dy), g.OH)
	oyHi = max(min(g.OH, g.H-dy), oyLo)
	return oyLo, oyHi, dy*g.W + off
}

// addTo adds x to dst elementwise (each sum rounded once, on every path).
func addTo(dst, x []float32) {
	x = x[:len(dst)]
	if useAsm && len(dst) >= 8 {
		vecAxpy(dst, x, 1) // fma(1, x, dst) = dst + x rounded once
		return
	}
	for i, v := range x {
		dst[i] += v
	}
}

// oxRange returns the output columns [lo, hi) whose tap kx reads an input
// column inside [0, W), with lo <= hi.
func (g Geom2d) oxRange(kx int) (lo, hi int) {
	off := kx*g.DilW - g.PadL // ix = ox*StrideW + off
	if off < 0 {
		lo = (-off + g.StrideW - 1) / g.StrideW
	}
	if last := g.W - 1 - off; last >= 0 {
		hi = min(g.OW, last/g.StrideW+1)
	}
	lo = min(lo, g.OW)
	return lo, max(lo, hi)
}

func convCheckLen(name string, s []float32, n int) {
	if len(s) < n {
		panic(fmt.Sprintf("kernels: %s: slice of %d values, need %d", name, len(s), n))
	}
}

// convGrain returns a ParallelFor grain that gives each worker about 16k
// multiply-adds when one item costs work of them.
func convGrain(work int) int { return max(1, 16384/max(1, work)) }

// Im2col unfolds c planes x [c, H, W] into the columns col [c·KH·KW, OH·OW]
// of the convolution of geometry g, with zero padding. It overwrites col and
// equals:
//
//	for ci := 0; ci < c; ci++ {
//		for ky := 0; ky < g.KH; ky++ {
//			for kx := 0; kx < g.KW; kx++ {
//				r := (ci*g.KH+ky)*g.KW + kx
//				for oy := 0; oy < g.OH; oy++ {
//					for ox := 0; ox < g.OW; ox++ {
//						iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//						var v float32
//						if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//							v = x[(ci*g.H+iy)*g.W+ix]
//						}
//						col[r*g.OH*g.OW+oy*g.OW+ox] = v
//					}
//				}
//			}
//		}
//	}
func Im2col(g Geom2d, c int, x, col []float32) {
	g.check("Im2col")
	ohw := g.OH * g.OW
	rows := c * g.KH * g.KW
	convCheckLen("Im2col x", x, c*g.H*g.W)
	convCheckLen("Im2col col", col, rows*ohw)
	ParallelFor(rows, convGrain(ohw), func(lo, hi int) { im2colRows(g, x, col, ohw, lo, hi) })
}

// im2colRows is Im2col of the rows [lo, hi) of col, on the calling
// goroutine, with col's rows ld >= OH·OW apart (the OH·OW values of row r
// start at col[r·ld]; the rest of each row is left alone).
func im2colRows(g Geom2d, x, col []float32, ld, lo, hi int) {
	ohw, hw := g.OH*g.OW, g.H*g.W
	if im2colTaps(g, x, col, ld, lo, hi) {
		return
	}
	// The column range of each tap column, computed once (not per row).
	var rangeBuf [16][2]int
	var ranges [][2]int
	if g.KW <= len(rangeBuf) {
		ranges = rangeBuf[:g.KW]
		for kx := range ranges {
			ranges[kx][0], ranges[kx][1] = g.oxRange(kx)
		}
	}
	for r := lo; r < hi; r++ {
		kx, ky, ci := r%g.KW, (r/g.KW)%g.KH, r/(g.KW*g.KH)
		xp := x[ci*hw : (ci+1)*hw]
		dst := col[r*ld : r*ld+ohw]
		var xlo, xhi int
		if ranges != nil {
			xlo, xhi = ranges[kx][0], ranges[kx][1]
		} else {
			xlo, xhi = g.oxRange(kx)
		}
		off := kx*g.DilW - g.PadL
		if g.shifted() {
			// The row is the plane shifted by (dy, off): one copy of the
			// rows that read inside it, then the columns that wrapped
			// around a row end are zeroed.
			oyLo, oyHi, d := g.shiftRows(ky, off)
			clear(dst[:oyLo*g.OW])
			clear(dst[oyHi*g.OW:])
			if oyLo < oyHi {
				b0, b1 := oyLo*g.OW, oyHi*g.OW
				s0, s1 := max(b0+d, 0), min(b1+d, hw)
				copy(dst[s0-d:s1-d], xp[s0:s1])
				for oy := oyLo; oy < oyHi; oy++ {
					row := dst[oy*g.OW : (oy+1)*g.OW]
					for ox := 0; ox < xlo; ox++ {
						row[ox] = 0
					}
					for ox := xhi; ox < g.OW; ox++ {
						row[ox] = 0
					}
				}
			}
			continue
		}
		for oy := 0; oy < g.OH; oy++ {
			row := dst[oy*g.OW : (oy+1)*g.OW]
			iy := oy*g.StrideH - g.PadT + ky*g.DilH
			if iy < 0 || iy >= g.H {
				clear(row)
				continue
			}
			for ox := 0; ox < xlo; ox++ {
				row[ox] = 0
			}
			for ox := xhi; ox < g.OW; ox++ {
				row[ox] = 0
			}
			src := xp[iy*g.W : (iy+1)*g.W]
			if xlo == xhi {
				continue
			}
			if g.StrideW == 1 {
				copy(row[xlo:xhi], src[xlo+off:xhi+off])
				continue
			}
			for ox := xlo; ox < xhi; ox++ {
				row[ox] = src[ox*g.StrideW+off]
			}
		}
	}
}

// Col2im folds columns col [c·KH·KW, OH·OW] back onto c planes x [c, H, W]:
// it adds (never overwrites) the adjoint of Im2col, dropping padding taps,
// and equals:
//
//	for ci := 0; ci < c; ci++ {
//		for ky := 0; ky < g.KH; ky++ {
//			for kx := 0; kx < g.KW; kx++ {
//				r := (ci*g.KH+ky)*g.KW + kx
//				for oy := 0; oy < g.OH; oy++ {
//					for ox := 0; ox < g.OW; ox++ {
//						iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//						if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//							x[(ci*g.H+iy)*g.W+ix] += col[r*g.OH*g.OW+oy*g.OW+ox]
//						}
//					}
//				}
//			}
//		}
//	}
func Col2im(g Geom2d, c int, col, x []float32) {
	g.check("Col2im")
	convCheckLen("Col2im x", x, c*g.H*g.W)
	convCheckLen("Col2im col", col, c*g.KH*g.KW*g.OH*g.OW)
	ParallelFor(c, convGrain(g.KH*g.KW*g.OH*g.OW), func(lo, hi int) { col2imPlanes(g, col, g.OH*g.OW, x, lo, hi, false) })
}

// col2imPlanes is Col2im of the planes [lo, hi) of x, on the calling
// goroutine, with col's rows ld >= OH·OW apart as in im2colRows. With
// clobber it may overwrite the entries of col that fall on padding
// (scratch the caller owns) to fold a shifted plane in one pass.
func col2imPlanes(g Geom2d, col []float32, ld int, x []float32, lo, hi int, clobber bool) {
	ohw, hw := g.OH*g.OW, g.H*g.W
	if col2imTaps(g, col, ld, x, lo, hi) {
		return
	}
	for ci := lo; ci < hi; ci++ {
		xp := x[ci*hw : (ci+1)*hw]
		for ky := 0; ky < g.KH; ky++ {
			for kx := 0; kx < g.KW; kx++ {
				r := (ci*g.KH+ky)*g.KW + kx
				src := col[r*ld : r*ld+ohw]
				xlo, xhi := g.oxRange(kx)
				if xlo == xhi {
					continue
				}
				off := kx*g.DilW - g.PadL
				if clobber && g.shifted() {
					// The adjoint of Im2col's shifted copy: the taps that
					// wrapped around a row end read padding, so they are
					// zeroed in col and the rows inside the plane are
					// added in one pass (adding +0 leaves every value as
					// it was, but turns -0 into +0).
					oyLo, oyHi, d := g.shiftRows(ky, off)
					if oyLo >= oyHi {
						continue
					}
					for oy := oyLo; oy < oyHi; oy++ {
						row := src[oy*g.OW : (oy+1)*g.OW]
						for ox := 0; ox < xlo; ox++ {
							row[ox] = 0
						}
						for ox := xhi; ox < g.OW; ox++ {
							row[ox] = 0
						}
					}
					b0, b1 := oyLo*g.OW, oyHi*g.OW
					s0, s1 := max(b0+d, 0), min(b1+d, hw)
					addTo(xp[s0:s1], src[s0-d:s1-d])
					continue
				}
				for oy := 0; oy < g.OH; oy++ {
					iy := oy*g.StrideH - g.PadT + ky*g.DilH
					if iy < 0 || iy >= g.H {
						continue
					}
					dst := xp[iy*g.W : (iy+1)*g.W]
					srow := src[oy*g.OW : (oy+1)*g.OW]
					if g.StrideW == 1 {
						d := dst[xlo+off : xhi+off]
						for i, v := range srow[xlo:xhi] {
							d[i] += v
						}
						continue
					}
					for ox := xlo; ox < xhi; ox++ {
						dst[ox*g.StrideW+off] += srow[ox]
					}
				}
			}
		}
	}
}

// DepthwiseConv2d is the depthwise convolution of n samples x [n, c, H, W]
// with filters w [c·mult, KH, KW] into y [n, c·mult, OH, OW], where output
// channel oc reads input channel oc/mult (groups = c, channel multiplier
// mult), with zero padding. bias [c·mult] may be nil. It overwrites y and
// equals:
//
//	for b := 0; b < n; b++ {
//		for oc := 0; oc < c*mult; oc++ {
//			for oy := 0; oy < g.OH; oy++ {
//				for ox := 0; ox < g.OW; ox++ {
//					var s float32 // bias[oc] when bias != nil
//					for ky := 0; ky < g.KH; ky++ {
//						for kx := 0; kx < g.KW; kx++ {
//							iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//								s += w[(oc*g.KH+ky)*g.KW+kx] * x[((b*c+oc/mult)*g.H+iy)*g.W+ix]
//							}
//						}
//					}
//					y[((b*c*mult+oc)*g.OH+oy)*g.OW+ox] = s
//				}
//			}
//		}
//	}
func DepthwiseConv2d(g Geom2d, n, c, mult int, x, w, bias, y []float32) {
	g.check("DepthwiseConv2d")
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	convCheckLen("DepthwiseConv2d x", x, n*c*hw)
	convCheckLen("DepthwiseConv2d w", w, o*kk)
	convCheckLen("DepthwiseConv2d y", y, n*o*ohw)
	if bias != nil {
		convCheckLen("DepthwiseConv2d bias", bias, o)
	}
	if dwFast() {
		if dwLanesFit(g, o, dwLanesMaxPlane) {
			dwConvLanes(g, n, c, mult, x, w, bias, y)
			return
		}
		dwConvFast(g, n, c, mult, x, w, bias, y)
		return
	}
	dwConvGeneric(g, n, c, mult, x, w, bias, y)
}

// dwConvGeneric is the pure-Go DepthwiseConv2d, tap by tap over rows.
func dwConvGeneric(g Geom2d, n, c, mult int, x, w, bias, y []float32) {
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	parallelJob(&dwConvGenericJobs, n*o, convGrain(kk*ohw), &dwConvGenericJob{g: g, c: c, mult: mult, o: o, hw: hw, ohw: ohw, x: x, w: w, bias: bias, y: y})
}

// dwConvGenericJob is dwConvGeneric's parallel step (a pooled job, no closure per call).
type dwConvGenericJob struct {
	g                   Geom2d
	c, mult, o, hw, ohw int
	x, w, bias, y       []float32
}

var dwConvGenericJobs gemmFreeList[dwConvGenericJob]

func (j *dwConvGenericJob) run(lo, hi int) {
	g, c, mult, o, hw, ohw, x, w, bias, y := j.g, j.c, j.mult, j.o, j.hw, j.ohw, j.x, j.w, j.bias, j.y
	for p := lo; p < hi; p++ {
		b, oc := p/o, p%o
		xp := x[(b*c+oc/mult)*hw : (b*c+oc/mult+1)*hw]
		yp := y[p*ohw : (p+1)*ohw]
		var init float32
		if bias != nil {
			init = bias[oc]
		}
		for i := range yp {
			yp[i] = init
		}
		for ky := 0; ky < g.KH; ky++ {
			for kx := 0; kx < g.KW; kx++ {
				wv := w[(oc*g.KH+ky)*g.KW+kx]
				xlo, xhi := g.oxRange(kx)
				if xlo == xhi {
					continue
				}
				off := kx*g.DilW - g.PadL
				for oy := 0; oy < g.OH; oy++ {
					iy := oy*g.StrideH - g.PadT + ky*g.DilH
					if iy < 0 || iy >= g.H {
						continue
					}
					xrow := xp[iy*g.W : (iy+1)*g.W]
					yrow := yp[oy*g.OW : (oy+1)*g.OW]
					if g.StrideW == 1 {
						ys := yrow[xlo:xhi]
						for i, v := range xrow[xlo+off : xhi+off] {
							ys[i] += wv * v
						}
						continue
					}
					for ox := xlo; ox < xhi; ox++ {
						yrow[ox] += wv * xrow[ox*g.StrideW+off]
					}
				}
			}
		}
	}
}

// DepthwiseConv2dBackwardInput adds to gx [n, c, H, W] the gradient of
// DepthwiseConv2d with respect to its input, given the output gradient
// gy [n, c·mult, OH, OW] and the filters w [c·mult, KH, KW]. It equals:
//
//	for b := 0; b < n; b++ {
//		for ci := 0; ci < c; ci++ {
//			for m := 0; m < mult; m++ {
//				oc := ci*mult + m
//				for ky := 0; ky < g.KH; ky++ {
//					for kx := 0; kx < g.KW; kx++ {
//						for oy := 0; oy < g.OH; oy++ {
//							for ox := 0; ox < g.OW; ox++ {
//								iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//								if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//									gx[((b*c+ci)*g.H+iy)*g.W+ix] += w[(oc*g.KH+ky)*g.KW+kx] * gy[((b*c*mult+oc)*g.OH+oy)*g.OW+ox]
//								}
//							}
//						}
//					}
//				}
//			}
//		}
//	}
func DepthwiseConv2dBackwardInput(g Geom2d, n, c, mult int, gy, w, gx []float32) {
	g.check("DepthwiseConv2dBackwardInput")
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	convCheckLen("DepthwiseConv2dBackwardInput gy", gy, n*o*ohw)
	convCheckLen("DepthwiseConv2dBackwardInput w", w, o*kk)
	convCheckLen("DepthwiseConv2dBackwardInput gx", gx, n*c*hw)
	if dwFast() {
		if dwLanesFit(g, c, 0) {
			dwBackInputLanes(g, n, c, mult, gy, w, gx)
			return
		}
		dwBackInputFast(g, n, c, mult, gy, w, gx)
		return
	}
	dwBackInputGeneric(g, n, c, mult, gy, w, gx)
}

// dwBackInputGeneric is the pure-Go DepthwiseConv2dBackwardInput.
func dwBackInputGeneric(g Geom2d, n, c, mult int, gy, w, gx []float32) {
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	parallelJob(&dwBackInputGenericJobs, n*c, convGrain(mult*kk*ohw), &dwBackInputGenericJob{g: g, c: c, mult: mult, o: o, hw: hw, ohw: ohw, gy: gy, w: w, gx: gx})
}

// dwBackInputGenericJob is dwBackInputGeneric's parallel step (a pooled job, no closure per call).
type dwBackInputGenericJob struct {
	g                   Geom2d
	c, mult, o, hw, ohw int
	gy, w, gx           []float32
}

var dwBackInputGenericJobs gemmFreeList[dwBackInputGenericJob]

func (j *dwBackInputGenericJob) run(lo, hi int) {
	g, c, mult, o, hw, ohw, gy, w, gx := j.g, j.c, j.mult, j.o, j.hw, j.ohw, j.gy, j.w, j.gx
	for p := lo; p < hi; p++ {
		b, ci := p/c, p%c
		gxp := gx[p*hw : (p+1)*hw]
		for m := 0; m < mult; m++ {
			oc := ci*mult + m
			gyp := gy[(b*o+oc)*ohw : (b*o+oc+1)*ohw]
			for ky := 0; ky < g.KH; ky++ {
				for kx := 0; kx < g.KW; kx++ {
					wv := w[(oc*g.KH+ky)*g.KW+kx]
					xlo, xhi := g.oxRange(kx)
					if xlo == xhi {
						continue
					}
					off := kx*g.DilW - g.PadL
					for oy := 0; oy < g.OH; oy++ {
						iy := oy*g.StrideH - g.PadT + ky*g.DilH
						if iy < 0 || iy >= g.H {
							continue
						}
						xrow := gxp[iy*g.W : (iy+1)*g.W]
						yrow := gyp[oy*g.OW : (oy+1)*g.OW]
						if g.StrideW == 1 {
							xs := xrow[xlo+off : xhi+off]
							for i, v := range yrow[xlo:xhi] {
								xs[i] += wv * v
							}
							continue
						}
						for ox := xlo; ox < xhi; ox++ {
							xrow[ox*g.StrideW+off] += wv * yrow[ox]
						}
					}
				}
			}
		}
	}
}

// DepthwiseConv2dBackwardFilter adds to gw [c·mult, KH, KW] the gradient of
// DepthwiseConv2d with respect to its filters, given the output gradient
// gy [n, c·mult, OH, OW] and the input x [n, c, H, W]. It equals:
//
//	for oc := 0; oc < c*mult; oc++ {
//		for ky := 0; ky < g.KH; ky++ {
//			for kx := 0; kx < g.KW; kx++ {
//				var s float32
//				for b := 0; b < n; b++ {
//					for oy := 0; oy < g.OH; oy++ {
//						for ox := 0; ox < g.OW; ox++ {
//							iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//								s += gy[((b*c*mult+oc)*g.OH+oy)*g.OW+ox] * x[((b*c+oc/mult)*g.H+iy)*g.W+ix]
//							}
//						}
//					}
//				}
//				gw[(oc*g.KH+ky)*g.KW+kx] += s
//			}
//		}
//	}
func DepthwiseConv2dBackwardFilter(g Geom2d, n, c, mult int, gy, x, gw []float32) {
	g.check("DepthwiseConv2dBackwardFilter")
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	convCheckLen("DepthwiseConv2dBackwardFilter gy", gy, n*o*ohw)
	convCheckLen("DepthwiseConv2dBackwardFilter x", x, n*c*hw)
	convCheckLen("DepthwiseConv2dBackwardFilter gw", gw, o*kk)
	if dwFast() {
		if dwLanesFit(g, o, dwLanesMaxPlane) {
			dwBackFilterLanes(g, n, c, mult, gy, x, gw)
			return
		}
		dwBackFilterFast(g, n, c, mult, gy, x, gw)
		return
	}
	dwBackFilterGeneric(g, n, c, mult, gy, x, gw)
}

// dwBackFilterGeneric is the pure-Go DepthwiseConv2dBackwardFilter.
func dwBackFilterGeneric(g Geom2d, n, c, mult int, gy, x, gw []float32) {
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	parallelJob(&dwBackFilterGenericJobs, o, convGrain(n*kk*ohw), &dwBackFilterGenericJob{g: g, n: n, c: c, mult: mult, o: o, hw: hw, ohw: ohw, gy: gy, x: x, gw: gw})
}

// dwBackFilterGenericJob is dwBackFilterGeneric's parallel step (a pooled job, no closure per call).
type dwBackFilterGenericJob struct {
	g                      Geom2d
	n, c, mult, o, hw, ohw int
	gy, x, gw              []float32
}

var dwBackFilterGenericJobs gemmFreeList[dwBackFilterGenericJob]

func (j *dwBackFilterGenericJob) run(lo, hi int) {
	g, n, c, mult, o, hw, ohw, gy, x, gw := j.g, j.n, j.c, j.mult, j.o, j.hw, j.ohw, j.gy, j.x, j.gw
	for oc := lo; oc < hi; oc++ {
		ci := oc / mult
		for ky := 0; ky < g.KH; ky++ {
			for kx := 0; kx < g.KW; kx++ {
				xlo, xhi := g.oxRange(kx)
				off := kx*g.DilW - g.PadL
				var s float32
				for b := 0; b < n; b++ {
					xp := x[(b*c+ci)*hw : (b*c+ci+1)*hw]
					gyp := gy[(b*o+oc)*ohw : (b*o+oc+1)*ohw]
					for oy := 0; oy < g.OH; oy++ {
						iy := oy*g.StrideH - g.PadT + ky*g.DilH
						if iy < 0 || iy >= g.H {
							continue
						}
						xrow := xp[iy*g.W : (iy+1)*g.W]
						yrow := gyp[oy*g.OW : (oy+1)*g.OW]
						for ox := xlo; ox < xhi; ox++ {
							s += yrow[ox] * xrow[ox*g.StrideW+off]
						}
					}
				}
				gw[(oc*g.KH+ky)*g.KW+kx] += s
			}
		}
	}
}

// The fast depthwise path (useAsm) runs the channels-in-lanes kernels of
// dw_lanes.go where dwLanesFit takes them. Elsewhere it turns the depthwise
// convolution into flat, bounds-free multi-tap sums, a plane at a time
// ("planar"). Each input plane is copied into a
// zero-padded "phase" buffer: for strides sh×sw it holds sh·sw phase planes,
// phase (rr, r) holding the padded rows ≡ rr (mod sh) and columns ≡ r
// (mod sw), each plane hz rows of pitch wz. Output (oy, ox) at tap (ky, kx)
// then reads phase ((ky·dh)%sh, (kx·dw)%sw) at flat index
// q + (ky·dh/sh)·wz + kx·dw/sw with q = oy·wz + ox: every tap is a constant
// offset from q, so a whole plane is one call of dwTaps over q in
// [0, (OH-1)·wz+OW), and stride 2 needs no gathers (columns are split into
// even and odd halves once, by dwDeinterleave). Columns ox in [OW, wz) of
// the flat output are junk and dropped when copying to y. The buffer's
// padding positions are cleared once per worker: every plane writes the same
// positions, so they stay zero.

var dwGeneric bool

// ForceGenericDW makes the depthwise kernels take their pure-Go path even
// where the assembly path can run, and returns a function that restores the
// previous setting. It is for benchmarks and tests only (it is not safe to
// call while kernels run).
func ForceGenericDW(on bool) (restore func()) {
	old := dwGeneric
	dwGeneric = on
	return func() { dwGeneric = old }
}

func dwFast() bool { return useAsm && !dwGeneric }

// dwLayout is the phase-buffer layout of a geometry (see above).
type dwLayout struct {
	wz, hz int   // pitch and rows of a phase plane
	lz     int   // flat outputs: (OH-1)·wz + OW
	lp     int   // length of one phase plane, with slack for overreads
	offs   []int // per tap ky·KW+kx, its offset into the phase buffer
}

func dwRoundUp(v, m int) int { return (v + m - 1) / m * m }

// dwPlan returns the layout of g, its tap offsets in offs (of at least
// KH·KW values; the caller's pooled buffer, so that a call allocates nothing).
func dwPlan(g Geom2d, offs []int) dwLayout {
	sh, sw := g.StrideH, g.StrideW
	var l dwLayout
	l.wz = g.OW + (g.KW-1)*g.DilW/sw
	l.hz = g.OH + (g.KH-1)*g.DilH/sh
	l.lz = (g.OH-1)*l.wz + g.OW
	maxOff := (g.KH-1)*g.DilH/sh*l.wz + (g.KW-1)*g.DilW/sw
	l.lp = max(l.hz*l.wz, maxOff+dwRoundUp(l.lz, 64))
	l.offs = offs[:g.KH*g.KW]
	for ky := 0; ky < g.KH; ky++ {
		for kx := 0; kx < g.KW; kx++ {
			phase := (ky*g.DilH%sh)*sw + kx*g.DilW%sw
			l.offs[ky*g.KW+kx] = phase*l.lp + ky*g.DilH/sh*l.wz + kx*g.DilW/sw
		}
	}
	return l
}

func (l dwLayout) size(g Geom2d) int { return g.StrideH * g.StrideW * l.lp }

// dwFill copies the input plane xp [H, W] into the phase buffer buf,
// writing only positions that hold input values.
func dwFill(g Geom2d, l dwLayout, xp, buf []float32) {
	sh, sw := g.StrideH, g.StrideW
	for r := 0; r < l.hz*sh; r++ {
		iy := r - g.PadT
		if iy < 0 {
			continue
		}
		if iy >= g.H {
			break
		}
		xrow := xp[iy*g.W : (iy+1)*g.W]
		base := (r%sh)*sw*l.lp + r/sh*l.wz
		switch sw {
		case 1:
			continue // below, all rows of a row phase at once
		case 2:
			// Padded column ix+PadL goes to phase (ix+PadL)%2, column (ix+PadL)/2.
			// Whole pairs starting at an even padded column are split by
			// dwDeinterleave; the odd first and last columns one by one.
			ix0 := g.PadL & 1
			j0 := (ix0 + g.PadL) / 2
			np := max(0, min((g.W-ix0)/2, l.wz-j0))
			if np > 0 {
				dwDeinterleave(xrow[ix0:ix0+2*np], buf[base+j0:base+j0+np], buf[base+l.lp+j0:base+l.lp+j0+np])
			}
			for ix := 0; ix < g.W; ix++ {
				if ix == ix0 && np > 0 {
					ix += 2*np - 1
					continue
				}
				ixp := ix + g.PadL
				if ixp/2 >= l.wz {
					break
				}
				buf[base+ixp%2*l.lp+ixp/2] = xrow[ix]
			}
		default:
			for ix := 0; ix < g.W; ix++ {
				ixp := ix + g.PadL
				if ixp/sw >= l.wz {
					break
				}
				buf[base+ixp%sw*l.lp+ixp/sw] = xrow[ix]
			}
		}
	}
	if sw != 1 || g.PadL >= l.wz {
		return
	}
	cols := min(g.W, l.wz-g.PadL)
	for rr := 0; rr < sh; rr++ {
		// Padded rows r ≡ rr (mod sh) with iy = r - PadT in [0, H), r < hz·sh.
		r0 := max(g.PadT, rr)
		r0 += ((rr-r0)%sh + sh) % sh
		r1 := min(g.H+g.PadT, l.hz*sh)
		if r0 >= r1 {
			continue
		}
		rows := (r1 - r0 + sh - 1) / sh
		dwCopyRows(buf[rr*l.lp+r0/sh*l.wz+g.PadL:], l.wz, xp[(r0-g.PadT)*g.W:], sh*g.W, rows, cols)
	}
}

// dwScratch holds one worker's buffers; dwPool recycles them so that steady
// state allocates nothing.
type dwScratch struct{ a, b, c []float32 }

var dwPool gemmFreeList[dwScratch] // not emptied by the garbage collector

func dwGrow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func dwConvFast(g Geom2d, n, c, mult int, x, w, bias, y []float32) {
	if g.OH == 0 || g.OW == 0 || n*c == 0 {
		return
	}
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	t := dwLanePool.get()
	defer dwLanePool.put(t)
	t.offs = dwLaneGrow(t.offs, kk)
	l := dwPlan(g, t.offs)
	parallelJob(&dwConvFastJobs, n*c, convGrain(mult*kk*ohw), &dwConvFastJob{g: g, c: c, mult: mult, o: o, hw: hw, ohw: ohw, kk: kk, l: l, x: x, w: w, bias: bias, y: y})
}

// dwConvFastJob is dwConvFast's parallel step (a pooled job, no closure per call).
type dwConvFastJob struct {
	g                       Geom2d
	c, mult, o, hw, ohw, kk int
	l                       dwLayout
	x, w, bias, y           []float32
}

var dwConvFastJobs gemmFreeList[dwConvFastJob]

func (j *dwConvFastJob) run(lo, hi int) {
	g, c, mult, o, hw, ohw, kk, l, x, w, bias, y := j.g, j.c, j.mult, j.o, j.hw, j.ohw, j.kk, j.l, j.x, j.w, j.bias, j.y
	s := dwPool.get()
	defer dwPool.put(s)
	s.a = dwGrow(s.a, l.size(g))
	buf := s.a
	clear(buf)
	var z []float32
	if l.wz != g.OW {
		s.b = dwGrow(s.b, l.lz)
		z = s.b
	}
	for p := lo; p < hi; p++ {
		b, ci := p/c, p%c
		dwFill(g, l, x[p*hw:(p+1)*hw], buf)
		for m := 0; m < mult; m++ {
			oc := ci*mult + m
			yp := y[(b*o+oc)*ohw : (b*o+oc+1)*ohw]
			var bv float32
			if bias != nil {
				bv = bias[oc]
			}
			if z == nil {
				dwTaps(yp, buf, l.offs, w[oc*kk:(oc+1)*kk], bv)
				continue
			}
			dwTaps(z, buf, l.offs, w[oc*kk:(oc+1)*kk], bv)
			dwCopyRows(yp, g.OW, z, l.wz, g.OH, g.OW)
		}
	}
}

// dwBackInputFast computes the input gradient as a stride-1 correlation
// with the flipped filters: the mult output-gradient planes of a channel are
// spread (upsampled by the strides) into planes U of pitch wu with
// U[r·wu+cc] = gy[oy, ox] at r = oy·sh - PadT + (KH-1)·dh,
// cc = ox·sw - PadL + (KW-1)·dw, and gx[iy, ix] adds
// Σ_{m,ky,kx} w[m,ky,kx]·U_m[(iy+(KH-1-ky)·dh)·wu + ix+(KW-1-kx)·dw].
func dwBackInputFast(g Geom2d, n, c, mult int, gy, w, gx []float32) {
	if g.H == 0 || g.W == 0 || n*c == 0 {
		return
	}
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	wu, hu := g.W+(g.KW-1)*g.DilW, g.H+(g.KH-1)*g.DilH
	lz := (g.H-1)*wu + g.W
	lu := max(hu*wu, (g.KH-1)*g.DilH*wu+(g.KW-1)*g.DilW+dwRoundUp(lz, 64))
	t := dwLanePool.get()
	defer dwLanePool.put(t)
	t.offs = dwLaneGrow(t.offs, mult*kk)
	offs := t.offs
	for m := 0; m < mult; m++ {
		for ky := 0; ky < g.KH; ky++ {
			for kx := 0; kx < g.KW; kx++ {
				offs[(m*g.KH+ky)*g.KW+kx] = m*lu + (g.KH-1-ky)*g.DilH*wu + (g.KW-1-kx)*g.DilW
			}
		}
	}
	// Output columns whose gy lands inside U.
	oxLo, oxHi := 0, g.OW
	for oxLo < g.OW && oxLo*g.StrideW-g.PadL+(g.KW-1)*g.DilW < 0 {
		oxLo++
	}
	for oxHi > oxLo && (oxHi-1)*g.StrideW-g.PadL+(g.KW-1)*g.DilW >= wu {
		oxHi--
	}
	parallelJob(&dwBackInputFastJobs, n*c, convGrain(mult*kk*ohw), &dwBackInputFastJob{g: g, c: c, mult: mult, o: o, hw: hw, ohw: ohw, kk: kk, wu: wu, hu: hu, lz: lz, lu: lu, oxLo: oxLo, oxHi: oxHi, gy: gy, w: w, gx: gx, offs: offs})
}

// dwBackInputFastJob is dwBackInputFast's parallel step (a pooled job, no closure per call).
type dwBackInputFastJob struct {
	g                                                   Geom2d
	c, mult, o, hw, ohw, kk, wu, hu, lz, lu, oxLo, oxHi int
	gy, w, gx                                           []float32
	offs                                                []int
}

var dwBackInputFastJobs gemmFreeList[dwBackInputFastJob]

func (j *dwBackInputFastJob) run(lo, hi int) {
	g, c, mult, o, hw, ohw, kk, wu, hu, lz, lu, oxLo, oxHi, gy, w, gx, offs := j.g, j.c, j.mult, j.o, j.hw, j.ohw, j.kk, j.wu, j.hu, j.lz, j.lu, j.oxLo, j.oxHi, j.gy, j.w, j.gx, j.offs
	s := dwPool.get()
	defer dwPool.put(s)
	s.a = dwGrow(s.a, mult*lu)
	s.b = dwGrow(s.b, lz)
	buf, z := s.a, s.b
	clear(buf)
	for p := lo; p < hi; p++ {
		b, ci := p/c, p%c
		for m := 0; m < mult; m++ {
			gyp := gy[(b*o+ci*mult+m)*ohw : (b*o+ci*mult+m+1)*ohw]
			u := buf[m*lu : (m+1)*lu]
			for oy := 0; oy < g.OH; oy++ {
				r := oy*g.StrideH - g.PadT + (g.KH-1)*g.DilH
				if r < 0 || r >= hu || oxLo == oxHi {
					continue
				}
				cc := oxLo*g.StrideW - g.PadL + (g.KW-1)*g.DilW
				src := gyp[oy*g.OW+oxLo : oy*g.OW+oxHi]
				if g.StrideW == 1 {
					copy(u[r*wu+cc:], src)
					continue
				}
				urow := u[r*wu : (r+1)*wu]
				for i, v := range src {
					urow[cc+i*g.StrideW] = v
				}
			}
		}
		dwTaps(z, buf, offs, w[ci*mult*kk:(ci+1)*mult*kk], 0)
		gxp := gx[p*hw : (p+1)*hw]
		for iy := 0; iy < g.H; iy++ {
			zr := z[iy*wu : iy*wu+g.W]
			xr := gxp[iy*g.W : (iy+1)*g.W]
			for i, v := range zr {
				xr[i] += v
			}
		}
	}
}

// dwBackFilterFast sums, per channel and tap, the products of the output
// gradient (copied to the phase pitch wz, zero in junk columns and tail) and
// the phase buffer at the tap's offset, with dwDotTaps; lane partials are
// added in lane order, then samples in order.
func dwBackFilterFast(g Geom2d, n, c, mult int, gy, x, gw []float32) {
	if g.OH == 0 || g.OW == 0 || n*c == 0 {
		return
	}
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	nt := dwRoundUp(kk, 4)
	t := dwLanePool.get()
	defer dwLanePool.put(t)
	t.offs = dwLaneGrow(t.offs, nt)
	l := dwPlan(g, t.offs)
	offs := append(l.offs, make([]int, nt-kk)...)
	ln := dwRoundUp(l.lz, 16)
	parallelJob(&dwBackFilterFastJobs, c, convGrain(n*mult*kk*ohw), &dwBackFilterFastJob{g: g, n: n, c: c, mult: mult, o: o, hw: hw, ohw: ohw, kk: kk, nt: nt, ln: ln, l: l, gy: gy, x: x, gw: gw, offs: offs})
}

// dwBackFilterFastJob is dwBackFilterFast's parallel step (a pooled job, no closure per call).
type dwBackFilterFastJob struct {
	g                                  Geom2d
	n, c, mult, o, hw, ohw, kk, nt, ln int
	l                                  dwLayout
	gy, x, gw                          []float32
	offs                               []int
}

var dwBackFilterFastJobs gemmFreeList[dwBackFilterFastJob]

func (j *dwBackFilterFastJob) run(lo, hi int) {
	g, n, c, mult, o, hw, ohw, kk, nt, ln, l, gy, x, gw, offs := j.g, j.n, j.c, j.mult, j.o, j.hw, j.ohw, j.kk, j.nt, j.ln, j.l, j.gy, j.x, j.gw, j.offs
	s := dwPool.get()
	defer dwPool.put(s)
	s.a = dwGrow(s.a, l.size(g))
	s.b = dwGrow(s.b, ln)
	s.c = dwGrow(s.c, 8*nt+mult*kk)
	buf, gyz := s.a, s.b
	part, sum := s.c[:8*nt], s.c[8*nt:]
	clear(buf)
	clear(gyz)
	for ci := lo; ci < hi; ci++ {
		clear(sum)
		for b := 0; b < n; b++ {
			dwFill(g, l, x[(b*c+ci)*hw:(b*c+ci+1)*hw], buf)
			for m := 0; m < mult; m++ {
				gyp := gy[(b*o+ci*mult+m)*ohw : (b*o+ci*mult+m+1)*ohw]
				dwCopyRows(gyz, l.wz, gyp, g.OW, g.OH, g.OW)
				dwDotTaps(gyz, buf, offs, part)
				for t := 0; t < kk; t++ {
					var v float32
					for _, pv := range part[8*t : 8*t+8] {
						v += pv
					}
					sum[m*kk+t] += v
				}
			}
		}
		for i, v := range sum {
			gw[ci*mult*kk+i] += v
		}
	}
}

// dwTapsGo is the plain-Go dwTaps (see dw_amd64.go).
func dwTapsGo(dst, src []float32, offs []int, wts []float32, bias float32) {
	for q := range dst {
		dst[q] = bias
	}
	for t, wv := range wts {
		s := src[offs[t]:][:len(dst)]
		for q, v := range s {
			dst[q] += wv * v
		}
	}
}

// dwDotTapsGo is the plain-Go dwDotTaps (see dw_amd64.go).
func dwDotTapsGo(gy, src []float32, offs []int, out []float32) {
	for t, off := range offs {
		var a, b [8]float32
		s := src[off:][:len(gy)]
		for q := 0; q+16 <= len(gy); q += 16 {
			for l := 0; l < 8; l++ {
				a[l] += gy[q+l] * s[q+l]
				b[l] += gy[q+8+l] * s[q+8+l]
			}
		}
		for l := 0; l < 8; l++ {
			out[8*t+l] = a[l] + b[l]
		}
	}
}

// dwDeinterleaveGo is the plain-Go dwDeinterleave (see dw_amd64.go).
func dwDeinterleaveGo(src, even, odd []float32) {
	for i := range even {
		even[i], odd[i] = src[2*i], src[2*i+1]
	}
}

// dwCopyRowsGo is the plain-Go dwCopyRows (see dw_amd64.go).
func dwCopyRowsGo(dst []float32, dpitch int, src []float32, spitch int, rows, cols int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*dpitch:r*dpitch+cols], src[r*spitch:r*spitch+cols])
	}
}
