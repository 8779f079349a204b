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

// sgemmShapes are square sizes and the shapes reprise's models produce:
// a 3x3 stem conv as im2col GEMM at 112x112 (m=3136 is 56x56 after a
// stride-2 stem), and ViT-B/16's qkv and MLP projections over 196 tokens.
var sgemmShapes = [][3]int{
	{64, 64, 64}, {256, 256, 256}, {512, 512, 512},
	{3136, 64, 27}, {196, 768, 768}, {196, 3072, 768},
}

// BenchmarkSgemm compares reprise's Sgemm with gonum's pure-Go Sgemm on the
// same operands, reporting GFLOP/s (2·m·n·k flops per call).
func BenchmarkSgemm(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	for _, s := range sgemmShapes {
		m, n, k := s[0], s[1], s[2]
		rng := tensor.NewRand(1)
		a := tensor.Randn(rng, 1, m, k).Data
		bm := tensor.Randn(rng, 1, k, n).Data
		c := make([]float32, m*n)
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("m=%d/n=%d/k=%d/threads=%d", m, n, k, threads)
			b.Run("impl=reprise/"+name, func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				kernels.Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				b.ResetTimer()
				for b.Loop() {
					kernels.Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			b.Run("impl=gonum/"+name, func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				A := blas32.General{Rows: m, Cols: k, Stride: k, Data: a}
				B := blas32.General{Rows: k, Cols: n, Stride: n, Data: bm}
				C := blas32.General{Rows: m, Cols: n, Stride: n, Data: c}
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, A, B, 0, C)
				b.ResetTimer()
				for b.Loop() {
					blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, A, B, 0, C)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
