package autograd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// convRow is a Conv2d row: inputs x [xs], w [ws] and, with bias, b [ws[0]].
// testdata/golden/gen_conv.py mirrors every row.
func convRow(name string, xs, ws []int, bias bool, o Conv2dOpts) opCase {
	in := [][]int{xs, ws}
	if bias {
		in = append(in, []int{ws[0]})
	}
	return opCase{name: name, inputs: in,
		fn: func(tp *Tape, v []*Var) *Var {
			var b *Var
			if bias {
				b = v[2]
			}
			return tp.Conv2d(v[0], v[1], b, o)
		},
		ref: func(v []*tensor.Tensor) *tensor.Tensor {
			var b *tensor.Tensor
			if bias {
				b = v[2]
			}
			return refConv2d(v[0], v[1], b, o)
		}}
}

var convCases = []opCase{
	convRow("conv/3x3_pad1", []int{2, 3, 7, 5}, []int{4, 3, 3, 3}, true, Conv2dOpts{Pad: SymmetricPad(1)}),
	convRow("conv/size1", []int{1, 1, 1, 1}, []int{2, 1, 3, 3}, true, Conv2dOpts{Pad: SymmetricPad(1)}),
	// TF "SAME" with stride 2: 7 rows pad {1,1}, 8 columns pad {0,1}.
	convRow("conv/tfsame_s2", []int{1, 3, 7, 8}, []int{4, 3, 3, 3}, true,
		Conv2dOpts{Stride: [2]int{2, 2}, Pad: SamePad(7, 8, 3, 3, 2, 2, 1, 1)}),
	// Odd sizes with an even kernel: 7 rows and 5 columns both pad {1,2}.
	convRow("conv/tfsame_k4_s2_odd", []int{1, 2, 7, 5}, []int{3, 2, 4, 4}, false,
		Conv2dOpts{Stride: [2]int{2, 2}, Pad: SamePad(7, 5, 4, 4, 2, 2, 1, 1)}),
	convRow("conv/stride2_rect", []int{2, 2, 9, 6}, []int{3, 2, 3, 2}, false,
		Conv2dOpts{Stride: [2]int{2, 3}, Pad: [4]int{1, 0, 0, 1}}),
	convRow("conv/dilation2", []int{1, 2, 9, 7}, []int{3, 2, 3, 3}, true,
		Conv2dOpts{Dilation: [2]int{2, 2}, Pad: SymmetricPad(2)}),
	convRow("conv/groups2", []int{2, 4, 5, 6}, []int{6, 2, 3, 3}, true,
		Conv2dOpts{Groups: 2, Pad: SymmetricPad(1)}),
	convRow("conv/1x1_bias", []int{2, 5, 3, 4}, []int{7, 5, 1, 1}, true, Conv2dOpts{}),
	convRow("conv/1x1_nobias", []int{1, 4, 7, 5}, []int{3, 4, 1, 1}, false, Conv2dOpts{}),
	convRow("conv/1x1_groups2", []int{1, 4, 3, 5}, []int{6, 2, 1, 1}, false, Conv2dOpts{Groups: 2}),
	// 1×1 with stride 2 (ResNet's downsample) takes the im2col path.
	convRow("conv/1x1_stride2", []int{1, 3, 5, 7}, []int{4, 3, 1, 1}, true, Conv2dOpts{Stride: [2]int{2, 2}}),
	convRow("depthwise/3x3_s1", []int{2, 3, 6, 5}, []int{3, 1, 3, 3}, true,
		Conv2dOpts{Groups: 3, Pad: SymmetricPad(1)}),
	// TF "SAME" 5×5 stride 2 (EfficientNet's tf_ variants): 9 rows pad {2,2}, 8 columns pad {1,2}.
	convRow("depthwise/5x5_s2_tfsame", []int{1, 4, 9, 8}, []int{4, 1, 5, 5}, true,
		Conv2dOpts{Groups: 4, Stride: [2]int{2, 2}, Pad: SamePad(9, 8, 5, 5, 2, 2, 1, 1)}),
	convRow("depthwise/mult2_dil2", []int{1, 3, 5, 7}, []int{6, 1, 3, 3}, false,
		Conv2dOpts{Groups: 3, Dilation: [2]int{2, 2}, Pad: SymmetricPad(2)}),
	convRow("depthwise/mult2_s2", []int{2, 2, 5, 4}, []int{4, 1, 3, 3}, true,
		Conv2dOpts{Groups: 2, Stride: [2]int{2, 2}, Pad: SymmetricPad(1)}),
}

