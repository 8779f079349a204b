// Package optim holds the optimisers, learning-rate schedules and weight
// averaging that the papers' recipes use: SGD (momentum, Nesterov),
// RMSProp in TensorFlow's flavour (EfficientNet, NASNet, MobileNetV3),
// Adam and AdamW (DeiT, Swin, Mixer, ResMLP), gradient clipping, an
// exponential moving average of weights; warmup, cosine (SGDR), step,
// exponential and reduce-on-plateau schedules; and the linear scaling rule.
//
// Optimisers update nn.Params from their gradients in place. Parameters
// marked NoDecay (norms, biases, tokens) are excluded from weight decay.
// Every optimiser exposes its state as named tensors for checkpoints.
package optim

import (
	"fmt"
	"math"

	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update with learning rate lr. Parameters without a
	// gradient are left alone.
	Step(lr float64)
	// State returns the optimiser's state as named tensors (step count,
	// moment buffers), sharing memory: a checkpoint saves them, and
	// loading writes into them.
	State() []State
}

// State is one named tensor of an optimiser's state.
type State struct {
	Name  string
	Value *tensor.Tensor
}

// buffers returns one zero tensor per parameter, named "<param>.<kind>".
func buffers(params []*nn.Param, kind string, fill float32) ([]*tensor.Tensor, []State) {
	bufs := make([]*tensor.Tensor, len(params))
	states := make([]State, len(params))
	for i, p := range params {
		bufs[i] = tensor.Full(fill, p.Value.Shape...)
		states[i] = State{Name: p.Name + "." + kind, Value: bufs[i]}
	}
	return bufs, states
}

// stepCounter is the number of updates taken, kept as a one-element tensor
// so that it checkpoints with the rest of the state.
type stepCounter struct{ t *tensor.Tensor }

func newStepCounter() stepCounter { return stepCounter{tensor.New(1)} }
func (s stepCounter) inc() int    { s.t.Data[0]++; return int(s.t.Data[0]) }
func (s stepCounter) state() State {
	return State{Name: "step", Value: s.t}
}

// SGD is stochastic gradient descent with momentum as torch.optim.SGD:
// g ← g + wd·p (L2, skipped for NoDecay); b ← μ·b + g (b = g on the first
// step); g ← g + μ·b if Nesterov else b; p ← p − lr·g.
type SGD struct {
	Momentum, WeightDecay float32
	Nesterov              bool
	params                []*nn.Param
	buf                   []*tensor.Tensor
	states                []State
	step                  stepCounter
}

// NewSGD returns SGD over params.
func NewSGD(params []*nn.Param, momentum, weightDecay float32, nesterov bool) *SGD {
	if nesterov && momentum <= 0 {
		panic("optim: Nesterov SGD needs momentum > 0")
	}
	s := &SGD{Momentum: momentum, WeightDecay: weightDecay, Nesterov: nesterov, params: params, step: newStepCounter()}
	s.buf, s.states = buffers(params, "momentum_buffer", 0)
	return s
}

// Step implements Optimizer.
func (s *SGD) Step(lr float64) {
	first := s.step.inc() == 1
	for i, p := range s.params {
		if p.Grad == nil {
			continue
		}
		pd, g, b := p.Value.Data, p.Grad.Data, s.buf[i].Data
		wd := s.WeightDecay
		if p.NoDecay {
			wd = 0
		}
		for j := range pd {
			gj := g[j] + wd*pd[j]
			if s.Momentum != 0 {
				if first {
					b[j] = gj
				} else {
					b[j] = s.Momentum*b[j] + gj
				}
				if s.Nesterov {
					gj += s.Momentum * b[j]
				} else {
					gj = b[j]
				}
			}
			pd[j] -= float32(lr) * gj
		}
	}
}

// State implements Optimizer.
func (s *SGD) State() []State { return append([]State{s.step.state()}, s.states...) }

// Adam is torch.optim.Adam (Decoupled false: L2 weight decay added to the
// gradient) or torch.optim.AdamW (Decoupled true: p ← p·(1 − lr·wd) before
// the update), with the same float32 order of operations as PyTorch's
// single-tensor implementation:
//
//	m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//	p ← p − (lr/(1−β1^t)) · m / (√v/√(1−β2^t) + ε)
type Adam struct {
	Beta1, Beta2, Eps, WeightDecay float32
	Decoupled                      bool
	params                         []*nn.Param
	m, v                           []*tensor.Tensor
	states                         []State
	step                           stepCounter
}

// NewAdam returns Adam (decoupled=false) or AdamW (decoupled=true).
func NewAdam(params []*nn.Param, beta1, beta2, eps, weightDecay float32, decoupled bool) *Adam {
	a := &Adam{Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: weightDecay, Decoupled: decoupled, params: params, step: newStepCounter()}
	var sm, sv []State
	a.m, sm = buffers(params, "exp_avg", 0)
	a.v, sv = buffers(params, "exp_avg_sq", 0)
	a.states = append(sm, sv...)
	return a
}

