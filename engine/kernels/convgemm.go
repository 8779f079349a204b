package kernels

import (
	"fmt"
	"runtime"
)

// Conv is a grouped 2-D convolution computed as GEMMs: N samples
// x [N, C, H, W], filters w [O, C/Groups, KH, KW], outputs y [N, O, OH, OW].
// Group gi of a run of b consecutive samples is the product
//
//	y_gi [O/G, b·OH·OW] = w_gi [O/G, K] · cols_gi [K, b·OH·OW],  K = C/G·KH·KW,
//
// where cols holds Im2col of each sample's C/G input planes side by side
// (sample j in columns [j·OH·OW, (j+1)·OH·OW)). Large planes run one sample
// per product (b = 1), and a pointwise convolution (1×1, stride 1, no
// padding) then multiplies the planes directly. Small planes run Batch()
// samples per product, so that the GEMM has enough columns to fill its
// 32-wide tiles and to pay for packing w_gi once per run instead of once per
// sample; the outputs are staged in scratch and copied to y, and the input
// gradients are gathered there the same way. Every output element is the
// same sum over K either way (the GEMM's K blocks depend on K alone), so
// Forward and BackwardInput give the same bits for any run length.
//
// Most convolutions of the zoo never unfold, though. Their products read
// the input's taps in place, as shifted rows of a zero-padded layout (a
// gemmShift), and their filter gradients read them as the rows of A
// (gemmRowsA, see filterT):
//   - stride 1 with "same" padding: the planes of a run stacked with shared
//     padding (stackedOK);
//   - stride 2 with windows up to 3×3: the input's four phase planes in the
//     same layout, a stride-1 convolution over them (phasedOK, convphase.go);
//   - other stride-1 convolutions of large planes: each sample's planes
//     zero-padded (implicitOK).
//
// Their Forward gives im2col's bits; their input gradient is the flipped
// convolution (phased: one per phase), their filter gradient sums in another
// order; all depend on the shapes alone.
//
// A batch runs in parallel over runs of samples, each worker unfolding into
// its own slot of scratch and multiplying with SgemmSerial; a single run (or
// a batch whose unfolded columns would not fit the scratch cap) runs run by
// run with the GEMM parallel inside. Samples are independent and Sgemm
// does not depend on how it is split, so Forward and BackwardInput give the
// same bits either way. BackwardFilter sums over samples: it splits the
// runs into FilterSlots contiguous ranges, a number fixed by the shapes
// alone, sums each range in run order into its own partial (each run's
// samples in one GEMM, whose K = b·OH·OW), and adds the partials in range
// order, so its bits do not depend on GOMAXPROCS either.
type Conv struct {
	G                Geom2d
	N, C, O, Groups  int
	cg, og, k, ohw   int
	pointwise        bool
	planeSize        int
	nb, runs         int // samples per run (at most), runs
	colLen, stageLen int // per-slot floats of unfolded columns and staged outputs

	// The implicit path of Forward and BackwardInput (see implicitOK).
	implicit   bool
	fwd, bwd   shiftGeom // Forward's, and BackwardInput's as a forward convolution
	implicitLn int       // per-slot floats of the implicit path

	// The stacked path of all three passes (see stackedOK).
	stacked bool
	stk     stackGeom
	stackLn int // per-slot floats of Forward's and BackwardInput's stacked path

	// The phased path of all three passes (stride 2; see phasedOK).
	phased  bool
	ph      phaseGeom
	phaseLn int // per-slot floats of Forward's and BackwardInput's phased path
}

// stackGeom lays out the planes of a run of b samples for a stride-1
// convolution with "same" padding (padT = (KH-1)·DilH/2, padL likewise),
// per channel: padT zero rows, then each sample's h rows, each led by padL
// zeros, and padT zero rows after each sample; then padL zeros. Rows are
// wp = padL + w apart. A row's leading zeros are the left padding of its
// pixels and the right padding of the row before, and the zero rows after
// a sample its bottom padding and the top padding of the next, so that tap
// (ky, kx) of product column c = (j·rs + oy)·wp + ox (sample j, rs = h +
// padT) reads ci·chanLen(b) + ky·DilH·wp + kx·DilW + c of the layout: a
// shifted B (gemmShift). Columns with ox >= w, and the rows between
// samples, are junk: dropped from outputs, zero in a spread gradient.
type stackGeom struct {
	h, w, padT, padL, wp, rs int
}

// n is the number of product columns of a run of b samples.
func (s stackGeom) n(b int) int { return ((b-1)*s.rs+s.h-1)*s.wp + s.w }

// chanLen is the floats of one channel of the layout of b samples.
func (s stackGeom) chanLen(b int) int { return (s.padT+b*s.rs)*s.wp + s.padL }

// pad writes the c channels from c0 of samples [n0, n1) of t [N, ch, h, w]
// into dst in the layout.
func (s stackGeom) pad(t []float32, ch, c0, c, n0, n1 int, dst []float32) {
	b, hw := n1-n0, s.h*s.w
	cl := s.chanLen(b)
	for ci := 0; ci < c; ci++ {
		d := dst[ci*cl : (ci+1)*cl]
		off := s.padT * s.wp
		clear(d[:off])
		for j := 0; j < b; j++ {
			src := t[((n0+j)*ch+c0+ci)*hw : ((n0+j)*ch+c0+ci+1)*hw]
			if s.padL == 1 && avx512() { // the rows, each after its zero, in one call
				copyRows(&d[off+1], s.wp, &src[0], s.w, s.h, s.w, false, true)
				off += s.h * s.wp
			} else {
				for y := 0; y < s.h; y++ {
					clear(d[off : off+s.padL])
					copy(d[off+s.padL:off+s.wp], src[y*s.w:(y+1)*s.w])
					off += s.wp
				}
			}
			clear(d[off : off+s.padT*s.wp])
			off += s.padT * s.wp
		}
		clear(d[off : off+s.padL])
	}
}

