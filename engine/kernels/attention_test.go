package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// attnNaive is AttentionForward's doc comment in float64.
func attnNaive(batch, n, m, d, dv int, scale float32, q, k, v, bias []float32, biasOff []int) []float64 {
	o := make([]float64, batch*n*dv)
	for p := 0; p < batch; p++ {
		for i := 0; i < n; i++ {
			s := make([]float64, m)
			mx := math.Inf(-1)
			for j := range s {
				for c := 0; c < d; c++ {
					s[j] += float64(q[(p*n+i)*d+c]) * float64(k[(p*m+j)*d+c])
				}
				s[j] *= float64(scale)
				if bias != nil {
					s[j] += float64(bias[biasOff[p]+i*m+j])
				}
				mx = math.Max(mx, s[j])
			}
			var z float64
			for j := range s {
				s[j] = math.Exp(s[j] - mx)
				z += s[j]
			}
			for c := 0; c < dv; c++ {
				for j := range s {
					o[(p*n+i)*dv+c] += s[j] / z * float64(v[(p*m+j)*dv+c])
				}
			}
		}
	}
	return o
}

func TestAttentionForwardAwkwardSizes(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		testAttentionForward(t)
		restore()
	}
}

func testAttentionForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	for _, batch := range []int{0, 1, 3} {
		for _, n := range []int{1, 7, 17} {
			for _, m := range []int{1, 9} {
				for _, d := range []int{1, 8} {
					dv := d + 1
					q, k, v := fill(batch*n*d), fill(batch*m*d), fill(batch*m*dv)
					bias := fill(2 * n * m)
					off := make([]int, batch)
					for p := range off {
						off[p] = (p % 2) * n * m
					}
					want := attnNaive(batch, n, m, d, dv, 0.3, q, k, v, bias, off)
					for _, keep := range []bool{false, true} {
						o := fill(batch*n*dv + 3) // guard band past the output
						guard := append([]float32(nil), o[batch*n*dv:]...)
						var probs []float32
						if keep {
							probs = make([]float32, batch*n*m)
						}
						AttentionForward(batch, n, m, d, dv, 0.3, q, k, v, bias, off, probs, o[:batch*n*dv])
						for i, w := range want {
							if math.Abs(float64(o[i])-w) > 1e-5*(1+math.Abs(w)) {
								t.Fatalf("batch=%d n=%d m=%d d=%d: o[%d]=%v want %v", batch, n, m, d, i, o[i], w)
							}
						}
						for i, g := range guard {
							if o[batch*n*dv+i] != g {
								t.Fatal("wrote past the output")
							}
						}
					}
				}
			}
		}
	}
}

func TestAttentionBitIdenticalAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	const batch, n, m, d = 6, 13, 11, 8
	q, k, v, do := fill(batch*n*d), fill(batch*m*d), fill(batch*m*d), fill(batch*n*d)
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		o, probs := make([]float32, batch*n*d), make([]float32, batch*n*m)
		AttentionForward(batch, n, m, d, d, 0.5, q, k, v, nil, nil, probs, o)
		dq, dk, dv, ds := make([]float32, len(q)), make([]float32, len(k)), make([]float32, len(v)), make([]float32, len(probs))
		AttentionBackward(batch, n, m, d, d, 0.5, q, k, v, probs, do, dq, dk, dv, ds)
		return [][]float32{o, probs, dq, dk, dv, ds}
	}
	want := run(1)
	for _, procs := range []int{2, 3} {
		for i, got := range run(procs) {
			for j := range got {
				if math.Float32bits(got[j]) != math.Float32bits(want[i][j]) {
					t.Fatalf("GOMAXPROCS=%d: output %d differs at %d", procs, i, j)
				}
			}
		}
	}
}
