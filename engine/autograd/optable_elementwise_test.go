package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// Rows for op_unary.go and op_activation.go. Piecewise-linear ops draw
// inputs away from their kinks (finite differences fail there); the */kinks
// rows put inputs exactly on the kinks to pin PyTorch's gradient convention
// against the golden, and skip finite differences. The */large rows check
// that saturating functions neither overflow nor lose the sign.
var elementwiseCases = []opCase{
	{name: "exp/2d", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Exp(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refExp(in[0]) }},
	{name: "log/3d", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Log(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refLog(in[0]) }, gen: positive(0.2, 3)},
	{name: "sqrt/2d", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sqrt(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSqrt(in[0]) }, gen: positive(0.2, 3)},
	{name: "abs/3d", inputs: [][]int{{1, 5, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Abs(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refAbs(in[0]) }, gen: awayFromZero(0.1)},
	{name: "abs/zero", inputs: [][]int{{2, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Abs(in[0]) },
		ref:  func(in []*tensor.Tensor) *tensor.Tensor { return refAbs(in[0]) },
		gen:  elementwiseFixed(0, -1, 2, 0, 0.5, -0.25),
		noFD: "inputs on the kink at 0, to check sign(0) = 0 against PyTorch"},
	{name: "neg/3d", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Neg(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refNeg(in[0]) }},
	{name: "pow/p2", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Pow(in[0], 2) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refPow(in[0], 2) }},
	{name: "pow/p3", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Pow(in[0], 3) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refPow(in[0], 3) }},
	{name: "pow/p0.5", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Pow(in[0], 0.5) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refPow(in[0], 0.5) }, gen: positive(0.2, 3)},
	{name: "pow/p-1.5", inputs: [][]int{{1, 4, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Pow(in[0], -1.5) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refPow(in[0], -1.5) }, gen: positive(0.5, 2)},
	{name: "clamp/3d", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Clamp(in[0], -0.5, 0.75) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refClamp(in[0], -0.5, 0.75) },
		gen: elementwiseUniformAvoid(-2, 2, -0.5, 0.75)},
	{name: "clamp/bounds", inputs: [][]int{{2, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Clamp(in[0], -0.5, 0.75) },
		ref:  func(in []*tensor.Tensor) *tensor.Tensor { return refClamp(in[0], -0.5, 0.75) },
		gen:  elementwiseFixed(-0.5, 0.75, -1, 0, 1, 0.25),
		noFD: "inputs on the bounds, to check that the gradient passes there as in PyTorch"},
	{name: "scale/3d", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Scale(in[0], -1.7) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refScale(in[0], -1.7) }},
	{name: "addscalar/2d", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.AddScalar(in[0], 0.3) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refAddScalar(in[0], 0.3) }},

	{name: "relu/2d", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.ReLU(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refReLU(in[0]) }, gen: awayFromZero(0.1)},
	{name: "relu/kinks", inputs: [][]int{{2, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.ReLU(in[0]) },
		ref:  func(in []*tensor.Tensor) *tensor.Tensor { return refReLU(in[0]) },
		gen:  elementwiseFixed(0, -0.5, 1.5, 0, -2, 3),
		noFD: "inputs on the kink at 0, to check PyTorch's gradient there"},
	{name: "relu6/3d", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.ReLU6(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refReLU6(in[0]) },
		gen: elementwiseUniformAvoid(-2, 8, 0, 6)},
	{name: "relu6/kinks", inputs: [][]int{{2, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.ReLU6(in[0]) },
		ref:  func(in []*tensor.Tensor) *tensor.Tensor { return refReLU6(in[0]) },
		gen:  elementwiseFixed(0, 6, -1, 3, 7, 0.5),
		noFD: "inputs on the kinks at 0 and 6, to check PyTorch's gradient there"},
	{name: "sigmoid/2d", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sigmoid(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSigmoid(in[0]) }},
	{name: "sigmoid/large", inputs: [][]int{{2, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sigmoid(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSigmoid(in[0]) }, gen: elementwiseLarge},
	{name: "tanh/3d", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Tanh(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refTanh(in[0]) }},
	{name: "tanh/large", inputs: [][]int{{2, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Tanh(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refTanh(in[0]) }, gen: elementwiseLarge},
	{name: "silu/2d", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.SiLU(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSiLU(in[0]) }},
	{name: "silu/large", inputs: [][]int{{2, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.SiLU(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSiLU(in[0]) }, gen: elementwiseLarge},
	{name: "hardswish/3d", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.HardSwish(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refHardSwish(in[0]) },
		gen: elementwiseUniformAvoid(-5, 5, -3, 3)},
	{name: "hardswish/kinks", inputs: [][]int{{2, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.HardSwish(in[0]) },
		ref:  func(in []*tensor.Tensor) *tensor.Tensor { return refHardSwish(in[0]) },
		gen:  elementwiseFixed(-3, 3, -4, 0, 4, 1.5),
		noFD: "inputs on the kinks at -3 and 3, to check PyTorch's gradient there"},
	{name: "hardsigmoid/2d", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.HardSigmoid(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refHardSigmoid(in[0]) },
		gen: elementwiseUniformAvoid(-5, 5, -3, 3)},
	{name: "hardsigmoid/kinks", inputs: [][]int{{2, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.HardSigmoid(in[0]) },
		ref:  func(in []*tensor.Tensor) *tensor.Tensor { return refHardSigmoid(in[0]) },
		gen:  elementwiseFixed(-3, 3, -4, 0, 4, 1.5),
		noFD: "inputs on the kinks at -3 and 3, to check PyTorch's gradient there"},
	{name: "gelu/3d", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.GELU(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refGELU(in[0]) }},
	{name: "gelu/large", inputs: [][]int{{2, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.GELU(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refGELU(in[0]) }, gen: elementwiseLarge},
	{name: "gelutanh/2d", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.GELUTanh(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refGELUTanh(in[0]) }},
	{name: "gelutanh/large", inputs: [][]int{{2, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.GELUTanh(in[0]) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refGELUTanh(in[0]) }, gen: elementwiseLarge},
}

// Rows for op_reduce.go and op_softmax.go.
var reduceCases = []opCase{
	{name: "sum/axis1", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sum(in[0], []int{1}, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSum(in[0], []int{1}, false) }},
	{name: "sum/axes02_keepdim", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sum(in[0], []int{0, 2}, true) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSum(in[0], []int{0, 2}, true) }},
	{name: "sum/neg", inputs: [][]int{{3, 1, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sum(in[0], []int{-1}, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSum(in[0], []int{-1}, false) }},
	{name: "sum/all", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sum(in[0], nil, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSum(in[0], nil, false) }},
	{name: "sum/all_keepdim", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Sum(in[0], []int{}, true) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSum(in[0], nil, true) }},
	{name: "mean/axis1", inputs: [][]int{{2, 5, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Mean(in[0], []int{1}, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMean(in[0], []int{1}, false) }},
	{name: "mean/axes12_keepdim", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Mean(in[0], []int{1, 2}, true) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMean(in[0], []int{1, 2}, true) }},
	{name: "mean/neg_keepdim", inputs: [][]int{{1, 4, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Mean(in[0], []int{-2}, true) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMean(in[0], []int{-2}, true) }},
	{name: "mean/all", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Mean(in[0], nil, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMean(in[0], nil, false) }},
	{name: "max/axis1", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Max(in[0], []int{1}, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMax(in[0], []int{1}, false) }, gen: distinct},
	{name: "max/axes_neg0", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Max(in[0], []int{-1, 0}, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMax(in[0], []int{-1, 0}, false) }, gen: distinct},
	{name: "max/neg_keepdim", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Max(in[0], []int{-1}, true) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMax(in[0], []int{-1}, true) }, gen: distinct},
	{name: "max/all_keepdim", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Max(in[0], nil, true) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refMax(in[0], nil, true) }, gen: distinct},
	{name: "var/axis1_c1", inputs: [][]int{{2, 5, 3}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Variance(in[0], []int{1}, 1, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refVariance(in[0], []int{1}, 1, false) }},
	{name: "var/axes02_c0_keepdim", inputs: [][]int{{3, 4, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Variance(in[0], []int{0, 2}, 0, true) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refVariance(in[0], []int{0, 2}, 0, true) }},
	{name: "var/neg_c0", inputs: [][]int{{4, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Variance(in[0], []int{-1}, 0, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refVariance(in[0], []int{-1}, 0, false) }},
	{name: "var/all_c1", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Variance(in[0], nil, 1, false) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refVariance(in[0], nil, 1, false) }},

	{name: "softmax/last", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Softmax(in[0], -1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSoftmax(in[0], -1, false) }},
	{name: "softmax/axis1", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Softmax(in[0], 1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSoftmax(in[0], 1, false) }},
	{name: "softmax/axis0", inputs: [][]int{{3, 1, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Softmax(in[0], 0) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSoftmax(in[0], 0, false) }},
	{name: "softmax/large", inputs: [][]int{{2, 6}}, fn: func(tp *Tape, in []*Var) *Var { return tp.Softmax(in[0], -1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSoftmax(in[0], -1, false) }, gen: positive(50, 100)},
	{name: "logsoftmax/last", inputs: [][]int{{3, 5}}, fn: func(tp *Tape, in []*Var) *Var { return tp.LogSoftmax(in[0], -1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSoftmax(in[0], -1, true) }},
	{name: "logsoftmax/axis1", inputs: [][]int{{2, 3, 4}}, fn: func(tp *Tape, in []*Var) *Var { return tp.LogSoftmax(in[0], 1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSoftmax(in[0], 1, true) }},
	{name: "logsoftmax/large", inputs: [][]int{{2, 6}}, fn: func(tp *Tape, in []*Var) *Var { return tp.LogSoftmax(in[0], -1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSoftmax(in[0], -1, true) }, gen: positive(50, 100)},
}

// elementwiseFixed returns the given values for every input (whose shape
// must hold exactly that many).
func elementwiseFixed(vals ...float32) func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
	return func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
		return tensor.FromData(append([]float32(nil), vals...), shape...)
	}
}

// elementwiseUniformAvoid draws values uniform in [lo, hi), redrawing any
// within 0.05 of a kink (five finite-difference steps).
func elementwiseUniformAvoid(lo, hi float32, kinks ...float32) func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
	return func(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
		t := tensor.New(shape...)
		near := func(v float32) bool {
			for _, k := range kinks {
				if v > k-0.05 && v < k+0.05 {
					return true
				}
			}
			return false
		}
		for j := range t.Data {
			v := lo + (hi-lo)*float32(rng.Float64())
			for near(v) {
				v = lo + (hi-lo)*float32(rng.Float64())
			}
			t.Data[j] = v
		}
		return t
	}
}

// elementwiseLarge draws values uniform in [-90, 90), where exp(|x|)
// overflows float32, for the saturating activations.
func elementwiseLarge(rng *rand.Rand, i int, shape []int) *tensor.Tensor {
	return tensor.Uniform(rng, -90, 90, shape...)
}

func TestElementwiseReduceAxesPanic(t *testing.T) {
	x := Param(tensor.New(2, 3, 4))
	for name, f := range map[string]func(){
		"repeated":       func() { (*Tape)(nil).Sum(x, []int{1, -2}, false) },
		"out of range":   func() { (*Tape)(nil).Mean(x, []int{3}, false) },
		"below range":    func() { (*Tape)(nil).Variance(x, []int{-4}, 1, false) },
		"softmax range":  func() { (*Tape)(nil).Softmax(x, 3) },
		"max empty axis": func() { (*Tape)(nil).Max(Param(tensor.New(2, 0, 3)), []int{1}, false) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestElementwiseReduceShapes checks output shapes for nil, empty and
// negative axes, with and without keepdim.
func TestElementwiseReduceShapes(t *testing.T) {
	x := Const(tensor.Meta(2, 3, 4))
	for _, c := range []struct {
		axes    []int
		keepdim bool
		want    []int
	}{
		{nil, false, []int{}},
		{[]int{}, true, []int{1, 1, 1}},
		{[]int{-1, 0}, false, []int{3}},
		{[]int{2, 0}, true, []int{1, 3, 1}},
		{[]int{1}, false, []int{2, 4}},
	} {
		for _, y := range []*Var{NoGrad().Sum(x, c.axes, c.keepdim), NoGrad().Max(x, c.axes, c.keepdim), NoGrad().Variance(x, c.axes, 0, c.keepdim)} {
			if !tensor.SameShape(y.Shape(), c.want) {
				t.Errorf("axes %v keepdim %v: shape %v, want %v", c.axes, c.keepdim, y.Shape(), c.want)
			}
		}
	}
}

// TestElementwiseMaxTieGradient pins the documented difference from
// torch.amax: with tied maxima the whole gradient goes to the first.
func TestElementwiseMaxTieGradient(t *testing.T) {
	x := Param(tensor.FromData([]float32{5, 1, 5, 2, 7, 7}, 2, 3))
	tp := NewTape()
	y := tp.Max(x, []int{1}, false)
	tp.BackwardFrom(y, tensor.FromData([]float32{1, 2}, 2))
	want := []float32{1, 0, 0, 0, 2, 0}
	for i, g := range x.Grad.Data {
		if g != want[i] {
			t.Fatalf("gradient %v, want %v", x.Grad.Data, want)
		}
	}
}

// TestElementwiseGradAccumulates checks that backward adds into an existing
// gradient: x feeding two ops gets the sum of both contributions.
func TestElementwiseGradAccumulates(t *testing.T) {
	x := Param(tensor.FromData([]float32{0.5, -1, 2}, 3))
	tp := NewTape()
	a := tp.Scale(x, 3)
	b := tp.Exp(x)
	tp.Backward(tp.Sum(tp.Add(a, b), nil, false))
	for i, v := range x.Value.Data {
		if want := 3 + float32(math.Exp(float64(v))); math.Abs(float64(x.Grad.Data[i]-want)) > 1e-6 {
			t.Fatalf("grad %v at x %v, want 3+exp(x)", x.Grad.Data, x.Value.Data)
		}
	}
}
