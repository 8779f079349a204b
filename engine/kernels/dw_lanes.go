package kernels

// The channels-in-lanes depthwise path is the fast path (useAsm) wherever
// dwLanesFit takes it. It is made for small planes (7×7, 14×14), where the
// plane-at-a-time kernels spend their time on per-row and per-plane overhead
// rather than on multiply-adds, and it measures faster on most larger ones
// too. Eight channels share one 8-lane vector: dwLanePack interleaves
// position i of eight planes into one vector of a buffer laid out like the
// phase buffer of dwPlan (one vector per position, zero padding, a phase
// plane per stride phase), so that a tap is one vector multiply-add per
// output position with a vector of the eight channels' weights; dwLaneTaps
// sums the taps row by row over the valid outputs only, and dwLaneUnpack
// de-interleaves the result into the eight output planes.
//
// Lane l of a group reads the plane of its own channel: for the forward
// pass and the filter gradient the lanes are output channels oc0..oc0+7, the
// input plane of oc being oc/mult (planes repeat when mult > 1); for the
// input gradient (see dwBackInputLanes) the lanes are input channels and the
// mult output-gradient planes of a channel go to mult buffers whose taps are
// summed together. A
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
// on output planes larger than maxPlane (0: no limit). Measured on the
// MobileNetV3-Large and EfficientNet-B0 shapes of bench BenchmarkDepthwise
// (impl=reprise against impl=planes, threads 1 and 2), the lane path is 2-5
// times faster on the 7×7 and 14×14 planes, 1.5-2 times on 28×28 and at
// least as fast on 56×56 and the 112×112 stride-2 layer, forward and
// backward; at 112×112 stride 1 the plane-at-a-time forward pass was faster
// in one run and tied in others, and its filter gradient ties, so those
// stay plane-at-a-time. The input gradient is faster on the lane path at
// every size.
func dwLanesFit(g Geom2d, ch, maxPlane int) bool {
	switch dwLaneChoice {
	case dwLanesNever:
		return false
	case dwLanesAlways:
		return true
	}
	sh, sw := g.StrideH, g.StrideW
	py, px := (g.KH-1)*g.DilH/sh, (g.KW-1)*g.DilW/sw
	fwd := sh * sw * (g.OH + py) * (g.OW + px)                                            // dwLaneTables.plan
	back := (py + max(g.OH, (g.H-1+g.PadT)/sh+1)) * (px + max(g.OW, (g.W-1+g.PadL)/sw+1)) // dwBackInputLanes
	if ch < 8 || max(fwd, back) >= 1<<26 {
		return false
	}
	return maxPlane == 0 || g.OH*g.OW <= maxPlane
}

// dwLanesMaxPlane is the largest output plane (OH·OW) that the forward pass
// and the filter gradient take on the lane path.
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
	offs     []int     // per tap, its float offset into the buffer (dwPlan's offsets on the fast path)
	perm, ph []int     // dwBackInputLanes: taps in phase order, phase starts
	fill, id []int32   // pack offsets: per input position, and the identity
	w, b     []float32 // weights [group][tap][8] and biases [group][8]
}

var dwLanePool gemmFreeList[dwLaneTables] // not emptied by the garbage collector

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

// plan returns the lane layout of g and fills t.offs and t.fill.
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

// dwLanePlanes sets the plane offsets of a group of nl lanes: lane i reads
// plane base + (i0+i)/div·step, the spare lanes i >= nl the plane of lane
// nl-1.
func dwLanePlanes(p *[8]int, nl, base, i0, div, step int) {
	for i := range p {
		p[i] = base + (i0+min(i, nl-1))/div*step
	}
}

