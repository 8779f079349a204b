package kernels

import (
	"fmt"
	"math"
)

// MaxPool2d takes the maximum of each window of geometry g over planes
// input planes x [planes, H, W] into y [planes, OH, OW], padding with -Inf.
// When arg is not nil, arg [planes, OH, OW] receives the index iy*W+ix
// within its plane of the first maximum in row-major window order (-1 for a
// window that reads only padding). A NaN in a window wins, as in PyTorch.
// It overwrites y and arg and equals:
//
//	for p := 0; p < planes; p++ {
//		for oy := 0; oy < g.OH; oy++ {
//			for ox := 0; ox < g.OW; ox++ {
//				m, a := float32(math.Inf(-1)), -1
//				for ky := 0; ky < g.KH; ky++ {
//					for kx := 0; kx < g.KW; kx++ {
//						iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//						if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//							if v := x[(p*g.H+iy)*g.W+ix]; v > m || v != v {
//								m, a = v, iy*g.W+ix
//							}
//						}
//					}
//				}
//				y[(p*g.OH+oy)*g.OW+ox], arg[(p*g.OH+oy)*g.OW+ox] = m, int32(a)
//			}
//		}
//	}
func MaxPool2d(g Geom2d, planes int, x, y []float32, arg []int32) {
	g.check("MaxPool2d")
	hw, ohw := g.H*g.W, g.OH*g.OW
	convCheckLen("MaxPool2d x", x, planes*hw)
	convCheckLen("MaxPool2d y", y, planes*ohw)
	if arg != nil && len(arg) < planes*ohw {
		panic(fmt.Sprintf("kernels: MaxPool2d arg: slice of %d values, need %d", len(arg), planes*ohw))
	}
	if hw > math.MaxInt32 {
		panic(fmt.Sprintf("kernels: MaxPool2d: plane of %d values overflows int32 indices", hw))
	}
	ilo, ihi := dwPoolInterior(g)
	parallelJob(&poolJobs, planes, convGrain(g.KH*g.KW*ohw), &poolJob{op: poolMax, g: g, x: x, y: y, arg: arg, hw: hw, ohw: ohw, ilo: ilo, ihi: ihi})
}

// MaxPool2dBackward adds each output gradient gy [planes, OH, OW] to the
// input gradient gx [planes, H, W] at the position arg that MaxPool2d chose.
// It equals:
//
//	for p := 0; p < planes; p++ {
//		for o := 0; o < ohw; o++ {
//			if a := arg[p*ohw+o]; a >= 0 {
//				gx[p*hw+int(a)] += gy[p*ohw+o]
//			}
//		}
//	}
func MaxPool2dBackward(planes, hw, ohw int, gy []float32, arg []int32, gx []float32) {
	convCheckLen("MaxPool2dBackward gy", gy, planes*ohw)
	convCheckLen("MaxPool2dBackward gx", gx, planes*hw)
	if len(arg) < planes*ohw {
		panic(fmt.Sprintf("kernels: MaxPool2dBackward arg: slice of %d values, need %d", len(arg), planes*ohw))
	}
	parallelJob(&poolJobs, planes, convGrain(ohw), &poolJob{op: poolMaxBack, gy: gy, gx: gx, arg: arg, hw: hw, ohw: ohw})
}

// AvgPool2d averages each window of geometry g over planes input planes
// x [planes, H, W] into y [planes, OH, OW], padding with zeros. The divisor
// is KH·KW when countPad (padding counts, PyTorch's default
// count_include_pad=True) and the number of in-bounds taps otherwise (a
// window of padding only gives 0/0). It overwrites y and equals:
//
//	for p := 0; p < planes; p++ {
//		for oy := 0; oy < g.OH; oy++ {
//			for ox := 0; ox < g.OW; ox++ {
//				var s float32
//				n := 0
//				for ky := 0; ky < g.KH; ky++ {
//					for kx := 0; kx < g.KW; kx++ {
//						iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//						if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//							s += x[(p*g.H+iy)*g.W+ix]
//							n++
//						}
//					}
//				}
//				if countPad {
//					n = g.KH * g.KW
//				}
//				y[(p*g.OH+oy)*g.OW+ox] = s / float32(n)
//			}
//		}
//	}
func AvgPool2d(g Geom2d, planes int, countPad bool, x, y []float32) {
	g.check("AvgPool2d")
	hw, ohw := g.H*g.W, g.OH*g.OW
	convCheckLen("AvgPool2d x", x, planes*hw)
	convCheckLen("AvgPool2d y", y, planes*ohw)
	ilo, ihi := dwPoolInterior(g)
	parallelJob(&poolJobs, planes, convGrain(g.KH*g.KW*ohw), &poolJob{op: poolAvg, g: g, x: x, y: y, hw: hw, ohw: ohw, ilo: ilo, ihi: ihi, countPad: countPad})
}

