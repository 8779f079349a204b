package autograd

import (
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

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

// linearActCases are the rows of LinearAct (op_matmul.go): each runs the
// recording path (pre-activation kept) under the backward sweeps and the
// fused epilogue under the nil-tape forward sweep.
var linearActCases = []opCase{
	{name: "linearact/gelu", inputs: [][]int{{2, 3, 5}, {20, 5}, {20}},
		fn: func(tp *Tape, in []*Var) *Var { return tp.LinearAct(in[0], in[1], in[2], kernels.ActGELU) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			return refLinearAct(in[0], in[1], in[2], kernels.ActGELU)
		}},
	{name: "linearact/silu_nobias", inputs: [][]int{{4, 7}, {3, 7}},
		fn: func(tp *Tape, in []*Var) *Var { return tp.LinearAct(in[0], in[1], nil, kernels.ActSiLU) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			return refLinearAct(in[0], in[1], nil, kernels.ActSiLU)
		}},
}