// unpad copies (with add, adds) the m rows of a product st [m, n(b)] to the
// channels [m0, m0+m) of samples [n0, n1) of t [N, ch, h, w].
func (s stackGeom) unpad(st []float32, m int, t []float32, ch, m0, n0, n1 int, add bool) {
	b, hw := n1-n0, s.h*s.w
	n := s.n(b)
	for i := 0; i < m; i++ {
		row := st[i*n : (i+1)*n]
		for j := 0; j < b; j++ {
			d := t[((n0+j)*ch+m0+i)*hw : ((n0+j)*ch+m0+i+1)*hw]
			if avx512() {
				copyRows(&d[0], s.w, &row[j*s.rs*s.wp], s.wp, s.h, s.w, add, false)
				continue
			}
			for y := 0; y < s.h; y++ {
				src := row[(j*s.rs+y)*s.wp : (j*s.rs+y)*s.wp+s.w]
				if add {
					addTo(d[y*s.w:(y+1)*s.w], src)
				} else {
					copy(d[y*s.w:(y+1)*s.w], src)
				}
			}
		}
	}
}

// spread writes the channels [m0, m0+m) of samples [n0, n1) of t [N, ch, h,
// w] as the rows of a product dst [m, n(b)], zero in the junk columns:
// unpad's inverse.
func (s stackGeom) spread(t []float32, ch, m0, m, n0, n1 int, dst []float32) {
	b, hw := n1-n0, s.h*s.w
	n := s.n(b)
	for i := 0; i < m; i++ {
		row := dst[i*n : (i+1)*n]
		clear(row)
		for j := 0; j < b; j++ {
			src := t[((n0+j)*ch+m0+i)*hw : ((n0+j)*ch+m0+i+1)*hw]
			if avx512() {
				copyRows(&row[j*s.rs*s.wp], s.wp, &src[0], s.w, s.h, s.w, false, false)
				continue
			}
			for y := 0; y < s.h; y++ {
				copy(row[(j*s.rs+y)*s.wp:(j*s.rs+y)*s.wp+s.w], src[y*s.w:(y+1)*s.w])
			}
		}
	}
}

// shift is the gemmShift of c channels of the layout of b samples.
func (s stackGeom) shift(g Geom2d, b int) gemmShift {
	return gemmShift{kh: g.KH, kw: g.KW, plane: s.chanLen(b), dy: g.DilH * s.wp, dx: g.DilW}
}

// stackedOK reports whether all three passes take the stacked path: a
// stride-1 convolution with "same" padding (output planes the size of the
// input's, padding half the window's reach on each side) whose stacked
// layout wastes at most a third of its columns on junk, and whose product
// is not small enough for Sgemm's plain loop. The runs of samples are
// Batch()'s, as for im2col. Forward and BackwardInput then pack the GEMM's
// B straight from the layout (Forward the same sums, in the same order, as
// im2col; BackwardInput the flipped convolution), and BackwardFilter
// (with filterT) reads its A's rows there: nothing is unfolded, staged or
// folded back.
func (cv Conv) stackedOK() bool {
	g := cv.G
	return g.StrideH == 1 && g.StrideW == 1 && !cv.pointwise && g.H > 0 && g.W > 0 &&
		g.OH == g.H && g.OW == g.W && 2*g.PadT == (g.KH-1)*g.DilH && 2*g.PadL == (g.KW-1)*g.DilW &&
		3*(g.H+g.PadT)*(g.W+g.PadL) <= 4*g.H*g.W && cv.og*cv.ohw*cv.k > gemmDirectMACs
}

// shiftGeom is a stride-1 convolution over planes zero-padded to Hp×Wp
// (the input shifted by padT rows and padL columns): output (oy, ox) is
// column q = oy·Wp + ox of a product of n = (OH-1)·Wp + OW columns, whose
// columns ox >= OW are dropped.
type shiftGeom struct {
	h, w, padT, padL, hp, wp, oh, ow, n int
}

func newShiftGeom(h, w, padT, padL, oh, ow, kh, kw, dilH, dilW int) shiftGeom {
	hp, wp := oh+(kh-1)*dilH, ow+(kw-1)*dilW
	return shiftGeom{h: h, w: w, padT: padT, padL: padL, hp: hp, wp: wp, oh: oh, ow: ow, n: (oh-1)*wp + ow}
}

// pad writes c planes src [c, h, w] into dst [c, hp, wp], shifted and
// zero-padded.
func (s shiftGeom) pad(src []float32, c int, dst []float32) {
	for ci := 0; ci < c; ci++ {
		sp := src[ci*s.h*s.w : (ci+1)*s.h*s.w]
		for yp := 0; yp < s.hp; yp++ {
			d := dst[(ci*s.hp+yp)*s.wp : (ci*s.hp+yp+1)*s.wp]
			sy := yp - s.padT
			x0 := min(s.padL, s.wp)
			nx := min(s.w, s.wp-x0)
			if sy < 0 || sy >= s.h || nx <= 0 {
				clear(d)
				continue
			}
			clear(d[:x0])
			copy(d[x0:x0+nx], sp[sy*s.w:sy*s.w+nx])
			clear(d[x0+nx:])
		}
	}
}

// unpad copies (or with add, adds) the m output planes of a product st
// [m, n] (rows n apart) into dst [m, oh, ow].
func (s shiftGeom) unpad(st []float32, m int, dst []float32, add bool) {
	for i := 0; i < m; i++ {
		for oy := 0; oy < s.oh; oy++ {
			d := dst[(i*s.oh+oy)*s.ow : (i*s.oh+oy+1)*s.ow]
			src := st[i*s.n+oy*s.wp : i*s.n+oy*s.wp+s.ow]
			if add {
				addTo(d, src)
			} else {
				copy(d, src)
			}
		}
	}
}

