package bench

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// elementwiseImpls runs fn once per kernel path: impl=reprise is the path
// this CPU selects (AVX2+FMA assembly where available), impl=generic the
// pure-Go loops.
func elementwiseImpls(b *testing.B, name string, fn func(b *testing.B)) {
	for _, impl := range []string{"reprise", "generic"} {
		b.Run(fmt.Sprintf(name, impl), func(b *testing.B) {
			defer kernels.ForceGeneric(impl == "generic")()
			fn(b)
		})
	}
}

// BenchmarkElementwise times the forward activations on n elements of
// N(0, 2²) at one thread: GB/s counts 8 bytes (read + write) per element.
func BenchmarkElementwise(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	ops := []struct {
		name string
		fn   func(dst, x []float32)
	}{
		{"exp", kernels.Exp}, {"gelu", kernels.GELU}, {"silu", kernels.SiLU},
		{"hardswish", kernels.HardSwish}, {"sigmoid", kernels.Sigmoid}, {"tanh", kernels.Tanh},
	}
	for _, op := range ops {
		for _, n := range []int{4096, 1 << 20} {
			x := tensor.Randn(tensor.NewRand(1), 2, n).Data
			y := make([]float32, n)
			elementwiseImpls(b, "op="+op.name+"/impl=%s/n="+fmt.Sprint(n)+"/threads=1", func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				op.fn(y, x)
				b.ResetTimer()
				for b.Loop() {
					op.fn(y, x)
				}
				s := b.Elapsed().Seconds()
				b.ReportMetric(8*float64(n)*float64(b.N)/s/1e9, "GB/s")
				b.ReportMetric(float64(n)*float64(b.N)/s/1e9, "Gelem/s")
			})
		}
	}
}

// BenchmarkSoftmax times softmax over the last axis of [rows, n] at one
// thread: ViT-Ti attention (3 heads × 197 query rows of 197 keys) and Swin-T
// window attention (one 7×7 window, 3 heads: 3×49 rows of 49).
func BenchmarkSoftmax(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	for _, sz := range [][2]int{{3 * 197, 197}, {3 * 49, 49}} {
		rows, n := sz[0], sz[1]
		x := tensor.Randn(tensor.NewRand(2), 1, rows*n).Data
		y := make([]float32, len(x))
		elementwiseImpls(b, "impl=%s/"+fmt.Sprintf("rows=%d/n=%d/threads=1", rows, n), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			kernels.Softmax(y, x, rows, n, 1)
			b.ResetTimer()
			for b.Loop() {
				kernels.Softmax(y, x, rows, n, 1)
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(8*float64(len(x))*float64(b.N)/s/1e9, "GB/s")
			b.ReportMetric(float64(len(x))*float64(b.N)/s/1e9, "Gelem/s")
		})
	}
}

// BenchmarkLayerNorm times layer norm over d at ViT's 197 tokens (d = 192
// ViT-Ti, 384 ViT-S, 768 ViT-B) at one thread, forward alone and forward +
// input and parameter gradients.
func BenchmarkLayerNorm(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	const rows = 197
	for _, d := range []int{192, 384, 768} {
		rng := tensor.NewRand(3)
		x := tensor.Randn(rng, 1, rows, d).Data
		g := tensor.Randn(rng, 1, rows, d).Data
		gamma, beta := tensor.Randn(rng, 1, d).Data, tensor.Randn(rng, 1, d).Data
		y, dx := make([]float32, rows*d), make([]float32, rows*d)
		mean, invstd := make([]float32, rows), make([]float32, rows)
		dg, db := make([]float32, d), make([]float32, d)
		fwd := func() { kernels.LayerNormForward(rows, d, x, gamma, beta, 1e-6, y, mean, invstd) }
		fwdBwd := func() {
			fwd()
			kernels.LayerNormInputGrad(rows, d, g, x, gamma, mean, invstd, dx)
			kernels.LayerNormParamGrad(rows, d, g, x, mean, invstd, dg, db)
		}
		for _, pass := range []struct {
			name string
			fn   func()
		}{{"fwd", fwd}, {"fwdbwd", fwdBwd}} {
			elementwiseImpls(b, "pass="+pass.name+"/impl=%s/"+fmt.Sprintf("rows=%d/d=%d/threads=1", rows, d), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				pass.fn()
				b.ResetTimer()
				for b.Loop() {
					pass.fn()
				}
				b.ReportMetric(float64(rows*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}

// BenchmarkBatchNorm times a training-mode batch norm at a MobileNetV2
// shape ([8, 96, 56, 56], the expanded first stage-3 block) at one thread:
// statistics, scale-shift, and the backward sums and input gradient.
func BenchmarkBatchNorm(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	const n, c, s = 8, 96, 56 * 56
	rng := tensor.NewRand(4)
	x := tensor.Randn(rng, 1, n, c, s).Data
	g := tensor.Randn(rng, 1, n, c, s).Data
	scale, shift := tensor.Randn(rng, 1, c).Data, tensor.Randn(rng, 1, c).Data
	y, dx := make([]float32, n*c*s), make([]float32, n*c*s)
	mean, variance := make([]float32, c), make([]float32, c)
	sg, sgx := make([]float32, c), make([]float32, c)
	fwd := func() {
		kernels.BatchNormStats(n, c, s, x, mean, variance)
		kernels.ChannelScaleShift(n, c, s, x, scale, shift, y)
	}
	fwdBwd := func() {
		fwd()
		kernels.BatchNormSums(n, c, s, g, x, mean, variance, sg, sgx)
		kernels.BatchNormInputGrad(n, c, s, g, x, mean, scale, sg, sgx, dx)
	}
	for _, pass := range []struct {
		name string
		fn   func()
	}{{"fwd", fwd}, {"fwdbwd", fwdBwd}} {
		elementwiseImpls(b, "pass="+pass.name+"/impl=%s/"+fmt.Sprintf("n=%d/c=%d/hw=%d/threads=1", n, c, s), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			pass.fn()
			b.ResetTimer()
			for b.Loop() {
				pass.fn()
			}
			b.ReportMetric(float64(n*c*s)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}
