package kernels

import "sync"

// The AVX-512 paths of im2colRows and col2imPlanes. They move a tap's row
// 16 values at a time under a mask that is clear where the tap falls on
// padding: through masked loads and stores when the geometry is shifted
// (stride 1, each tap reads the plane at a constant flat offset), through
// gathers and scatters by a table of flat indices otherwise. Each value is
// copied or added once, in the loops' order, so the bits are the loops'.
// The tables depend on the geometry alone: they are made on first use and
// kept (tapTables), so a call builds nothing.

// tapTable is the masks and offsets of one geometry's taps: nc masks of 16
// outputs per tap (bit p%16 of mask p/16 set where output p reads inside
// the plane), and per tap either its flat shift (shifted geometries) or
// nc·16 flat indices into the plane (the others).
type tapTable struct {
	nc      int
	shifted bool
	masks   []uint16
	shift   []int
	idx     []int32
}

// tapTableMaxIdx caps a table's indices (1 MiB): larger geometries keep
// the loops.
const tapTableMaxIdx = 1 << 18

var tapTables struct {
	sync.RWMutex
	m map[Geom2d]*tapTable
}

// taps returns g's table, or nil where the AVX-512 paths do not apply: no
// AVX-512, an empty plane, or a 1×1 strided window (one row per plane, a
// strided pointwise convolution, which the loop serves as well).
func (g Geom2d) taps() *tapTable {
	kk, ohw, hw := g.KH*g.KW, g.OH*g.OW, g.H*g.W
	nc := (ohw + 15) / 16
	if !avx512() || ohw == 0 || hw == 0 || (kk == 1 && !g.shifted()) || kk*nc*16 > tapTableMaxIdx {
		return nil
	}
	tapTables.RLock()
	t := tapTables.m[g]
	tapTables.RUnlock()
	if t != nil {
		return t
	}
	t = g.newTapTable()
	tapTables.Lock()
	if tapTables.m == nil {
		tapTables.m = make(map[Geom2d]*tapTable)
	}
	if old := tapTables.m[g]; old != nil {
		t = old
	} else if len(tapTables.m) < 1024 { // a bound, for programs that sweep geometries
		tapTables.m[g] = t
	}
	tapTables.Unlock()
	return t
}

func (g Geom2d) newTapTable() *tapTable {
	kk, ohw := g.KH*g.KW, g.OH*g.OW
	nc := (ohw + 15) / 16
	t := &tapTable{nc: nc, shifted: g.shifted(), masks: make([]uint16, kk*nc)}
	if t.shifted {
		t.shift = make([]int, kk)
	} else {
		t.idx = make([]int32, kk*nc*16)
	}
	for ky := 0; ky < g.KH; ky++ {
		for kx := 0; kx < g.KW; kx++ {
			tap := ky*g.KW + kx
			xlo, xhi := g.oxRange(kx)
			m := t.masks[tap*nc : (tap+1)*nc]
			if t.shifted {
				oyLo, oyHi, d := g.shiftRows(ky, kx*g.DilW-g.PadL)
				t.shift[tap] = d
				for oy := oyLo; oy < oyHi; oy++ {
					setBits(m, oy*g.OW+xlo, oy*g.OW+xhi)
				}
				continue
			}
			ix := t.idx[tap*nc*16 : (tap+1)*nc*16]
			for oy := 0; oy < g.OH; oy++ {
				iy := oy*g.StrideH - g.PadT + ky*g.DilH
				if iy < 0 || iy >= g.H || xlo == xhi {
					continue
				}
				setBits(m, oy*g.OW+xlo, oy*g.OW+xhi)
				for ox := xlo; ox < xhi; ox++ {
					ix[oy*g.OW+ox] = int32(iy*g.W + ox*g.StrideW - g.PadL + kx*g.DilW)
				}
			}
		}
	}
	return t
}

// setBits sets bits [a, b) of m (bit p is bit p%16 of m[p/16]), a word at
// a time.
func setBits(m []uint16, a, b int) {
	for a < b {
		w, lo := a>>4, a&15
		hi := min(16, b-a+lo)
		m[w] |= uint16((1<<hi - 1) &^ (1<<lo - 1))
		a += hi - lo
	}
}

// im2colTaps is im2colRows (rows [lo, hi) of col, ld apart) on the AVX-512
// path, if it applies (else it does nothing and returns false).
func im2colTaps(g Geom2d, x, col []float32, ld, lo, hi int) bool {
	t := g.taps()
	if t == nil || lo >= hi {
		return false
	}
	kk, ohw, hw, nc := g.KH*g.KW, g.OH*g.OW, g.H*g.W, t.nc
	tap, ci := lo%kk, lo/kk
	for r := lo; r < hi; r++ {
		dst := col[r*ld : r*ld+ohw]
		if t.shifted {
			maskedCopy16(&dst[0], &x[ci*hw], t.shift[tap], &t.masks[tap*nc], ohw)
		} else {
			gatherMasked16(&dst[0], &x[ci*hw], &t.idx[tap*nc*16], &t.masks[tap*nc], ohw)
		}
		if tap++; tap == kk {
			tap, ci = 0, ci+1
		}
	}
	return true
}

// col2imTaps is col2imPlanes of the planes [lo, hi) of x (col's rows ld
// apart) on the AVX-512 path, if it applies (else it does nothing and
// returns false). Values on padding are neither read nor added (the bits
// of col2imPlanes without clobber).
func col2imTaps(g Geom2d, col []float32, ld int, x []float32, lo, hi int) bool {
	t := g.taps()
	if t == nil {
		return false
	}
	kk, ohw, hw, nc := g.KH*g.KW, g.OH*g.OW, g.H*g.W, t.nc
	for ci := lo; ci < hi; ci++ {
		for tap := 0; tap < kk; tap++ {
			src := col[(ci*kk+tap)*ld : (ci*kk+tap)*ld+ohw]
			if t.shifted {
				maskedAdd16(&x[ci*hw], t.shift[tap], &src[0], &t.masks[tap*nc], ohw)
			} else {
				scatterAddMasked16(&x[ci*hw], &t.idx[tap*nc*16], &src[0], &t.masks[tap*nc], ohw)
			}
		}
	}
	return true
}