// AvgPool2dBackward adds to gx [planes, H, W] the gradient of AvgPool2d
// given the output gradient gy [planes, OH, OW]. It equals:
//
//	for p := 0; p < planes; p++ {
//		for oy := 0; oy < g.OH; oy++ {
//			for ox := 0; ox < g.OW; ox++ {
//				n := g.KH * g.KW
//				if !countPad {
//					n = 0 // the in-bounds taps, counted as in AvgPool2d
//					for ky := 0; ky < g.KH; ky++ {
//						for kx := 0; kx < g.KW; kx++ {
//							iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//								n++
//							}
//						}
//					}
//				}
//				d := gy[(p*g.OH+oy)*g.OW+ox] / float32(n)
//				for ky := 0; ky < g.KH; ky++ {
//					for kx := 0; kx < g.KW; kx++ {
//						iy, ix := oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
//						if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
//							gx[(p*g.H+iy)*g.W+ix] += d
//						}
//					}
//				}
//			}
//		}
//	}
func AvgPool2dBackward(g Geom2d, planes int, countPad bool, gy, gx []float32) {
	g.check("AvgPool2dBackward")
	hw, ohw := g.H*g.W, g.OH*g.OW
	convCheckLen("AvgPool2dBackward gy", gy, planes*ohw)
	convCheckLen("AvgPool2dBackward gx", gx, planes*hw)
	parallelJob(&poolJobs, planes, convGrain(g.KH*g.KW*ohw), &poolJob{op: poolAvgBack, g: g, gy: gy, gx: gx, hw: hw, ohw: ohw, countPad: countPad})
}

// poolTaps returns the taps [lo, hi) of a window starting at input index
// start, with taps dil apart and k taps, that fall inside [0, size).
func poolTaps(start, dil, k, size int) (lo, hi int) {
	if start < 0 {
		lo = (-start + dil - 1) / dil
	}
	if last := size - 1 - start; last >= 0 {
		hi = min(k, last/dil+1)
	}
	lo = min(lo, k)
	return lo, max(lo, hi)
}

// AdaptiveAvgPool2d averages planes input planes x [planes, h, w] into
// y [planes, oh, ow] over the windows of torch.nn.AdaptiveAvgPool2d: output
// row i covers input rows [floor(i·h/oh), ceil((i+1)·h/oh)), and likewise
// for columns. It overwrites y and equals:
//
//	for p := 0; p < planes; p++ {
//		for i := 0; i < oh; i++ {
//			for j := 0; j < ow; j++ {
//				y0, y1 := i*h/oh, ((i+1)*h+oh-1)/oh
//				x0, x1 := j*w/ow, ((j+1)*w+ow-1)/ow
//				var s float32
//				for iy := y0; iy < y1; iy++ {
//					for ix := x0; ix < x1; ix++ {
//						s += x[(p*h+iy)*w+ix]
//					}
//				}
//				y[(p*oh+i)*ow+j] = s / float32((y1-y0)*(x1-x0))
//			}
//		}
//	}
//
// The global average (oh = ow = 1) equals this up to float32 rounding: it
// sums each plane in eight partial sums (element i into partial i%8, in
// increasing i) added in the order 0..7, for speed.
func AdaptiveAvgPool2d(planes, h, w, oh, ow int, x, y []float32) {
	poolCheckAdaptive("AdaptiveAvgPool2d", h, w, oh, ow)
	convCheckLen("AdaptiveAvgPool2d x", x, planes*h*w)
	convCheckLen("AdaptiveAvgPool2d y", y, planes*oh*ow)
	if oh == 1 && ow == 1 {
		hw := h * w
		div := float32(hw)
		parallelJob(&poolJobs, planes, convGrain(hw), &poolJob{op: poolGlobal, x: x, y: y, hw: hw, div: div})
		return
	}
	parallelJob(&poolJobs, planes, convGrain(max(h*w, oh*ow)), &poolJob{op: poolAdaptive, x: x, y: y, h: h, w: w, oh: oh, ow: ow})
}

