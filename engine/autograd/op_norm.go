package autograd

import (
	"math"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// BatchNormState holds the running statistics of a batch normalisation, each
// of shape [C]: what torch.nn.BatchNorm keeps as running_mean and running_var.
type BatchNormState struct {
	Mean, Var *tensor.Tensor
}

// NewBatchNormState returns running statistics for c channels initialised as
// PyTorch does: mean 0, variance 1.
func NewBatchNormState(c int) *BatchNormState {
	return &BatchNormState{Mean: tensor.New(c), Var: tensor.Full(1, c)}
}

// BatchNormOpts configures BatchNorm. There are no defaults: callers pass
// PyTorch's (Momentum 0.1, Eps 1e-5) or the paper's values explicitly.
//
// Momentum follows PyTorch's convention, running = (1-Momentum)·running +
// Momentum·batch, so it is the weight of the NEW batch. TensorFlow/Keras
// call 1-Momentum the momentum (a decay): TF's 0.99 is PyTorch's 0.01, and
// timm's tf_ EfficientNets (ported from TF) use Momentum 0.01 with Eps 1e-3.
// PyTorch's momentum=None (a cumulative average) is not supported.
type BatchNormOpts struct {
	Train    bool    // normalise with batch statistics and update the running ones
	Momentum float32 // weight of the batch statistic in the running update, in [0, 1]
	Eps      float32 // added to the variance before the square root, >= 0
}

// BatchNorm normalises x [N, C, ...] per channel (axis 1) and applies the
// per-channel affine map gamma·x̂ + beta (gamma, beta [C], each may be nil:
// no scale, no shift), as torch.nn.functional.batch_norm. It covers
// BatchNorm1d on [N, C] and [N, C, L] and BatchNorm2d on [N, C, H, W].
//
// With o.Train, each channel is normalised with the mean and the biased
// variance of its N·H·W… values, x̂ = (x-mean)/sqrt(var+eps), and the
// gradient flows through the batch statistics. If st is not nil its running
// statistics are updated in place as PyTorch does: Mean ← (1-m)·Mean +
// m·mean and Var ← (1-m)·Var + m·var·M/(M-1), the UNBIASED variance of the
// M = N·H·W… values (m = o.Momentum). Training needs M > 1, as in PyTorch.
// A nil st in training normalises without tracking anything
// (track_running_stats=False).
//
// Without o.Train, x is normalised with st's running statistics, which are
// constants: the gradient flows through the affine map only. st must not be
// nil. A shape-only (meta) call reads and updates no statistics.
func (t *Tape) BatchNorm(x, gamma, beta *Var, st *BatchNormState, o BatchNormOpts) *Var {
	xs := x.Value.Shape
	if len(xs) < 2 {
		panicf("BatchNorm: input %v needs at least 2 dimensions [N, C, ...]", xs)
	}
	n, c := xs[0], xs[1]
	s := tensor.Numel(xs[2:])
	for _, p := range []*Var{gamma, beta} {
		if p != nil && (p.Value.Dims() != 1 || p.Value.Shape[0] != c) {
			panicf("BatchNorm: gamma/beta %v do not match input %v (want [%d])", p.Value.Shape, xs, c)
		}
	}
	if !(o.Eps >= 0) || !(o.Momentum >= 0 && o.Momentum <= 1) {
		panicf("BatchNorm: eps %v must be >= 0 and momentum %v in [0, 1] (input %v)", o.Eps, o.Momentum, xs)
	}
	if st == nil && !o.Train {
		panicf("BatchNorm: eval mode needs running statistics, got a nil *BatchNormState (input %v)", xs)
	}
	if st != nil {
		if st.Mean == nil || st.Var == nil || !tensor.SameShape(st.Mean.Shape, []int{c}) || !tensor.SameShape(st.Var.Shape, []int{c}) {
			panicf("BatchNorm: running statistics must be [%d] tensors for input %v", c, xs)
		}
	}
	m := n * s
	if o.Train && m <= 1 {
		panicf("BatchNorm: training needs more than one value per channel, input %v", xs)
	}
	out := t.newOutRaw(xs, x, gamma, beta)
	if isMeta(out) {
		return out
	}
	if st != nil && (st.Mean.IsMeta() || st.Var.IsMeta()) {
		panicf("BatchNorm: running statistics are shape-only but input %v carries data", xs)
	}
	mean, invstd := t.alloc(c), t.alloc(c)
	if o.Train {
		variance := t.alloc(c)
		kernels.BatchNormStats(n, c, s, x.Value.Data, mean, variance)
		mom := float64(o.Momentum)
		for ch := range c {
			invstd[ch] = float32(1 / math.Sqrt(float64(variance[ch])+float64(o.Eps)))
			if st != nil {
				unbiased := float64(variance[ch]) * float64(m) / float64(m-1)
				st.Mean.Data[ch] = float32((1-mom)*float64(st.Mean.Data[ch]) + mom*float64(mean[ch]))
				st.Var.Data[ch] = float32((1-mom)*float64(st.Var.Data[ch]) + mom*unbiased)
			}
		}
	} else {
		copy(mean, st.Mean.Data)
		for ch := range c {
			invstd[ch] = float32(1 / math.Sqrt(float64(st.Var.Data[ch])+float64(o.Eps)))
		}
	}
	// y = x·scale + shift with scale = γ·invstd, shift = β - mean·scale, as
	// PyTorch's CPU kernel computes it.
	scale, shift := t.alloc(c), t.alloc(c)
	for ch := range c {
		scale[ch] = invstd[ch]
		if gamma != nil {
			scale[ch] *= gamma.Value.Data[ch]
		}
		shift[ch] = -mean[ch] * scale[ch]
		if beta != nil {
			shift[ch] += beta.Value.Data[ch]
		}
	}
	xd := x.Value.Data
	kernels.ChannelScaleShift(n, c, s, xd, scale, shift, out.Value.Data)
	if t.wants(out, x, gamma, beta) {
		nd := t.arena.nodes.batchNorm.get()
		*nd = batchNormNode{t: t, x: x, gamma: gamma, beta: beta, train: o.Train, n: n, c: c, s: s, m: m,
			mean: mean, invstd: invstd, scale: scale}
		t.pushNode("BatchNorm", out, nd)
	}
	return out
}

// batchNormNode is the backward of BatchNorm.
type batchNormNode struct {
	t                   *Tape // where scratch comes from
	x, gamma, beta      *Var
	train               bool
	n, c, s, m          int
	mean, invstd, scale []float32
}

func (nd *batchNormNode) backward(g []float32) {
	t, x, gamma, beta := nd.t, nd.x, nd.gamma, nd.beta
	n, c, s, m := nd.n, nd.c, nd.s, nd.m
	mean, invstd, scale := nd.mean, nd.invstd, nd.scale
	xd := x.Value.Data
	needGamma := gamma != nil && gamma.requiresGrad
	needBeta := beta != nil && beta.requiresGrad
	var sg, sgx []float32
	if needGamma || needBeta || (nd.train && x.requiresGrad) {
		sg, sgx = t.alloc(c), t.alloc(c)
		kernels.BatchNormSums(n, c, s, g, xd, mean, invstd, sg, sgx)
	}
	if needGamma {
		gg := gamma.grad()
		for ch, v := range sgx {
			gg[ch] += v
		}
	}
	if needBeta {
		gb := beta.grad()
		for ch, v := range sg {
			gb[ch] += v
		}
	}
	if !x.requiresGrad {
		return
	}
	gx, fresh := x.gradFresh()
	inputGrad := kernels.BatchNormInputGrad
	if fresh {
		inputGrad = kernels.BatchNormInputGradSet
	}
	if !nd.train {
		inputGrad(n, c, s, g, nil, nil, scale, nil, nil, gx)
		return
	}
	// dx = γ·invstd·(g - Σg/M - x̂·Σ(g·x̂)/M), x̂ = (x-mean)·invstd.
	gMean, xCoef := t.alloc(c), t.alloc(c)
	for ch := range c {
		gMean[ch] = sg[ch] / float32(m)
		xCoef[ch] = invstd[ch] * sgx[ch] / float32(m)
	}
	inputGrad(n, c, s, g, xd, mean, scale, gMean, xCoef, gx)
}

// LayerNorm normalises x [..., D] over its last dimension and applies
// gamma·x̂ + beta (gamma, beta [D], each may be nil), with x̂ = (x -
// mean)/sqrt(var + eps) and var the biased variance of the row, as
// torch.nn.functional.layer_norm(x, (D,), gamma, beta, eps).
func (t *Tape) LayerNorm(x, gamma, beta *Var, eps float32) *Var {
	xs := x.Value.Shape
	if len(xs) < 1 {
		panicf("LayerNorm: input %v needs at least 1 dimension", xs)
	}
	d := xs[len(xs)-1]
	for _, p := range []*Var{gamma, beta} {
		if p != nil && (p.Value.Dims() != 1 || p.Value.Shape[0] != d) {
			panicf("LayerNorm: gamma/beta %v do not match input %v (want [%d])", p.Value.Shape, xs, d)
		}
	}
	if !(eps >= 0) {
		panicf("LayerNorm: eps %v must be >= 0 (input %v)", eps, xs)
	}
	out := t.newOutRaw(xs, x, gamma, beta)
	if isMeta(out) || d == 0 {
		return out
	}
	rows := tensor.Numel(xs) / d
	mean, invstd := t.alloc(rows), t.alloc(rows)
	var gd, bd []float32
	if gamma != nil {
		gd = gamma.Value.Data
	}
	if beta != nil {
		bd = beta.Value.Data
	}
	xd := x.Value.Data
	kernels.LayerNormForward(rows, d, xd, gd, bd, eps, out.Value.Data, mean, invstd)
	if t.wants(out, x, gamma, beta) {
		n := t.arena.nodes.layerNorm.get()
		*n = layerNormNode{x: x, gamma: gamma, beta: beta, rows: rows, d: d, gd: gd, mean: mean, invstd: invstd}
		t.pushNode("LayerNorm", out, n)
	}
	return out
}

// layerNormNode is the backward of LayerNorm.
type layerNormNode struct {
	x, gamma, beta   *Var
	rows, d          int
	gd, mean, invstd []float32
}

func (n *layerNormNode) backward(g []float32) {
	x, gamma, beta := n.x, n.gamma, n.beta
	xd := x.Value.Data
	if x.requiresGrad {
		kernels.LayerNormInputGrad(n.rows, n.d, g, xd, n.gd, n.mean, n.invstd, x.grad())
	}
	var dg, db []float32
	if gamma != nil && gamma.requiresGrad {
		dg = gamma.grad()
	}
	if beta != nil && beta.requiresGrad {
		db = beta.grad()
	}
	if dg != nil || db != nil {
		kernels.LayerNormParamGrad(n.rows, n.d, g, xd, n.mean, n.invstd, dg, db)
	}
}

// Affine returns alpha·x + beta with alpha, beta [D] broadcast over the last
// dimension of x [..., D] (channels last): the "norm" of ResMLP (timm's
// resmlp Affine, x*alpha + beta). Both alpha and beta are required.
func (t *Tape) Affine(x, alpha, beta *Var) *Var {
	xs := x.Value.Shape
	if len(xs) < 1 || alpha == nil || beta == nil {
		panicf("Affine: needs x [..., D], alpha [D] and beta [D], got input %v", xs)
	}
	d := xs[len(xs)-1]
	for _, p := range []*Var{alpha, beta} {
		if p.Value.Dims() != 1 || p.Value.Shape[0] != d {
			panicf("Affine: alpha/beta %v do not match input %v (want [%d])", p.Value.Shape, xs, d)
		}
	}
	out := t.newOutRaw(xs, x, alpha, beta)
	if isMeta(out) || d == 0 {
		return out
	}
	rows := tensor.Numel(xs) / d
	xd, ad := x.Value.Data, alpha.Value.Data
	kernels.ChannelScaleShift(rows, d, 1, xd, ad, beta.Value.Data, out.Value.Data)
	if t.wants(out, x, alpha, beta) {
		n := t.arena.nodes.scale.get()
		*n = scaleNode{t: t, x: x, alpha: alpha, beta: beta, rows: rows, d: d, xd: xd, ad: ad}
		t.pushNode("Affine", out, n)
	}
	return out
}

// scaleNode is the backward of Affine (beta set) and LayerScaleAdd (res
// set: out = res + alpha·x).
type scaleNode struct {
	t                   *Tape
	x, alpha, beta, res *Var
	rows, d             int
	xd, ad              []float32
}

func (n *scaleNode) backward(g []float32) {
	t, x, alpha, beta, rows, d, xd, ad := n.t, n.x, n.alpha, n.beta, n.rows, n.d, n.xd, n.ad
	if n.res != nil {
		// LayerScaleAdd, with x = h and alpha = gamma.
		res, h, gamma, hd, gd := n.res, x, alpha, xd, ad
		if res.requiresGrad {
			kernels.AddScaled(res.grad(), g, 1)
		}
		if h.requiresGrad {
			kernels.BatchNormInputGrad(rows, d, 1, g, nil, nil, gd, nil, nil, h.grad())
		}
		if gamma.requiresGrad {
			sg, sgh := t.alloc(d), t.alloc(d)
			kernels.BatchNormSums(rows, d, 1, g, hd, nil, nil, sg, sgh)
			gg := gamma.grad()
			for j, v := range sgh {
				gg[j] += v
			}
		}
		return
	}
	if x.requiresGrad {
		kernels.BatchNormInputGrad(rows, d, 1, g, nil, nil, ad, nil, nil, x.grad())
	}
	if alpha.requiresGrad || beta.requiresGrad {
		sg, sgx := t.alloc(d), t.alloc(d)
		kernels.BatchNormSums(rows, d, 1, g, xd, nil, nil, sg, sgx)
		if alpha.requiresGrad {
			ga := alpha.grad()
			for j, v := range sgx {
				ga[j] += v
			}
		}
		if beta.requiresGrad {
			gb := beta.grad()
			for j, v := range sg {
				gb[j] += v
			}
		}
	}
}

// refBatchNorm is the naive reference for BatchNorm's output: each element's
// channel is decoded from its index; statistics are the batch's (st nil) or
// st's, all in float64. gamma and beta may be nil.
func refBatchNorm(x, gamma, beta *tensor.Tensor, st *BatchNormState, eps float32) *tensor.Tensor {
	c := x.Shape[1]
	inner := tensor.Numel(x.Shape[2:])
	chanOf := func(i int) int { return (i / inner) % c }
	mean, variance := make([]float64, c), make([]float64, c)
	if st == nil {
		count := make([]float64, c)
		for i, v := range x.Data {
			mean[chanOf(i)] += float64(v)
			count[chanOf(i)]++
		}
		for ch := range mean {
			mean[ch] /= count[ch]
		}
		for i, v := range x.Data {
			d := float64(v) - mean[chanOf(i)]
			variance[chanOf(i)] += d * d
		}
		for ch := range variance {
			variance[ch] /= count[ch]
		}
	} else {
		for ch := range mean {
			mean[ch], variance[ch] = float64(st.Mean.Data[ch]), float64(st.Var.Data[ch])
		}
	}
	out := tensor.New(x.Shape...)
	for i, v := range x.Data {
		ch := chanOf(i)
		y := (float64(v) - mean[ch]) / math.Sqrt(variance[ch]+float64(eps))
		if gamma != nil {
			y *= float64(gamma.Data[ch])
		}
		if beta != nil {
			y += float64(beta.Data[ch])
		}
		out.Data[i] = float32(y)
	}
	return out
}

// refBatchNormRunning is the naive reference for BatchNorm's update of the
// running statistics in training: it returns the new mean and variance.
func refBatchNormRunning(x *tensor.Tensor, st *BatchNormState, momentum float32) (mean, variance []float32) {
	c := x.Shape[1]
	inner := tensor.Numel(x.Shape[2:])
	mean, variance = make([]float32, c), make([]float32, c)
	for ch := 0; ch < c; ch++ {
		var vals []float64
		for i, v := range x.Data {
			if (i/inner)%c == ch {
				vals = append(vals, float64(v))
			}
		}
		var mu, ss float64
		for _, v := range vals {
			mu += v
		}
		mu /= float64(len(vals))
		for _, v := range vals {
			ss += (v - mu) * (v - mu)
		}
		unbiased := ss / float64(len(vals)-1)
		m := float64(momentum)
		mean[ch] = float32((1-m)*float64(st.Mean.Data[ch]) + m*mu)
		variance[ch] = float32((1-m)*float64(st.Var.Data[ch]) + m*unbiased)
	}
	return mean, variance
}

// refLayerNorm is the naive reference for LayerNorm, in float64.
func refLayerNorm(x, gamma, beta *tensor.Tensor, eps float32) *tensor.Tensor {
	d := x.Shape[x.Dims()-1]
	out := tensor.New(x.Shape...)
	for r := 0; r < x.Numel()/d; r++ {
		row := x.Data[r*d : (r+1)*d]
		var mu, v float64
		for _, e := range row {
			mu += float64(e) / float64(d)
		}
		for _, e := range row {
			v += (float64(e) - mu) * (float64(e) - mu) / float64(d)
		}
		for j, e := range row {
			y := (float64(e) - mu) / math.Sqrt(v+float64(eps))
			if gamma != nil {
				y *= float64(gamma.Data[j])
			}
			if beta != nil {
				y += float64(beta.Data[j])
			}
			out.Data[r*d+j] = float32(y)
		}
	}
	return out
}

// refAffine is the naive reference for Affine: the column of each element
// is its index modulo D.
func refAffine(x, alpha, beta *tensor.Tensor) *tensor.Tensor {
	d := x.Shape[x.Dims()-1]
	out := tensor.New(x.Shape...)
	for i, v := range x.Data {
		out.Data[i] = float32(float64(alpha.Data[i%d])*float64(v) + float64(beta.Data[i%d]))
	}
	return out
}
