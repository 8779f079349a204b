package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// AugConfig is a recipe's data augmentation, in timm's terms. Zero values
// turn each augmentation off. DeiT's recipe (Touvron et al., Tab. 9) is
//
//	{RandomResizedCrop: true, HFlip: true,
//	 RandAugment: {N: 2, M: 9, MStd: 0.5, Interp: "bicubic"},
//	 Mean: ..., Std: ..., EraseProb: 0.25,
//	 Mixup: 0.8, CutMix: 1, MixProb: 1, SwitchProb: 0.5, LabelSmoothing: 0.1}
type AugConfig struct {
	// RandomCropPad pads each side by this many pixels (zeros) and crops
	// back to the image size at a random offset (the CIFAR/MNIST crop).
	RandomCropPad int `json:"random_crop_pad,omitempty"`
	// RandomResizedCrop crops a random 8–100% of the area at aspect 3/4–4/3
	// and resizes it back (timm's default train crop). It excludes
	// RandomCropPad.
	RandomResizedCrop bool `json:"random_resized_crop,omitempty"`
	// HFlip flips horizontally with probability 0.5.
	HFlip bool `json:"hflip,omitempty"`
	// RandAugment is timm's rand-mM-nN-mstdS-inc1 (N = 0: off).
	RandAugment RandAugmentConfig `json:"rand_augment,omitzero"`
	// Mean and Std normalise each channel after the geometric and colour
	// augmentations (len = channels; empty: no normalisation).
	Mean []float32 `json:"mean,omitempty"`
	Std  []float32 `json:"std,omitempty"`
	// EraseProb is timm's random erasing probability (--reprob, mode
	// "pixel", one box), applied after normalisation.
	EraseProb float32 `json:"erase_prob,omitempty"`
	// CutoutSize is the side of DeVries & Taylor's zero-filled square,
	// applied after normalisation (0: off).
	CutoutSize int `json:"cutout_size,omitempty"`
	// Mixup and CutMix are the Beta(α, α) parameters of timm's batch
	// mixing (0: off). MixProb is the probability of mixing a batch and
	// must be set (DeiT: 1) when either is; SwitchProb the probability of
	// CutMix when both are (DeiT: 0.5).
	Mixup      float64 `json:"mixup,omitempty"`
	CutMix     float64 `json:"cutmix,omitempty"`
	MixProb    float64 `json:"mix_prob,omitempty"`
	SwitchProb float64 `json:"switch_prob,omitempty"`
	// LabelSmoothing is ε of the mixed soft targets (timm's mixup_target).
	// Without Mixup or CutMix nothing here reads it: the loss smooths hard
	// labels.
	LabelSmoothing float32 `json:"label_smoothing,omitempty"`
}

// RandAugmentConfig is timm's RandAugment string: rand-m9-mstd0.5-inc1 is
// {N: 2, M: 9, MStd: 0.5}. The op set is always the "increasing" one.
type RandAugmentConfig struct {
	N    int     `json:"n,omitempty"`    // ops per image (0: off)
	M    float64 `json:"m,omitempty"`    // magnitude in [0, 10]
	MStd float64 `json:"mstd,omitempty"` // std of the magnitude noise
	// Interp resamples the geometric ops: "nearest" (default, PIL's),
	// "bilinear" or "bicubic" (DeiT's train_interpolation).
	Interp string `json:"interp,omitempty"`
}

// Pipeline returns the per-sample and per-batch transforms of cfg for
// images of c×h×w in classes classes, in timm's order: crop
// (RandomResizedCrop or RandomCrop), HFlip, RandAugment, Normalize,
// RandomErasing, Cutout; then Mixup/CutMix per batch. It checks every
// field, naming it in the error.
func Pipeline(cfg AugConfig, c, h, w, classes int) ([]SampleTransform, BatchTransform, error) {
	if err := cfg.validate(c, h, w, classes); err != nil {
		return nil, nil, err
	}
	var st []SampleTransform
	switch {
	case cfg.RandomResizedCrop:
		st = append(st, RandomResizedCrop{})
	case cfg.RandomCropPad > 0:
		st = append(st, RandomCrop{Pad: cfg.RandomCropPad})
	}
	if cfg.HFlip {
		st = append(st, HFlip{})
	}
	if ra := cfg.RandAugment; ra.N > 0 {
		interp, _ := ParseInterp(ra.Interp)
		t := RandAugment{N: ra.N, M: ra.M, MStd: ra.MStd, Interp: interp}
		if len(cfg.Mean) > 0 {
			// timm's transforms_factory fills with the dataset mean,
			// img_mean = min(255, round(255·mean)), rounded half to even.
			t.Fill = make([]float32, c)
			for i, m := range cfg.Mean {
				t.Fill[i] = float32(min(255, max(0, math.RoundToEven(255*decimal(m))))) / 255
			}
		}
		st = append(st, t)
	}
	if len(cfg.Mean) > 0 {
		st = append(st, Normalize{Mean: cfg.Mean, Std: cfg.Std})
	}
	if cfg.EraseProb > 0 {
		st = append(st, RandomErasing{P: decimal(cfg.EraseProb)})
	}
	if cfg.CutoutSize > 0 {
		st = append(st, Cutout{Size: cfg.CutoutSize})
	}
	var bt BatchTransform
	if cfg.Mixup > 0 || cfg.CutMix > 0 {
		bt = Mixup{MixupAlpha: cfg.Mixup, CutMixAlpha: cfg.CutMix, Prob: cfg.MixProb,
			SwitchProb: cfg.SwitchProb, LabelSmoothing: decimal(cfg.LabelSmoothing)}
	}
	return st, bt, nil
}

