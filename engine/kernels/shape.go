package kernels

import (
	"fmt"
	"slices"
)

// CopyStrided copies a strided view of src into a strided view of dst. For
// every coordinate c of shape, in row-major order,
//
//	dst[dOff + Σ_i c[i]*dStrides[i]] = src[sOff + Σ_i c[i]*sStrides[i]]
//
// The dst positions must be distinct (no zero or overlapping dst strides).
// Permutes, slices, concatenation, padding and broadcasts (zero src strides)
// are all such copies.
func CopyStrided(shape []int, dst []float32, dOff int, dStrides []int, src []float32, sOff int, sStrides []int) {
	j := stridedJob{kind: stridedCopy, dst: dst, src: src, dOff: dOff, sOff: sOff}
	if !j.walk.init("CopyStrided", shape, dStrides, sStrides) {
		return
	}
	j.start(true)
}

// AddStrided is CopyStrided accumulating into dst: for every coordinate c of
// shape, in row-major order,
//
//	dst[dOff + Σ_i c[i]*dStrides[i]] += src[sOff + Σ_i c[i]*sStrides[i]]
//
// A zero dst stride sums over that dimension (the adjoint of a broadcast); the
// sum into each dst element then runs in row-major order of c. Apart from
// zero strides, dst positions must be distinct.
func AddStrided(shape []int, dst []float32, dOff int, dStrides []int, src []float32, sOff int, sStrides []int) {
	j := stridedJob{kind: stridedAdd, dst: dst, src: src, dOff: dOff, sOff: sOff}
	if !j.walk.init("AddStrided", shape, dStrides, sStrides) {
		return
	}
	// Rows that share dst elements must run in order, on one goroutine.
	dims := j.walk.dims()
	parallel := true
	for _, d := range dims[:len(dims)-1] {
		if d.ds == 0 {
			parallel = false
		}
	}
	j.start(parallel)
}

// GatherStrided reads one element of src per element of dst, along an axis
// chosen by index. For every coordinate c of shape, with row-major flat index o,
//
//	dst[o] = src[Σ_i c[i]*sStrides[i] + index[o]*step]
//
// With sStrides the strides of src with the gathered axis's stride set to 0,
// and step that stride, this is torch.gather. len(dst) and len(index) are
// the product of shape.
func GatherStrided(shape []int, dst, src []float32, sStrides []int, index []int, step int) {
	var dsBuf [shapeMaxDims]int
	ds := shapeContiguousInto(dsBuf[:0], shape)
	j := stridedJob{kind: stridedGather, dst: dst, src: src, index: index, step: step}
	if !j.walk.init("GatherStrided", shape, ds, sStrides) {
		return
	}
	if n := j.walk.numel; len(dst) < n || len(index) < n {
		panic(fmt.Sprintf("kernels: GatherStrided: shape %v needs %d outputs and indices, have %d and %d", slices.Clone(shape), n, len(dst), len(index)))
	}
	// dst is contiguous from 0, so a row's dst offset is its flat index, and
	// the last kept dimension has dst stride 1 (or is the lone size-1 one).
	j.start(true)
}

// ScatterAddStrided is the adjoint of GatherStrided: for every coordinate c
// of shape, with row-major flat index o, in increasing o,
//
//	dst[Σ_i c[i]*dStrides[i] + index[o]*step] += src[o]
//
// It runs on one goroutine, since indices may repeat.
func ScatterAddStrided(shape []int, dst []float32, dStrides []int, index []int, step int, src []float32) {
	var ssBuf [shapeMaxDims]int
	ss := shapeContiguousInto(ssBuf[:0], shape)
	j := stridedJob{kind: stridedScatter, dst: dst, src: src, index: index, step: step}
	if !j.walk.init("ScatterAddStrided", shape, ss, dStrides) {
		return
	}
	if n := j.walk.numel; len(src) < n || len(index) < n {
		panic(fmt.Sprintf("kernels: ScatterAddStrided: shape %v needs %d inputs and indices, have %d and %d", slices.Clone(shape), n, len(src), len(index)))
	}
	// The walk's first view is src (contiguous, so as in GatherStrided its
	// offset is the flat index o), its second dst.
	j.start(false)
}

