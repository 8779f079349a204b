package kernels

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Sgemm is a Goto/BLIS-style packed GEMM. For each NC-column panel of C and
// each KC-deep slice of the sum, op(A)'s MC×KC row blocks are packed into
// MR-row micro-panels (KC·MR contiguous values each) and op(B)'s KC×NC panel
// into NR-column micro-panels (KC·NR contiguous values); an MR×NR
// micro-kernel then runs down the A block for each B micro-panel, which
// stays in L1 while the A block streams from L2. The first row block packs
// op(B) just before using it (a micro-panel at a time when B is transposed,
// eight at a time, row by row, when it is not), so that it is still in
// cache, while the source of the next ones is prefetched along the tiles;
// later row blocks reuse the packed panel. Transposes are handled by the packing (AVX 8×8
// transposes), which is the only copy made. Edge tiles run loops over their
// rows (and 8 columns when they have at most 8) only, and store through
// masks. Block sizes for Zen 3 (L1d 32 KiB, L2 512 KiB per core, L3 32 MiB
// shared), in float32 values:
//
//   - MR×NR = 6×16: twelve YMM accumulators, two YMM loads of B and six
//     broadcasts of A for twelve FMAs per k step (the BLIS Haswell/Zen shape;
//     4×24 and 8×8 need more loads per FMA).
//   - KC = 256: one B micro-panel is KC·NR·4 = 16 KiB, half of L1d, leaving
//     room for the A micro-panel (6 KiB) streaming through and for C.
//     (KC = 192..512 measured within noise of each other.)
//   - MC = 198 (33 micro-panels): the packed A block is at most
//     MC·KC·4 = 198 KiB, well inside L2 next to the B panel passing through;
//     ViT's 196 tokens then make one block (MC = 144 cost the 196-row
//     products a second pass over the packed B panel).
//   - NC = 4080: the packed B panel is at most KC·NC·4 ≈ 4 MiB, in L3;
//     every n up to 4080 packs op(B) once per K block.
//
// The K, M and N ranges are cut into equal blocks of at most KC, MC and NC
// (rounded up to MR and NR for M and N); the K blocks depend on k alone. The
// micro-kernel keeps one accumulator per element of C and sums its KC-deep
// slice in order; each K block then stores C = alpha·acc + beta'·C with
// beta' = beta for the first block and 1 after, and the fused biases are
// added by the last block's store. Products of at most gemmDirectMACs
// multiply-adds skip the packing and run the plain loop. Work is split
// across goroutines over disjoint row or column ranges of C only, so every
// element is computed by the same operations whatever GOMAXPROCS is.
const (
	gemmMR = 6
	gemmNR = 16
	gemmKC = 256
	gemmMC = 198
	gemmNC = 4080

	// gemmParallelMACs is the work (m·n·k) up to which Sgemm stays on the
	// calling goroutine (64³): waking a helper costs about a microsecond,
	// and a second core pays only on longer products.
	gemmParallelMACs = 1 << 18
	// gemmPartMACs is the least work worth a part of its own.
	gemmPartMACs = 1 << 17
	// gemmDirectMACs is the work up to which Sgemm runs its plain loop:
	// below it, packing costs more than it saves (measured: 4³ runs in a
	// third of the packed path's time, 8³ in twice).
	gemmDirectMACs = 128
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major matrices, where
// op(A) is m×k (A is m×k, or k×m when transA) and op(B) is k×n (B is k×n, or
// n×k when transB). It equals this loop up to float32 rounding:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += A(i,p) * B(p,j)
//			}
//			C[i*ldc+j] = alpha*s + beta*C[i*ldc+j]
//		}
//	}
//
// The sum over p is taken in order within blocks of at most 256 (gemmKC)
// consecutive p, each block's sum s_b starting from zero (with fused
// multiply-adds on the AVX2 path, except for products of at most 128
// multiply-adds, which run the loop above), and the blocks are folded into C
// in order: C = alpha*s_0 + beta*C, then C = alpha*s_b + C for each later
// block, each operation rounded to float32. The result does not depend on
// GOMAXPROCS. When beta is 0, C is overwritten
// (NaNs in C do not propagate). Large products run in parallel over disjoint
// parts of C.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmRun(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil, nil)
}

// SgemmSerial is Sgemm on the calling goroutine only: the same computation,
// bit for bit. It is for callers that already run in parallel (attention
// runs it per head from its own parallel loop).
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmRun(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil, nil)
}