// spread writes the m planes src [m, oh, ow] as the rows of a product
// dst [m, n] (rows wp apart within each plane), with zeros in the columns
// ox >= ow that the planes' padding adds: unpad's inverse.
func (s shiftGeom) spread(src []float32, m int, dst []float32) {
	for i := 0; i < m; i++ {
		for oy := 0; oy < s.oh; oy++ {
			d := dst[i*s.n+oy*s.wp:]
			copy(d[:s.ow], src[(i*s.oh+oy)*s.ow:(i*s.oh+oy+1)*s.ow])
			if oy < s.oh-1 {
				clear(d[s.ow:s.wp])
			}
		}
	}
}

// implicitOK reports whether Forward and BackwardInput take the implicit
// path: a stride-1 convolution over planes of at least convRunCols
// positions (one sample per product) whose padding is at most the window's
// reach (so that the input gradient is a convolution of gy with the
// flipped filters) and whose padded rows waste at most a quarter of the
// columns. That path packs the GEMM's B straight from the zero-padded
// planes (gemmRunShift), where im2col would write K·OH·OW values and read
// them back: Forward gives the same bits as im2col (the same products,
// summed in the same order); BackwardInput sums the taps in the flipped
// convolution's order.
func (cv Conv) implicitOK() bool {
	g := cv.G
	return g.StrideH == 1 && g.StrideW == 1 && !cv.pointwise && cv.nb == 1 && cv.ohw >= convRunCols &&
		g.H > 0 && g.W > 0 && g.PadT <= (g.KH-1)*g.DilH && g.PadL <= (g.KW-1)*g.DilW &&
		4*(g.OW+(g.KW-1)*g.DilW) <= 5*g.OW && 4*(g.W+(g.KW-1)*g.DilW) <= 5*g.W
}

// convScratchCap caps the floats of per-slot scratch a convolution asks for
// (64 MiB of float32).
const convScratchCap = 1 << 24

// convMaxSlots caps the number of parallel sample slots.
const convMaxSlots = 8

// convRunCols is the number of GEMM columns (samples × output positions) a
// run of samples aims for: four 6×32 tiles wide and more, so that packing
// a filter block is shared by at least 256 columns.
const convRunCols = 256

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
	cv.nb = 1
	// Runs of several samples only for planes narrower than a run, and
	// never for products small enough that Sgemm would take its plain
	// loop for one sample (whose bits differ from the packed path's).
	if cv.ohw > 0 && cv.ohw < convRunCols && cv.og*cv.ohw*cv.k > gemmDirectMACs {
		cv.nb = max(1, min(n, (convRunCols+cv.ohw-1)/cv.ohw, convScratchCap/((cv.k+cv.og)*cv.ohw)))
	}
	cv.runs = 1
	if n > 0 {
		cv.runs = (n + cv.nb - 1) / cv.nb
		cv.nb = (n + cv.runs - 1) / cv.runs // the longest of runs as equal as can be
	}
	if !cv.pointwise || cv.nb > 1 {
		cv.colLen = cv.k * cv.nb * cv.ohw
	}
	if cv.nb > 1 {
		cv.stageLen = cv.og * cv.nb * cv.ohw
	}
	if cv.stacked = cv.stackedOK(); cv.stacked {
		cv.stk = stackGeom{h: g.H, w: g.W, padT: g.PadT, padL: g.PadL, wp: g.PadL + g.W, rs: g.H + g.PadT}
		cl, n := cv.stk.chanLen(cv.nb), cv.stk.n(cv.nb)
		cv.stackLn = max(cv.cg*cl+cv.og*n, cv.og*cl+cv.cg*n)
	} else if cv.phased = cv.phasedOK(); cv.phased {
		cv.ph = newPhaseGeom(g)
		cl, n := cv.ph.stk.chanLen(cv.nb), cv.ph.stk.n(cv.nb)
		cv.phaseLn = max(cv.cg*cv.ph.np*cl+cv.og*n, cv.og*cl+2*cv.cg*n)
	} else if cv.implicit = cv.implicitOK(); cv.implicit {
		cv.fwd = newShiftGeom(g.H, g.W, g.PadT, g.PadL, g.OH, g.OW, g.KH, g.KW, g.DilH, g.DilW)
		cv.bwd = newShiftGeom(g.OH, g.OW, (g.KH-1)*g.DilH-g.PadT, (g.KW-1)*g.DilW-g.PadL, g.H, g.W, g.KH, g.KW, g.DilH, g.DilW)
		cv.implicitLn = max(cv.cg*cv.fwd.hp*cv.fwd.wp+cv.og*cv.fwd.n, cv.og*cv.bwd.hp*cv.bwd.wp+cv.cg*cv.bwd.n)
	}
	return cv
}

// slotLen is the floats of one slot of Forward's and BackwardInput's
// scratch.
func (cv Conv) slotLen() int {
	if cv.stacked {
		return cv.stackLn
	}
	if cv.phased {
		return cv.phaseLn
	}
	if cv.implicit {
		return cv.implicitLn
	}
	return cv.colLen + cv.stageLen
}

// Batch is the number of samples (at most) one GEMM of the convolution
// covers: 1 for large planes, more for small ones.
func (cv Conv) Batch() int { return cv.nb }

// slots is the number of per-run work slots of Forward and BackwardInput;
// 1 means run by run with a parallel GEMM.
func (cv Conv) slots() int {
	s := min(cv.runs, convMaxSlots, 2*runtime.GOMAXPROCS(0))
	if per := cv.slotLen(); per > 0 {
		s = min(s, max(1, convScratchCap/per))
	}
	return max(s, 1)
}

