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
	ohw, hw := g.OH*g.OW, g.H*g.W
	rows := c * g.KH * g.KW
	convCheckLen("Im2col x", x, c*hw)
	convCheckLen("Im2col col", col, rows*ohw)
	ParallelFor(rows, convGrain(ohw), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kx, ky, ci := r%g.KW, (r/g.KW)%g.KH, r/(g.KW*g.KH)
			xp := x[ci*hw : (ci+1)*hw]
			dst := col[r*ohw : (r+1)*ohw]
			xlo, xhi := g.oxRange(kx)
			off := kx*g.DilW - g.PadL
			for oy := 0; oy < g.OH; oy++ {
				row := dst[oy*g.OW : (oy+1)*g.OW]
				iy := oy*g.StrideH - g.PadT + ky*g.DilH
				if iy < 0 || iy >= g.H {
					clear(row)
					continue
				}
				clear(row[:xlo])
				clear(row[xhi:])
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
	})
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
	ohw, hw := g.OH*g.OW, g.H*g.W
	convCheckLen("Col2im x", x, c*hw)
	convCheckLen("Col2im col", col, c*g.KH*g.KW*ohw)
	ParallelFor(c, convGrain(g.KH*g.KW*ohw), func(lo, hi int) {
		for ci := lo; ci < hi; ci++ {
			xp := x[ci*hw : (ci+1)*hw]
			for ky := 0; ky < g.KH; ky++ {
				for kx := 0; kx < g.KW; kx++ {
					r := (ci*g.KH+ky)*g.KW + kx
					src := col[r*ohw : (r+1)*ohw]
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
	})
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
	ParallelFor(n*o, convGrain(kk*ohw), func(lo, hi int) {
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
	})
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
	ParallelFor(n*c, convGrain(mult*kk*ohw), func(lo, hi int) {
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
	})
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
	ParallelFor(o, convGrain(n*kk*ohw), func(lo, hi int) {
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
	})
}
