package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// naiveSgemm is the loop Sgemm's doc comment promises, in float64 for a
// reference that does not share Sgemm's rounding. It also returns, per
// element, the sum of the magnitudes of the terms, which bounds the rounding
// error of any summation order.
func naiveSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, mag []float64) {
	want = make([]float64, len(c))
	mag = make([]float64, len(c))
	for i := range c {
		want[i] = float64(c[i])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			v := float64(alpha) * s
			mag[i*ldc+j] = math.Abs(float64(alpha)) * abs
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
				mag[i*ldc+j] += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*ldc+j] = v
		}
	}
	return want, mag
}

func gemmFill(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// gemmCase is one Sgemm call's operands, with lda, ldb and ldc wider than
// the matrices and guard values past C's last row.
type gemmCase struct {
	tA, tB        bool
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
}

const gemmGuard = 7

func newGemmCase(rng *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float32) *gemmCase {
	ra, ca := m, k
	if tA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if tB {
		rb, cb = n, k
	}
	g := &gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta, lda: ca + 3, ldb: cb + 1, ldc: n + 2}
	g.a = gemmFill(rng, max(ra*g.lda, 1))
	g.b = gemmFill(rng, max(rb*g.ldb, 1))
	g.c = gemmFill(rng, m*g.ldc+gemmGuard)
	if beta == 0 {
		for i := range g.c {
			if i%g.ldc < n && i < m*g.ldc {
				g.c[i] = float32(math.NaN())
			}
		}
	}
	return g
}

func (g *gemmCase) run(serial bool) []float32 {
	c := append([]float32(nil), g.c...)
	f := Sgemm
	if serial {
		f = SgemmSerial
	}
	f(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	return c
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v asm=%v", g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.beta, useAsm)
}

// check compares got with the float64 loop: elements within the rounding
// bound of a k-term float32 sum, padding columns and guard values untouched.
func (g *gemmCase) check(t *testing.T, got []float32) {
	t.Helper()
	want, mag := naiveSgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
	for i := range got {
		gv, w := got[i], want[i]
		if i >= g.m*g.ldc || i%g.ldc >= g.n {
			if math.Float32bits(gv) != math.Float32bits(g.c[i]) {
				t.Fatalf("%v: wrote C[%d] outside the matrix: %v, was %v", g, i, gv, g.c[i])
			}
			continue
		}
		tol := 1.2e-7*float64(g.k+3)*mag[i] + 1e-30
		if d := math.Abs(float64(gv) - w); !(d <= tol) {
			t.Fatalf("%v: C[%d,%d] = %v, want %v (tolerance %g)", g, i/g.ldc, i%g.ldc, gv, w, tol)
		}
	}
}

// gemmPaths runs f with the AVX-512 SGEMM kernel, with the AVX2 one only,
// and with the pure-Go loops (the assembly paths where available).
func gemmPaths(t *testing.T, f func(t *testing.T)) {
	for _, path := range []string{"avx512", "avx2", "generic"} {
		t.Run("path="+path, func(t *testing.T) {
			if path != "generic" && !(asmBuilt && hasAVX2 && hasFMA) {
				t.Skip("no AVX2+FMA assembly on this build or CPU")
			}
			if path == "avx512" && !hasAVX512 {
				t.Skip("no AVX-512F on this CPU")
			}
			defer setAsm(path != "generic")()
			defer setAVX512(path == "avx512")()
			f(t)
		})
	}
}

// TestSgemmAVX512SameBitsAsAVX2 runs products with full and partial 6×32
// tiles, both transposes, beta and both biases through the AVX-512 and the
// AVX2 micro-kernels: the results must be the same bits.
func TestSgemmAVX512SameBitsAsAVX2(t *testing.T) {
	if !(asmBuilt && hasAVX2 && hasFMA && hasAVX512) {
		t.Skip("no AVX-512F (or no assembly) on this build or CPU")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range [][3]int{{6, 32, 5}, {13, 70, 40}, {64, 96, 300}, {200, 520, 2*gemmKC + 3}, {7, 33, 1}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				g := newGemmCase(rng, tA, tB, s[0], s[1], s[2], 0.75, -0.5)
				rb, cb := gemmFill(rng, g.m), gemmFill(rng, g.n)
				run := func(avx512 bool) []float32 {
					defer setAVX512(avx512)()
					got := append([]float32(nil), g.c...)
					SgemmBias(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc, rb, cb)
					return got
				}
				gemmSameBits(t, fmt.Sprintf("%v avx512 vs avx2", g), run(true), run(false))
			}
		}
	}
}