// FilterSlots is the number of ranges of runs BackwardFilter splits the
// batch into: min(runs, 8), fewer if their partials would pass the scratch
// cap. It depends on the shapes only.
func (cv Conv) FilterSlots() int {
	per := cv.colLen + cv.stageLen + cv.O*cv.k
	return max(1, min(cv.runs, convMaxSlots, convScratchCap/per))
}

// ScratchLen is the number of floats of scratch Forward and BackwardInput
// need (on the implicit path, the flipped filters too).
func (cv Conv) ScratchLen() int {
	n := cv.slots() * cv.slotLen()
	if cv.implicit || cv.stacked || cv.phased {
		n += cv.O * cv.k
	}
	return n
}

// FilterScratchLen is the number of floats of scratch BackwardFilter needs
// (room for the layouts of both of its paths; see filterT).
func (cv Conv) FilterScratchLen() int {
	return cv.FilterSlots() * cv.filterPer()
}

// filterPer is the floats of one slot of BackwardFilter's scratch: the
// unfolded columns and staged gy (or, on the implicit path, the padded
// planes of one sample and its gy spread to their rows), then the slot's
// partial gradient.
func (cv Conv) filterPer() int {
	n := cv.colLen + cv.stageLen
	if cv.implicit {
		n = max(n, cv.cg*cv.fwd.hp*cv.fwd.wp+cv.og*cv.fwd.n)
	}
	if cv.stacked {
		n = max(n, cv.cg*cv.stk.chanLen(cv.nb)+cv.og*cv.stk.n(cv.nb))
	}
	if cv.phased {
		n = max(n, cv.cg*cv.ph.np*cv.ph.stk.chanLen(cv.nb)+cv.og*cv.ph.stk.n(cv.nb))
	}
	return n + cv.O*cv.k
}

// filterT reports whether BackwardFilter computes each group's gradient
// transposed, gw_gᵀ [K, O/G] = cols_g · gy_gᵀ, with gemmRowsA reading the
// rows of cols in place: from the unfolded columns (never packed again),
// from the planes themselves (pointwise), or, on the implicit path, from
// the zero-padded planes at each tap's shift, so that nothing is unfolded
// at all. The padded rows' extra columns meet zeros in the spread gy. It
// takes AVX-512 and at most 64 filters per group (with 128, the packed
// product was as fast or faster on resnet18_r28's layers: B's packed
// micro-panels are reused by all of its 128 rows there), and at least 16
// (gemmKernel6x16A's columns) unless the alternative is to unfold the
// input, which costs more than the empty columns.
func (cv Conv) filterT() bool {
	return avx512() && cv.og <= 64 && (cv.og >= gemmNR || cv.implicit || cv.stacked || cv.phased)
}

func (cv Conv) checkLens(name string, x, y, w, scratch []float32, scratchLen int) {
	for _, c := range [...]struct {
		what string
		s    []float32
		n    int
	}{{"input", x, cv.N * cv.C * cv.planeSize}, {"output", y, cv.N * cv.O * cv.ohw}, {"filters", w, cv.O * cv.k}, {"scratch", scratch, scratchLen}} {
		if len(c.s) < c.n { // the name is only built on failure (no allocation per call)
			convCheckLen(name+" "+c.what, c.s, c.n)
		}
	}
}

// sampleRange returns the samples [lo, hi) of slot s of slots.
func sampleRange(n, slots, s int) (lo, hi int) {
	return n * s / slots, n * (s + 1) / slots
}

// runRange returns the samples [lo, hi) of run r.
func (cv Conv) runRange(r int) (lo, hi int) { return sampleRange(cv.N, cv.runs, r) }

// unfold writes the columns of group gi of samples [n0, n1) into col, whose
// rows are ld apart, sample j of the run in columns [j·OH·OW, (j+1)·OH·OW):
// Im2col of its planes, or the planes themselves for a pointwise
// convolution.
func (cv Conv) unfold(x []float32, gi, n0, n1 int, col []float32, ld int, parallel bool) {
	for n := n0; n < n1; n++ {
		xg := x[(n*cv.C+gi*cv.cg)*cv.planeSize:]
		dst := col[(n-n0)*cv.ohw:]
		switch {
		case cv.pointwise:
			for ci := 0; ci < cv.cg; ci++ {
				copy(dst[ci*ld:ci*ld+cv.ohw], xg[ci*cv.planeSize:])
			}
		case parallel && n1-n0 == 1:
			Im2col(cv.G, cv.cg, xg, col)
		default:
			im2colRows(cv.G, xg, dst, ld, 0, cv.k)
		}
	}
}

// stage copies the planes of group gi of samples [n0, n1) of t [N, O, OH,
// OW] into st [O/G, ld], sample j in columns [j·OH·OW, (j+1)·OH·OW), or
// (with back) copies them from st to t.
func (cv Conv) stage(t []float32, gi, n0, n1 int, st []float32, ld int, back bool) {
	for n := n0; n < n1; n++ {
		tg := t[(n*cv.O+gi*cv.og)*cv.ohw:]
		s := st[(n-n0)*cv.ohw:]
		for o := 0; o < cv.og; o++ {
			if back {
				copy(tg[o*cv.ohw:(o+1)*cv.ohw], s[o*ld:o*ld+cv.ohw])
			} else {
				copy(s[o*ld:o*ld+cv.ohw], tg[o*cv.ohw:(o+1)*cv.ohw])
			}
		}
	}
}

// convOp is the work of a convJob.
type convOp int

const (
	convForward convOp = iota
	convBackwardInput
	convBackwardInputImplicit
	convBackwardFilter
	convFilterSum
	convBackwardFilterT
	convFilterFold
	convFilterSumT
)