// AdaptiveAvgPool2dBackward adds to gx [planes, h, w] the gradient of
// AdaptiveAvgPool2d given the output gradient gy [planes, oh, ow]. It
// equals:
//
//	for p := 0; p < planes; p++ {
//		for i := 0; i < oh; i++ {
//			for j := 0; j < ow; j++ {
//				y0, y1 := i*h/oh, ((i+1)*h+oh-1)/oh
//				x0, x1 := j*w/ow, ((j+1)*w+ow-1)/ow
//				d := gy[(p*oh+i)*ow+j] / float32((y1-y0)*(x1-x0))
//				for iy := y0; iy < y1; iy++ {
//					for ix := x0; ix < x1; ix++ {
//						gx[(p*h+iy)*w+ix] += d
//					}
//				}
//			}
//		}
//	}
func AdaptiveAvgPool2dBackward(planes, h, w, oh, ow int, gy, gx []float32) {
	poolCheckAdaptive("AdaptiveAvgPool2dBackward", h, w, oh, ow)
	convCheckLen("AdaptiveAvgPool2dBackward gy", gy, planes*oh*ow)
	convCheckLen("AdaptiveAvgPool2dBackward gx", gx, planes*h*w)
	parallelJob(&poolJobs, planes, convGrain(max(h*w, oh*ow)), &poolJob{op: poolAdaptiveBack, gy: gy, gx: gx, h: h, w: w, oh: oh, ow: ow})
}

func poolCheckAdaptive(name string, h, w, oh, ow int) {
	if h < 1 || w < 1 || oh < 1 || ow < 1 {
		panic(fmt.Sprintf("kernels: %s: bad sizes %dx%d -> %dx%d", name, h, w, oh, ow))
	}
}

// dwPoolRowSum returns the sum of s in eight partial sums, s[i] going to
// partial i%8 in increasing i, the partials added in order 0..7.
func dwPoolRowSum(s []float32) float32 {
	var a [8]float32
	i := 0
	if useAsm && len(s) >= 8 {
		vecPartials8(s, &a) // the same sums, eight lanes at a step
		i = len(s) &^ 7
	}
	for ; i+8 <= len(s); i += 8 {
		v := s[i : i+8 : i+8]
		a[0] += v[0]
		a[1] += v[1]
		a[2] += v[2]
		a[3] += v[3]
		a[4] += v[4]
		a[5] += v[5]
		a[6] += v[6]
		a[7] += v[7]
	}
	for j, v := range s[i:] {
		a[j] += v
	}
	return ((((((a[0] + a[1]) + a[2]) + a[3]) + a[4]) + a[5]) + a[6]) + a[7]
}

// dwPoolInterior returns the output columns [lo, hi) whose whole window
// row lies inside [0, W), with lo <= hi.
func dwPoolInterior(g Geom2d) (lo, hi int) {
	lo, _ = g.oxRange(0)
	_, hi = g.oxRange(g.KW - 1)
	return lo, max(lo, hi)
}

// poolOp is the kernel a poolJob runs.
type poolOp int

const (
	poolMax poolOp = iota
	poolMaxBack
	poolAvg
	poolAvgBack
	poolGlobal
	poolAdaptive
	poolAdaptiveBack
)

// poolJob is one parallel pooling call, run by parallelJob as a struct (a
// closure passed to ParallelFor would be allocated per call); its methods
// are the loop bodies over planes [lo, hi).
type poolJob struct {
	op                    poolOp
	g                     Geom2d
	x, y, gy, gx          []float32
	arg                   []int32
	hw, ohw, h, w, oh, ow int
	ilo, ihi              int
	countPad              bool
	div                   float32
}

