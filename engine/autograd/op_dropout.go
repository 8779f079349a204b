package autograd

import (
	"math/rand/v2"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// Dropout zeroes each element of x with probability p and divides the kept
// ones by 1-p (inverted dropout), as torch.nn.functional.dropout(x, p,
// training=True). Callers apply it only in training.
//
// The mask comes from rng, one draw per element in row-major order: element
// i is kept iff rng.Float64() < 1-p. So a seed fixes the mask, but it is not
// PyTorch's mask (PyTorch's generator differs). Kept values are x/(1-p)
// computed in float32 (PyTorch multiplies by 1/(1-p): at most an ulp apart).
// p must be in [0, 1); p == 0 returns x itself and draws nothing. A
// shape-only (meta) call draws nothing.
func (t *Tape) Dropout(x *Var, p float32, rng *rand.Rand) *Var {
	normDropoutCheck("Dropout", x, p, rng)
	if p == 0 {
		return x
	}
	out := t.newOut(x.Value.Shape, x)
	if isMeta(out) {
		return out
	}
	keep := make([]bool, x.Value.Numel())
	normDropoutDraw(keep, p, rng)
	q := 1 - p
	xd, od := x.Value.Data, out.Value.Data
	for i, k := range keep {
		if k {
			od[i] = xd[i] / q
		}
	}
	t.push("Dropout", out, func(g []float32) {
		gx := x.grad()
		for i, k := range keep {
			if k {
				gx[i] += g[i] / q
			}
		}
	}, x)
	return out
}

// DropPath is stochastic depth per sample, as timm's drop_path(x, p,
// training=True, scale_by_keep=True): each index of x's first dimension (a
// sample) is kept whole with probability 1-p and divided by 1-p, or zeroed
// whole. Callers apply it only in training, to a residual branch.
//
// The mask comes from rng, one draw per sample in order: sample i is kept
// iff rng.Float64() < 1-p (not PyTorch's stream). Kept values are x/(1-p) in
// float32. p must be in [0, 1); p == 0 returns x itself and draws nothing.
// A shape-only (meta) call draws nothing.
func (t *Tape) DropPath(x *Var, p float32, rng *rand.Rand) *Var {
	normDropoutCheck("DropPath", x, p, rng)
	if x.Value.Dims() < 1 {
		panicf("DropPath: input %v needs a sample dimension", x.Value.Shape)
	}
	if p == 0 {
		return x
	}
	out := t.newOut(x.Value.Shape, x)
	if isMeta(out) {
		return out
	}
	n := x.Value.Shape[0]
	per := tensor.Numel(x.Value.Shape[1:])
	keep := make([]bool, n)
	normDropoutDraw(keep, p, rng)
	q := 1 - p
	xd, od := x.Value.Data, out.Value.Data
	for i, k := range keep {
		if k {
			for j := i * per; j < (i+1)*per; j++ {
				od[j] = xd[j] / q
			}
		}
	}
	t.push("DropPath", out, func(g []float32) {
		gx := x.grad()
		for i, k := range keep {
			if k {
				for j := i * per; j < (i+1)*per; j++ {
					gx[j] += g[j] / q
				}
			}
		}
	}, x)
	return out
}

func normDropoutCheck(op string, x *Var, p float32, rng *rand.Rand) {
	if !(p >= 0 && p < 1) {
		panicf("%s: p = %v must be in [0, 1) (input %v)", op, p, x.Value.Shape)
	}
	if rng == nil && p != 0 {
		panicf("%s: nil *rand.Rand (input %v)", op, x.Value.Shape)
	}
}

// normDropoutDraw sets keep[i] = rng.Float64() < 1-p for i in order.
func normDropoutDraw(keep []bool, p float32, rng *rand.Rand) {
	thr := 1 - float64(p)
	for i := range keep {
		keep[i] = rng.Float64() < thr
	}
}

// refDropout is the naive reference for Dropout: it decodes nothing (the
// mask is flat, row-major) and draws one value per element from rng.
func refDropout(x *tensor.Tensor, p float32, rng *rand.Rand) *tensor.Tensor {
	out := tensor.New(x.Shape...)
	for i := 0; i < x.Numel(); i++ {
		if u := rng.Float64(); u < 1-float64(p) {
			out.Data[i] = x.Data[i] / (1 - p)
		}
	}
	return out
}

// refDropPath is the naive reference for DropPath: the sample of each
// element is decoded from its index; one draw per sample, drawn up front.
func refDropPath(x *tensor.Tensor, p float32, rng *rand.Rand) *tensor.Tensor {
	n := x.Shape[0]
	u := make([]float64, n)
	for i := range u {
		u[i] = rng.Float64()
	}
	per := x.Numel() / max(n, 1)
	out := tensor.New(x.Shape...)
	for i, v := range x.Data {
		if u[i/per] < 1-float64(p) {
			out.Data[i] = v / (1 - p)
		}
	}
	return out
}