// Step implements Optimizer.
func (a *Adam) Step(lr float64) {
	t := a.step.inc()
	bc1 := 1 - math.Pow(float64(a.Beta1), float64(t))
	bc2 := 1 - math.Pow(float64(a.Beta2), float64(t))
	stepSize := float32(lr / bc1)
	sqrtBC2 := float32(math.Sqrt(bc2))
	for i, p := range a.params {
		if p.Grad == nil {
			continue
		}
		pd, g, m, v := p.Value.Data, p.Grad.Data, a.m[i].Data, a.v[i].Data
		wd := a.WeightDecay
		if p.NoDecay {
			wd = 0
		}
		decay := float32(1 - lr*float64(wd))
		for j := range pd {
			gj := g[j]
			if a.Decoupled {
				pd[j] *= decay
			} else {
				gj += wd * pd[j]
			}
			m[j] = a.Beta1*m[j] + (1-a.Beta1)*gj
			v[j] = a.Beta2*v[j] + (1-a.Beta2)*gj*gj
			denom := float32(math.Sqrt(float64(v[j])))/sqrtBC2 + a.Eps
			pd[j] -= stepSize * (m[j] / denom)
		}
	}
}

// State implements Optimizer.
func (a *Adam) State() []State { return append([]State{a.step.state()}, a.states...) }

// RMSPropTF is RMSProp as TensorFlow computes it (and timm's RMSpropTF,
// which EfficientNet, MobileNetV3 and NASNet trained with): ε inside the
// square root, the mean square initialised to one, and the learning rate
// inside the momentum:
//
//	g ← g + wd·p (L2);  s ← ρ·s + (1−ρ)·g²;  b ← μ·b + lr·g/√(s + ε);  p ← p − b
type RMSPropTF struct {
	Rho, Momentum, Eps, WeightDecay float32
	params                          []*nn.Param
	sq, buf                         []*tensor.Tensor
	states                          []State
	step                            stepCounter
}

// NewRMSPropTF returns TF-flavoured RMSProp (EfficientNet: ρ 0.9, μ 0.9,
// ε 1e-3).
func NewRMSPropTF(params []*nn.Param, rho, momentum, eps, weightDecay float32) *RMSPropTF {
	r := &RMSPropTF{Rho: rho, Momentum: momentum, Eps: eps, WeightDecay: weightDecay, params: params, step: newStepCounter()}
	var s1, s2 []State
	r.sq, s1 = buffers(params, "square_avg", 1)
	r.buf, s2 = buffers(params, "momentum_buffer", 0)
	r.states = append(s1, s2...)
	return r
}

// Step implements Optimizer.
func (r *RMSPropTF) Step(lr float64) {
	r.step.inc()
	for i, p := range r.params {
		if p.Grad == nil {
			continue
		}
		pd, g, s, b := p.Value.Data, p.Grad.Data, r.sq[i].Data, r.buf[i].Data
		wd := r.WeightDecay
		if p.NoDecay {
			wd = 0
		}
		for j := range pd {
			gj := g[j] + wd*pd[j]
			s[j] = r.Rho*s[j] + (1-r.Rho)*gj*gj
			b[j] = r.Momentum*b[j] + float32(lr)*gj/float32(math.Sqrt(float64(s[j]+r.Eps)))
			pd[j] -= b[j]
		}
	}
}

// State implements Optimizer.
func (r *RMSPropTF) State() []State { return append([]State{r.step.state()}, r.states...) }

// ClipGradNorm scales every gradient by max/‖g‖ when the global L2 norm ‖g‖
// of all gradients exceeds max, as torch.nn.utils.clip_grad_norm_ (which
// uses max/(‖g‖+1e-6)). It returns the norm before clipping; a NaN or
// infinite norm is returned as is, with gradients untouched, for the caller
// to stop on.
func ClipGradNorm(params []*nn.Param, max float64) float64 {
	var ss float64
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, g := range p.Grad.Data {
			ss += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(ss)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	coef := max / (norm + 1e-6)
	if coef < 1 {
		for _, p := range params {
			if p.Grad == nil {
				continue
			}
			for j := range p.Grad.Data {
				p.Grad.Data[j] *= float32(coef)
			}
		}
	}
	return norm
}

// EMA keeps an exponential moving average of parameters and buffers
// (timm's ModelEmaV2): shadow ← d·shadow + (1−d)·value after each update.
type EMA struct {
	Decay  float32
	values []*tensor.Tensor
	shadow []*tensor.Tensor
	names  []string
}

// NewEMA starts an average at the current values of params and buffers.
func NewEMA(decay float32, params []*nn.Param, buffers []nn.Buffer) *EMA {
	if decay < 0 || decay >= 1 {
		panic(fmt.Sprintf("optim: EMA decay %g outside [0, 1)", decay))
	}
	e := &EMA{Decay: decay}
	add := func(name string, t *tensor.Tensor) {
		e.names = append(e.names, name)
		e.values = append(e.values, t)
		e.shadow = append(e.shadow, t.Clone())
	}
	for _, p := range params {
		add(p.Name, p.Value)
	}
	for _, b := range buffers {
		add(b.Name, b.Value)
	}
	return e
}

// Update moves the average towards the current values.
func (e *EMA) Update() {
	for i, v := range e.values {
		s := e.shadow[i].Data
		for j, x := range v.Data {
			s[j] = e.Decay*s[j] + (1-e.Decay)*x
		}
	}
}

// Swap exchanges the model's values and the averages (call it again to
// swap back): evaluate the EMA model between two Swaps.
func (e *EMA) Swap() {
	for i, v := range e.values {
		for j := range v.Data {
			v.Data[j], e.shadow[i].Data[j] = e.shadow[i].Data[j], v.Data[j]
		}
	}
}

// State returns the averages as named tensors ("ema.<name>").
func (e *EMA) State() []State {
	out := make([]State, len(e.shadow))
	for i, s := range e.shadow {
		out[i] = State{Name: "ema." + e.names[i], Value: s}
	}
	return out
}
