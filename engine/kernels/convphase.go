package kernels

// The phased path of a stride-2 convolution (see phasedOK). Phase (a, b)
// of a plane is its pixels (2i+a, 2j+b), i < OH, j < OW (zero past the
// plane). Tap (ky, kx) reads, for output (oy, ox), pixel (2oy+ky-PadT,
// 2ox+kx-PadL) = (2(oy+qy)+a, 2(ox+qx)+b) where ky-PadT = 2qy+a: phase
// (a, b) shifted by (qy, qx). So the convolution is a stride-1 one over the
// phase planes, which take stackGeom's layout of OH×OW planes with shared
// zero padding as wide as the largest shift (one row and column for 3×3
// windows, two for ResNet's 7×7 stem; channel ci·np + phase): its taps
// are shifted rows of that layout (a gemmShift
// table), read in place as on the stacked path, and its product's columns
// are stackGeom's. The phases are gathered once per input value instead of
// once per tap, and the input gradient is one stride-1 product per phase
// (its taps against gy in the same layout), interleaved back once.
type phaseGeom struct {
	stk          stackGeom           // OH×OW planes, padT and padL the largest shifts
	np           int                 // the phases the taps use
	phase        [4]uint8            // those phases (a·2 + b), in increasing order
	taps         [4]uint8            // the number of taps of each
	tapP         [phaseMaxTaps]uint8 // per tap ky·KW+kx: the index of its phase
	tapQY, tapQX [phaseMaxTaps]int8  // and its shift
}

// phaseMaxTaps is the largest window the phased path takes: 7×7.
const phaseMaxTaps = 49

// phaseSplit returns the phase a and shift q of a tap offset d = 2q + a.
func phaseSplit(d int) (a, q int) {
	a = (d%2 + 2) % 2
	return a, (d - a) / 2
}

// phasePad is the shared padding of one axis of the layout: the largest
// shift of its taps either way, and at least 1.
func phasePad(k, pad int) int {
	_, lo := phaseSplit(-pad)
	_, hi := phaseSplit(k - 1 - pad)
	return max(1, -lo, hi)
}

// phasedOK reports whether the convolution takes the phased path:
// AVX-512 (the phases move by permutes and masked stores), stride 2, no
// dilation, a window of 2×1 to 7×7 with padding inside it (and, where
// taps reach past the output's pixel, output planes at least half the
// input's), a product not small enough for Sgemm's plain loop, and a
// layout that wastes at most a third of its columns. (A 1×1 window reads one phase unshifted: im2col's
// strided copy is that already.)
func (cv Conv) phasedOK() bool {
	g := cv.G
	if !avx512() || g.StrideH != 2 || g.StrideW != 2 || g.DilH != 1 || g.DilW != 1 || g.KH*g.KW <= 1 ||
		g.KH*g.KW > phaseMaxTaps || g.PadT >= g.KH || g.PadL >= g.KW ||
		g.H <= 0 || g.W <= 0 || g.OH <= 0 || g.OW <= 0 || cv.og*cv.ohw*cv.k <= gemmDirectMACs {
		return false
	}
	// Taps that reach past the output's pixel (shift q > 0) read phase rows
	// (columns) past OH (OW) at the last output, which the layout holds as
	// zeros: right only where those pixels are padding, 2·OH >= H (a 3×3
	// window without padding on an odd plane would read its last row there).
	_, qy := phaseSplit(g.KH - 1 - g.PadT)
	_, qx := phaseSplit(g.KW - 1 - g.PadL)
	if qy > 0 && 2*g.OH < g.H || qx > 0 && 2*g.OW < g.W {
		return false
	}
	py, px := phasePad(g.KH, g.PadT), phasePad(g.KW, g.PadL)
	return 3*(g.OH+py)*(g.OW+px) <= 4*g.OH*g.OW
}

func newPhaseGeom(g Geom2d) phaseGeom {
	py, px := phasePad(g.KH, g.PadT), phasePad(g.KW, g.PadL)
	ph := phaseGeom{stk: stackGeom{h: g.OH, w: g.OW, padT: py, padL: px, wp: g.OW + px, rs: g.OH + py}}
	var used [4]bool
	for ky := 0; ky < g.KH; ky++ {
		for kx := 0; kx < g.KW; kx++ {
			a, _ := phaseSplit(ky - g.PadT)
			b, _ := phaseSplit(kx - g.PadL)
			used[a*2+b] = true
		}
	}
	var idx [4]int
	for p := range used {
		if used[p] {
			idx[p] = ph.np
			ph.phase[ph.np] = uint8(p)
			ph.np++
		}
	}
	for ky := 0; ky < g.KH; ky++ {
		for kx := 0; kx < g.KW; kx++ {
			t := ky*g.KW + kx
			a, qy := phaseSplit(ky - g.PadT)
			b, qx := phaseSplit(kx - g.PadL)
			ph.tapP[t] = uint8(idx[a*2+b])
			ph.tapQY[t], ph.tapQX[t] = int8(qy), int8(qx)
			ph.taps[idx[a*2+b]]++
		}
	}
	return ph
}

