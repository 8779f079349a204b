package autograd

import (
	"math"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Unary math, elementwise. Each op maps every element of x independently and
// returns a tensor of x's shape; its backward accumulates dy·f'(x) into x's
// gradient. Exp, Log and Pow go through Go's float64 math and round once to
// float32 (see the kernels); the rest is float32 arithmetic.

// Exp returns e^x elementwise, as torch.exp.
func (t *Tape) Exp(x *Var) *Var {
	return t.elementwiseUnary("Exp", x, kernels.Exp, func(dx, dy, _, y []float32, _, _ float32) { kernels.ExpBackward(dx, dy, y) })
}

// Log returns the natural logarithm of x elementwise, as torch.log (NaN
// below 0, -Inf at 0).
func (t *Tape) Log(x *Var) *Var {
	return t.elementwiseUnary("Log", x, kernels.Log, func(dx, dy, x, _ []float32, _, _ float32) { kernels.LogBackward(dx, dy, x) })
}

// Sqrt returns the square root of x elementwise, as torch.sqrt (its gradient
// dy/(2·sqrt(x)) is +Inf at 0, as PyTorch's).
func (t *Tape) Sqrt(x *Var) *Var {
	return t.elementwiseUnary("Sqrt", x, kernels.Sqrt, func(dx, dy, _, y []float32, _, _ float32) { kernels.SqrtBackward(dx, dy, y) })
}

// Abs returns |x| elementwise, as torch.abs; its gradient is dy·sign(x) with
// sign(0) = 0, as PyTorch's.
func (t *Tape) Abs(x *Var) *Var {
	return t.elementwiseUnary("Abs", x, kernels.Abs, func(dx, dy, x, _ []float32, _, _ float32) { kernels.AbsBackward(dx, dy, x) })
}

// Neg returns -x elementwise, as torch.neg.
func (t *Tape) Neg(x *Var) *Var {
	return t.elementwiseUnary("Neg", x,
		func(dst, x []float32) { kernels.Scale(dst, x, -1) },
		func(dx, dy, _, _ []float32, _, _ float32) { kernels.AddScaled(dx, dy, -1) })
}

// Pow returns x^p elementwise for a scalar exponent p, as torch.pow(x, p)
// (NaN for x < 0 and fractional p). The gradient is dy·p·x^(p-1), and 0
// everywhere for p = 0, as PyTorch's. Computed with math.Pow in float64.
func (t *Tape) Pow(x *Var, p float32) *Var {
	return t.elementwiseUnaryP("Pow", x, p, 0,
		func(dst, x []float32) { kernels.Pow(dst, x, p) },
		func(dx, dy, x, _ []float32, p, _ float32) { kernels.PowBackward(dx, dy, x, p) })
}

// Clamp returns min(max(x, lo), hi) elementwise, as torch.clamp(x, lo, hi)
// (hi wins when lo > hi). The gradient passes where lo <= x <= hi, bounds
// included, and is 0 outside, as PyTorch's.
func (t *Tape) Clamp(x *Var, lo, hi float32) *Var {
	return t.elementwiseUnaryP("Clamp", x, lo, hi,
		func(dst, x []float32) { kernels.Clamp(dst, x, lo, hi) },
		func(dx, dy, x, _ []float32, lo, hi float32) { kernels.ClampBackward(dx, dy, x, lo, hi) })
}

// Scale returns x·s elementwise for a scalar s, as torch.mul(x, s).
func (t *Tape) Scale(x *Var, s float32) *Var {
	return t.elementwiseUnaryP("Scale", x, s, 0,
		func(dst, x []float32) { kernels.Scale(dst, x, s) },
		func(dx, dy, _, _ []float32, s, _ float32) { kernels.AddScaled(dx, dy, s) })
}

// AddScalar returns x + s elementwise for a scalar s, as torch.add(x, s).
func (t *Tape) AddScalar(x *Var, s float32) *Var {
	return t.elementwiseUnary("AddScalar", x,
		func(dst, x []float32) { kernels.AddScalar(dst, x, s) },
		func(dx, dy, _, _ []float32, _, _ float32) { kernels.AddScaled(dx, dy, 1) })
}

// unaryBack is the backward kernel of an elementwise op: it accumulates
// dy·f'(x) into dx, given the op's input x, output y and scalar parameters
// p and q (passed, not captured, so that the kernel is not a closure).
type unaryBack func(dx, dy, x, y []float32, p, q float32)

// elementwiseUnary applies fwd(dst, x) to a new output of x's shape and
// records back(dx, dy, x, y, 0, 0), which accumulates into dx, x's gradient.
func (t *Tape) elementwiseUnary(name string, x *Var, fwd func(dst, x []float32), back unaryBack) *Var {
	return t.elementwiseUnaryP(name, x, 0, 0, fwd, back)
}

// elementwiseUnaryP is elementwiseUnary for a backward with parameters p
// and q.
func (t *Tape) elementwiseUnaryP(name string, x *Var, p, q float32, fwd func(dst, x []float32), back unaryBack) *Var {
	return t.elementwiseUnarySet(name, x, p, q, fwd, back, nil)
}

// elementwiseUnarySet is elementwiseUnaryP with set, the backward into a
// fresh gradient that overwrites it (see unaryNode.set), or nil.
func (t *Tape) elementwiseUnarySet(name string, x *Var, p, q float32, fwd func(dst, x []float32), back, set unaryBack) *Var {
	out := t.newOutRaw(x.Value.Shape, x) // fwd writes every element
	if isMeta(out) {
		return out
	}
	fwd(out.Value.Data, x.Value.Data)
	if t.wants(out, x) {
		n := t.arena.nodes.unary.get()
		*n = unaryNode{x: x, out: out, back: back, set: set, p: p, q: q}
		t.pushNode(name, out, n)
	}
	return out
}

// unaryNode is the backward of an elementwise op.
type unaryNode struct {
	x, out *Var
	back   unaryBack
	// set, if not nil, is back into a gradient that holds nothing yet: it
	// overwrites dx instead of adding to it (saving the clear and the read).
	set   unaryBack
	p, q  float32
	g, gx []float32 // during a fresh backward, for Run
}

func (n *unaryNode) backward(g []float32) {
	gx, fresh := n.x.gradFresh()
	if !fresh {
		n.back(gx, g, n.x.Value.Data, n.out.Value.Data, n.p, n.q)
		return
	}
	if n.set != nil {
		n.set(gx, g, n.x.Value.Data, n.out.Value.Data, n.p, n.q)
		return
	}
	// Clear each block just before the kernel adds into it, while it is in
	// cache, instead of in a pass of its own.
	n.g, n.gx = g, gx
	kernels.ParallelTask(len(g), freshBlock, n)
	n.g, n.gx = nil, nil
}

// Run clears and accumulates x's fresh gradient over [lo, hi).
func (n *unaryNode) Run(lo, hi int) {
	xd, yd := n.x.Value.Data, n.out.Value.Data
	for s := lo; s < hi; s += freshBlock {
		e := min(hi, s+freshBlock)
		clear(n.gx[s:e])
		n.back(n.gx[s:e], n.g[s:e], xd[s:e], yd[s:e], n.p, n.q)
	}
}

// elementwiseRefMap is the naive reference of an elementwise op: f applied
// to each element in float64, rounded to float32.
func elementwiseRefMap(x *tensor.Tensor, f func(float64) float64) *tensor.Tensor {
	out := tensor.New(x.Shape...)
	for i, v := range x.Data {
		out.Data[i] = float32(f(float64(v)))
	}
	return out
}

// refExp is the naive reference for Exp.
func refExp(x *tensor.Tensor) *tensor.Tensor { return elementwiseRefMap(x, math.Exp) }

// refLog is the naive reference for Log.
func refLog(x *tensor.Tensor) *tensor.Tensor { return elementwiseRefMap(x, math.Log) }

// refSqrt is the naive reference for Sqrt.
func refSqrt(x *tensor.Tensor) *tensor.Tensor { return elementwiseRefMap(x, math.Sqrt) }

// refAbs is the naive reference for Abs.
func refAbs(x *tensor.Tensor) *tensor.Tensor { return elementwiseRefMap(x, math.Abs) }

// refNeg is the naive reference for Neg.
func refNeg(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 { return -v })
}

// refPow is the naive reference for Pow: integer exponents by repeated
// multiplication, others by exp(p·log x).
func refPow(x *tensor.Tensor, p float32) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 {
		if n := int(p); float32(n) == p && n >= 0 {
			r := 1.0
			for range n {
				r *= v
			}
			return r
		}
		return math.Exp(float64(p) * math.Log(v))
	})
}

// refClamp is the naive reference for Clamp.
func refClamp(x *tensor.Tensor, lo, hi float32) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 {
		if v < float64(lo) {
			v = float64(lo)
		}
		if v > float64(hi) {
			v = float64(hi)
		}
		return v
	})
}

// refScale is the naive reference for Scale.
func refScale(x *tensor.Tensor, s float32) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 { return v * float64(s) })
}

// refAddScalar is the naive reference for AddScalar.
func refAddScalar(x *tensor.Tensor, s float32) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 { return v + float64(s) })
}
