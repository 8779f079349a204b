package autograd

import (
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// IndexSelect picks the entries index[j] of x along axis (negative counts
// from the end), in the order given, as torch.index_select(x, axis, index):
// the output has x's shape with len(index) along axis. Indices may repeat
// (their gradients add up); each must lie in [0, n) (torch's negative
// indices are not accepted).
func (t *Tape) IndexSelect(x *Var, axis int, index []int) *Var {
	xs := x.Value.Shape
	axis = shapeAxis("IndexSelect", axis, len(xs), xs)
	n := xs[axis]
	for j, i := range index {
		if i < 0 || i >= n {
			panicf("IndexSelect: index %d (entry %d) out of range [0, %d) along axis %d of %v", i, j, n, axis, xs)
		}
	}
	idx := t.ints(len(index))
	copy(idx, index)
	shape := t.ints(len(xs))
	copy(shape, xs)
	shape[axis] = len(idx)
	out := t.newOutRaw(shape, x)
	if isMeta(out) {
		return out
	}
	outer, inner := tensor.Numel(xs[:axis]), tensor.Numel(xs[axis+1:])
	kernels.GatherRows(outer, n, inner, idx, x.Value.Data, out.Value.Data)
	if t.wants(out, x) {
		nd := t.arena.nodes.indexSelect.get()
		*nd = indexSelectNode{x: x, outer: outer, n: n, inner: inner, idx: idx}
		t.pushNode("IndexSelect", out, nd)
	}
	return out
}

// indexSelectNode is IndexSelect's backward: the gradient's rows are added
// back to the rows they were read from.
type indexSelectNode struct {
	x               *Var
	outer, n, inner int
	idx             []int
}

func (nd *indexSelectNode) backward(g []float32) {
	kernels.ScatterAddRows(nd.outer, nd.n, nd.inner, nd.idx, g, nd.x.grad())
}

// Gather reads x along axis (negative counts from the end) at positions
// given per output element, as torch.gather(x, axis, index): index holds the
// values of an integer tensor of shape indexShape (row-major), which has x's
// rank and no dimension larger than x's except along axis, and
//
//	out[c] = x[c with c[axis] replaced by index[c]]
//
// The output has shape indexShape. Each index must lie in [0, x's size
// along axis); repeated indices add up their gradients.
func (t *Tape) Gather(x *Var, axis int, index []int, indexShape []int) *Var {
	xs := x.Value.Shape
	axis = shapeAxis("Gather", axis, len(xs), xs)
	if len(indexShape) != len(xs) {
		panicf("Gather: index shape %v must have the rank of %v", indexShape, xs)
	}
	for d, m := range indexShape {
		if m < 0 || (d != axis && m > xs[d]) {
			panicf("Gather: index shape %v does not fit %v outside axis %d", indexShape, xs, axis)
		}
	}
	if len(index) != tensor.Numel(indexShape) {
		panicf("Gather: %d indices for index shape %v", len(index), indexShape)
	}
	n := xs[axis]
	for j, i := range index {
		if i < 0 || i >= n {
			panicf("Gather: index %d (entry %d) out of range [0, %d) along axis %d of %v", i, j, n, axis, xs)
		}
	}
	idx := append([]int{}, index...)
	shape := append([]int{}, indexShape...)
	out := t.newOutRaw(shape, x)
	if isMeta(out) {
		return out
	}
	ss := tensor.Strides(xs)
	step := ss[axis]
	ss[axis] = 0
	kernels.GatherStrided(shape, out.Value.Data, x.Value.Data, ss, idx, step)
	t.push("Gather", out, func(g []float32) {
		kernels.ScatterAddStrided(shape, x.grad(), ss, idx, step, g)
	}, x)
	return out
}

// refIndexSelect is the naive reference for IndexSelect with a
// non-negative axis.
func refIndexSelect(x *tensor.Tensor, axis int, index []int) *tensor.Tensor {
	shape := append([]int{}, x.Shape...)
	shape[axis] = len(index)
	out := tensor.New(shape...)
	c := make([]int, len(shape))
	for o := range out.Data {
		shapeRefCoord(o, shape, c)
		c[axis] = index[c[axis]]
		out.Data[o] = x.Data[shapeRefFlat(c, x.Shape)]
	}
	return out
}

// refGather is the naive reference for Gather with a non-negative axis.
func refGather(x *tensor.Tensor, axis int, index []int, indexShape []int) *tensor.Tensor {
	out := tensor.New(indexShape...)
	c := make([]int, len(indexShape))
	for o := range out.Data {
		shapeRefCoord(o, indexShape, c)
		c[axis] = index[o]
		out.Data[o] = x.Data[shapeRefFlat(c, x.Shape)]
	}
	return out
}