// dwConvLanes is DepthwiseConv2d on the lane path.
func dwConvLanes(g Geom2d, n, c, mult int, x, w, bias, y []float32) {
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	if ohw == 0 || n*o == 0 {
		return
	}
	ng := (o + 7) / 8
	t := dwLanePool.get()
	defer dwLanePool.put(t)
	l := t.plan(g)
	t.w = dwLaneGrow(t.w, ng*kk*8)
	t.b = dwLaneGrow(t.b, ng*8)
	wl, bl, offs, fill := t.w, t.b, t.offs, t.fill
	dwLaneWeights(wl, w, o, kk)
	clear(bl)
	if bias != nil {
		copy(bl, bias[:o])
	}
	parallelJob(&dwConvLanesJobs, n*ng, convGrain(8*kk*ohw), &dwConvLanesJob{g: g, c: c, mult: mult, o: o, hw: hw, ohw: ohw, kk: kk, ng: ng, l: l, x: x, y: y, wl: wl, bl: bl, offs: offs, fill: fill})
}

// dwConvLanesJob is dwConvLanes's parallel step (a pooled job, no closure per call).
type dwConvLanesJob struct {
	g                           Geom2d
	c, mult, o, hw, ohw, kk, ng int
	l                           dwLaneLayout
	x, y, wl, bl                []float32
	offs                        []int
	fill                        []int32
}

var dwConvLanesJobs gemmFreeList[dwConvLanesJob]

func (j *dwConvLanesJob) run(lo, hi int) {
	g, c, mult, o, hw, ohw, kk, ng, l, x, y, wl, bl, offs, fill := j.g, j.c, j.mult, j.o, j.hw, j.ohw, j.kk, j.ng, j.l, j.x, j.y, j.wl, j.bl, j.offs, j.fill
	s := dwPool.get()
	defer dwPool.put(s)
	s.a = dwGrow(s.a, l.size)
	s.b = dwGrow(s.b, 8*dwRoundUp(ohw, 8))
	buf, z := s.a, s.b
	clear(buf)
	for p := lo; p < hi; p++ {
		b, gi := p/ng, p%ng
		oc0 := gi * 8
		nl := min(8, o-oc0)
		var planes [8]int
		dwLanePlanes(&planes, nl, b*c*hw, oc0, mult, hw)
		dwLanePack(buf, x, &planes, fill)
		dwLaneTaps(z, buf, offs, wl[gi*kk*8:(gi+1)*kk*8], (*[8]float32)(bl[gi*8:]), g.OH, g.OW, l.wz, g.OW, 1)
		yg := y[(b*o+oc0)*ohw:]
		if nl == 8 {
			dwLaneUnpack(yg[:8*ohw], ohw, z, ohw)
			continue
		}
		s.c = dwGrow(s.c, 8*ohw)
		dwLaneUnpack(s.c, ohw, z, ohw)
		copy(yg[:nl*ohw], s.c)
	}
}

