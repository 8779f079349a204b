package zootest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// recorder is a testing.TB that records failures instead of reporting
// them, so that these tests can check that the helpers fail.
type recorder struct {
	testing.TB // nil: the methods below are all the helpers call
	failed     bool
	msgs       []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }
func (r *recorder) Fatal(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)); r.FailNow() }
func (r *recorder) FailNow()                          { r.failed = true; runtime.Goexit() }
func (r *recorder) Failed() bool                      { return r.failed }

// run calls f with a recorder on a goroutine of its own, as the testing
// package does, so that FailNow stops f only.
func run(f func(t testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// wantFail fails t unless r failed with a message containing want.
func wantFail(t *testing.T, r *recorder, want string) {
	t.Helper()
	if !r.failed || !strings.Contains(strings.Join(r.msgs, "\n"), want) {
		t.Errorf("failed %v with %q, want a failure mentioning %q", r.failed, r.msgs, want)
	}
}

// toy is a linear classifier of flattened images; unused, if set, is a
// parameter the forward pass never reads, and dead one it multiplies by 0.
type toy struct {
	fc           *nn.Linear
	unused, dead *nn.Param
}

func newToy(b *nn.Builder, o arch.Options, unused, dead bool) *toy {
	m := &toy{fc: nn.NewLinear(b.Sub("fc"), o.InChans*o.ImgSize*o.ImgSize, o.NumClasses, true, nil)}
	if unused {
		m.unused = b.Param("unused", nn.Ones, o.NumClasses)
	}
	if dead {
		m.dead = b.Param("dead", nn.Ones, o.NumClasses)
	}
	return m
}

func (m *toy) Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	tp := c.Tape
	c.Mark("stem", x)
	y := m.fc.Forward(c, tp.Reshape(x, x.Value.Shape[0], -1))
	if m.dead != nil {
		y = tp.Add(y, tp.Mul(m.dead.Var, autograd.Const(tensor.New(m.dead.Value.Shape...))))
	}
	c.Mark("head", y)
	return y
}

var toyOptions = arch.Options{NumClasses: 3, InChans: 1, ImgSize: 4}

func toyVariant(unused, dead bool) arch.Variant {
	return arch.Variant{Name: "toy", Twin: true, Defaults: toyOptions,
		New: func(b *nn.Builder, o arch.Options) arch.Model { return newToy(b, o, unused, dead) }}
}

func TestVariantAndCount(t *testing.T) {
	vs := []arch.Variant{toyVariant(false, false)}
	if v := Variant(t, vs, "toy"); v.Name != "toy" {
		t.Errorf("Variant: %+v", v)
	}
	wantFail(t, run(func(t testing.TB) { Variant(t, vs, "other") }), `no variant "other"`)
	params, macs := Count(t, vs[0])
	if n := nn.CountParams(params, ""); n != 16*3+3 || macs != 16*3 {
		t.Errorf("Count: %d parameters, %d MACs; want 51, 48", n, macs)
	}
	wrong := toyOptions
	wrong.NumClasses = 4 // the model's logits are [1, 3]
	build := func(b *nn.Builder) arch.Model { return newToy(b, toyOptions, false, false) }
	wantFail(t, run(func(t testing.TB) { CountModel(t, "toy", wrong, build) }), "toy: logits [1 3], want [1 4]")
}

func TestCheckTrainStep(t *testing.T) {
	var marks []string
	if r := run(func(t testing.TB) { marks = CheckTwinTrainStep(t, toyVariant(false, false), arch.Options{}, nil) }); r.failed {
		t.Errorf("a healthy model fails: %q", r.msgs)
	}
	if !cmp.Equal(marks, []string{"stem", "head"}) {
		t.Errorf("marks %v", marks)
	}
	wantFail(t, run(func(t testing.TB) { CheckTwinTrainStep(t, toyVariant(true, false), arch.Options{}, nil) }), "toy: unused has no gradient")
	wantFail(t, run(func(t testing.TB) { CheckTwinTrainStep(t, toyVariant(false, true), arch.Options{}, nil) }), "toy: dead has an all-zero gradient")
	allowDead := func(name string) bool { return name == "dead" }
	if r := run(func(t testing.TB) { CheckTwinTrainStep(t, toyVariant(false, true), arch.Options{}, allowDead) }); r.failed {
		t.Errorf("an allowed zero gradient fails: %q", r.msgs)
	}
	// A non-finite gradient fails even where a zero one is allowed: with
	// sqrt(dead·0) added to the logits, dead's gradient is 0·∞.
	b := nn.NewBuilder(tensor.NewRand(1), false)
	m := newToy(b, toyOptions, false, true)
	sqrt := func(c *nn.Ctx, x *autograd.Var) []*autograd.Var {
		zero := autograd.Const(tensor.New(3))
		return []*autograd.Var{c.Tape.Add(m.Forward(c, x), c.Tape.Sqrt(c.Tape.Mul(m.dead.Var, zero)))}
	}
	wantFail(t, run(func(t testing.TB) { CheckTrainStepOutputs(t, "toy", sqrt, b.Params(), toyOptions, allowDead) }), "toy: dead has a non-finite gradient")
	// Two outputs: both are checked.
	two := func(c *nn.Ctx, x *autograd.Var) []*autograd.Var {
		y := m.Forward(c, x)
		return []*autograd.Var{y, c.Tape.Reshape(y, 3, 2)}
	}
	wantFail(t, run(func(t testing.TB) { CheckTrainStepOutputs(t, "toy", two, b.Params(), toyOptions, nil) }), "logits [3 2], want [2 3]")
}

func TestCheckLogits(t *testing.T) {
	y := tensor.FromData([]float32{1, 2, float32(math.NaN())}, 1, 3)
	wantFail(t, run(func(t testing.TB) { CheckLogits(t, "m", y, 1, 3) }), "m: logits: value 2 is NaN")
	wantFail(t, run(func(t testing.TB) { CheckLogits(t, "m", y, 3, 1) }), "m: logits [1 3], want [3 1]")
}

func TestTensorJSON(t *testing.T) {
	var got []Tensor
	js := `[{"name": "a", "shape": [2], "data": [1.5, -2]},
		{"shape": [2], "data": "AADAPwAAAMA="},
		{"shape": [2], "b64": "AADAPwAAAMA="},
		{"shape": [2], "b64": "AD4AwA==", "dtype": "f16"},
		{"name": "manifest", "shape": [2, 3]}]`
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatal(err)
	}
	want := []float32{1.5, -2}
	for i, x := range got[:4] {
		if !cmp.Equal(x.Data, want) || !cmp.Equal(x.Shape, []int{2}) {
			t.Errorf("tensor %d: %+v", i, x)
		}
	}
	if got[0].Name != "a" || got[4].Data != nil {
		t.Errorf("names or manifest: %+v", got)
	}
	for _, bad := range []string{
		`{"shape": [3], "data": [1, 2]}`,
		`{"shape": [1], "b64": "AADAPwAAAMA="}`,
		`{"shape": [2], "b64": "AD4AwA==", "dtype": "bf16"}`,
		`{"shape": [1], "b64": "%%"}`,
	} {
		var x Tensor
		if err := json.Unmarshal([]byte(bad), &x); err == nil {
			t.Errorf("%s: accepted as %+v", bad, x)
		}
	}
}

func TestReadBinAndLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "golden.bin")
	// 1.5, -2, 1 as little-endian float32.
	if err := os.WriteFile(file, []byte{0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0x80, 0x3f}, 0o644); err != nil {
		t.Fatal(err)
	}
	src := []Tensor{{Name: "w", Shape: []int{2}}, {Name: "b", Shape: []int{1}}}
	ReadBin(t, file, src)
	dst := map[string]*tensor.Tensor{"w": tensor.New(2), "b": tensor.New(1)}
	LoadTensors(t, dst, src)
	if !cmp.Equal(dst["w"].Data, []float32{1.5, -2}) || dst["b"].Data[0] != 1 {
		t.Errorf("loaded %v %v", dst["w"], dst["b"])
	}

	wantFail(t, run(func(t testing.TB) { ReadBin(t, file, []Tensor{{Name: "w", Shape: []int{2}}}) }), "8 of 12 bytes read")
	wantFail(t, run(func(t testing.TB) { ReadBin(t, file, []Tensor{{Name: "w", Shape: []int{4}}}) }), "w: past the end")
	fresh := func() map[string]*tensor.Tensor {
		return map[string]*tensor.Tensor{"w": tensor.New(2), "b": tensor.New(1)}
	}
	for _, c := range []struct {
		src  []Tensor
		want string
	}{
		{[]Tensor{src[0]}, "b: not in the PyTorch model"},
		{[]Tensor{src[0], src[1], {Name: "c", Shape: []int{1}, Data: []float32{0}}}, "PyTorch tensor c [1] has no counterpart"},
		{[]Tensor{src[0], src[1], src[1]}, "PyTorch tensor b listed twice"},
		{[]Tensor{src[0], {Name: "b", Shape: []int{1, 1}, Data: []float32{1}}}, "b: shape [1], PyTorch [1 1]"},
		{[]Tensor{src[0], {Name: "b", Shape: []int{1}}}, "b: 0 values, want 1"},
	} {
		wantFail(t, run(func(t testing.TB) { LoadTensors(t, fresh(), c.src) }), c.want)
	}
}

