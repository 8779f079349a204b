package autograd

import (
	"fmt"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// Var is a node of the computation: a value and, once Backward has run, the
// gradient of the loss with respect to it.
type Var struct {
	Value *tensor.Tensor
	Grad  *tensor.Tensor

	requiresGrad bool
}

// Param wraps t as a leaf that needs a gradient (a parameter or an input
// being differentiated).
func Param(t *tensor.Tensor) *Var { return &Var{Value: t, requiresGrad: true} }

// Const wraps t as a leaf that needs no gradient.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// Detach returns a Const sharing v's value: gradients stop there.
func Detach(v *Var) *Var { return Const(v.Value) }

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape }

// ZeroGrad sets v's gradient to zero, keeping its buffer.
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		v.Grad.Fill(0)
	}
}

// grad returns v's gradient buffer, allocating zeros on first use.
func (v *Var) grad() []float32 {
	if v.Grad == nil {
		v.Grad = tensor.New(v.Value.Shape...)
	}
	return v.Grad.Data
}

// Tape records the ops of a forward pass for Backward.
type Tape struct {
	record bool
	nodes  []node
	macs   int64
}

type node struct {
	op       string
	out      *Var
	backward func(g []float32)
}

// NewTape returns a tape that records ops for Backward.
func NewTape() *Tape { return &Tape{record: true} }

// NoGrad returns a tape that records nothing but counts multiply-accumulates.
func NoGrad() *Tape { return &Tape{} }

// MACs returns the multiply-accumulates counted since the tape was made or
// Reset: matmuls, linear layers and convolutions (see each op).
func (t *Tape) MACs() int64 {
	if t == nil {
		return 0
	}
	return t.macs
}

// Len returns the number of recorded ops.
func (t *Tape) Len() int {
	if t == nil {
		return 0
	}
	return len(t.nodes)
}

// Reset forgets the recorded ops and the MAC count, keeping capacity.
func (t *Tape) Reset() {
	clear(t.nodes)
	t.nodes = t.nodes[:0]
	t.macs = 0
}

// Backward computes the gradients of loss, which must hold one element,
// with respect to every Var that needs one.
func (t *Tape) Backward(loss *Var) {
	if loss.Value.Numel() != 1 {
		panic(fmt.Sprintf("autograd: Backward: loss has shape %v, want one element", loss.Value.Shape))
	}
	t.BackwardFrom(loss, tensor.Full(1, loss.Value.Shape...))
}

// BackwardFrom seeds out's gradient with g (same shape as out) and
// propagates it back through the tape.
func (t *Tape) BackwardFrom(out *Var, g *tensor.Tensor) {
	if !tensor.SameShape(out.Value.Shape, g.Shape) {
		panic(fmt.Sprintf("autograd: BackwardFrom: gradient shape %v, output shape %v", g.Shape, out.Value.Shape))
	}
	if t == nil || !t.record {
		panic("autograd: Backward on a tape that does not record (nil or NoGrad)")
	}
	og := out.grad()
	for i, v := range g.Data {
		og[i] += v
	}
	for i := len(t.nodes) - 1; i >= 0; i-- {
		n := t.nodes[i]
		if n.out.Grad == nil {
			continue
		}
		n.backward(n.out.Grad.Data)
	}
}

// addMACs counts n multiply-accumulates.
func (t *Tape) addMACs(n int) {
	if t != nil {
		t.macs += int64(n)
	}
}

// newOut allocates the output of an op: shape-only if any input is.
func newOut(shape []int, inputs ...*Var) *Var {
	for _, in := range inputs {
		if in != nil && in.Value.IsMeta() {
			return &Var{Value: tensor.Meta(shape...)}
		}
	}
	return &Var{Value: tensor.New(shape...)}
}

// push records back as out's backward if the tape records, out carries data
// and some input needs a gradient.
func (t *Tape) push(op string, out *Var, back func(g []float32), inputs ...*Var) {
	if t == nil || !t.record || out.Value.IsMeta() {
		return
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			out.requiresGrad = true
			t.nodes = append(t.nodes, node{op: op, out: out, backward: back})
			return
		}
	}
}

func isMeta(v *Var) bool { return v.Value.IsMeta() }

func panicf(format string, args ...any) {
	panic(fmt.Sprintf("autograd: "+format, args...))
}
