package replicate

import (
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/data"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Metrics are a model's scores on a dataset.
type Metrics struct {
	Top1 float64 `json:"top1"` // %
	Top5 float64 `json:"top5"` // %
	Loss float64 `json:"loss"` // mean cross-entropy (no smoothing)
	// ECE is the expected calibration error (%) over 15 equal-width
	// confidence bins (Guo et al. 2017).
	ECE float64 `json:"ece"`
	N   int     `json:"n"`
}

const eceBins = 15

// Evaluate scores m on the images of l (in order, no augmentation beyond
// the loader's) in evaluation mode.
func Evaluate(m arch.Model, l *data.Loader) (Metrics, error) {
	var r Metrics
	var binConf, binAcc [eceBins]float64
	var binN [eceBins]int
	// An inference tape reset per batch recycles the activations' buffers.
	ctx := &nn.Ctx{Tape: autograd.NoGrad()}
	err := l.Epoch(0, 0, func(b *data.Batch) error {
		ctx.Tape.Reset()
		logits := m.Forward(ctx, autograd.Const(b.X)).Value
		k := logits.Shape[1]
		for i, y := range b.Labels {
			row := logits.Data[i*k : (i+1)*k]
			mx := row[0]
			for _, v := range row {
				mx = max(mx, v)
			}
			var z float64
			for _, v := range row {
				z += math.Exp(float64(v - mx))
			}
			r.Loss += -(float64(row[y]-mx) - math.Log(z))
			rank := 0
			for _, v := range row {
				if v > row[y] {
					rank++
				}
			}
			pred := argmax(row)
			if pred == y {
				r.Top1++
			}
			if rank < 5 {
				r.Top5++
			}
			conf := 1 / z // exp(max - max) / z
			bin := min(int(conf*eceBins), eceBins-1)
			binConf[bin] += conf
			if pred == y {
				binAcc[bin]++
			}
			binN[bin]++
			r.N++
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	n := float64(r.N)
	for i := range binN {
		if binN[i] > 0 {
			r.ECE += math.Abs(binAcc[i]-binConf[i]) / n
		}
	}
	r.Top1, r.Top5, r.Loss, r.ECE = 100*r.Top1/n, 100*r.Top5/n, r.Loss/n, 100*r.ECE
	return r, nil
}

func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}