func TestErrors(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		name      string
		f         func(got, want []float32) float64
		got, want []float32
		e         float64
	}{
		{"MaxRelErr", MaxRelErr, []float32{1, 2}, []float32{1, 4}, 0.5},
		{"MaxRelErr", MaxRelErr, []float32{0.1}, []float32{0.2}, 0.5},
		{"MaxMixedErr", MaxMixedErr, []float32{1, 2}, []float32{1, 4}, 0.5},
		{"MaxMixedErr", MaxMixedErr, []float32{0.1}, []float32{0.2}, 0.1},
		{"L2RelErr", L2RelErr, []float32{3, 0}, []float32{0, 4}, 1.25},
		{"MaxRelErr", MaxRelErr, []float32{nan}, []float32{1}, math.Inf(1)},
		{"MaxMixedErr", MaxMixedErr, []float32{1, nan}, []float32{1, 1}, math.Inf(1)},
		{"L2RelErr", L2RelErr, []float32{nan}, []float32{1}, math.Inf(1)},
		{"L2RelErr", L2RelErr, []float32{1}, []float32{1, 1}, math.Inf(1)},
	} {
		if e := c.f(c.got, c.want); math.Abs(e-c.e) > 1e-7 && e != c.e {
			t.Errorf("%s(%v, %v) = %g, want %g", c.name, c.got, c.want, e, c.e)
		}
	}
}

func TestHalfToFloat(t *testing.T) {
	for h, want := range map[uint16]float32{
		0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0400: 1.0 / (1 << 14), 0x0001: 1.0 / (1 << 24),
		0x8001: -1.0 / (1 << 24), 0x3555: 0.333251953125, 0x0000: 0,
	} {
		if got := halfToFloat(h); got != want {
			t.Errorf("halfToFloat(%#04x) = %g, want %g", h, got, want)
		}
	}
	if !math.IsInf(float64(halfToFloat(0xfc00)), -1) || !math.IsNaN(float64(halfToFloat(0x7e00))) {
		t.Error("inf or NaN")
	}
}

func TestPublished(t *testing.T) {
	// Run from this package's directory, ../published.csv is zoo's.
	pub := Published(t)
	r, ok := pub["nasnetamobile"]
	if !ok || r.Family != "NASNet" || r.ImgSize != 224 || r.ParamsPaper != 5.3 || !math.IsNaN(r.GMACsTimm) {
		t.Errorf("nasnetamobile: %+v", r)
	}
}

func TestGoldenFiles(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "golden")
	js := `{"tensors": [{"name": "w", "shape": [2]}], "input": {"shape": [1], "data": [3]}, "logits": {"shape": [1], "data": [4]}, "widths": [8]}`
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("golden.json", js)
	write("golden.bin", "\x00\x00\xc0\x3f\x00\x00\x00\xc0")
	var extra struct {
		Widths []int `json:"widths"`
	}
	g := ReadGolden(t, base, &extra)
	if !cmp.Equal(g.Tensors[0].Data, []float32{1.5, -2}) || g.Input.Data[0] != 3 || g.Logits.Data[0] != 4 || !cmp.Equal(extra.Widths, []int{8}) {
		t.Errorf("ReadGolden: %+v, %+v", g, extra)
	}

	write("cases.json", `[{"name": "a", "state": {"w": {"shape": [1], "b64": "AADAPw=="}}}, {"name": "b"}]`)
	cases := ReadStateCases(t, filepath.Join(dir, "cases.json"), []string{"a", "b"})
	if s := ByName(cases[0].State); len(s) != 1 || s[0].Name != "w" || s[0].Data[0] != 1.5 {
		t.Errorf("ReadStateCases: %+v", cases)
	}
	wantFail(t, run(func(t testing.TB) { ReadStateCases(t, filepath.Join(dir, "cases.json"), []string{"a", "c"}) }), `case 1 is "b", want "c"`)
	wantFail(t, run(func(t testing.TB) { ReadStateCases(t, filepath.Join(dir, "cases.json"), []string{"a"}) }), "has 2 cases, want 1")

	file := filepath.Join(dir, "cells.json")
	CheckSynced(t, file, []byte("x\n"), true, "regenerate")
	CheckSynced(t, file, []byte("x\n"), false, "regenerate")
	wantFail(t, run(func(t testing.TB) { CheckSynced(t, file, []byte("y\n"), false, "regenerate") }), "cells.json is stale: run regenerate")
}
