package kernels

import "sync"

// The channels-in-lanes depthwise path is the fast path (useAsm) wherever
// dwLanesFit takes it. It is made for small planes (7×7, 14×14), where the
// plane-at-a-time kernels spend their time on per-row and per-plane overhead
// rather than on multiply-adds, and it measures faster on most larger ones
// too. Eight
// channels share one 8-lane vector: dwLanePack interleaves position i of
// eight planes into one vector of a buffer laid out like the phase buffer
// of dwPlan (one vector per position, zero padding, a phase plane per
// stride phase), so that a tap is one vector multiply-add per output
// position with a vector of the eight channels' weights; dwLaneTaps sums the
// taps row by row over the valid outputs only, and dwLaneUnpack
// de-interleaves the result into the eight output planes.
//
// Lane l of a group reads the plane of its own channel: for the forward
// pass and the filter gradient the lanes are output channels oc0..oc0+7, the
// input plane of oc being oc/mult (planes repeat when mult > 1); for the
// input gradient the lanes are input channels and the mult output-gradient
// planes of a channel go to mult buffers whose taps are summed together. A
// group with fewer than eight channels (the last, when the channel count is
// not a multiple of 8) fills its spare lanes from its last plane, with zero
// weights, and de-interleaves through scratch.
//
// Work is split over (sample, group) for the forward pass and the input
// gradient and over groups for the filter gradient, whose lane sums run over
// samples, rows and columns in order: the bits do not depend on the number
// of workers. Positions of a buffer that are never written stay zero
// (every pack writes the same ones), so a worker clears its buffer once;
// positions that are packed but never read go to one "trash" vector past the
// read region.

// dwLanesFit reports whether the channels-in-lanes path should run for ch
// channels (output channels, or input channels for the input gradient) of
// geometry g: for at least 8 channels and buffers with int32 offsets, except
// on stride-1 output planes larger than maxPlane (0: no limit). Measured on
// MobileNetV3 and EfficientNet-B0 shapes (bench BenchmarkDepthwise,
// impl=reprise against impl=planes), the lane path is faster on every
// plane up to 56×56 and at stride 2, and on every plane for the input
// gradient; at 112×112 stride 1 the plane-at-a-time forward pass is faster
// (its filter gradient ties).
func dwLanesFit(g Geom2d, ch, maxPlane int) bool {
	switch dwLaneChoice {
	case dwLanesNever:
		return false
	case dwLanesAlways:
		return true
	}
	sh, sw := g.StrideH, g.StrideW
	fwd := sh * sw * (g.OH + (g.KH-1)*g.DilH/sh) * (g.OW + (g.KW-1)*g.DilW/sw)
	back := (g.H + (g.KH-1)*g.DilH) * (g.W + (g.KW-1)*g.DilW)
	if ch < 8 || max(fwd, back) >= 1<<26 {
		return false
	}
	return maxPlane == 0 || sh*sw > 1 || g.OH*g.OW <= maxPlane
}

// dwLanesMaxPlane is the largest stride-1 output plane (OH·OW) that the
// forward pass and the filter gradient take on the lane path.
const dwLanesMaxPlane = 64 * 64

const (
	dwLanesAuto = iota
	dwLanesNever
	dwLanesAlways
)

// dwLaneChoice overrides dwLanesFit, for tests (dwLanesAlways) and for
// benchmarks of the plane-at-a-time path (dwLanesNever, ForcePlanarDW).
var dwLaneChoice = dwLanesAuto

// ForcePlanarDW makes the fast depthwise path run its plane-at-a-time
// kernels even on the small planes where it runs the channels-in-lanes ones,
// and returns a function that restores the previous setting. It is for
// benchmarks only (it is not safe to call while kernels run).
func ForcePlanarDW(on bool) (restore func()) {
	old := dwLaneChoice
	dwLaneChoice = dwLanesAuto
	if on {
		dwLaneChoice = dwLanesNever
	}
	return func() { dwLaneChoice = old }
}

// dwLaneTables holds one call's read-only tables, shared by its workers;
// dwLanePool recycles them.
type dwLaneTables struct {
	offs     []int     // per tap, its float offset into the buffer
	fill, id []int32   // pack offsets: per input position, and the identity
	w, b     []float32 // weights [group][tap][8] and biases [group][8]
}

