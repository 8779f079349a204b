package bench

import (
	"fmt"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/loss"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/optim"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// BenchmarkForward times inference (evaluation mode, no tape) of every
// full-size model at its native resolution, reporting images per second:
//
//	go test -run '^$' -bench 'Forward/model=deit_tiny_patch16_224/' ./bench/
func BenchmarkForward(b *testing.B) {
	entries, err := zoo.List("")
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		if e.Twin {
			continue
		}
		for _, bs := range []int{1, 8} {
			b.Run(fmt.Sprintf("model=%s/bs=%d", e.Name, bs), func(b *testing.B) {
				m, err := zoo.New(e.Name, arch.Options{}, 1)
				if err != nil {
					b.Fatal(err)
				}
				o := m.Options
				x := autograd.Const(tensor.Randn(tensor.NewRand(2), 1, bs, o.InChans, o.ImgSize, o.ImgSize))
				// An inference tape, reset per pass, recycles activation buffers.
				ctx := &nn.Ctx{Tape: autograd.NoGrad()}
				m.Forward(ctx, x) // warm-up
				b.ResetTimer()
				for b.Loop() {
					ctx.Tape.Reset()
					m.Forward(ctx, x)
				}
				b.ReportMetric(float64(bs)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}

// BenchmarkTrainStep times one training step (forward, cross-entropy,
// backward, AdamW update) of every reduced twin at batch 128, reporting
// images per second and allocations:
//
//	go test -run '^$' -bench 'TrainStep/model=deit_tiny_r28/' -benchmem ./bench/
func BenchmarkTrainStep(b *testing.B) {
	entries, err := zoo.List("*_r[23][82]")
	if err != nil {
		b.Fatal(err)
	}
	const bs = 128
	for _, e := range entries {
		b.Run(fmt.Sprintf("model=%s/bs=%d", e.Name, bs), func(b *testing.B) {
			m, err := zoo.New(e.Name, arch.Options{}, 1)
			if err != nil {
				b.Fatal(err)
			}
			o := m.Options
			x := autograd.Const(tensor.Randn(tensor.NewRand(2), 1, bs, o.InChans, o.ImgSize, o.ImgSize))
			labels := make([]int, bs)
			for i := range labels {
				labels[i] = i % o.NumClasses
			}
			opt := optim.NewAdam(m.Params, 0.9, 0.999, 1e-8, 0.05, true)
			rng := tensor.NewRand(3)
			tp := autograd.NewTape()
			ctx := &nn.Ctx{Tape: tp, Train: true, RNG: rng} // made once: a step allocates nothing
			step := func() {
				tp.Reset()
				var logits *autograd.Var
				if d, ok := m.Model.(arch.Distilled); ok {
					logits, _ = d.ForwardBoth(ctx, x)
				} else {
					logits = m.Forward(ctx, x)
				}
				tp.Backward(loss.CrossEntropy(tp, logits, labels, 0.1))
				opt.Step(1e-4)
				for _, p := range m.Params {
					p.ZeroGrad()
				}
			}
			step() // warm-up
			b.ResetTimer()
			for b.Loop() {
				step()
			}
			b.ReportMetric(float64(bs)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
