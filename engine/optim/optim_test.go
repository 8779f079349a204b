package optim

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
)

type golden struct {
	LR         float64
	P0, B0     []float32
	Grads      [][]float32
	Optimizers map[string][][]float32
	Schedules  map[string][]float64
	Metrics    []float64 `json:"plateau_metrics"`
	Clip       struct {
		Grads   [][]float32
		Max     float64
		Norm    float64
		Clipped [][]float32
	}
}

func loadGolden(t *testing.T) golden {
	var g golden
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// params returns a weight [2,3] (decayed) and a bias [3] (NoDecay) at the
// golden's initial values.
func params(g golden) []*nn.Param {
	b := nn.NewBuilder(tensor.NewRand(0), false)
	w := b.Param("w", nn.Zeros, 2, 3)
	bias := b.Param("b", nn.Zeros, 3)
	copy(w.Value.Data, g.P0)
	copy(bias.Value.Data, g.B0)
	return []*nn.Param{w, bias}
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	g := loadGolden(t)
	makers := map[string]func([]*nn.Param) Optimizer{
		"sgd":             func(p []*nn.Param) Optimizer { return NewSGD(p, 0, 0, false) },
		"sgd_momentum_wd": func(p []*nn.Param) Optimizer { return NewSGD(p, 0.9, 1e-2, false) },
		"sgd_nesterov":    func(p []*nn.Param) Optimizer { return NewSGD(p, 0.9, 1e-2, true) },
		"adam_l2":         func(p []*nn.Param) Optimizer { return NewAdam(p, 0.9, 0.999, 1e-8, 1e-2, false) },
		"adamw":           func(p []*nn.Param) Optimizer { return NewAdam(p, 0.9, 0.999, 1e-8, 0.05, true) },
	}
	for name, want := range g.Optimizers {
		mk, ok := makers[name]
		if !ok {
			t.Fatalf("golden optimiser %q not tested", name)
		}
		ps := params(g)
		opt := mk(ps)
		for step, grad := range g.Grads {
			ps[0].Grad = tensor.FromData(append([]float32(nil), grad[:6]...), 2, 3)
			ps[1].Grad = tensor.FromData(append([]float32(nil), grad[6:]...), 3)
			opt.Step(g.LR)
			got := append(append([]float32(nil), ps[0].Value.Data...), ps[1].Value.Data...)
			for i := range got {
				if d := math.Abs(float64(got[i] - want[step][i])); d > 2e-6*math.Max(1, math.Abs(float64(want[step][i]))) {
					t.Fatalf("%s step %d: param %d = %.8g, PyTorch %.8g", name, step+1, i, got[i], want[step][i])
				}
			}
		}
	}
}

// TestRMSPropTF checks TF-flavoured RMSProp against its formula in float64.
func TestRMSPropTF(t *testing.T) {
	g := loadGolden(t)
	ps := params(g)
	opt := NewRMSPropTF(ps, 0.9, 0.9, 1e-3, 1e-2)
	n := 9
	p := make([]float64, n)
	s := make([]float64, n)
	b := make([]float64, n)
	for i := 0; i < 6; i++ {
		p[i] = float64(g.P0[i])
	}
	for i := 0; i < 3; i++ {
		p[6+i] = float64(g.B0[i])
	}
	for i := range s {
		s[i] = 1
	}
	for _, grad := range g.Grads {
		ps[0].Grad = tensor.FromData(append([]float32(nil), grad[:6]...), 2, 3)
		ps[1].Grad = tensor.FromData(append([]float32(nil), grad[6:]...), 3)
		opt.Step(g.LR)
		for i := range p {
			gi := float64(grad[i])
			if i < 6 {
				gi += 1e-2 * p[i]
			}
			s[i] = 0.9*s[i] + 0.1*gi*gi
			b[i] = 0.9*b[i] + g.LR*gi/math.Sqrt(s[i]+1e-3)
			p[i] -= b[i]
		}
	}
	got := append(append([]float32(nil), ps[0].Value.Data...), ps[1].Value.Data...)
	for i := range p {
		if math.Abs(float64(got[i])-p[i]) > 1e-5 {
			t.Fatalf("param %d = %.7g, formula %.7g", i, got[i], p[i])
		}
	}
	if st := opt.State(); st[0].Name != "step" || st[0].Value.Data[0] != 6 || st[1].Name != "w.square_avg" {
		t.Fatalf("state %v %v", st[0].Name, st[1].Name)
	}
}

func TestSchedulesMatchPyTorch(t *testing.T) {
	g := loadGolden(t)
	check := func(name string, n int, lr func(e int) float64) {
		want := g.Schedules[name]
		for e := 0; e < n; e++ {
			if got := lr(e); math.Abs(got-want[e]) > 1e-9 {
				t.Errorf("%s epoch %d: %.10g, PyTorch %.10g", name, e, got, want[e])
			}
		}
	}
	check("cosine", 11, func(e int) float64 { return Cosine{Base: 0.5, Min: 0.01, Period: 10}.LR(float64(e)) })
	check("sgdr", 16, func(e int) float64 {
		return Cosine{Base: 0.5, Min: 0.01, Period: 3, Restarts: true, Mult: 2}.LR(float64(e))
	})
	check("step", 12, func(e int) float64 { return Step{Base: 0.5, Gamma: 0.5, Every: 3}.LR(float64(e)) })
	check("exponential", 12, func(e int) float64 { return Exponential{Base: 0.5, Gamma: 0.9}.LR(float64(e)) })
	p := NewPlateau(0.5, 0.5, 2, 0.01, false)
	check("plateau", 12, func(e int) float64 {
		lr := p.LR(0)
		p.Observe(g.Metrics[e])
		return lr
	})
}

func TestWarmupAndScaling(t *testing.T) {
	s := Warmup{Epochs: 5, Start: 1e-6, Then: Cosine{Base: 1e-3, Min: 1e-5, Period: 100}}
	if s.LR(0) != 1e-6 || math.Abs(s.LR(5)-Cosine{Base: 1e-3, Min: 1e-5, Period: 100}.LR(5)) > 1e-15 {
		t.Fatalf("warmup ends: %g, %g", s.LR(0), s.LR(5))
	}
	if mid := s.LR(2.5); math.Abs(mid-(1e-6+(s.Then.LR(5)-1e-6)/2)) > 1e-15 {
		t.Fatalf("warmup midpoint %g", mid)
	}
	if ScaleLR(5e-4, 1024) != 1e-3 {
		t.Fatal("DeiT's lr 5e-4 x 1024/512 is 1e-3")
	}
}

func TestClipGradNormMatchesPyTorch(t *testing.T) {
	g := loadGolden(t)
	b := nn.NewBuilder(tensor.NewRand(0), false)
	ps := []*nn.Param{b.Param("a", nn.Zeros, 4), b.Param("b", nn.Zeros, 2, 2)}
	for i, p := range ps {
		p.Grad = tensor.FromData(append([]float32(nil), g.Clip.Grads[i]...), p.Value.Shape...)
	}
	norm := ClipGradNorm(ps, g.Clip.Max)
	if math.Abs(norm-g.Clip.Norm) > 1e-5 {
		t.Fatalf("norm %g, PyTorch %g", norm, g.Clip.Norm)
	}
	for i, p := range ps {
		for j, v := range p.Grad.Data {
			if math.Abs(float64(v-g.Clip.Clipped[i][j])) > 1e-6 {
				t.Fatalf("clipped grad %d/%d = %g, PyTorch %g", i, j, v, g.Clip.Clipped[i][j])
			}
		}
	}
}

func TestEMA(t *testing.T) {
	b := nn.NewBuilder(tensor.NewRand(0), false)
	p := b.Param("w", nn.Ones, 2)
	e := NewEMA(0.9, []*nn.Param{p}, nil)
	p.Value.Data[0], p.Value.Data[1] = 2, 3
	e.Update() // 0.9·1 + 0.1·x
	e.Swap()
	if p.Value.Data[0] != 0.9+0.1*2 || p.Value.Data[1] != float32(0.9+0.1*3) {
		t.Fatalf("EMA values %v", p.Value.Data)
	}
	e.Swap()
	if p.Value.Data[0] != 2 {
		t.Fatal("Swap did not restore the weights")
	}
}
