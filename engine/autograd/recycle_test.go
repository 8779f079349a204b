package autograd

import (
	"math"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// TestOpsRecycledTape runs every op of the table twice on one tape, with a
// Reset between, while the arena fills every uncleared buffer it hands out
// with NaNs: the output must equal the heap (nil-tape) forward bit for bit
// both times, and the second step's gradients must equal the first's. An
// op that asks for an uncleared output or scratch buffer and leaves part
// of it unwritten, or reads it before writing, fails here.
func TestOpsRecycledTape(t *testing.T) {
	arenaPoison = true
	defer func() { arenaPoison = false }()
	for _, c := range opTable() {
		t.Run(c.name, func(t *testing.T) {
			in := inputsFor(c)
			want := c.fn(nil, params(in)).Value.Data
			tp := NewTape()
			var grads [][]float32
			for step := 0; step < 2; step++ {
				tp.Reset()
				vs := params(in)
				out := c.fn(tp, vs)
				recycleSame(t, c.name, step, "output", out.Value.Data, want)
				tp.BackwardFrom(out, tensor.Randn(tensor.NewRand(99), 1, out.Value.Shape...))
				for i, v := range vs {
					if v.Grad == nil {
						continue
					}
					if step == 0 {
						grads = append(grads, append([]float32(nil), v.Grad.Data...))
						continue
					}
					recycleSame(t, c.name, step, "gradient of input "+string(rune('0'+i)), v.Grad.Data, grads[0])
					grads = grads[1:]
				}
			}
		})
	}
}

func recycleSame(t *testing.T, name string, step int, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%s, step %d: %s element %d = %v, want %v", name, step, what, i, got[i], want[i])
		}
	}
}

// TestOpsFreshGradients runs every op of the table on inputs that are
// themselves outputs of an op on the tape (x·1), so that the op's backward
// is the first to write their gradients (gradFresh buffers, NaN-filled by
// the poisoned arena): the gradients that reach the leaves must equal, bit
// for bit, those of the op applied to the leaves directly.
func TestOpsFreshGradients(t *testing.T) {
	arenaPoison = true
	defer func() { arenaPoison = false }()
	for _, c := range opTable() {
		t.Run(c.name, func(t *testing.T) {
			in := inputsFor(c)
			g := func(wrap bool) [][]float32 {
				tp := NewTape()
				vs := params(in)
				args := vs
				if wrap {
					args = make([]*Var, len(vs))
					for i, v := range vs {
						args[i] = tp.Scale(v, 1)
					}
				}
				out := c.fn(tp, args)
				tp.BackwardFrom(out, tensor.Randn(tensor.NewRand(99), 1, out.Value.Shape...))
				var gs [][]float32
				for _, v := range vs {
					if v.Grad != nil {
						gs = append(gs, v.Grad.Data)
					}
				}
				return gs
			}
			want, got := g(false), g(true)
			if len(got) != len(want) {
				t.Fatalf("%d gradients through x·1, %d without", len(got), len(want))
			}
			for i := range want {
				recycleSame(t, c.name, 0, "gradient of input "+string(rune('0'+i))+" through x·1", got[i], want[i])
			}
		})
	}
}