func TestSgemmAwkwardSizes(t *testing.T) {
	sizes := []int{0, 1, 7, 8, 9, 15, 16, 17}
	gemmPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, m := range sizes {
					for _, n := range sizes {
						for _, k := range []int{0, 1, 9, 17} {
							for _, ab := range [][2]float32{{1.5, -0.5}, {1, 0}} {
								g := newGemmCase(rng, tA, tB, m, n, k, ab[0], ab[1])
								g.check(t, g.run(false))
							}
						}
					}
				}
			}
		}
	})
}

// TestSgemmBlockBoundaries crosses the KC, MC and NC blocks and the parallel
// split, so that every kind of edge (partial micro-panel, partial block,
// several K blocks folded into C) is met, for all transposes.
func TestSgemmBlockBoundaries(t *testing.T) {
	kc, mc, nc := gemmKC, gemmMC, gemmNC
	shapes := [][3]int{
		{mc + 3, 17, kc + 1},
		{2*mc + 1, 33, 2*kc + 3},
		{13, 2*gemmNR + 5, 3*kc - 1},
		{5, nc + 1, 7},
		{gemmMR + 1, gemmNR + 1, kc},
	}
	gemmPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for i, s := range shapes {
					ab := [][2]float32{{1, 0}, {-0.75, 1}, {2, 0.5}}[i%3]
					g := newGemmCase(rng, tA, tB, s[0], s[1], s[2], ab[0], ab[1])
					g.check(t, g.run(false))
				}
			}
		}
	})
}

func TestSgemmBetaZeroOverwritesNaN(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		c := []float32{float32(math.NaN())}
		Sgemm(false, false, 1, 1, 1, 1, []float32{2}, 1, []float32{3}, 1, 0, c, 1)
		if c[0] != 6 {
			t.Fatalf("got %v, want 6", c[0])
		}
		// A full 6×16 tile, several K blocks, and k = 0.
		for _, k := range []int{0, 5, gemmKC + 5} {
			m, n := 12, 32
			a, b := make([]float32, m*k), make([]float32, k*n)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 1
			}
			c := make([]float32, m*n)
			for i := range c {
				c[i] = float32(math.NaN())
			}
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			for i, v := range c {
				if v != float32(k) {
					t.Fatalf("k=%d: C[%d] = %v, want %d", k, i, v, k)
				}
			}
		}
	})
}

func gemmWithProcs(procs int, f func()) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	f()
}

func gemmSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, want %v bit for bit", what, i, got[i], want[i])
		}
	}
}

// TestSgemmDeterministic holds Sgemm to the same bits under GOMAXPROCS 1, 2
// and 3, and SgemmSerial to Sgemm's bits, on products large enough to be
// split (by rows and by columns).
func TestSgemmDeterministic(t *testing.T) {
	shapes := [][3]int{{151, 100, 290}, {40, 300, 260}, {49, 49, 32}}
	gemmPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, s := range shapes {
					g := newGemmCase(rng, tA, tB, s[0], s[1], s[2], 1.25, 0.5)
					var ref []float32
					gemmWithProcs(1, func() { ref = g.run(false) })
					g.check(t, ref)
					for _, procs := range []int{2, 3} {
						gemmWithProcs(procs, func() {
							gemmSameBits(t, fmt.Sprintf("%v GOMAXPROCS=%d", g, procs), g.run(false), ref)
							gemmSameBits(t, fmt.Sprintf("%v SgemmSerial GOMAXPROCS=%d", g, procs), g.run(true), ref)
						})
					}
				}
			}
		}
	})
}

