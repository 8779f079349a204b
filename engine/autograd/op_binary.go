package autograd

import (
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Add returns a + b with NumPy broadcasting.
func (t *Tape) Add(a, b *Var) *Var { return t.binary("Add", binAdd, a, b) }

// Sub returns a - b with NumPy broadcasting.
func (t *Tape) Sub(a, b *Var) *Var { return t.binary("Sub", binSub, a, b) }

// Mul returns a * b (elementwise) with NumPy broadcasting.
func (t *Tape) Mul(a, b *Var) *Var { return t.binary("Mul", binMul, a, b) }

// Div returns a / b with NumPy broadcasting.
func (t *Tape) Div(a, b *Var) *Var { return t.binary("Div", binDiv, a, b) }

type binOp int

const (
	binAdd binOp = iota
	binSub
	binMul
	binDiv
)

func (op binOp) apply(x, y float32) float32 {
	switch op {
	case binAdd:
		return x + y
	case binSub:
		return x - y
	case binMul:
		return x * y
	default:
		return x / y
	}
}

// partials returns d(x op y)/dx and d(x op y)/dy.
func (op binOp) partials(x, y float32) (float32, float32) {
	switch op {
	case binAdd:
		return 1, 1
	case binSub:
		return 1, -1
	case binMul:
		return y, x
	default:
		return 1 / y, -x / (y * y)
	}
}

func (t *Tape) binary(name string, op binOp, a, b *Var) *Var {
	as, bs := a.Value.Shape, b.Value.Shape
	shape := t.ints(max(len(as), len(bs)))
	if !tensor.BroadcastShapesInto(shape, as, bs) {
		panicf("%s: shapes %v and %v do not broadcast", name, as, bs)
	}
	out := t.newOutRaw(shape, a, b)
	if isMeta(out) {
		return out
	}
	var n *binaryNode // the forward's task, and the backward if recorded
	if t != nil {
		n = t.arena.nodes.binary.get()
	} else {
		n = new(binaryNode)
	}
	*n = binaryNode{op: op, a: a, b: b, out: out, bc: newBroadcast(t, shape, as, bs)}
	kernels.ParallelTask(n.bc.n, 16384, n)
	if t.wants(out, a, b) {
		t.pushNode(name, out, n)
	}
	return out
}

// binaryNode is a binary op: the task of its forward and of each
// gradient's pass over the output (Run), and its backward.
type binaryNode struct {
	op        binOp
	a, b, out *Var
	bc        broadcast

	// The pass Run makes: the forward, or the gradient of a (first) or b.
	grad, first, fresh bool
	g, gv              []float32 // the output's gradient and the one accumulated
}

// Run computes output elements [lo, hi) of the current pass.
func (n *binaryNode) Run(lo, hi int) {
	op, bc := n.op, &n.bc
	ad, bd := n.a.Value.Data, n.b.Value.Data
	if !n.grad {
		od := n.out.Value.Data
		bc.segments(lo, hi, func(o, ia, ib, cnt int) { op.forward(od[o:o+cnt], ad[ia:], bd[ib:], bc.sa, bc.sb) })
		return
	}
	g, gv, first := n.g, n.gv, n.first
	clearBlocks := n.fresh && len(gv) == bc.n
	if clearBlocks && (op == binAdd || op == binSub && first) {
		// The gradient of a same-shaped operand of a + b (or of a in
		// a - b) is g itself: copied, with nothing to clear or add to.
		copy(gv[lo:hi], g[lo:hi])
		return
	}
	inFreshBlocks(lo, hi, func(lo, hi int) {
		if clearBlocks {
			clear(gv[lo:hi]) // in cache, just before the adds
		}
		bc.segments(lo, hi, func(o, ia, ib, cnt int) {
			if first {
				op.backwardA(gv[ia:], g[o:o+cnt], bd[ib:], bc.sa, bc.sb)
			} else {
				op.backwardB(gv[ib:], g[o:o+cnt], ad[ia:], bd[ib:], bc.sa, bc.sb)
			}
		})
	})
}

func (n *binaryNode) backward(g []float32) {
	n.gradOf(n.a, true, g)
	n.gradOf(n.b, false, g)
	n.g, n.gv = nil, nil
}

// gradOf accumulates the gradient of v, the first operand or the second.
// A gradient the shape of the output is written element by element in
// parallel; a broadcast one is a sum, taken in increasing output index on
// one goroutine so that its bits do not depend on workers.
func (n *binaryNode) gradOf(v *Var, first bool, g []float32) {
	if !v.requiresGrad {
		return
	}
	gv, fresh := v.gradFresh()
	if fresh && len(gv) != n.bc.n {
		clear(gv) // a broadcast gradient: summed below, from zero
	}
	n.grad, n.first, n.fresh, n.g, n.gv = true, first, fresh, g, gv
	if len(gv) == n.bc.n {
		kernels.ParallelTask(n.bc.n, 16384, n)
	} else {
		n.Run(0, n.bc.n)
	}
}

// broadcast walks the output of a broadcast binary op in segments along its
// last (collapsed) axis, where a and b each either advance one element per
// output element or stay put.
type broadcast struct {
	n      int
	out    []int // collapsed output shape
	as, bs []int // strides of a and b in out (0 where broadcast)
	sa, sb int   // last-axis steps of a and b (0 or 1)
	inner  int   // out's last extent
}

// newBroadcast collapses the broadcast of shapes a and b to out: unit axes
// are dropped and neighbouring axes merged where both operands are
// contiguous (or both constant) across them. Its slices come from t (see
// Tape.ints).
func newBroadcast(t *Tape, out, a, b []int) broadcast {
	as, bs := broadcastStrides(t.ints(len(out)), out, a), broadcastStrides(t.ints(len(out)), out, b)
	m := max(len(out), 1)
	bc := broadcast{n: tensor.Numel(out), out: t.ints(m)[:0], as: t.ints(m)[:0], bs: t.ints(m)[:0]}
	for d := range out {
		if out[d] == 1 {
			continue
		}
		if k := len(bc.out) - 1; k >= 0 && bc.as[k] == as[d]*out[d] && bc.bs[k] == bs[d]*out[d] {
			bc.out[k] *= out[d]
			bc.as[k], bc.bs[k] = as[d], bs[d]
			continue
		}
		bc.out = append(bc.out, out[d])
		bc.as = append(bc.as, as[d])
		bc.bs = append(bc.bs, bs[d])
	}
	if len(bc.out) == 0 {
		bc.out, bc.as, bc.bs = append(bc.out, 1), append(bc.as, 0), append(bc.bs, 0)
	}
	last := len(bc.out) - 1
	bc.inner, bc.sa, bc.sb = bc.out[last], bc.as[last], bc.bs[last]
	return bc
}

// segments calls fn(o, ia, ib, cnt) for the output indices [lo, hi) in
// increasing order, cut at the ends of the last axis: output elements
// o..o+cnt-1 read a at ia + j·sa and b at ib + j·sb.
func (bc *broadcast) segments(lo, hi int, fn func(o, ia, ib, cnt int)) {
	for o := lo; o < hi; {
		r, j := o/bc.inner, o%bc.inner
		ia, ib := j*bc.sa, j*bc.sb
		for d := len(bc.out) - 2; d >= 0; d-- {
			c := r % bc.out[d]
			r /= bc.out[d]
			ia += c * bc.as[d]
			ib += c * bc.bs[d]
		}
		cnt := min(bc.inner-j, hi-o)
		fn(o, ia, ib, cnt)
		o += cnt
	}
}

// forward sets dst[j] = x[j·sx] op y[j·sy].
func (op binOp) forward(dst, x, y []float32, sx, sy int) {
	switch {
	case sx == 1 && sy == 1:
		x, y = x[:len(dst)], y[:len(dst)]
		switch op {
		case binAdd:
			kernels.AddRows(dst, x, y)
		case binSub:
			for j := range dst {
				dst[j] = x[j] - y[j]
			}
		case binMul:
			kernels.MulRows(dst, x, y)
		default:
			for j := range dst {
				dst[j] = x[j] / y[j]
			}
		}
	case op == binMul && sx == 1 && sy == 0: // scaling by a broadcast value (SE)
		kernels.ScaleRows(dst, x, y[0])
	default:
		for j := range dst {
			dst[j] = op.apply(x[j*sx], y[j*sy])
		}
	}
}

// backwardA adds g[j]·∂(x op y)/∂x to ga[j·sx].
func (op binOp) backwardA(ga, g, y []float32, sx, sy int) {
	switch op {
	case binAdd, binSub:
		if sx == 1 {
			kernels.AddToRows(ga[:len(g)], g)
			return
		}
		for j, v := range g {
			ga[j*sx] += v
		}
	case binMul:
		if sx == 1 && sy == 1 {
			ga, y = ga[:len(g)], y[:len(g)]
			for j, v := range g {
				ga[j] += v * y[j]
			}
			return
		}
		if sx == 1 && sy == 0 {
			kernels.AxpyRows(ga[:len(g)], g, y[0])
			return
		}
		for j, v := range g {
			ga[j*sx] += v * y[j*sy]
		}
	default:
		for j, v := range g {
			ga[j*sx] += v * (1 / y[j*sy])
		}
	}
}

// backwardB adds g[j]·∂(x op y)/∂y to gb[j·sy].
func (op binOp) backwardB(gb, g, x, y []float32, sx, sy int) {
	switch op {
	case binAdd:
		if sy == 1 {
			kernels.AddToRows(gb[:len(g)], g)
			return
		}
		for j, v := range g {
			gb[j*sy] += v
		}
	case binSub:
		for j, v := range g {
			gb[j*sy] += v * -1
		}
	case binMul:
		if sx == 1 && sy == 1 {
			gb, x = gb[:len(g)], x[:len(g)]
			for j, v := range g {
				gb[j] += v * x[j]
			}
			return
		}
		if sx == 1 && sy == 0 {
			gb[0] += kernels.DotRows(g, x[:len(g)])
			return
		}
		for j, v := range g {
			gb[j*sy] += v * x[j*sx]
		}
	default:
		for j, v := range g {
			yv := y[j*sy]
			gb[j*sy] += v * (-x[j*sx] / (yv * yv))
		}
	}
}

// broadcastStrides sets st (len(out) zeroed values) to the strides of
// shape viewed in the rank of out, with 0 where shape is broadcast, and
// returns it.
func broadcastStrides(st, out, shape []int) []int {
	off := len(out) - len(shape)
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 {
			st[off+i] = s
		}
		s *= shape[i]
	}
	return st
}

