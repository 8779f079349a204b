package autograd

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// normExpectPanic runs fn and fails unless it panics with a message
// containing want.
func normExpectPanic(t *testing.T, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one containing %q", want)
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want one containing %q", msg, want)
		}
	}()
	fn()
}

// TestBatchNormRunningGolden trains a BatchNorm for two steps and checks
// the outputs and the running statistics after each step, then an eval pass
// with them, against torch.nn.BatchNorm (batchnorm_running.json, written by
// gen_norm.py).
func TestBatchNormRunningGolden(t *testing.T) {
	b, err := os.ReadFile("../../testdata/golden/batchnorm_running.json")
	if err != nil {
		t.Fatalf("%v (run /usr/bin/python3 testdata/golden/gen_norm.py)", err)
	}
	var doc struct {
		Running []struct {
			Name     string       `json:"name"`
			Momentum float32      `json:"momentum"`
			Eps      float32      `json:"eps"`
			Gamma    goldenTensor `json:"gamma"`
			Beta     goldenTensor `json:"beta"`
			InitMean goldenTensor `json:"init_mean"`
			InitVar  goldenTensor `json:"init_var"`
			Steps    []struct {
				X    goldenTensor `json:"x"`
				Out  goldenTensor `json:"out"`
				Mean goldenTensor `json:"mean"`
				Var  goldenTensor `json:"var"`
			} `json:"steps"`
			Eval struct {
				X   goldenTensor `json:"x"`
				Out goldenTensor `json:"out"`
			} `json:"eval"`
		} `json:"running"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Running) == 0 {
		t.Fatal("batchnorm_running.json holds no runs")
	}
	const tol = 1e-5
	for _, r := range doc.Running {
		t.Run(r.Name, func(t *testing.T) {
			if len(r.Steps) != 2 {
				t.Fatalf("%d steps, want 2", len(r.Steps))
			}
			st := &BatchNormState{Mean: r.InitMean.tensor(), Var: r.InitVar.tensor()}
			gamma, beta := Const(r.Gamma.tensor()), Const(r.Beta.tensor())
			o := BatchNormOpts{Train: true, Momentum: r.Momentum, Eps: r.Eps}
			for i, s := range r.Steps {
				x := s.X.tensor()
				wantMean, wantVar := refBatchNormRunning(x, st, r.Momentum)
				out := (*Tape)(nil).BatchNorm(Const(x), gamma, beta, st, o)
				if e := maxRelErr(out.Value.Data, s.Out.Data); e > tol {
					t.Errorf("step %d: output error %.3g against PyTorch", i+1, e)
				}
				if e := maxRelErr(st.Mean.Data, s.Mean.Data); e > tol {
					t.Errorf("step %d: running mean %v, PyTorch %v", i+1, st.Mean.Data, s.Mean.Data)
				}
				if e := maxRelErr(st.Var.Data, s.Var.Data); e > tol {
					t.Errorf("step %d: running var %v, PyTorch %v", i+1, st.Var.Data, s.Var.Data)
				}
				if e := maxRelErr(st.Mean.Data, wantMean); e > tol {
					t.Errorf("step %d: running mean %v, reference %v", i+1, st.Mean.Data, wantMean)
				}
				if e := maxRelErr(st.Var.Data, wantVar); e > tol {
					t.Errorf("step %d: running var %v, reference %v", i+1, st.Var.Data, wantVar)
				}
			}
			o.Train = false
			out := (*Tape)(nil).BatchNorm(Const(r.Eval.X.tensor()), gamma, beta, st, o)
			if e := maxRelErr(out.Value.Data, r.Eval.Out.Data); e > tol {
				t.Errorf("eval output error %.3g against PyTorch", e)
			}
		})
	}
}

// TestBatchNormEvalUsesRunningStats checks that eval mode normalises with
// the running statistics, leaves them alone, and treats samples
// independently; and that train mode does not.
func TestBatchNormEvalUsesRunningStats(t *testing.T) {
	rng := tensor.NewRand(5)
	x := tensor.Randn(rng, 2, 4, 3, 5)
	gamma, beta := Const(tensor.Randn(rng, 1, 3)), Const(tensor.Randn(rng, 1, 3))
	st := normEvalState(3)
	before := &BatchNormState{Mean: st.Mean.Clone(), Var: st.Var.Clone()}
	eval := BatchNormOpts{Momentum: 0.1, Eps: 1e-5}

	y := (*Tape)(nil).BatchNorm(Const(x), gamma, beta, st, eval).Value
	if !tensor.BitEqual(st.Mean, before.Mean) || !tensor.BitEqual(st.Var, before.Var) {
		t.Fatalf("eval changed the running statistics: %v %v", st.Mean, st.Var)
	}
	want := refBatchNorm(x, gamma.Value, beta.Value, st, eval.Eps)
	if e := maxRelErr(y.Data, want.Data); e > 1e-5 {
		t.Fatalf("eval output error %.3g against the reference with running statistics", e)
	}
	batch := refBatchNorm(x, gamma.Value, beta.Value, nil, eval.Eps)
	if e := maxRelErr(y.Data, batch.Data); e < 1e-2 {
		t.Fatalf("eval output is within %.3g of batch-statistics normalisation", e)
	}

	// Sample 2 alone gives bit-identical outputs to sample 2 in the batch.
	per := 3 * 5
	one := tensor.FromData(append([]float32(nil), x.Data[2*per:3*per]...), 1, 3, 5)
	y1 := (*Tape)(nil).BatchNorm(Const(one), gamma, beta, st, eval).Value
	if !tensor.BitEqual(y1, tensor.FromData(y.Data[2*per:3*per], 1, 3, 5)) {
		t.Fatal("eval output of a sample depends on the rest of the batch")
	}

	// Training on the same state uses batch statistics and moves the state.
	train := eval
	train.Train = true
	yt := (*Tape)(nil).BatchNorm(Const(x), gamma, beta, st, train).Value
	if e := maxRelErr(yt.Data, batch.Data); e > 1e-5 {
		t.Fatalf("train output error %.3g against batch-statistics reference", e)
	}
	if tensor.BitEqual(st.Mean, before.Mean) || tensor.BitEqual(st.Var, before.Var) {
		t.Fatal("training did not update the running statistics")
	}
	// A nil state in training normalises the same way and tracks nothing.
	yn := (*Tape)(nil).BatchNorm(Const(x), gamma, beta, nil, train).Value
	if !tensor.BitEqual(yn, yt) {
		t.Fatal("training with a nil state differs from training with one")
	}
}

// TestBatchNormEvalGradient checks that in eval mode the input gradient is
// the affine map's, g·γ/sqrt(running var + eps).
func TestBatchNormEvalGradient(t *testing.T) {
	rng := tensor.NewRand(8)
	x := Param(tensor.Randn(rng, 1, 3, 2, 4))
	gamma := Param(tensor.Randn(rng, 1, 2))
	st := normEvalState(2)
	tp := NewTape()
	out := tp.BatchNorm(x, gamma, nil, st, BatchNormOpts{Eps: 1e-3})
	g := tensor.Randn(rng, 1, 3, 2, 4)
	tp.BackwardFrom(out, g)
	for i, gv := range g.Data {
		ch := (i / 4) % 2
		want := float64(gv) * float64(gamma.Value.Data[ch]) / math.Sqrt(float64(st.Var.Data[ch])+1e-3)
		if d := math.Abs(float64(x.Grad.Data[i]) - want); d > 1e-6*(1+math.Abs(want)) {
			t.Fatalf("dx[%d] = %v, want %v", i, x.Grad.Data[i], want)
		}
	}
}

func TestBatchNormMetaTouchesNoStatistics(t *testing.T) {
	st := normEvalState(3)
	before := &BatchNormState{Mean: st.Mean.Clone(), Var: st.Var.Clone()}
	for _, train := range []bool{true, false} {
		out := NoGrad().BatchNorm(Param(tensor.Meta(4, 3, 2)), Param(tensor.Meta(3)), nil, st,
			BatchNormOpts{Train: train, Momentum: 0.5, Eps: 1e-5})
		if !out.Value.IsMeta() || !tensor.SameShape(out.Shape(), []int{4, 3, 2}) {
			t.Fatalf("meta run gave %v", out.Value)
		}
	}
	if !tensor.BitEqual(st.Mean, before.Mean) || !tensor.BitEqual(st.Var, before.Var) {
		t.Fatal("a shape-only run changed the running statistics")
	}
}

func TestNormPanics(t *testing.T) {
	x := Const(tensor.New(2, 3, 4))
	opts := BatchNormOpts{Momentum: 0.1, Eps: 1e-5}
	normExpectPanic(t, "nil *BatchNormState", func() { (*Tape)(nil).BatchNorm(x, nil, nil, nil, opts) })
	normExpectPanic(t, "nil *BatchNormState", func() {
		NoGrad().BatchNorm(Const(tensor.Meta(2, 3)), nil, nil, nil, opts)
	})
	normExpectPanic(t, "BatchNorm: gamma/beta [4]", func() {
		(*Tape)(nil).BatchNorm(x, Const(tensor.New(4)), nil, NewBatchNormState(3), opts)
	})
	normExpectPanic(t, "running statistics must be [3]", func() {
		(*Tape)(nil).BatchNorm(x, nil, nil, NewBatchNormState(4), opts)
	})
	normExpectPanic(t, "at least 2 dimensions", func() {
		(*Tape)(nil).BatchNorm(Const(tensor.New(3)), nil, nil, NewBatchNormState(3), opts)
	})
	normExpectPanic(t, "more than one value per channel", func() {
		(*Tape)(nil).BatchNorm(Const(tensor.New(1, 3)), nil, nil, NewBatchNormState(3), BatchNormOpts{Train: true, Momentum: 0.1})
	})
	normExpectPanic(t, "momentum", func() {
		(*Tape)(nil).BatchNorm(x, nil, nil, NewBatchNormState(3), BatchNormOpts{Train: true, Momentum: 1.5})
	})
	normExpectPanic(t, "LayerNorm: gamma/beta [3]", func() {
		(*Tape)(nil).LayerNorm(x, Const(tensor.New(3)), nil, 1e-5)
	})
	normExpectPanic(t, "Affine: alpha/beta [3]", func() {
		(*Tape)(nil).Affine(x, Const(tensor.New(3)), Const(tensor.New(4)))
	})
	normExpectPanic(t, "Affine: needs", func() { (*Tape)(nil).Affine(x, Const(tensor.New(4)), nil) })
	for _, p := range []float32{-0.1, 1, float32(math.NaN())} {
		normExpectPanic(t, "Dropout: p = ", func() { (*Tape)(nil).Dropout(x, p, tensor.NewRand(1)) })
		normExpectPanic(t, "DropPath: p = ", func() { (*Tape)(nil).DropPath(x, p, tensor.NewRand(1)) })
	}
	normExpectPanic(t, "nil *rand.Rand", func() { (*Tape)(nil).Dropout(x, 0.5, nil) })
}

// normBinomialOK reports whether kept out of n is within 4 standard
// deviations of a Binomial(n, 1-p).
func normBinomialOK(kept, n int, p float64) (frac, sd float64, ok bool) {
	frac = float64(kept) / float64(n)
	sd = math.Sqrt(p * (1 - p) / float64(n))
	return frac, sd, math.Abs(frac-(1-p)) <= 4*sd
}

// TestDropoutStatistics checks over 100k elements that the kept fraction is
// 1-p within 4 standard deviations, kept values are exactly x/(1-p), dropped
// ones 0, and the gradient is the same mask and scale.
func TestDropoutStatistics(t *testing.T) {
	const n = 100_000
	x := tensor.Uniform(tensor.NewRand(1), 0.5, 1.5, n)
	g := tensor.Uniform(tensor.NewRand(2), 0.5, 1.5, n)
	for _, p := range []float32{0.1, 0.5, 0.9} {
		xv := Param(x.Clone())
		tp := NewTape()
		y := tp.Dropout(xv, p, tensor.NewRand(3))
		tp.BackwardFrom(y, g)
		kept := 0
		for i, v := range y.Value.Data {
			gx := xv.Grad.Data[i]
			switch v {
			case 0:
				if gx != 0 {
					t.Fatalf("p=%v: element %d dropped but gradient %v", p, i, gx)
				}
			case x.Data[i] / (1 - p):
				kept++
				if gx != g.Data[i]/(1-p) {
					t.Fatalf("p=%v: element %d gradient %v, want %v", p, i, gx, g.Data[i]/(1-p))
				}
			default:
				t.Fatalf("p=%v: element %d = %v, want 0 or %v", p, i, v, x.Data[i]/(1-p))
			}
		}
		if frac, sd, ok := normBinomialOK(kept, n, float64(p)); !ok {
			t.Fatalf("p=%v: kept fraction %.4f, want %.4f ± 4·%.4f", p, frac, 1-p, sd)
		}
	}
}

// TestDropPathStatistics checks that DropPath zeroes or scales whole
// samples, with the kept fraction of 20k samples within 4 standard
// deviations of 1-p.
func TestDropPathStatistics(t *testing.T) {
	const n, per = 20_000, 6
	x := tensor.Uniform(tensor.NewRand(1), 0.5, 1.5, n, 2, 3)
	g := tensor.Uniform(tensor.NewRand(2), 0.5, 1.5, n, 2, 3)
	for _, p := range []float32{0.05, 0.3, 0.8} {
		xv := Param(x.Clone())
		tp := NewTape()
		y := tp.DropPath(xv, p, tensor.NewRand(4))
		tp.BackwardFrom(y, g)
		kept := 0
		for s := 0; s < n; s++ {
			on := y.Value.Data[s*per] != 0
			if on {
				kept++
			}
			for j := s * per; j < (s+1)*per; j++ {
				wantY, wantG := float32(0), float32(0)
				if on {
					wantY, wantG = x.Data[j]/(1-p), g.Data[j]/(1-p)
				}
				if y.Value.Data[j] != wantY || xv.Grad.Data[j] != wantG {
					t.Fatalf("p=%v sample %d element %d: y %v grad %v, want %v %v (whole sample kept=%v)",
						p, s, j, y.Value.Data[j], xv.Grad.Data[j], wantY, wantG, on)
				}
			}
		}
		if frac, sd, ok := normBinomialOK(kept, n, float64(p)); !ok {
			t.Fatalf("p=%v: kept fraction %.4f, want %.4f ± 4·%.4f", p, frac, 1-p, sd)
		}
	}
}

// TestDropoutSeeds checks that a seed fixes the mask and different seeds
// give different masks; and that p == 0 returns x itself without drawing.
func TestDropoutSeeds(t *testing.T) {
	x := Const(tensor.Uniform(tensor.NewRand(1), 0.5, 1.5, 64, 8))
	ops := map[string]func(seed uint64) *tensor.Tensor{
		"Dropout":  func(seed uint64) *tensor.Tensor { return (*Tape)(nil).Dropout(x, 0.5, tensor.NewRand(seed)).Value },
		"DropPath": func(seed uint64) *tensor.Tensor { return (*Tape)(nil).DropPath(x, 0.5, tensor.NewRand(seed)).Value },
	}
	for name, op := range ops {
		if !tensor.BitEqual(op(10), op(10)) {
			t.Errorf("%s: the same seed gave different masks", name)
		}
		if tensor.BitEqual(op(10), op(11)) {
			t.Errorf("%s: seeds 10 and 11 gave the same mask", name)
		}
	}
	rng := tensor.NewRand(7)
	if y := (*Tape)(nil).Dropout(x, 0, rng); y != x {
		t.Error("Dropout with p=0 did not return x itself")
	}
	if y := (*Tape)(nil).DropPath(x, 0, rng); y != x {
		t.Error("DropPath with p=0 did not return x itself")
	}
	if rng.Uint64() != tensor.NewRand(7).Uint64() {
		t.Error("p=0 drew from the generator")
	}
}

// TestNormStochasticRowsMixed checks that each dropout row of the op table
// keeps some elements and drops others, so that its finite-difference check
// sees both branches.
func TestNormStochasticRowsMixed(t *testing.T) {
	for _, c := range stochasticCases {
		if c.noGolden == "" {
			continue
		}
		in := inputsFor(c)
		y := c.fn(nil, params(in)).Value
		zero := 0
		for _, v := range y.Data {
			if v == 0 {
				zero++
			}
		}
		if zero == 0 || zero == len(y.Data) {
			t.Errorf("%s: %d of %d elements dropped; pick a seed that mixes", c.name, zero, len(y.Data))
		}
	}
}

// BenchmarkNorm times a forward and backward pass of each norm op on
// typical training shapes.
func BenchmarkNorm(b *testing.B) {
	rng := tensor.NewRand(1)
	bn := func(shape ...int) func(tp *Tape, x *Var) *Var {
		c := shape[1]
		gamma, beta := Param(tensor.Full(1, c)), Param(tensor.New(c))
		st := NewBatchNormState(c)
		return func(tp *Tape, x *Var) *Var {
			return tp.BatchNorm(x, gamma, beta, st, BatchNormOpts{Train: true, Momentum: 0.1, Eps: 1e-5})
		}
	}
	ln := func(d int) func(tp *Tape, x *Var) *Var {
		gamma, beta := Param(tensor.Full(1, d)), Param(tensor.New(d))
		return func(tp *Tape, x *Var) *Var { return tp.LayerNorm(x, gamma, beta, 1e-6) }
	}
	drop := func(tp *Tape, x *Var) *Var { return tp.Dropout(x, 0.1, rng) }
	for _, bc := range []struct {
		name  string
		shape []int
		op    func(tp *Tape, x *Var) *Var
	}{
		{"op=batchnorm_train/shape=32x64x16x16", []int{32, 64, 16, 16}, bn(32, 64, 16, 16)},
		{"op=batchnorm_train/shape=256x512", []int{256, 512}, bn(256, 512)},
		{"op=layernorm/shape=8x197x192", []int{8, 197, 192}, ln(192)},
		{"op=dropout/shape=8x197x192", []int{8, 197, 192}, drop},
	} {
		b.Run(bc.name, func(b *testing.B) {
			x := Param(tensor.Randn(rng, 1, bc.shape...))
			g := tensor.Randn(rng, 1, bc.shape...)
			b.SetBytes(int64(4 * g.Numel()))
			for b.Loop() {
				tp := NewTape()
				tp.BackwardFrom(bc.op(tp, x), g)
			}
		})
	}
}