// SgemmBias is Sgemm followed by the addition of a per-row bias rowBias[i]
// (len m; nil for none: a convolution's per-output-channel bias) and a
// per-column bias colBias[j] (len n; nil for none: a linear layer's bias),
// fused into the micro-kernel's last store so that C is not read again:
//
//	C[i*ldc+j] = (Sgemm's C[i*ldc+j] + rowBias[i]) + colBias[j]
//
// in that order, bit for bit the same as Sgemm followed by those two
// float32 additions.
func SgemmBias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, rowBias, colBias []float32) {
	if rowBias != nil && len(rowBias) < m {
		panic(fmt.Sprintf("kernels: SgemmBias: rowBias of %d values, need %d", len(rowBias), m))
	}
	if colBias != nil && len(colBias) < n {
		panic(fmt.Sprintf("kernels: SgemmBias: colBias of %d values, need %d", len(colBias), n))
	}
	gemmRun(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, rowBias, colBias)
}

// Act is an activation SgemmBiasAct applies in its epilogue.
type Act int

// The activations of SgemmBiasAct; each is the map of the function of the
// same name (ActGELU is GELU, and so on).
const (
	ActNone Act = iota
	ActReLU
	ActGELU
	ActGELUTanh
	ActSiLU
	ActHardSwish
)

// rows returns the act's map on the calling goroutine (nil for ActNone).
func (a Act) rows() func(d, x []float32) {
	switch a {
	case ActNone:
		return nil
	case ActReLU:
		return reluRows
	case ActGELU:
		return geluRows
	case ActGELUTanh:
		return geluTanhRows
	case ActSiLU:
		return siluRows
	case ActHardSwish:
		return hardSwishRows
	}
	panic(fmt.Sprintf("kernels: unknown activation %d", int(a)))
}

// Apply sets dst = act(x) elementwise, in parallel: the function of the
// same name (ActNone copies).
func (a Act) Apply(dst, x []float32) {
	f := a.rows()
	if f == nil {
		copy(dst, x)
		return
	}
	elementwiseMap("Act.Apply", dst, x, f)
}

// SgemmBiasAct is SgemmBias followed by the activation act over C, applied
// to each block of C right after its last store, while the block is still
// in cache, instead of in a pass of its own. The result is bit for bit
// SgemmBias followed by act.Apply(C, C).
func SgemmBiasAct(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, rowBias, colBias []float32, act Act) {
	f := act.rows()
	if rowBias != nil && len(rowBias) < m {
		panic(fmt.Sprintf("kernels: SgemmBiasAct: rowBias of %d values, need %d", len(rowBias), m))
	}
	if colBias != nil && len(colBias) < n {
		panic(fmt.Sprintf("kernels: SgemmBiasAct: colBias of %d values, need %d", len(colBias), n))
	}
	gemmRunAct(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, rowBias, colBias, f)
}

// gemmActGroup is how many micro-panels of a row block are stored before
// SgemmBiasAct's activation runs over them (198 rows × 128 columns, 100 KiB,
// stay in L2).
const gemmActGroup = 8

// gemmJob is one GEMM call, split into parts of C that run independently.
type gemmJob struct {
	transA, transB   bool
	m, n, k          int
	alpha, beta      float32
	a, b, c          []float32
	lda, ldb, ldc    int
	rowBias, colBias []float32
	act              func(dst, x []float32) // SgemmBiasAct's activation, or nil
	shift            gemmShift              // where B's rows are, when shifted
	shifted          bool

	splitM bool // parts are row ranges (else column ranges)
	part   int  // rows or columns per part, a multiple of MR or NR
}

var (
	gemmJobs gemmFreeList[gemmJob]
	gemmBufs gemmFreeList[gemmBuf]
)

func gemmRun(parallel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, rowBias, colBias []float32) {
	gemmRunAct(parallel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, rowBias, colBias, nil)
}

func gemmRunAct(parallel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, rowBias, colBias []float32, act func(dst, x []float32)) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkMat("Sgemm C", c, m, n, ldc)
	if transA {
		checkMat("Sgemm A", a, k, m, lda)
	} else {
		checkMat("Sgemm A", a, m, k, lda)
	}
	if transB {
		checkMat("Sgemm B", b, n, k, ldb)
	} else {
		checkMat("Sgemm B", b, k, n, ldb)
	}
	if k == 0 || m*n*k <= gemmDirectMACs {
		if k == 0 {
			gemmScaleC(m, n, alpha, beta, c, ldc, rowBias, colBias)
		} else {
			gemmDirect(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, rowBias, colBias)
		}
		if act != nil {
			for i := 0; i < m; i++ {
				act(c[i*ldc:i*ldc+n], c[i*ldc:i*ldc+n])
			}
		}
		return
	}
	gemmDispatch(parallel, gemmJob{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, rowBias: rowBias, colBias: colBias, act: act})
}

