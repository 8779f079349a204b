package autograd

import (
	"github.com/reprise-ml/reprise/engine/tensor"
)

var normCases = []opCase{
	normBNCase("batchnorm/train1d_affine", []int{3, 4, 5}, true, true, 0.1, 1e-5),
	normBNCase("batchnorm/train1d", []int{3, 4, 5}, false, true, 0.1, 1e-5),
	normBNCase("batchnorm/train2d_affine", []int{2, 3, 4, 5}, true, true, 0.1, 1e-5),
	normBNCase("batchnorm/train2d", []int{2, 3, 4, 5}, false, true, 0.1, 1e-5),
	normBNCase("batchnorm/train_nc_tf", []int{5, 3}, true, true, 0.01, 1e-3),
	normBNCase("batchnorm/train_batch1", []int{1, 2, 3, 3}, true, true, 0.1, 1e-5),
	normBNCase("batchnorm/eval_affine", []int{1, 3, 2, 2}, true, false, 0.1, 1e-5),
	normBNCase("batchnorm/eval", []int{2, 4, 3}, false, false, 0.1, 1e-3),

	normLNCase("layernorm/affine", []int{2, 3, 7}, true, 1e-5),
	normLNCase("layernorm/plain", []int{2, 3, 7}, false, 1e-5),
	normLNCase("layernorm/row1", []int{1, 5}, true, 1e-6),

	{name: "affine/channels_last", inputs: [][]int{{2, 5, 6}, {6}, {6}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Affine(in[0], in[1], in[2]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refAffine(in[0], in[1], in[2]) }},
	{name: "affine/rank1", inputs: [][]int{{4}, {4}, {4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Affine(in[0], in[1], in[2]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refAffine(in[0], in[1], in[2]) }},
}

const normNoGoldenRNG = "the mask comes from our seeded PCG stream, which PyTorch's generator cannot reproduce; norm_test.go checks the mask statistics"

var stochasticCases = []opCase{
	normDropCase("dropout/p0.3", []int{4, 7}, 0.3, 7, false),
	normDropCase("dropout/p0.9", []int{2, 3, 4}, 0.9, 3, false),
	{name: "dropout/p0", inputs: [][]int{{3, 5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Dropout(in[0], 0, nil) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return in[0].Clone() }},
	normDropCase("droppath/p0.5", []int{6, 2, 3}, 0.5, 11, true),
	normDropCase("droppath/rank1", []int{5}, 0.25, 2, true),
}

// normEvalState returns the running statistics the eval rows use; the same
// exactly representable values are built in gen_norm.py.
func normEvalState(c int) *BatchNormState {
	st := &BatchNormState{Mean: tensor.New(c), Var: tensor.New(c)}
	for ch := 0; ch < c; ch++ {
		st.Mean.Data[ch] = -0.25 + 0.125*float32(ch)
		st.Var.Data[ch] = 0.5 + 0.25*float32(ch)
	}
	return st
}

// normBNCase is a BatchNorm row on x of shape xs, with gamma and beta [C]
// when affine. Training rows build fresh running statistics on every call.
func normBNCase(name string, xs []int, affine, train bool, momentum, eps float32) opCase {
	c := xs[1]
	inputs := [][]int{xs}
	if affine {
		inputs = append(inputs, []int{c}, []int{c})
	}
	state := func() *BatchNormState {
		if train {
			return NewBatchNormState(c)
		}
		return normEvalState(c)
	}
	o := BatchNormOpts{Train: train, Momentum: momentum, Eps: eps}
	return opCase{name: name, inputs: inputs,
		fn: func(tp *Tape, in []*Var) *Var {
			var g, b *Var
			if affine {
				g, b = in[1], in[2]
			}
			return tp.BatchNorm(in[0], g, b, state(), o)
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			var g, b *tensor.Tensor
			if affine {
				g, b = in[1], in[2]
			}
			var rs *BatchNormState // nil: batch statistics
			if !train {
				rs = normEvalState(c)
			}
			return refBatchNorm(in[0], g, b, rs, eps)
		}}
}

// normLNCase is a LayerNorm row over the last dimension of xs.
func normLNCase(name string, xs []int, affine bool, eps float32) opCase {
	d := xs[len(xs)-1]
	inputs := [][]int{xs}
	if affine {
		inputs = append(inputs, []int{d}, []int{d})
	}
	return opCase{name: name, inputs: inputs,
		fn: func(tp *Tape, in []*Var) *Var {
			var g, b *Var
			if affine {
				g, b = in[1], in[2]
			}
			return tp.LayerNorm(in[0], g, b, eps)
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			var g, b *tensor.Tensor
			if affine {
				g, b = in[1], in[2]
			}
			return refLayerNorm(in[0], g, b, eps)
		}}
}

// normDropCase is a Dropout (or DropPath) row whose generator is seeded
// inside fn, so every call (finite differences included) sees one mask.
func normDropCase(name string, xs []int, p float32, seed uint64, path bool) opCase {
	return opCase{name: name, inputs: [][]int{xs}, noGolden: normNoGoldenRNG,
		fn: func(tp *Tape, in []*Var) *Var {
			if path {
				return tp.DropPath(in[0], p, tensor.NewRand(seed))
			}
			return tp.Dropout(in[0], p, tensor.NewRand(seed))
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			if path {
				return refDropPath(in[0], p, tensor.NewRand(seed))
			}
			return refDropout(in[0], p, tensor.NewRand(seed))
		}}
}