// dwBackInputLanes is DepthwiseConv2dBackwardInput on the lane path, split
// by the phase of the input position so that no tap multiplies a zero. With
// iy+PadT = sh·u + a and ix+PadL = sw·v + b, the taps with ky·dh = a + sh·qy
// and kx·dw = b + sw·qx reach gx[iy, ix] from gy[u-qy, v-qx], and no other
// tap does: phase (a, b) of the input gradient is a stride-1 correlation of
// gy with those taps. Per channel multiplier m the output-gradient planes
// are packed into a plane G_m of hg rows of wg vectors with gy[oy, ox] at
// (oy+py, ox+px), zero around it; dwLaneTaps sums, phase by phase, the
// mult·(taps of the phase) products into the interleaved gradient z (rows
// sh apart, columns sw apart), which is then added to gx.
func dwBackInputLanes(g Geom2d, n, c, mult int, gy, w, gx []float32) {
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	if hw == 0 || n*c == 0 {
		return
	}
	sh, sw, dh, dw := g.StrideH, g.StrideW, g.DilH, g.DilW
	ng := (c + 7) / 8
	py, px := (g.KH-1)*dh/sh, (g.KW-1)*dw/sw
	hg := py + max(g.OH, (g.H-1+g.PadT)/sh+1)
	wg := px + max(g.OW, (g.W-1+g.PadL)/sw+1)
	lg := hg * wg
	t := dwLanePool.get()
	defer dwLanePool.put(t)
	// Taps in phase order: offs (and the weights, through perm) per phase
	// (a, b), phase p's taps at ph[p]..ph[p+1].
	t.offs = dwLaneGrow(t.offs, mult*kk)
	t.perm = dwLaneGrow(t.perm, mult*kk)
	t.ph = dwLaneGrow(t.ph, sh*sw+1)
	i := 0
	for a := 0; a < sh; a++ {
		for b := 0; b < sw; b++ {
			t.ph[a*sw+b] = i
			for m := 0; m < mult; m++ {
				for ky := 0; ky < g.KH; ky++ {
					for kx := 0; kx < g.KW; kx++ {
						if ky*dh%sh != a || kx*dw%sw != b {
							continue
						}
						qy, qx := ky*dh/sh, kx*dw/sw
						t.offs[i] = 8 * (m*lg + (py-qy)*wg + px - qx)
						t.perm[i] = m*kk + ky*g.KW + kx
						i++
					}
				}
			}
		}
	}
	t.ph[sh*sw] = i
	t.fill = dwLaneGrow(t.fill, ohw)
	for oy := 0; oy < g.OH; oy++ {
		for ox := 0; ox < g.OW; ox++ {
			t.fill[oy*g.OW+ox] = int32(8 * ((oy+py)*wg + ox + px))
		}
	}
	t.w = dwLaneGrow(t.w, ng*mult*kk*8)
	wl, offs, fill, ph := t.w, t.offs, t.fill, t.ph
	dwLaneWeightsPerm(wl, w, c, mult*kk, t.perm)
	parallelJob(&dwBackInputLanesJobs, n*ng, convGrain(8*mult*kk*hw/(sh*sw)), &dwBackInputLanesJob{g: g, c: c, mult: mult, o: o, hw: hw, ohw: ohw, kk: kk, ng: ng, lg: lg, wg: wg, sh: sh, sw: sw, gy: gy, gx: gx, wl: wl, offs: offs, ph: ph, fill: fill})
}

// dwBackInputLanesJob is dwBackInputLanes's parallel step (a pooled job, no closure per call).
type dwBackInputLanesJob struct {
	g                                           Geom2d
	c, mult, o, hw, ohw, kk, ng, lg, wg, sh, sw int
	gy, gx, wl                                  []float32
	offs, ph                                    []int
	fill                                        []int32
}

var dwBackInputLanesJobs gemmFreeList[dwBackInputLanesJob]