// decimal widens a float32 config value to the float64 of its shortest
// decimal form (0.1, not 0.100000001), the value Python would hold.
func decimal(v float32) float64 {
	d, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return d
}

// inUnit reports whether v is in [0, 1] (false for NaN).
func inUnit(v float64) bool { return v >= 0 && v <= 1 }

// validate checks every field of cfg for c×h×w images in classes classes.
func (cfg AugConfig) validate(c, h, w, classes int) error {
	switch {
	case cfg.RandomCropPad < 0:
		return fmt.Errorf("data: random_crop_pad %d < 0", cfg.RandomCropPad)
	case cfg.RandomCropPad > 0 && cfg.RandomResizedCrop:
		return fmt.Errorf("data: random_crop_pad %d and random_resized_crop both set: choose one crop", cfg.RandomCropPad)
	}
	ra := cfg.RandAugment
	if _, err := ParseInterp(ra.Interp); err != nil {
		return fmt.Errorf("data: rand_augment.interp %q: want nearest, bilinear or bicubic", ra.Interp)
	}
	switch {
	case ra.N < 0:
		return fmt.Errorf("data: rand_augment.n %d < 0", ra.N)
	case ra.N == 0 && (ra.M != 0 || ra.MStd != 0 || ra.Interp != ""):
		return fmt.Errorf("data: rand_augment has m, mstd or interp but n is 0 (off)")
	case ra.N > 0 && !(ra.M >= 0 && ra.M <= 10):
		return fmt.Errorf("data: rand_augment.m %g outside [0, 10]", ra.M)
	case ra.N > 0 && !(ra.MStd >= 0 && ra.MStd <= 100):
		return fmt.Errorf("data: rand_augment.mstd %g outside [0, 100]", ra.MStd)
	case ra.N > 0 && c != 1 && c != 3:
		return fmt.Errorf("data: rand_augment needs 1 or 3 channels, not %d", c)
	}
	if len(cfg.Mean) > 0 || len(cfg.Std) > 0 {
		if len(cfg.Mean) != c || len(cfg.Std) != c {
			return fmt.Errorf("data: mean/std: %d means and %d stds for %d channels", len(cfg.Mean), len(cfg.Std), c)
		}
		for _, s := range cfg.Std {
			if !(s > 0) {
				return fmt.Errorf("data: std %g must be positive", s)
			}
		}
	}
	switch {
	case !inUnit(float64(cfg.EraseProb)):
		return fmt.Errorf("data: erase_prob %g outside [0, 1]", cfg.EraseProb)
	case cfg.CutoutSize < 0 || cfg.CutoutSize > max(h, w):
		return fmt.Errorf("data: cutout_size %d outside [0, %d] for %dx%d images", cfg.CutoutSize, max(h, w), h, w)
	case !(cfg.Mixup >= 0 && cfg.Mixup <= math.MaxFloat64):
		return fmt.Errorf("data: mixup alpha %g must be finite and ≥ 0", cfg.Mixup)
	case !(cfg.CutMix >= 0 && cfg.CutMix <= math.MaxFloat64):
		return fmt.Errorf("data: cutmix alpha %g must be finite and ≥ 0", cfg.CutMix)
	case !inUnit(cfg.MixProb):
		return fmt.Errorf("data: mix_prob %g outside [0, 1]", cfg.MixProb)
	case !inUnit(cfg.SwitchProb):
		return fmt.Errorf("data: switch_prob %g outside [0, 1]", cfg.SwitchProb)
	case !(cfg.LabelSmoothing >= 0 && cfg.LabelSmoothing < 1):
		return fmt.Errorf("data: label_smoothing %g outside [0, 1)", cfg.LabelSmoothing)
	}
	mixing := cfg.Mixup > 0 || cfg.CutMix > 0
	switch {
	case mixing && cfg.MixProb == 0:
		return fmt.Errorf("data: mix_prob is 0 with mixup %g / cutmix %g: set it (DeiT: 1)", cfg.Mixup, cfg.CutMix)
	case !mixing && (cfg.MixProb != 0 || cfg.SwitchProb != 0):
		return fmt.Errorf("data: mix_prob %g / switch_prob %g set without mixup or cutmix", cfg.MixProb, cfg.SwitchProb)
	case cfg.Mixup > 0 && cfg.CutMix > 0 && cfg.SwitchProb == 0:
		return fmt.Errorf("data: switch_prob is 0 with both mixup and cutmix: CutMix would never run (DeiT: 0.5)")
	case mixing && classes < 1:
		return fmt.Errorf("data: mixup/cutmix targets need classes ≥ 1, not %d", classes)
	}
	return nil
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
