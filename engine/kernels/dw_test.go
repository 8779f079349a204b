package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestDwPrimitives checks dwTaps, dwDotTaps and dwDeinterleave (the
// assembly where it runs) against their plain loops on awkward lengths, with
// guard bands after every output.
func TestDwPrimitives(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129} {
		for _, ntaps := range []int{0, 1, 3, 9, 25} {
			offs := make([]int, ntaps)
			for i := range offs {
				offs[i] = rng.IntN(40)
			}
			src := convFill(rng, 40+dwRoundUp(n, 64))
			wts := convFill(rng, ntaps)
			want := make([]float32, n)
			scale := make([]float64, n)
			for q := range want {
				s := float32(0.5)
				scale[q] = 0.5
				for i, off := range offs {
					s += wts[i] * src[off+q]
					scale[q] += math.Abs(float64(wts[i] * src[off+q]))
				}
				want[q] = s
			}
			got := convGuarded(rng, n)
			dwTaps(got[:n], src, offs, wts, 0.5)
			dwCheckScaled(t, fmt.Sprintf("dwTaps n=%d taps=%d", n, ntaps), got, want, scale)
		}
		m := dwRoundUp(n, 16)
		offs := []int{0, 3, 17, 40, 1, 2, 5, 39}
		gy, src := convFill(rng, m), convFill(rng, 40+m)
		out := convGuarded(rng, 8*len(offs))
		dwDotTaps(gy, src, offs, out[:8*len(offs)])
		want := make([]float32, 8*len(offs))
		scale := make([]float64, len(want))
		for ti, off := range offs {
			var a, b [8]float32
			for q := 0; q < m; q++ {
				p := gy[q] * src[off+q]
				if q/8%2 == 0 {
					a[q%8] += p
				} else {
					b[q%8] += p
				}
				scale[8*ti+q%8] += math.Abs(float64(p))
			}
			for l := range a {
				want[8*ti+l] = a[l] + b[l]
			}
		}
		dwCheckScaled(t, fmt.Sprintf("dwDotTaps n=%d", m), out, want, scale)

		x := convFill(rng, 2*n)
		even, odd := convGuarded(rng, n), convGuarded(rng, n)
		dwDeinterleave(x, even[:n], odd[:n])
		we, wo := make([]float32, n), make([]float32, n)
		for i := range we {
			we[i], wo[i] = x[2*i], x[2*i+1]
		}
		convCheck(t, fmt.Sprintf("dwDeinterleave even n=%d", n), even, we, 0)
		convCheck(t, fmt.Sprintf("dwDeinterleave odd n=%d", n), odd, wo, 0)

		for _, cols := range []int{0, 1, 7, 8, 9, 17} {
			rows, sp, dp := 1+n%4, cols+3, cols+2
			src := convFill(rng, rows*sp)
			got := convGuarded(rng, rows*dp)
			want := append([]float32(nil), got[:rows*dp]...)
			dwCopyRowsGo(want, dp, src, sp, rows, cols)
			dwCopyRows(got, dp, src, sp, rows, cols)
			convCheck(t, fmt.Sprintf("dwCopyRows rows=%d cols=%d", rows, cols), got, want, 0)
		}
	}
}

// TestDepthwiseGomaxprocs runs the depthwise kernels at MobileNet-like
// sizes on both paths with GOMAXPROCS 1, 2 and 3 and wants identical bits.
func TestDepthwiseGomaxprocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		for _, s := range []struct{ h, k, st, mult int }{{20, 3, 2, 1}, {14, 5, 1, 1}, {9, 7, 1, 2}} {
			g := Geom2d{H: s.h, W: s.h, KH: s.k, KW: s.k, StrideH: s.st, StrideW: s.st, DilH: 1, DilW: 1, PadT: s.k / 2, PadL: s.k / 2}
			g.OH = (s.h+2*(s.k/2)-s.k)/s.st + 1
			g.OW = g.OH
			n, c := 2, 24
			x, w, bias := convFill(rng, n*c*s.h*s.h), convFill(rng, c*s.mult*s.k*s.k), convFill(rng, c*s.mult)
			gy := convFill(rng, n*c*s.mult*g.OH*g.OW)
			run := func() []float32 {
				y := make([]float32, len(gy))
				DepthwiseConv2d(g, n, c, s.mult, x, w, bias, y)
				gx := make([]float32, len(x))
				DepthwiseConv2dBackwardInput(g, n, c, s.mult, gy, w, gx)
				gw := make([]float32, len(w))
				DepthwiseConv2dBackwardFilter(g, n, c, s.mult, gy, x, gw)
				return append(append(y, gx...), gw...)
			}
			var want []float32
			for _, procs := range []int{1, 2, 3} {
				prev := runtime.GOMAXPROCS(procs)
				got := run()
				runtime.GOMAXPROCS(prev)
				if want == nil {
					want = got
					continue
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("asm=%v %+v: element %d = %v with GOMAXPROCS %d, %v with 1", useAsm, s, i, got[i], procs, want[i])
					}
				}
			}
		}
		restore()
	}
}