// convJob is one parallel step of a Conv method, run by parallelJob as a
// struct (a closure passed to ParallelFor would be allocated per call).
// The slot steps run slots of scratch, per floats each, over the runs of
// samples that sampleRange gives them.
type convJob struct {
	cv                        Conv
	op                        convOp
	x, w, bias, y, gy, gx, gw []float32
	scratch                   []float32
	overwrite                 bool
	slots, per                int
}

var convJobs gemmFreeList[convJob]

func (j *convJob) run(lo, hi int) {
	cv := j.cv
	switch j.op {
	case convFilterSum:
		for s := 0; s < j.slots; s++ {
			addTo(j.gw[lo:hi], j.scratch[s*j.per+lo:s*j.per+hi])
		}
		return
	case convFilterFold:
		for s := 1; s < j.slots; s++ {
			addTo(j.scratch[lo:hi], j.scratch[s*j.per+lo:s*j.per+hi])
		}
		return
	case convFilterSumT:
		j.cv.filterSumT(lo, hi, j.gw, j.scratch)
		return
	}
	for s := lo; s < hi; s++ {
		buf := j.scratch[s*j.per : (s+1)*j.per]
		rlo, rhi := sampleRange(cv.runs, j.slots, s)
		if j.op == convBackwardFilter {
			wl := cv.O * cv.k
			cv.filterRuns(rlo, rhi, buf[wl:], buf[:wl], true, false, j.gy, j.x)
			continue
		}
		if j.op == convBackwardFilterT {
			wl := cv.O * cv.k
			cv.filterRunsT(rlo, rhi, buf[wl:], buf[:wl], j.gy, j.x)
			continue
		}
		for r := rlo; r < rhi; r++ {
			j.runOne(r, buf, false)
		}
	}
}

// runOne runs the job's op for run r in buf (one slot of scratch).
func (j *convJob) runOne(r int, buf []float32, parallel bool) {
	switch j.op {
	case convForward:
		j.cv.forwardRun(r, buf, parallel, j.x, j.w, j.bias, j.y)
	case convBackwardInput:
		j.cv.backwardInputRun(r, buf, parallel, j.gy, j.w, j.gx, j.overwrite)
	case convBackwardInputImplicit:
		if j.cv.phased {
			j.cv.backwardInputPhasedRun(r, buf, parallel, j.gy, j.w, j.gx, j.overwrite)
			return
		}
		if j.cv.stacked {
			j.cv.backwardInputStackedRun(r, buf, parallel, j.gy, j.w, j.gx, j.overwrite)
			return
		}
		j.cv.backwardInputImplicitRun(r, buf, parallel, j.gy, j.w, j.gx, j.overwrite)
	}
}

// eachRun runs job for every run of samples, in parallel slots of scratch
// when there are several, else in order with parallel = true.
func (cv Conv) eachRun(scratch []float32, job *convJob) {
	slots := cv.slots()
	per := cv.slotLen()
	if slots == 1 {
		for r := 0; r < cv.runs; r++ {
			job.runOne(r, scratch[:per], true)
		}
		return
	}
	job.scratch, job.slots, job.per = scratch, slots, per
	parallelJob(&convJobs, slots, 1, job)
}

// Forward computes y = conv(x, w) + bias (bias [O] may be nil), overwriting
// y. scratch holds ScratchLen floats.
func (cv Conv) Forward(x, w, bias, y, scratch []float32) {
	cv.checkLens("Conv.Forward", x, y, w, scratch, cv.ScratchLen())
	if bias != nil {
		convCheckLen("Conv.Forward bias", bias, cv.O)
	}
	cv.eachRun(scratch, &convJob{cv: cv, op: convForward, x: x, w: w, bias: bias, y: y})
}

// forwardRun is Forward of run r, in buf.
func (cv Conv) forwardRun(r int, buf []float32, parallel bool, x, w, bias, y []float32) {
	n0, n1 := cv.runRange(r)
	ld := (n1 - n0) * cv.ohw
	var col, st []float32
	if !cv.implicit && !cv.stacked && !cv.phased {
		col, st = buf[:cv.colLen], buf[cv.colLen:]
	}
	for gi := 0; gi < cv.Groups; gi++ {
		var rb []float32
		if bias != nil {
			rb = bias[gi*cv.og : (gi+1)*cv.og]
		}
		wg := w[gi*cv.og*cv.k:]
		if cv.stacked {
			s, b := cv.stk, n1-n0
			pl, n := cv.cg*s.chanLen(b), s.n(b)
			pad, st := buf[:pl], buf[pl:pl+cv.og*n]
			s.pad(x, cv.C, gi*cv.cg, cv.cg, n0, n1, pad)
			gemmRunShift(parallel, cv.og, n, cv.k, 1, wg, cv.k, pad, s.shift(cv.G, b), 0, st, n, rb)
			s.unpad(st, cv.og, y, cv.O, gi*cv.og, n0, n1, false)
			continue
		}
		if cv.phased {
			ph, b := cv.ph, n1-n0
			pl, n := cv.cg*ph.np*ph.stk.chanLen(b), ph.stk.n(b)
			pad, st := buf[:pl], buf[pl:pl+cv.og*n]
			ph.pad(cv.G, x, cv.C, gi*cv.cg, cv.cg, n0, n1, pad)
			ob := gemmBufs.get()
			tab := ob.growInts(cv.k)
			ph.fwdTab(cv.G, cv.cg, b, tab)
			gemmRunShift(parallel, cv.og, n, cv.k, 1, wg, cv.k, pad, gemmShift{kh: 1, kw: 1, tab: tab}, 0, st, n, rb)
			gemmBufs.put(ob)
			ph.stk.unpad(st, cv.og, y, cv.O, gi*cv.og, n0, n1, false)
			continue
		}
		if cv.implicit {
			f := cv.fwd
			pad, st := buf[:cv.cg*f.hp*f.wp], buf[cv.cg*f.hp*f.wp:]
			f.pad(x[(n0*cv.C+gi*cv.cg)*cv.planeSize:], cv.cg, pad)
			sh := gemmShift{kh: cv.G.KH, kw: cv.G.KW, plane: f.hp * f.wp, dy: cv.G.DilH * f.wp, dx: cv.G.DilW}
			gemmRunShift(parallel, cv.og, f.n, cv.k, 1, wg, cv.k, pad, sh, 0, st, f.n, rb)
			f.unpad(st, cv.og, y[(n0*cv.O+gi*cv.og)*cv.ohw:], false)
			continue
		}
		if cv.nb == 1 {
			cols := x[(n0*cv.C+gi*cv.cg)*cv.planeSize:]
			if !cv.pointwise {
				cv.unfold(x, gi, n0, n1, col, ld, parallel)
				cols = col
			}
			gemmRun(parallel, false, false, cv.og, ld, cv.k, 1, wg, cv.k, cols, ld, 0, y[(n0*cv.O+gi*cv.og)*cv.ohw:], ld, rb, nil)
			continue
		}
		cv.unfold(x, gi, n0, n1, col, ld, parallel)
		gemmRun(parallel, false, false, cv.og, ld, cv.k, 1, wg, cv.k, col, ld, 0, st, ld, rb, nil)
		cv.stage(y, gi, n0, n1, st, ld, true)
	}
}