func (j *dwBackInputLanesJob) run(lo, hi int) {
	g, c, mult, o, hw, ohw, kk, ng, lg, wg, sh, sw, gy, gx, wl, offs, ph, fill := j.g, j.c, j.mult, j.o, j.hw, j.ohw, j.kk, j.ng, j.lg, j.wg, j.sh, j.sw, j.gy, j.gx, j.wl, j.offs, j.ph, j.fill
	s := dwPool.get()
	defer dwPool.put(s)
	s.a = dwGrow(s.a, 8*mult*lg)
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
			dwLanePlanes(&planes, nl, (b*o+m)*ohw, ci0, 1, mult*ohw)
			dwLanePack(buf[8*m*lg:8*(m+1)*lg], gy, &planes, fill)
		}
		wg0 := wl[gi*mult*kk*8 : (gi+1)*mult*kk*8]
		for a := 0; a < sh; a++ {
			u0 := (g.PadT - a + sh - 1) / sh
			iy0 := sh*u0 + a - g.PadT
			if iy0 >= g.H {
				continue
			}
			rows := (g.H-1-iy0)/sh + 1
			for bb := 0; bb < sw; bb++ {
				v0 := (g.PadL - bb + sw - 1) / sw
				ix0 := sw*v0 + bb - g.PadL
				if ix0 >= g.W {
					continue
				}
				cols := (g.W-1-ix0)/sw + 1
				t0, t1 := ph[a*sw+bb], ph[a*sw+bb+1]
				dwLaneTaps(z[8*(iy0*g.W+ix0):], buf[8*(u0*wg+v0):], offs[t0:t1], wg0[8*t0:8*t1], &zero, rows, cols, wg, sh*g.W, sw)
			}
		}
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
	t := dwLanePool.get()
	defer dwLanePool.put(t)
	l := t.plan(g)
	t.id = dwLaneGrow(t.id, ohw)
	for i := range t.id {
		t.id[i] = int32(8 * i)
	}
	offs, fill, id := t.offs, t.fill, t.id
	nch := (kk + 7) / 8
	parallelJob(&dwBackFilterLanesJobs, ng, convGrain(n*8*kk*ohw), &dwBackFilterLanesJob{g: g, n: n, c: c, mult: mult, o: o, hw: hw, ohw: ohw, kk: kk, nch: nch, l: l, gy: gy, x: x, gw: gw, offs: offs, fill: fill, id: id})
}

// dwBackFilterLanesJob is dwBackFilterLanes's parallel step (a pooled job, no closure per call).
type dwBackFilterLanesJob struct {
	g                               Geom2d
	n, c, mult, o, hw, ohw, kk, nch int
	l                               dwLaneLayout
	gy, x, gw                       []float32
	offs                            []int
	fill, id                        []int32
}

var dwBackFilterLanesJobs gemmFreeList[dwBackFilterLanesJob]

func (j *dwBackFilterLanesJob) run(lo, hi int) {
	g, n, c, mult, o, hw, ohw, kk, nch, l, gy, x, gw, offs, fill, id := j.g, j.n, j.c, j.mult, j.o, j.hw, j.ohw, j.kk, j.nch, j.l, j.gy, j.x, j.gw, j.offs, j.fill, j.id
	s := dwPool.get()
	defer dwPool.put(s)
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
			dwLanePlanes(&planes, nl, b*c*hw, oc0, mult, hw)
			dwLanePack(buf, x, &planes, fill)
			dwLanePlanes(&planes, nl, b*o*ohw, oc0, 1, ohw)
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
}

// dwLaneWeights sets wl[(gi·k+t)·8+l] = w[(8gi+l)·k+t] for the ch channels'
// filters w [ch, k], and 0 for the spare lanes of the last group.
func dwLaneWeights(wl, w []float32, ch, k int) {
	for c0 := 0; c0 < ch; c0 += 8 {
		g := wl[c0*k : (c0+8)*k]
		nl := min(8, ch-c0)
		if nl < 8 {
			clear(g)
		}
		for l := 0; l < nl; l++ {
			for t, v := range w[(c0+l)*k : (c0+l+1)*k] {
				g[8*t+l] = v
			}
		}
	}
}

// dwLaneWeightsPerm is dwLaneWeights with the taps reordered: tap t of wl
// is tap perm[t] of w.
func dwLaneWeightsPerm(wl, w []float32, ch, k int, perm []int) {
	for c0 := 0; c0 < ch; c0 += 8 {
		g := wl[c0*k : (c0+8)*k]
		nl := min(8, ch-c0)
		if nl < 8 {
			clear(g)
		}
		for l := 0; l < nl; l++ {
			wc := w[(c0+l)*k : (c0+l+1)*k]
			for t, pt := range perm {
				g[8*t+l] = wc[pt]
			}
		}
	}
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
func dwLaneTapsGo(dst, src []float32, offs []int, wts []float32, bias *[8]float32, rows, cols, spitch, dpitch, dstep int) {
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			d := dst[8*(r*dpitch+j*dstep):][:8]
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
