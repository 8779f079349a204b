package bench

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// BenchmarkAttention times the fused attention op (softmax(q·kᵀ·scale + bias)·v)
// at the shapes of ViT-Ti/DeiT-Ti (3 heads of 64 over 197 tokens) and of
// Swin-T's first stage (64 windows of 49 tokens, 3 heads of 32, with a
// relative-position bias), forward in inference and forward+backward,
// reporting GFLOP/s of the two matrix products (2·MACs per second), at 1
// and 2 threads. bench/torch_attention.py prints PyTorch's lines under the
// same names with impl=pytorch:
//
//	go test -run '^$' -bench Attention -count 6 ./bench/ > go.txt
//	OMP_WAIT_POLICY=PASSIVE GLIBC_TUNABLES=glibc.malloc.hugetlb=1 OPENBLAS_NUM_THREADS=2 \
//	    /usr/bin/python3 bench/torch_attention.py 6 > torch.txt
//	go tool benchstat -col /impl go.txt torch.txt
func BenchmarkAttention(b *testing.B) {
	type shape struct {
		name string
		lead []int // batch and head dimensions
		n, d int
		bias []int
	}
	for _, bs := range []int{1, 8} {
		for _, s := range []shape{
			{"vit_ti", []int{bs, 3}, 197, 64, nil},
			{"swin_t_stage0", []int{bs, 64, 3}, 49, 32, []int{64, 3, 49, 49}},
		} {
			for _, pass := range []string{"fwd", "fwdbwd"} {
				for _, threads := range []int{1, 2} {
					b.Run(fmt.Sprintf("shape=%s/bs=%d/pass=%s/impl=reprise/threads=%d", s.name, bs, pass, threads), func(b *testing.B) {
						defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
						rng := tensor.NewRand(1)
						qs := append(append([]int{}, s.lead...), s.n, s.d)
						q := autograd.Param(tensor.Randn(rng, 1, qs...))
						k := autograd.Param(tensor.Randn(rng, 1, qs...))
						v := autograd.Param(tensor.Randn(rng, 1, qs...))
						var bias *autograd.Var
						if s.bias != nil {
							bias = autograd.Param(tensor.Randn(rng, 1, s.bias...))
						}
						heads := tensor.Numel(s.lead)
						macs := float64(heads * s.n * s.n * 2 * s.d)
						gout := tensor.Randn(rng, 1, qs...)
						tp := autograd.NewTape()
						step := func() {
							tp.Reset()
							if pass == "fwd" {
								var inference *autograd.Tape
								inference.Attention(q, k, v, 0.125, bias)
								return
							}
							y := tp.Attention(q, k, v, 0.125, bias)
							tp.BackwardFrom(y, gout)
						}
						step()
						b.ResetTimer()
						for b.Loop() {
							step()
						}
						if pass == "fwdbwd" {
							macs *= 3 // the backward does two products per forward product
						}
						b.ReportMetric(2*macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}
