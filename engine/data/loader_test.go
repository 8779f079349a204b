package data

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// noise adds uniform noise: a stand-in random transform.
type noise struct{}

func (noise) Apply(rng *rand.Rand, img []float32, c, h, w int) {
	for i := range img {
		img[i] += float32(rng.Float64())
	}
}

func collect(t *testing.T, l *Loader, epoch, start int) []*Batch {
	var out []*Batch
	if err := l.Epoch(epoch, start, func(b *Batch) error { out = append(out, b); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoaderResumesBitForBit(t *testing.T) {
	d := Synthetic(103, 10, 1, 6, 6, 1)
	cfg := LoaderConfig{Batch: 16, Shuffle: true, Seed: 42, Prefetch: 2}
	l, err := NewLoader(d, nil, cfg, []SampleTransform{noise{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	full := collect(t, l, 3, 0)
	if len(full) != 7 || full[6].X.Shape[0] != 103-6*16 {
		t.Fatalf("%d batches, last of %d", len(full), full[len(full)-1].X.Shape[0])
	}
	resumed := collect(t, l, 3, 4)
	for i, b := range resumed {
		if !tensor.BitEqual(b.X, full[4+i].X) || b.Step != 4+i {
			t.Fatalf("resumed step %d differs", 4+i)
		}
	}
	cfg.Prefetch = 0
	l0, _ := NewLoader(d, nil, cfg, []SampleTransform{noise{}}, nil)
	for i, b := range collect(t, l0, 3, 0) {
		if !tensor.BitEqual(b.X, full[i].X) {
			t.Fatal("prefetching changed the batches")
		}
	}
	other := collect(t, l, 4, 0)
	if tensor.BitEqual(other[0].X, full[0].X) {
		t.Fatal("two epochs gave the same first batch")
	}
}

func TestLoaderVisitsEveryImageOnce(t *testing.T) {
	d := Synthetic(50, 5, 1, 2, 2, 1)
	idx := []int{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21}
	l, _ := NewLoader(d, idx, LoaderConfig{Batch: 4, Shuffle: true, Seed: 1}, nil, nil)
	seen := map[int]int{}
	for _, i := range l.order(0) {
		seen[i]++
	}
	for _, i := range idx {
		if seen[i] != 1 {
			t.Fatalf("image %d seen %d times", i, seen[i])
		}
	}
	l2, _ := NewLoader(d, idx, LoaderConfig{Batch: 4, DropLast: true}, nil, nil)
	if l2.StepsPerEpoch() != 2 || len(collect(t, l2, 0, 0)) != 2 {
		t.Fatal("drop-last")
	}
}

func TestRepeatedAugmentation(t *testing.T) {
	d := Synthetic(30, 3, 1, 2, 2, 1)
	l, _ := NewLoader(d, nil, LoaderConfig{Batch: 6, Shuffle: true, Repeats: 3, Seed: 9}, nil, nil)
	o := l.order(0)
	if len(o) != 30 {
		t.Fatalf("epoch of %d samples, want 30", len(o))
	}
	for i := 0; i < 30; i += 3 {
		if o[i] != o[i+1] || o[i] != o[i+2] {
			t.Fatalf("positions %d..%d are not one image repeated: %v", i, i+2, o[i:i+3])
		}
	}
	distinct := map[int]bool{}
	for _, i := range o {
		distinct[i] = true
	}
	if len(distinct) != 10 {
		t.Fatalf("%d distinct images, want 10", len(distinct))
	}
}

func TestLoaderStopsOnError(t *testing.T) {
	d := Synthetic(40, 2, 1, 2, 2, 1)
	l, _ := NewLoader(d, nil, LoaderConfig{Batch: 4, Prefetch: 3}, nil, nil)
	stop := errors.New("stop")
	n := 0
	err := l.Epoch(0, 0, func(*Batch) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("err %v after %d batches", err, n)
	}
	if _, err := NewLoader(d, []int{40}, LoaderConfig{Batch: 4}, nil, nil); err == nil {
		t.Fatal("out-of-range index accepted")
	}
	if _, err := NewLoader(d, nil, LoaderConfig{Batch: 0}, nil, nil); err == nil {
		t.Fatal("batch 0 accepted")
	}
}
