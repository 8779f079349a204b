package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// elementwiseTestGroups returns base and offs for reducing a row-major
// tensor of shape over the axes marked in mask (bit d: axis d).
func elementwiseTestGroups(shape []int, mask int) (base, offs []int) {
	base, offs = []int{0}, []int{0}
	stride := 1
	for d := len(shape) - 1; d >= 0; d-- {
		list := &base
		if mask&(1<<d) != 0 {
			list = &offs
		}
		// Axis d is outer to the axes already listed: prepend its steps.
		var next []int
		for c := 0; c < shape[d]; c++ {
			for _, o := range *list {
				next = append(next, c*stride+o)
			}
		}
		*list = next
		stride *= shape[d]
	}
	return base, offs
}

func elementwiseFill(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func elementwiseSameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestReduceKernels checks every reduction kernel bit for bit against the
// loop in its doc comment, over every subset of axes of awkward shapes,
// with a guard band after every output, and at GOMAXPROCS 1 and 4.
func TestReduceKernels(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		elementwiseTestReduce(t, useAsm)
		restore()
	}
}

func elementwiseTestReduce(t *testing.T, asm bool) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	const guard = 3
	rng := rand.New(rand.NewPCG(9, 10))
	shapes := [][]int{{17}, {2, 3, 4}, {1, 7, 1, 5}, {3, 0, 2}, {9, 16, 17}, {300, 2, 41}, {5, 8}, {3, 33}, {2, 2, 50}}
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		for _, shape := range shapes {
			n := 1
			for _, s := range shape {
				n *= s
			}
			for mask := 0; mask < 1<<len(shape); mask++ {
				base, offs := elementwiseTestGroups(shape, mask)
				if len(base)*len(offs) != n {
					t.Fatalf("test helper: shape %v mask %b: %d groups of %d", shape, mask, len(base), len(offs))
				}
				x := elementwiseFill(rng, n)
				g := elementwiseFill(rng, len(base))
				m := len(base)
				buf := func() []float32 {
					b := make([]float32, m+guard)
					for i := range b {
						b[i] = 7
					}
					return b
				}

				// ReduceSum and its backward.
				sum := buf()
				ReduceSum(sum[:m], x, base, offs)
				want := make([]float32, m)
				for o := range base {
					var s float32
					for _, d := range offs {
						s += x[base[o]+d]
					}
					want[o] = s
				}
				if asm && len(offs) >= 8 && vecContiguous(offs) {
					// vecSum's lane sums: within float32 rounding of the loop.
					for o := range want {
						var mag float64
						for _, d := range offs {
							mag += math.Abs(float64(x[base[o]+d]))
						}
						if d := math.Abs(float64(sum[o] - want[o])); d > 1e-6*mag {
							t.Fatalf("ReduceSum shape %v mask %b asm: [%d] = %g, loop %g", shape, mask, o, sum[o], want[o])
						}
						want[o] = sum[o]
					}
				}
				elementwiseCheckOut(t, "ReduceSum", shape, mask, sum, want)
				dx := elementwiseFill(rng, n)
				wantDx := append([]float32(nil), dx...)
				for o := range base {
					for _, d := range offs {
						wantDx[base[o]+d] += g[o] * 0.25
					}
				}
				ReduceSumBackward(dx, g, base, offs, 0.25)
				if !elementwiseSameBits(dx, wantDx) {
					t.Fatalf("ReduceSumBackward shape %v mask %b: differs from its loop", shape, mask)
				}

				// ReduceVariance and its backward.
				vr, mean := buf(), buf()
				ReduceVariance(vr[:m], mean[:m], x, base, offs, float32(len(offs)-1))
				wantMean, wantVar := make([]float32, m), make([]float32, m)
				for o := range base {
					var s float32
					for _, d := range offs {
						s += x[base[o]+d]
					}
					wantMean[o] = s / float32(len(offs))
					var q float32
					for _, d := range offs {
						e := x[base[o]+d] - wantMean[o]
						q += e * e
					}
					wantVar[o] = q / float32(len(offs)-1)
				}
				elementwiseCheckOut(t, "ReduceVariance mean", shape, mask, mean, wantMean)
				elementwiseCheckOut(t, "ReduceVariance", shape, mask, vr, wantVar)
				wantDx = append([]float32(nil), dx...)
				for o := range base {
					for _, d := range offs {
						wantDx[base[o]+d] += 0.5 * g[o] * (x[base[o]+d] - wantMean[o])
					}
				}
				ReduceVarianceBackward(dx, g, x, mean[:m], base, offs, 0.5)
				if !elementwiseSameBits(dx, wantDx) {
					t.Fatalf("ReduceVarianceBackward shape %v mask %b: differs from its loop", shape, mask)
				}

				// ReduceMax (groups must not be empty).
				if len(offs) == 0 {
					continue
				}
				mx := buf()
				arg := make([]int, m)
				ReduceMax(mx[:m], arg, x, base, offs)
				wantMax := make([]float32, m)
				for o := range base {
					a := base[o] + offs[0]
					for _, d := range offs[1:] {
						if x[base[o]+d] > x[a] {
							a = base[o] + d
						}
					}
					wantMax[o] = x[a]
					if arg[o] != a {
						t.Fatalf("ReduceMax shape %v mask %b: group %d argmax %d, want %d", shape, mask, o, arg[o], a)
					}
				}
				elementwiseCheckOut(t, "ReduceMax", shape, mask, mx, wantMax)
			}
		}
	}
}