// gemmShift describes a B (k×n, not transposed) whose rows are not ld apart
// but at the taps of a stride-1 convolution over padded planes: row
// r = (ci·kh + ky)·kw + kx starts at b[ci·plane + ky·dy + kx·dx]. Packing
// reads the rows from there, so the unfolded columns are never written out.
//
// With tab set, row r starts at b[tab[r]] instead (any placement, such as
// the taps of a strided convolution over phase planes).
type gemmShift struct {
	kh, kw, plane, dy, dx int
	tab                   []int
}

func (s gemmShift) off(r int) int {
	if s.tab != nil {
		return s.tab[r]
	}
	return r/(s.kw*s.kh)*s.plane + r/s.kw%s.kh*s.dy + r%s.kw*s.dx
}

// gemmRunShift is gemmRun with B's rows placed by sh (not transposed, no
// column bias): the same sums, in the same order, as Sgemm of the matrix
// whose row r is b[sh.off(r) : sh.off(r)+n], always on the packed path
// (Conv calls it for products of at least 256 columns only).
func gemmRunShift(parallel bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, sh gemmShift, beta float32, c []float32, ldc int, rowBias []float32) {
	if m <= 0 || n <= 0 || k <= 0 {
		panic(fmt.Sprintf("kernels: gemmRunShift: m=%d n=%d k=%d: need all > 0", m, n, k))
	}
	checkMat("Sgemm C", c, m, n, ldc)
	checkMat("Sgemm A", a, m, k, lda)
	rows := [2]int{0, k - 1} // without a table, the offsets grow with r
	for i := range k {
		r := i
		if sh.tab == nil {
			if i >= 2 {
				break
			}
			r = rows[i]
		}
		if o := sh.off(r); o < 0 || o+n > len(b) {
			panic(fmt.Sprintf("kernels: gemmRunShift: B row %d at %d..%d outside its %d values", r, o, o+n, len(b)))
		}
	}
	gemmDispatch(parallel, gemmJob{m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldc: ldc, rowBias: rowBias, shift: sh, shifted: true})
}

// gemmDispatch runs a checked job of packed size, in parallel parts when
// parallel and large enough.
func gemmDispatch(parallel bool, args gemmJob) {
	m, n, k := args.m, args.n, args.k
	workers := 1
	if parallel && m*n*k > gemmParallelMACs {
		workers = min(runtime.GOMAXPROCS(0), m*n*k/gemmPartMACs)
	}
	// Split the larger side of C, whose packed operand is then not packed
	// twice: row parts each pack all of op(B), column parts all of op(A).
	tm, tn := (m+gemmMR-1)/gemmMR, (n+gemmNR-1)/gemmNR
	args.splitM = m >= n && tm >= workers || tn < workers
	tiles, unit := tn, gemmNR
	if args.splitM {
		tiles, unit = tm, gemmMR
	}
	workers = min(workers, tiles)
	if workers <= 1 {
		args.block(0, m, 0, n)
		return
	}
	j := gemmJobs.get()
	*j = args
	j.part = (tiles + workers - 1) / workers * unit
	parallelRun(workers, 1, j)
	*j = gemmJob{}
	gemmJobs.put(j)
}

// gemmDirect is the loop of Sgemm's doc comment, for products too small to
// be worth packing, with gemmStore's arithmetic for alpha, beta and the
// biases.
func gemmDirect(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, rowBias, colBias []float32) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s = float32(s + float32(av*bv))
			}
			v := float32(alpha * s)
			if beta != 0 {
				v = float32(v + float32(beta*c[i*ldc+j]))
			}
			if rowBias != nil {
				v = float32(v + rowBias[i])
			}
			if colBias != nil {
				v = float32(v + colBias[j])
			}
			c[i*ldc+j] = v
		}
	}
}

// run computes parts [lo, hi) of the job.
func (j *gemmJob) run(lo, hi int) {
	for p := lo; p < hi; p++ {
		i0, i1, j0, j1 := 0, j.m, 0, j.n
		if j.splitM {
			i0, i1 = p*j.part, min((p+1)*j.part, j.m)
		} else {
			j0, j1 = p*j.part, min((p+1)*j.part, j.n)
		}
		if i0 < i1 && j0 < j1 {
			j.block(i0, i1, j0, j1)
		}
	}
}

