package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Tensor is a float32 array with a shape, stored contiguously in row-major
// order. A nil Data marks a shape-only (meta) tensor.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Numel returns the product of the dimensions of shape (1 for a scalar).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			// A copy, so that shape itself does not escape (callers pass
			// shapes built on their stacks).
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", slices.Clone(shape)))
		}
		n *= d
	}
	return n
}

// New returns a zero-filled tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: cloneInts(shape), Data: make([]float32, Numel(shape))}
}

// Meta returns a shape-only tensor: it carries no data.
func Meta(shape ...int) *Tensor {
	Numel(shape) // validates
	return &Tensor{Shape: cloneInts(shape)}
}

// FromData wraps data (not copied) as a tensor of the given shape.
func FromData(data []float32, shape ...int) *Tensor {
	if n := Numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor: FromData: %d values do not fill shape %v (%d)", len(data), shape, n))
	}
	return &Tensor{Shape: cloneInts(shape), Data: data}
}

// Full returns a tensor of the given shape filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	t.Fill(v)
	return t
}

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{Shape: []int{}, Data: []float32{v}} }

// Randn returns a tensor of standard normal values scaled by std, drawn from rng.
func Randn(rng *rand.Rand, std float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64()) * std
	}
	return t
}

// Uniform returns a tensor of values uniform in [lo, hi), drawn from rng.
func Uniform(rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*float32(rng.Float64())
	}
	return t
}

// NewRand returns a PCG generator seeded by seed: the one way reprise makes a
// random source, so that every stream is named by a seed.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// IsMeta reports whether t carries no data.
func (t *Tensor) IsMeta() bool { return t.Data == nil }

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return Numel(t.Shape) }

// Dims returns the number of dimensions.
func (t *Tensor) Dims() int { return len(t.Shape) }

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// Clone returns a deep copy (a meta tensor stays meta).
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{Shape: cloneInts(t.Shape)}
	if t.Data != nil {
		c.Data = append([]float32(nil), t.Data...)
	}
	return c
}

// Reshape returns a view of t with a new shape sharing t's data. One
// dimension may be -1, to be inferred.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := ResolveShape(t.Numel(), shape)
	return &Tensor{Shape: s, Data: t.Data}
}

// ResolveShape replaces a single -1 in shape so that it holds numel elements,
// and panics if that is impossible.
func ResolveShape(numel int, shape []int) []int {
	s := cloneInts(shape)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: bad shape %v", shape))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || numel%known != 0 {
			panic(fmt.Sprintf("tensor: cannot reshape %d elements to %v", numel, shape))
		}
		s[infer] = numel / known
	} else if known != numel {
		panic(fmt.Sprintf("tensor: cannot reshape %d elements to %v", numel, shape))
	}
	return s
}

// Strides returns the row-major strides of shape.
func Strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BroadcastShapes returns the NumPy broadcast of shapes a and b, or false if
// they do not broadcast.
func BroadcastShapes(a, b []int) ([]int, bool) {
	out := make([]int, max(len(a), len(b)))
	if !BroadcastShapesInto(out, a, b) {
		return nil, false
	}
	return out, true
}

// BroadcastShapesInto is BroadcastShapes writing into out, which must have
// max(len(a), len(b)) elements; it reports whether a and b broadcast.
func BroadcastShapesInto(out, a, b []int) bool {
	n := len(out)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return false
		}
	}
	return true
}

// BitEqual reports whether a and b have the same shape and bit-identical data.
func BitEqual(a, b *Tensor) bool {
	if !SameShape(a.Shape, b.Shape) || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
			return false
		}
	}
	return true
}

// String prints the shape and, for small tensors, the values.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.Shape)
	switch {
	case t.IsMeta():
		b.WriteString("(meta)")
	case len(t.Data) <= 16:
		fmt.Fprintf(&b, "%v", t.Data)
	default:
		fmt.Fprintf(&b, "[%v ... %v]", t.Data[:4], t.Data[len(t.Data)-4:])
	}
	return b.String()
}

func cloneInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return append([]int(nil), s...)
}
