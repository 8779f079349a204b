package nn

import (
	"math/rand/v2"
	"strconv"

	"github.com/reprise-ml/reprise/engine/autograd"
)

// Ctx is what a forward pass needs besides its input.
type Ctx struct {
	// Tape records the pass for Backward; nil is inference.
	Tape *autograd.Tape
	// Train selects batch statistics in batch norm and turns dropout and
	// drop-path on.
	Train bool
	// RNG draws dropout and drop-path masks; required when Train is set and
	// a model has a non-zero rate.
	RNG *rand.Rand
	// Trace, if set, is called by models at the end of each stage (stem,
	// stages, head) with the stage's name and output, e.g. to tabulate
	// shapes and MACs per stage.
	Trace func(stage string, out *autograd.Var)
}

// Mark reports the end of a stage to c.Trace, if any.
func (c *Ctx) Mark(stage string, out *autograd.Var) {
	if c.Trace != nil {
		c.Trace(stage, out)
	}
}

// MarkIndexed reports the end of stage prefix+i (e.g. "blocks.3") to
// c.Trace, if any; the name is built only when traced, so an untraced
// pass does not allocate it.
func (c *Ctx) MarkIndexed(prefix string, i int, out *autograd.Var) {
	if c.Trace != nil {
		c.Trace(prefix+strconv.Itoa(i), out)
	}
}

// Act is an activation function, e.g. (*autograd.Tape).ReLU.
type Act func(*autograd.Tape, *autograd.Var) *autograd.Var

// The activations of the zoo, as Act values.
var (
	ReLU        Act = (*autograd.Tape).ReLU
	ReLU6       Act = (*autograd.Tape).ReLU6
	SiLU        Act = (*autograd.Tape).SiLU
	HardSwish   Act = (*autograd.Tape).HardSwish
	HardSigmoid Act = (*autograd.Tape).HardSigmoid
	Sigmoid     Act = (*autograd.Tape).Sigmoid
	GELU        Act = (*autograd.Tape).GELU
	GELUTanh    Act = (*autograd.Tape).GELUTanh
	Identity    Act = func(_ *autograd.Tape, x *autograd.Var) *autograd.Var { return x }
)
