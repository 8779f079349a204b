package zoo

import (
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/loss"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/optim"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// TestTrainStepAllocs bounds the heap allocations of a steady-state
// training step (forward, cross-entropy, backward, AdamW update) of small
// twins at batch 2: the tape's arena recycles every buffer, header, shape
// and recorded backward, and the kernels run pooled jobs instead of
// closures, so a step should allocate (almost) nothing: 0 per step was
// measured for every twin; the bound leaves room for pools refilled after
// a garbage collection. A change that adds allocations per op shows here.
func TestTrainStepAllocs(t *testing.T) {
	// Every reduced twin; a step of each at batch 2 takes milliseconds.
	const bound = 10
	for _, name := range []string{
		"vit_tiny_r28", "deit_tiny_r28", "deit_tiny_distilled_r28", "swin_tiny_r28",
		"mixer_s_r28", "resmlp_12_r28", "resnet18_r28", "efficientnet_b0_r28",
		"efficientnetv2_s_r28", "mobilenetv3_large_r28", "regnety_r28",
		"nasnet_mobile_r28", "randwire_small_r28",
	} {
		t.Run(name, func(t *testing.T) {
			m, err := New(name, arch.Options{}, 1)
			if err != nil {
				t.Fatal(err)
			}
			const bs = 2
			o := m.Options
			x := autograd.Const(tensor.Randn(tensor.NewRand(2), 1, bs, o.InChans, o.ImgSize, o.ImgSize))
			labels := make([]int, bs)
			for i := range labels {
				labels[i] = i % o.NumClasses
			}
			opt := optim.NewAdam(m.Params, 0.9, 0.999, 1e-8, 0.05, true)
			rng := tensor.NewRand(3)
			tp := autograd.NewTape()
			ctx := &nn.Ctx{Tape: tp, Train: true, RNG: rng}
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
			step() // warm-up: the arena, slabs and pools fill
			step()
			got := testing.AllocsPerRun(5, step)
			t.Logf("%s: %.0f allocations per step", name, got)
			if got > bound {
				t.Errorf("%s: a training step allocates %.0f times, want at most %d", name, got, bound)
			}
		})
	}
}
