package zoo

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
	"github.com/reprise-ml/reprise/zoo/efficientnet"
	"github.com/reprise-ml/reprise/zoo/mixer"
	"github.com/reprise-ml/reprise/zoo/mobilenetv3"
	"github.com/reprise-ml/reprise/zoo/nasnet"
	"github.com/reprise-ml/reprise/zoo/randwire"
	"github.com/reprise-ml/reprise/zoo/regnet"
	"github.com/reprise-ml/reprise/zoo/resnet"
	"github.com/reprise-ml/reprise/zoo/swin"
	"github.com/reprise-ml/reprise/zoo/vit"
)

// families lists every family package's variants.
var families = [][]arch.Variant{
	efficientnet.Variants(),
	mixer.Variants(),
	mobilenetv3.Variants(),
	nasnet.Variants(),
	randwire.Variants(),
	regnet.Variants(),
	resnet.Variants(),
	swin.Variants(),
	vit.Variants(),
}

//go:embed published.csv
var publishedCSV string

// Published are the numbers a model was published with (NaN where the
// source gives none).
type Published struct {
	ImgSize      int
	ParamsMPaper float64 // millions
	GMACsPaper   float64 // the paper's "FLOPs" or "Mult-Adds", which are MACs
	Top1Paper    float64 // ImageNet top-1, %
	ParamsMTimm  float64 // timm's param_count, millions
	GMACsTimm    float64 // timm's infer_gmacs
	PaperRow     string
	Source       string
}

// Entry is a registered model.
type Entry struct {
	arch.Variant
	Published *Published // nil for twins and models without a published row
}

var registry = buildRegistry()

func buildRegistry() map[string]Entry {
	pub := parsePublished(publishedCSV)
	reg := map[string]Entry{}
	for _, fam := range families {
		for _, v := range fam {
			if _, dup := reg[v.Name]; dup {
				panic("zoo: model " + v.Name + " registered twice")
			}
			e := Entry{Variant: v}
			if p, ok := pub[v.Name]; ok {
				e.Published = p
			}
			reg[v.Name] = e
		}
	}
	return reg
}

func parsePublished(s string) map[string]*Published {
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		panic("zoo: published.csv: " + err.Error())
	}
	num := func(v string) float64 {
		if v == "" {
			return math.NaN()
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			panic("zoo: published.csv: " + err.Error())
		}
		return f
	}
	out := map[string]*Published{}
	for _, r := range rows[1:] {
		size, _ := strconv.Atoi(r[2])
		out[r[0]] = &Published{ImgSize: size, ParamsMPaper: num(r[3]), GMACsPaper: num(r[4]), Top1Paper: num(r[5]),
			ParamsMTimm: num(r[6]), GMACsTimm: num(r[7]), PaperRow: r[8], Source: r[9]}
	}
	return out
}

// PublishedNames returns the names of every model in published.csv.
func PublishedNames() []string {
	var names []string
	for n := range parsePublished(publishedCSV) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// List returns the registered models whose names match the glob pattern
// (path.Match syntax; "" or "*" for all), sorted by name.
func List(pattern string) ([]Entry, error) {
	if pattern == "" {
		pattern = "*"
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("zoo: bad pattern %q: %w", pattern, err)
	}
	var out []Entry
	for name, e := range registry {
		if ok, _ := path.Match(pattern, name); ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Lookup returns the model named name, or an error that names the closest
// registered names.
func Lookup(name string) (Entry, error) {
	if e, ok := registry[name]; ok {
		return e, nil
	}
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for n := range registry {
		d := editDistance(name, n)
		if strings.Contains(n, name) {
			d = 0
		}
		cs = append(cs, cand{n, d})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].d < cs[j].d || (cs[i].d == cs[j].d && cs[i].name < cs[j].name) })
	var near []string
	for i := 0; i < len(cs) && i < 5; i++ {
		near = append(near, cs[i].name)
	}
	return Entry{}, fmt.Errorf("zoo: unknown model %q; closest: %s (reprise zoo list shows all)", name, strings.Join(near, ", "))
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Model is a built model with its parameters and state.
type Model struct {
	arch.Model
	Entry   Entry
	Options arch.Options
	Params  []*nn.Param
	Buffers []nn.Buffer
}

// New builds the model named name with its weights initialised from seed.
// Zero fields of o take the model's defaults.
func New(name string, o arch.Options, seed uint64) (*Model, error) {
	return build(name, o, nn.NewBuilder(tensor.NewRand(seed), false))
}

// NewMeta builds the model shape-only: no weights are allocated.
func NewMeta(name string, o arch.Options) (*Model, error) {
	return build(name, o, nn.NewBuilder(nil, true))
}

func build(name string, o arch.Options, b *nn.Builder) (*Model, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	o = e.Resolve(o)
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("zoo: %s: %w", name, err)
	}
	m := e.New(b, o)
	return &Model{Model: m, Entry: e, Options: o, Params: b.Params(), Buffers: b.Buffers()}, nil
}

// Stage is one row of a per-stage table.
type Stage struct {
	Name   string
	Shape  []int // output shape at batch 1
	MACs   int64 // of this stage alone
	Params int64 // parameters whose names start with the stage's name; -1 if none match
}

// Counts are a model's parameters and MACs at batch 1.
type Counts struct {
	Params int64
	MACs   int64
	Stages []Stage
	// Other is the number of parameters no stage's name claims (stem, final
	// norm, head, when their names differ from the stage marks).
	Other int64
}

// Count builds name shape-only and counts parameters and MACs of one
// forward pass of a single image, stage by stage.
func Count(name string, o arch.Options) (Counts, error) {
	m, err := NewMeta(name, o)
	if err != nil {
		return Counts{}, err
	}
	tp := autograd.NoGrad()
	var c Counts
	last := int64(0)
	ctx := &nn.Ctx{Tape: tp, Trace: func(stage string, out *autograd.Var) {
		c.Stages = append(c.Stages, Stage{Name: stage, Shape: append([]int(nil), out.Shape()...), MACs: tp.MACs() - last, Params: -1})
		last = tp.MACs()
	}}
	x := autograd.Const(tensor.Meta(1, m.Options.InChans, m.Options.ImgSize, m.Options.ImgSize))
	m.Forward(ctx, x)
	c.MACs = tp.MACs()
	c.Params = nn.CountParams(m.Params, "")
	claimed := int64(0)
	for i := range c.Stages {
		if n := nn.CountParams(m.Params, c.Stages[i].Name); n > 0 {
			c.Stages[i].Params = n
			claimed += n
		}
	}
	c.Other = c.Params - claimed
	return c, nil
}