// gemmSplit returns the size of the equal blocks (at most max, a multiple of
// unit) that cover n.
func gemmSplit(n, most, unit int) int {
	blocks := (n + most - 1) / most
	size := (n + blocks - 1) / blocks
	return (size + unit - 1) / unit * unit
}

// block computes rows [i0, i1) and columns [j0, j1) of C. The K blocks
// depend on k only, never on the part, so that every element sees the same
// K blocks whichever part it falls in; the M and N blocks, which do not
// change any value, are cut from the part.
func (j *gemmJob) block(i0, i1, j0, j1 int) {
	buf := gemmBufs.get()
	defer gemmBufs.put(buf)
	kcb := gemmSplit(j.k, gemmKC, 1)
	mcb := gemmSplit(i1-i0, gemmMC, gemmMR)
	ncb := gemmSplit(j1-j0, gemmNC, gemmNR)
	// A shifted B is read in place by the 6×32 kernel where there is one:
	// its rows are rows of the padded planes, so packing them would only
	// copy them (at the cost of the product itself when m is small).
	direct := j.shifted && avx512()
	var bp []float32
	if !direct {
		bp = buf.grow(&buf.b, kcb*ncb)
	}
	ap := buf.grow(&buf.a, kcb*mcb+2)
	for jc := j0; jc < j1; jc += ncb {
		nc := min(ncb, j1-jc)
		for pc := 0; pc < j.k; pc += kcb {
			kc := min(kcb, j.k-pc)
			beta := j.beta
			if pc > 0 {
				beta = 1
			}
			var rb, cb []float32
			if pc+kc == j.k {
				rb, cb = j.rowBias, j.colBias
			}
			var offs []int
			switch {
			case direct && j.shift.tab != nil:
				offs = j.shift.tab[pc : pc+kc]
			case direct:
				offs = buf.growInts(kc)
				for p := range offs {
					offs[p] = j.shift.off(pc + p)
				}
			}
			for ic := i0; ic < i1; ic += mcb {
				mc := min(mcb, i1-ic)
				gemmPackA(j.transA, j.a, j.lda, ic, mc, pc, kc, ap)
				c := j.c[ic*j.ldc+jc:]
				if direct {
					for jr := 0; jr < nc; jr += 2 * gemmNR {
						ncol := min(2*gemmNR, nc-jr)
						gemmMacro32(kc, mc, ncol, ap, j.b[jc+jr:], offs, c[jr:], j.ldc, j.alpha, beta, gemmSub(rb, ic), nil, gemmPrefetch{})
					}
					continue
				}
				for jr := 0; jr < nc; jr += gemmNR {
					nr := min(gemmNR, nc-jr)
					bpan := bp[jr*kc : jr*kc+kc*gemmNR]
					// The first row block packs each B micro-panel just
					// before its first use, so that it is still in L1.
					// While this micro-panel is used, the source of the next
					// one is prefetched, row by row along the tiles.
					var pf gemmPrefetch
					if ic == i0 {
						pf = j.packB(pc, kc, jc, nc, jr, bp)
					}
					if avx512() && jr%(2*gemmNR) == 0 && nc-jr > gemmNR {
						// Two micro-panels: the 6×32 AVX-512 kernel, masked
						// to the ncol columns that exist. (A last single
						// micro-panel takes the 6×16 kernel below: the 6×32
						// one would load its missing second panel through
						// an all-zero mask, which costs a microcode assist
						// per load wherever that memory is not mapped, 2.5×
						// the time of the whole product at n = 784.)
						ncol := min(2*gemmNR, nc-jr)
						if ic == i0 && ncol > gemmNR {
							j.packB(pc, kc, jc, nc, jr+gemmNR, bp)
						}
						var cbt []float32
						if cb != nil {
							cbt = cb[jc+jr : jc+jr+ncol]
						}
						gemmMacro32(kc, mc, ncol, ap, bp[jr*kc:], nil, c[jr:], j.ldc, j.alpha, beta, gemmSub(rb, ic), cbt, pf)
						j.activate(c, jr, ncol, mc, nc, pc+kc == j.k)
						jr += gemmNR
						continue
					}
					var cbt []float32
					if cb != nil {
						cbt = cb[jc+jr : jc+jr+nr]
					}
					gemmMacro(kc, mc, nr, ap, bpan, c[jr:], j.ldc, j.alpha, beta, gemmSub(rb, ic), cbt, &buf.tile, pf)
					j.activate(c, jr, nr, mc, nc, pc+kc == j.k)
				}
			}
		}
	}
}