// BackwardInput adds to gx [N, C, H, W] the gradient of Forward with respect
// to x, given gy [N, O, OH, OW]; with overwrite it sets gx to it instead
// (gx's old contents are never read, and each sample's planes are cleared
// just before they are accumulated, while in cache). scratch holds
// ScratchLen floats.
func (cv Conv) BackwardInput(gy, w, gx, scratch []float32, overwrite bool) {
	cv.checkLens("Conv.BackwardInput", gx, gy, w, scratch, cv.ScratchLen())
	if cv.phased {
		cv.phaseFilters(w, scratch[:cv.O*cv.k])
		cv.eachRun(scratch[cv.O*cv.k:], &convJob{cv: cv, op: convBackwardInputImplicit, gy: gy, w: scratch[:cv.O*cv.k], gx: gx, overwrite: overwrite})
		return
	}
	if cv.implicit || cv.stacked {
		cv.backwardInputImplicit(gy, w, gx, scratch, overwrite)
		return
	}
	cv.eachRun(scratch, &convJob{cv: cv, op: convBackwardInput, gy: gy, w: w, gx: gx, overwrite: overwrite})
}

// backwardInputRun is BackwardInput of run r, in buf.
func (cv Conv) backwardInputRun(r int, buf []float32, parallel bool, gy, w, gx []float32, overwrite bool) {
	beta := float32(1)
	if overwrite {
		beta = 0
	}
	n0, n1 := cv.runRange(r)
	ld := (n1 - n0) * cv.ohw
	col, st := buf[:cv.colLen], buf[cv.colLen:]
	for gi := 0; gi < cv.Groups; gi++ {
		wg := w[gi*cv.og*cv.k:]
		gyg := gy[(n0*cv.O+gi*cv.og)*cv.ohw:]
		if cv.nb > 1 {
			cv.stage(gy, gi, n0, n1, st, ld, false)
			gyg = st
		}
		if cv.pointwise && cv.nb == 1 {
			// dx_g += w_gᵀ · gy_g (dx_g = with overwrite).
			gemmRun(parallel, true, false, cv.k, ld, cv.og, 1, wg, cv.k, gyg, ld, beta, gx[(n0*cv.C+gi*cv.cg)*cv.planeSize:], ld, nil, nil)
			continue
		}
		// dcols_g = w_gᵀ · gy_g, folded back onto dx.
		gemmRun(parallel, true, false, cv.k, ld, cv.og, 1, wg, cv.k, gyg, ld, 0, col, ld, nil, nil)
		for n := n0; n < n1; n++ {
			xoff := (n*cv.C + gi*cv.cg) * cv.planeSize
			src := col[(n-n0)*cv.ohw:]
			if cv.pointwise {
				for ci := 0; ci < cv.cg; ci++ {
					d := gx[xoff+ci*cv.planeSize : xoff+(ci+1)*cv.planeSize]
					if overwrite {
						copy(d, src[ci*ld:])
					} else {
						addTo(d, src[ci*ld:])
					}
				}
				continue
			}
			if overwrite {
				clear(gx[xoff : xoff+cv.cg*cv.planeSize])
			}
			if parallel && n1-n0 == 1 {
				Col2im(cv.G, cv.cg, col, gx[xoff:])
			} else {
				col2imPlanes(cv.G, src, ld, gx[xoff:], 0, cv.cg, true)
			}
		}
	}
}

// backwardInputImplicit is BackwardInput as the stride-1 convolution of gy,
// padded by the window's reach less the forward padding, with the filters
// flipped in both directions and transposed (wf [C/G, O/G·KH·KW] per
// group, made once at the front of scratch). On the stacked path that
// padding is the forward's, and gy takes the same layout as x.
func (cv Conv) backwardInputImplicit(gy, w, gx, scratch []float32, overwrite bool) {
	kk := cv.G.KH * cv.G.KW
	wf := scratch[:cv.O*cv.k]
	for gi := 0; gi < cv.Groups; gi++ {
		for o := 0; o < cv.og; o++ {
			for c := 0; c < cv.cg; c++ {
				src := w[((gi*cv.og+o)*cv.cg+c)*kk:]
				dst := wf[((gi*cv.cg+c)*cv.og+o)*kk:]
				for t := 0; t < kk; t++ {
					dst[kk-1-t] = src[t]
				}
			}
		}
	}
	cv.eachRun(scratch[cv.O*cv.k:], &convJob{cv: cv, op: convBackwardInputImplicit, gy: gy, w: wf, gx: gx, overwrite: overwrite})
}

