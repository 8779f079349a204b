package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// shapeNaiveWalk calls fn(o, d, s) for every coordinate of shape, with its
// row-major flat index o and its dst and src positions, in increasing o.
func shapeNaiveWalk(shape []int, dOff int, ds []int, sOff int, ss []int, fn func(o, d, s int)) {
	n := 1
	for _, v := range shape {
		n *= v
	}
	for o := 0; o < n; o++ {
		d, s, rem := dOff, sOff, o
		for i := len(shape) - 1; i >= 0; i-- {
			c := rem % shape[i]
			rem /= shape[i]
			d += c * ds[i]
			s += c * ss[i]
		}
		fn(o, d, s)
	}
}

func shapeFill(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// shapeView is a strided view of a buffer: a random subset of a larger
// contiguous tensor, with its dimensions permuted, stepped and offset, and
// (when broadcast) some strides zeroed.
type shapeView struct {
	off     int
	strides []int
	size    int // elements of the underlying buffer, guard band excluded
}

// shapeRandomView lays shape out in a buffer: dimensions in a random order,
// each with a random step (1 or 2) and start, and with probability pZero a
// zero stride for a dimension.
func shapeRandomView(rng *rand.Rand, shape []int, pZero float64) shapeView {
	order := rng.Perm(len(shape))
	strides := make([]int, len(shape))
	off, s := 0, 1
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		if rng.Float64() < pZero {
			continue
		}
		step, start := 1+rng.IntN(2), rng.IntN(2)
		strides[i] = s * step
		off += start * s
		s *= step*max(shape[i], 1) + start
	}
	return shapeView{off: off, strides: strides, size: s}
}

func TestCopyAddStrided(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const guard = 7
	sizes := []int{0, 1, 2, 7, 9, 17}
	for trial := 0; trial < 400; trial++ {
		rank := rng.IntN(5)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = sizes[rng.IntN(len(sizes))]
			if trial%4 != 0 && shape[i] == 0 {
				shape[i] = 3
			}
		}
		// Copy: distinct dst positions, src may broadcast.
		dv, sv := shapeRandomView(rng, shape, 0), shapeRandomView(rng, shape, 0.3)
		src := shapeFill(rng, sv.size)
		dst := shapeFill(rng, dv.size+guard)
		want := append([]float32(nil), dst...)
		shapeNaiveWalk(shape, dv.off, dv.strides, sv.off, sv.strides, func(_, d, s int) { want[d] = src[s] })
		CopyStrided(shape, dst[:dv.size], dv.off, dv.strides, src, sv.off, sv.strides)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("CopyStrided %v dst %+v src %+v: element %d is %v, want %v", shape, dv, sv, i, dst[i], want[i])
			}
		}
		// Add: dst may be summed into (zero strides), src distinct.
		dv, sv = shapeRandomView(rng, shape, 0.3), shapeRandomView(rng, shape, 0)
		src = shapeFill(rng, sv.size)
		dst = shapeFill(rng, dv.size+guard)
		want = append([]float32(nil), dst...)
		shapeNaiveWalk(shape, dv.off, dv.strides, sv.off, sv.strides, func(_, d, s int) { want[d] += src[s] })
		AddStrided(shape, dst[:dv.size], dv.off, dv.strides, src, sv.off, sv.strides)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("AddStrided %v dst %+v src %+v: element %d is %v, want %v", shape, dv, sv, i, dst[i], want[i])
			}
		}
	}
}

// TestStridedAnyGOMAXPROCS runs tensors large enough to be split across
// goroutines and checks the results do not depend on GOMAXPROCS.
func TestStridedAnyGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	shape := []int{5, 64, 3, 37}
	rng := rand.New(rand.NewPCG(5, 6))
	dv, sv := shapeRandomView(rng, shape, 0), shapeRandomView(rng, shape, 0)
	sum := shapeView{strides: []int{0, 3 * 37, 0, 1}, size: 64 * 3 * 37}
	src := shapeFill(rng, sv.size)
	idx := []int{2, 0, 2, 1, 2, 2, 0}
	var first [][]float32
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		a := make([]float32, dv.size)
		CopyStrided(shape, a, dv.off, dv.strides, src, sv.off, sv.strides)
		b := make([]float32, sum.size)
		AddStrided(shape, b, 0, sum.strides, src, sv.off, sv.strides)
		c := make([]float32, 5*64*len(idx)*37)
		GatherRows(5*64, 3, 37, idx, src[:5*64*3*37], c)
		e := make([]float32, 5*64*3*37)
		ScatterAddRows(5*64, 3, 37, idx, c, e)
		got := [][]float32{a, b, c, e}
		if first == nil {
			first = got
			continue
		}
		for k := range got {
			for i := range got[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(first[k][i]) {
					t.Fatalf("GOMAXPROCS %d: result %d element %d differs from GOMAXPROCS 1", procs, k, i)
				}
			}
		}
	}
}

