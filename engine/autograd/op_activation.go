package autograd

import (
	"math"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Activations, elementwise, named as in torch.nn.functional. Piecewise-linear
// ones (ReLU, ReLU6, HardSwish, HardSigmoid) are float32 arithmetic and follow
// PyTorch's gradient convention at each kink; smooth ones (Sigmoid, Tanh,
// SiLU, GELU, GELUTanh) go through Go's float64 math (math.Exp, math.Tanh,
// math.Erf) and round once to float32, in forms that do not overflow for any
// input.

// ReLU returns max(x, 0) elementwise, as F.relu. The gradient is 0 at x = 0,
// as PyTorch's.
func (t *Tape) ReLU(x *Var) *Var {
	return t.elementwiseUnarySet("ReLU", x, 0, 0, kernels.ReLU,
		func(dx, dy, _, y []float32, _, _ float32) { kernels.ReLUBackward(dx, dy, y) },
		func(dx, dy, _, y []float32, _, _ float32) { kernels.ReLUBackwardSet(dx, dy, y) })
}

// ReLU6 returns min(max(x, 0), 6) elementwise, as F.relu6. The gradient is 1
// for 0 < x < 6 and 0 elsewhere, kinks included, as PyTorch's (which
// computes relu6 as hardtanh(x, 0, 6); Clamp instead passes the gradient at
// its bounds).
func (t *Tape) ReLU6(x *Var) *Var {
	return t.elementwiseUnary("ReLU6", x, kernels.ReLU6, func(dx, dy, x, _ []float32, _, _ float32) { kernels.ReLU6Backward(dx, dy, x) })
}

// Sigmoid returns 1/(1+e^-x) elementwise, as torch.sigmoid.
func (t *Tape) Sigmoid(x *Var) *Var {
	return t.elementwiseUnary("Sigmoid", x, kernels.Sigmoid, func(dx, dy, _, y []float32, _, _ float32) { kernels.SigmoidBackward(dx, dy, y) })
}

// Tanh returns tanh(x) elementwise, as torch.tanh.
func (t *Tape) Tanh(x *Var) *Var {
	return t.elementwiseUnary("Tanh", x, kernels.Tanh, func(dx, dy, _, y []float32, _, _ float32) { kernels.TanhBackward(dx, dy, y) })
}

// SiLU returns x·sigmoid(x) elementwise (swish), as F.silu.
func (t *Tape) SiLU(x *Var) *Var {
	return t.elementwiseUnary("SiLU", x, kernels.SiLU, func(dx, dy, x, _ []float32, _, _ float32) { kernels.SiLUBackward(dx, dy, x) })
}

// HardSwish returns x·relu6(x+3)/6 elementwise (h-swish of MobileNetV3), as
// F.hardswish. Its gradient follows PyTorch's convention: 0 for x < -3,
// x/3 + 1/2 for -3 <= x <= 3 (so -1/2 at x = -3, where the function itself
// has slopes 0 and -1/2, and 3/2 at x = 3, slopes 3/2 and 1), and 1 for x > 3.
func (t *Tape) HardSwish(x *Var) *Var {
	return t.elementwiseUnary("HardSwish", x, kernels.HardSwish, func(dx, dy, x, _ []float32, _, _ float32) { kernels.HardSwishBackward(dx, dy, x) })
}

// HardSigmoid returns relu6(x+3)/6 elementwise (h-sigmoid of MobileNetV3), as
// F.hardsigmoid. The gradient is 1/6 for -3 < x < 3 and 0 elsewhere, kinks
// included, as PyTorch's.
func (t *Tape) HardSigmoid(x *Var) *Var {
	return t.elementwiseUnary("HardSigmoid", x, kernels.HardSigmoid, func(dx, dy, x, _ []float32, _, _ float32) { kernels.HardSigmoidBackward(dx, dy, x) })
}

// GELU returns x·Φ(x) = x·(1 + erf(x/√2))/2 elementwise, the exact GELU of
// F.gelu (approximate='none').
func (t *Tape) GELU(x *Var) *Var {
	return t.elementwiseUnary("GELU", x, kernels.GELU, func(dx, dy, x, _ []float32, _, _ float32) { kernels.GELUBackward(dx, dy, x) })
}

// GELUTanh returns x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))) elementwise, as
// F.gelu(x, approximate='tanh').
func (t *Tape) GELUTanh(x *Var) *Var {
	return t.elementwiseUnary("GELUTanh", x, kernels.GELUTanh, func(dx, dy, x, _ []float32, _, _ float32) { kernels.GELUTanhBackward(dx, dy, x) })
}

// elementwiseRefTanh is tanh written as 1 - 2/(e^{2x}+1), independently of
// math.Tanh; it saturates cleanly for large |x| in float64.
func elementwiseRefTanh(v float64) float64 { return 1 - 2/(math.Exp(2*v)+1) }

// refReLU is the naive reference for ReLU.
func refReLU(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 { return math.Max(v, 0) })
}

// refReLU6 is the naive reference for ReLU6.
func refReLU6(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 { return math.Min(math.Max(v, 0), 6) })
}

// refSigmoid is the naive reference for Sigmoid (plain 1/(1+e^-x): float64
// does not overflow for the inputs of the table).
func refSigmoid(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) })
}

// refTanh is the naive reference for Tanh.
func refTanh(x *tensor.Tensor) *tensor.Tensor { return elementwiseRefMap(x, elementwiseRefTanh) }

// refSiLU is the naive reference for SiLU.
func refSiLU(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 { return v / (1 + math.Exp(-v)) })
}

// refHardSwish is the naive reference for HardSwish.
func refHardSwish(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 {
		switch {
		case v <= -3:
			return 0
		case v >= 3:
			return v
		}
		return v * (v + 3) / 6
	})
}

// refHardSigmoid is the naive reference for HardSigmoid.
func refHardSigmoid(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 {
		switch {
		case v <= -3:
			return 0
		case v >= 3:
			return 1
		}
		return v/6 + 0.5
	})
}

// refGELU is the naive reference for GELU, through erfc: x·erfc(-x/√2)/2.
func refGELU(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 { return v * math.Erfc(-v/math.Sqrt2) / 2 })
}

// refGELUTanh is the naive reference for GELUTanh.
func refGELUTanh(x *tensor.Tensor) *tensor.Tensor {
	return elementwiseRefMap(x, func(v float64) float64 {
		return v / 2 * (1 + elementwiseRefTanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
	})
}
