package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/tensor"
)

func TestNamesAndCounts(t *testing.T) {
	b := NewBuilder(tensor.NewRand(1), false)
	NewLinear(b.Sub("head"), 10, 5, true, nil)
	NewAttention(b.Subf("blocks.%d.attn", 0), 192, 3, true, TruncNormal(0.02))
	NewMlp(b.Sub("blocks.0.mlp"), 192, 768, 192, GELU, 0, TruncNormal(0.02))
	NewSqueezeExcite(b.Sub("se"), 96, 24, ReLU, HardSigmoid)
	NewBatchNorm(b.Sub("bn1"), 16, 0.1, 1e-5)
	want := []string{
		"blocks.0.attn.proj.bias", "blocks.0.attn.proj.weight", "blocks.0.attn.qkv.bias", "blocks.0.attn.qkv.weight",
		"blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc2.bias", "blocks.0.mlp.fc2.weight",
		"bn1.bias", "bn1.weight", "head.bias", "head.weight",
		"se.conv_expand.bias", "se.conv_expand.weight", "se.conv_reduce.bias", "se.conv_reduce.weight",
	}
	if diff := cmp.Diff(want, SortedNames(b.Params())); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	ps := b.Params()
	for prefix, n := range map[string]int64{
		"head":            10*5 + 5,
		"blocks.0.attn":   4*192*192 + 4*192, // timm ViT-Ti attention
		"blocks.0.mlp":    2*192*768 + 768 + 192,
		"se":              2*96*24 + 24 + 96,
		"bn1":             32,
		"blocks.0.attn.q": 0, // a prefix must end at a dot
	} {
		if got := CountParams(ps, prefix); got != n {
			t.Errorf("CountParams(%q) = %d, want %d", prefix, got, n)
		}
	}
	if bufs := b.Buffers(); len(bufs) != 2 || bufs[0].Name != "bn1.running_mean" || bufs[1].Name != "bn1.running_var" {
		t.Errorf("buffers %v", bufs)
	}
	for _, p := range ps {
		if p.NoDecay != (p.Value.Dims() == 1) {
			t.Errorf("%s: NoDecay=%v for shape %v", p.Name, p.NoDecay, p.Value.Shape)
		}
	}
}

func TestDuplicateNamePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "fc.weight") {
			t.Fatalf("recover() = %v", r)
		}
	}()
	b := NewBuilder(nil, true)
	NewLinear(b.Sub("fc"), 2, 2, false, nil)
	NewLinear(b.Sub("fc"), 2, 2, false, nil)
}

func TestMetaBuildAllocatesNoData(t *testing.T) {
	b := NewBuilder(nil, true)
	l := NewLinear(b.Sub("fc"), 4096, 4096, true, nil)
	if !l.Weight.Value.IsMeta() {
		t.Fatal("meta builder allocated a weight")
	}
	tp := autograd.NoGrad()
	y := l.Forward(&Ctx{Tape: tp}, autograd.Const(tensor.Meta(2, 4096)))
	if !y.Value.IsMeta() || tp.MACs() != 2*4096*4096 {
		t.Fatalf("meta forward: %v, %d MACs", y.Value, tp.MACs())
	}
}

func TestConvSamePadding(t *testing.T) {
	b := NewBuilder(tensor.NewRand(2), false)
	for _, c := range []struct{ in, k, s, want int }{{7, 3, 2, 4}, {8, 3, 2, 4}, {224, 3, 2, 112}, {15, 5, 2, 8}, {9, 1, 1, 9}} {
		conv := NewConv2d(b.Subf("c%d_%d_%d", c.in, c.k, c.s), 3, 4, c.k, ConvOpts{Stride: c.s, Padding: PadSame})
		y := conv.Forward(&Ctx{}, autograd.Const(tensor.Meta(1, 3, c.in, c.in)))
		if got := y.Shape(); got[2] != c.want || got[3] != c.want {
			t.Errorf("in %d k %d s %d: output %v, want %dx%d", c.in, c.k, c.s, got, c.want, c.want)
		}
	}
}

// TestAttentionMatchesManual checks the block's head split against a
// head-by-head computation from the qkv projection.
func TestAttentionMatchesManual(t *testing.T) {
	rng := tensor.NewRand(3)
	b := NewBuilder(rng, false)
	att := NewAttention(b, 8, 2, true, TruncNormal(0.5))
	x := tensor.Randn(rng, 1, 2, 5, 8)
	c := &Ctx{}
	got := att.Forward(c, autograd.Const(x), nil).Value
	qkv := att.QKV.Forward(c, autograd.Const(x)).Value // [2, 5, 24]: q | k | v, heads inside
	o := tensor.New(2, 5, 8)
	for bi := 0; bi < 2; bi++ {
		for h := 0; h < 2; h++ {
			at := func(tok, part, ch int) float32 { return qkv.Data[(bi*5+tok)*24+part*8+h*4+ch] }
			for i := 0; i < 5; i++ {
				s := make([]float64, 5)
				var z float64
				for j := range s {
					for ch := 0; ch < 4; ch++ {
						s[j] += float64(at(i, 0, ch)) * float64(at(j, 1, ch))
					}
					s[j] = math.Exp(s[j] * float64(att.Scale))
					z += s[j]
				}
				for ch := 0; ch < 4; ch++ {
					var acc float64
					for j := range s {
						acc += s[j] / z * float64(at(j, 2, ch))
					}
					o.Data[(bi*5+i)*8+h*4+ch] = float32(acc)
				}
			}
		}
	}
	want := att.Proj.Forward(c, autograd.Const(o)).Value
	for i := range want.Data {
		if d := got.Data[i] - want.Data[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("element %d: %v, want %v", i, got.Data[i], want.Data[i])
		}
	}
}

func TestDropoutOnlyInTraining(t *testing.T) {
	x := autograd.Const(tensor.Full(1, 4, 8))
	if y := (Dropout{Rate: 0.5}).Forward(&Ctx{}, x); y != x {
		t.Fatal("dropout active in evaluation")
	}
	if y := (DropPath{Rate: 0.5}).Forward(&Ctx{Train: true, RNG: tensor.NewRand(1)}, x); y == x {
		t.Fatal("drop-path inactive in training")
	}
}
