package autograd

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// inputsFor draws the inputs of case c from a generator seeded by its name.
func inputsFor(c opCase) []*tensor.Tensor {
	rng := tensor.NewRand(uint64(crc32.ChecksumIEEE([]byte(c.name))))
	in := make([]*tensor.Tensor, len(c.inputs))
	for i, s := range c.inputs {
		if c.gen != nil {
			in[i] = c.gen(rng, i, s)
		} else {
			in[i] = tensor.Randn(rng, 1, s...)
		}
	}
	return in
}

func params(in []*tensor.Tensor) []*Var {
	vs := make([]*Var, len(in))
	for i, t := range in {
		vs[i] = Param(t.Clone())
	}
	return vs
}

// maxRelErr returns max|got-want| / max(1, max|want|), the normwise error
// every check in this file uses. NaNs and infinities must match exactly.
func maxRelErr(got, want []float32) float64 {
	var d, m float64
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || (math.IsInf(w, 0) && g != w) {
			return math.Inf(1) // a NaN or infinity where the other has none fails any tolerance
		}
		if math.IsNaN(w) || math.IsInf(w, 0) {
			continue
		}
		d = math.Max(d, math.Abs(g-w))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return d / math.Max(1, m)
}

func TestOpTableNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range opTable() {
		if seen[c.name] {
			t.Errorf("duplicate op case %q", c.name)
		}
		seen[c.name] = true
	}
}

// TestOpsForward checks every op against its naive reference, and that a
// shape-only run gives the same output shape without data.
func TestOpsForward(t *testing.T) {
	for _, c := range opTable() {
		t.Run(c.name, func(t *testing.T) {
			in := inputsFor(c)
			got := c.fn(nil, params(in)).Value
			want := c.ref(in)
			if !tensor.SameShape(got.Shape, want.Shape) {
				t.Fatalf("shape %v, reference %v", got.Shape, want.Shape)
			}
			tol := c.refTol
			if tol == 0 {
				tol = 1e-5
			}
			if e := maxRelErr(got.Data, want.Data); e > tol {
				t.Fatalf("error %.3g against the reference > %.3g\ngot  %v\nwant %v", e, tol, got, want)
			}
			meta := make([]*Var, len(in))
			for i, x := range in {
				meta[i] = Param(tensor.Meta(x.Shape...))
			}
			m := c.fn(NoGrad(), meta).Value
			if !m.IsMeta() || !tensor.SameShape(m.Shape, want.Shape) {
				t.Fatalf("shape-only run gave %v, want meta %v", m, want.Shape)
			}
		})
	}
}

// TestOpsBackward checks every op's gradients against central finite
// differences (gonum's diff/fd) of L = sum(w * op(x)) for a random w.
func TestOpsBackward(t *testing.T) {
	for _, c := range opTable() {
		if c.noFD != "" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			in := inputsFor(c)
			vs := params(in)
			tp := NewTape()
			out := c.fn(tp, vs)
			w := tensor.Randn(tensor.NewRand(99), 1, out.Value.Shape...)
			tp.BackwardFrom(out, w)
			for i := range in {
				loss := func(x []float64) float64 {
					xin := make([]*tensor.Tensor, len(in))
					copy(xin, in)
					xi := tensor.New(in[i].Shape...)
					for j := range x {
						xi.Data[j] = float32(x[j])
					}
					xin[i] = xi
					y := c.fn(nil, params(xin)).Value
					var s float64
					for j, v := range y.Data {
						s += float64(v) * float64(w.Data[j])
					}
					return s
				}
				x0 := make([]float64, len(in[i].Data))
				for j, v := range in[i].Data {
					x0[j] = float64(v)
				}
				num := fd.Gradient(nil, loss, x0, &fd.Settings{Formula: fd.Central, Step: 1e-2})
				var ana []float32
				if vs[i].Grad != nil {
					ana = vs[i].Grad.Data
				} else {
					ana = make([]float32, len(x0))
				}
				scale := c.fdTol
				if scale == 0 {
					scale = 1
				}
				for j := range num {
					if d := math.Abs(float64(ana[j]) - num[j]); d > scale*(2e-3+1e-2*math.Abs(num[j])) {
						t.Fatalf("input %d element %d: analytic %.6g, finite difference %.6g", i, j, ana[j], num[j])
					}
				}
			}
		})
	}
}