// backwardInputStackedRun is backwardInputImplicit of run r on the stacked
// path, in buf, given the flipped filters wf.
func (cv Conv) backwardInputStackedRun(r int, buf []float32, parallel bool, gy, wf, gx []float32, overwrite bool) {
	kb := cv.og * cv.G.KH * cv.G.KW
	n0, n1 := cv.runRange(r)
	s, b := cv.stk, n1-n0
	pl, n := cv.og*s.chanLen(b), s.n(b)
	pad, st := buf[:pl], buf[pl:pl+cv.cg*n]
	for gi := 0; gi < cv.Groups; gi++ {
		s.pad(gy, cv.O, gi*cv.og, cv.og, n0, n1, pad)
		gemmRunShift(parallel, cv.cg, n, kb, 1, wf[gi*cv.cg*kb:], kb, pad, s.shift(cv.G, b), 0, st, n, nil)
		s.unpad(st, cv.cg, gx, cv.C, gi*cv.cg, n0, n1, !overwrite)
	}
}

// backwardInputImplicitRun is backwardInputImplicit of run r (one sample),
// in buf, given the flipped filters wf.
func (cv Conv) backwardInputImplicitRun(r int, buf []float32, parallel bool, gy, wf, gx []float32, overwrite bool) {
	g, b := cv.G, cv.bwd
	kb := cv.og * g.KH * g.KW
	sh := gemmShift{kh: g.KH, kw: g.KW, plane: b.hp * b.wp, dy: g.DilH * b.wp, dx: g.DilW}
	n0, _ := cv.runRange(r)
	pad, st := buf[:cv.og*b.hp*b.wp], buf[cv.og*b.hp*b.wp:]
	for gi := 0; gi < cv.Groups; gi++ {
		b.pad(gy[(n0*cv.O+gi*cv.og)*cv.ohw:], cv.og, pad)
		gemmRunShift(parallel, cv.cg, b.n, kb, 1, wf[gi*cv.cg*kb:], kb, pad, sh, 0, st, b.n, nil)
		b.unpad(st, cv.cg, gx[(n0*cv.C+gi*cv.cg)*cv.planeSize:], !overwrite)
	}
}

// BackwardFilter adds to gw [O, C/G, KH, KW] the gradient of Forward with
// respect to w, given gy and x: the sum over runs of gy_{run,g} · cols_{run,g}ᵀ,
// in the order the type's comment gives. scratch holds FilterScratchLen
// floats.
func (cv Conv) BackwardFilter(gy, x, gw, scratch []float32) {
	cv.checkLens("Conv.BackwardFilter", x, gy, gw, scratch, cv.FilterScratchLen())
	slots := cv.FilterSlots()
	if cv.filterT() {
		per := cv.filterPer()
		parallelJob(&convJobs, slots, 1, &convJob{cv: cv, op: convBackwardFilterT, gy: gy, x: x, scratch: scratch, slots: slots, per: per})
		// The partials of slots 1.. are added into slot 0's in slot order,
		// then it is added to gw, transposed.
		wl := cv.O * cv.k
		if slots > 1 {
			parallelJob(&convJobs, wl, 4096, &convJob{cv: cv, op: convFilterFold, scratch: scratch, slots: slots, per: per})
		}
		blocks := cv.Groups * ((cv.og + gemmNR - 1) / gemmNR)
		parallelJob(&convJobs, blocks, max(1, 256/cv.k), &convJob{cv: cv, op: convFilterSumT, gw: gw, scratch: scratch[:wl]})
		return
	}
	if slots == 1 {
		cv.filterRuns(0, cv.runs, scratch, gw, false, true, gy, x)
		return
	}
	wl := cv.O * cv.k
	per := cv.colLen + cv.stageLen + wl
	parallelJob(&convJobs, slots, 1, &convJob{cv: cv, op: convBackwardFilter, gy: gy, x: x, scratch: scratch, slots: slots, per: per})
	parallelJob(&convJobs, wl, 4096, &convJob{cv: cv, op: convFilterSum, gw: gw, scratch: scratch, slots: slots, per: per})
}

// filterRuns adds the filter gradient of the runs [rlo, rhi) into dst
// (beta 1) or, with first, overwrites dst with them, in buf.
func (cv Conv) filterRuns(rlo, rhi int, buf, dst []float32, first, parallel bool, gy, x []float32) {
	col, st := buf[:cv.colLen], buf[cv.colLen:]
	for r := rlo; r < rhi; r++ {
		n0, n1 := cv.runRange(r)
		ld := (n1 - n0) * cv.ohw
		beta := float32(1)
		if first && r == rlo {
			beta = 0
		}
		for gi := 0; gi < cv.Groups; gi++ {
			gyg := gy[(n0*cv.O+gi*cv.og)*cv.ohw:]
			if cv.nb > 1 {
				cv.stage(gy, gi, n0, n1, st, ld, false)
				gyg = st
			}
			cols := x[(n0*cv.C+gi*cv.cg)*cv.planeSize:]
			if cv.colLen > 0 {
				cv.unfold(x, gi, n0, n1, col, ld, parallel)
				cols = col
			}
			gemmRun(parallel, false, true, cv.og, cv.k, ld, 1, gyg, ld, cols, ld, beta, dst[gi*cv.og*cv.k:], cv.k, nil, nil)
		}
	}
}