var poolJobs gemmFreeList[poolJob]

func (j *poolJob) run(lo, hi int) {
	switch j.op {
	case poolMax:
		j.maxPool(lo, hi)
	case poolMaxBack:
		j.maxPoolBack(lo, hi)
	case poolAvg:
		j.avgPool(lo, hi)
	case poolAvgBack:
		j.avgPoolBack(lo, hi)
	case poolGlobal:
		j.globalAvg(lo, hi)
	case poolAdaptive:
		j.adaptiveAvg(lo, hi)
	case poolAdaptiveBack:
		j.adaptiveAvgBack(lo, hi)
	}
}

func (j *poolJob) maxPool(lo, hi int) {
	g, x, y, arg, hw, ohw, ilo, ihi := j.g, j.x, j.y, j.arg, j.hw, j.ohw, j.ilo, j.ihi
	ninf := float32(math.Inf(-1))
	for p := lo; p < hi; p++ {
		xp := x[p*hw : (p+1)*hw]
		for oy := 0; oy < g.OH; oy++ {
			kyLo, kyHi := poolTaps(oy*g.StrideH-g.PadT, g.DilH, g.KH, g.H)
			for ox := ilo; ox < ihi; ox++ {
				// Interior columns: every tap of an in-bounds row is in
				// bounds; same comparisons, same order as below.
				m, a := ninf, -1
				ix0 := ox*g.StrideW - g.PadL
				for ky := kyLo; ky < kyHi; ky++ {
					ro := (oy*g.StrideH - g.PadT + ky*g.DilH) * g.W
					row := xp[ro+ix0 : ro+ix0+(g.KW-1)*g.DilW+1]
					for kx := 0; kx < len(row); kx += g.DilW {
						if v := row[kx]; v > m || v != v {
							m, a = v, ro+ix0+kx
						}
					}
				}
				o := p*ohw + oy*g.OW + ox
				y[o] = m
				if arg != nil {
					arg[o] = int32(a)
				}
			}
			for ox := 0; ox < g.OW; ox++ {
				if ox == ilo && ilo < ihi {
					ox = ihi - 1
					continue
				}
				m, a := ninf, -1
				for ky := 0; ky < g.KH; ky++ {
					iy := oy*g.StrideH - g.PadT + ky*g.DilH
					if iy < 0 || iy >= g.H {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ix := ox*g.StrideW - g.PadL + kx*g.DilW
						if ix < 0 || ix >= g.W {
							continue
						}
						if v := xp[iy*g.W+ix]; v > m || v != v {
							m, a = v, iy*g.W+ix
						}
					}
				}
				o := p*ohw + oy*g.OW + ox
				y[o] = m
				if arg != nil {
					arg[o] = int32(a)
				}
			}
		}
	}
}

func (j *poolJob) maxPoolBack(lo, hi int) {
	gy, gx, arg, hw, ohw := j.gy, j.gx, j.arg, j.hw, j.ohw
	for p := lo; p < hi; p++ {
		gxp := gx[p*hw : (p+1)*hw]
		for o, a := range arg[p*ohw : (p+1)*ohw] {
			if a >= 0 {
				gxp[a] += gy[p*ohw+o]
			}
		}
	}
}

