package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

const normGuard = 5
const normSentinel = float32(12345)

func normFill(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// normOut returns an output buffer of n values (from init, or zeros) followed
// by a guard band of sentinels.
func normOut(n int, init []float32) []float32 {
	s := make([]float32, n+normGuard)
	copy(s, init)
	for i := n; i < len(s); i++ {
		s[i] = normSentinel
	}
	return s
}

// normCheck compares got[:len(want)] with want and checks the guard band.
func normCheck(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > 1e-5*(1+math.Abs(w)) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], w)
		}
	}
	for i, v := range got[len(want):] {
		if v != normSentinel {
			t.Fatalf("%s: wrote past the end at +%d", what, i)
		}
	}
}

// normPlainStats is BatchNormStats' loop in float64, element by element.
func normPlainStats(n, c, s int, x []float32) (mean, variance []float64) {
	mean, variance = make([]float64, c), make([]float64, c)
	m := float64(n * s)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			for j := 0; j < s; j++ {
				mean[ch] += float64(x[(i*c+ch)*s+j]) / m
			}
		}
	}
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			for j := 0; j < s; j++ {
				d := float64(x[(i*c+ch)*s+j]) - mean[ch]
				variance[ch] += d * d / m
			}
		}
	}
	return mean, variance
}

func TestBatchNormKernelsAwkwardSizes(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		normTestBatchNorm(t)
		restore()
	}
}

func normTestBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7} {
		for _, c := range []int{1, 3, 8, 17} {
			for _, s := range []int{1, 5, 16, 37} {
				if n*s < 1 {
					continue
				}
				size := n * c * s
				x, g := normFill(rng, size), normFill(rng, size)
				mean, variance := normOut(c, nil), normOut(c, nil)
				BatchNormStats(n, c, s, x, mean, variance)
				wm, wv := normPlainStats(n, c, s, x)
				normCheck(t, "BatchNormStats mean", mean, wm)
				normCheck(t, "BatchNormStats var", variance, wv)

				scale, shift := normFill(rng, c), normFill(rng, c)
				y := normOut(size, nil)
				ChannelScaleShift(n, c, s, x, scale, shift, y)
				want := make([]float64, size)
				for q := range want {
					ch := (q / s) % c
					want[q] = float64(x[q])*float64(scale[ch]) + float64(shift[ch])
				}
				normCheck(t, "ChannelScaleShift", y, want)

				invstd := make([]float32, c)
				for ch := range invstd {
					invstd[ch] = 0.5 + float32(ch)
				}
				for _, centred := range []bool{true, false} {
					mu, rs := mean[:c], invstd
					if !centred {
						mu, rs = nil, nil
					}
					sg, sgx := normOut(c, nil), normOut(c, nil)
					BatchNormSums(n, c, s, g, x, mu, rs, sg, sgx)
					wg, wgx := make([]float64, c), make([]float64, c)
					for q := range x {
						ch := (q / s) % c
						xh := float64(x[q])
						if centred {
							xh = (xh - float64(mu[ch])) * float64(rs[ch])
						}
						wg[ch] += float64(g[q])
						wgx[ch] += float64(g[q]) * xh
					}
					normCheck(t, "BatchNormSums g", sg, wg)
					normCheck(t, "BatchNormSums g·x̂", sgx, wgx)
				}

				k, gm, xc := normFill(rng, c), normFill(rng, c), normFill(rng, c)
				for _, full := range []bool{true, false} {
					dx0 := normFill(rng, size)
					dx := normOut(size, dx0)
					want := make([]float64, size)
					for q := range want {
						ch := (q / s) % c
						want[q] = float64(dx0[q]) + float64(k[ch])*float64(g[q])
						if full {
							want[q] -= float64(k[ch]) * (float64(gm[ch]) + (float64(x[q])-float64(mean[ch]))*float64(xc[ch]))
						}
					}
					if full {
						BatchNormInputGrad(n, c, s, g, x, mean[:c], k, gm, xc, dx)
					} else {
						BatchNormInputGrad(n, c, s, g, nil, nil, k, nil, nil, dx)
					}
					normCheck(t, "BatchNormInputGrad", dx, want)
					// The set variant never reads dx: NaNs in, the sum
					// without dx0 out.
					for q := range want {
						want[q] -= float64(dx0[q])
						dx[q] = float32(math.NaN())
					}
					if full {
						BatchNormInputGradSet(n, c, s, g, x, mean[:c], k, gm, xc, dx)
					} else {
						BatchNormInputGradSet(n, c, s, g, nil, nil, k, nil, nil, dx)
					}
					normCheck(t, "BatchNormInputGradSet", dx, want)
				}
			}
		}
	}
}

func TestLayerNormKernelsAwkwardSizes(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		normTestLayerNorm(t)
		restore()
	}
}

func normTestLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const eps = 1e-5
	for _, rows := range []int{1, 2, 9} {
		for _, d := range []int{1, 3, 8, 17, 51} {
			size := rows * d
			x, g := normFill(rng, size), normFill(rng, size)
			gamma, beta := normFill(rng, d), normFill(rng, d)
			wMean, wInv := make([]float64, rows), make([]float64, rows)
			for r := 0; r < rows; r++ {
				for j := 0; j < d; j++ {
					wMean[r] += float64(x[r*d+j]) / float64(d)
				}
				var v float64
				for j := 0; j < d; j++ {
					e := float64(x[r*d+j]) - wMean[r]
					v += e * e / float64(d)
				}
				wInv[r] = 1 / math.Sqrt(v+eps)
			}
			xhat := func(q int) float64 { return (float64(x[q]) - wMean[q/d]) * wInv[q/d] }
			for _, aff := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				var gm, bt []float32
				if aff[0] {
					gm = gamma
				}
				if aff[1] {
					bt = beta
				}
				y, mean, invstd := normOut(size, nil), normOut(rows, nil), normOut(rows, nil)
				LayerNormForward(rows, d, x, gm, bt, eps, y, mean, invstd)
				want := make([]float64, size)
				for q := range want {
					want[q] = xhat(q)
					if gm != nil {
						want[q] *= float64(gm[q%d])
					}
					if bt != nil {
						want[q] += float64(bt[q%d])
					}
				}
				normCheck(t, "LayerNormForward mean", mean, wMean)
				normCheck(t, "LayerNormForward invstd", invstd, wInv)
				normCheck(t, "LayerNormForward", y, want)

				dx0 := normFill(rng, size)
				dx := normOut(size, dx0)
				LayerNormInputGrad(rows, d, g, x, gm, mean[:rows], invstd[:rows], dx)
				for r := 0; r < rows; r++ {
					var a, b float64
					for j := 0; j < d; j++ {
						gh := float64(g[r*d+j])
						if gm != nil {
							gh *= float64(gm[j])
						}
						a += gh / float64(d)
						b += gh * xhat(r*d+j) / float64(d)
					}
					for j := 0; j < d; j++ {
						gh := float64(g[r*d+j])
						if gm != nil {
							gh *= float64(gm[j])
						}
						want[r*d+j] = float64(dx0[r*d+j]) + wInv[r]*(gh-a-xhat(r*d+j)*b)
					}
				}
				normCheck(t, "LayerNormInputGrad", dx, want)
			}
			dg0, db0 := normFill(rng, d), normFill(rng, d)
			dg, db := normOut(d, dg0), normOut(d, db0)
			mean, invstd := make([]float32, rows), make([]float32, rows)
			for r := range mean {
				mean[r], invstd[r] = float32(wMean[r]), float32(wInv[r])
			}
			LayerNormParamGrad(rows, d, g, x, mean, invstd, dg, db)
			wg, wb := make([]float64, d), make([]float64, d)
			for j := 0; j < d; j++ {
				wg[j], wb[j] = float64(dg0[j]), float64(db0[j])
				for r := 0; r < rows; r++ {
					wg[j] += float64(g[r*d+j]) * (float64(x[r*d+j]) - float64(mean[r])) * float64(invstd[r])
					wb[j] += float64(g[r*d+j])
				}
			}
			normCheck(t, "LayerNormParamGrad gamma", dg, wg)
			normCheck(t, "LayerNormParamGrad beta", db, wb)
			db = normOut(d, db0)
			LayerNormParamGrad(rows, d, g, x, mean, invstd, nil, db) // dgamma skipped
			normCheck(t, "LayerNormParamGrad beta alone", db, wb)
		}
	}
}

// TestNormKernelsAnyGOMAXPROCS checks that every norm kernel gives
// bit-identical results with 1 and with several workers, on sizes large
// enough to be split.
func TestNormKernelsAnyGOMAXPROCS(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		normTestAnyGOMAXPROCS(t)
		restore()
	}
}

func normTestAnyGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, c, s = 3, 40, 700 // 84000 elements: several chunks of channels and planes
	const rows, d = 300, 280
	x, g := normFill(rng, n*c*s), normFill(rng, n*c*s)
	k, gm, xc := normFill(rng, c), normFill(rng, c), normFill(rng, c)
	lx, lg, gamma, beta := normFill(rng, rows*d), normFill(rng, rows*d), normFill(rng, d), normFill(rng, d)
	run := func() [][]float32 {
		mean, variance := make([]float32, c), make([]float32, c)
		BatchNormStats(n, c, s, x, mean, variance)
		y := make([]float32, n*c*s)
		ChannelScaleShift(n, c, s, x, k, gm, y)
		y1 := make([]float32, rows*d)
		ChannelScaleShift(rows, d, 1, lx, gamma, beta, y1)
		sg, sgx := make([]float32, c), make([]float32, c)
		BatchNormSums(n, c, s, g, x, mean, variance, sg, sgx)
		dx := make([]float32, n*c*s)
		BatchNormInputGrad(n, c, s, g, x, mean, k, gm, xc, dx)
		ly, lm, li := make([]float32, rows*d), make([]float32, rows), make([]float32, rows)
		LayerNormForward(rows, d, lx, gamma, beta, 1e-6, ly, lm, li)
		ldx := make([]float32, rows*d)
		LayerNormInputGrad(rows, d, lg, lx, gamma, lm, li, ldx)
		dg, db := make([]float32, d), make([]float32, d)
		LayerNormParamGrad(rows, d, lg, lx, lm, li, dg, db)
		return [][]float32{mean, variance, y, y1, sg, sgx, dx, ly, lm, li, ldx, dg, db}
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	want := run()
	runtime.GOMAXPROCS(7)
	got := run()
	for o := range want {
		for i := range want[o] {
			if math.Float32bits(got[o][i]) != math.Float32bits(want[o][i]) {
				t.Fatalf("output %d element %d: %v with 7 workers, %v with 1", o, i, got[o][i], want[o][i])
			}
		}
	}
}
