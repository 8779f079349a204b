package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestInterpolationTaps checks LinearTaps and CubicTaps against their
// formulas evaluated in float64 with the kernel as a function of distance.
func TestInterpolationTaps(t *testing.T) {
	keys := func(d float64) float64 { // Keys' cubic, A = -0.75
		const a = -0.75
		d = math.Abs(d)
		switch {
		case d <= 1:
			return (a+2)*d*d*d - (a+3)*d*d + 1
		case d < 2:
			return a*d*d*d - 5*a*d*d + 8*a*d - 4*a
		}
		return 0
	}
	for _, in := range []int{1, 2, 3, 5, 8, 17} {
		for _, out := range []int{1, 2, 3, 4, 7, 9, 16} {
			li, lw := LinearTaps(in, out)
			ci, cw := CubicTaps(in, out)
			for i := 0; i < out; i++ {
				src := (float64(i)+0.5)*float64(in)/float64(out) - 0.5
				// Linear: clamp below at 0, blend floor and the next (clamped).
				s := math.Max(src, 0)
				f := math.Floor(s)
				want := map[int]float64{}
				want[int(f)] += 1 - (s - f)
				want[min(int(f)+1, in-1)] += s - f
				got := map[int]float64{}
				for j := 0; j < 2; j++ {
					got[li[2*i+j]] += float64(lw[2*i+j])
				}
				convSameTaps(t, fmt.Sprintf("LinearTaps(%d, %d) output %d", in, out, i), got, want)
				// Cubic: 4 taps around floor(src), clamped, weights keep.
				f = math.Floor(src)
				want, got = map[int]float64{}, map[int]float64{}
				var sum float64
				for j := int(f) - 1; j <= int(f)+2; j++ {
					want[min(max(j, 0), in-1)] += keys(src - float64(j))
				}
				for j := 0; j < 4; j++ {
					got[ci[4*i+j]] += float64(cw[4*i+j])
					sum += float64(cw[4*i+j])
				}
				convSameTaps(t, fmt.Sprintf("CubicTaps(%d, %d) output %d", in, out, i), got, want)
				if math.Abs(sum-1) > 1e-6 {
					t.Errorf("CubicTaps(%d, %d) output %d: weights sum to %v", in, out, i, sum)
				}
			}
		}
	}
}

func convSameTaps(t *testing.T, what string, got, want map[int]float64) {
	t.Helper()
	for k, w := range want {
		if math.Abs(got[k]-w) > 1e-6 {
			t.Errorf("%s: weight of input %d is %v, want %v (all %v, want %v)", what, k, got[k], w, got, want)
			return
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && g != 0 {
			t.Errorf("%s: weight %v on input %d, want none", what, g, k)
		}
	}
}

func TestResampleIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	x := convFill(rng, 2*5*7)
	for _, taps := range []func(int, int) ([]int, []float32){LinearTaps, CubicTaps} {
		iy, wy := taps(5, 5)
		ix, wx := taps(7, 7)
		n := len(iy) / 5
		y := make([]float32, len(x))
		Resample2d(2, 5, 7, 5, 7, n, iy, wy, ix, wx, x, y)
		for i := range x {
			if y[i] != x[i] {
				t.Fatalf("%d taps: same-size resample changed element %d: %v -> %v", n, i, x[i], y[i])
			}
		}
	}
}

func TestResample2dMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	sizes := []int{1, 2, 5, 8}
	for _, h := range sizes {
		for _, w := range sizes {
			for _, oh := range []int{1, 3, 7} {
				for _, ow := range []int{1, 4, 9} {
					for _, mk := range []func(int, int) ([]int, []float32){LinearTaps, CubicTaps} {
						iy, wy := mk(h, oh)
						ix, wx := mk(w, ow)
						taps := len(iy) / oh
						planes := 3
						name := fmt.Sprintf("%dx%d -> %dx%d, %d taps", h, w, oh, ow, taps)
						x, gy := convFill(rng, planes*h*w), convFill(rng, planes*oh*ow)
						want := make([]float32, planes*oh*ow)
						gx := convGuarded(rng, planes*h*w)
						wantX := append([]float32(nil), gx[:planes*h*w]...)
						for p := 0; p < planes; p++ {
							for i := 0; i < oh; i++ {
								for j := 0; j < ow; j++ {
									var s float32
									for a := 0; a < taps; a++ {
										var r float32
										for b := 0; b < taps; b++ {
											r += wx[j*taps+b] * x[(p*h+iy[i*taps+a])*w+ix[j*taps+b]]
										}
										s += wy[i*taps+a] * r
									}
									want[(p*oh+i)*ow+j] = s
									for a := 0; a < taps; a++ {
										d := wy[i*taps+a] * gy[(p*oh+i)*ow+j]
										for b := 0; b < taps; b++ {
											wantX[(p*h+iy[i*taps+a])*w+ix[j*taps+b]] += wx[j*taps+b] * d
										}
									}
								}
							}
						}
						y := convGuarded(rng, planes*oh*ow)
						Resample2d(planes, h, w, oh, ow, taps, iy, wy, ix, wx, x, y)
						convCheck(t, "Resample2d "+name, y, want, 1e-6)
						Resample2dBackward(planes, h, w, oh, ow, taps, iy, wy, ix, wx, gy, gx)
						convCheck(t, "Resample2dBackward "+name, gx, wantX, 1e-6)
					}
				}
			}
		}
	}
}

// TestResampleLarge checks that splitting planes across workers changes no
// bit.
func TestResampleLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	planes, h, w, oh, ow := 16, 14, 14, 23, 19
	x := convFill(rng, planes*h*w)
	iy, wy := CubicTaps(h, oh)
	ix, wx := CubicTaps(w, ow)
	run := func() []float32 {
		y := make([]float32, planes*oh*ow)
		Resample2d(planes, h, w, oh, ow, 4, iy, wy, ix, wx, x, y)
		gx := make([]float32, len(x))
		Resample2dBackward(planes, h, w, oh, ow, 4, iy, wy, ix, wx, y, gx)
		return append(y, gx...)
	}
	want := convSerial(run)
	got := run()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %v with all workers, %v with one", i, got[i], want[i])
		}
	}
}