// covers reports whether the phases' pixels are every pixel of an h×w
// plane (so that setting each phase's input gradient sets them all).
func (ph phaseGeom) covers(h, w int) bool {
	return ph.np == 4 && 2*ph.stk.h >= h && 2*ph.stk.w >= w
}

// fwdTab writes the offsets of the taps of cg channels (in the filters'
// order, channel by channel) in the layout of b samples.
func (ph phaseGeom) fwdTab(g Geom2d, cg, b int, tab []int) {
	s := ph.stk
	cl, kk := s.chanLen(b), g.KH*g.KW
	for ci := 0; ci < cg; ci++ {
		for t := 0; t < kk; t++ {
			tab[ci*kk+t] = (ci*ph.np+int(ph.tapP[t]))*cl + (s.padT+int(ph.tapQY[t]))*s.wp + s.padL + int(ph.tapQX[t])
		}
	}
}

// pad writes the phases of the c channels from c0 of samples [n0, n1) of
// x [N, ch, h, w] into dst in the layout: each pair of phases (a, 0) and
// (a, 1) split from the rows 2i+a by deintRows.
func (ph phaseGeom) pad(g Geom2d, x []float32, ch, c0, c, n0, n1 int, dst []float32) {
	s, b, hw := ph.stk, n1-n0, g.H*g.W
	cl := s.chanLen(b)
	var at [4]int // the index of phase a·2+b, or -1
	for p := range at {
		at[p] = -1
	}
	for p := 0; p < ph.np; p++ {
		at[ph.phase[p]] = p
	}
	n := min(g.W, 2*s.w) // the pixels of a row that phases keep
	for ci := 0; ci < c; ci++ {
		base := dst[ci*ph.np*cl : (ci+1)*ph.np*cl]
		for p := 0; p < ph.np; p++ { // margins and gaps
			d := base[p*cl : (p+1)*cl]
			clear(d[:s.padT*s.wp])
			for j := 0; j < b; j++ {
				off := (s.padT + j*s.rs + s.h) * s.wp
				clear(d[off : off+s.padT*s.wp])
			}
			clear(d[cl-s.padL:])
		}
		for j := 0; j < b; j++ {
			src := x[((n0+j)*ch+c0+ci)*hw : ((n0+j)*ch+c0+ci+1)*hw]
			row0 := (s.padT + j*s.rs) * s.wp // sample j's first row
			for a := 0; a < 2; a++ {
				pe, po := at[a*2], at[a*2+1]
				if pe < 0 && po < 0 {
					continue
				}
				ra := min(s.h, (g.H-a+1)/2) // rows of the phase inside the plane
				sh, cnt := 0, [2]int{(n + 1) / 2, n / 2}
				var de, do []float32
				if pe >= 0 {
					de = base[pe*cl+row0:]
				}
				if po >= 0 {
					do = base[po*cl+row0:]
				}
				if de == nil { // the odd phase alone: the evens of the row from 1
					de, do, sh, cnt = do, nil, 1, [2]int{n / 2, 0}
				}
				pl := s.padL // a row's leading zeros; deintRows writes the last
				if ra > 0 {
					var op *float32
					if do != nil {
						op = &do[pl]
					}
					deintRows(&de[pl], op, s.wp, &src[a*g.W+sh], 2*g.W, ra, n-sh)
				}
				for q, d := range [2][]float32{de, do} {
					if d == nil {
						continue
					}
					for i := 0; i < ra && pl > 1; i++ {
						clear(d[i*s.wp : i*s.wp+pl-1])
					}
					for i := 0; i < ra && cnt[q] < s.w; i++ { // a phase row past the plane's last column
						clear(d[i*s.wp+pl+cnt[q] : (i+1)*s.wp])
					}
					for i := ra; i < s.h; i++ { // phase rows past the plane's last row
						clear(d[i*s.wp : (i+1)*s.wp])
					}
				}
			}
		}
	}
}

