package autograd

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// miniNet is a small conv + attention network touching every parallel
// kernel: im2col and 1x1 GEMM convs, depthwise conv, batch norm, pooling,
// linear, batched matmul, softmax, layer norm, GELU and a reduction.
func miniNet(tp *Tape, p map[string]*Var, x *Var) *Var {
	bn := NewBatchNormState(16)
	h := tp.Conv2d(x, p["conv1"], nil, Conv2dOpts{Stride: [2]int{2, 2}, Pad: SymmetricPad(1)})
	h = tp.ReLU(tp.BatchNorm(h, p["bn.g"], p["bn.b"], bn, BatchNormOpts{Train: true, Momentum: 0.1, Eps: 1e-5}))
	h = tp.Conv2d(h, p["dw"], nil, Conv2dOpts{Pad: SymmetricPad(1), Groups: 16})
	h = tp.Conv2d(h, p["pw"], p["pw.b"], Conv2dOpts{})
	h = tp.MaxPool2d(h, [2]int{2, 2}, PoolOpts{})       // [4,16,4,4]
	tok := tp.Transpose(tp.Reshape(h, 4, 16, 16), 1, 2) // [4,16 tokens,16]
	tok = tp.LayerNorm(tok, p["ln.g"], p["ln.b"], 1e-6)
	qkv := tp.Split(tp.Linear(tok, p["qkv"], nil), -1, 16, 16, 16)
	att := tp.Softmax(tp.Scale(tp.MatMul(qkv[0], tp.Transpose(qkv[1], 1, 2)), 0.25), -1)
	y := tp.GELU(tp.MatMul(att, qkv[2]))
	return tp.Mean(tp.Mul(y, y), nil, false)
}

func TestBitIdenticalAcrossGOMAXPROCS(t *testing.T) {
	rng := tensor.NewRand(5)
	shapes := map[string][]int{
		"conv1": {16, 3, 3, 3}, "bn.g": {16}, "bn.b": {16}, "dw": {16, 1, 3, 3},
		"pw": {16, 16, 1, 1}, "pw.b": {16}, "ln.g": {16}, "ln.b": {16}, "qkv": {48, 16},
	}
	names := []string{"conv1", "bn.g", "bn.b", "dw", "pw", "pw.b", "ln.g", "ln.b", "qkv"}
	init := map[string]*tensor.Tensor{}
	for _, n := range names {
		init[n] = tensor.Randn(rng, 0.5, shapes[n]...)
	}
	x := tensor.Randn(rng, 1, 4, 3, 16, 16)
	run := func(procs int) []*tensor.Tensor {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		p := map[string]*Var{}
		for _, n := range names {
			p[n] = Param(init[n].Clone())
		}
		xv := Param(x.Clone())
		tp := NewTape()
		loss := miniNet(tp, p, xv)
		tp.Backward(loss)
		out := []*tensor.Tensor{loss.Value, xv.Grad}
		for _, n := range names {
			out = append(out, p[n].Grad)
		}
		return out
	}
	want := run(1)
	for _, procs := range []int{2, 3, 8} {
		got := run(procs)
		for i := range want {
			if !tensor.BitEqual(got[i], want[i]) {
				name := "loss"
				if i == 1 {
					name = "input grad"
				} else if i > 1 {
					name = fmt.Sprintf("grad of %s", names[i-2])
				}
				t.Fatalf("GOMAXPROCS=%d: %s differs from GOMAXPROCS=1", procs, name)
			}
		}
	}
}

// TestTapeResetRecyclesBuffers runs miniNet's step three times on one tape
// (Reset between steps) and checks that the results equal a fresh tape's
// bit for bit, and that the third step allocates a small fraction of the
// first step's memory.
func TestTapeResetRecyclesBuffers(t *testing.T) {
	rng := tensor.NewRand(9)
	shapes := map[string][]int{
		"conv1": {16, 3, 3, 3}, "bn.g": {16}, "bn.b": {16}, "dw": {16, 1, 3, 3},
		"pw": {16, 16, 1, 1}, "pw.b": {16}, "ln.g": {16}, "ln.b": {16}, "qkv": {48, 16},
	}
	p := map[string]*Var{}
	for n, s := range shapes {
		p[n] = Param(tensor.Randn(rng, 0.5, s...))
	}
	x := Param(tensor.Randn(rng, 1, 4, 3, 16, 16))
	step := func(tp *Tape) (float32, *tensor.Tensor) {
		for _, v := range p {
			v.ZeroGrad()
		}
		x.ZeroGrad()
		l := miniNet(tp, p, x)
		tp.Backward(l)
		return l.Value.Data[0], x.Grad.Clone()
	}
	wantLoss, wantGrad := step(NewTape())
	tp := NewTape()
	var allocs [3]uint64
	for i := range allocs {
		tp.Reset()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		loss, grad := step(tp)
		runtime.ReadMemStats(&after)
		allocs[i] = after.TotalAlloc - before.TotalAlloc
		if loss != wantLoss || !tensor.BitEqual(grad, wantGrad) {
			t.Fatalf("step %d on a reused tape differs from a fresh tape", i)
		}
	}
	if allocs[2]*5 > allocs[0] {
		t.Fatalf("steady-state step allocated %d bytes, the first %d: the arena is not recycling", allocs[2], allocs[0])
	}
	t.Logf("bytes allocated per step: %v", allocs)
}
