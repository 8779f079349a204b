package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMaxPool2dMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, g := range convGeoms() {
		for _, planes := range []int{1, 3} {
			name := fmt.Sprintf("planes=%d %+v", planes, g)
			hw, ohw := g.H*g.W, g.OH*g.OW
			x := convFill(rng, planes*hw)
			want := make([]float32, planes*ohw)
			wantArg := make([]int32, planes*ohw)
			for p := 0; p < planes; p++ {
				for oy := 0; oy < g.OH; oy++ {
					for ox := 0; ox < g.OW; ox++ {
						m, a := float32(math.Inf(-1)), -1
						for ky := 0; ky < g.KH; ky++ {
							for kx := 0; kx < g.KW; kx++ {
								if iy, ix, ok := convTap(g, oy, ox, ky, kx); ok {
									if v := x[(p*g.H+iy)*g.W+ix]; v > m || v != v {
										m, a = v, iy*g.W+ix
									}
								}
							}
						}
						want[(p*g.OH+oy)*g.OW+ox], wantArg[(p*g.OH+oy)*g.OW+ox] = m, int32(a)
					}
				}
			}
			y := convGuarded(rng, planes*ohw)
			arg := make([]int32, planes*ohw+convGuard)
			for i := range arg {
				arg[i] = 77
			}
			MaxPool2d(g, planes, x, y, arg)
			convCheck(t, "MaxPool2d "+name, y, want, 0)
			for i, a := range arg {
				if i < len(wantArg) && a != wantArg[i] || i >= len(wantArg) && a != 77 {
					t.Fatalf("MaxPool2d %s: arg[%d] = %d", name, i, a)
				}
			}
			y2 := convGuarded(rng, planes*ohw)
			MaxPool2d(g, planes, x, y2, nil)
			convCheck(t, "MaxPool2d without arg "+name, y2, want, 0)

			gy := convFill(rng, planes*ohw)
			gx := convGuarded(rng, planes*hw)
			wantX := append([]float32(nil), gx[:planes*hw]...)
			for p := 0; p < planes; p++ {
				for o := 0; o < ohw; o++ {
					if a := wantArg[p*ohw+o]; a >= 0 {
						wantX[p*hw+int(a)] += gy[p*ohw+o]
					}
				}
			}
			MaxPool2dBackward(planes, hw, ohw, gy, arg, gx)
			convCheck(t, "MaxPool2dBackward "+name, gx, wantX, 1e-6)
		}
	}
}

func TestMaxPool2dTiesAndNaN(t *testing.T) {
	g := Geom2d{H: 2, W: 3, KH: 2, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 1, OW: 1}
	y, arg := make([]float32, 1), make([]int32, 1)
	MaxPool2d(g, 1, []float32{1, 5, 2, 5, 0, 5}, y, arg)
	if y[0] != 5 || arg[0] != 1 {
		t.Errorf("ties: got %v at %d, want 5 at the first maximum, 1", y[0], arg[0])
	}
	nan := float32(math.NaN())
	MaxPool2d(g, 1, []float32{1, nan, 9, 2, 0, 3}, y, arg)
	if y[0] == y[0] || arg[0] != 1 {
		t.Errorf("NaN: got %v at %d, want NaN at 1", y[0], arg[0])
	}
}

func TestAvgPool2dMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, g := range convGeoms() {
		for _, countPad := range []bool{false, true} {
			planes := 2
			name := fmt.Sprintf("countPad=%v %+v", countPad, g)
			hw, ohw := g.H*g.W, g.OH*g.OW
			x, gy := convFill(rng, planes*hw), convFill(rng, planes*ohw)
			want := make([]float32, planes*ohw)
			gx := convGuarded(rng, planes*hw)
			wantX := append([]float32(nil), gx[:planes*hw]...)
			for p := 0; p < planes; p++ {
				for oy := 0; oy < g.OH; oy++ {
					for ox := 0; ox < g.OW; ox++ {
						var s float32
						n := 0
						for ky := 0; ky < g.KH; ky++ {
							for kx := 0; kx < g.KW; kx++ {
								if iy, ix, ok := convTap(g, oy, ox, ky, kx); ok {
									s += x[(p*g.H+iy)*g.W+ix]
									n++
								}
							}
						}
						if countPad {
							n = g.KH * g.KW
						}
						want[(p*g.OH+oy)*g.OW+ox] = s / float32(n)
						d := gy[(p*g.OH+oy)*g.OW+ox] / float32(n)
						for ky := 0; ky < g.KH; ky++ {
							for kx := 0; kx < g.KW; kx++ {
								if iy, ix, ok := convTap(g, oy, ox, ky, kx); ok {
									wantX[(p*g.H+iy)*g.W+ix] += d
								}
							}
						}
					}
				}
			}
			y := convGuarded(rng, planes*ohw)
			AvgPool2d(g, planes, countPad, x, y)
			convCheck(t, "AvgPool2d "+name, y, want, 1e-6)
			AvgPool2dBackward(g, planes, countPad, gy, gx)
			convCheck(t, "AvgPool2dBackward "+name, gx, wantX, 1e-6)
		}
	}
}

