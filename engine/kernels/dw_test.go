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
	defer func(old int) { dwLaneChoice = old }(dwLaneChoice)
	for _, path := range []struct {
		asm   bool
		lanes int
	}{{false, dwLanesAuto}, {true, dwLanesNever}, {true, dwLanesAlways}} {
		restore := setAsm(path.asm)
		dwLaneChoice = path.lanes
		for _, s := range []struct{ h, k, st, mult int }{{20, 3, 2, 1}, {14, 5, 1, 1}, {9, 7, 1, 2}, {7, 3, 1, 1}} {
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
						t.Fatalf("%+v %+v: element %d = %v with GOMAXPROCS %d, %v with 1", path, s, i, got[i], procs, want[i])
					}
				}
			}
		}
		restore()
	}
}

// TestDwLanePrimitives checks the channels-in-lanes kernels (the assembly
// where it runs) against their plain-Go versions on awkward sizes, with
// guard bands after every output.
func TestDwLanePrimitives(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 49, 64, 65} {
		// Pack: eight planes of n values, scattered to shuffled vectors.
		src := convFill(rng, 8*n+5)
		var planes [8]int
		for i := range planes {
			planes[i] = rng.IntN(7*n + 6)
		}
		dstoff := make([]int32, n)
		for i, v := range rng.Perm(n + 3)[:n] {
			dstoff[i] = int32(8 * v)
		}
		got := convGuarded(rng, 8*(n+3))
		want := append([]float32(nil), got[:8*(n+3)]...)
		dwLanePackGo(want, src, &planes, dstoff)
		dwLanePack(got, src, &planes, dstoff)
		convCheck(t, fmt.Sprintf("dwLanePack n=%d", n), got, want, 0)

		// Unpack and UnpackAdd into planes of pitch n+2.
		pitch := n + 2
		src = convFill(rng, 8*dwRoundUp(n, 8))
		for _, add := range []bool{false, true} {
			got := convGuarded(rng, 8*pitch)
			want := append([]float32(nil), got[:8*pitch]...)
			if add {
				dwLaneUnpackAddGo(want, pitch, src, n)
				dwLaneUnpackAdd(got, pitch, src, n)
			} else {
				dwLaneUnpackGo(want, pitch, src, n)
				dwLaneUnpack(got, pitch, src, n)
			}
			convCheck(t, fmt.Sprintf("dwLaneUnpack add=%v n=%d", add, n), got, want, 1e-6)
		}
	}
	for _, rows := range []int{1, 2, 3} {
		for _, cols := range []int{1, 2, 3, 5, 7, 8, 9, 14, 16, 17, 23} {
			spitch := cols + 4
			for _, ntaps := range []int{0, 1, 3, 5, 8, 9, 25} {
				offs := make([]int, ntaps)
				for i := range offs {
					offs[i] = 8 * rng.IntN(3*spitch)
				}
				src := convFill(rng, 8*((rows+3)*spitch))
				wts, bias := convFill(rng, 8*ntaps), [8]float32(convFill(rng, 8))
				for _, step := range []int{1, 2, 3} {
					dpitch := step*cols + rows%2
					nd := 8 * ((rows-1)*dpitch + (cols-1)*step + 1)
					got := convGuarded(rng, nd)
					want := append([]float32(nil), got[:nd]...)
					dwLaneTapsGo(want, src, offs, wts, &bias, rows, cols, spitch, dpitch, step)
					dwLaneTaps(got, src, offs, wts, &bias, rows, cols, spitch, dpitch, step)
					convCheck(t, fmt.Sprintf("dwLaneTaps rows=%d cols=%d taps=%d step=%d", rows, cols, ntaps, step), got, want, 1e-5)
				}
				if ntaps < 1 || ntaps > 8 {
					continue
				}
				gy := convFill(rng, 8*rows*cols)
				got := convGuarded(rng, 8*ntaps)
				want := append([]float32(nil), got[:8*ntaps]...)
				dwLaneDotGo(gy, src, offs, want, rows, cols, spitch)
				dwLaneDot(gy, src, offs, got, rows, cols, spitch)
				convCheck(t, fmt.Sprintf("dwLaneDot rows=%d cols=%d taps=%d", rows, cols, ntaps), got, want, 1e-5)
			}
		}
	}
}

// TestDepthwiseLanes runs the channels-in-lanes path on every geometry of
// the depthwise sweeps (forcing it where dwLanesFit would not take it), with
// channel counts that are and are not multiples of 8, channel multipliers 1
// to 3 and batches of 1 and 2, against the plain loops.
func TestDepthwiseLanes(t *testing.T) {
	if !asmBuilt || !hasAVX2 || !hasFMA {
		t.Skip("no assembly path")
	}
	defer func(old int) { dwLaneChoice = old }(dwLaneChoice)
	dwLaneChoice = dwLanesAlways
	rng := rand.New(rand.NewPCG(27, 28))
	sizes := [][3]int{{1, 8, 1}, {2, 11, 1}, {1, 5, 3}, {2, 9, 2}, {1, 3, 1}}
	for gi, g := range dwGeoms() {
		sz := sizes[gi%len(sizes)]
		dwCheckLoops(t, rng, g, sz[0], sz[1], sz[2], "lanes")
	}
	for gi, g := range convGeoms() {
		sz := sizes[gi%len(sizes)]
		dwCheckLoops(t, rng, g, sz[0], sz[1], sz[2], "lanes")
	}
	// Tiny planes 1×1..7×7 with 3×3, 5×5 and 7×7 windows, stride 1 and 2,
	// asymmetric padding.
	for h := 1; h <= 7; h++ {
		for _, k := range []int{3, 5, 7} {
			for _, s := range []int{1, 2} {
				for _, p := range [][4]int{{k / 2, k / 2, k / 2, k / 2}, {0, k - 1, 1, k - 2}} {
					eh, ew := h+p[0]+p[1]-k+1, h+1+p[2]+p[3]-k+1
					if eh < 1 || ew < 1 {
						continue
					}
					g := Geom2d{H: h, W: h + 1, KH: k, KW: k, StrideH: s, StrideW: s, DilH: 1, DilW: 1,
						PadT: p[0], PadL: p[2], OH: (eh-1)/s + 1, OW: (ew-1)/s + 1}
					sz := sizes[(h+k+s)%len(sizes)]
					dwCheckLoops(t, rng, g, sz[0], sz[1], sz[2], "lanes")
				}
			}
		}
	}
}
