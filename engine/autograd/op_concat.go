package autograd

import (
	"slices"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Concat joins xs along axis (negative counts from the end), as torch.cat:
// all inputs have the same rank and the same sizes except along axis.
func (t *Tape) Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panicf("Concat: no inputs")
	}
	s0 := xs[0].Value.Shape
	if len(s0) == 0 {
		panicf("Concat: cannot concatenate scalars")
	}
	axis = shapeAxis("Concat", axis, len(s0), s0)
	shape := t.ints(len(s0))
	copy(shape, s0)
	shape[axis] = 0
	for _, x := range xs {
		s := x.Value.Shape
		ok := len(s) == len(s0)
		for d := 0; ok && d < len(s); d++ {
			ok = d == axis || s[d] == s0[d]
		}
		if !ok {
			panicf("Concat: shape %v does not match %v outside axis %d", s, s0, axis)
		}
		shape[axis] += s[axis]
	}
	out := t.newOutRaw(shape, xs...)
	if isMeta(out) {
		return out
	}
	outer, inner := tensor.Numel(shape[:axis]), tensor.Numel(shape[axis+1:])
	row := shape[axis] * inner // one outer row of the output
	offs := t.ints(len(xs))
	for i, off := 0, 0; i < len(xs); i++ {
		offs[i] = off
		off += xs[i].Value.Shape[axis] * inner
	}
	for i, x := range xs {
		w := x.Value.Shape[axis] * inner
		kernels.CopyStrided([]int{outer, w}, out.Value.Data, offs[i], []int{row, 1}, x.Value.Data, 0, []int{w, 1})
	}
	if t.wants(out, xs...) {
		n := t.arena.nodes.concat.get()
		*n = concatNode{xs: t.arena.vptrs.run(xs), offs: offs, axis: axis, outer: outer, inner: inner, row: row}
		t.pushNode("Concat", out, n)
	}
	return out
}

// concatNode is the backward of Concat: each input's part of the gradient
// added back.
type concatNode struct {
	xs                      []*Var
	offs                    []int // where each input starts in an outer row of the output
	axis, outer, inner, row int
}

func (n *concatNode) backward(g []float32) {
	for i, x := range n.xs {
		if x.requiresGrad {
			w := x.Value.Shape[n.axis] * n.inner
			kernels.AddStrided([]int{n.outer, w}, x.grad(), 0, []int{w, 1}, g, n.offs[i], []int{n.row, 1})
		}
	}
}

// Split cuts x along axis (negative counts from the end) into consecutive
// pieces of the given sizes, which must add up to x's size along axis, as
// torch.split(x, sizes, axis). Each piece is a Var of its own (a copy, where
// torch returns views) whose backward adds into its part of x's gradient.
func (t *Tape) Split(x *Var, axis int, sizes ...int) []*Var {
	xs := x.Value.Shape
	axis = shapeAxis("Split", axis, len(xs), xs)
	sum := 0
	for _, n := range sizes {
		if n < 0 {
			panicf("Split: negative size in %v for %v", slices.Clone(sizes), xs)
		}
		sum += n
	}
	if sum != xs[axis] {
		panicf("Split: sizes %v add up to %d, not to dimension %d (%d) of %v", slices.Clone(sizes), sum, axis, xs[axis], xs)
	}
	var out []*Var // valid, like the pieces, until the tape's next Reset
	if t != nil {
		out = t.arena.vptrs.make(len(sizes))
	} else {
		out = make([]*Var, len(sizes))
	}
	start := 0
	for i, n := range sizes {
		out[i] = t.shapeSlice("Split", x, axis, start, n, 1)
		start += n
	}
	return out
}

// Slice returns x[..., start:end:step, ...] along axis, as Python and
// PyTorch slicing with step >= 1: a negative start or end counts from the
// end, and both are then clamped to [0, n]. The output is a copy.
func (t *Tape) Slice(x *Var, axis, start, end, step int) *Var {
	xs := x.Value.Shape
	axis = shapeAxis("Slice", axis, len(xs), xs)
	if step < 1 {
		panicf("Slice: step %d < 1 for %v", step, xs)
	}
	n := xs[axis]
	start, end = shapeClampIndex(start, n), shapeClampIndex(end, n)
	count := 0
	if end > start {
		count = (end - start + step - 1) / step
	}
	return t.shapeSlice("Slice", x, axis, start, count, step)
}

// shapeClampIndex counts a negative index i from the end of n and clamps
// it to [0, n], as Python's slicing.
func shapeClampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return min(max(i, 0), n)
}

// shapeSlice returns the count elements start, start+step, ... of x along
// the valid axis.
func (t *Tape) shapeSlice(name string, x *Var, axis, start, count, step int) *Var {
	xs := x.Value.Shape
	shape := t.ints(len(xs))
	copy(shape, xs)
	shape[axis] = count
	out := t.newOutRaw(shape, x)
	if isMeta(out) {
		return out
	}
	outer, n, inner := tensor.Numel(xs[:axis]), xs[axis], tensor.Numel(xs[axis+1:])
	view, ost, xst := t.ints(3), t.ints(3), t.ints(3)
	view[0], view[1], view[2] = outer, count, inner
	ost[0], ost[1], ost[2] = count*inner, inner, 1
	xst[0], xst[1], xst[2] = n*inner, step*inner, 1
	kernels.CopyStrided(view, out.Value.Data, 0, ost, x.Value.Data, start*inner, xst)
	t.pushStrided(name, out, x, view, xst, start*inner, ost)
	return out
}

// refConcat is the naive reference for Concat with a non-negative axis:
// each output coordinate finds its input by walking the sizes along axis.
func refConcat(axis int, xs ...*tensor.Tensor) *tensor.Tensor {
	shape := append([]int{}, xs[0].Shape...)
	shape[axis] = 0
	for _, x := range xs {
		shape[axis] += x.Shape[axis]
	}
	out := tensor.New(shape...)
	c := make([]int, len(shape))
	for o := range out.Data {
		shapeRefCoord(o, shape, c)
		k := c[axis]
		for _, x := range xs {
			if k < x.Shape[axis] {
				xc := append([]int{}, c...)
				xc[axis] = k
				out.Data[o] = x.Data[shapeRefFlat(xc, x.Shape)]
				break
			}
			k -= x.Shape[axis]
		}
	}
	return out
}

// refSplit is the naive reference for Split with a non-negative axis.
func refSplit(x *tensor.Tensor, axis int, sizes ...int) []*tensor.Tensor {
	var out []*tensor.Tensor
	start := 0
	for _, n := range sizes {
		out = append(out, refSlice(x, axis, start, start+n, 1))
		start += n
	}
	return out
}

// refSlice is the naive reference for Slice with a non-negative axis: it
// lists the kept indices one by one, as Python's range(start, end, step)
// after the same normalisation.
func refSlice(x *tensor.Tensor, axis, start, end, step int) *tensor.Tensor {
	n := x.Shape[axis]
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = min(max(start, 0), n)
	end = min(max(end, 0), n)
	var keep []int
	for i := start; i < end; i += step {
		keep = append(keep, i)
	}
	shape := append([]int{}, x.Shape...)
	shape[axis] = len(keep)
	out := tensor.New(shape...)
	c := make([]int, len(shape))
	for o := range out.Data {
		shapeRefCoord(o, shape, c)
		c[axis] = keep[c[axis]]
		out.Data[o] = x.Data[shapeRefFlat(c, x.Shape)]
	}
	return out
}
