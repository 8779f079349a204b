package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

const convGuard = 7

// convSentinel fills guard bands; no kernel computes it from test data.
const convSentinel = float32(-12345.5)

func convFill(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// convGuarded returns a slice of n random values followed by a guard band
// of sentinels.
func convGuarded(rng *rand.Rand, n int) []float32 {
	s := append(convFill(rng, n), make([]float32, convGuard)...)
	for i := n; i < len(s); i++ {
		s[i] = convSentinel
	}
	return s
}

// convCheck compares got[:len(want)] with want (NaNs equal, relative
// tolerance tol) and checks that the guard band after it is untouched.
func convCheck(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	for i, w := range want {
		g := got[i]
		if g != g && w != w || g == w {
			continue
		}
		if g != g || w != w || !(math.Abs(float64(g)-float64(w)) <= tol*(1+math.Abs(float64(w)))) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, g, w)
		}
	}
	for i, v := range got[len(want):] {
		if v != convSentinel {
			t.Fatalf("%s: wrote %v past the output, at guard %d", what, v, i)
		}
	}
}

// convGeoms returns awkward geometries: sizes 1 and odd, non-square and
// strided windows, dilation, and padding wider than the window (so some
// outputs read only padding).
func convGeoms() []Geom2d {
	var gs []Geom2d
	for _, h := range []int{1, 4, 7} {
		for _, w := range []int{1, 5, 8} {
			for _, k := range [][2]int{{1, 1}, {3, 3}, {1, 2}, {3, 5}} {
				for _, s := range [][2]int{{1, 1}, {2, 3}, {2, 1}, {1, 2}} {
					for _, d := range [][2]int{{1, 1}, {2, 1}} {
						for _, p := range [][4]int{{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 0, 0, 3}} {
							eh := h + p[0] + p[1] - (k[0]-1)*d[0]
							ew := w + p[2] + p[3] - (k[1]-1)*d[1]
							if eh < 1 || ew < 1 {
								continue
							}
							gs = append(gs, Geom2d{H: h, W: w, KH: k[0], KW: k[1], StrideH: s[0], StrideW: s[1],
								DilH: d[0], DilW: d[1], PadT: p[0], PadL: p[2], OH: (eh-1)/s[0] + 1, OW: (ew-1)/s[1] + 1})
						}
					}
				}
			}
		}
	}
	return gs
}

// convTap is the input index read by output (oy, ox) at tap (ky, kx), and
// whether it is inside the plane.
func convTap(g Geom2d, oy, ox, ky, kx int) (iy, ix int, ok bool) {
	iy, ix = oy*g.StrideH-g.PadT+ky*g.DilH, ox*g.StrideW-g.PadL+kx*g.DilW
	return iy, ix, iy >= 0 && iy < g.H && ix >= 0 && ix < g.W
}

func TestIm2colCol2imMatchLoops(t *testing.T) { gemmPaths(t, testIm2colCol2imMatchLoops) }

// testIm2colCol2imMatchLoops runs on each dispatch path (the AVX-512 one
// unfolds shifted geometries through masked loads).
func testIm2colCol2imMatchLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range convGeoms() {
		for _, c := range []int{1, 3} {
			name := fmt.Sprintf("c=%d %+v", c, g)
			ohw, rows := g.OH*g.OW, c*g.KH*g.KW
			x := convFill(rng, c*g.H*g.W)
			want := make([]float32, rows*ohw)
			for ci := 0; ci < c; ci++ {
				for ky := 0; ky < g.KH; ky++ {
					for kx := 0; kx < g.KW; kx++ {
						r := (ci*g.KH+ky)*g.KW + kx
						for oy := 0; oy < g.OH; oy++ {
							for ox := 0; ox < g.OW; ox++ {
								var v float32
								if iy, ix, ok := convTap(g, oy, ox, ky, kx); ok {
									v = x[(ci*g.H+iy)*g.W+ix]
								}
								want[r*ohw+oy*g.OW+ox] = v
							}
						}
					}
				}
			}
			col := convGuarded(rng, rows*ohw) // random values: Im2col must overwrite them all
			Im2col(g, c, x, col)
			convCheck(t, "Im2col "+name, col, want, 0)

			// Col2im adds onto random values.
			src := convFill(rng, rows*ohw)
			gx := convGuarded(rng, c*g.H*g.W)
			wantX := append([]float32(nil), gx[:c*g.H*g.W]...)
			for ci := 0; ci < c; ci++ {
				for ky := 0; ky < g.KH; ky++ {
					for kx := 0; kx < g.KW; kx++ {
						r := (ci*g.KH+ky)*g.KW + kx
						for oy := 0; oy < g.OH; oy++ {
							for ox := 0; ox < g.OW; ox++ {
								if iy, ix, ok := convTap(g, oy, ox, ky, kx); ok {
									wantX[(ci*g.H+iy)*g.W+ix] += src[r*ohw+oy*g.OW+ox]
								}
							}
						}
					}
				}
			}
			Col2im(g, c, src, gx)
			convCheck(t, "Col2im "+name, gx, wantX, 1e-6)
		}
	}
}