// activate runs SgemmBiasAct's activation (if any) over a row block's
// micro-panels once they are final (last is true for the last K block),
// a group of gemmActGroup micro-panels at a time while they are in cache:
// jr and nr are the columns just stored; c starts at the block.
func (j *gemmJob) activate(c []float32, jr, nr, mc, nc int, last bool) {
	if j.act == nil || !last {
		return
	}
	const gw = gemmActGroup * gemmNR
	if end := jr + nr; end%gw == 0 || end == nc {
		c0 := (end - 1) / gw * gw
		for r := 0; r < mc; r++ {
			row := c[r*j.ldc+c0 : r*j.ldc+end]
			j.act(row, row)
		}
	}
}

// gemmMacro32 is gemmMacro on up to two micro-panels side by side (bpan
// from the first; ncol columns, 1 to 32, of which the second panel holds
// those past 16), with the 6×32 AVX-512 kernel: its column mask covers a
// partial tile, its mr-row variant the last tile of fewer than 6 rows.
// With offs, B is not packed but read in place (gemmKernel6x32R): row p of
// the ncol columns from bpan[0] is at bpan[offs[p]:].
func gemmMacro32(kc, mc, ncol int, ap, bpan []float32, offs []int, c []float32, ldc int, alpha, beta float32, rb, cb []float32, pf gemmPrefetch) {
	flags := gemm32Flags(beta, ncol)
	var cbp *float32
	if cb != nil {
		cbp = &cb[0]
	}
	tiles := (mc + gemmMR - 1) / gemmMR
	for ir := 0; ir < mc; ir += gemmMR {
		if pf.p != nil {
			t := ir / gemmMR
			r0, r1 := t*pf.rows/tiles, (t+1)*pf.rows/tiles
			if r1 > r0 {
				gemmPrefetchRows((*float32)(unsafe.Add(unsafe.Pointer(pf.p), r0*pf.stride)), pf.stride, r1-r0, pf.width)
			}
		}
		var rbp *float32
		if rb != nil {
			rbp = &rb[ir]
		}
		mr := min(gemmMR, mc-ir)
		f := gemmTileRows(flags, mr)
		ct := c[ir*ldc : ir*ldc+(mr-1)*ldc+ncol]
		if offs != nil {
			gemmKernel6x32R(kc, &ap[ir*kc], &bpan[0], &offs[0], &ct[0], ldc, alpha, beta, rbp, cbp, f)
			continue
		}
		gemmKernel6x32(kc, &ap[ir*kc], &bpan[0], &ct[0], ldc, alpha, beta, rbp, cbp, f)
	}
}

// gemm32Flags is the flags of the 6×32 kernels for beta and a tile of ncol
// columns (see gemmKernel6x32).
func gemm32Flags(beta float32, ncol int) int {
	flags := 0
	if beta != 0 {
		flags = 1
	}
	if ncol < 2*gemmNR {
		flags |= 4 | ncol<<16
	}
	return flags
}

// gemmTileRows adds to the flags of a 6×32 kernel a tile of mr rows.
func gemmTileRows(flags, mr int) int {
	if mr < gemmMR {
		flags |= 2 | mr<<8
	}
	return flags
}

// gemmPrefetch describes rows of an operand to prefetch: rows rows of
// width bytes, stride bytes apart, from p on (nil for none).
type gemmPrefetch struct {
	p                   *float32
	stride, rows, width int
}

// gemmGroup is how many micro-panels of a non-transposed B are packed at
// once, reading each row of B as one run of gemmGroup·64 bytes (reading
// 64 bytes per row and page, one micro-panel at a time, costs a TLB miss a
// row when ldb is large).
const gemmGroup = 8