func (j *poolJob) avgPool(lo, hi int) {
	g, x, y, hw, ohw, ilo, ihi, countPad := j.g, j.x, j.y, j.hw, j.ohw, j.ilo, j.ihi, j.countPad
	for p := lo; p < hi; p++ {
		xp := x[p*hw : (p+1)*hw]
		for oy := 0; oy < g.OH; oy++ {
			kyLo, kyHi := poolTaps(oy*g.StrideH-g.PadT, g.DilH, g.KH, g.H)
			n := g.KH * g.KW
			if !countPad {
				n = (kyHi - kyLo) * g.KW
			}
			for ox := ilo; ox < ihi; ox++ {
				// Interior columns: same sum, same order as below.
				var s float32
				ix0 := ox*g.StrideW - g.PadL
				for ky := kyLo; ky < kyHi; ky++ {
					ro := (oy*g.StrideH-g.PadT+ky*g.DilH)*g.W + ix0
					row := xp[ro : ro+(g.KW-1)*g.DilW+1]
					for kx := 0; kx < len(row); kx += g.DilW {
						s += row[kx]
					}
				}
				y[p*ohw+oy*g.OW+ox] = s / float32(n)
			}
			for ox := 0; ox < g.OW; ox++ {
				if ox == ilo && ilo < ihi {
					ox = ihi - 1
					continue
				}
				var s float32
				n := 0
				for ky := 0; ky < g.KH; ky++ {
					iy := oy*g.StrideH - g.PadT + ky*g.DilH
					if iy < 0 || iy >= g.H {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ix := ox*g.StrideW - g.PadL + kx*g.DilW
						if ix < 0 || ix >= g.W {
							continue
						}
						s += xp[iy*g.W+ix]
						n++
					}
				}
				if countPad {
					n = g.KH * g.KW
				}
				y[p*ohw+oy*g.OW+ox] = s / float32(n)
			}
		}
	}
}

func (j *poolJob) avgPoolBack(lo, hi int) {
	g, gy, gx, hw, ohw, countPad := j.g, j.gy, j.gx, j.hw, j.ohw, j.countPad
	for p := lo; p < hi; p++ {
		gxp := gx[p*hw : (p+1)*hw]
		for oy := 0; oy < g.OH; oy++ {
			// The in-bounds rows and columns of the window.
			kyLo, kyHi := poolTaps(oy*g.StrideH-g.PadT, g.DilH, g.KH, g.H)
			for ox := 0; ox < g.OW; ox++ {
				kxLo, kxHi := poolTaps(ox*g.StrideW-g.PadL, g.DilW, g.KW, g.W)
				n := g.KH * g.KW
				if !countPad {
					n = (kyHi - kyLo) * (kxHi - kxLo)
				}
				d := gy[p*ohw+oy*g.OW+ox] / float32(n)
				for ky := kyLo; ky < kyHi; ky++ {
					row := gxp[(oy*g.StrideH-g.PadT+ky*g.DilH)*g.W:]
					for kx := kxLo; kx < kxHi; kx++ {
						row[ox*g.StrideW-g.PadL+kx*g.DilW] += d
					}
				}
			}
		}
	}
}

func (j *poolJob) globalAvg(lo, hi int) {
	x, y, hw, div := j.x, j.y, j.hw, j.div
	for p := lo; p < hi; p++ {
		y[p] = dwPoolRowSum(x[p*hw:(p+1)*hw]) / div
	}
}

func (j *poolJob) adaptiveAvg(lo, hi int) {
	x, y, h, w, oh, ow := j.x, j.y, j.h, j.w, j.oh, j.ow
	for p := lo; p < hi; p++ {
		xp := x[p*h*w : (p+1)*h*w]
		for i := 0; i < oh; i++ {
			y0, y1 := i*h/oh, ((i+1)*h+oh-1)/oh
			for j := 0; j < ow; j++ {
				x0, x1 := j*w/ow, ((j+1)*w+ow-1)/ow
				var s float32
				for iy := y0; iy < y1; iy++ {
					for _, v := range xp[iy*w+x0 : iy*w+x1] {
						s += v
					}
				}
				y[(p*oh+i)*ow+j] = s / float32((y1-y0)*(x1-x0))
			}
		}
	}
}

func (j *poolJob) adaptiveAvgBack(lo, hi int) {
	gy, gx, h, w, oh, ow := j.gy, j.gx, j.h, j.w, j.oh, j.ow
	for p := lo; p < hi; p++ {
		gxp := gx[p*h*w : (p+1)*h*w]
		for i := 0; i < oh; i++ {
			y0, y1 := i*h/oh, ((i+1)*h+oh-1)/oh
			for j := 0; j < ow; j++ {
				x0, x1 := j*w/ow, ((j+1)*w+ow-1)/ow
				d := gy[(p*oh+i)*ow+j] / float32((y1-y0)*(x1-x0))
				for iy := y0; iy < y1; iy++ {
					row := gxp[iy*w+x0 : iy*w+x1]
					for k := range row {
						row[k] += d
					}
				}
			}
		}
	}
}
