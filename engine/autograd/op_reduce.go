package autograd

import (
	"math"
	"slices"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Reductions over a set of axes. axes may be negative (counted from the
// end); nil or empty axes reduce over all axes, giving a scalar of shape []
// unless keepdim. With keepdim the reduced axes stay as size 1, otherwise
// they are removed, as PyTorch's keepdim. A repeated or out-of-range axis
// panics. Each output reduces its group of elements in row-major order, in
// float32 (see kernels.ReduceSum).

// Sum returns the sum of x over axes, as torch.sum(x, dim=axes,
// keepdim=keepdim).
func (t *Tape) Sum(x *Var, axes []int, keepdim bool) *Var {
	r := elementwiseReduction(t, "Sum", x.Value.Shape, axes, keepdim)
	out := t.newOut(r.shape, x)
	if isMeta(out) {
		return out
	}
	base, offs := r.groups(t)
	kernels.ReduceSum(out.Value.Data, x.Value.Data, base, offs)
	t.pushReduceSum("Sum", out, x, base, offs, 1)
	return out
}

// Mean returns the mean of x over axes, as torch.mean(x, dim=axes,
// keepdim=keepdim): the float32 sum divided by the group size (NaN for an
// empty group).
func (t *Tape) Mean(x *Var, axes []int, keepdim bool) *Var {
	r := elementwiseReduction(t, "Mean", x.Value.Shape, axes, keepdim)
	out := t.newOut(r.shape, x)
	if isMeta(out) {
		return out
	}
	base, offs := r.groups(t)
	od, n := out.Value.Data, float32(r.n)
	kernels.ReduceSum(od, x.Value.Data, base, offs)
	for i := range od {
		od[i] /= n
	}
	t.pushReduceSum("Mean", out, x, base, offs, 1/n)
	return out
}

// pushReduceSum records the backward of a sum over groups scaled by scale:
// each output's gradient, times scale, spread over its group.
func (t *Tape) pushReduceSum(name string, out, x *Var, base, offs []int, scale float32) {
	if t.wants(out, x) {
		n := t.arena.nodes.reduce.get()
		*n = reduceNode{x: x, base: base, offs: offs, scale: scale}
		t.pushNode(name, out, n)
	}
}

// reduceNode is the backward of Sum and Mean.
type reduceNode struct {
	x          *Var
	base, offs []int
	scale      float32
}

func (n *reduceNode) backward(g []float32) {
	kernels.ReduceSumBackward(n.x.grad(), g, n.base, n.offs, n.scale)
}

// Max returns the largest element of x over axes, as torch.amax(x,
// dim=axes, keepdim=keepdim); a NaN in a group wins. The gradient of each
// output goes to the FIRST maximal element of its group (in row-major
// order), where torch.amax splits it evenly among tied maxima: the two agree
// when there are no ties. An empty group panics.
func (t *Tape) Max(x *Var, axes []int, keepdim bool) *Var {
	r := elementwiseReduction(t, "Max", x.Value.Shape, axes, keepdim)
	if r.n == 0 && tensor.Numel(r.shape) > 0 {
		panicf("Max: reducing shape %v over axes %v, which are empty", x.Value.Shape, axes)
	}
	out := t.newOut(r.shape, x)
	if isMeta(out) {
		return out
	}
	base, offs := r.groups(t)
	arg := make([]int, len(base))
	kernels.ReduceMax(out.Value.Data, arg, x.Value.Data, base, offs)
	t.push("Max", out, func(g []float32) {
		gx := x.grad()
		for o, i := range arg {
			gx[i] += g[o]
		}
	}, x)
	return out
}

// Variance returns the variance of x over axes, as torch.var(x, dim=axes,
// correction=correction, keepdim=keepdim): the sum of squared deviations
// from the group mean divided by max(0, n - correction) for a group of n
// elements (correction 1: unbiased, 0: biased), so NaN or +Inf when
// n <= correction, as PyTorch's. Computed in two passes (mean, then squared
// deviations) in float32; PyTorch accumulates differently (Welford), so the
// two agree to float32 rounding, not bit for bit.
func (t *Tape) Variance(x *Var, axes []int, correction int, keepdim bool) *Var {
	r := elementwiseReduction(t, "Variance", x.Value.Shape, axes, keepdim)
	out := t.newOut(r.shape, x)
	if isMeta(out) {
		return out
	}
	base, offs := r.groups(t)
	div := float32(max(0, r.n-correction))
	mean := t.alloc(len(base))
	kernels.ReduceVariance(out.Value.Data, mean, x.Value.Data, base, offs, div)
	t.push("Variance", out, func(g []float32) {
		kernels.ReduceVarianceBackward(x.grad(), g, x.Value.Data, mean, base, offs, 2/div)
	}, x)
	return out
}

// elementwiseReduce describes a reduction of a tensor of shape in over some
// of its axes.
type elementwiseReduce struct {
	in      []int // input shape
	reduced []int // per input axis: 1 if reduced, else 0
	shape   []int // output shape
	n       int   // elements per output (group size)
}

// elementwiseReduction validates axes for shape in and returns the
// reduction, its slices from t (see Tape.ints); op names the caller in
// panics.
func elementwiseReduction(t *Tape, op string, in, axes []int, keepdim bool) elementwiseReduce {
	rank := len(in)
	r := elementwiseReduce{in: in, reduced: t.ints(rank), shape: t.ints(rank)[:0], n: 1}
	for _, a := range axes {
		if a < -rank || a >= rank {
			panicf("%s: axis %d out of range for shape %v", op, a, in)
		}
		if a < 0 {
			a += rank
		}
		if r.reduced[a] == 1 {
			panicf("%s: axis %d repeated in axes %v for shape %v", op, a, slices.Clone(axes), in)
		}
		r.reduced[a] = 1
	}
	for d := range r.reduced {
		if len(axes) == 0 {
			r.reduced[d] = 1
		}
		switch {
		case r.reduced[d] == 0:
			r.shape = append(r.shape, in[d])
		case keepdim:
			r.shape = append(r.shape, 1)
		}
		if r.reduced[d] == 1 {
			r.n *= in[d]
		}
	}
	return r
}

// groups returns, for the kernels, the flat offset in the input of the first
// element of each output's group (in output order) and the offsets of a
// group's elements relative to it (in row-major order of the reduced axes),
// both from t.
func (r elementwiseReduce) groups(t *Tape) (base, offs []int) {
	rank := len(r.in)
	strides := shapeStrides(t.ints(rank), r.in)
	keptN, keptS, redN, redS := t.ints(rank)[:0], t.ints(rank)[:0], t.ints(rank)[:0], t.ints(rank)[:0]
	for d, n := range r.in {
		if r.reduced[d] == 1 {
			redN, redS = append(redN, n), append(redS, strides[d])
		} else {
			keptN, keptS = append(keptN, n), append(keptS, strides[d])
		}
	}
	return elementwiseOffsets(t, keptN, keptS), elementwiseOffsets(t, redN, redS)
}

// elementwiseOffsets lists Σ_d c[d]·strides[d] for every coordinate c of
// sizes, in row-major order, in a slice from t.
func elementwiseOffsets(t *Tape, sizes, strides []int) []int {
	n := tensor.Numel(sizes)
	offs := t.ints(n)
	coord := t.ints(len(sizes))
	off := 0
	for i := range offs {
		offs[i] = off
		for d := len(sizes) - 1; d >= 0; d-- {
			coord[d]++
			off += strides[d]
			if coord[d] < sizes[d] {
				break
			}
			off -= strides[d] * sizes[d]
			coord[d] = 0
		}
	}
	return offs
}

// elementwiseRefGroups is the reference's own bookkeeping: the output shape
// and, for every input element, the flat index of the output it reduces
// into, found by decoding the element's coordinates and dropping the reduced
// ones.
func elementwiseRefGroups(shape, axes []int, keepdim bool) (outShape []int, outIndex []int) {
	red := map[int]bool{}
	for _, a := range axes {
		red[(a+len(shape))%len(shape)] = true
	}
	all := len(axes) == 0
	outShape = []int{}
	var kept []int
	for d, n := range shape {
		switch {
		case !all && !red[d]:
			outShape = append(outShape, n)
			kept = append(kept, d)
		case keepdim:
			outShape = append(outShape, 1)
		}
	}
	outIndex = make([]int, tensor.Numel(shape))
	coord := make([]int, len(shape))
	for i := range outIndex {
		rem := i
		for d := len(shape) - 1; d >= 0; d-- {
			coord[d] = rem % shape[d]
			rem /= shape[d]
		}
		o := 0
		for _, d := range kept {
			o = o*shape[d] + coord[d]
		}
		outIndex[i] = o
	}
	return outShape, outIndex
}

// refSum is the naive reference for Sum, summing in float64.
func refSum(x *tensor.Tensor, axes []int, keepdim bool) *tensor.Tensor {
	shape, idx := elementwiseRefGroups(x.Shape, axes, keepdim)
	acc := make([]float64, tensor.Numel(shape))
	for i, v := range x.Data {
		acc[idx[i]] += float64(v)
	}
	return elementwiseRefTensor(shape, acc)
}

// refMean is the naive reference for Mean.
func refMean(x *tensor.Tensor, axes []int, keepdim bool) *tensor.Tensor {
	shape, idx := elementwiseRefGroups(x.Shape, axes, keepdim)
	acc := make([]float64, tensor.Numel(shape))
	cnt := make([]float64, len(acc))
	for i, v := range x.Data {
		acc[idx[i]] += float64(v)
		cnt[idx[i]]++
	}
	for o := range acc {
		acc[o] /= cnt[o]
	}
	return elementwiseRefTensor(shape, acc)
}

// refMax is the naive reference for Max.
func refMax(x *tensor.Tensor, axes []int, keepdim bool) *tensor.Tensor {
	shape, idx := elementwiseRefGroups(x.Shape, axes, keepdim)
	acc := make([]float64, tensor.Numel(shape))
	for o := range acc {
		acc[o] = math.Inf(-1)
	}
	for i, v := range x.Data {
		acc[idx[i]] = math.Max(acc[idx[i]], float64(v))
	}
	return elementwiseRefTensor(shape, acc)
}

// refVariance is the naive reference for Variance, in two float64 passes.
func refVariance(x *tensor.Tensor, axes []int, correction int, keepdim bool) *tensor.Tensor {
	shape, idx := elementwiseRefGroups(x.Shape, axes, keepdim)
	mean := make([]float64, tensor.Numel(shape))
	cnt := make([]float64, len(mean))
	for i, v := range x.Data {
		mean[idx[i]] += float64(v)
		cnt[idx[i]]++
	}
	for o := range mean {
		mean[o] /= cnt[o]
	}
	ss := make([]float64, len(mean))
	for i, v := range x.Data {
		e := float64(v) - mean[idx[i]]
		ss[idx[i]] += e * e
	}
	for o := range ss {
		ss[o] /= math.Max(0, cnt[o]-float64(correction))
	}
	return elementwiseRefTensor(shape, ss)
}

// elementwiseRefTensor rounds float64 values to a float32 tensor.
func elementwiseRefTensor(shape []int, v []float64) *tensor.Tensor {
	out := tensor.New(shape...)
	for i, x := range v {
		out.Data[i] = float32(x)
	}
	return out
}
