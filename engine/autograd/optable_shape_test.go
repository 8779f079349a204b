package autograd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// Index values shared by the gather rows and testdata/golden/gen_shape.py.
var (
	shapeGatherIndex1 = []int{3, 0, 1, 1, 2, 3, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 1}
	shapeGatherIndex0 = []int{2, 0, 1, 1, 0, 2, 2, 2}
)

var shapeCases = []opCase{
	{name: "reshape/infer", inputs: [][]int{{2, 3, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Reshape(in[0], 4, -1, 3) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refReshape(in[0], 4, -1, 3) }},
	{name: "reshape/plain", inputs: [][]int{{3, 1, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Reshape(in[0], 2, 1, 6) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refReshape(in[0], 2, 1, 6) }},
	{name: "flatten/middle", inputs: [][]int{{2, 3, 1, 5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Flatten(in[0], 1, 2) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refFlatten(in[0], 1, 2) }},
	{name: "flatten/all", inputs: [][]int{{3, 1, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Flatten(in[0], 0, -1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refFlatten(in[0], 0, 2) }},
	{name: "flatten/tail", inputs: [][]int{{2, 3, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Flatten(in[0], -2, -1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refFlatten(in[0], 1, 2) }},
	{name: "permute/3d", inputs: [][]int{{2, 3, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Permute(in[0], 2, 0, 1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refPermute(in[0], 2, 0, 1) }},
	{name: "permute/4d", inputs: [][]int{{2, 1, 3, 5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Permute(in[0], -1, 1, 0, 2) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refPermute(in[0], 3, 1, 0, 2) }},
	{name: "transpose/negative", inputs: [][]int{{2, 3, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Transpose(in[0], -1, -3) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refTranspose(in[0], 2, 0) }},
	{name: "transpose/4d", inputs: [][]int{{1, 3, 2, 5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Transpose(in[0], 1, -1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refTranspose(in[0], 1, 3) }},
	{name: "expand/lead", inputs: [][]int{{3, 1}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Expand(in[0], 2, 3, 4) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refExpand(in[0], 2, 3, 4) }},
	{name: "expand/ones", inputs: [][]int{{1, 4, 1}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Expand(in[0], 3, -1, 2) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refExpand(in[0], 3, -1, 2) }},
	{name: "expand/lead2", inputs: [][]int{{2, 1, 3}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Expand(in[0], 2, 1, 2, 4, 3) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refExpand(in[0], 2, 1, 2, 4, 3) }},
	{name: "concat/axis0", inputs: [][]int{{1, 3}, {2, 3}, {4, 3}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Concat(0, in...) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refConcat(0, in...) }},
	{name: "concat/axis1", inputs: [][]int{{2, 1, 3}, {2, 4, 3}, {2, 2, 3}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Concat(1, in...) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refConcat(1, in...) }},
	{name: "concat/last", inputs: [][]int{{3, 2, 1}, {3, 2, 4}, {3, 2, 2}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Concat(-1, in...) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refConcat(2, in...) }},
	{name: "split/reorder", inputs: [][]int{{2, 9, 3}},
		fn: func(tp *Tape, in []*Var) *Var {
			p := tp.Split(in[0], 1, 2, 4, 3)
			return tp.Concat(1, p[2], p[0], p[1])
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			p := refSplit(in[0], 1, 2, 4, 3)
			return refConcat(1, p[2], p[0], p[1])
		}},
	{name: "split/one", inputs: [][]int{{2, 9, 3}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Split(in[0], 1, 2, 4, 3)[1] },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSplit(in[0], 1, 2, 4, 3)[1] }},
	{name: "split/last", inputs: [][]int{{3, 7}},
		fn: func(tp *Tape, in []*Var) *Var {
			p := tp.Split(in[0], -1, 1, 2, 4)
			return tp.Concat(-1, p[2], p[1], p[0])
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			p := refSplit(in[0], 1, 1, 2, 4)
			return refConcat(1, p[2], p[1], p[0])
		}},
	{name: "split/empty", inputs: [][]int{{5, 2}},
		fn: func(tp *Tape, in []*Var) *Var {
			p := tp.Split(in[0], 0, 3, 0, 2)
			return tp.Concat(0, p[2], p[1], p[0])
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			p := refSplit(in[0], 0, 3, 0, 2)
			return refConcat(0, p[2], p[1], p[0])
		}},
	{name: "slice/step2", inputs: [][]int{{3, 9, 2}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Slice(in[0], 1, -7, 9, 2) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSlice(in[0], 1, -7, 9, 2) }},
	{name: "slice/clamp", inputs: [][]int{{5, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Slice(in[0], 0, 1, 100, 3) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSlice(in[0], 0, 1, 100, 3) }},
	{name: "slice/negend", inputs: [][]int{{2, 7}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Slice(in[0], -1, -6, -1, 2) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refSlice(in[0], 1, -6, -1, 2) }},
	{name: "pad/2d", inputs: [][]int{{3, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Pad(in[0], []int{1, 0}, []int{2, 3}, 0.5) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refPad(in[0], []int{1, 0}, []int{2, 3}, 0.5) }},
	{name: "pad/4d", inputs: [][]int{{1, 2, 3, 2}},
		fn: func(tp *Tape, in []*Var) *Var { return tp.Pad(in[0], []int{0, 1, 2, 0}, []int{1, 0, 1, 2}, -1) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			return refPad(in[0], []int{0, 1, 2, 0}, []int{1, 0, 1, 2}, -1)
		}},
	{name: "roll/2axes", inputs: [][]int{{2, 3, 5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Roll(in[0], []int{-2, 4}, []int{2, 1}) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refRoll(in[0], []int{-2, 4}, []int{2, 1}) }},
	{name: "roll/negative", inputs: [][]int{{4, 5}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Roll(in[0], []int{-1}, []int{-2}) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refRoll(in[0], []int{-1}, []int{0}) }},
	{name: "roll/repeat", inputs: [][]int{{3, 1, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.Roll(in[0], []int{1, 2, -7, 3}, []int{2, -1, 0, 1}) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refRoll(in[0], []int{1, 2, -7, 3}, []int{2, 2, 0, 1}) }},
	{name: "index_select/repeat", inputs: [][]int{{3, 5, 2}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.IndexSelect(in[0], 1, []int{4, 0, 4, 2, 4, 1}) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refIndexSelect(in[0], 1, []int{4, 0, 4, 2, 4, 1}) }},
	{name: "index_select/axis0", inputs: [][]int{{4, 3}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.IndexSelect(in[0], 0, []int{3, 3, 0}) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refIndexSelect(in[0], 0, []int{3, 3, 0}) }},
	{name: "index_select/last", inputs: [][]int{{2, 3, 4}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.IndexSelect(in[0], -1, []int{1, 1, 3}) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refIndexSelect(in[0], 2, []int{1, 1, 3}) }},
	{name: "gather/axis1", inputs: [][]int{{3, 4, 2}},
		fn: func(tp *Tape, in []*Var) *Var {
			return tp.Gather(in[0], 1, shapeGatherIndex1, []int{2, 5, 2})
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			return refGather(in[0], 1, shapeGatherIndex1, []int{2, 5, 2})
		}},
	{name: "gather/axis0", inputs: [][]int{{3, 4}},
		fn: func(tp *Tape, in []*Var) *Var {
			return tp.Gather(in[0], -2, shapeGatherIndex0, []int{4, 2})
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor {
			return refGather(in[0], 0, shapeGatherIndex0, []int{4, 2})
		}},
	{name: "window/partition", inputs: [][]int{{2, 4, 6, 3}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.WindowPartition(in[0], 2) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refWindowPartition(in[0], 2) }},
	{name: "window/partition3", inputs: [][]int{{1, 3, 6, 2}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.WindowPartition(in[0], 3) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refWindowPartition(in[0], 3) }},
	{name: "window/reverse", inputs: [][]int{{12, 2, 2, 3}},
		fn:  func(tp *Tape, in []*Var) *Var { return tp.WindowReverse(in[0], 2, 4, 6) },
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return refWindowReverse(in[0], 2, 4, 6) }},
	{name: "window/roundtrip", inputs: [][]int{{2, 4, 6, 3}},
		fn: func(tp *Tape, in []*Var) *Var {
			return tp.WindowReverse(tp.WindowPartition(in[0], 2), 2, 4, 6)
		},
		ref: func(in []*tensor.Tensor) *tensor.Tensor { return in[0].Clone() }},
}

// TestShapeOpsPanic checks that every shape op rejects a bad shape or
// argument with a panic whose message names the op.
func TestShapeOpsPanic(t *testing.T) {
	x := func(shape ...int) *Var { return Param(tensor.New(shape...)) }
	cases := []struct {
		op string
		fn func(tp *Tape)
	}{
		{"Reshape", func(tp *Tape) { tp.Reshape(x(2, 3), 4, 2) }},
		{"Reshape", func(tp *Tape) { tp.Reshape(x(2, 3), -1, 4) }},
		{"Reshape", func(tp *Tape) { tp.Reshape(x(2, 3), -1, -1) }},
		{"Flatten", func(tp *Tape) { tp.Flatten(x(2, 3, 4), 2, 1) }},
		{"Flatten", func(tp *Tape) { tp.Flatten(x(2, 3), 0, 2) }},
		{"Permute", func(tp *Tape) { tp.Permute(x(2, 3, 4), 0, 1) }},
		{"Permute", func(tp *Tape) { tp.Permute(x(2, 3, 4), 0, 1, -3) }},
		{"Transpose", func(tp *Tape) { tp.Transpose(x(2, 3), 0, -3) }},
		{"Expand", func(tp *Tape) { tp.Expand(x(2, 3), 4, 3) }},
		{"Expand", func(tp *Tape) { tp.Expand(x(2, 3), 3) }},
		{"Expand", func(tp *Tape) { tp.Expand(x(1, 3), -1, 2, 3) }},
		{"Concat", func(tp *Tape) { tp.Concat(1, x(2, 3), x(3, 3)) }},
		{"Concat", func(tp *Tape) { tp.Concat(0, x(2, 3), x(2, 3, 1)) }},
		{"Concat", func(tp *Tape) { tp.Concat(2, x(2, 3), x(2, 3)) }},
		{"Concat", func(tp *Tape) { tp.Concat(0) }},
		{"Split", func(tp *Tape) { tp.Split(x(2, 5), 1, 2, 2) }},
		{"Split", func(tp *Tape) { tp.Split(x(2, 5), 1, 6, -1) }},
		{"Slice", func(tp *Tape) { tp.Slice(x(2, 5), 1, 0, 5, 0) }},
		{"Slice", func(tp *Tape) { tp.Slice(x(2, 5), 2, 0, 5, 1) }},
		{"Pad", func(tp *Tape) { tp.Pad(x(2, 5), []int{1}, []int{1}, 0) }},
		{"Pad", func(tp *Tape) { tp.Pad(x(2, 5), []int{1, -1}, []int{1, 0}, 0) }},
		{"Roll", func(tp *Tape) { tp.Roll(x(2, 5), []int{1, 2}, []int{0}) }},
		{"Roll", func(tp *Tape) { tp.Roll(x(2, 5), []int{1}, []int{2}) }},
		{"IndexSelect", func(tp *Tape) { tp.IndexSelect(x(2, 5), 1, []int{0, 5}) }},
		{"IndexSelect", func(tp *Tape) { tp.IndexSelect(x(2, 5), 0, []int{-1}) }},
		{"Gather", func(tp *Tape) { tp.Gather(x(2, 5), 1, []int{0, 5}, []int{2, 1}) }},
		{"Gather", func(tp *Tape) { tp.Gather(x(2, 5), 1, []int{0, 1}, []int{2}) }},
		{"Gather", func(tp *Tape) { tp.Gather(x(2, 5), 1, []int{0, 1, 2}, []int{3, 1}) }},
		{"Gather", func(tp *Tape) { tp.Gather(x(2, 5), 1, []int{0, 1, 2}, []int{2, 1}) }},
		{"WindowPartition", func(tp *Tape) { tp.WindowPartition(x(1, 5, 4, 2), 2) }},
		{"WindowPartition", func(tp *Tape) { tp.WindowPartition(x(1, 4, 4), 2) }},
		{"WindowReverse", func(tp *Tape) { tp.WindowReverse(x(3, 2, 2, 1), 2, 4, 4) }},
		{"WindowReverse", func(tp *Tape) { tp.WindowReverse(x(4, 2, 2, 1), 2, 4, 5) }},
		{"WindowReverse", func(tp *Tape) { tp.WindowReverse(x(4, 3, 3, 1), 2, 4, 4) }},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.op, i), func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatalf("%s did not panic", c.op)
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, c.op+":") {
					t.Fatalf("panic %q does not name %s", msg, c.op)
				}
			}()
			c.fn(NewTape())
		})
	}
}

// TestShapeReshapeShares checks that Reshape and Flatten share their input's
// data but keep gradients of their own, and that Split's pieces each add
// into their own part of the input's gradient.
func TestShapeReshapeShares(t *testing.T) {
	x := Param(tensor.FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	tp := NewTape()
	y := tp.Reshape(x, 3, 2)
	z := tp.Flatten(y, 0, 1)
	if &y.Value.Data[0] != &x.Value.Data[0] || &z.Value.Data[0] != &x.Value.Data[0] {
		t.Fatal("Reshape/Flatten copied their input's data")
	}
	p := tp.Split(z, 0, 2, 4)
	tp.BackwardFrom(p[1], tensor.FromData([]float32{10, 20, 30, 40}, 4))
	want := []float32{0, 0, 10, 20, 30, 40}
	for i, v := range x.Grad.Data {
		if v != want[i] {
			t.Fatalf("x.Grad = %v, want %v", x.Grad.Data, want)
		}
	}
	if &y.Grad.Data[0] == &x.Grad.Data[0] || &z.Grad.Data[0] == &y.Grad.Data[0] {
		t.Fatal("Reshape/Flatten share a gradient buffer with their input")
	}
	if p[0].Grad != nil {
		t.Fatalf("unused piece got a gradient %v", p[0].Grad)
	}
}