// packB packs, for the first row block of a part, what the micro-panel at
// column jr of the panel [jc, jc+nc) of op(B)'s rows [pc, pc+kc) needs into
// bp: that micro-panel (transposed B), or its whole group when it starts
// one (B not transposed). It returns the part of the source of the next
// micro-panel or group to prefetch while this micro-panel is used (nothing
// when op(B) is small enough, 256 KiB, to be in cache already).
func (j *gemmJob) packB(pc, kc, jc, nc, jr int, bp []float32) gemmPrefetch {
	big := useAsm && j.k*j.n >= 1<<16
	if j.transB {
		gemmPackB(true, j.b, j.ldb, pc, kc, jc+jr, min(gemmNR, nc-jr), bp[jr*kc:])
		next := jr + gemmNR
		if !big || next >= nc {
			return gemmPrefetch{}
		}
		return gemmPrefetch{p: &j.b[(jc+next)*j.ldb+pc], stride: 4 * j.ldb, rows: min(gemmNR, nc-next), width: 4 * kc}
	}
	const gw = gemmGroup * gemmNR
	g0 := jr / gw * gw
	if j.shifted {
		if jr == g0 {
			gemmPackBShift(j.b, j.shift, pc, kc, jc+jr, min(gw, nc-jr), bp[jr*kc:])
		}
		return gemmPrefetch{} // the padded planes are small and in cache
	}
	if jr == g0 {
		gemmPackB(false, j.b, j.ldb, pc, kc, jc+jr, min(gw, nc-jr), bp[jr*kc:])
	}
	next := g0 + gw
	if !big || next >= nc {
		return gemmPrefetch{}
	}
	// The micro-panels of this group share the rows of the next group's
	// source between them.
	panels := (min(gw, nc-g0) + gemmNR - 1) / gemmNR
	q := (jr - g0) / gemmNR
	r0, r1 := q*kc/panels, (q+1)*kc/panels
	if r0 == r1 {
		return gemmPrefetch{}
	}
	return gemmPrefetch{p: &j.b[(pc+r0)*j.ldb+jc+next], stride: 4 * j.ldb, rows: r1 - r0, width: 4 * min(gw, nc-next)}
}

func gemmSub(s []float32, off int) []float32 {
	if s == nil {
		return nil
	}
	return s[off:]
}

// gemmMacro runs the micro-kernel down the packed mc×kc block ap against
// one packed kc×NR micro-panel bpan of which nr columns are stored into c
// (row stride ldc). The assembly micro-kernel stores edge tiles through
// masks; the Go one goes through tile and gemmStore. rb (from row 0 of the
// block) and cb (nr values) are the biases, or nil.
func gemmMacro(kc, mc, nr int, ap, bpan, c []float32, ldc int, alpha, beta float32, rb, cb []float32, tile *[gemmMR * gemmNR]float32, pf gemmPrefetch) {
	tiles := (mc + gemmMR - 1) / gemmMR
	asm := useAsm
	flags := 0
	if beta != 0 {
		flags = 1
	}
	var cbp *float32
	if cb != nil {
		cbp = &cb[0]
	}
	bpan = bpan[:kc*gemmNR]
	for ir := 0; ir < mc; ir += gemmMR {
		mr := min(gemmMR, mc-ir)
		apan := ap[ir*kc : ir*kc+kc*gemmMR]
		if pf.p != nil {
			t := ir / gemmMR
			r0, r1 := t*pf.rows/tiles, (t+1)*pf.rows/tiles
			if r1 > r0 {
				gemmPrefetchRows((*float32)(unsafe.Add(unsafe.Pointer(pf.p), r0*pf.stride)), pf.stride, r1-r0, pf.width)
			}
		}
		var rbt []float32
		if rb != nil {
			rbt = rb[ir : ir+mr]
		}
		if !asm {
			gemmKernelGo(kc, apan, bpan, tile)
			gemmStore(tile, mr, nr, c[ir*ldc:], ldc, alpha, beta, rbt, cb)
			continue
		}
		var rbp *float32
		if rbt != nil {
			rbp = &rbt[0]
		}
		f := flags
		if mr < gemmMR || nr < gemmNR {
			f |= 2 | mr<<8 | nr<<16
		}
		ct := c[ir*ldc : ir*ldc+(mr-1)*ldc+nr]
		gemmKernel6x16(kc, &apan[0], &bpan[0], &ct[0], ldc, alpha, beta, rbp, cbp, f)
	}
}

// gemmStore stores the mr×nr corner of the accumulator tile into c:
// c = ((alpha*acc + beta*c) + rb[i]) + cb[j], each operation rounded to
// float32 as the assembly micro-kernel's store does (beta*c is skipped when
// beta is 0, rb and cb when nil).
func gemmStore(tile *[gemmMR * gemmNR]float32, mr, nr int, c []float32, ldc int, alpha, beta float32, rb, cb []float32) {
	for r := 0; r < mr; r++ {
		row := c[r*ldc : r*ldc+nr]
		acc := tile[r*gemmNR : r*gemmNR+nr]
		for j := range row {
			v := float32(alpha * acc[j])
			if beta != 0 {
				v = float32(v + float32(beta*row[j]))
			}
			if rb != nil {
				v = float32(v + rb[r])
			}
			if cb != nil {
				v = float32(v + cb[j])
			}
			row[j] = v
		}
	}
}

