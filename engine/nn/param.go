package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Param is a named, trainable tensor.
type Param struct {
	*autograd.Var
	// Name is the timm state-dict name, e.g. "blocks.0.attn.qkv.weight".
	Name string
	// NoDecay marks parameters that optimisers exclude from weight decay
	// (norm scales and shifts, biases, tokens, position embeddings), as
	// timm's param_groups_weight_decay does for every 1-D parameter.
	NoDecay bool
}

// Buffer is a named tensor of a model's state that is not trained by
// gradients (batch-norm running statistics, relative position indices).
type Buffer struct {
	Name  string
	Value *tensor.Tensor
}

// Init fills a new parameter. Each draws from rng in row-major order.
type Init func(rng *rand.Rand, t *tensor.Tensor)

// Zeros initialises to 0.
func Zeros(*rand.Rand, *tensor.Tensor) {}

// Ones initialises to 1.
func Ones(_ *rand.Rand, t *tensor.Tensor) { t.Fill(1) }

// Constant initialises every element to v (layer scale, Affine's alpha).
func Constant(v float32) Init { return func(_ *rand.Rand, t *tensor.Tensor) { t.Fill(v) } }

// TruncNormal draws from N(0, std²) truncated to [-2, 2] (absolute bounds)
// by rejection, as timm's trunc_normal_(std=std) with its default a=-2, b=2.
func TruncNormal(std float64) Init {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data {
			for {
				v := rng.NormFloat64() * std
				if v >= -2 && v <= 2 {
					t.Data[i] = float32(v)
					break
				}
			}
		}
	}
}

// Uniform draws from U(-bound, bound).
func Uniform(bound float64) Init {
	return func(rng *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data {
			t.Data[i] = float32((2*rng.Float64() - 1) * bound)
		}
	}
}

// KaimingNormalFanOut draws from N(0, 2/fan_out) with fan_out = out
// channels / groups × kernel area, as timm's _init_weight_goog for convs
// (EfficientNet, MobileNetV3) and torchvision's ResNet.
func KaimingNormalFanOut(t *tensor.Tensor, groups int) Init {
	fanOut := t.Shape[0] / max(groups, 1)
	for _, d := range t.Shape[2:] {
		fanOut *= d
	}
	std := math.Sqrt(2 / float64(max(fanOut, 1)))
	return func(rng *rand.Rand, t *tensor.Tensor) {
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * std)
		}
	}
}

// Builder creates the parameters and buffers of a model under a dotted name
// prefix. Sub-builders share one registry, so the model's Builder lists
// every parameter in creation order.
type Builder struct {
	prefix string
	reg    *registry
}

type registry struct {
	rng     *rand.Rand
	meta    bool
	params  []*Param
	buffers []Buffer
	names   map[string]bool
}

// NewBuilder returns a Builder whose parameters draw their initial values
// from rng, or, when meta is true, are shape-only tensors (rng may be nil).
func NewBuilder(rng *rand.Rand, meta bool) *Builder {
	if rng == nil && !meta {
		panic("nn: NewBuilder: a nil random source for a model with data")
	}
	return &Builder{reg: &registry{rng: rng, meta: meta, names: map[string]bool{}}}
}

// Sub returns a Builder whose names are prefixed by name and a dot.
func (b *Builder) Sub(name string) *Builder {
	return &Builder{prefix: b.Name(name), reg: b.reg}
}

// Subf is Sub with a formatted name, e.g. b.Subf("blocks.%d", i).
func (b *Builder) Subf(format string, args ...any) *Builder {
	return b.Sub(fmt.Sprintf(format, args...))
}

// Name returns the full dotted name of name under b's prefix.
func (b *Builder) Name(name string) string {
	if b.prefix == "" {
		return name
	}
	return b.prefix + "." + name
}

// Meta reports whether b makes shape-only parameters.
func (b *Builder) Meta() bool { return b.reg.meta }

// Param creates a parameter named name with the given shape and initialiser.
// One-dimensional parameters are excluded from weight decay.
func (b *Builder) Param(name string, init Init, shape ...int) *Param {
	full := b.Name(name)
	if b.reg.names[full] {
		panic(fmt.Sprintf("nn: parameter %q created twice", full))
	}
	b.reg.names[full] = true
	var t *tensor.Tensor
	if b.reg.meta {
		t = tensor.Meta(shape...)
	} else {
		t = tensor.New(shape...)
		init(b.reg.rng, t)
	}
	p := &Param{Var: autograd.Param(t), Name: full, NoDecay: len(shape) <= 1}
	b.reg.params = append(b.reg.params, p)
	return p
}

// Buffer registers a non-trained tensor of the model's state under name.
func (b *Builder) Buffer(name string, t *tensor.Tensor) {
	full := b.Name(name)
	if b.reg.names[full] {
		panic(fmt.Sprintf("nn: buffer %q created twice", full))
	}
	b.reg.names[full] = true
	b.reg.buffers = append(b.reg.buffers, Buffer{Name: full, Value: t})
}

// Params returns every parameter created through b or its sub-builders, in
// creation order.
func (b *Builder) Params() []*Param { return b.reg.params }

// Buffers returns every buffer registered through b or its sub-builders.
func (b *Builder) Buffers() []Buffer { return b.reg.buffers }

// CountParams returns the number of scalars in params whose name starts with
// prefix ("" for all).
func CountParams(params []*Param, prefix string) int64 {
	var n int64
	for _, p := range params {
		if prefix == "" || p.Name == prefix || strings.HasPrefix(p.Name, prefix+".") {
			n += int64(p.Value.Numel())
		}
	}
	return n
}

// SortedNames returns the parameter names in lexical order (for diffs
// against timm's state dict).
func SortedNames(params []*Param) []string {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	sort.Strings(names)
	return names
}