// broadcastEach calls fn(o, ia, ib) for every flat index o of the broadcast
// shape out, with the flat indices ia, ib of the elements of a and b that o
// reads, in increasing o.
func broadcastEach(out, a, b []int, fn func(o, ia, ib int)) {
	n := tensor.Numel(out)
	if n == 0 {
		return
	}
	as, bs := broadcastStrides(make([]int, len(out)), out, a), broadcastStrides(make([]int, len(out)), out, b)
	idx := make([]int, len(out))
	ia, ib := 0, 0
	for o := 0; o < n; o++ {
		fn(o, ia, ib)
		for d := len(out) - 1; d >= 0; d-- {
			idx[d]++
			ia += as[d]
			ib += bs[d]
			if idx[d] < out[d] {
				break
			}
			ia -= as[d] * out[d]
			ib -= bs[d] * out[d]
			idx[d] = 0
		}
	}
}

// refBinary is the naive reference for Add, Sub, Mul and Div: each output
// index is decoded into coordinates and mapped to a and b independently.
func refBinary(op binOp, a, b *tensor.Tensor) *tensor.Tensor {
	shape, _ := tensor.BroadcastShapes(a.Shape, b.Shape)
	out := tensor.New(shape...)
	coord := make([]int, len(shape))
	for o := range out.Data {
		rem := o
		for d := len(shape) - 1; d >= 0; d-- {
			coord[d] = rem % shape[d]
			rem /= shape[d]
		}
		out.Data[o] = op.apply(a.Data[refBroadcastIndex(coord, a.Shape)], b.Data[refBroadcastIndex(coord, b.Shape)])
	}
	return out
}

// refBroadcastIndex maps coordinates of a broadcast output to the flat index
// of shape's element they read.
func refBroadcastIndex(coord, shape []int) int {
	off := len(coord) - len(shape)
	i := 0
	for d, n := range shape {
		c := coord[off+d]
		if n == 1 {
			c = 0
		}
		i = i*n + c
	}
	return i
}
