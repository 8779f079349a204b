package loss

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// TestAgainstPyTorch compares each loss and its gradient with respect to the
// logits with PyTorch's (testdata/gen_golden.py).
func TestAgainstPyTorch(t *testing.T) {
	var g struct {
		N, K                  int
		Logits, Teacher, Soft []float32
		Labels                []int
		Cases                 []struct {
			Name string
			Loss float64
			Grad []float32
		}
	}
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	teacher := tensor.FromData(g.Teacher, g.N, g.K)
	soft := tensor.FromData(g.Soft, g.N, g.K)
	smooth := func(eps float32) *tensor.Tensor {
		tgt := tensor.New(g.N, g.K)
		for i, y := range g.Labels {
			for j := 0; j < g.K; j++ {
				tgt.Data[i*g.K+j] = eps / float32(g.K)
			}
			tgt.Data[i*g.K+y] += 1 - eps
		}
		return tgt
	}
	losses := map[string]func(tp *autograd.Tape, z *autograd.Var) *autograd.Var{
		"ce":           func(tp *autograd.Tape, z *autograd.Var) *autograd.Var { return CrossEntropy(tp, z, g.Labels, 0) },
		"ce_smooth0.1": func(tp *autograd.Tape, z *autograd.Var) *autograd.Var { return CrossEntropy(tp, z, g.Labels, 0.1) },
		"soft_target":  func(tp *autograd.Tape, z *autograd.Var) *autograd.Var { return SoftTargetCrossEntropy(tp, z, soft) },
		"kl_T3":        func(tp *autograd.Tape, z *autograd.Var) *autograd.Var { return KLDistillation(tp, z, teacher, 3) },
		"hard": func(tp *autograd.Tape, z *autograd.Var) *autograd.Var {
			return DeiT(tp, z, nil, smooth(0), teacher, DistillConfig{Mode: HardDistill})
		},
		"soft_deit": func(tp *autograd.Tape, z *autograd.Var) *autograd.Var {
			return DeiT(tp, z, nil, smooth(0), teacher, DistillConfig{Mode: SoftDistill, Lambda: 0.1, Tau: 3})
		},
	}
	for _, c := range g.Cases {
		fn, ok := losses[c.Name]
		if !ok {
			t.Fatalf("golden case %q has no loss here", c.Name)
		}
		z := autograd.Param(tensor.FromData(append([]float32(nil), g.Logits...), g.N, g.K))
		tp := autograd.NewTape()
		l := fn(tp, z)
		tp.Backward(l)
		if d := math.Abs(float64(l.Value.Data[0]) - c.Loss); d > 1e-5*math.Max(1, math.Abs(c.Loss)) {
			t.Errorf("%s: loss %.7g, PyTorch %.7g", c.Name, l.Value.Data[0], c.Loss)
		}
		for i, w := range c.Grad {
			if d := math.Abs(float64(z.Grad.Data[i] - w)); d > 1e-6 {
				t.Errorf("%s: dlogits[%d] = %.7g, PyTorch %.7g", c.Name, i, z.Grad.Data[i], w)
				break
			}
		}
		delete(losses, c.Name)
	}
	if len(losses) != 0 {
		t.Fatalf("losses without a PyTorch golden: %v", losses)
	}
}

// TestDistilledHeadCarriesTheDistillationTerm checks that with a
// distillation head, the base term sees only the class head and the
// distillation term only the distillation head.
func TestDistilledHeadCarriesTheDistillationTerm(t *testing.T) {
	rng := tensor.NewRand(1)
	cls := autograd.Param(tensor.Randn(rng, 1, 3, 4))
	dist := autograd.Param(tensor.Randn(rng, 1, 3, 4))
	teacher := tensor.Randn(rng, 1, 3, 4)
	target := tensor.New(3, 4)
	for i := 0; i < 3; i++ {
		target.Data[i*4+i] = 1
	}
	tp := autograd.NewTape()
	l := DeiT(tp, cls, dist, target, teacher, DistillConfig{Mode: HardDistill})
	tp.Backward(l)
	want := autograd.NewTape()
	cls2, dist2 := autograd.Param(cls.Value.Clone()), autograd.Param(dist.Value.Clone())
	ref := want.Add(want.Scale(SoftTargetCrossEntropy(want, cls2, target), 0.5), want.Scale(CrossEntropy(want, dist2, Argmax(teacher), 0), 0.5))
	want.Backward(ref)
	if l.Value.Data[0] != ref.Value.Data[0] {
		t.Fatalf("loss %v, want %v", l.Value.Data[0], ref.Value.Data[0])
	}
	if !tensor.BitEqual(cls.Grad, cls2.Grad) || !tensor.BitEqual(dist.Grad, dist2.Grad) {
		t.Fatal("gradients reached the wrong head")
	}
}

func TestBadLabelsPanicNamingTheSample(t *testing.T) {
	defer func() {
		r, _ := recover().(string)
		if !strings.Contains(r, "label 9 of sample 1") {
			t.Fatalf("panic %q", r)
		}
	}()
	CrossEntropy(nil, autograd.Const(tensor.New(2, 3)), []int{0, 9}, 0)
}
