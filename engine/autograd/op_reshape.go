package autograd

import (
	"slices"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Reshape returns x with a new shape holding the same elements in the same
// row-major order, as torch.reshape. One dimension may be -1, to be inferred.
// The output shares x's data (ops never write their inputs); its gradient is
// a buffer of its own.
func (t *Tape) Reshape(x *Var, shape ...int) *Var {
	s := t.ints(len(shape))
	copy(s, shape)
	shapeResolve("Reshape", x.Value.Shape, s)
	return t.shapeView("Reshape", x, s)
}

// Flatten merges dimensions start..end (inclusive; negative axes count from
// the end) of x into one, as torch.flatten(x, start, end). A scalar becomes
// a vector of one element, as in PyTorch. The output shares x's data.
func (t *Tape) Flatten(x *Var, start, end int) *Var {
	xs := x.Value.Shape
	if len(xs) == 0 {
		shapeAxis("Flatten", start, 1, xs)
		shapeAxis("Flatten", end, 1, xs)
		shape := t.ints(1)
		shape[0] = 1
		return t.shapeView("Flatten", x, shape)
	}
	s, e := shapeAxis("Flatten", start, len(xs), xs), shapeAxis("Flatten", end, len(xs), xs)
	if s > e {
		panicf("Flatten: start axis %d is after end axis %d of %v", start, end, xs)
	}
	shape := t.ints(len(xs) - (e - s))
	copy(shape, xs[:s])
	shape[s] = tensor.Numel(xs[s : e+1])
	copy(shape[s+1:], xs[e+1:])
	return t.shapeView("Flatten", x, shape)
}

// shapeView returns x under shape (same number of elements, kept by the
// output), sharing its data; the backward adds the gradient back unchanged.
func (t *Tape) shapeView(name string, x *Var, shape []int) *Var {
	if isMeta(x) {
		return &Var{Value: tensor.Meta(shape...)}
	}
	var out *Var
	if t != nil {
		out = t.arena.vars.get()
		out.Value = t.arena.tensor(shape, x.Value.Data)
		out.arena = &t.arena
	} else {
		out = &Var{Value: &tensor.Tensor{Shape: shape, Data: x.Value.Data}}
	}
	if t.wants(out, x) {
		n := t.arena.nodes.view.get()
		n.x = x
		t.pushNode(name, out, n)
	}
	return out
}

// viewNode is the backward of a view: the gradient added back unchanged.
type viewNode struct{ x *Var }

func (n *viewNode) backward(g []float32) {
	gx := n.x.grad()
	for i, v := range g {
		gx[i] += v
	}
}

// Permute returns x with its dimensions reordered: output dimension i is
// input dimension perm[i] (negative axes count from the end), as
// torch.permute. Unlike torch.permute, which returns a strided view, the
// output is a contiguous copy.
func (t *Tape) Permute(x *Var, perm ...int) *Var {
	xs := x.Value.Shape
	if len(perm) != len(xs) {
		panicf("Permute: permutation %v of %d axes for shape %v", slices.Clone(perm), len(perm), xs)
	}
	p := t.ints(len(perm))
	for i, a := range perm {
		p[i] = shapeAxis("Permute", a, len(xs), xs)
		if slices.Contains(p[:i], p[i]) {
			panicf("Permute: axis %d repeated in permutation %v of %v", a, slices.Clone(perm), xs)
		}
	}
	return t.shapePermute("Permute", x, p)
}

// Transpose returns x with axes a and b swapped (negative axes count from the
// end), as torch.transpose, but as a contiguous copy rather than a view.
func (t *Tape) Transpose(x *Var, a, b int) *Var {
	xs := x.Value.Shape
	a, b = shapeAxis("Transpose", a, len(xs), xs), shapeAxis("Transpose", b, len(xs), xs)
	p := t.ints(len(xs))
	for i := range p {
		p[i] = i
	}
	p[a], p[b] = b, a
	return t.shapePermute("Transpose", x, p)
}

// shapePermute permutes x by the valid permutation p.
func (t *Tape) shapePermute(name string, x *Var, p []int) *Var {
	xs := x.Value.Shape
	shape := t.ints(len(p))
	xst := shapeStrides(t.ints(len(xs)), xs)
	pst := t.ints(len(p)) // x's strides in output order
	for i, a := range p {
		shape[i] = xs[a]
		pst[i] = xst[a]
	}
	out := t.newOutRaw(shape, x) // CopyStrided writes every element
	if isMeta(out) {
		return out
	}
	ost := shapeStrides(t.ints(len(shape)), shape)
	kernels.CopyStrided(shape, out.Value.Data, 0, ost, x.Value.Data, 0, pst)
	t.pushStrided(name, out, x, shape, pst, 0, ost)
	return out
}

// pushStrided records the backward of an op whose output is a strided
// copy of x (shape, read from x at offset xOff with strides xst, written
// with strides ost): the gradient added back through the same walk.
func (t *Tape) pushStrided(name string, out, x *Var, shape, xst []int, xOff int, ost []int) {
	if t.wants(out, x) {
		n := t.arena.nodes.strided.get()
		*n = stridedNode{x: x, shape: shape, xst: xst, xOff: xOff, ost: ost}
		t.pushNode(name, out, n)
	}
}

// stridedNode is the backward of a strided copy (see pushStrided); Pad's
// gradient is read at offset gOff.
type stridedNode struct {
	x          *Var
	shape, xst []int
	xOff       int
	ost        []int
	gOff       int
}

func (n *stridedNode) backward(g []float32) {
	kernels.AddStrided(n.shape, n.x.grad(), n.xOff, n.xst, g, n.gOff, n.ost)
}

// shapeStrides sets st to the row-major strides of shape and returns it.
func shapeStrides(st, shape []int) []int {
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// Expand broadcasts x to shape, as torch.expand (and torch.broadcast_to):
// shape may add leading dimensions; each of x's dimensions must equal its
// target or be 1 (then repeated); -1 keeps x's size. Unlike torch.expand,
// which returns a view with zero strides, the output is a contiguous copy.
// The backward sums the gradient over the broadcast dimensions.
func (t *Tape) Expand(x *Var, shape ...int) *Var {
	xs := x.Value.Shape
	lead := len(shape) - len(xs)
	if lead < 0 {
		panicf("Expand: cannot expand %v to fewer dimensions %v", xs, slices.Clone(shape))
	}
	out := t.ints(len(shape))
	xst := shapeStrides(t.ints(len(xs)), xs)
	sst := t.ints(len(shape)) // x's strides in output order, 0 where broadcast
	for i, n := range shape {
		if i < lead {
			if n < 0 {
				panicf("Expand: new leading dimension %d of %v must be given (not %d) for %v", i, slices.Clone(shape), n, xs)
			}
			out[i] = n
			continue
		}
		d := xs[i-lead]
		switch {
		case n == -1 || n == d:
			out[i] = d
			sst[i] = xst[i-lead]
		case d == 1 && n >= 0:
			out[i] = n
		default:
			panicf("Expand: cannot expand %v to %v (dimension %d)", xs, slices.Clone(shape), i)
		}
	}
	o := t.newOutRaw(out, x)
	if isMeta(o) {
		return o
	}
	ost := shapeStrides(t.ints(len(out)), out)
	kernels.CopyStrided(out, o.Value.Data, 0, ost, x.Value.Data, 0, sst)
	t.pushStrided("Expand", o, x, out, sst, 0, ost)
	return o
}

// shapeAxis returns axis of a rank-dimensional tensor of shape, with a
// negative axis counted from the end, or panics naming op.
func shapeAxis(op string, axis, rank int, shape []int) int {
	if axis < -rank || axis >= rank {
		panicf("%s: axis %d out of range for shape %v", op, axis, shape)
	}
	if axis < 0 {
		axis += rank
	}
	return axis
}

// shapeResolve infers a single -1 of shape, in place, so that it holds the
// elements of in, or panics naming op.
func shapeResolve(op string, in, shape []int) {
	numel := tensor.Numel(in)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panicf("%s: bad target shape %v for %v", op, slices.Clone(shape), in)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || numel%known != 0 {
			panicf("%s: cannot reshape %v (%d elements) to %v", op, in, numel, slices.Clone(shape))
		}
		shape[infer] = numel / known
	} else if known != numel {
		panicf("%s: cannot reshape %v (%d elements) to %v", op, in, numel, slices.Clone(shape))
	}
}

// shapeRefCoord decodes the row-major flat index o of shape into coord.
func shapeRefCoord(o int, shape, coord []int) {
	for d := len(shape) - 1; d >= 0; d-- {
		coord[d] = o % shape[d]
		o /= shape[d]
	}
}

// shapeRefFlat encodes coord as a row-major flat index of shape.
func shapeRefFlat(coord, shape []int) int {
	i := 0
	for d, n := range shape {
		i = i*n + coord[d]
	}
	return i
}

// refReshape is the naive reference for Reshape: the same values in the same
// order under the new shape, with -1 found by dividing out the others.
func refReshape(x *tensor.Tensor, shape ...int) *tensor.Tensor {
	s := append([]int{}, shape...)
	rest := 1
	for _, d := range s {
		if d != -1 {
			rest *= d
		}
	}
	for i, d := range s {
		if d == -1 {
			s[i] = len(x.Data) / rest
		}
	}
	return tensor.FromData(append([]float32(nil), x.Data...), s...)
}

// refFlatten is the naive reference for Flatten with non-negative axes.
func refFlatten(x *tensor.Tensor, start, end int) *tensor.Tensor {
	var s []int
	m := 1
	for i, d := range x.Shape {
		switch {
		case i < start || i > end:
			s = append(s, d)
		case i < end:
			m *= d
		default:
			s = append(s, m*d)
		}
	}
	return tensor.FromData(append([]float32(nil), x.Data...), s...)
}

// refPermute is the naive reference for Permute with non-negative axes:
// out[c] = x[c'] where c'[perm[i]] = c[i].
func refPermute(x *tensor.Tensor, perm ...int) *tensor.Tensor {
	shape := make([]int, len(perm))
	for i, a := range perm {
		shape[i] = x.Shape[a]
	}
	out := tensor.New(shape...)
	c, xc := make([]int, len(shape)), make([]int, len(shape))
	for o := range out.Data {
		shapeRefCoord(o, shape, c)
		for i, a := range perm {
			xc[a] = c[i]
		}
		out.Data[o] = x.Data[shapeRefFlat(xc, x.Shape)]
	}
	return out
}

// refTranspose is the naive reference for Transpose with non-negative axes.
func refTranspose(x *tensor.Tensor, a, b int) *tensor.Tensor {
	shape := append([]int{}, x.Shape...)
	shape[a], shape[b] = shape[b], shape[a]
	out := tensor.New(shape...)
	c := make([]int, len(shape))
	for o := range out.Data {
		shapeRefCoord(o, shape, c)
		c[a], c[b] = c[b], c[a]
		out.Data[o] = x.Data[shapeRefFlat(c, x.Shape)]
	}
	return out
}

// refExpand is the naive reference for Expand: each output coordinate reads
// x at the same trailing coordinates, 0 along x's size-1 dimensions.
func refExpand(x *tensor.Tensor, shape ...int) *tensor.Tensor {
	lead := len(shape) - x.Dims()
	s := append([]int{}, shape...)
	for i := lead; i < len(s); i++ {
		if s[i] == -1 {
			s[i] = x.Shape[i-lead]
		}
	}
	out := tensor.New(s...)
	c, xc := make([]int, len(s)), make([]int, x.Dims())
	for o := range out.Data {
		shapeRefCoord(o, s, c)
		for i := range xc {
			if x.Shape[i] != 1 {
				xc[i] = c[lead+i]
			} else {
				xc[i] = 0
			}
		}
		out.Data[o] = x.Data[shapeRefFlat(xc, x.Shape)]
	}
	return out
}
