package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// Mixup is timm's Mixup in mode "batch" (Zhang et al., arXiv:1710.09412;
// CutMix: Yun et al., arXiv:1905.04899), DeiT's --mixup 0.8 --cutmix 1.0
// --mixup-prob 1 --mixup-switch-prob 0.5 --smoothing 0.1. With
// probability Prob the whole batch is mixed with its reverse (image i with
// image B−1−i): by CutMix with probability SwitchProb when both alphas are
// positive (else by whichever is), with λ ~ Beta(α, α) of the chosen
// method. Mixup blends x·λ + x_flip·(1−λ); CutMix pastes a box of x_flip
// (timm's rand_bbox: sides ⌊H·√(1−λ)⌋, ⌊W·√(1−λ)⌋, centre uniform, clipped)
// and corrects λ to 1 − box area/(H·W). The targets are always soft:
// MixTarget(labels, λ, LabelSmoothing), λ = 1 when not mixed.
//
// Apply draws, in order: one Float64 (mix if < Prob); if mixing with both
// alphas positive, one Float64 (CutMix if < SwitchProb); λ from gonum's
// distuv.Beta on rng (two Gamma draws); for CutMix the box centre row
// (IntN(H)) then column (IntN(W)).
type Mixup struct {
	MixupAlpha, CutMixAlpha float64
	Prob, SwitchProb        float64
	LabelSmoothing          float64
}

// Apply implements BatchTransform.
func (m Mixup) Apply(rng *rand.Rand, x *tensor.Tensor, labels []int, classes int) *tensor.Tensor {
	if len(x.Shape) != 4 || x.Shape[0] != len(labels) {
		panic(fmt.Sprintf("data: Mixup: batch of shape %v for %d labels", x.Shape, len(labels)))
	}
	lam, cut := 1.0, false
	if rng.Float64() < m.Prob {
		alpha := m.MixupAlpha
		switch {
		case m.MixupAlpha > 0 && m.CutMixAlpha > 0:
			if cut = rng.Float64() < m.SwitchProb; cut {
				alpha = m.CutMixAlpha
			}
		case m.CutMixAlpha > 0:
			cut, alpha = true, m.CutMixAlpha
		case m.MixupAlpha <= 0:
			panic("data: Mixup: neither alpha is positive")
		}
		lam = distuv.Beta{Alpha: alpha, Beta: alpha, Src: rng}.Rand()
	}
	if lam != 1 {
		if cut {
			lam = cutMix(rng, x, lam)
		} else {
			blendFlip(x, lam)
		}
	}
	return MixTarget(labels, classes, lam, m.LabelSmoothing)
}

// blendFlip sets x[i] = λ·x[i] + (1−λ)·x[B−1−i] in float32, as timm's
// x.mul_(λ).add_(x.flip(0).mul_(1−λ)).
func blendFlip(x *tensor.Tensor, lam float64) {
	b := x.Shape[0]
	sz := len(x.Data) / b
	src := append([]float32(nil), x.Data...)
	l, r := float32(lam), float32(1-lam)
	for i := 0; i < b; i++ {
		dst, a, f := x.Data[i*sz:(i+1)*sz], src[i*sz:(i+1)*sz], src[(b-1-i)*sz:(b-i)*sz]
		for k := range dst {
			dst[k] = float32(a[k]*l) + float32(f[k]*r)
		}
	}
}

// cutMixBox is timm's rand_bbox for an h×w image: rows [y0, y1), columns
// [x0, x1).
func cutMixBox(rng *rand.Rand, h, w int, lam float64) (y0, y1, x0, x1 int) {
	ratio := math.Sqrt(1 - lam)
	cutH, cutW := int(float64(h)*ratio), int(float64(w)*ratio)
	cy, cx := rng.IntN(h), rng.IntN(w)
	y0, y1 = min(h, max(0, cy-cutH/2)), min(h, max(0, cy+cutH/2))
	x0, x1 = min(w, max(0, cx-cutW/2)), min(w, max(0, cx+cutW/2))
	return y0, y1, x0, x1
}

// cutMix pastes the box from the flipped batch and returns the corrected λ.
func cutMix(rng *rand.Rand, x *tensor.Tensor, lam float64) float64 {
	b, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	y0, y1, x0, x1 := cutMixBox(rng, h, w, lam)
	src := append([]float32(nil), x.Data...)
	for i := 0; i < b; i++ {
		j := b - 1 - i
		for k := 0; k < c; k++ {
			for y := y0; y < y1; y++ {
				o := ((k*h + y) * w)
				copy(x.Data[(i*c*h*w)+o+x0:(i*c*h*w)+o+x1], src[(j*c*h*w)+o+x0:(j*c*h*w)+o+x1])
			}
		}
	}
	return 1 - float64((y1-y0)*(x1-x0))/float64(h*w)
}

// MixTarget is timm's mixup_target: λ·onehot(y) + (1−λ)·onehot(y_flip),
// y_flip[i] = y[B−1−i], with label smoothing ε (off value ε/K, on value
// 1 − ε + ε/K), in float32. Each row sums to 1.
func MixTarget(labels []int, classes int, lam, smoothing float64) *tensor.Tensor {
	b := len(labels)
	off := smoothing / float64(classes)
	on, offf := float32(1-smoothing+off), float32(off)
	l, r := float32(lam), float32(1-lam)
	t := tensor.New(b, classes)
	for i, y := range labels {
		yf := labels[b-1-i]
		row := t.Data[i*classes : (i+1)*classes]
		for k := range row {
			v1, v2 := offf, offf
			if k == y {
				v1 = on
			}
			if k == yf {
				v2 = on
			}
			row[k] = float32(v1*l) + float32(v2*r)
		}
	}
	return t
}