// elementwiseCheckOut compares got[:len(want)] bit for bit with want and
// checks the guard band after it.
func elementwiseCheckOut(t *testing.T, name string, shape []int, mask int, got, want []float32) {
	t.Helper()
	if !elementwiseSameBits(got[:len(want)], want) {
		t.Fatalf("%s shape %v mask %b: differs from its loop", name, shape, mask)
	}
	for i, v := range got[len(want):] {
		if v != 7 {
			t.Fatalf("%s shape %v mask %b: wrote guard element %d", name, shape, mask, i)
		}
	}
}

func TestReduceMaxTiesAndNaN(t *testing.T) {
	nan := float32(math.NaN())
	x := []float32{1, 3, 3, 2 /**/, 1, nan, 5, nan /**/, -4, -2, -2, -3}
	out, arg := make([]float32, 3), make([]int, 3)
	ReduceMax(out, arg, x, []int{0, 4, 8}, []int{0, 1, 2, 3})
	if arg[0] != 1 || out[0] != 3 {
		t.Errorf("tied maxima: got %g at %d, want 3 at the first, 1", out[0], arg[0])
	}
	if arg[1] != 5 || !math.IsNaN(float64(out[1])) {
		t.Errorf("NaN group: got %g at %d, want the first NaN, at 5", out[1], arg[1])
	}
	if arg[2] != 9 || out[2] != -2 {
		t.Errorf("negative ties: got %g at %d, want -2 at 9", out[2], arg[2])
	}
	defer func() {
		if recover() == nil {
			t.Error("ReduceMax over empty groups did not panic")
		}
	}()
	ReduceMax(out[:1], arg[:1], x, []int{0}, nil)
}

func BenchmarkReduceSum(b *testing.B) {
	// Token mean of [B, T, C] = [32, 197, 192] over T, and global average
	// pooling of [N, C, H, W] = [32, 96, 14, 14] over H, W.
	for _, c := range []struct {
		name  string
		shape []int
		mask  int
	}{{"tokens", []int{32, 197, 192}, 0b010}, {"gap", []int{32, 96, 14, 14}, 0b1100}} {
		base, offs := elementwiseTestGroups(c.shape, c.mask)
		x := elementwiseFill(rand.New(rand.NewPCG(1, 1)), len(base)*len(offs))
		out := make([]float32, len(base))
		b.Run("shape="+c.name, func(b *testing.B) {
			for b.Loop() {
				ReduceSum(out, x, base, offs)
			}
			b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
}
