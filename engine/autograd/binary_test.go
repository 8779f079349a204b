package autograd

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// TestBinaryLargeBroadcasts runs Add, Sub, Mul and Div on tensors large
// enough to be split across workers, with the broadcast patterns models
// use (same shape, a trailing vector, a per-channel column, a scalar, and
// both sides broadcast), against the plain loops: the forward must equal
// refBinary bit for bit, the gradients must equal the loop that adds
// g·∂/∂a and g·∂/∂b in increasing output index, bit for bit, at GOMAXPROCS
// 1, 2 and 5 — except Mul's, whose gradients along a run of the output
// that reads one value of an operand (a channel's scale, as in squeeze-and-
// excitation) are vector kernels (a fused axpy, a dot product): those are
// checked against the loop to 1e-6 of the sum of the terms' magnitudes, and
// at GOMAXPROCS 2 and 5 against GOMAXPROCS 1 bit for bit.
func TestBinaryLargeBroadcasts(t *testing.T) {
	type pair struct{ a, b []int }
	pairs := []pair{
		{[]int{4, 97, 131}, []int{4, 97, 131}},
		{[]int{4, 97, 131}, []int{131}},
		{[]int{4, 97, 131}, []int{97, 1}},
		{[]int{4, 97, 131}, []int{1}},
		{[]int{97, 1}, []int{4, 1, 131}},
		{[]int{1, 97, 131}, []int{4, 97, 1}},
	}
	ops := []struct {
		name string
		op   binOp
		f    func(tp *Tape, a, b *Var) *Var
	}{
		{"Add", binAdd, (*Tape).Add}, {"Sub", binSub, (*Tape).Sub},
		{"Mul", binMul, (*Tape).Mul}, {"Div", binDiv, (*Tape).Div},
	}
	for _, p := range pairs {
		for _, o := range ops {
			rng := tensor.NewRand(7)
			at, bt := tensor.Randn(rng, 1, p.a...), tensor.Randn(rng, 1, p.b...)
			for i := range bt.Data {
				bt.Data[i] += float32(math.Copysign(0.5, float64(bt.Data[i]))) // keep Div's denominators away from 0
			}
			want := refBinary(o.op, at, bt)
			g := tensor.Randn(rng, 1, want.Shape...)
			wantGA, wantGB := make([]float32, len(at.Data)), make([]float32, len(bt.Data))
			magA, magB := make([]float64, len(at.Data)), make([]float64, len(bt.Data))
			coord := make([]int, len(want.Shape))
			for oi := range want.Data {
				rem := oi
				for d := len(coord) - 1; d >= 0; d-- {
					coord[d] = rem % want.Shape[d]
					rem /= want.Shape[d]
				}
				ia, ib := refBroadcastIndex(coord, at.Shape), refBroadcastIndex(coord, bt.Shape)
				da, db := o.op.partials(at.Data[ia], bt.Data[ib])
				wantGA[ia] += g.Data[oi] * da
				wantGB[ib] += g.Data[oi] * db
				magA[ia] += math.Abs(float64(g.Data[oi] * da))
				magB[ib] += math.Abs(float64(g.Data[oi] * db))
			}
			var firstGA, firstGB []float32
			for _, procs := range []int{1, 2, 5} {
				name := fmt.Sprintf("%s %v %v GOMAXPROCS=%d", o.name, p.a, p.b, procs)
				prev := runtime.GOMAXPROCS(procs)
				tp := NewTape()
				a, b := Param(at.Clone()), Param(bt.Clone())
				y := o.f(tp, a, b)
				tp.BackwardFrom(y, g)
				runtime.GOMAXPROCS(prev)
				binarySame(t, name+" forward", y.Value.Data, want.Data)
				if o.op != binMul {
					binarySame(t, name+" grad a", a.Grad.Data, wantGA)
					binarySame(t, name+" grad b", b.Grad.Data, wantGB)
					continue
				}
				binaryClose(t, name+" grad a", a.Grad.Data, wantGA, magA)
				binaryClose(t, name+" grad b", b.Grad.Data, wantGB, magB)
				if firstGA == nil {
					firstGA, firstGB = a.Grad.Data, b.Grad.Data
					continue
				}
				binarySame(t, name+" grad a vs GOMAXPROCS=1", a.Grad.Data, firstGA)
				binarySame(t, name+" grad b vs GOMAXPROCS=1", b.Grad.Data, firstGB)
			}
		}
	}
}

func binarySame(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// binaryClose checks got against want to 1e-6 of mag, the sum of the
// magnitudes of each element's terms.
func binaryClose(t *testing.T, what string, got, want []float32, mag []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > 1e-6*mag[i] {
			t.Fatalf("%s: element %d = %v, want %v (off by %g, terms' magnitude %g)", what, i, got[i], want[i], d, mag[i])
		}
	}
}