// TestSgemmBias holds SgemmBias to Sgemm followed by the two bias
// additions, bit for bit, with either bias or both or neither.
func TestSgemmBias(t *testing.T) {
	shapes := [][3]int{{1, 1, 1}, {7, 17, 9}, {12, 32, 5}, {13, 35, 0}, {60, 40, 2*gemmKC + 1}, {64, 300, 27}}
	gemmPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, s := range shapes {
					for _, beta := range []float32{0, 1, -0.5} {
						g := newGemmCase(rng, tA, tB, s[0], s[1], s[2], 0.5, beta)
						rowBias, colBias := gemmFill(rng, g.m), gemmFill(rng, g.n)
						plain := g.run(false)
						for _, which := range []int{0, 1, 2, 3} {
							rb, cb := rowBias, colBias
							if which&1 == 0 {
								rb = nil
							}
							if which&2 == 0 {
								cb = nil
							}
							want := append([]float32(nil), plain...)
							for i := 0; i < g.m; i++ {
								for j := 0; j < g.n; j++ {
									v := want[i*g.ldc+j]
									if rb != nil {
										v = float32(v + rb[i])
									}
									if cb != nil {
										v = float32(v + cb[j])
									}
									want[i*g.ldc+j] = v
								}
							}
							for _, procs := range []int{1, 2} {
								got := append([]float32(nil), g.c...)
								gemmWithProcs(procs, func() {
									SgemmBias(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc, rb, cb)
								})
								gemmSameBits(t, fmt.Sprintf("%v rowBias=%v colBias=%v GOMAXPROCS=%d", g, rb != nil, cb != nil, procs), got, want)
							}
						}
					}
				}
			}
		}
	})
}

// TestSgemmNoAllocs: a steady-state call allocates nothing, serial or split
// over two goroutines.
func TestSgemmNoAllocs(t *testing.T) {
	const m, n, k = 128, 100, 150
	rng := rand.New(rand.NewPCG(9, 10))
	a, b, c := gemmFill(rng, m*k), gemmFill(rng, k*n), make([]float32, m*n)
	rb, cb := gemmFill(rng, m), gemmFill(rng, n)
	gemmPaths(t, func(t *testing.T) {
		for _, procs := range []int{1, 2} {
			gemmWithProcs(procs, func() {
				calls := map[string]func(){
					"Sgemm":       func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) },
					"SgemmSerial": func() { SgemmSerial(true, false, m, n, k, 1, a, m, b, n, 1, c, n) },
					"SgemmBias":   func() { SgemmBias(false, false, m, n, k, 1, a, k, b, n, 0, c, n, rb, cb) },
				}
				for name, f := range calls {
					f()
					if allocs := testing.AllocsPerRun(10, f); allocs != 0 {
						t.Errorf("%s GOMAXPROCS=%d: %v allocations per call, want 0", name, procs, allocs)
					}
				}
			})
		}
	})
}

func TestSgemmPanics(t *testing.T) {
	cases := map[string]func(){
		"negative size": func() { Sgemm(false, false, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) },
		"short C": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		},
		"short A": func() {
			Sgemm(true, false, 2, 2, 3, 1, make([]float32, 5), 2, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		},
		"small ldb": func() {
			Sgemm(false, true, 2, 2, 3, 1, make([]float32, 6), 3, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		},
		"short rowBias": func() {
			SgemmBias(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2, make([]float32, 1), nil)
		},
		"short colBias": func() {
			SgemmBias(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2, nil, make([]float32, 1))
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// TestSgemmBiasAct checks the activation epilogue against SgemmBias followed
// by the activation over C, bit for bit, on the direct, k = 0 and packed
// paths, several K blocks and column groups, both transposes and 1 or 2
// workers; the guard columns of C (ldc > n) must stay untouched.
func TestSgemmBiasAct(t *testing.T) {
	shapes := [][3]int{{1, 1, 1}, {7, 17, 9}, {13, 35, 0}, {60, 40, 2*gemmKC + 1}, {64, 300, 27}, {200, 260, 70}}
	acts := []struct {
		name string
		f    func(dst, x []float32)
		act  Act
	}{{"gelu", GELU, ActGELU}, {"gelu_tanh", GELUTanh, ActGELUTanh}, {"relu", ReLU, ActReLU}, {"silu", SiLU, ActSiLU}, {"hardswish", HardSwish, ActHardSwish}}
	gemmPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, s := range shapes {
					for _, act := range acts {
						g := newGemmCase(rng, tA, tB, s[0], s[1], s[2], 0.5, 1)
						rb, cb := gemmFill(rng, g.m), gemmFill(rng, g.n)
						want := append([]float32(nil), g.c...)
						SgemmBias(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, want, g.ldc, rb, cb)
						for i := 0; i < g.m; i++ {
							row := want[i*g.ldc : i*g.ldc+g.n]
							act.f(row, row)
						}
						for _, procs := range []int{1, 2} {
							got := append([]float32(nil), g.c...)
							gemmWithProcs(procs, func() {
								SgemmBiasAct(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc, rb, cb, act.act)
							})
							gemmSameBits(t, fmt.Sprintf("%v act=%s GOMAXPROCS=%d", g, act.name, procs), got, want)
						}
					}
				}
			}
		}
	})
}
