package autograd

import "github.com/reprise-ml/reprise/engine/tensor"

// mixerCases are the rows of op_mixer.go; testdata/golden/gen_mixer.py
// writes their PyTorch goldens.
var mixerCases = []opCase{
	{name: "tokenlinear/bias", inputs: [][]int{{2, 3, 5}, {4, 3}, {4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.TokenLinear(in[0], in[1], in[2]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refTokenLinear(in[0], in[1], in[2]) }},
	{name: "tokenlinear/nobias_batch2d", inputs: [][]int{{2, 2, 5, 3}, {5, 5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.TokenLinear(in[0], in[1], nil) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refTokenLinear(in[0], in[1], nil) }},
	{name: "tokenlinear/matrix", inputs: [][]int{{7, 2}, {3, 7}, {3}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.TokenLinear(in[0], in[1], in[2]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refTokenLinear(in[0], in[1], in[2]) }},
	{name: "layerscaleadd/tokens", inputs: [][]int{{2, 3, 9}, {2, 3, 9}, {9}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.LayerScaleAdd(in[0], in[1], in[2]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refLayerScaleAdd(in[0], in[1], in[2]) }},
	{name: "layerscaleadd/rank1", inputs: [][]int{{5}, {5}, {5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.LayerScaleAdd(in[0], in[1], in[2]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refLayerScaleAdd(in[0], in[1], in[2]) }},
}
