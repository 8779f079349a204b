package autograd

import (
	"slices"

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
		panicf("Pad: pads %v and %v need one entry per dimension of %v", slices.Clone(before), slices.Clone(after), xs)
	}
	shape := t.ints(len(xs))
	for d := range xs {
		if before[d] < 0 || after[d] < 0 {
			panicf("Pad: negative pad in %v, %v for %v", slices.Clone(before), slices.Clone(after), xs)
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
	ost, xst := shapeStrides(t.ints(len(xs)), shape), shapeStrides(t.ints(len(xs)), xs)
	off := 0
	for d := range xs {
		off += before[d] * ost[d]
	}
	kernels.CopyStrided(xs, od, off, ost, x.Value.Data, 0, xst)
	if t.wants(out, x) {
		n := t.arena.nodes.strided.get()
		*n = stridedNode{x: x, shape: xs, xst: xst, ost: ost, gOff: off}
		t.pushNode("Pad", out, n)
	}
	return out
}

// Roll shifts x circularly by shifts[i] along axes[i] (negative shifts and
// axes allowed; a repeated axis adds its shifts), as torch.roll(x, shifts,
// axes): element c moves to c+shift modulo the size. torch.roll's flattened
// form (no axes) is not supported.
func (t *Tape) Roll(x *Var, shifts, axes []int) *Var {
	xs := x.Value.Shape
	if len(shifts) != len(axes) || len(axes) == 0 {
		panicf("Roll: need one shift per axis, got shifts %v and axes %v for %v", slices.Clone(shifts), slices.Clone(axes), xs)
	}
	r := len(xs)
	shift := t.ints(r) // net shift per axis, in [0, n)
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
	// halves over the shifted axes is one strided block copy. Block k is
	// blocks[k·(r+2):], its shape then its output and input offsets.
	rolled := t.ints(r)[:0]
	for a, s := range shift {
		if s != 0 {
			rolled = append(rolled, a)
		}
	}
	st := shapeStrides(t.ints(r), xs)
	nb := 1 << len(rolled)
	blocks := t.ints(nb * (r + 2))
	for mask := 0; mask < nb; mask++ {
		b := blocks[mask*(r+2) : (mask+1)*(r+2)]
		copy(b, xs)
		for k, a := range rolled {
			n, s := xs[a], shift[a]
			if mask&(1<<k) == 0 {
				b[a] = n - s
				b[r] += s * st[a]
			} else {
				b[a] = s
				b[r+1] += (n - s) * st[a]
			}
		}
	}
	for mask := 0; mask < nb; mask++ {
		b := blocks[mask*(r+2) : (mask+1)*(r+2)]
		kernels.CopyStrided(b[:r], out.Value.Data, b[r], st, x.Value.Data, b[r+1], st)
	}
	if t.wants(out, x) {
		n := t.arena.nodes.roll.get()
		*n = rollNode{x: x, st: st, blocks: blocks}
		t.pushNode("Roll", out, n)
	}
	return out
}

// rollNode is Roll's backward: each block's gradient goes back to where
// the block came from.
type rollNode struct {
	x          *Var
	st, blocks []int
}

func (n *rollNode) backward(g []float32) {
	gx := n.x.grad()
	r := len(n.st)
	for k := 0; k+r+2 <= len(n.blocks); k += r + 2 {
		b := n.blocks[k : k+r+2]
		kernels.AddStrided(b[:r], gx, b[r+1], n.st, g, b[r], n.st)
	}
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
