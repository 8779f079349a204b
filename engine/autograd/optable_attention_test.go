package autograd

import (
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

var attentionCases = []opCase{
	{name: "attention/vit", inputs: [][]int{{2, 3, 5, 4}, {2, 3, 5, 4}, {2, 3, 5, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Attention(in[0], in[1], in[2], 0.5, nil) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refAttention(in[0], in[1], in[2], 0.5, nil) }},
	{name: "attention/cross_dv", inputs: [][]int{{1, 2, 3, 4}, {1, 2, 6, 4}, {1, 2, 6, 5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Attention(in[0], in[1], in[2], 0.3, nil) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refAttention(in[0], in[1], in[2], 0.3, nil) }},
	// Swin: q [B, nW, H, N, D] with a relative position bias broadcast over
	// windows and a per-window mask, summed by the caller into [nW, H, N, N].
	{name: "attention/swin_bias", inputs: [][]int{{2, 2, 3, 4, 3}, {2, 2, 3, 4, 3}, {2, 2, 3, 4, 3}, {2, 3, 4, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Attention(in[0], in[1], in[2], 0.7, in[3]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refAttention(in[0], in[1], in[2], 0.7, in[3]) }},
	{name: "attention/head_bias", inputs: [][]int{{2, 3, 4, 2}, {2, 3, 4, 2}, {2, 3, 4, 2}, {3, 4, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Attention(in[0], in[1], in[2], 1, in[3]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refAttention(in[0], in[1], in[2], 1, in[3]) }},
}

// TestAttentionMatchesComposition checks the fused op against the same
// attention built from table ops (matmul, scale, add, softmax), forward and
// backward.
func TestAttentionMatchesComposition(t *testing.T) {
	rng := tensor.NewRand(3)
	mk := func(s ...int) *tensor.Tensor { return tensor.Randn(rng, 1, s...) }
	q, k, v, b := mk(2, 3, 7, 8), mk(2, 3, 9, 8), mk(2, 3, 9, 5), mk(3, 7, 9)
	gout := mk(2, 3, 7, 5)
	run := func(fused bool) []*tensor.Tensor {
		vs := params([]*tensor.Tensor{q, k, v, b})
		tp := NewTape()
		var y *Var
		if fused {
			y = tp.Attention(vs[0], vs[1], vs[2], 0.25, vs[3])
		} else {
			s := tp.Add(tp.Scale(tp.MatMul(vs[0], tp.Transpose(vs[1], -2, -1)), 0.25), vs[3])
			y = tp.MatMul(tp.Softmax(s, -1), vs[2])
		}
		tp.BackwardFrom(y, gout)
		return []*tensor.Tensor{y.Value, vs[0].Grad, vs[1].Grad, vs[2].Grad, vs[3].Grad}
	}
	got, want := run(true), run(false)
	for i, name := range []string{"output", "dq", "dk", "dv", "dbias"} {
		if e := maxRelErr(got[i].Data, want[i].Data); e > 1e-5 {
			t.Errorf("%s: fused attention differs from the composition by %.3g", name, e)
		}
	}
}

func TestAttentionInferenceKeepsNoProbabilities(t *testing.T) {
	q := Const(tensor.Meta(8, 3, 197, 64))
	tp := NoGrad()
	y := tp.Attention(q, q, q, 0.125, nil)
	if !y.Value.IsMeta() || tp.MACs() != 8*3*197*197*128 {
		t.Fatalf("meta attention: %v, %d MACs", y.Value, tp.MACs())
	}
}
