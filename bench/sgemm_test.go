package bench

import (
	"fmt"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// sgemmImpl is one SGEMM implementation under benchmark: row-major, no
// transposes, C = A·B. setThreads (nil for none) sets the library's own
// thread count and returns a function that restores the previous one; every
// implementation also runs with GOMAXPROCS set to the thread count. serial is
// the single-threaded call used per batch item by the batched benchmark (the
// way attention calls it, each goroutine on its own head).
type sgemmImpl struct {
	name       string
	gemm       func(m, n, k int, a, b, c []float32)
	serial     func(m, n, k int, a, b, c []float32)
	setThreads func(n int) (restore func())
	// skip reports shapes not run (too slow to be worth measuring).
	skip func(m, n, k int) bool
}

var sgemmImpls = []sgemmImpl{
	{
		name: "reprise",
		gemm: func(m, n, k int, a, b, c []float32) {
			kernels.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		},
		serial: func(m, n, k int, a, b, c []float32) {
			kernels.SgemmSerial(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		},
	},
	{
		// The same code with the AVX-512 micro-kernel switched off: the
		// AVX2 6×16 kernel on every tile (identical where the CPU has no
		// AVX-512F).
		name: "reprise_avx2",
		gemm: func(m, n, k int, a, b, c []float32) {
			defer kernels.ForceAVX2(true)()
			kernels.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		},
		serial: func(m, n, k int, a, b, c []float32) {
			defer kernels.ForceAVX2(true)()
			kernels.SgemmSerial(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		},
	},
	{
		name: "gonum",
		gemm: gonumSgemm,
		// gonum's Sgemm runs in parallel by itself above its own threshold
		// and serially below it.
		serial: gonumSgemm,
		// gonum's pure-Go Sgemm takes seconds per call from n = 1024 on,
		// which makes -count 6 runs far too long for what it tells.
		skip: func(m, n, k int) bool { return m >= 1024 && n >= 1024 && k >= 1024 },
	},
}

func gonumSgemm(m, n, k int, a, b, c []float32) {
	A := blas32.General{Rows: m, Cols: k, Stride: k, Data: a}
	B := blas32.General{Rows: k, Cols: n, Stride: n, Data: b}
	C := blas32.General{Rows: m, Cols: n, Stride: n, Data: c}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, A, B, 0, C)
}

// sgemmShapes are square sizes and the shapes reprise's models produce: a
// 3x3 stem convolution on 3 channels as an im2col GEMM at 56x56 (m=3136,
// k=27), ViT-B/16's projections over 196 tokens (qkv/proj: n=k=768;
// MLP fc1: n=3072; MLP fc2: k=3072), and resnet18_r28's 3x3 convolution of
// 16 channels at 28x28 (m=16, n=784, k=144: n ends in half a 32-column
// tile, the case where the AVX-512 kernel once took 2.5x its time).
var sgemmShapes = [][3]int{
	{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048},
	{3136, 64, 27}, {196, 768, 768}, {196, 3072, 768}, {196, 768, 3072}, {16, 784, 144},
}

// sgemmBatch is the batched attention product: one image's q·kᵀ or
// attn·v of a Swin-T window (49 tokens, head size 32) over 96 windows×heads.
var sgemmBatch = struct{ m, n, k, batch int }{49, 49, 32, 96}

// BenchmarkSgemm compares reprise's Sgemm with gonum's pure-Go Sgemm (and
// OpenBLAS's cblas_sgemm with -tags openblas) on the same operands, reporting
// GFLOP/s (2·m·n·k flops per call).
func BenchmarkSgemm(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	for _, s := range sgemmShapes {
		m, n, k := s[0], s[1], s[2]
		rng := tensor.NewRand(1)
		a := tensor.Randn(rng, 1, m, k).Data
		bm := tensor.Randn(rng, 1, k, n).Data
		c := make([]float32, m*n)
		for _, threads := range []int{1, 2} {
			for _, impl := range sgemmImpls {
				if impl.skip != nil && impl.skip(m, n, k) {
					continue
				}
				name := fmt.Sprintf("impl=%s/m=%d/n=%d/k=%d/threads=%d", impl.name, m, n, k, threads)
				b.Run(name, func(b *testing.B) {
					defer sgemmThreads(impl, threads)()
					impl.gemm(m, n, k, a, bm, c)
					b.ResetTimer()
					for b.Loop() {
						impl.gemm(m, n, k, a, bm, c)
					}
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
	// The batch: each implementation's single-threaded GEMM per item, the
	// items split over the threads as attention splits its heads.
	m, n, k, batch := sgemmBatch.m, sgemmBatch.n, sgemmBatch.k, sgemmBatch.batch
	rng := tensor.NewRand(2)
	a := tensor.Randn(rng, 1, batch, m, k).Data
	bm := tensor.Randn(rng, 1, batch, k, n).Data
	c := make([]float32, batch*m*n)
	for _, threads := range []int{1, 2} {
		for _, impl := range sgemmImpls {
			name := fmt.Sprintf("impl=%s/m=%d/n=%d/k=%d/batch=%d/threads=%d", impl.name, m, n, k, batch, threads)
			b.Run(name, func(b *testing.B) {
				defer sgemmThreads(impl, threads)()
				run := func() {
					kernels.ParallelFor(batch, 1, func(lo, hi int) {
						for p := lo; p < hi; p++ {
							impl.serial(m, n, k, a[p*m*k:(p+1)*m*k], bm[p*k*n:(p+1)*k*n], c[p*m*n:(p+1)*m*n])
						}
					})
				}
				run()
				b.ResetTimer()
				for b.Loop() {
					run()
				}
				b.ReportMetric(2*float64(batch*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// sgemmThreads sets GOMAXPROCS (and the implementation's own thread count)
// to threads and returns a function that restores both.
func sgemmThreads(impl sgemmImpl, threads int) (restore func()) {
	old := runtime.GOMAXPROCS(threads)
	undo := func() {}
	if impl.setThreads != nil {
		undo = impl.setThreads(threads)
	}
	return func() {
		undo()
		runtime.GOMAXPROCS(old)
	}
}

// BenchmarkGemmEpilogue times a linear layer followed by an activation, as
// in the first layer of a transformer's MLP (C = act(A·Bᵀ + bias), A the
// tokens, B the weights [out, in]): impl=fused applies the activation in
// the GEMM's epilogue (kernels.SgemmBiasAct), impl=separate runs SgemmBias
// then the activation over C. GFLOP/s counts the product only.
//
//	go test -run '^$' -bench GemmEpilogue -count 6 ./bench/ | go tool benchstat -col /impl -
func BenchmarkGemmEpilogue(b *testing.B) {
	shapes := [][3]int{{197, 768, 192}, {197, 1536, 384}, {196, 3072, 768}}
	acts := []struct {
		name string
		act  kernels.Act
	}{{"gelu", kernels.ActGELU}, {"relu", kernels.ActReLU}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		rng := tensor.NewRand(1)
		a, w := tensor.Randn(rng, 1, m, k).Data, tensor.Randn(rng, 0.05, n, k).Data
		bias, c := tensor.Randn(rng, 1, n).Data, make([]float32, m*n)
		for _, act := range acts {
			for _, impl := range []string{"fused", "separate"} {
				for _, threads := range []int{1, 2} {
					b.Run(fmt.Sprintf("act=%s/m=%d/n=%d/k=%d/impl=%s/threads=%d", act.name, m, n, k, impl, threads), func(b *testing.B) {
						defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
						for b.Loop() {
							if impl == "fused" {
								kernels.SgemmBiasAct(false, true, m, n, k, 1, a, k, w, k, 0, c, n, nil, bias, act.act)
								continue
							}
							kernels.SgemmBias(false, true, m, n, k, 1, a, k, w, k, 0, c, n, nil, bias)
							act.act.Apply(c, c)
						}
						b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}