// phaseFilters writes, per group and phase, the filters of its taps as the
// A of its input-gradient product: [C/G, O/G·taps], row ci, column
// o·taps + (the tap's rank among the phase's).
func (cv Conv) phaseFilters(w, dst []float32) {
	ph, kk := cv.ph, cv.G.KH*cv.G.KW
	for gi := 0; gi < cv.Groups; gi++ {
		base := gi * cv.og * cv.k
		for p := 0; p < ph.np; p++ {
			tp := int(ph.taps[p])
			blk := dst[base : base+cv.cg*cv.og*tp]
			base += cv.cg * cv.og * tp
			for ci := 0; ci < cv.cg; ci++ {
				for o := 0; o < cv.og; o++ {
					r := 0
					for t := 0; t < kk; t++ {
						if int(ph.tapP[t]) == p {
							blk[ci*cv.og*tp+o*tp+r] = w[((gi*cv.og+o)*cv.cg+ci)*kk+t]
							r++
						}
					}
				}
			}
		}
	}
}

// backwardInputPhasedRun is BackwardInput of run r on the phased path, in
// buf, given phaseFilters' af: per group, gy takes the layout (output
// planes), each phase's gradient is the product of its taps' filters with
// gy's rows at the opposite shifts, and the phases (a, 0) and (a, 1) are
// interleaved into the rows 2i+a of gx by intRows.
func (cv Conv) backwardInputPhasedRun(r int, buf []float32, parallel bool, gy, af, gx []float32, overwrite bool) {
	ph, kk, hw, g := cv.ph, cv.G.KH*cv.G.KW, cv.planeSize, cv.G
	n0, n1 := cv.runRange(r)
	s, b := ph.stk, n1-n0
	cl, n := s.chanLen(b), s.n(b)
	pad := buf[:cv.og*cl]
	sts := [2][]float32{buf[cv.og*cl : cv.og*cl+cv.cg*n], buf[cv.og*cl+cv.cg*n : cv.og*cl+2*cv.cg*n]}
	if overwrite && !ph.covers(g.H, g.W) {
		for j := n0; j < n1; j++ {
			clear(gx[j*cv.C*hw : (j+1)*cv.C*hw])
		}
	}
	var at, first [4]int // each phase's index (or -1), and its filters' offset in a group's
	for p := range at {
		at[p] = -1
	}
	for p, off := 0, 0; p < ph.np; p++ {
		at[ph.phase[p]], first[ph.phase[p]] = p, off
		off += cv.cg * cv.og * int(ph.taps[p])
	}
	nrow := min(g.W, 2*s.w) // the pixels of a row that phases reach
	ob := gemmBufs.get()
	defer gemmBufs.put(ob)
	tab := ob.growInts(cv.og * kk)
	for gi := 0; gi < cv.Groups; gi++ {
		s.pad(gy, cv.O, gi*cv.og, cv.og, n0, n1, pad)
		for a := 0; a < 2; a++ {
			var got [2]bool
			for q := 0; q < 2; q++ {
				p := at[a*2+q]
				if p < 0 {
					continue
				}
				tp := int(ph.taps[p])
				kb := cv.og * tp
				for o := 0; o < cv.og; o++ {
					rk := 0
					for t := 0; t < kk; t++ {
						if int(ph.tapP[t]) == p {
							tab[o*tp+rk] = o*cl + (s.padT-int(ph.tapQY[t]))*s.wp + s.padL - int(ph.tapQX[t])
							rk++
						}
					}
				}
				gemmRunShift(parallel, cv.cg, n, kb, 1, af[gi*cv.og*cv.k+first[a*2+q]:], kb, pad, gemmShift{kh: 1, kw: 1, tab: tab[:kb]}, 0, sts[q], n, nil)
				got[q] = true
			}
			ra := min(s.h, (g.H-a+1)/2) // rows 2i+a inside the plane
			if ra <= 0 || !got[0] && !got[1] {
				continue
			}
			for ci := 0; ci < cv.cg; ci++ {
				for j := 0; j < b; j++ {
					dst := gx[((n0+j)*cv.C+gi*cv.cg+ci)*hw+a*g.W:]
					o := ci*n + j*s.rs*s.wp
					switch {
					case got[0] && got[1]:
						intRows(&dst[0], 2*g.W, &sts[0][o], &sts[1][o], s.wp, ra, nrow, !overwrite)
					case got[0]:
						intRows(&dst[0], 2*g.W, &sts[0][o], nil, s.wp, ra, nrow, !overwrite)
					default: // the odd pixels alone: the evens of the row from 1
						intRows(&dst[1], 2*g.W, &sts[1][o], nil, s.wp, ra, nrow-1, !overwrite)
					}
				}
			}
		}
	}
}