// GatherRows copies rows of src chosen by index. Viewing src as
// [outer, n, inner] and dst as [outer, len(index), inner]:
//
//	for o := 0; o < outer; o++ {
//		for j, i := range index {
//			for k := 0; k < inner; k++ {
//				dst[(o*len(index)+j)*inner+k] = src[(o*n+i)*inner+k]
//			}
//		}
//	}
//
// Every index must lie in [0, n).
func GatherRows(outer, n, inner int, index []int, src, dst []float32) {
	m := len(index)
	if outer*m*inner == 0 {
		return
	}
	parallelJob(&rowsJobs, outer*m, max(1, 16384/inner), &rowsJob{n: n, inner: inner, index: index, src: src, dst: dst})
}

// ScatterAddRows is the adjoint of GatherRows, accumulating rows of src into
// the rows of dst chosen by index (repeated indices add up, in order of j):
//
//	for o := 0; o < outer; o++ {
//		for j, i := range index {
//			for k := 0; k < inner; k++ {
//				dst[(o*n+i)*inner+k] += src[(o*len(index)+j)*inner+k]
//			}
//		}
//	}
func ScatterAddRows(outer, n, inner int, index []int, src, dst []float32) {
	m := len(index)
	if outer*m*inner == 0 {
		return
	}
	parallelJob(&rowsJobs, outer, max(1, 16384/(m*inner)), &rowsJob{scatter: true, n: n, inner: inner, index: index, src: src, dst: dst})
}

// rowsJob is one GatherRows call (over output rows) or ScatterAddRows call
// (over outer blocks, each on one goroutine, so that repeated indices add in
// order).
type rowsJob struct {
	scatter  bool
	n, inner int
	index    []int
	src, dst []float32
}

var rowsJobs gemmFreeList[rowsJob]

func (j *rowsJob) run(lo, hi int) {
	n, inner, index, src, dst := j.n, j.inner, j.index, j.src, j.dst
	m := len(index)
	if !j.scatter {
		for r := lo; r < hi; r++ {
			o, j := r/m, r%m
			s := (o*n + index[j]) * inner
			copy(dst[r*inner:(r+1)*inner], src[s:s+inner])
		}
		return
	}
	for o := lo; o < hi; o++ {
		for j, i := range index {
			dr := dst[(o*n+i)*inner : (o*n+i+1)*inner]
			for k, v := range src[(o*m+j)*inner : (o*m+j+1)*inner] {
				dr[k] += v
			}
		}
	}
}

// shapeDim is one dimension of a strided walk: its size and the dst and src
// strides along it.
type shapeDim struct{ n, ds, ss int }

// shapeMaxDims is the rank up to which a strided walk keeps its dimensions
// and coordinates in fixed arrays; higher ranks (after merging) take the
// heap.
const shapeMaxDims = 8

// shapeWalk is a validated, simplified strided walk: size-1 dimensions
// dropped and neighbours that are contiguous in both views merged, which
// keeps row-major order. It holds at least one dimension.
type shapeWalk struct {
	buf   [shapeMaxDims]shapeDim
	big   []shapeDim // all the dimensions, when more than fit in buf
	nd    int
	numel int
}

// dims returns the dimensions of the walk.
func (w *shapeWalk) dims() []shapeDim {
	if w.big != nil {
		return w.big
	}
	return w.buf[:w.nd]
}

// push appends d to the dimensions.
func (w *shapeWalk) push(d shapeDim) {
	if w.big == nil && w.nd < len(w.buf) {
		w.buf[w.nd] = d
		w.nd++
		return
	}
	if w.big == nil {
		w.big = append([]shapeDim(nil), w.buf[:w.nd]...)
	}
	w.big = append(w.big, d)
	w.nd++
}

// init validates the walk of shape with dst strides ds and src strides ss
// and simplifies it. It reports whether there is anything to walk.
func (w *shapeWalk) init(name string, shape, ds, ss []int) bool {
	if len(ds) != len(shape) || len(ss) != len(shape) {
		shapeStridesPanic(name, shape, ds, ss)
	}
	numel := 1
	for i, n := range shape {
		if n < 0 {
			panic(fmt.Sprintf("kernels: %s: negative size in shape %v", name, slices.Clone(shape)))
		}
		numel *= n
		if n == 1 {
			continue
		}
		d := shapeDim{n, ds[i], ss[i]}
		if dims := w.dims(); len(dims) > 0 {
			if k := &dims[len(dims)-1]; k.ds == d.ds*d.n && k.ss == d.ss*d.n {
				*k = shapeDim{k.n * d.n, d.ds, d.ss}
				continue
			}
		}
		w.push(d)
	}
	if w.nd == 0 {
		w.push(shapeDim{1, 0, 0})
	}
	w.numel = numel
	return numel > 0
}