func TestAdaptiveAvgPool2dMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	sizes := []int{1, 2, 3, 5, 7, 8}
	for _, h := range sizes {
		for _, w := range sizes {
			for _, oh := range sizes {
				for _, ow := range []int{1, 3, 7} {
					planes := 2
					name := fmt.Sprintf("%dx%d -> %dx%d", h, w, oh, ow)
					x, gy := convFill(rng, planes*h*w), convFill(rng, planes*oh*ow)
					want := make([]float32, planes*oh*ow)
					gx := convGuarded(rng, planes*h*w)
					wantX := append([]float32(nil), gx[:planes*h*w]...)
					for p := 0; p < planes; p++ {
						for i := 0; i < oh; i++ {
							for j := 0; j < ow; j++ {
								y0, y1 := i*h/oh, ((i+1)*h+oh-1)/oh
								x0, x1 := j*w/ow, ((j+1)*w+ow-1)/ow
								var s float32
								for iy := y0; iy < y1; iy++ {
									for ix := x0; ix < x1; ix++ {
										s += x[(p*h+iy)*w+ix]
									}
								}
								want[(p*oh+i)*ow+j] = s / float32((y1-y0)*(x1-x0))
								d := gy[(p*oh+i)*ow+j] / float32((y1-y0)*(x1-x0))
								for iy := y0; iy < y1; iy++ {
									for ix := x0; ix < x1; ix++ {
										wantX[(p*h+iy)*w+ix] += d
									}
								}
							}
						}
					}
					y := convGuarded(rng, planes*oh*ow)
					AdaptiveAvgPool2d(planes, h, w, oh, ow, x, y)
					convCheck(t, "AdaptiveAvgPool2d "+name, y, want, 1e-6)
					AdaptiveAvgPool2dBackward(planes, h, w, oh, ow, gy, gx)
					convCheck(t, "AdaptiveAvgPool2dBackward "+name, gx, wantX, 1e-6)
				}
			}
		}
	}
}

// TestPoolKernelsLarge checks that splitting planes across workers changes
// no bit.
func TestPoolKernelsLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	g := Geom2d{H: 29, W: 30, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 0, OH: 15, OW: 15}
	planes := 24
	x := convFill(rng, planes*g.H*g.W)
	run := func() []float32 {
		ohw := g.OH * g.OW
		y, arg := make([]float32, planes*ohw), make([]int32, planes*ohw)
		MaxPool2d(g, planes, x, y, arg)
		gx := make([]float32, len(x))
		MaxPool2dBackward(planes, g.H*g.W, ohw, y, arg, gx)
		a := make([]float32, planes*ohw)
		AvgPool2d(g, planes, false, x, a)
		AvgPool2dBackward(g, planes, false, a, gx)
		ad := make([]float32, planes*5*4)
		AdaptiveAvgPool2d(planes, g.H, g.W, 5, 4, x, ad)
		AdaptiveAvgPool2dBackward(planes, g.H, g.W, 5, 4, ad, gx)
		return append(append(append(y, a...), ad...), gx...)
	}
	want := convSerial(run)
	got := run()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %v with all workers, %v with one", i, got[i], want[i])
		}
	}
}

// TestPoolRowSumAsmSameBits checks that the assembly partial sums of the
// global average pool give the bits of the Go loop, on every length up to
// 70 (every tail, several steps).
func TestPoolRowSumAsmSameBits(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly on this build or CPU")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	s := make([]float32, 70)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * math.Pow(10, float64(i%7-3)))
	}
	for n := 0; n <= len(s); n++ {
		got := dwPoolRowSum(s[:n])
		restore := setAsm(false)
		want := dwPoolRowSum(s[:n])
		restore()
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("len %d: assembly %v, Go %v", n, got, want)
		}
	}
}
