package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestSoftmaxKernels checks the softmax kernels against the loops in their
// doc comments on awkward [outer, n, inner] sizes, at GOMAXPROCS 1 and 4:
// bit for bit on the generic path, to a few ulps (relative to the row's
// scale) on the AVX2+FMA path; and that rows sum to 1 (softmax) and
// log-sum-exp to 0 (log-softmax) in float64.
func TestSoftmaxKernels(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		softmaxTestKernels(t, useAsm)
		restore()
	}
}

func softmaxTestKernels(t *testing.T, asm bool) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(11, 12))
	sizes := [][3]int{{1, 1, 1}, {1, 7, 1}, {3, 5, 1}, {2, 3, 4}, {3, 1, 4}, {1, 9, 17}, {0, 3, 2}, {2, 0, 3}, {1000, 33, 1}, {5, 17, 400},
		{4, 8, 1}, {3, 9, 1}, {2, 16, 1}, {2, 17, 1}, {3, 49, 1}, {2, 197, 1}}
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		for _, sz := range sizes {
			outer, n, inner := sz[0], sz[1], sz[2]
			total := outer * n * inner
			x := elementwiseFill(rng, total)
			for i := range x {
				x[i] *= 4 // spread the rows out
			}
			dy := elementwiseFill(rng, total)
			row := func(o, i int, f func(idx []int)) {
				idx := make([]int, n)
				for k := range idx {
					idx[k] = (o*n+k)*inner + i
				}
				f(idx)
			}
			wantY, wantL := make([]float32, total), make([]float32, total)
			dx0 := elementwiseFill(rng, total)
			wantDy, wantDl := append([]float32(nil), dx0...), append([]float32(nil), dx0...)
			for o := 0; o < outer && n > 0; o++ {
				for i := 0; i < inner; i++ {
					row(o, i, func(idx []int) {
						m := x[idx[0]]
						for _, j := range idx {
							m = max(m, x[j])
						}
						var s float32
						for _, j := range idx {
							wantY[j] = float32(math.Exp(float64(x[j] - m)))
							s += wantY[j]
						}
						for _, j := range idx {
							wantY[j] /= s
							wantL[j] = (x[j] - m) - float32(math.Log(float64(s)))
						}
						var sy, sl float32
						for _, j := range idx {
							sy += dy[j] * wantY[j]
							sl += dy[j]
						}
						for _, j := range idx {
							wantDy[j] += wantY[j] * (dy[j] - sy)
							wantDl[j] += dy[j] - float32(math.Exp(float64(wantL[j])))*sl
						}
						var one, lse float64
						for _, j := range idx {
							one += float64(wantY[j])
							lse += math.Exp(float64(wantL[j]))
						}
						if math.Abs(one-1) > 1e-5 || math.Abs(lse-1) > 1e-5 {
							t.Fatalf("size %v row (%d,%d): softmax sums to %g, exp(log-softmax) to %g", sz, o, i, one, lse)
						}
					})
				}
			}
			y, l := make([]float32, total), make([]float32, total)
			Softmax(y, x, outer, n, inner)
			LogSoftmax(l, x, outer, n, inner)
			dxy, dxl := append([]float32(nil), dx0...), append([]float32(nil), dx0...)
			SoftmaxBackward(dxy, dy, y, outer, n, inner)
			LogSoftmaxBackward(dxl, dy, l, outer, n, inner)
			for name, p := range map[string][2][]float32{
				"Softmax": {y, wantY}, "LogSoftmax": {l, wantL},
				"SoftmaxBackward": {dxy, wantDy}, "LogSoftmaxBackward": {dxl, wantDl},
			} {
				if !asm || sz[2] > 1 { // the strided case always runs the loop
					if !elementwiseSameBits(p[0], p[1]) {
						t.Fatalf("%s size %v GOMAXPROCS %d: differs from its loop", name, sz, procs)
					}
					continue
				}
				// The backward sums (Σ dy·y, Σ dy) are taken in a different
				// order, and dy - e^y·Σdy cancels: an absolute bound.
				tol := 2e-6
				if name == "SoftmaxBackward" || name == "LogSoftmaxBackward" {
					tol = 1e-5
				}
				for i := range p[0] {
					if d := math.Abs(float64(p[0][i] - p[1][i])); d > 4*vecUlp(float64(p[1][i]))+tol {
						t.Fatalf("%s size %v GOMAXPROCS %d asm: [%d] = %g, loop %g", name, sz, procs, i, p[0][i], p[1][i])
					}
				}
			}
		}
	}
}

// TestSoftmaxLarge checks stability: rows of values far beyond exp's float32
// range give finite probabilities, and shifting a row changes nothing.
func TestSoftmaxLarge(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		softmaxTestLarge(t)
		restore()
	}
}

func softmaxTestLarge(t *testing.T) {
	x := []float32{50, 100, 75, 99, -1000, -1010, -1005, -1001}
	shifted := []float32{0, 50, 25, 49, 10, 0, 5, 9}
	y, ys := make([]float32, 8), make([]float32, 8)
	l, ls := make([]float32, 8), make([]float32, 8)
	Softmax(y, x, 2, 4, 1)
	Softmax(ys, shifted, 2, 4, 1)
	LogSoftmax(l, x, 2, 4, 1)
	LogSoftmax(ls, shifted, 2, 4, 1)
	for i := range y {
		if math.IsNaN(float64(y[i])) || math.IsInf(float64(l[i]), 0) || math.IsNaN(float64(l[i])) {
			t.Fatalf("element %d: softmax %g, log-softmax %g", i, y[i], l[i])
		}
		if y[i] != ys[i] || math.Abs(float64(l[i]-ls[i])) > 1e-5 {
			t.Fatalf("element %d: shifting the row changed softmax %g -> %g or log-softmax %g -> %g", i, y[i], ys[i], l[i], ls[i])
		}
	}
}

func TestSoftmaxSizeMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Softmax with a short dst did not panic")
		}
	}()
	Softmax(make([]float32, 5), make([]float32, 6), 2, 3, 1)
}

func BenchmarkSoftmax(b *testing.B) {
	for _, sz := range [][3]int{{1024, 1000, 1}, {64, 197, 197}, {8, 64, 196}} {
		outer, n, inner := sz[0], sz[1], sz[2]
		x := elementwiseFill(rand.New(rand.NewPCG(1, 1)), outer*n*inner)
		y := make([]float32, len(x))
		b.Run(fmt.Sprintf("outer=%d/n=%d/inner=%d", outer, n, inner), func(b *testing.B) {
			for b.Loop() {
				Softmax(y, x, outer, n, inner)
			}
			b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
}
