package data

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// Dataset is a labelled image set held in memory as bytes, NCHW order.
type Dataset struct {
	Name    string
	N       int // images
	C, H, W int
	Classes int
	Pixels  []uint8 // N·C·H·W, row-major per image
	Labels  []int   // N, each in [0, Classes)
	// Checksum identifies the source files (SHA-256 of their bytes, in
	// order), for a run's provenance.
	Checksum string
}

// Image returns image i's pixels (C·H·W bytes, sharing memory).
func (d *Dataset) Image(i int) []uint8 {
	sz := d.C * d.H * d.W
	return d.Pixels[i*sz : (i+1)*sz]
}

// Subset returns the images at idx (copied), in that order.
func (d *Dataset) Subset(name string, idx []int) *Dataset {
	sz := d.C * d.H * d.W
	s := &Dataset{Name: name, N: len(idx), C: d.C, H: d.H, W: d.W, Classes: d.Classes,
		Pixels: make([]uint8, len(idx)*sz), Labels: make([]int, len(idx)), Checksum: d.Checksum}
	for j, i := range idx {
		copy(s.Pixels[j*sz:(j+1)*sz], d.Image(i))
		s.Labels[j] = d.Labels[i]
	}
	return s
}

// validate checks the dataset's sizes and labels.
func (d *Dataset) validate() error {
	if d.N <= 0 || d.C <= 0 || d.H <= 0 || d.W <= 0 {
		return fmt.Errorf("data: %s: empty or shapeless (%d images of %dx%dx%d)", d.Name, d.N, d.C, d.H, d.W)
	}
	if len(d.Pixels) != d.N*d.C*d.H*d.W || len(d.Labels) != d.N {
		return fmt.Errorf("data: %s: %d pixel bytes and %d labels for %d images of %dx%dx%d", d.Name, len(d.Pixels), len(d.Labels), d.N, d.C, d.H, d.W)
	}
	for i, y := range d.Labels {
		if y < 0 || y >= d.Classes {
			return fmt.Errorf("data: %s: label %d of image %d outside [0, %d)", d.Name, y, i, d.Classes)
		}
	}
	return nil
}

// byClass returns the indices of each class, in index order.
func byClass(labels []int, classes int) [][]int {
	out := make([][]int, classes)
	for i, y := range labels {
		out[y] = append(out[y], i)
	}
	return out
}

// StratifiedSplit carves a held-out validation split from d: in each class,
// a seeded shuffle puts round(frac·n_class) images in the validation set
// and the rest in training. Both index lists are sorted.
func StratifiedSplit(d *Dataset, frac float64, seed uint64) (train, val []int, err error) {
	if frac <= 0 || frac >= 1 {
		return nil, nil, fmt.Errorf("data: validation fraction %g outside (0, 1)", frac)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed5011))
	for c, idx := range byClass(d.Labels, d.Classes) {
		if len(idx) < 2 {
			return nil, nil, fmt.Errorf("data: %s: class %d has %d images, too few to split", d.Name, c, len(idx))
		}
		perm := append([]int(nil), idx...)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		nv := max(1, int(frac*float64(len(perm))+0.5))
		val = append(val, perm[:nv]...)
		train = append(train, perm[nv:]...)
	}
	sort.Ints(train)
	sort.Ints(val)
	return train, val, nil
}

// BalancedSubset picks perClass images of every class (seeded), for
// data-scaling experiments. It is an error if a class has fewer.
func BalancedSubset(labels []int, classes, perClass int, seed uint64) ([]int, error) {
	if perClass <= 0 {
		return nil, fmt.Errorf("data: %d images per class: want at least 1", perClass)
	}
	rng := rand.New(rand.NewPCG(seed, 0xba1a4ced))
	var out []int
	for c, idx := range byClass(labels, classes) {
		if len(idx) < perClass {
			return nil, fmt.Errorf("data: class %d has %d images, fewer than the %d asked for", c, len(idx), perClass)
		}
		perm := append([]int(nil), idx...)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		out = append(out, perm[:perClass]...)
	}
	sort.Ints(out)
	return out, nil
}

// Synthetic returns a seeded dataset of n images in classes classes:
// each class is a fixed random template plus per-image noise, learnable
// in a few steps. For tests and smoke runs.
func Synthetic(n, classes, c, h, w int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 0x5717))
	sz := c * h * w
	templates := make([][]float64, classes)
	for k := range templates {
		templates[k] = make([]float64, sz)
		for j := range templates[k] {
			templates[k][j] = 64 + 128*rng.Float64()
		}
	}
	d := &Dataset{Name: fmt.Sprintf("synthetic-%d", seed), N: n, C: c, H: h, W: w, Classes: classes,
		Pixels: make([]uint8, n*sz), Labels: make([]int, n), Checksum: fmt.Sprintf("synthetic:%d:%d:%d:%dx%dx%d", seed, n, classes, c, h, w)}
	for i := 0; i < n; i++ {
		y := i % classes
		d.Labels[i] = y
		for j := 0; j < sz; j++ {
			v := templates[y][j] + 40*rng.NormFloat64()
			d.Pixels[i*sz+j] = uint8(min(255, max(0, v)))
		}
	}
	return d
}
