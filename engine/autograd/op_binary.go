package autograd

import "github.com/reprise-ml/reprise/engine/tensor"

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
	shape, ok := tensor.BroadcastShapes(a.Value.Shape, b.Value.Shape)
	if !ok {
		panicf("%s: shapes %v and %v do not broadcast", name, a.Value.Shape, b.Value.Shape)
	}
	out := t.newOut(shape, a, b)
	if isMeta(out) {
		return out
	}
	ad, bd, od := a.Value.Data, b.Value.Data, out.Value.Data
	if len(ad) == len(od) && len(bd) == len(od) {
		for i := range od {
			od[i] = op.apply(ad[i], bd[i])
		}
	} else {
		broadcastEach(shape, a.Value.Shape, b.Value.Shape, func(o, ia, ib int) {
			od[o] = op.apply(ad[ia], bd[ib])
		})
	}
	t.push(name, out, func(g []float32) {
		var ga, gb []float32
		if a.requiresGrad {
			ga = a.grad()
		}
		if b.requiresGrad {
			gb = b.grad()
		}
		broadcastEach(shape, a.Value.Shape, b.Value.Shape, func(o, ia, ib int) {
			da, db := op.partials(ad[ia], bd[ib])
			if ga != nil {
				ga[ia] += g[o] * da
			}
			if gb != nil {
				gb[ib] += g[o] * db
			}
		})
	}, a, b)
	return out
}

// broadcastStrides returns the strides of shape viewed in the rank of out,
// with 0 where shape is broadcast.
func broadcastStrides(out, shape []int) []int {
	st := make([]int, len(out))
	s := tensor.Strides(shape)
	off := len(out) - len(shape)
	for i := range shape {
		if shape[i] != 1 {
			st[off+i] = s[i]
		}
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
	as, bs := broadcastStrides(out, a), broadcastStrides(out, b)
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