var dwLanePool = sync.Pool{New: func() any { return new(dwLaneTables) }}

func dwLaneGrow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// dwLaneLayout is the lane buffer of a geometry: sh·sw phase planes of hz
// rows of wz vectors (as dwPlan's), then the trash vector.
type dwLaneLayout struct {
	wz, hz, lp int
	size       int // floats
}

// dwLanePlan returns the lane layout of g and fills t.offs and t.fill.
func (t *dwLaneTables) plan(g Geom2d) dwLaneLayout {
	sh, sw := g.StrideH, g.StrideW
	var l dwLaneLayout
	l.wz = g.OW + (g.KW-1)*g.DilW/sw
	l.hz = g.OH + (g.KH-1)*g.DilH/sh
	l.lp = l.hz * l.wz
	trash := sh * sw * l.lp
	l.size = 8 * (trash + 1)
	t.offs = dwLaneGrow(t.offs, g.KH*g.KW)
	for ky := 0; ky < g.KH; ky++ {
		for kx := 0; kx < g.KW; kx++ {
			phase := (ky*g.DilH%sh)*sw + kx*g.DilW%sw
			t.offs[ky*g.KW+kx] = 8 * (phase*l.lp + ky*g.DilH/sh*l.wz + kx*g.DilW/sw)
		}
	}
	t.fill = dwLaneGrow(t.fill, g.H*g.W)
	for iy := 0; iy < g.H; iy++ {
		r := iy + g.PadT
		for ix := 0; ix < g.W; ix++ {
			cc := ix + g.PadL
			v := trash
			if r/sh < l.hz && cc/sw < l.wz {
				v = ((r%sh)*sw+cc%sw)*l.lp + r/sh*l.wz + cc/sw
			}
			t.fill[iy*g.W+ix] = int32(8 * v)
		}
	}
	return l
}

// dwLanePlanes sets the plane offsets of a group of nl lanes, lane i reading
// plane(min(i, nl-1)).
func dwLanePlanes(p *[8]int, nl int, plane func(i int) int) {
	for i := range p {
		p[i] = plane(min(i, nl-1))
	}
}

// dwConvLanes is DepthwiseConv2d on the lane path.
func dwConvLanes(g Geom2d, n, c, mult int, x, w, bias, y []float32) {
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	if ohw == 0 || n*o == 0 {
		return
	}
	ng := (o + 7) / 8
	t := dwLanePool.Get().(*dwLaneTables)
	defer dwLanePool.Put(t)
	l := t.plan(g)
	t.w = dwLaneGrow(t.w, ng*kk*8)
	t.b = dwLaneGrow(t.b, ng*8)
	wl, bl, offs, fill := t.w, t.b, t.offs, t.fill
	for oc := 0; oc < ng*8; oc++ {
		gi, lane := oc/8, oc%8
		for tap := 0; tap < kk; tap++ {
			var v float32
			if oc < o {
				v = w[oc*kk+tap]
			}
			wl[(gi*kk+tap)*8+lane] = v
		}
		bl[oc] = 0
		if oc < o && bias != nil {
			bl[oc] = bias[oc]
		}
	}
	ParallelFor(n*ng, convGrain(8*kk*ohw), func(lo, hi int) {
		s := dwPool.Get().(*dwScratch)
		defer dwPool.Put(s)
		s.a = dwGrow(s.a, l.size)
		s.b = dwGrow(s.b, 8*dwRoundUp(ohw, 8))
		buf, z := s.a, s.b
		clear(buf)
		for p := lo; p < hi; p++ {
			b, gi := p/ng, p%ng
			oc0 := gi * 8
			nl := min(8, o-oc0)
			var planes [8]int
			dwLanePlanes(&planes, nl, func(i int) int { return (b*c + (oc0+i)/mult) * hw })
			dwLanePack(buf, x, &planes, fill)
			dwLaneTaps(z, buf, offs, wl[gi*kk*8:(gi+1)*kk*8], (*[8]float32)(bl[gi*8:]), g.OH, g.OW, l.wz)
			yg := y[(b*o+oc0)*ohw:]
			if nl == 8 {
				dwLaneUnpack(yg[:8*ohw], ohw, z, ohw)
				continue
			}
			s.c = dwGrow(s.c, 8*ohw)
			dwLaneUnpack(s.c, ohw, z, ohw)
			copy(yg[:nl*ohw], s.c)
		}
	})
}

