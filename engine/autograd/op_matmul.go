package autograd

import (
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// MatMul returns the matrix product of a [..., m, k] and b [..., k, n].
// Leading (batch) dimensions broadcast as in torch.matmul; both operands
// must have at least two dimensions. Counts batch·m·n·k MACs.
func (t *Tape) MatMul(a, b *Var) *Var {
	as, bs := a.Value.Shape, b.Value.Shape
	if len(as) < 2 || len(bs) < 2 || as[len(as)-1] != bs[len(bs)-2] {
		panicf("MatMul: shapes %v and %v do not multiply", as, bs)
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	batch, ok := tensor.BroadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if !ok {
		panicf("MatMul: batch dimensions of %v and %v do not broadcast", as, bs)
	}
	shape := append(append([]int{}, batch...), m, n)
	out := t.newOutRaw(shape, a, b) // the GEMMs write every element
	nb := tensor.Numel(batch)
	t.addMACs(nb * m * n * k)
	if isMeta(out) {
		return out
	}
	// Map each output batch to the a and b matrices it reads.
	ai, bi := make([]int, nb), make([]int, nb)
	broadcastEach(batch, as[:len(as)-2], bs[:len(bs)-2], func(o, ia, ib int) { ai[o], bi[o] = ia, ib })
	ad, bd, od := a.Value.Data, b.Value.Data, out.Value.Data
	for p := 0; p < nb; p++ {
		kernels.Sgemm(false, false, m, n, k, 1, ad[ai[p]*m*k:], k, bd[bi[p]*k*n:], n, 0, od[p*m*n:], n)
	}
	t.push("MatMul", out, func(g []float32) {
		// dA = dC·Bᵀ, dB = Aᵀ·dC, accumulated (beta 1) over broadcast batches in order.
		for p := 0; p < nb; p++ {
			if a.requiresGrad {
				kernels.Sgemm(false, true, m, k, n, 1, g[p*m*n:], n, bd[bi[p]*k*n:], n, 1, a.grad()[ai[p]*m*k:], k)
			}
			if b.requiresGrad {
				kernels.Sgemm(true, false, k, n, m, 1, ad[ai[p]*m*k:], k, g[p*m*n:], n, 1, b.grad()[bi[p]*k*n:], n)
			}
		}
	}, a, b)
	return out
}

// Linear returns x·wᵀ + bias for x [..., in], w [out, in] and bias [out]
// (bias may be nil), as torch.nn.functional.linear. Counts rows·in·out MACs.
func (t *Tape) Linear(x, w, bias *Var) *Var {
	l, out := t.linearOut("Linear", x, w, bias)
	if isMeta(out) {
		return out
	}
	// The bias is added by the GEMM's store, as a per-column bias.
	kernels.SgemmBias(false, true, l.rows, l.out, l.in, 1, x.Value.Data, l.in, w.Value.Data, l.in, 0, out.Value.Data, l.out, nil, l.bias)
	if t.wants(out, x, w, bias) {
		n := t.arena.nodes.linear.get()
		*n = linearNode{l: l, x: x, w: w, bias: bias}
		t.pushNode("Linear", out, n)
	}
	return out
}

// LinearAct returns act(x·wᵀ + bias), Linear followed by an activation
// (kernels.ActGELU is GELU, and so on; bias may be nil). In inference (no
// gradient will be taken) the activation runs in the GEMM's epilogue while
// each block of the output is in cache (kernels.SgemmBiasAct), bit for bit
// Linear then the activation op; when recording for backward, the
// pre-activation is kept for the activation's derivative. Counts
// rows·in·out MACs.
func (t *Tape) LinearAct(x, w, bias *Var, act kernels.Act) *Var {
	back := linearActBackward(act)
	if back == nil {
		return t.Linear(x, w, bias)
	}
	l, out := t.linearOut("LinearAct", x, w, bias)
	if isMeta(out) {
		return out
	}
	xd, wd, od := x.Value.Data, w.Value.Data, out.Value.Data
	grad := t != nil && t.record && (x.requiresGrad || w.requiresGrad || bias != nil && bias.requiresGrad)
	if !grad {
		kernels.SgemmBiasAct(false, true, l.rows, l.out, l.in, 1, xd, l.in, wd, l.in, 0, od, l.out, nil, l.bias, act)
		return out
	}
	pre := t.allocRaw(l.rows * l.out)
	kernels.SgemmBias(false, true, l.rows, l.out, l.in, 1, xd, l.in, wd, l.in, 0, pre, l.out, nil, l.bias)
	act.Apply(od, pre)
	if t.wants(out, x, w, bias) {
		n := t.arena.nodes.linear.get()
		*n = linearNode{l: l, x: x, w: w, bias: bias, t: t, act: back, pre: pre, y: od}
		t.pushNode("LinearAct", out, n)
	}
	return out
}

// linearNode is the backward of Linear, and of LinearAct when act is set.
type linearNode struct {
	l          linear
	x, w, bias *Var

	// LinearAct: the activation's backward, its input and output, and the
	// tape its gradient comes from.
	act    func(dx, dy, x, y []float32)
	pre, y []float32
	t      *Tape
}

func (n *linearNode) backward(g []float32) {
	if n.act != nil {
		gp := n.t.alloc(n.l.rows * n.l.out)
		n.act(gp, g, n.pre, n.y)
		g = gp
	}
	n.l.backward(g, n.x, n.w, n.bias)
}

// linear is the geometry of a linear layer: rows of in features to out.
type linear struct {
	rows, in, out int
	bias          []float32 // the bias values, or nil
}

// linearOut checks the operands of a linear layer named name, counts its
// MACs and returns its geometry and uncleared output (the GEMM writes every
// element).
func (t *Tape) linearOut(name string, x, w, bias *Var) (linear, *Var) {
	xs, ws := x.Value.Shape, w.Value.Shape
	if len(xs) < 1 || len(ws) != 2 || xs[len(xs)-1] != ws[1] {
		panicf("%s: input %v and weight %v do not match (want [..., in] and [out, in])", name, xs, ws)
	}
	if bias != nil && (bias.Value.Dims() != 1 || bias.Value.Shape[0] != ws[0]) {
		panicf("%s: bias %v does not match weight %v", name, bias.Value.Shape, ws)
	}
	l := linear{rows: tensor.Numel(xs[:len(xs)-1]), in: ws[1], out: ws[0]}
	shape := t.ints(len(xs))
	copy(shape, xs[:len(xs)-1])
	shape[len(xs)-1] = l.out
	out := t.newOutRaw(shape, x, w, bias)
	t.addMACs(l.rows * l.in * l.out)
	if bias != nil && !isMeta(out) {
		l.bias = bias.Value.Data
	}
	return l, out
}

// backward adds the gradients of x, w and bias for the output gradient g.
func (l linear) backward(g []float32, x, w, bias *Var) {
	if x.requiresGrad {
		// A fresh input gradient is overwritten (beta 0), not cleared first.
		gx, fresh := x.gradFresh()
		beta := float32(1)
		if fresh {
			beta = 0
		}
		kernels.Sgemm(false, false, l.rows, l.in, l.out, 1, g, l.out, w.Value.Data, l.in, beta, gx, l.in)
	}
	if w.requiresGrad {
		kernels.Sgemm(true, false, l.out, l.in, l.rows, 1, g, l.out, x.Value.Data, l.in, 1, w.grad(), l.in)
	}
	if bias != nil && bias.requiresGrad {
		gb := bias.grad()
		for r := 0; r < l.rows; r++ {
			for j, v := range g[r*l.out : (r+1)*l.out] {
				gb[j] += v
			}
		}
	}
}

// linearActBackward returns the backward kernel of act, dx += dy·act'(x)
// given the input x and output y (nil for ActNone).
func linearActBackward(act kernels.Act) func(dx, dy, x, y []float32) {
	switch act {
	case kernels.ActNone:
		return nil
	case kernels.ActReLU:
		return func(dx, dy, _, y []float32) { kernels.ReLUBackward(dx, dy, y) }
	case kernels.ActGELU:
		return func(dx, dy, x, _ []float32) { kernels.GELUBackward(dx, dy, x) }
	case kernels.ActGELUTanh:
		return func(dx, dy, x, _ []float32) { kernels.GELUTanhBackward(dx, dy, x) }
	case kernels.ActSiLU:
		return func(dx, dy, x, _ []float32) { kernels.SiLUBackward(dx, dy, x) }
	case kernels.ActHardSwish:
		return func(dx, dy, x, _ []float32) { kernels.HardSwishBackward(dx, dy, x) }
	}
	panicf("LinearAct: unknown activation %d", int(act))
	return nil
}

// refMatMul is the naive reference for MatMul: a triple loop per batch.
func refMatMul(a, b *tensor.Tensor) *tensor.Tensor {
	as, bs := a.Shape, b.Shape
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	batch, _ := tensor.BroadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	out := tensor.New(append(append([]int{}, batch...), m, n)...)
	coord := make([]int, len(batch))
	for p := 0; p < tensor.Numel(batch); p++ {
		rem := p
		for d := len(batch) - 1; d >= 0; d-- {
			coord[d] = rem % batch[d]
			rem /= batch[d]
		}
		ao := refBroadcastIndex(coord, as[:len(as)-2]) * m * k
		bo := refBroadcastIndex(coord, bs[:len(bs)-2]) * k * n
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float32
				for q := 0; q < k; q++ {
					s += a.Data[ao+i*k+q] * b.Data[bo+q*n+j]
				}
				out.Data[p*m*n+i*n+j] = s
			}
		}
	}
	return out
}

// refLinearAct is the naive reference for LinearAct: refLinear, then the
// activation's reference.
func refLinearAct(x, w, bias *tensor.Tensor, act kernels.Act) *tensor.Tensor {
	y := refLinear(x, w, bias)
	switch act {
	case kernels.ActReLU:
		return refReLU(y)
	case kernels.ActGELU:
		return refGELU(y)
	case kernels.ActGELUTanh:
		return refGELUTanh(y)
	case kernels.ActSiLU:
		return refSiLU(y)
	case kernels.ActHardSwish:
		return refHardSwish(y)
	}
	return y
}

// refLinear is the naive reference for Linear.
func refLinear(x, w, bias *tensor.Tensor) *tensor.Tensor {
	in, no := w.Shape[1], w.Shape[0]
	rows := x.Numel() / in
	out := tensor.New(append(append([]int{}, x.Shape[:x.Dims()-1]...), no)...)
	for r := 0; r < rows; r++ {
		for j := 0; j < no; j++ {
			var s float32
			if bias != nil {
				s = bias.Data[j]
			}
			for q := 0; q < in; q++ {
				s += x.Data[r*in+q] * w.Data[j*in+q]
			}
			out.Data[r*no+j] = s
		}
	}
	return out
}
