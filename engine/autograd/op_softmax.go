package autograd

import (
	"math"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Softmax returns exp(x) normalised to sum to 1 along axis (negative counts
// from the end), as torch.softmax(x, dim=axis). It subtracts each row's
// maximum before exponentiating, so no input overflows.
func (t *Tape) Softmax(x *Var, axis int) *Var {
	outer, n, inner := elementwiseSoftmaxAxis("Softmax", x.Value.Shape, axis)
	out := t.newOutRaw(x.Value.Shape, x)
	if isMeta(out) {
		return out
	}
	kernels.Softmax(out.Value.Data, x.Value.Data, outer, n, inner)
	t.pushSoftmax("Softmax", out, x, false, outer, n, inner)
	return out
}

// LogSoftmax returns log(softmax(x)) along axis (negative counts from the
// end), as torch.log_softmax(x, dim=axis), computed stably as
// (x - max) - log(Σ exp(x - max)).
func (t *Tape) LogSoftmax(x *Var, axis int) *Var {
	outer, n, inner := elementwiseSoftmaxAxis("LogSoftmax", x.Value.Shape, axis)
	out := t.newOutRaw(x.Value.Shape, x)
	if isMeta(out) {
		return out
	}
	kernels.LogSoftmax(out.Value.Data, x.Value.Data, outer, n, inner)
	t.pushSoftmax("LogSoftmax", out, x, true, outer, n, inner)
	return out
}

// pushSoftmax records the backward of Softmax (log false) or LogSoftmax.
func (t *Tape) pushSoftmax(name string, out, x *Var, log bool, outer, n, inner int) {
	if t.wants(out, x) {
		nd := t.arena.nodes.softmax.get()
		*nd = softmaxNode{x: x, y: out, log: log, outer: outer, n: n, inner: inner}
		t.pushNode(name, out, nd)
	}
}

// softmaxNode is the backward of Softmax or LogSoftmax, given the output y.
type softmaxNode struct {
	x, y            *Var
	log             bool
	outer, n, inner int
}

func (nd *softmaxNode) backward(g []float32) {
	if nd.log {
		kernels.LogSoftmaxBackward(nd.x.grad(), g, nd.y.Value.Data, nd.outer, nd.n, nd.inner)
		return
	}
	kernels.SoftmaxBackward(nd.x.grad(), g, nd.y.Value.Data, nd.outer, nd.n, nd.inner)
}

// elementwiseSoftmaxAxis validates axis for shape and views the shape as
// [outer, n, inner] around it.
func elementwiseSoftmaxAxis(op string, shape []int, axis int) (outer, n, inner int) {
	rank := len(shape)
	if axis < -rank || axis >= rank {
		panicf("%s: axis %d out of range for shape %v", op, axis, shape)
	}
	if axis < 0 {
		axis += rank
	}
	return tensor.Numel(shape[:axis]), shape[axis], tensor.Numel(shape[axis+1:])
}

// refSoftmax is the naive reference for Softmax (log false) and LogSoftmax
// (log true): each element's coordinates are decoded, and its row along
// axis is walked by coordinate, in float64.
func refSoftmax(x *tensor.Tensor, axis int, log bool) *tensor.Tensor {
	shape := x.Shape
	if axis < 0 {
		axis += len(shape)
	}
	strides := tensor.Strides(shape)
	out := tensor.New(shape...)
	coord := make([]int, len(shape))
	for i := range x.Data {
		rem := i
		for d := len(shape) - 1; d >= 0; d-- {
			coord[d] = rem % shape[d]
			rem /= shape[d]
		}
		start := i - coord[axis]*strides[axis]
		m := math.Inf(-1)
		for k := 0; k < shape[axis]; k++ {
			m = math.Max(m, float64(x.Data[start+k*strides[axis]]))
		}
		var s float64
		for k := 0; k < shape[axis]; k++ {
			s += math.Exp(float64(x.Data[start+k*strides[axis]]) - m)
		}
		if log {
			out.Data[i] = float32(float64(x.Data[i]) - m - math.Log(s))
		} else {
			out.Data[i] = float32(math.Exp(float64(x.Data[i])-m) / s)
		}
	}
	return out
}
