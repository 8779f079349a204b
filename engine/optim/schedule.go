package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate at a point of training measured in
// epochs (fractional: a per-step schedule passes step/stepsPerEpoch).
type Schedule interface {
	LR(epoch float64) float64
}

// ScaleLR is the linear scaling rule of Goyal et al. as DeiT states it:
// lr = base × batch / 512.
func ScaleLR(base float64, batch int) float64 { return base * float64(batch) / 512 }

// Warmup ramps linearly from Start to the wrapped schedule's value at
// Epochs, then follows it (timm: warmup_lr_init + t·(lr − warmup_lr_init)/warmup_t,
// with the wrapped schedule's value at the end of warmup as target).
type Warmup struct {
	Epochs float64
	Start  float64
	Then   Schedule
}

// LR implements Schedule.
func (w Warmup) LR(epoch float64) float64 {
	if epoch < w.Epochs {
		target := w.Then.LR(w.Epochs)
		return w.Start + (target-w.Start)*epoch/w.Epochs
	}
	return w.Then.LR(epoch)
}

// Cosine anneals from Base to Min over Period epochs,
// η = Min + ½(Base − Min)(1 + cos(π·t/T)) (SGDR, Loshchilov & Hutter); with
// Restarts, T starts at Period and is multiplied by Mult at each restart
// (torch's CosineAnnealingWarmRestarts with T_0 = Period, T_mult = Mult).
// Without restarts it stays at Min after Period epochs. Offset shifts the
// schedule (e.g. by a warmup's length).
type Cosine struct {
	Base, Min, Period float64
	Restarts          bool
	Mult              float64
	Offset            float64
}

// LR implements Schedule.
func (c Cosine) LR(epoch float64) float64 {
	t, T := epoch-c.Offset, c.Period
	if t < 0 {
		t = 0
	}
	if c.Restarts {
		mult := c.Mult
		if mult == 0 {
			mult = 1
		}
		for t >= T {
			t -= T
			T *= mult
		}
	} else if t >= T {
		return c.Min
	}
	return c.Min + 0.5*(c.Base-c.Min)*(1+math.Cos(math.Pi*t/T))
}

// Step multiplies Base by Gamma every Every epochs (staircase, as
// torch.optim.lr_scheduler.StepLR; EfficientNet's 0.97 every 2.4 epochs is
// Step{Gamma: 0.97, Every: 2.4}).
type Step struct {
	Base, Gamma, Every float64
}

// LR implements Schedule.
func (s Step) LR(epoch float64) float64 {
	return s.Base * math.Pow(s.Gamma, math.Floor(epoch/s.Every+1e-9))
}

// Exponential is Base·Gamma^epoch (continuous; torch's ExponentialLR at
// whole epochs).
type Exponential struct {
	Base, Gamma float64
}

// LR implements Schedule.
func (e Exponential) LR(epoch float64) float64 { return e.Base * math.Pow(e.Gamma, epoch) }

// Plateau reduces the learning rate by Factor when a metric has not
// improved for more than Patience observations, as torch's
// ReduceLROnPlateau (threshold_mode "rel", cooldown 0): it is stateful, fed
// by Observe once per epoch.
type Plateau struct {
	Factor    float64
	Patience  int
	Min       float64
	Maximize  bool    // the metric improves upwards (accuracy) rather than downwards (loss)
	Threshold float64 // relative improvement that counts (torch default 1e-4)

	lr    float64
	best  float64
	bad   int
	begun bool
}

// NewPlateau starts at base.
func NewPlateau(base, factor float64, patience int, min float64, maximize bool) *Plateau {
	if factor <= 0 || factor >= 1 {
		panic(fmt.Sprintf("optim: Plateau factor %g outside (0, 1)", factor))
	}
	return &Plateau{Factor: factor, Patience: patience, Min: min, Maximize: maximize, Threshold: 1e-4, lr: base}
}

// Observe records an epoch's metric and returns the learning rate for the
// next epoch.
func (p *Plateau) Observe(metric float64) float64 {
	better := !p.begun
	if p.begun {
		if p.Maximize {
			better = metric > p.best*(1+p.Threshold)
		} else {
			better = metric < p.best*(1-p.Threshold)
		}
	}
	if better {
		p.best, p.bad, p.begun = metric, 0, true
	} else {
		p.bad++
	}
	if p.bad > p.Patience {
		p.lr = math.Max(p.lr*p.Factor, p.Min)
		p.bad = 0
	}
	return p.lr
}

// LR implements Schedule: the current rate, whatever the epoch.
func (p *Plateau) LR(float64) float64 { return p.lr }