// dwBackInputLanes is DepthwiseConv2dBackwardInput on the lane path, as the
// stride-1 correlation of dwBackInputFast: per channel multiplier m, the
// output-gradient planes are spread into a plane of hu rows of wu vectors
// (the trash vector after it), and the input gradient sums mult·KH·KW taps
// over the mult planes.
func dwBackInputLanes(g Geom2d, n, c, mult int, gy, w, gx []float32) {
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	if hw == 0 || n*c == 0 {
		return
	}
	ng := (c + 7) / 8
	wu, hu := g.W+(g.KW-1)*g.DilW, g.H+(g.KH-1)*g.DilH
	lu := hu*wu + 1
	t := dwLanePool.Get().(*dwLaneTables)
	defer dwLanePool.Put(t)
	t.offs = dwLaneGrow(t.offs, mult*kk)
	for m := 0; m < mult; m++ {
		for ky := 0; ky < g.KH; ky++ {
			for kx := 0; kx < g.KW; kx++ {
				t.offs[(m*g.KH+ky)*g.KW+kx] = 8 * (m*lu + (g.KH-1-ky)*g.DilH*wu + (g.KW-1-kx)*g.DilW)
			}
		}
	}
	t.fill = dwLaneGrow(t.fill, ohw)
	for oy := 0; oy < g.OH; oy++ {
		r := oy*g.StrideH - g.PadT + (g.KH-1)*g.DilH
		for ox := 0; ox < g.OW; ox++ {
			cc := ox*g.StrideW - g.PadL + (g.KW-1)*g.DilW
			v := hu * wu
			if r >= 0 && r < hu && cc >= 0 && cc < wu {
				v = r*wu + cc
			}
			t.fill[oy*g.OW+ox] = int32(8 * v)
		}
	}
	t.w = dwLaneGrow(t.w, ng*mult*kk*8)
	wl, offs, fill := t.w, t.offs, t.fill
	for ci := 0; ci < ng*8; ci++ {
		gi, lane := ci/8, ci%8
		for i := 0; i < mult*kk; i++ {
			var v float32
			if ci < c {
				v = w[ci*mult*kk+i]
			}
			wl[(gi*mult*kk+i)*8+lane] = v
		}
	}
	ParallelFor(n*ng, convGrain(8*mult*kk*hw), func(lo, hi int) {
		s := dwPool.Get().(*dwScratch)
		defer dwPool.Put(s)
		s.a = dwGrow(s.a, 8*mult*lu)
		s.b = dwGrow(s.b, 8*dwRoundUp(hw, 8))
		buf, z := s.a, s.b
		clear(buf)
		var zero [8]float32
		for p := lo; p < hi; p++ {
			b, gi := p/ng, p%ng
			ci0 := gi * 8
			nl := min(8, c-ci0)
			for m := 0; m < mult; m++ {
				var planes [8]int
				dwLanePlanes(&planes, nl, func(i int) int { return (b*o + (ci0+i)*mult + m) * ohw })
				dwLanePack(buf[8*m*lu:8*(m+1)*lu], gy, &planes, fill)
			}
			dwLaneTaps(z, buf, offs, wl[gi*mult*kk*8:(gi+1)*mult*kk*8], &zero, g.H, g.W, wu)
			gxg := gx[(b*c+ci0)*hw:]
			if nl == 8 {
				dwLaneUnpackAdd(gxg[:8*hw], hw, z, hw)
				continue
			}
			s.c = dwGrow(s.c, 8*hw)
			dwLaneUnpack(s.c, hw, z, hw)
			for i, v := range s.c[:nl*hw] {
				gxg[i] += v
			}
		}
	})
}

