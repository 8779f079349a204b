package autograd

import (
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Pad surrounds x with value: dimension d gets before[d] elements in front
// and after[d] behind (both non-negative, one entry per dimension of x). It
// is torch.nn.functional.pad(x, pad, "constant", value), whose pad list runs
// the other way round: (before[last], after[last], before[last-1], ...).
// Negative (cropping) pads are not supported; use Slice.
func (t *Tape) Pad(x *Var, before, after []int, value float32) *Var {
	xs := x.Value.Shape
	if len(before) != len(xs) || len(after) != len(xs) {
		panicf("Pad: pads %v and %v need one entry per dimension of %v", before, after, xs)
	}
	shape := make([]int, len(xs))
	for d := range xs {
		if before[d] < 0 || after[d] < 0 {
			panicf("Pad: negative pad in %v, %v for %v", before, after, xs)
		}
		shape[d] = before[d] + xs[d] + after[d]
	}
	out := t.newOut(shape, x)
	if isMeta(out) {
		return out
	}
	od := out.Value.Data
	for i := range od {
		od[i] = value
	}
	ost, xst := tensor.Strides(shape), tensor.Strides(xs)
	off := 0
	for d := range xs {
		off += before[d] * ost[d]
	}
	kernels.CopyStrided(xs, od, off, ost, x.Value.Data, 0, xst)
	t.push("Pad", out, func(g []float32) {
		kernels.AddStrided(xs, x.grad(), 0, xst, g, off, ost)
	}, x)
	return out
}

// Roll shifts x circularly by shifts[i] along axes[i] (negative shifts and
// axes allowed; a repeated axis adds its shifts), as torch.roll(x, shifts,
// axes): element c moves to c+shift modulo the size. torch.roll's flattened
// form (no axes) is not supported.
func (t *Tape) Roll(x *Var, shifts, axes []int) *Var {
	xs := x.Value.Shape
	if len(shifts) != len(axes) || len(axes) == 0 {
		panicf("Roll: need one shift per axis, got shifts %v and axes %v for %v", shifts, axes, xs)
	}
	shift := make([]int, len(xs)) // net shift per axis, in [0, n)
	for i, a := range axes {
		a = shapeAxis("Roll", a, len(xs), xs)
		if n := xs[a]; n > 0 {
			shift[a] = ((shift[a]+shifts[i])%n + n) % n
		}
	}
	out := t.newOut(xs, x)
	if isMeta(out) {
		return out
	}
	// Along a shifted axis of size n, the output's [s, n) is the input's
	// [0, n-s) and its [0, s) the input's [n-s, n): each combination of
	// halves over the shifted axes is one strided block copy.
	var rolled []int
	for a, s := range shift {
		if s != 0 {
			rolled = append(rolled, a)
		}
	}
	st := tensor.Strides(xs)
	type block struct {
		shape    []int
		dst, src int
	}
	var blocks []block
	for mask := 0; mask < 1<<len(rolled); mask++ {
		b := block{shape: append([]int{}, xs...)}
		for k, a := range rolled {
			n, s := xs[a], shift[a]
			if mask&(1<<k) == 0 {
				b.shape[a] = n - s
				b.dst += s * st[a]
			} else {
				b.shape[a] = s
				b.src += (n - s) * st[a]
			}
		}
		blocks = append(blocks, b)
	}
	for _, b := range blocks {
		kernels.CopyStrided(b.shape, out.Value.Data, b.dst, st, x.Value.Data, b.src, st)
	}
	t.push("Roll", out, func(g []float32) {
		gx := x.grad()
		for _, b := range blocks {
			kernels.AddStrided(b.shape, gx, b.src, st, g, b.dst, st)
		}
	}, x)
	return out
}

// refPad is the naive reference for Pad: each output coordinate reads x
// when it falls inside, and is value otherwise.
func refPad(x *tensor.Tensor, before, after []int, value float32) *tensor.Tensor {
	shape := make([]int, x.Dims())
	for d, n := range x.Shape {
		shape[d] = before[d] + n + after[d]
	}
	out := tensor.New(shape...)
	c := make([]int, len(shape))
	for o := range out.Data {
		shapeRefCoord(o, shape, c)
		out.Data[o] = value
		inside := true
		for d := range c {
			c[d] -= before[d]
			inside = inside && c[d] >= 0 && c[d] < x.Shape[d]
		}
		if inside {
			out.Data[o] = x.Data[shapeRefFlat(c, x.Shape)]
		}
	}
	return out
}

// refRoll is the naive reference for Roll: it applies the (shift, axis)
// pairs one after the other, each as out[c] = in[c with c[a]-shift mod n].
func refRoll(x *tensor.Tensor, shifts, axes []int) *tensor.Tensor {
	cur := x.Clone()
	for i, a := range axes {
		if a < 0 {
			a += x.Dims()
		}
		n := x.Shape[a]
		next := tensor.New(x.Shape...)
		c := make([]int, x.Dims())
		for o := range next.Data {
			shapeRefCoord(o, x.Shape, c)
			c[a] = ((c[a]-shifts[i])%n + n) % n
			next.Data[o] = cur.Data[shapeRefFlat(c, x.Shape)]
		}
		cur = next
	}
	return cur
}
