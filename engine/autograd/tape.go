package autograd

import (
	"fmt"
	"math"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Var is a node of the computation: a value and, once Backward has run, the
// gradient of the loss with respect to it.
//
// The value and gradient of a Var produced by an op on a tape live in that
// tape's arena: they are valid until the tape's next Reset, which recycles
// them for the next step, and so does the Var itself (its header, shape and
// gradient header come from the arena too). Read what you need (the loss,
// the logits) before resetting; parameters and other leaves are never
// recycled.
type Var struct {
	Value *tensor.Tensor
	Grad  *tensor.Tensor

	requiresGrad bool
	arena        *arena // where the gradient is allocated; nil for leaves
}

// Param wraps t as a leaf that needs a gradient (a parameter or an input
// being differentiated).
func Param(t *tensor.Tensor) *Var { return &Var{Value: t, requiresGrad: true} }

// Const wraps t as a leaf that needs no gradient.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// Detach returns a Const sharing v's value: gradients stop there.
func Detach(v *Var) *Var { return Const(v.Value) }

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape }

// ZeroGrad sets v's gradient to zero, keeping its buffer.
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		v.Grad.Fill(0)
	}
}

// grad returns v's gradient buffer, allocating zeros on first use (from
// the arena of the tape that produced v, if any).
func (v *Var) grad() []float32 {
	if v.Grad == nil {
		if v.arena != nil {
			v.Grad = v.arena.tensor(v.Value.Shape, v.arena.get(v.Value.Numel()))
		} else {
			v.Grad = tensor.New(v.Value.Shape...)
		}
	}
	return v.Grad.Data
}

// gradFresh returns v's gradient buffer, and whether it is fresh: nothing
// has been added to it yet and its contents are undefined (NaNs under
// arenaPoison), so the caller must write every element of it, clearing
// before it adds. It saves a separate clearing pass over the buffer.
// Values off a tape get a zeroed gradient and fresh = false.
func (v *Var) gradFresh() ([]float32, bool) {
	if v.Grad != nil || v.arena == nil {
		return v.grad(), false
	}
	v.Grad = v.arena.tensor(v.Value.Shape, v.arena.getRaw(v.Value.Numel()))
	return v.Grad.Data, true
}

// freshBlock is the run of a fresh gradient cleared at a time just before
// it is accumulated, small enough (64 KiB) to stay in cache in between.
const freshBlock = 1 << 14

// inFreshBlocks calls fn over [lo, hi) in runs of at most freshBlock.
func inFreshBlocks(lo, hi int, fn func(lo, hi int)) {
	for s := lo; s < hi; s += freshBlock {
		fn(s, min(hi, s+freshBlock))
	}
}

// Tape records the ops of a forward pass for Backward.
//
// A tape reused across steps (Reset between them) recycles the buffers of
// its intermediate values and gradients: the i-th buffer a step asks for is
// the i-th buffer of the previous step, so a training step of a fixed model
// and batch shape allocates no tensor memory in steady state.
type Tape struct {
	record bool
	nodes  []node
	macs   int64
	arena  arena
}

// arena hands out float32 buffers by position within a step, and the
// headers of the values it holds (Vars, tensors, shapes) from slabs that
// Reset rewinds too, so that a steady-state step allocates nothing for them.
type arena struct {
	bufs  [][]float32
	next  int
	vars  slab[Var]
	tens  slab[tensor.Tensor]
	ints  slab[int]
	i32s  slab[int32]
	vptrs slab[*Var]
	nodes nodeSlabs
}

// slabChunk is the number of values a slab allocates at once.
const slabChunk = 256

// slab hands out values of type T from chunks kept across rewinds. Runs
// longer than a chunk get buffers of their own, reused by position within
// a step as the arena's float buffers are.
type slab[T any] struct {
	chunks [][]T
	n      int // values handed out since the last rewind
	big    [][]T
	nbig   int // long runs handed out since the last rewind
}

// get returns the next value, zeroed.
func (s *slab[T]) get() *T {
	c, i := s.n/slabChunk, s.n%slabChunk
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, slabChunk))
	}
	s.n++
	p := &s.chunks[c][i]
	var zero T
	*p = zero
	return p
}

// run returns n consecutive values (a copy of src), from the slab when they
// fit in one chunk.
func (s *slab[T]) run(src []T) []T {
	n := len(src)
	if n > slabChunk {
		r := s.long(n)
		copy(r, src)
		return r
	}
	c, i := s.n/slabChunk, s.n%slabChunk
	if i+n > slabChunk {
		c, i = c+1, 0
	}
	for c >= len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, slabChunk))
	}
	s.n = c*slabChunk + i + n
	r := s.chunks[c][i : i+n : i+n]
	copy(r, src)
	return r
}

// make returns n consecutive zero values, from the slab when they fit in
// one chunk.
func (s *slab[T]) make(n int) []T {
	if n > slabChunk {
		r := s.long(n)
		clear(r)
		return r
	}
	c, i := s.n/slabChunk, s.n%slabChunk
	if i+n > slabChunk {
		c, i = c+1, 0
	}
	for c >= len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, slabChunk))
	}
	s.n = c*slabChunk + i + n
	r := s.chunks[c][i : i+n : i+n]
	clear(r)
	return r
}

