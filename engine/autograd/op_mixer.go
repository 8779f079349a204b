package autograd

import (
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Ops of the MLP token-mixing models (MLP-Mixer, ResMLP) on channels-last
// token sequences [..., S, C]: a linear layer over the token axis that
// needs no transposes, and a layer-scaled residual connection in one pass.

// TokenLinear applies a linear layer over the second-to-last dimension of
// x [..., S, C]: with w [O, S] and bias [O] (nil for none),
//
//	out[..., i, c] = Σ_j w[i, j]·x[..., j, c] + bias[i],
//
// out [..., O, C]. It equals Linear(x.transpose(-1, -2), w, bias)
// transposed back (torch: w @ x + bias[:, None]), the token mixing of
// MLP-Mixer and ResMLP, as one GEMM per matrix of x with the bias added
// per row in the GEMM's store. Counts batch·O·S·C MACs.
func (t *Tape) TokenLinear(x, w, bias *Var) *Var {
	xs, ws := x.Value.Shape, w.Value.Shape
	if len(xs) < 2 || len(ws) != 2 || xs[len(xs)-2] != ws[1] {
		panicf("TokenLinear: input %v and weight %v do not match (want [..., S, C] and [O, S])", xs, ws)
	}
	if bias != nil && (bias.Value.Dims() != 1 || bias.Value.Shape[0] != ws[0]) {
		panicf("TokenLinear: bias %v does not match weight %v", bias.Value.Shape, ws)
	}
	s, c, o := xs[len(xs)-2], xs[len(xs)-1], ws[0]
	nb := tensor.Numel(xs[:len(xs)-2])
	shape := t.ints(len(xs))
	copy(shape, xs[:len(xs)-2])
	shape[len(xs)-2], shape[len(xs)-1] = o, c
	out := t.newOutRaw(shape, x, w, bias) // the GEMM writes every element
	t.addMACs(nb * o * s * c)
	if isMeta(out) {
		return out
	}
	var bd []float32
	if bias != nil {
		bd = bias.Value.Data
	}
	xd, wd, od := x.Value.Data, w.Value.Data, out.Value.Data
	for p := 0; p < nb; p++ {
		kernels.SgemmBias(false, false, o, c, s, 1, wd, s, xd[p*s*c:], c, 0, od[p*o*c:], c, bd, nil)
	}
	if t.wants(out, x, w, bias) {
		n := t.arena.nodes.tokenLinear.get()
		*n = tokenLinearNode{x: x, w: w, bias: bias, nb: nb, s: s, c: c, o: o}
		t.pushNode("TokenLinear", out, n)
	}
	return out
}

// tokenLinearNode is the backward of TokenLinear.
type tokenLinearNode struct {
	x, w, bias  *Var
	nb, s, c, o int
}

func (n *tokenLinearNode) backward(g []float32) {
	x, w, bias := n.x, n.w, n.bias
	nb, s, c, o := n.nb, n.s, n.c, n.o
	xd, wd := x.Value.Data, w.Value.Data
	// dX = Wᵀ·dOut, dW = Σ dOut·Xᵀ (in batch order), dBias = row sums.
	for p := 0; p < nb; p++ {
		gp := g[p*o*c : (p+1)*o*c]
		if x.requiresGrad {
			kernels.Sgemm(true, false, s, c, o, 1, wd, s, gp, c, 1, x.grad()[p*s*c:], c)
		}
		if w.requiresGrad {
			kernels.Sgemm(false, true, o, s, c, 1, gp, c, xd[p*s*c:], c, 1, w.grad(), s)
		}
		if bias != nil && bias.requiresGrad {
			gb := bias.grad()
			for i := range o {
				var sum float32
				for _, v := range gp[i*c : (i+1)*c] {
					sum += v
				}
				gb[i] += sum
			}
		}
	}
}

// LayerScaleAdd returns x + gamma·h with gamma [D] broadcast over the last
// dimension of x and h [..., D] (same shape): a residual connection whose
// branch h is scaled per channel, CaiT's and ResMLP's layer scale, in one
// pass.
func (t *Tape) LayerScaleAdd(x, h, gamma *Var) *Var {
	xs := x.Value.Shape
	if len(xs) < 1 || !tensor.SameShape(xs, h.Value.Shape) {
		panicf("LayerScaleAdd: x %v and h %v need the same shape [..., D]", xs, h.Value.Shape)
	}
	d := xs[len(xs)-1]
	if gamma.Value.Dims() != 1 || gamma.Value.Shape[0] != d {
		panicf("LayerScaleAdd: gamma %v does not match input %v (want [%d])", gamma.Value.Shape, xs, d)
	}
	out := t.newOutRaw(xs, x, h, gamma)
	if isMeta(out) || d == 0 {
		return out
	}
	rows := tensor.Numel(xs) / d
	hd, gd := h.Value.Data, gamma.Value.Data
	kernels.LayerScaleAdd(rows, d, x.Value.Data, hd, gd, out.Value.Data)
	if t.wants(out, x, h, gamma) {
		n := t.arena.nodes.scale.get()
		*n = scaleNode{t: t, res: x, x: h, alpha: gamma, rows: rows, d: d, xd: hd, ad: gd}
		t.pushNode("LayerScaleAdd", out, n)
	}
	return out
}

// refTokenLinear is the naive reference for TokenLinear.
func refTokenLinear(x, w, bias *tensor.Tensor) *tensor.Tensor {
	xs := x.Shape
	s, c, o := xs[len(xs)-2], xs[len(xs)-1], w.Shape[0]
	nb := tensor.Numel(xs[:len(xs)-2])
	out := tensor.New(append(append([]int{}, xs[:len(xs)-2]...), o, c)...)
	for p := 0; p < nb; p++ {
		for i := 0; i < o; i++ {
			for ch := 0; ch < c; ch++ {
				var sum float32
				if bias != nil {
					sum = bias.Data[i]
				}
				for j := 0; j < s; j++ {
					sum += w.Data[i*s+j] * x.Data[(p*s+j)*c+ch]
				}
				out.Data[(p*o+i)*c+ch] = sum
			}
		}
	}
	return out
}

// refLayerScaleAdd is the naive reference for LayerScaleAdd.
func refLayerScaleAdd(x, h, gamma *tensor.Tensor) *tensor.Tensor {
	d := gamma.Shape[0]
	out := tensor.New(x.Shape...)
	for i := range out.Data {
		out.Data[i] = x.Data[i] + gamma.Data[i%d]*h.Data[i]
	}
	return out
}
