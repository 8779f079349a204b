package zootest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Variant returns the variant of vs named name; t fails if there is none.
func Variant(t testing.TB, vs []arch.Variant, name string) arch.Variant {
	t.Helper()
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no variant %q", name)
	return arch.Variant{}
}

// Count builds v shape-only at its default options and returns its
// parameters and the MACs of one forward pass of one image at its native
// resolution (see CountModel).
func Count(t testing.TB, v arch.Variant) (params []*nn.Param, macs int64) {
	t.Helper()
	_, params, macs = CountAt(t, v, arch.Options{})
	return params, macs
}

// CountAt is Count with options o (zero fields: v's defaults); it returns
// the model too.
func CountAt(t testing.TB, v arch.Variant, o arch.Options) (arch.Model, []*nn.Param, int64) {
	t.Helper()
	o = v.Resolve(o)
	return CountModel(t, v.Name, o, func(b *nn.Builder) arch.Model { return v.New(b, o) })
}

// CountModel builds a model with build on a shape-only builder, runs one
// o.InChans×o.ImgSize×o.ImgSize image through it on an autograd.NoGrad
// tape, and returns the model, its parameters and the tape's MACs (convs,
// linears, matmuls: package zoo's convention). o is fully resolved; t fails
// unless the logits are [1, o.NumClasses].
func CountModel(t testing.TB, name string, o arch.Options, build func(b *nn.Builder) arch.Model) (arch.Model, []*nn.Param, int64) {
	t.Helper()
	b := nn.NewBuilder(nil, true)
	m := build(b)
	tp := autograd.NoGrad()
	y := m.Forward(&nn.Ctx{Tape: tp}, autograd.Const(tensor.Meta(1, o.InChans, o.ImgSize, o.ImgSize)))
	if want := []int{1, o.NumClasses}; !tensor.SameShape(y.Value.Shape, want) {
		t.Fatalf("%s: logits %v, want %v", name, y.Value.Shape, want)
	}
	return m, b.Params(), tp.MACs()
}

// ParamShapes returns "name 16x3x3x3" for every parameter, sorted: the
// form of the params_timm lists in the families' testdata/counts.json.
func ParamShapes(params []*nn.Param) []string {
	out := make([]string, len(params))
	for i, p := range params {
		dims := make([]string, len(p.Value.Shape))
		for j, d := range p.Value.Shape {
			dims[j] = strconv.Itoa(d)
		}
		out[i] = p.Name + " " + strings.Join(dims, "x")
	}
	slices.Sort(out)
	return out
}

// Row is one model's row of zoo/published.csv. Numbers the file leaves
// empty are NaN: a test that needs one must check for it, since every
// comparison with NaN is false.
type Row struct {
	Family      string
	ImgSize     int
	ParamsPaper float64 // millions
	GMACsPaper  float64
	Top1Paper   float64
	ParamsTimm  float64 // millions
	GMACsTimm   float64
}

// Published reads ../published.csv (zoo/published.csv, seen from the
// family package's directory, where go test runs its tests) by column
// name, keyed by model name. t fails on a missing column, a number that
// does not parse, or a model with two rows.
func Published(t testing.TB) map[string]Row {
	t.Helper()
	f, err := os.Open("../published.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("published.csv is empty")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	field := func(r []string, name string) string {
		i, ok := col[name]
		if !ok {
			t.Fatalf("published.csv has no column %q", name)
		}
		return r[i]
	}
	num := func(r []string, name string) float64 {
		s := field(r, name)
		if s == "" {
			return math.NaN()
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("published.csv: %s: %s: %v", r[0], name, err)
		}
		return v
	}
	out := map[string]Row{}
	for _, r := range rows[1:] {
		name := field(r, "name")
		if _, dup := out[name]; dup {
			t.Fatalf("published.csv: two rows for %s", name)
		}
		img, err := strconv.Atoi(field(r, "img_size"))
		if err != nil {
			t.Fatalf("published.csv: %s: img_size: %v", name, err)
		}
		out[name] = Row{
			Family:      field(r, "family"),
			ImgSize:     img,
			ParamsPaper: num(r, "params_m_paper"),
			GMACsPaper:  num(r, "gmacs_paper"),
			Top1Paper:   num(r, "top1_paper"),
			ParamsTimm:  num(r, "params_m_timm"),
			GMACsTimm:   num(r, "gmacs_timm"),
		}
	}
	return out
}

// CheckLogits fails t now unless y has the given shape and only finite
// values.
func CheckLogits(t testing.TB, name string, y *tensor.Tensor, shape ...int) {
	t.Helper()
	if !tensor.SameShape(y.Shape, shape) {
		t.Fatalf("%s: logits %v, want %v", name, y.Shape, shape)
	}
	CheckFinite(t, name+": logits", y.Data)
}

