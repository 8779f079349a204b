package data

import (
	"fmt"
	"math/rand/v2"
)

// AugConfig is a recipe's data augmentation, in timm's terms. Zero values
// turn each augmentation off.
type AugConfig struct {
	// RandomCropPad pads each side by this many pixels (zeros) and crops
	// back to the image size at a random offset (the CIFAR/MNIST crop).
	RandomCropPad int `json:"random_crop_pad,omitempty"`
	// HFlip flips horizontally with probability 0.5.
	HFlip bool `json:"hflip,omitempty"`
	// Mean and Std normalise each channel after the geometric and colour
	// augmentations (len = channels; empty: no normalisation).
	Mean []float32 `json:"mean,omitempty"`
	Std  []float32 `json:"std,omitempty"`
}

// Pipeline returns the per-sample and per-batch transforms of cfg for
// images of c×h×w in classes classes, in timm's order: geometric
// (crop, flip), colour, normalisation, then erasing; mixing per batch.
func Pipeline(cfg AugConfig, c, h, w, classes int) ([]SampleTransform, BatchTransform, error) {
	var st []SampleTransform
	if cfg.RandomCropPad < 0 {
		return nil, nil, fmt.Errorf("data: random-crop padding %d < 0", cfg.RandomCropPad)
	}
	if cfg.RandomCropPad > 0 {
		st = append(st, RandomCrop{Pad: cfg.RandomCropPad})
	}
	if cfg.HFlip {
		st = append(st, HFlip{})
	}
	if len(cfg.Mean) > 0 || len(cfg.Std) > 0 {
		if len(cfg.Mean) != c || len(cfg.Std) != c {
			return nil, nil, fmt.Errorf("data: normalisation has %d means and %d stds for %d channels", len(cfg.Mean), len(cfg.Std), c)
		}
		for _, s := range cfg.Std {
			if s <= 0 {
				return nil, nil, fmt.Errorf("data: normalisation std %g must be positive", s)
			}
		}
		st = append(st, Normalize{Mean: cfg.Mean, Std: cfg.Std})
	}
	return st, nil, nil
}

// RandomCrop pads an image by Pad zeros on every side and crops it back to
// its size at a uniformly random offset in [0, 2·Pad]².
type RandomCrop struct{ Pad int }

// Apply implements SampleTransform. It draws the row offset, then the
// column offset.
func (r RandomCrop) Apply(rng *rand.Rand, img []float32, c, h, w int) {
	dy, dx := rng.IntN(2*r.Pad+1)-r.Pad, rng.IntN(2*r.Pad+1)-r.Pad
	if dy == 0 && dx == 0 {
		return
	}
	src := append([]float32(nil), img...)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				sy, sx := y+dy, x+dx
				v := float32(0)
				if sy >= 0 && sy < h && sx >= 0 && sx < w {
					v = src[(ch*h+sy)*w+sx]
				}
				img[(ch*h+y)*w+x] = v
			}
		}
	}
}

// HFlip mirrors an image left-right with probability 0.5 (one draw).
type HFlip struct{}

// Apply implements SampleTransform.
func (HFlip) Apply(rng *rand.Rand, img []float32, c, h, w int) {
	if rng.IntN(2) == 0 {
		return
	}
	for r := 0; r < c*h; r++ {
		row := img[r*w : (r+1)*w]
		for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}

// Normalize maps each channel ch to (x − Mean[ch]) / Std[ch]. It draws
// nothing.
type Normalize struct{ Mean, Std []float32 }

// Apply implements SampleTransform.
func (n Normalize) Apply(_ *rand.Rand, img []float32, c, h, w int) {
	for ch := 0; ch < c; ch++ {
		m, inv := n.Mean[ch], 1/n.Std[ch]
		p := img[ch*h*w : (ch+1)*h*w]
		for i := range p {
			p[i] = (p[i] - m) * inv
		}
	}
}