// shapeStridesPanic reports strides that do not match shape, formatting
// copies so that the slices themselves do not escape.
func shapeStridesPanic(name string, shape, ds, ss []int) {
	panic(fmt.Sprintf("kernels: %s: shape %v with strides %v and %v", name, slices.Clone(shape), slices.Clone(ds), slices.Clone(ss)))
}

// stridedKind is what a stridedJob does with each row.
type stridedKind int

const (
	stridedCopy stridedKind = iota
	stridedAdd
	stridedGather
	stridedScatter
)

// stridedJob is one call of a strided kernel: its walk and what to do with
// each row (one row per coordinate of all dimensions but the last).
type stridedJob struct {
	walk       shapeWalk
	kind       stridedKind
	dOff, sOff int
	dst, src   []float32
	index      []int
	step       int
}

var stridedJobs gemmFreeList[stridedJob]

// start runs the rows in row-major order, split across goroutines when
// parallel.
func (j *stridedJob) start(parallel bool) {
	dims := j.walk.dims()
	rows := 1
	for _, d := range dims[:len(dims)-1] {
		rows *= d.n
	}
	if !parallel {
		j.run(0, rows)
		return
	}
	parallelJob(&stridedJobs, rows, max(1, 16384/dims[len(dims)-1].n), j)
}

// run walks rows [lo, hi).
func (j *stridedJob) run(lo, hi int) {
	dims := j.walk.dims()
	outer := dims[:len(dims)-1]
	var buf [shapeMaxDims]int
	coord := buf[:0]
	if len(outer) > len(buf) {
		coord = make([]int, len(outer))
	} else {
		coord = buf[:len(outer)]
	}
	d, s := j.dOff, j.sOff
	rem := lo
	for i := len(outer) - 1; i >= 0; i-- {
		coord[i] = rem % outer[i].n
		rem /= outer[i].n
		d += coord[i] * outer[i].ds
		s += coord[i] * outer[i].ss
	}
	in := dims[len(dims)-1]
	for r := lo; r < hi; r++ {
		j.row(in, d, s)
		for i := len(outer) - 1; i >= 0; i-- {
			coord[i]++
			d += outer[i].ds
			s += outer[i].ss
			if coord[i] < outer[i].n {
				break
			}
			d -= outer[i].ds * outer[i].n
			s -= outer[i].ss * outer[i].n
			coord[i] = 0
		}
	}
}

// row does one row starting at offsets d and s of the walk's two views.
func (j *stridedJob) row(in shapeDim, d, s int) {
	dst, src := j.dst, j.src
	switch j.kind {
	case stridedCopy:
		if in.ds == 1 && in.ss == 1 {
			copy(dst[d:d+in.n], src[s:s+in.n])
			return
		}
		for k := 0; k < in.n; k++ {
			dst[d+k*in.ds] = src[s+k*in.ss]
		}
	case stridedAdd:
		switch {
		case in.ds == 1 && in.ss == 1:
			dr, sr := dst[d:d+in.n], src[s:s+in.n]
			for k, v := range sr {
				dr[k] += v
			}
		case in.ds == 0:
			acc := dst[d]
			for k := 0; k < in.n; k++ {
				acc += src[s+k*in.ss]
			}
			dst[d] = acc
		default:
			for k := 0; k < in.n; k++ {
				dst[d+k*in.ds] += src[s+k*in.ss]
			}
		}
	case stridedGather:
		index, step := j.index, j.step
		for k := 0; k < in.n; k++ {
			dst[d+k] = src[s+k*in.ss+index[d+k]*step]
		}
	case stridedScatter:
		// The first view is src, the second dst.
		index, step := j.index, j.step
		s, d := d, s
		for k := 0; k < in.n; k++ {
			dst[d+k*in.ss+index[s+k]*step] += src[s+k]
		}
	}
}

// shapeContiguous returns the row-major strides of shape.
func shapeContiguous(shape []int) []int {
	return shapeContiguousInto(make([]int, 0, len(shape)), shape)
}

// shapeContiguousInto appends the row-major strides of shape to st[:0]
// (allocating only if st is too short).
func shapeContiguousInto(st, shape []int) []int {
	st = append(st[:0], shape...)
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}