func TestDepthwiseConv2dMatchesLoops(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		rng := rand.New(rand.NewPCG(3, 4))
		for gi, g := range convGeoms() {
			for _, sz := range [][3]int{{1, 1, 1}, {2, 3, 1}, {1, 2, 3}} {
				if gi%3 != 0 && sz[1] == 3 { // keep the sweep quick: the largest size on a third of the geometries
					continue
				}
				dwCheckLoops(t, rng, g, sz[0], sz[1], sz[2], fmt.Sprintf("asm=%v", useAsm))
			}
		}
		restore()
	}
}

// dwGeoms returns the depthwise shapes of vision models on awkward plane
// sizes: 3×3, 5×5 and 7×7 windows, strides 1 and 2, no padding, symmetric
// padding and TensorFlow "SAME" padding (asymmetric for even sizes and
// stride 2).
func dwGeoms() []Geom2d {
	var gs []Geom2d
	for _, k := range []int{3, 5, 7} {
		for _, s := range []int{1, 2} {
			for _, h := range []int{1, 9, 16} {
				for _, w := range []int{1, 7, 8, 9, 15, 16, 17} {
					same := func(in int) (int, int) {
						tot := max(((in+s-1)/s-1)*s+k-in, 0)
						return tot / 2, tot - tot/2
					}
					pt, pb := same(h)
					pl, pr := same(w)
					for _, p := range [][4]int{{0, 0, 0, 0}, {k / 2, k / 2, k / 2, k / 2}, {pt, pb, pl, pr}} {
						eh, ew := h+p[0]+p[1]-k+1, w+p[2]+p[3]-k+1
						if eh < 1 || ew < 1 {
							continue
						}
						gs = append(gs, Geom2d{H: h, W: w, KH: k, KW: k, StrideH: s, StrideW: s, DilH: 1, DilW: 1,
							PadT: p[0], PadL: p[2], OH: (eh-1)/s + 1, OW: (ew-1)/s + 1})
					}
				}
			}
		}
	}
	return gs
}

func TestDepthwiseConv2dModelShapes(t *testing.T) {
	for _, asm := range []bool{false, true} {
		restore := setAsm(asm)
		rng := rand.New(rand.NewPCG(13, 14))
		for gi, g := range dwGeoms() {
			mult := 1 + gi%2
			dwCheckLoops(t, rng, g, 2, 2, mult, fmt.Sprintf("asm=%v", useAsm))
		}
		restore()
	}
}

