package autograd

import (
	"math/rand/v2"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// opCase is one row of the op table: an op applied to inputs of fixed shapes
// with fixed options, its naive reference, and how to check it.
type opCase struct {
	name   string  // unique; golden files in testdata/golden key on it
	inputs [][]int // shapes of the differentiable inputs
	// fn applies the op on tape tp. It must be a pure function of its
	// inputs: any randomness comes from a generator it seeds itself.
	fn func(tp *Tape, in []*Var) *Var
	// ref computes the same output with a naive loop (or, for ops that are
	// compositions of table ops, with an independent formulation).
	ref func(in []*tensor.Tensor) *tensor.Tensor
	// gen draws input i (default: standard normal). Non-smooth ops use it to
	// keep inputs away from kinks and ties, where finite differences fail.
	gen func(rng *rand.Rand, i int, shape []int) *tensor.Tensor
	// refTol bounds max|out-ref| / max(1, max|ref|) (default 1e-5).
	refTol float64
	// fdTol scales the finite-difference tolerance (default 1).
	fdTol float64
	// noFD names why the op is not checked by finite differences.
	noFD string
	// noGolden names why PyTorch has no golden for this case.
	noGolden string
}

// opTable lists every op. Each group is defined beside the tests of its
// op files; this is the one list the sweeps in ops_test.go run over.
func opTable() []opCase {
	var all []opCase
	for _, g := range [][]opCase{
		binaryCases, matmulCases,
		shapeCases,
		elementwiseCases, reduceCases,
		convCases, poolCases, resizeCases,
		normCases, stochasticCases,
		attentionCases, mixerCases, linearActCases,
	} {
		all = append(all, g...)
	}
	return all
}

var binaryCases = []opCase{
	{name: "add/same", inputs: [][]int{{2, 3}, {2, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Add(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refBinary(binAdd, in[0], in[1]) }},
	{name: "add/broadcast", inputs: [][]int{{2, 1, 5}, {3, 1}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Add(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refBinary(binAdd, in[0], in[1]) }},
	{name: "sub/broadcast", inputs: [][]int{{3, 4}, {4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sub(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refBinary(binSub, in[0], in[1]) }},
	{name: "mul/broadcast", inputs: [][]int{{1, 3, 1}, {2, 1, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Mul(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refBinary(binMul, in[0], in[1]) }},
	{name: "mul/scalar", inputs: [][]int{{3, 2}, {}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Mul(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refBinary(binMul, in[0], in[1]) }},
	{name: "div/broadcast", inputs: [][]int{{2, 3}, {2, 1}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Div(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refBinary(binDiv, in[0], in[1]) },
		gen: awayFromZero(0.5)},
}

var matmulCases = []opCase{
	{name: "matmul/2d", inputs: [][]int{{3, 5}, {5, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.MatMul(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMatMul(in[0], in[1]) }},
	{name: "matmul/batched", inputs: [][]int{{2, 3, 1, 4}, {2, 3, 4, 7}}, fn: func(tp *Tape, in []*Var) *Var { return tp.MatMul(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMatMul(in[0], in[1]) }},
	{name: "matmul/broadcast", inputs: [][]int{{2, 1, 3, 5}, {3, 5, 2}}, fn: func(tp *Tape, in []*Var) *Var { return tp.MatMul(in[0], in[1]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMatMul(in[0], in[1]) }},
	{name: "linear/bias", inputs: [][]int{{2, 3, 5}, {4, 5}, {4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Linear(in[0], in[1], in[2]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refLinear(in[0], in[1], in[2]) }},
	{name: "linear/nobias", inputs: [][]int{{1, 7}, {3, 7}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Linear(in[0], in[1], nil) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refLinear(in[0], in[1], nil) }},
}

// awayFromZero draws normal values with |x| >= lo, for ops with a pole or a
// kink at 0.
func awayFromZero(lo float32) func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
	return func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
		t := tensor.Randn(rng, 1, shape...)
		for j, v := range t.Data {
			if v >= 0 {
				t.Data[j] = v + lo
			} else {
				t.Data[j] = v - lo
			}
		}
		return t
	}
}

// positive draws values uniform in [lo, hi), for log, sqrt and pow.
func positive(lo, hi float32) func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
	return func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
		return tensor.Uniform(rng, lo, hi, shape...)
	}
}

// distinct draws a random permutation of evenly spaced values (spacing
// 0.1), so that max, sort-like ops and kinks see no ties.
func distinct(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
	t := tensor.New(shape...)
	n := len(t.Data)
	for j, p := range rng.Perm(n) {
		t.Data[j] = float32(p-n/2)*0.1 + 0.05
	}
	return t
}

// requiredOps are the ops the foundation must provide (the zoo and the
// training methods need each), as prefixes of op table row names. Every one
// must have a row that is checked against its reference, finite differences
// (unless the row says why not) and, where PyTorch has the op, a golden.
var requiredOps = []string{
	"matmul/2d", "matmul/batched", "matmul/broadcast", "linear/",
	"add/", "sub/", "mul/", "div/",
	"sum/", "mean/", "max/", "var/",
	"reshape/", "flatten/", "permute/", "transpose/", "expand/", "concat/", "split/",
	"slice/", "pad/", "roll/", "gather/", "index_select/",
	"exp/", "log/", "sqrt/", "pow/", "abs/", "clamp/", "neg/", "scale/", "addscalar/",
	"relu/", "relu6/", "sigmoid/", "tanh/", "silu/", "hardswish/", "hardsigmoid/",
	"gelu/", "gelutanh/", "softmax/", "logsoftmax/",
	"conv/3x3", "conv/tfsame", "conv/dilation", "conv/groups", "conv/1x1", "depthwise/",
	"maxpool/", "avgpool/3x3_s1_p1_incl", "avgpool/3x3_s1_p1_excl", "adaptiveavgpool/", "globalavgpool/",
	"batchnorm/train", "batchnorm/eval", "layernorm/", "affine/",
	"dropout/", "droppath/",
	"resize/bilinear", "resize/bicubic",
	"window/partition", "window/reverse",
	"attention/",
}