// CheckFinite fails t now unless every value of data is finite.
func CheckFinite(t testing.TB, what string, data []float32) {
	t.Helper()
	for i, v := range data {
		if !finite(v) {
			t.Fatalf("%s: value %d is %v", what, i, v)
		}
	}
}

// CheckForward builds v at its default options with seeded weights and
// runs one seeded image through it in evaluation: the logits must be
// [1, NumClasses] and finite.
func CheckForward(t testing.TB, v arch.Variant) {
	t.Helper()
	o := v.Resolve(arch.Options{})
	m := v.New(nn.NewBuilder(tensor.NewRand(1), false), o)
	x := tensor.Randn(tensor.NewRand(2), 1, 1, o.InChans, o.ImgSize, o.ImgSize)
	CheckLogits(t, v.Name, m.Forward(&nn.Ctx{}, autograd.Const(x)).Value, 1, o.NumClasses)
}

// Seeds of the training-step check.
const (
	weightSeed = 3 // CheckTwinTrainStep's weights
	inputSeed  = 4 // the batch of two images
	trainSeed  = 5 // dropout and drop-path in the training pass
	gradSeed   = 6 // R of output i is drawn from seed gradSeed+i
)

// CheckTwinTrainStep builds v with options o (zero fields: v's defaults)
// and seeded weights, and runs CheckTrainStep on it.
func CheckTwinTrainStep(t testing.TB, v arch.Variant, o arch.Options, allowZero func(name string) bool) (marks []string) {
	t.Helper()
	o = v.Resolve(o)
	b := nn.NewBuilder(tensor.NewRand(weightSeed), false)
	m := v.New(b, o)
	return CheckTrainStep(t, v.Name, m, b.Params(), o, allowZero)
}

// CheckTrainStep checks model m, built with the resolved options o, whose
// parameters are params, on a batch of two seeded images: the logits are
// [2, o.NumClasses] and finite in evaluation and in training mode, and one
// backward pass of the training pass from sum(logits·R), R seeded, gives
// every parameter a gradient that is finite and not all zero, unless
// allowZero (nil: never) says so for the parameter's name. It returns the
// stage marks (nn.Ctx.Trace) of the training pass; name labels messages.
func CheckTrainStep(t testing.TB, name string, m arch.Model, params []*nn.Param, o arch.Options, allowZero func(name string) bool) (marks []string) {
	t.Helper()
	forward := func(c *nn.Ctx, x *autograd.Var) []*autograd.Var { return []*autograd.Var{m.Forward(c, x)} }
	return CheckTrainStepOutputs(t, name, forward, params, o, allowZero)
}

// CheckTrainStepOutputs is CheckTrainStep for a pass with several logits
// outputs (DeiT's ForwardBoth): each is checked, and the backward pass is
// from the sum over outputs of sum(logits_i·R_i), each R_i its own draw.
func CheckTrainStepOutputs(t testing.TB, name string, forward func(c *nn.Ctx, x *autograd.Var) []*autograd.Var, params []*nn.Param, o arch.Options, allowZero func(name string) bool) (marks []string) {
	t.Helper()
	x := autograd.Const(tensor.Randn(tensor.NewRand(inputSeed), 1, 2, o.InChans, o.ImgSize, o.ImgSize))
	for _, y := range forward(&nn.Ctx{}, x) {
		CheckLogits(t, name+" in evaluation", y.Value, 2, o.NumClasses)
	}
	tp := autograd.NewTape()
	c := &nn.Ctx{Tape: tp, Train: true, RNG: tensor.NewRand(trainSeed), Trace: func(s string, _ *autograd.Var) { marks = append(marks, s) }}
	var loss *autograd.Var
	for i, y := range forward(c, x) {
		CheckLogits(t, name+" in training", y.Value, 2, o.NumClasses)
		r := autograd.Const(tensor.Randn(tensor.NewRand(gradSeed+uint64(i)), 1, 2, o.NumClasses))
		term := tp.Sum(tp.Mul(y, r), []int{0, 1}, false)
		if loss == nil {
			loss = term
		} else {
			loss = tp.Add(loss, term)
		}
	}
	tp.Backward(loss)
	for _, p := range params {
		switch {
		case p.Grad == nil:
			t.Errorf("%s: %s has no gradient", name, p.Name)
		case !AllFinite(p.Grad.Data):
			t.Errorf("%s: %s has a non-finite gradient", name, p.Name)
		case AllZero(p.Grad.Data) && (allowZero == nil || !allowZero(p.Name)):
			t.Errorf("%s: %s has an all-zero gradient", name, p.Name)
		}
	}
	return marks
}