// goldenCase is one PyTorch reference written by testdata/golden/gen.py.
type goldenCase struct {
	Name       string          `json:"name"`
	Inputs     []goldenTensor  `json:"inputs"`
	Output     goldenTensor    `json:"output"`
	GradOutput goldenTensor    `json:"grad_output"`
	Grads      []*goldenTensor `json:"grads"`
	Tol        float64         `json:"tol"`
	Note       string          `json:"note"`
}

type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

func (g goldenTensor) tensor() *tensor.Tensor {
	return tensor.FromData(append([]float32(nil), g.Data...), g.Shape...)
}

func loadGolden(t *testing.T) map[string]goldenCase {
	files, err := filepath.Glob("../../testdata/golden/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files under testdata/golden (run testdata/golden/gen.py): %v", err)
	}
	all := map[string]goldenCase{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Cases []goldenCase `json:"cases"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range doc.Cases {
			if _, dup := all[c.Name]; dup {
				t.Fatalf("%s: golden case %q defined twice", f, c.Name)
			}
			all[c.Name] = c
		}
	}
	return all
}

// TestOpsGolden compares every op's output and input gradients with
// PyTorch's, on PyTorch's own inputs. Every table case has a golden unless
// it names why PyTorch has none; every golden names a table case.
func TestOpsGolden(t *testing.T) {
	golden := loadGolden(t)
	table := map[string]opCase{}
	for _, c := range opTable() {
		table[c.name] = c
		if _, ok := golden[c.name]; !ok && c.noGolden == "" {
			t.Errorf("op case %q has no PyTorch golden and does not say why", c.name)
		}
	}
	names := make([]string, 0, len(golden))
	for n := range golden {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		g := golden[name]
		c, ok := table[name]
		if !ok {
			t.Errorf("golden case %q has no op case in the table", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			if len(g.Inputs) != len(c.inputs) {
				t.Fatalf("golden has %d inputs, table %d", len(g.Inputs), len(c.inputs))
			}
			vs := make([]*Var, len(g.Inputs))
			for i, gi := range g.Inputs {
				if !tensor.SameShape(gi.Shape, c.inputs[i]) {
					t.Fatalf("input %d: golden shape %v, table %v", i, gi.Shape, c.inputs[i])
				}
				vs[i] = Param(gi.tensor())
			}
			tol := g.Tol
			if tol == 0 {
				tol = 1e-5
			}
			tp := NewTape()
			out := c.fn(tp, vs)
			if !tensor.SameShape(out.Value.Shape, g.Output.Shape) {
				t.Fatalf("output shape %v, PyTorch %v", out.Value.Shape, g.Output.Shape)
			}
			if e := maxRelErr(out.Value.Data, g.Output.Data); e > tol {
				t.Fatalf("output error %.3g against PyTorch > %.3g %s", e, tol, g.Note)
			}
			tp.BackwardFrom(out, g.GradOutput.tensor())
			for i, gg := range g.Grads {
				if gg == nil {
					continue
				}
				got := vs[i].Grad
				if got == nil {
					got = tensor.New(gg.Shape...)
				}
				if e := maxRelErr(got.Data, gg.Data); e > tol {
					t.Fatalf("grad of input %d: error %.3g against PyTorch > %.3g %s", i, e, tol, g.Note)
				}
			}
		})
	}
}

func ExampleTape_MACs() {
	tp := NoGrad()
	x := Const(tensor.Meta(8, 197, 192))
	w := Const(tensor.Meta(576, 192))
	y := tp.Linear(x, w, nil)
	fmt.Println(y.Shape(), tp.MACs())
	// Output: [8 197 576] 174292992
}

// TestOpTableCoversRequiredOps holds the table to the list of ops the
// foundation promises: a missing op is a failing test, not a silent gap.
func TestOpTableCoversRequiredOps(t *testing.T) {
	golden := loadGolden(t)
	for _, want := range requiredOps {
		rows, fd, gold := 0, 0, 0
		for _, c := range opTable() {
			if !strings.HasPrefix(c.name, want) {
				continue
			}
			rows++
			if c.noFD == "" {
				fd++
			}
			if _, ok := golden[c.name]; ok {
				gold++
			}
		}
		switch {
		case rows == 0:
			t.Errorf("no op table row for %q", want)
		case fd == 0:
			t.Errorf("%q: no row is checked by finite differences", want)
		case gold == 0 && want != "dropout/" && want != "droppath/":
			t.Errorf("%q: no row has a PyTorch golden", want)
		}
	}
}