// dwCheckLoops checks the three depthwise kernels against their plain loops.
func dwCheckLoops(t *testing.T, rng *rand.Rand, g Geom2d, n, c, mult int, path string) {
	t.Helper()
	name := fmt.Sprintf("%s n=%d c=%d mult=%d %+v", path, n, c, mult, g)
	o, hw, ohw, kk := c*mult, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	x, w, bias := convFill(rng, n*c*hw), convFill(rng, o*kk), convFill(rng, o)
	for _, b := range [][]float32{nil, bias} {
		want := make([]float32, n*o*ohw)
		scale := make([]float64, n*o*ohw)
		for bn := 0; bn < n; bn++ {
			for oc := 0; oc < o; oc++ {
				for oy := 0; oy < g.OH; oy++ {
					for ox := 0; ox < g.OW; ox++ {
						var s float32
						if b != nil {
							s = b[oc]
						}
						for ky := 0; ky < g.KH; ky++ {
							for kx := 0; kx < g.KW; kx++ {
								if iy, ix, ok := convTap(g, oy, ox, ky, kx); ok {
									p := w[(oc*g.KH+ky)*g.KW+kx] * x[((bn*c+oc/mult)*g.H+iy)*g.W+ix]
									s += p
									scale[((bn*o+oc)*g.OH+oy)*g.OW+ox] += math.Abs(float64(p))
								}
							}
						}
						want[((bn*o+oc)*g.OH+oy)*g.OW+ox] = s
					}
				}
			}
		}
		y := convGuarded(rng, n*o*ohw)
		DepthwiseConv2d(g, n, c, mult, x, w, b, y)
		dwCheckScaled(t, fmt.Sprintf("DepthwiseConv2d bias=%v %s", b != nil, name), y, want, scale)
	}

	gy := convFill(rng, n*o*ohw)
	gx := convGuarded(rng, n*c*hw)
	wantX := append([]float32(nil), gx[:n*c*hw]...)
	scaleX := make([]float64, n*c*hw)
	for bn := 0; bn < n; bn++ {
		for ci := 0; ci < c; ci++ {
			for m := 0; m < mult; m++ {
				oc := ci*mult + m
				for ky := 0; ky < g.KH; ky++ {
					for kx := 0; kx < g.KW; kx++ {
						for oy := 0; oy < g.OH; oy++ {
							for ox := 0; ox < g.OW; ox++ {
								if iy, ix, ok := convTap(g, oy, ox, ky, kx); ok {
									p := w[(oc*g.KH+ky)*g.KW+kx] * gy[((bn*o+oc)*g.OH+oy)*g.OW+ox]
									wantX[((bn*c+ci)*g.H+iy)*g.W+ix] += p
									scaleX[((bn*c+ci)*g.H+iy)*g.W+ix] += math.Abs(float64(p))
								}
							}
						}
					}
				}
			}
		}
	}
	DepthwiseConv2dBackwardInput(g, n, c, mult, gy, w, gx)
	dwCheckScaled(t, "DepthwiseConv2dBackwardInput "+name, gx, wantX, scaleX)

	// The filter gradient sums up to n·OH·OW products in another order than
	// the loop, so its tolerance scales with the sum of their magnitudes.
	gw := convGuarded(rng, o*kk)
	wantW := append([]float32(nil), gw[:o*kk]...)
	scale := make([]float64, o*kk)
	for oc := 0; oc < o; oc++ {
		for ky := 0; ky < g.KH; ky++ {
			for kx := 0; kx < g.KW; kx++ {
				var s float32
				for bn := 0; bn < n; bn++ {
					for oy := 0; oy < g.OH; oy++ {
						for ox := 0; ox < g.OW; ox++ {
							if iy, ix, ok := convTap(g, oy, ox, ky, kx); ok {
								p := gy[((bn*o+oc)*g.OH+oy)*g.OW+ox] * x[((bn*c+oc/mult)*g.H+iy)*g.W+ix]
								s += p
								scale[(oc*g.KH+ky)*g.KW+kx] += math.Abs(float64(p))
							}
						}
					}
				}
				wantW[(oc*g.KH+ky)*g.KW+kx] += s
			}
		}
	}
	DepthwiseConv2dBackwardFilter(g, n, c, mult, gy, x, gw)
	dwCheckScaled(t, "DepthwiseConv2dBackwardFilter "+name, gw, wantW, scale)
}

// dwCheckScaled is convCheck for sums taken in another order than the
// reference: element i may differ by 1e-6·(1 + |want| + scale[i]), where
// scale[i] is the sum of the magnitudes of its terms.
func dwCheckScaled(t *testing.T, what string, got, want []float32, scale []float64) {
	t.Helper()
	for i, v := range want {
		if d := math.Abs(float64(got[i]) - float64(v)); !(d <= 1e-6*(1+math.Abs(float64(v))+scale[i])) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], v)
		}
	}
	convCheck(t, what, got, want, math.Inf(1))
}

// TestConvKernelsLarge runs the kernels on planes big enough to be split
// across workers and checks them against a single-worker run.
func TestConvKernelsLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	g := Geom2d{H: 33, W: 31, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, OH: 17, OW: 16}
	n, c, mult := 2, 16, 2
	x, w := convFill(rng, n*c*g.H*g.W), convFill(rng, c*mult*9)
	run := func() []float32 {
		col := make([]float32, c*9*g.OH*g.OW)
		Im2col(g, c, x, col)
		back := make([]float32, c*g.H*g.W)
		Col2im(g, c, col, back)
		y := make([]float32, n*c*mult*g.OH*g.OW)
		DepthwiseConv2d(g, n, c, mult, x, w, nil, y)
		gx := make([]float32, len(x))
		DepthwiseConv2dBackwardInput(g, n, c, mult, y, w, gx)
		gw := make([]float32, len(w))
		DepthwiseConv2dBackwardFilter(g, n, c, mult, y, x, gw)
		return append(append(append(append(col, back...), y...), gx...), gw...)
	}
	want := convSerial(run)
	got := run()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %v with all workers, %v with one", i, got[i], want[i])
		}
	}
}

// convSerial runs fn with one worker.
func convSerial(fn func() []float32) []float32 {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	return fn()
}
