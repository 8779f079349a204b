package kernels

import "fmt"

// CopyStrided copies a strided view of src into a strided view of dst. For
// every coordinate c of shape, in row-major order,
//
//	dst[dOff + Σ_i c[i]*dStrides[i]] = src[sOff + Σ_i c[i]*sStrides[i]]
//
// The dst positions must be distinct (no zero or overlapping dst strides).
// Permutes, slices, concatenation, padding and broadcasts (zero src strides)
// are all such copies.
func CopyStrided(shape []int, dst []float32, dOff int, dStrides []int, src []float32, sOff int, sStrides []int) {
	dims, n := shapeStridedDims("CopyStrided", shape, dStrides, sStrides)
	if n == 0 {
		return
	}
	in := dims[len(dims)-1]
	shapeRows(dims, dOff, sOff, true, func(d, s int) {
		if in.ds == 1 && in.ss == 1 {
			copy(dst[d:d+in.n], src[s:s+in.n])
			return
		}
		for k := 0; k < in.n; k++ {
			dst[d+k*in.ds] = src[s+k*in.ss]
		}
	})
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
	dims, n := shapeStridedDims("AddStrided", shape, dStrides, sStrides)
	if n == 0 {
		return
	}
	in := dims[len(dims)-1]
	// Rows that share dst elements must run in order, on one goroutine.
	parallel := true
	for _, d := range dims[:len(dims)-1] {
		if d.ds == 0 {
			parallel = false
		}
	}
	shapeRows(dims, dOff, sOff, parallel, func(d, s int) {
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
	})
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
	ds := shapeContiguous(shape)
	dims, n := shapeStridedDims("GatherStrided", shape, ds, sStrides)
	if n == 0 {
		return
	}
	if len(dst) < n || len(index) < n {
		panic(fmt.Sprintf("kernels: GatherStrided: shape %v needs %d outputs and indices, have %d and %d", shape, n, len(dst), len(index)))
	}
	// dst is contiguous from 0, so a row's dst offset is its flat index, and
	// the last kept dimension has dst stride 1 (or is the lone size-1 one).
	in := dims[len(dims)-1]
	shapeRows(dims, 0, 0, true, func(d, s int) {
		for k := 0; k < in.n; k++ {
			dst[d+k] = src[s+k*in.ss+index[d+k]*step]
		}
	})
}

// ScatterAddStrided is the adjoint of GatherStrided: for every coordinate c
// of shape, with row-major flat index o, in increasing o,
//
//	dst[Σ_i c[i]*dStrides[i] + index[o]*step] += src[o]
//
// It runs on one goroutine, since indices may repeat.
func ScatterAddStrided(shape []int, dst []float32, dStrides []int, index []int, step int, src []float32) {
	ss := shapeContiguous(shape)
	dims, n := shapeStridedDims("ScatterAddStrided", shape, ss, dStrides)
	if n == 0 {
		return
	}
	if len(src) < n || len(index) < n {
		panic(fmt.Sprintf("kernels: ScatterAddStrided: shape %v needs %d inputs and indices, have %d and %d", shape, n, len(src), len(index)))
	}
	// The walk's first view is src (contiguous, so as in GatherStrided its
	// offset is the flat index o), its second dst.
	in := dims[len(dims)-1]
	shapeRows(dims, 0, 0, false, func(s, d int) {
		for k := 0; k < in.n; k++ {
			dst[d+k*in.ss+index[s+k]*step] += src[s+k]
		}
	})
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
	ParallelFor(outer*m, max(1, 16384/inner), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o, j := r/m, r%m
			s := (o*n + index[j]) * inner
			copy(dst[r*inner:(r+1)*inner], src[s:s+inner])
		}
	})
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
	ParallelFor(outer, max(1, 16384/(m*inner)), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			for j, i := range index {
				dr := dst[(o*n+i)*inner : (o*n+i+1)*inner]
				for k, v := range src[(o*m+j)*inner : (o*m+j+1)*inner] {
					dr[k] += v
				}
			}
		}
	})
}

// shapeDim is one dimension of a strided walk: its size and the dst and src
// strides along it.
type shapeDim struct{ n, ds, ss int }

// shapeStridedDims validates a strided walk and simplifies it: size-1
// dimensions are dropped and neighbours that are contiguous in both views are
// merged, which keeps row-major order. It returns at least one dimension and
// the number of elements.
func shapeStridedDims(name string, shape, ds, ss []int) ([]shapeDim, int) {
	if len(ds) != len(shape) || len(ss) != len(shape) {
		panic(fmt.Sprintf("kernels: %s: shape %v with strides %v and %v", name, shape, ds, ss))
	}
	numel := 1
	dims := make([]shapeDim, 0, len(shape)+1)
	for i, n := range shape {
		if n < 0 {
			panic(fmt.Sprintf("kernels: %s: negative size in shape %v", name, shape))
		}
		numel *= n
		if n == 1 {
			continue
		}
		d := shapeDim{n, ds[i], ss[i]}
		if k := len(dims) - 1; k >= 0 && dims[k].ds == d.ds*d.n && dims[k].ss == d.ss*d.n {
			dims[k] = shapeDim{dims[k].n * d.n, d.ds, d.ss}
			continue
		}
		dims = append(dims, d)
	}
	if len(dims) == 0 {
		dims = append(dims, shapeDim{1, 0, 0})
	}
	return dims, numel
}

// shapeRows calls row(d, s) with the dst and src offsets of the start of
// every row (one row per coordinate of all dimensions but the last), in
// row-major order, splitting the rows across goroutines when parallel.
func shapeRows(dims []shapeDim, dOff, sOff int, parallel bool, row func(d, s int)) {
	outer := dims[:len(dims)-1]
	rows := 1
	for _, d := range outer {
		rows *= d.n
	}
	walk := func(lo, hi int) {
		coord := make([]int, len(outer))
		d, s := dOff, sOff
		rem := lo
		for i := len(outer) - 1; i >= 0; i-- {
			coord[i] = rem % outer[i].n
			rem /= outer[i].n
			d += coord[i] * outer[i].ds
			s += coord[i] * outer[i].ss
		}
		for r := lo; r < hi; r++ {
			row(d, s)
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
	if !parallel {
		walk(0, rows)
		return
	}
	ParallelFor(rows, max(1, 16384/dims[len(dims)-1].n), walk)
}

// shapeContiguous returns the row-major strides of shape.
func shapeContiguous(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}