// poolRow is a MaxPool2d or AvgPool2d row on x [xs].
func poolRow(name string, max bool, xs []int, k [2]int, o PoolOpts) opCase {
	c := opCase{name: name, inputs: [][]int{xs}}
	if max {
		c.fn = func(tp *Tape, v []*Var) *Var { return tp.MaxPool2d(v[0], k, o) }
		c.ref = func(v []*tensor.Tensor) *tensor.Tensor { return refMaxPool2d(v[0], k, o) }
		c.gen = distinct
	} else {
		c.fn = func(tp *Tape, v []*Var) *Var { return tp.AvgPool2d(v[0], k, o) }
		c.ref = func(v []*tensor.Tensor) *tensor.Tensor { return refAvgPool2d(v[0], k, o) }
	}
	return c
}

var poolCases = []opCase{
	poolRow("maxpool/3x3_s2_p1", true, []int{2, 2, 7, 6}, [2]int{3, 3}, PoolOpts{Stride: [2]int{2, 2}, Pad: SymmetricPad(1)}),
	poolRow("maxpool/2x2", true, []int{1, 3, 5, 4}, [2]int{2, 2}, PoolOpts{}),
	// TF "SAME" 3×3 stride 2: 8 rows pad {0,1}, 7 columns pad {1,1}.
	poolRow("maxpool/tfsame_3x3_s2", true, []int{1, 2, 8, 7}, [2]int{3, 3},
		PoolOpts{Stride: [2]int{2, 2}, Pad: SamePad(8, 7, 3, 3, 2, 2, 1, 1)}),
	poolRow("avgpool/3x3_s1_p1_incl", false, []int{2, 3, 5, 4}, [2]int{3, 3},
		PoolOpts{Stride: [2]int{1, 1}, Pad: SymmetricPad(1), CountIncludePad: true}),
	poolRow("avgpool/3x3_s1_p1_excl", false, []int{2, 3, 5, 4}, [2]int{3, 3},
		PoolOpts{Stride: [2]int{1, 1}, Pad: SymmetricPad(1)}),
	poolRow("avgpool/2x2_s2", false, []int{1, 3, 7, 5}, [2]int{2, 2}, PoolOpts{Stride: [2]int{2, 2}}),
	poolRow("avgpool/tfsame_3x3_s2_excl", false, []int{1, 2, 8, 7}, [2]int{3, 3},
		PoolOpts{Stride: [2]int{2, 2}, Pad: SamePad(8, 7, 3, 3, 2, 2, 1, 1)}),
	{name: "adaptiveavgpool/7x5_to_3x2", inputs: [][]int{{2, 3, 7, 5}},
		fn:  func(tp *Tape, v []*Var) *Var { return tp.AdaptiveAvgPool2d(v[0], 3, 2) },
		ref: func(v []*tensor.Tensor) *tensor.Tensor { return refAdaptiveAvgPool2d(v[0], 3, 2) }},
	{name: "adaptiveavgpool/to_1x1", inputs: [][]int{{1, 4, 5, 3}},
		fn:  func(tp *Tape, v []*Var) *Var { return tp.AdaptiveAvgPool2d(v[0], 1, 1) },
		ref: func(v []*tensor.Tensor) *tensor.Tensor { return refAdaptiveAvgPool2d(v[0], 1, 1) }},
	{name: "adaptiveavgpool/3x2_to_5x4", inputs: [][]int{{1, 2, 3, 2}},
		fn:  func(tp *Tape, v []*Var) *Var { return tp.AdaptiveAvgPool2d(v[0], 5, 4) },
		ref: func(v []*tensor.Tensor) *tensor.Tensor { return refAdaptiveAvgPool2d(v[0], 5, 4) }},
	{name: "globalavgpool/basic", inputs: [][]int{{2, 3, 5, 7}},
		fn:  func(tp *Tape, v []*Var) *Var { return tp.GlobalAvgPool(v[0]) },
		ref: func(v []*tensor.Tensor) *tensor.Tensor { return refGlobalAvgPool(v[0]) }},
	{name: "globalavgpool/1x1", inputs: [][]int{{1, 3, 1, 1}},
		fn:  func(tp *Tape, v []*Var) *Var { return tp.GlobalAvgPool(v[0]) },
		ref: func(v []*tensor.Tensor) *tensor.Tensor { return refGlobalAvgPool(v[0]) }},
}