// filterRunsT writes the transposed filter gradient of the runs [rlo,
// rhi) into dst (per group [K, O/G]), in buf (see filterT).
func (cv Conv) filterRunsT(rlo, rhi int, buf, dst []float32, gy, x []float32) {
	ob := gemmBufs.get()
	defer gemmBufs.put(ob)
	aoff := ob.growInts(cv.k)
	f := cv.fwd
	for r := rlo; r < rhi; r++ {
		n0, n1 := cv.runRange(r)
		ld := (n1 - n0) * cv.ohw
		beta := float32(1)
		if r == rlo {
			beta = 0
		}
		for gi := 0; gi < cv.Groups; gi++ {
			dg := dst[gi*cv.og*cv.k : (gi+1)*cv.og*cv.k]
			if cv.phased {
				// The taps of the phase planes' layout are the rows.
				ph, b := cv.ph, n1-n0
				pl, n := cv.cg*ph.np*ph.stk.chanLen(b), ph.stk.n(b)
				pad, gs := buf[:pl], buf[pl:pl+cv.og*n]
				ph.pad(cv.G, x, cv.C, gi*cv.cg, cv.cg, n0, n1, pad)
				ph.stk.spread(gy, cv.O, gi*cv.og, cv.og, n0, n1, gs)
				ph.fwdTab(cv.G, cv.cg, b, aoff)
				gemmRowsA(cv.k, cv.og, n, pad, aoff, gs, n, beta, dg, cv.og)
				continue
			}
			if cv.stacked {
				// The taps of the stacked layout are the rows.
				s, b := cv.stk, n1-n0
				pl, n := cv.cg*s.chanLen(b), s.n(b)
				pad, gs := buf[:pl], buf[pl:pl+cv.og*n]
				s.pad(x, cv.C, gi*cv.cg, cv.cg, n0, n1, pad)
				s.spread(gy, cv.O, gi*cv.og, cv.og, n0, n1, gs)
				sh := s.shift(cv.G, b)
				for kk := range aoff {
					aoff[kk] = sh.off(kk)
				}
				gemmRowsA(cv.k, cv.og, n, pad, aoff, gs, n, beta, dg, cv.og)
				continue
			}
			if cv.implicit {
				// One sample: the taps of its padded planes are the rows.
				pl := cv.cg * f.hp * f.wp
				pad, gs := buf[:pl], buf[pl:pl+cv.og*f.n]
				f.pad(x[(n0*cv.C+gi*cv.cg)*cv.planeSize:], cv.cg, pad)
				f.spread(gy[(n0*cv.O+gi*cv.og)*cv.ohw:], cv.og, gs)
				sh := gemmShift{kh: cv.G.KH, kw: cv.G.KW, plane: f.hp * f.wp, dy: cv.G.DilH * f.wp, dx: cv.G.DilW}
				for kk := range aoff {
					aoff[kk] = sh.off(kk)
				}
				gemmRowsA(cv.k, cv.og, f.n, pad, aoff, gs, f.n, beta, dg, cv.og)
				continue
			}
			col, st := buf[:cv.colLen], buf[cv.colLen:cv.colLen+cv.stageLen]
			gyg := gy[(n0*cv.O+gi*cv.og)*cv.ohw:]
			if cv.nb > 1 {
				cv.stage(gy, gi, n0, n1, st, ld, false)
				gyg = st
			}
			a, step := x[(n0*cv.C+gi*cv.cg)*cv.planeSize:], cv.planeSize
			if cv.colLen > 0 {
				cv.unfold(x, gi, n0, n1, col, ld, false)
				a, step = col, ld
			}
			for kk := range aoff {
				aoff[kk] = kk * step
			}
			gemmRowsA(cv.k, cv.og, ld, a, aoff, gyg, ld, beta, dg, cv.og)
		}
	}
}

// filterSumT adds to gw the transposed partial of slot 0 (into which
// filterFold has added the others), for the blocks [lo, hi) of up to 16
// filters of a group (blocks do not cross groups): per tap, 16 filters'
// values side by side in the partial's row, written to 16 rows of gw that
// stay in cache along the taps.
func (cv Conv) filterSumT(lo, hi int, gw, p []float32) {
	bpg := (cv.og + gemmNR - 1) / gemmNR // blocks per group
	for b := lo; b < hi; b++ {
		gi, o0 := b/bpg, b%bpg*gemmNR
		o1 := min(o0+gemmNR, cv.og)
		g := gw[gi*cv.og*cv.k : (gi+1)*cv.og*cv.k]
		pg := p[gi*cv.og*cv.k : (gi+1)*cv.og*cv.k]
		for kk := 0; kk < cv.k; kk++ {
			row := pg[kk*cv.og+o0 : kk*cv.og+o1]
			for i, v := range row {
				g[(o0+i)*cv.k+kk] += v
			}
		}
	}
}

// BiasGrad adds to gb [c] the sums of gy [n, c, s] over samples and the s
// positions of each plane: per channel, the planes' sums added in sample
// order.
func BiasGrad(n, c, s int, gy, gb []float32) {
	convCheckLen("BiasGrad gy", gy, n*c*s)
	convCheckLen("BiasGrad gb", gb, c)
	parallelJob(&biasGradJobs, c, convGrain(n*s), &biasGradJob{n: n, c: c, s: s, gy: gy, gb: gb})
}

// biasGradJob is one BiasGrad call, over channels.
type biasGradJob struct {
	n, c, s int
	gy, gb  []float32
}

var biasGradJobs gemmFreeList[biasGradJob]

func (j *biasGradJob) run(lo, hi int) {
	for ch := lo; ch < hi; ch++ {
		for i := 0; i < j.n; i++ {
			p := j.gy[(i*j.c+ch)*j.s : (i*j.c+ch+1)*j.s]
			var sum float32
			for _, v := range p {
				sum += v
			}
			j.gb[ch] += sum
		}
	}
}