// dwBackFilterLanes is DepthwiseConv2dBackwardFilter on the lane path: per
// group, the output gradient is packed densely and dwLaneDot adds its
// products with the packed input at each tap's offset, up to 8 taps per call.
func dwBackFilterLanes(g Geom2d, n, c, mult int, gy, x, gw []float32) {
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	if ohw == 0 || n*o == 0 {
		return
	}
	ng := (o + 7) / 8
	t := dwLanePool.Get().(*dwLaneTables)
	defer dwLanePool.Put(t)
	l := t.plan(g)
	t.id = dwLaneGrow(t.id, ohw)
	for i := range t.id {
		t.id[i] = int32(8 * i)
	}
	offs, fill, id := t.offs, t.fill, t.id
	nch := (kk + 7) / 8
	ParallelFor(ng, convGrain(n*8*kk*ohw), func(lo, hi int) {
		s := dwPool.Get().(*dwScratch)
		defer dwPool.Put(s)
		s.a = dwGrow(s.a, l.size)
		s.b = dwGrow(s.b, 8*ohw)
		s.c = dwGrow(s.c, 8*kk)
		buf, gyl, acc := s.a, s.b, s.c
		clear(buf)
		for gi := lo; gi < hi; gi++ {
			oc0 := gi * 8
			nl := min(8, o-oc0)
			clear(acc)
			for b := 0; b < n; b++ {
				var planes [8]int
				dwLanePlanes(&planes, nl, func(i int) int { return (b*c + (oc0+i)/mult) * hw })
				dwLanePack(buf, x, &planes, fill)
				dwLanePlanes(&planes, nl, func(i int) int { return (b*o + oc0 + i) * ohw })
				dwLanePack(gyl, gy, &planes, id)
				for ch := 0; ch < nch; ch++ {
					t0, t1 := ch*kk/nch, (ch+1)*kk/nch
					dwLaneDot(gyl, buf, offs[t0:t1], acc[8*t0:8*t1], g.OH, g.OW, l.wz)
				}
			}
			for lane := 0; lane < nl; lane++ {
				gwc := gw[(oc0+lane)*kk : (oc0+lane+1)*kk]
				for tap := range gwc {
					gwc[tap] += acc[8*tap+lane]
				}
			}
		}
	})
}

// dwLanePackGo is the plain-Go dwLanePack (see dw_lanes_amd64.go).
func dwLanePackGo(dst, src []float32, planes *[8]int, dstoff []int32) {
	for i, d := range dstoff {
		for l, p := range planes {
			dst[int(d)+l] = src[p+i]
		}
	}
}

// dwLaneUnpackGo is the plain-Go dwLaneUnpack.
func dwLaneUnpackGo(dst []float32, pitch int, src []float32, n int) {
	for l := 0; l < 8; l++ {
		d := dst[l*pitch : l*pitch+n]
		for i := range d {
			d[i] = src[8*i+l]
		}
	}
}

// dwLaneUnpackAddGo is the plain-Go dwLaneUnpackAdd.
func dwLaneUnpackAddGo(dst []float32, pitch int, src []float32, n int) {
	for l := 0; l < 8; l++ {
		d := dst[l*pitch : l*pitch+n]
		for i := range d {
			d[i] += src[8*i+l]
		}
	}
}

// dwLaneTapsGo is the plain-Go dwLaneTaps.
func dwLaneTapsGo(dst, src []float32, offs []int, wts []float32, bias *[8]float32, rows, cols, spitch int) {
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			d := dst[8*(r*cols+j):][:8]
			copy(d, bias[:])
			for t, off := range offs {
				s, wt := src[8*(r*spitch+j)+off:][:8], wts[8*t:][:8]
				for l := range d {
					d[l] += wt[l] * s[l]
				}
			}
		}
	}
}

// dwLaneDotGo is the plain-Go dwLaneDot.
func dwLaneDotGo(gy, src []float32, offs []int, out []float32, rows, cols, spitch int) {
	for t, off := range offs {
		acc := out[8*t:][:8]
		for r := 0; r < rows; r++ {
			for j := 0; j < cols; j++ {
				gv, s := gy[8*(r*cols+j):][:8], src[8*(r*spitch+j)+off:][:8]
				for l := range acc {
					acc[l] += gv[l] * s[l]
				}
			}
		}
	}
}
