package autograd

import (
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

func TestGradientsAccumulate(t *testing.T) {
	a := Param(tensor.FromData([]float32{1, 2, 3}, 3))
	b := Param(tensor.FromData([]float32{4, 5, 6}, 3))
	for i := 0; i < 2; i++ {
		tp := NewTape()
		y := tp.MatMul(tp.Reshape(a, 1, 3), tp.Reshape(b, 3, 1)) // a·b
		tp.Backward(y)
	}
	want := []float32{8, 10, 12} // twice b
	for i, v := range a.Grad.Data {
		if v != want[i] {
			t.Fatalf("after two backward passes grad a = %v, want %v", a.Grad.Data, want)
		}
	}
	a.ZeroGrad()
	if a.Grad.Data[0] != 0 {
		t.Fatal("ZeroGrad kept a value")
	}
}

func TestInferenceRecordsNothing(t *testing.T) {
	x := Param(tensor.Full(1, 2, 2))
	var tp *Tape
	y := tp.Mul(x, x)
	if y.RequiresGrad() || tp.Len() != 0 {
		t.Fatal("nil tape recorded")
	}
	ng := NoGrad()
	ng.MatMul(x, x)
	if ng.Len() != 0 || ng.MACs() != 8 {
		t.Fatalf("NoGrad: %d nodes, %d MACs; want 0 and 8", ng.Len(), ng.MACs())
	}
	rec := NewTape()
	z := rec.Mul(Const(tensor.Full(1, 2)), Const(tensor.Full(2, 2)))
	if z.RequiresGrad() || rec.Len() != 0 {
		t.Fatal("ops on constants were recorded")
	}
}

func TestDetachStopsGradient(t *testing.T) {
	x := Param(tensor.FromData([]float32{3}, 1))
	tp := NewTape()
	y := tp.Mul(x, Detach(tp.Mul(x, x))) // x * stopgrad(x²): dy/dx = x² = 9
	tp.Backward(y)
	if x.Grad.Data[0] != 9 {
		t.Fatalf("grad %v, want 9", x.Grad.Data[0])
	}
}

func TestShapeMismatchPanicsNamingOpAndShapes(t *testing.T) {
	for _, c := range []struct {
		op   string
		f    func()
		want []string
	}{
		{"Add", func() { NewTape().Add(Param(tensor.New(2, 3)), Param(tensor.New(4))) }, []string{"Add", "[2 3]", "[4]"}},
		{"MatMul", func() { NewTape().MatMul(Param(tensor.New(2, 3)), Param(tensor.New(4, 5))) }, []string{"MatMul", "[2 3]", "[4 5]"}},
		{"Linear", func() { NewTape().Linear(Param(tensor.New(2, 3)), Param(tensor.New(4, 5)), nil) }, []string{"Linear", "[2 3]", "[4 5]"}},
		{"Backward", func() { tp := NewTape(); tp.Backward(tp.Add(Param(tensor.New(2)), Param(tensor.New(2)))) }, []string{"Backward", "[2]"}},
	} {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				for _, w := range c.want {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: panic %q does not mention %q", c.op, msg, w)
					}
				}
			}()
			c.f()
		}()
	}
}