// resizeRow is a Resize row on x [xs].
func resizeRow(name string, xs []int, oh, ow int, mode ResizeMode) opCase {
	return opCase{name: name, inputs: [][]int{xs},
		fn:  func(tp *Tape, v []*Var) *Var { return tp.Resize(v[0], oh, ow, mode) },
		ref: func(v []*tensor.Tensor) *tensor.Tensor { return refResize(v[0], oh, ow, mode) }}
}

var resizeCases = []opCase{
	resizeRow("resize/bilinear_up", []int{1, 2, 5, 4}, 7, 9, Bilinear),
	resizeRow("resize/bilinear_down", []int{2, 1, 8, 8}, 3, 5, Bilinear),
	resizeRow("resize/bilinear_mixed", []int{1, 2, 1, 6}, 3, 4, Bilinear),
	resizeRow("resize/bilinear_same", []int{1, 1, 3, 4}, 3, 4, Bilinear),
	resizeRow("resize/bicubic_up", []int{1, 2, 5, 4}, 7, 9, Bicubic),
	resizeRow("resize/bicubic_down", []int{1, 2, 8, 8}, 3, 5, Bicubic),
	resizeRow("resize/bicubic_mixed", []int{2, 1, 1, 6}, 3, 4, Bicubic),
	// A ViT position-embedding grid [1, D, gh, gw] grown from 3×3 to 5×5.
	resizeRow("resize/bicubic_posembed", []int{1, 6, 3, 3}, 5, 5, Bicubic),
}

func TestConv2dChannelMismatchPanics(t *testing.T) {
	defer func() {
		r := recover()
		msg := fmt.Sprint(r)
		if r == nil || !strings.Contains(msg, "Conv2d") || !strings.Contains(msg, "[1 3 8 8]") || !strings.Contains(msg, "[4 2 3 3]") {
			t.Fatalf("want a panic naming Conv2d and the shapes [1 3 8 8], [4 2 3 3]; got %v", r)
		}
	}()
	var tp *Tape
	tp.Conv2d(Const(tensor.New(1, 3, 8, 8)), Const(tensor.New(4, 2, 3, 3)), nil, Conv2dOpts{Pad: SymmetricPad(1)})
}

// TestConv2dMACsResNet50Stem counts the first conv of ResNet-50 on shape-only
// tensors: 64·112·112·3·7·7 MACs.
func TestConv2dMACsResNet50Stem(t *testing.T) {
	tp := NoGrad()
	y := tp.Conv2d(Const(tensor.Meta(1, 3, 224, 224)), Const(tensor.Meta(64, 3, 7, 7)), nil,
		Conv2dOpts{Stride: [2]int{2, 2}, Pad: SymmetricPad(3)})
	if !y.Value.IsMeta() || !tensor.SameShape(y.Shape(), []int{1, 64, 112, 112}) {
		t.Fatalf("output %v, want meta [1 64 112 112]", y.Value)
	}
	if got, want := tp.MACs(), int64(64*112*112*3*7*7); got != want || want != 118013952 {
		t.Fatalf("MACs %d, want %d (118013952)", got, want)
	}
}