// gemmScaleC is the k == 0 case: C = alpha*0 + beta*C, plus the biases.
func gemmScaleC(m, n int, alpha, beta float32, c []float32, ldc int, rowBias, colBias []float32) {
	var zero [gemmMR * gemmNR]float32
	for i := 0; i < m; i += gemmMR {
		for j := 0; j < n; j += gemmNR {
			mr, nr := min(gemmMR, m-i), min(gemmNR, n-j)
			gemmStore(&zero, mr, nr, c[i*ldc+j:], ldc, alpha, beta, gemmSlice(rowBias, i, mr), gemmSlice(colBias, j, nr))
		}
	}
}

func gemmSlice(s []float32, off, n int) []float32 {
	if s == nil {
		return nil
	}
	return s[off : off+n]
}

// gemmPackA packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into
// MR-row micro-panels: panel q holds op(A)[i0+q*MR+r, p0+p] at
// dst[q*MR*kc + p*MR + r], with rows past mc zero. dst has room for 2
// values past the last panel (the assembly stores 8 values per k step).
func gemmPackA(trans bool, a []float32, lda, i0, mc, p0, kc int, dst []float32) {
	asm := useAsm
	for ir := 0; ir < mc; ir += gemmMR {
		rows := min(gemmMR, mc-ir)
		panel := dst[ir*kc : ir*kc+kc*gemmMR]
		if trans {
			if asm && rows == gemmMR {
				src := a[p0*lda+i0+ir : (p0+kc-1)*lda+i0+ir+gemmMR]
				gemmPackA6T(kc, &src[0], lda, &panel[0])
				continue
			}
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+ir:]
				d := panel[p*gemmMR : p*gemmMR+gemmMR]
				copy(d, src[:rows])
				clear(d[rows:])
			}
			continue
		}
		if rows == gemmMR {
			off := (i0+ir)*lda + p0
			p := 0
			if asm && kc >= 8 {
				_ = dst[ir*kc+kc*gemmMR+1] // room for the overrun
				src := a[off : off+5*lda+kc]
				gemmPackA6(kc, &src[0], lda, &panel[0])
				p = kc &^ 7
			}
			r0 := a[off : off+kc]
			r1 := a[off+lda : off+lda+kc]
			r2 := a[off+2*lda : off+2*lda+kc]
			r3 := a[off+3*lda : off+3*lda+kc]
			r4 := a[off+4*lda : off+4*lda+kc]
			r5 := a[off+5*lda : off+5*lda+kc]
			for ; p < kc; p++ {
				d := panel[p*gemmMR : p*gemmMR+gemmMR : p*gemmMR+gemmMR]
				d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		clear(panel)
		for r := 0; r < rows; r++ {
			src := a[(i0+ir+r)*lda+p0 : (i0+ir+r)*lda+p0+kc]
			for p, v := range src {
				panel[p*gemmMR+r] = v
			}
		}
	}
}

// gemmPackB packs rows [p0, p0+kc) and columns [j0, j0+nc) of op(B) into
// NR-column micro-panels: panel q holds op(B)[p0+p, j0+q*NR+j] at
// dst[q*NR*kc + p*NR + j], with columns past nc zero.
func gemmPackB(trans bool, b []float32, ldb, p0, kc, j0, nc int, dst []float32) {
	asm := useAsm
	for jr := 0; jr < nc; jr += gemmNR {
		cols := min(gemmNR, nc-jr)
		panel := dst[jr*kc : jr*kc+kc*gemmNR]
		if !trans {
			if asm && jr == 0 && nc >= gemmNR {
				// All full micro-panels at once, row by row.
				full := nc / gemmNR
				off := p0*ldb + j0
				src := b[off : off+(kc-1)*ldb+full*gemmNR]
				d := dst[:full*kc*gemmNR]
				gemmPackB16G(kc, &src[0], ldb, &d[0], full, kc*gemmNR)
				jr = (full - 1) * gemmNR
				continue
			}
			if cols == gemmNR {
				off := p0*ldb + j0 + jr
				for p := 0; p < kc; p++ {
					*(*[gemmNR]float32)(panel[p*gemmNR:]) = *(*[gemmNR]float32)(b[off+p*ldb : off+p*ldb+gemmNR])
				}
				continue
			}
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+j0+jr:]
				d := panel[p*gemmNR : p*gemmNR+gemmNR]
				copy(d, src[:cols])
				clear(d[cols:])
			}
			continue
		}
		p := 0
		if cols < gemmNR {
			clear(panel)
		} else if asm && kc >= 8 {
			off := (j0+jr)*ldb + p0
			src := b[off : off+(gemmNR-1)*ldb+kc]
			gemmPackB16T(kc, &src[0], ldb, &panel[0])
			p = kc &^ 7
		}
		for j := 0; j < cols; j++ {
			src := b[(j0+jr+j)*ldb+p0 : (j0+jr+j)*ldb+p0+kc]
			for q := p; q < kc; q++ {
				panel[q*gemmNR+j] = src[q]
			}
		}
	}
}