// long returns a buffer of n values (n > slabChunk), its contents
// undefined: the one at this position of the step if it is large enough.
func (s *slab[T]) long(n int) []T {
	if s.nbig < len(s.big) && cap(s.big[s.nbig]) >= n {
		s.nbig++
		return s.big[s.nbig-1][:n:n]
	}
	r := make([]T, n)
	if s.nbig < len(s.big) {
		s.big[s.nbig] = r
	} else {
		s.big = append(s.big, r)
	}
	s.nbig++
	return r
}

// rewind makes every value reusable.
func (s *slab[T]) rewind() { s.n, s.nbig = 0, 0 }

// tensor returns a tensor header from the slab holding shape and data.
func (a *arena) tensor(shape []int, data []float32) *tensor.Tensor {
	t := a.tens.get()
	t.Shape, t.Data = shape, data
	return t
}

// newVar returns a Var from the slab holding a copy of shape and data.
func (a *arena) newVar(shape []int, data []float32) *Var {
	v := a.vars.get()
	v.Value = a.tensor(a.ints.run(shape), data)
	v.arena = a
	return v
}

// rewind makes every buffer and header reusable.
func (a *arena) rewind() {
	a.next = 0
	a.vars.rewind()
	a.tens.rewind()
	a.ints.rewind()
	a.i32s.rewind()
	a.vptrs.rewind()
	a.nodes.rewind()
}

// get returns a zeroed buffer of n values: the buffer at the current
// position if it is large enough, else a new one that takes its place.
func (a *arena) get(n int) []float32 {
	b := a.getRaw(n)
	if n < arenaClearGrain {
		clear(b)
		return b
	}
	kernels.Clear(b)
	return b
}

// arenaClearGrain is the smallest buffer get clears with kernels.Clear,
// on several workers.
const arenaClearGrain = 1 << 16

// arenaPoison makes getRaw fill every buffer it returns with NaNs. Tests
// set it to catch an op that asks for an uncleared buffer and then reads
// it, or leaves part of it unwritten.
var arenaPoison bool

// getRaw is get without the clearing: the buffer holds whatever the
// previous step left in it. Only ops that overwrite every element use it.
func (a *arena) getRaw(n int) []float32 {
	var b []float32
	if a.next < len(a.bufs) && cap(a.bufs[a.next]) >= n {
		b = a.bufs[a.next][:n]
	} else {
		b = make([]float32, n)
		if a.next < len(a.bufs) {
			a.bufs[a.next] = b
		} else {
			a.bufs = append(a.bufs, b)
		}
	}
	a.next++
	if arenaPoison {
		nan := float32(math.NaN())
		for i := range b {
			b[i] = nan
		}
	}
	return b
}

// alloc returns a zeroed scratch buffer of n values that lives until the
// next Reset (the heap for a nil tape).
func (t *Tape) alloc(n int) []float32 {
	if t == nil {
		return make([]float32, n)
	}
	return t.arena.get(n)
}

// allocRaw is alloc for scratch the caller overwrites before reading: on a
// tape, its old contents are not cleared.
func (t *Tape) allocRaw(n int) []float32 {
	if t == nil {
		return make([]float32, n)
	}
	return t.arena.getRaw(n)
}

// ints returns n zeroed ints that live until the next Reset (the heap for a
// nil tape): shapes and strides an op keeps for its backward.
func (t *Tape) ints(n int) []int {
	if t == nil {
		return make([]int, n)
	}
	return t.arena.ints.make(n)
}

// int32s is ints for int32 values (e.g. a max pool's argmax).
func (t *Tape) int32s(n int) []int32 {
	if t == nil {
		return make([]int32, n)
	}
	return t.arena.i32s.make(n)
}

// node is one recorded op: its output and its backward.
type node struct {
	op   string
	out  *Var
	back backward
}

// backward is the recorded backward of an op: given the gradient g of the
// op's output, it accumulates into the gradients of its inputs. Ops on the
// hot path of training record a struct from one of the arena's node slabs
// (nodeSlabs), so that a steady-state step allocates nothing for them;
// others record a closure (backFunc).
type backward interface {
	backward(g []float32)
}

// backFunc adapts a closure to backward (a func value converts to an
// interface without allocating, but a closure that captures variables is
// allocated where it is made).
type backFunc func(g []float32)

func (f backFunc) backward(g []float32) { f(g) }

// NewConst returns a Const holding zeros of the given shape, allocated like
// an op's output: from t's arena, valid until the next Reset (the heap for
// a nil tape). It is for per-step constants such as a loss's targets.
func (t *Tape) NewConst(shape ...int) *Var {
	if t == nil {
		return Const(tensor.New(shape...))
	}
	return t.arena.newVar(shape, t.arena.get(tensor.Numel(shape)))
}

