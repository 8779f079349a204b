package data

import (
	"fmt"
	"math/rand/v2"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// SampleTransform changes one image in place: img holds C·H·W float32
// values (in [0, 1] before Normalize), and the image keeps its size.
// Transforms draw only from rng, which the loader seeds per sample.
type SampleTransform interface {
	Apply(rng *rand.Rand, img []float32, c, h, w int)
}

// BatchTransform mixes a batch (Mixup, CutMix): it may change x [B, C, H, W]
// in place and returns soft targets [B, classes], or nil to keep hard
// labels.
type BatchTransform interface {
	Apply(rng *rand.Rand, x *tensor.Tensor, labels []int, classes int) *tensor.Tensor
}

// Batch is one step's input.
type Batch struct {
	X      *tensor.Tensor // [B, C, H, W]
	Labels []int          // B
	Target *tensor.Tensor // [B, classes] soft targets from a BatchTransform, or nil
	Epoch  int
	Step   int // within the epoch
}

// LoaderConfig says how a Loader walks its data.
type LoaderConfig struct {
	Batch    int
	Shuffle  bool // a seeded permutation per epoch; else index order
	DropLast bool // drop a last, partial batch (training)
	// Repeats > 1 is DeiT's repeated augmentation (RASampler): each epoch
	// takes ceil(n/Repeats) images and shows each Repeats times, in
	// consecutive positions, with independent augmentations; the epoch keeps
	// n samples.
	Repeats int
	Seed    uint64
	// Prefetch is the number of batches prepared ahead on a goroutine
	// (0: prepare on the caller's goroutine).
	Prefetch int
}

// Loader turns a dataset (or a subset of its indices) into batches. The
// order and every augmentation are functions of (Seed, epoch, step), so a
// run resumed at a step sees exactly the batches it would have seen.
type Loader struct {
	d       *Dataset
	idx     []int
	cfg     LoaderConfig
	sample  []SampleTransform
	batch   BatchTransform
	samples int // per epoch
}

// NewLoader returns a Loader over the images idx of d (nil: all), applying
// sample transforms in order to each image and then batch to each batch
// (may be nil).
func NewLoader(d *Dataset, idx []int, cfg LoaderConfig, sample []SampleTransform, batch BatchTransform) (*Loader, error) {
	if idx == nil {
		idx = make([]int, d.N)
		for i := range idx {
			idx[i] = i
		}
	}
	if cfg.Batch <= 0 {
		return nil, fmt.Errorf("data: batch size %d: want at least 1", cfg.Batch)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("data: %s: no images to load", d.Name)
	}
	if cfg.DropLast && len(idx) < cfg.Batch {
		return nil, fmt.Errorf("data: %s: %d images, fewer than one batch of %d with drop-last", d.Name, len(idx), cfg.Batch)
	}
	for _, i := range idx {
		if i < 0 || i >= d.N {
			return nil, fmt.Errorf("data: %s: index %d outside [0, %d)", d.Name, i, d.N)
		}
	}
	return &Loader{d: d, idx: idx, cfg: cfg, sample: sample, batch: batch, samples: len(idx)}, nil
}

// StepsPerEpoch returns the number of batches in an epoch.
func (l *Loader) StepsPerEpoch() int {
	if l.cfg.DropLast {
		return l.samples / l.cfg.Batch
	}
	return (l.samples + l.cfg.Batch - 1) / l.cfg.Batch
}

// order returns the dataset indices of epoch e, in the order they are seen.
func (l *Loader) order(epoch int) []int {
	n := len(l.idx)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	if l.cfg.Shuffle {
		rng := rand.New(rand.NewPCG(l.cfg.Seed, uint64(epoch)*0x9e3779b97f4a7c15+1))
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	}
	if r := l.cfg.Repeats; r > 1 {
		rep := make([]int, 0, n)
		for _, p := range perm[:(n+r-1)/r] {
			for k := 0; k < r && len(rep) < n; k++ {
				rep = append(rep, p)
			}
		}
		perm = rep
	}
	out := make([]int, n)
	for i, p := range perm {
		out[i] = l.idx[p]
	}
	return out
}

// rngFor returns the generator of (epoch, step, sample); sample -1 is the
// batch transform's.
func (l *Loader) rngFor(epoch, step, sample int) *rand.Rand {
	return rand.New(rand.NewPCG(l.cfg.Seed^uint64(epoch)<<40^uint64(step)<<16, uint64(sample+1)))
}

// Get prepares batch step of epoch.
func (l *Loader) Get(epoch, step int, order []int) *Batch {
	if order == nil {
		order = l.order(epoch)
	}
	lo := step * l.cfg.Batch
	hi := min(lo+l.cfg.Batch, len(order))
	if lo >= hi {
		panic(fmt.Sprintf("data: Loader.Get: step %d is past the epoch's %d steps", step, l.StepsPerEpoch()))
	}
	d := l.d
	sz := d.C * d.H * d.W
	b := &Batch{X: tensor.New(hi-lo, d.C, d.H, d.W), Labels: make([]int, hi-lo), Epoch: epoch, Step: step}
	kernels.ParallelFor(hi-lo, 8, func(s, e int) {
		for j := s; j < e; j++ {
			src := d.Image(order[lo+j])
			dst := b.X.Data[j*sz : (j+1)*sz]
			for k, v := range src {
				dst[k] = float32(v) / 255
			}
			if len(l.sample) > 0 {
				rng := l.rngFor(epoch, step, j)
				for _, t := range l.sample {
					t.Apply(rng, dst, d.C, d.H, d.W)
				}
			}
		}
	})
	for j := range b.Labels {
		b.Labels[j] = d.Labels[order[lo+j]]
	}
	if l.batch != nil {
		b.Target = l.batch.Apply(l.rngFor(epoch, step, -1), b.X, b.Labels, d.Classes)
	}
	return b
}

// Epoch calls fn for each batch of epoch from step start on (start > 0
// resumes mid-epoch), preparing up to Prefetch batches ahead on a
// goroutine. It stops early, with fn's error, if fn returns one.
func (l *Loader) Epoch(epoch, start int, fn func(*Batch) error) error {
	order := l.order(epoch)
	steps := l.StepsPerEpoch()
	if l.cfg.Prefetch <= 0 {
		for s := start; s < steps; s++ {
			if err := fn(l.Get(epoch, s, order)); err != nil {
				return err
			}
		}
		return nil
	}
	ch := make(chan *Batch, l.cfg.Prefetch)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(ch)
		for s := start; s < steps; s++ {
			b := l.Get(epoch, s, order)
			select {
			case ch <- b:
			case <-done:
				return
			}
		}
	}()
	for b := range ch {
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}