// gemmPackBShift is gemmPackB (not transposed) of the B that sh places:
// row p0+p of it starts at b[sh.off(p0+p)].
func gemmPackBShift(b []float32, sh gemmShift, p0, kc, j0, nc int, dst []float32) {
	full, rem := nc/gemmNR, nc%gemmNR
	ps := kc * gemmNR
	// The tap of row p0+p, stepped along (not divided out per row).
	kx, ky, base := p0%sh.kw, p0/sh.kw%sh.kh, p0/(sh.kw*sh.kh)*sh.plane
	for p := 0; p < kc; p++ {
		off := base + ky*sh.dy + kx*sh.dx + j0
		if sh.tab != nil {
			off = sh.tab[p0+p] + j0
		}
		if kx++; kx == sh.kw {
			if kx, ky = 0, ky+1; ky == sh.kh {
				ky, base = 0, base+sh.plane
			}
		}
		row := b[off : off+nc]
		if full > 0 {
			if useAsm {
				_ = dst[(full-1)*ps+p*gemmNR+gemmNR-1]
				gemmPackB16G(1, &row[0], 0, &dst[p*gemmNR], full, ps)
			} else {
				for q := 0; q < full; q++ {
					*(*[gemmNR]float32)(dst[q*ps+p*gemmNR:]) = *(*[gemmNR]float32)(row[q*gemmNR:])
				}
			}
		}
		if rem > 0 {
			d := dst[full*ps+p*gemmNR : full*ps+p*gemmNR+gemmNR]
			copy(d, row[full*gemmNR:])
			clear(d[rem:])
		}
	}
}

// gemmKernelGo is the generic micro-kernel: tile[r*NR+j] = sum over p in
// order of a[p*MR+r]*b[p*NR+j], for the packed micro-panels a (kc×MR) and
// b (kc×NR). It works in 2×4 register blocks.
func gemmKernelGo(kc int, a, b []float32, tile *[gemmMR * gemmNR]float32) {
	a = a[:kc*gemmMR]
	b = b[:kc*gemmNR]
	for r := 0; r < gemmMR; r += 2 {
		for j := 0; j < gemmNR; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			for p := 0; p < kc; p++ {
				aa := (*[2]float32)(a[p*gemmMR+r:])
				bb := (*[4]float32)(b[p*gemmNR+j:])
				a0, a1 := aa[0], aa[1]
				b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
			}
			t0 := (*[4]float32)(tile[r*gemmNR+j:])
			t1 := (*[4]float32)(tile[(r+1)*gemmNR+j:])
			t0[0], t0[1], t0[2], t0[3] = c00, c01, c02, c03
			t1[0], t1[1], t1[2], t1[3] = c10, c11, c12, c13
		}
	}
}

// gemmBuf holds one worker's packing buffers and edge tile. Buffers only
// grow, and are kept on a free list that the garbage collector does not
// empty, so that steady-state calls allocate nothing.
type gemmBuf struct {
	a, b []float32
	offs []int // the row offsets of a B read in place
	tile [gemmMR * gemmNR]float32
}

func (g *gemmBuf) growInts(n int) []int {
	if cap(g.offs) < n {
		g.offs = make([]int, n)
	}
	return g.offs[:n]
}

func (g *gemmBuf) grow(s *[]float32, n int) []float32 {
	if cap(*s) < n {
		*s = make([]float32, n)
	}
	return (*s)[:n]
}

func checkMat(name string, s []float32, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("kernels: %s: leading dimension %d < %d columns", name, ld, cols))
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("kernels: %s: slice of %d values, %d×%d with ld %d needs %d", name, len(s), rows, cols, ld, need))
	}
}