// NewTape returns a tape that records ops for Backward.
func NewTape() *Tape { return &Tape{record: true} }

// NoGrad returns a tape that records nothing but counts multiply-accumulates.
func NoGrad() *Tape { return &Tape{} }

// MACs returns the multiply-accumulates counted since the tape was made or
// Reset: matmuls, linear layers and convolutions (see each op).
func (t *Tape) MACs() int64 {
	if t == nil {
		return 0
	}
	return t.macs
}

// Len returns the number of recorded ops.
func (t *Tape) Len() int {
	if t == nil {
		return 0
	}
	return len(t.nodes)
}

// Reset forgets the recorded ops and the MAC count and recycles the
// buffers of every value and gradient produced on the tape since the last
// Reset (see Var).
func (t *Tape) Reset() {
	clear(t.nodes)
	t.nodes = t.nodes[:0]
	t.macs = 0
	t.arena.rewind()
}

// Backward computes the gradients of loss, which must hold one element,
// with respect to every Var that needs one.
func (t *Tape) Backward(loss *Var) {
	if loss.Value.Numel() != 1 {
		panic(fmt.Sprintf("autograd: Backward: loss has shape %v, want one element", loss.Value.Shape))
	}
	t.checkRecords()
	loss.grad()[0]++ // seeded with 1, as BackwardFrom with a tensor of one 1
	t.propagate()
}

// BackwardFrom seeds out's gradient with g (same shape as out) and
// propagates it back through the tape.
func (t *Tape) BackwardFrom(out *Var, g *tensor.Tensor) {
	if !tensor.SameShape(out.Value.Shape, g.Shape) {
		panic(fmt.Sprintf("autograd: BackwardFrom: gradient shape %v, output shape %v", g.Shape, out.Value.Shape))
	}
	t.checkRecords()
	og := out.grad()
	for i, v := range g.Data {
		og[i] += v
	}
	t.propagate()
}

func (t *Tape) checkRecords() {
	if t == nil || !t.record {
		panic("autograd: Backward on a tape that does not record (nil or NoGrad)")
	}
}

// propagate runs the recorded backwards in reverse order, skipping ops
// whose output got no gradient.
func (t *Tape) propagate() {
	for i := len(t.nodes) - 1; i >= 0; i-- {
		n := t.nodes[i]
		if n.out.Grad == nil {
			continue
		}
		n.back.backward(n.out.Grad.Data)
	}
}

// addMACs counts n multiply-accumulates.
func (t *Tape) addMACs(n int) {
	if t != nil {
		t.macs += int64(n)
	}
}

// newOut allocates the output of an op on t: shape-only if any input is,
// from t's arena otherwise (the heap for a nil tape).
func (t *Tape) newOut(shape []int, inputs ...*Var) *Var {
	if t == nil {
		return newOut(shape, inputs...)
	}
	return t.newOutArena(shape, t.arena.get, inputs)
}

// newOutRaw is newOut for ops that write every element of their output:
// on a tape, the recycled buffer is not cleared first.
func (t *Tape) newOutRaw(shape []int, inputs ...*Var) *Var {
	if t == nil {
		return newOut(shape, inputs...)
	}
	return t.newOutArena(shape, t.arena.getRaw, inputs)
}

// newOutArena is a tape's output of shape with its buffer from get, or a
// shape-only one if an input is shape-only.
func (t *Tape) newOutArena(shape []int, get func(n int) []float32, inputs []*Var) *Var {
	for _, in := range inputs {
		if in != nil && in.Value.IsMeta() {
			return &Var{Value: tensor.Meta(shape...)}
		}
	}
	return t.arena.newVar(shape, get(tensor.Numel(shape)))
}

// newOut allocates the output of an op on the heap: shape-only if any
// input is.
func newOut(shape []int, inputs ...*Var) *Var {
	for _, in := range inputs {
		if in != nil && in.Value.IsMeta() {
			return &Var{Value: tensor.Meta(shape...)}
		}
	}
	return &Var{Value: tensor.New(shape...)}
}

// push records back as out's backward if the tape records, out carries data
// and some input needs a gradient.
func (t *Tape) push(op string, out *Var, back func(g []float32), inputs ...*Var) {
	if t.wants(out, inputs...) {
		t.pushNode(op, out, backFunc(back))
	}
}

// wants reports whether an op with these inputs and output out is to be
// recorded: the tape records, out carries data and some input needs a
// gradient.
func (t *Tape) wants(out *Var, inputs ...*Var) bool {
	if t == nil || !t.record || out.Value.IsMeta() {
		return false
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			return true
		}
	}
	return false
}

// pushNode appends b as out's backward; wants must have said yes.
func (t *Tape) pushNode(op string, out *Var, b backward) {
	out.requiresGrad = true
	t.nodes = append(t.nodes, node{op: op, out: out, back: b})
}

func isMeta(v *Var) bool { return v.Value.IsMeta() }

func panicf(format string, args ...any) {
	panic(fmt.Sprintf("autograd: "+format, args...))
}