// ReadJSON decodes file into v; t fails if it cannot.
func ReadJSON(t testing.TB, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// Tensor is a named float32 tensor of a golden file written by a family's
// testdata/gen_golden.py. In JSON it is an object with "shape" and "name"
// (or a name given by the enclosing map's key, see ByName) and its values
// as one of:
//
//	"data": [1.5, ...]            numbers
//	"data": "AADAPw..."           base64 of little-endian float32
//	"b64":  "AADAPw..."           the same; with "dtype": "f16", of float16
//
// or none, in the manifest of a .json/.bin pair, where ReadBin fills them.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// UnmarshalJSON decodes any of the forms above, checking that the values
// fill the shape.
func (x *Tensor) UnmarshalJSON(b []byte) error {
	var j struct {
		Name  string          `json:"name"`
		Shape []int           `json:"shape"`
		Data  json.RawMessage `json:"data"`
		B64   string          `json:"b64"`
		Dtype string          `json:"dtype"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*x = Tensor{Name: j.Name, Shape: j.Shape}
	b64 := j.B64
	switch d := bytes.TrimSpace(j.Data); {
	case len(d) == 0 || string(d) == "null":
	case d[0] == '"':
		if b64 != "" {
			return fmt.Errorf("tensor %s: both data and b64", j.Name)
		}
		if err := json.Unmarshal(d, &b64); err != nil {
			return err
		}
	default:
		if err := json.Unmarshal(d, &x.Data); err != nil {
			return err
		}
	}
	if b64 != "" {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return fmt.Errorf("tensor %s: %v", j.Name, err)
		}
		if x.Data, err = decodeFloats(raw, j.Dtype); err != nil {
			return fmt.Errorf("tensor %s: %v", j.Name, err)
		}
	}
	if x.Data != nil && len(x.Data) != tensor.Numel(x.Shape) {
		return fmt.Errorf("tensor %s: %d values for shape %v", j.Name, len(x.Data), x.Shape)
	}
	return nil
}

// decodeFloats converts little-endian float32 ("" or "f32") or float16
// ("f16") values.
func decodeFloats(raw []byte, dtype string) ([]float32, error) {
	size := 4
	switch dtype {
	case "", "f32":
	case "f16":
		size = 2
	default:
		return nil, fmt.Errorf("dtype %q", dtype)
	}
	if len(raw)%size != 0 {
		return nil, fmt.Errorf("%d bytes of %d-byte values", len(raw), size)
	}
	out := make([]float32, len(raw)/size)
	for i := range out {
		if size == 2 {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(raw[2*i:]))
		} else {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	return out, nil
}

// halfToFloat converts an IEEE 754 binary16 value to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp, frac := uint32(h>>10)&0x1f, uint32(h)&0x3ff
	switch {
	case exp == 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0: // zero, subnormal: frac·2^-24
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// Value returns x as a tensor sharing its data.
func (x Tensor) Value() *tensor.Tensor { return tensor.FromData(x.Data, x.Shape...) }

// ByName returns the tensors of a golden state dict, named by their keys,
// in name order.
func ByName(m map[string]Tensor) []Tensor {
	out := make([]Tensor, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		x := m[name]
		x.Name = name
		out = append(out, x)
	}
	return out
}

// ReadBin fills the tensors of a manifest, in order, from file, their
// little-endian float32 values back to back; t fails unless they use the
// file's bytes exactly.
func ReadBin(t testing.TB, file string, manifest []Tensor) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for i := range manifest {
		x := &manifest[i]
		n := 4 * tensor.Numel(x.Shape)
		if off+n > len(raw) {
			t.Fatalf("%s: past the end of %s", x.Name, file)
		}
		x.Data, _ = decodeFloats(raw[off:off+n], "")
		off += n
	}
	if off != len(raw) {
		t.Fatalf("%s: %d of %d bytes read", file, off, len(raw))
	}
}

// Golden is the .json/.bin pair a family's testdata/gen_golden.py writes
// for one PyTorch model: in the JSON the manifest of its state dict (names
// and shapes, in the order of their values in the .bin file), the input and
// the logits.
type Golden struct {
	Tensors []Tensor `json:"tensors"`
	Input   Tensor   `json:"input"`
	Logits  Tensor   `json:"logits"`
}

// ReadGolden reads base+".json" and fills its tensors from base+".bin" (see
// ReadBin). extra, if not nil, receives the JSON's other fields (the
// family's config, further outputs).
func ReadGolden(t testing.TB, base string, extra any) Golden {
	t.Helper()
	var g Golden
	ReadJSON(t, base+".json", &g)
	if extra != nil {
		ReadJSON(t, base+".json", extra)
	}
	ReadBin(t, base+".bin", g.Tensors)
	return g
}

// StateCase is one network of a golden file of whole state dicts in base64
// (the nasnet and randwire gen_golden.py): its input, its parameters and
// batch-norm statistics by name, and its logits in evaluation (running
// statistics) and in training mode (batch statistics).
type StateCase struct {
	Name        string            `json:"name"`
	Input       Tensor            `json:"input"`
	State       map[string]Tensor `json:"state"`
	LogitsEval  Tensor            `json:"logits_eval"`
	LogitsTrain Tensor            `json:"logits_train"`
}

// ReadStateCases reads the cases of file, which must be the ones named, in
// order; if they are not, gen_golden.py needs a rerun.
func ReadStateCases(t testing.TB, file string, names []string) []StateCase {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("%v (run /usr/bin/python3 testdata/gen_golden.py)", err)
	}
	var cases []StateCase
	ReadJSON(t, file, &cases)
	if len(cases) != len(names) {
		t.Fatalf("%s has %d cases, want %d: rerun gen_golden.py", file, len(cases), len(names))
	}
	for i, c := range cases {
		if c.Name != names[i] {
			t.Fatalf("%s: case %d is %q, want %q: rerun gen_golden.py", file, i, c.Name, names[i])
		}
	}
	return cases
}

// CheckSynced keeps file, which a generator script reads, equal to want,
// after writing want there if update (a -update flag) is set. regenerate
// says how to bring the file and the script's output up to date.
func CheckSynced(t testing.TB, file string, want []byte, update bool, regenerate string) {
	t.Helper()
	if update {
		if err := os.WriteFile(file, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run %s", file, regenerate)
	}
}

// Params maps the names of b's parameters to their values.
func Params(b *nn.Builder) map[string]*tensor.Tensor {
	m := map[string]*tensor.Tensor{}
	for _, p := range b.Params() {
		m[p.Name] = p.Value
	}
	return m
}

// State maps the names of b's parameters and buffers (batch-norm
// statistics, ...) to their values: a PyTorch state dict.
func State(b *nn.Builder) map[string]*tensor.Tensor {
	m := Params(b)
	for _, buf := range b.Buffers() {
		m[buf.Name] = buf.Value
	}
	return m
}

// LoadTensors copies every golden tensor of src into the tensor of dst with
// its name. Names must match one to one and shapes exactly; t reports
// every mismatch and then fails now.
func LoadTensors(t testing.TB, dst map[string]*tensor.Tensor, src []Tensor) {
	t.Helper()
	bad := false
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		bad = true
	}
	loaded := map[string]bool{}
	for _, s := range src {
		d, ok := dst[s.Name]
		switch {
		case !ok:
			fail("PyTorch tensor %s %v has no counterpart", s.Name, s.Shape)
		case loaded[s.Name]:
			fail("PyTorch tensor %s listed twice", s.Name)
		case !tensor.SameShape(d.Shape, s.Shape):
			fail("%s: shape %v, PyTorch %v", s.Name, d.Shape, s.Shape)
		case len(s.Data) != len(d.Data):
			fail("%s: %d values, want %d", s.Name, len(s.Data), len(d.Data))
		default:
			copy(d.Data, s.Data)
		}
		loaded[s.Name] = ok
	}
	for _, name := range slices.Sorted(maps.Keys(dst)) {
		if !loaded[name] {
			fail("%s: not in the PyTorch model", name)
		}
	}
	if bad {
		t.FailNow()
	}
}

// MaxRelErr is the normwise relative error max|got−want| / max|want|.
// Like the other errors here it is +Inf if the lengths differ or the
// quotient is NaN (a NaN in got), so that "err > tol" catches both.
func MaxRelErr(got, want []float32) float64 { return maxErr(got, want, 0) }

// MaxMixedErr is max|got−want| / max(1, max|want|): relative to the scale
// of want where that exceeds 1, absolute below.
func MaxMixedErr(got, want []float32) float64 { return maxErr(got, want, 1) }

func maxErr(got, want []float32, floor float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, m float64
	for i, w := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(w)))
		m = math.Max(m, math.Abs(float64(w)))
	}
	return notNaN(d / math.Max(floor, m))
}

// L2RelErr is the normwise relative error ‖got−want‖₂ / ‖want‖₂.
func L2RelErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var num, den float64
	for i, w := range want {
		d := float64(got[i]) - float64(w)
		num += d * d
		den += float64(w) * float64(w)
	}
	return notNaN(math.Sqrt(num / den))
}

func notNaN(e float64) float64 {
	if math.IsNaN(e) {
		return math.Inf(1)
	}
	return e
}

func finite(v float32) bool {
	return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
}

// AllFinite reports whether no value of d is NaN or infinite.
func AllFinite(d []float32) bool {
	for _, v := range d {
		if !finite(v) {
			return false
		}
	}
	return true
}

// AllZero reports whether every value of d is zero (true for none).
func AllZero(d []float32) bool {
	for _, v := range d {
		if v != 0 {
			return false
		}
	}
	return true
}