func TestConvSamePad(t *testing.T) {
	for _, c := range []struct {
		in       [2]int
		k, s, d  int
		want     [4]int
		comments string
	}{
		{[2]int{224, 224}, 3, 2, 1, [4]int{0, 1, 0, 1}, "EfficientNet stem: the extra pixel goes bottom/right"},
		{[2]int{7, 8}, 3, 2, 1, [4]int{1, 1, 0, 1}, "odd and even sizes"},
		{[2]int{7, 5}, 4, 2, 1, [4]int{1, 2, 1, 2}, "even kernel on odd sizes"},
		{[2]int{9, 8}, 5, 2, 1, [4]int{2, 2, 1, 2}, "5x5 stride 2"},
		{[2]int{7, 7}, 3, 1, 1, [4]int{1, 1, 1, 1}, "stride 1 is symmetric for odd k"},
		{[2]int{6, 6}, 3, 1, 2, [4]int{2, 2, 2, 2}, "dilation 2"},
		{[2]int{5, 5}, 1, 2, 1, [4]int{0, 0, 0, 0}, "1x1 stride 2 needs none"},
		{[2]int{3, 3}, 2, 3, 1, [4]int{0, 0, 0, 0}, "never negative"},
	} {
		if got := SamePad(c.in[0], c.in[1], c.k, c.k, c.s, c.s, c.d, c.d); got != c.want {
			t.Errorf("%s: SamePad(%v, k=%d, s=%d, d=%d) = %v, want %v", c.comments, c.in, c.k, c.s, c.d, got, c.want)
		}
		// The padded output size is ceil(in/stride), as TensorFlow's.
		x := Const(tensor.Meta(1, 1, c.in[0], c.in[1]))
		w := Const(tensor.Meta(1, 1, c.k, c.k))
		y := NoGrad().Conv2d(x, w, nil, Conv2dOpts{Stride: [2]int{c.s, c.s}, Dilation: [2]int{c.d, c.d}, Pad: c.want})
		if want := []int{1, 1, (c.in[0] + c.s - 1) / c.s, (c.in[1] + c.s - 1) / c.s}; !tensor.SameShape(y.Shape(), want) {
			t.Errorf("%s: output %v, want %v", c.comments, y.Shape(), want)
		}
	}
}

// TestConv2dPathsAgree runs one 1×1 convolution through the depthwise path
// (groups 3), the GEMM path (a dense diagonal weight) and, padded, the
// im2col path.
func TestConv2dPathsAgree(t *testing.T) {
	rng := tensor.NewRand(7)
	x := tensor.Randn(rng, 1, 2, 3, 6, 5)
	w := tensor.Randn(rng, 1, 3, 1, 1, 1)
	diag := tensor.New(3, 3, 1, 1)
	for i := 0; i < 3; i++ {
		diag.Data[i*3+i] = w.Data[i]
	}
	pad := Conv2dOpts{Pad: [4]int{1, 0, 2, 1}}
	for _, c := range []struct {
		path string
		got  *Var
		want *tensor.Tensor
	}{
		{"depthwise", NoGrad().Conv2d(Const(x), Const(w), nil, Conv2dOpts{Groups: 3}), refConv2d(x, w, nil, Conv2dOpts{Groups: 3})},
		{"gemm", NoGrad().Conv2d(Const(x), Const(diag), nil, Conv2dOpts{}), refConv2d(x, w, nil, Conv2dOpts{Groups: 3})},
		{"im2col", NoGrad().Conv2d(Const(x), Const(diag), nil, pad), refConv2d(x, w, nil, Conv2dOpts{Groups: 3, Pad: pad.Pad})},
	} {
		if !tensor.SameShape(c.got.Shape(), c.want.Shape) {
			t.Fatalf("%s path: shape %v, want %v", c.path, c.got.Shape(), c.want.Shape)
		}
		if e := maxRelErr(c.got.Value.Data, c.want.Data); e > 1e-6 {
			t.Errorf("%s path: error %.3g against the reference", c.path, e)
		}
	}
}
