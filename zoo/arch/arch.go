// Package arch holds the types every model family shares: the options a
// model is built with, the Model interface, and Variant, one named
// configuration of a family. Family packages (zoo/vit, zoo/swin, ...)
// export their variants as tables; package zoo collects them into the
// registry.
package arch

import (
	"fmt"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
)

// Options are what a caller may change about a variant. Zero values mean
// the variant's defaults; zoo.New resolves them before calling Variant.New.
type Options struct {
	NumClasses int     // classifier outputs
	InChans    int     // input channels
	ImgSize    int     // input height = width
	DropPath   float32 // stochastic-depth rate (linearly increasing by depth where the paper does so)
	Dropout    float32 // dropout before the classifier
}

// Model is a network: logits [N, NumClasses] from images [N, InChans,
// ImgSize, ImgSize]. Forward calls c.Mark at the end of its stem, of each
// stage and of its head, so that per-stage tables come from the same code.
type Model interface {
	Forward(c *nn.Ctx, x *autograd.Var) *autograd.Var
}

// Distilled is a model with a second, distillation head (DeiT's
// distillation token). Forward returns the mean of both heads' logits, as
// DeiT evaluates; ForwardBoth returns the class-token and distillation-token
// logits separately, for training.
type Distilled interface {
	Model
	ForwardBoth(c *nn.Ctx, x *autograd.Var) (cls, dist *autograd.Var)
}

// Variant is one named configuration of a family.
type Variant struct {
	// Name is timm's model name for full-size variants
	// ("deit_tiny_patch16_224"); reduced-scale twins are named
	// "<family>_<variant>_r28" (28x28x1 input) or "_r32" (32x32x3), with
	// 10 classes (see package zoo).
	Name string
	// Family is the family's package name ("vit", "swin", ...).
	Family string
	// Twin marks a reduced-scale twin.
	Twin bool
	// Defaults are the options the variant is published with.
	Defaults Options
	// New builds the model's parameters through b with fully resolved
	// options (no zero values) and returns the model.
	New func(b *nn.Builder, o Options) Model
}

// Resolve fills the zero fields of o from the variant's defaults.
func (v Variant) Resolve(o Options) Options {
	d := v.Defaults
	if o.NumClasses == 0 {
		o.NumClasses = d.NumClasses
	}
	if o.InChans == 0 {
		o.InChans = d.InChans
	}
	if o.ImgSize == 0 {
		o.ImgSize = d.ImgSize
	}
	if o.DropPath == 0 {
		o.DropPath = d.DropPath
	}
	if o.Dropout == 0 {
		o.Dropout = d.Dropout
	}
	return o
}

// Validate reports options that make no sense for any model.
func (o Options) Validate() error {
	switch {
	case o.NumClasses < 1:
		return fmt.Errorf("num classes %d: want at least 1", o.NumClasses)
	case o.InChans < 1:
		return fmt.Errorf("input channels %d: want at least 1", o.InChans)
	case o.ImgSize < 1:
		return fmt.Errorf("image size %d: want at least 1", o.ImgSize)
	case o.DropPath < 0 || o.DropPath >= 1:
		return fmt.Errorf("drop-path rate %g: want [0, 1)", o.DropPath)
	case o.Dropout < 0 || o.Dropout >= 1:
		return fmt.Errorf("dropout rate %g: want [0, 1)", o.Dropout)
	}
	return nil
}

// DropPathRates returns the per-block stochastic-depth rates for n blocks
// rising linearly from 0 to rate, as timm's
// [x.item() for x in torch.linspace(0, drop_path_rate, depth)].
func DropPathRates(rate float32, n int) []float32 {
	r := make([]float32, n)
	for i := range r {
		if n > 1 {
			r[i] = rate * float32(i) / float32(n-1)
		}
	}
	return r
}