func TestGatherScatterStrided(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const guard = 5
	for trial := 0; trial < 200; trial++ {
		rank := 1 + rng.IntN(4)
		xs := make([]int, rank)
		for i := range xs {
			xs[i] = 1 + rng.IntN(5)
		}
		axis := rng.IntN(rank)
		shape := make([]int, rank)
		for i := range shape {
			if i == axis {
				shape[i] = rng.IntN(7)
			} else {
				shape[i] = 1 + rng.IntN(xs[i])
			}
		}
		st := shapeContiguous(xs)
		step := st[axis]
		ss := append([]int(nil), st...)
		ss[axis] = 0
		n := 1
		for _, v := range shape {
			n *= v
		}
		index := make([]int, n)
		for i := range index {
			index[i] = rng.IntN(xs[axis])
		}
		x := shapeFill(rng, st[0]*xs[0])
		dst := shapeFill(rng, n+guard)
		want := append([]float32(nil), dst...)
		zero := make([]int, rank)
		shapeNaiveWalk(shape, 0, zero, 0, ss, func(o, _, s int) { want[o] = x[s+index[o]*step] })
		GatherStrided(shape, dst[:n], x, ss, index, step)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("GatherStrided %v from %v axis %d: element %d is %v, want %v", shape, xs, axis, i, dst[i], want[i])
			}
		}
		g := shapeFill(rng, n)
		gx := shapeFill(rng, len(x)+guard)
		wantx := append([]float32(nil), gx...)
		shapeNaiveWalk(shape, 0, ss, 0, zero, func(o, d, _ int) { wantx[d+index[o]*step] += g[o] })
		ScatterAddStrided(shape, gx[:len(x)], ss, index, step, g)
		for i := range wantx {
			if math.Float32bits(gx[i]) != math.Float32bits(wantx[i]) {
				t.Fatalf("ScatterAddStrided %v into %v axis %d: element %d is %v, want %v", shape, xs, axis, i, gx[i], wantx[i])
			}
		}
	}
}

func TestGatherScatterRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const guard = 5
	for _, outer := range []int{0, 1, 3} {
		for _, n := range []int{1, 4} {
			for _, inner := range []int{1, 7, 17} {
				for _, m := range []int{0, 1, 6} {
					index := make([]int, m)
					for j := range index {
						index[j] = rng.IntN(n)
					}
					src := shapeFill(rng, outer*n*inner)
					dst := shapeFill(rng, outer*m*inner+guard)
					want := append([]float32(nil), dst...)
					for o := 0; o < outer; o++ {
						for j, i := range index {
							for k := 0; k < inner; k++ {
								want[(o*m+j)*inner+k] = src[(o*n+i)*inner+k]
							}
						}
					}
					GatherRows(outer, n, inner, index, src, dst[:outer*m*inner])
					for i := range want {
						if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
							t.Fatalf("GatherRows %d,%d,%d %v: element %d is %v, want %v", outer, n, inner, index, i, dst[i], want[i])
						}
					}
					g := shapeFill(rng, outer*m*inner)
					gx := shapeFill(rng, outer*n*inner+guard)
					wantx := append([]float32(nil), gx...)
					for o := 0; o < outer; o++ {
						for j, i := range index {
							for k := 0; k < inner; k++ {
								wantx[(o*n+i)*inner+k] += g[(o*m+j)*inner+k]
							}
						}
					}
					ScatterAddRows(outer, n, inner, index, g, gx[:outer*n*inner])
					for i := range wantx {
						if math.Float32bits(gx[i]) != math.Float32bits(wantx[i]) {
							t.Fatalf("ScatterAddRows %d,%d,%d %v: element %d is %v, want %v", outer, n, inner, index, i, gx[i], wantx[i])
						}
					}
				}
			}
		}
	}
}
