package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// convLoops is the plain-loop grouped convolution in float64: y, and the
// gradients of sum(y·gy) with respect to x and w.
func convLoops(g Geom2d, n, c, o, groups int, x, w, bias, gy []float32) (y, gx, gw []float64) {
	cg, og := c/groups, o/groups
	y = make([]float64, n*o*g.OH*g.OW)
	gx = make([]float64, n*c*g.H*g.W)
	gw = make([]float64, len(w))
	for s := 0; s < n; s++ {
		for oc := 0; oc < o; oc++ {
			gi := oc / og
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					yi := ((s*o+oc)*g.OH+oy)*g.OW + ox
					var acc float64
					if bias != nil {
						acc = float64(bias[oc])
					}
					for ci := 0; ci < cg; ci++ {
						for ky := 0; ky < g.KH; ky++ {
							for kx := 0; kx < g.KW; kx++ {
								iy, ix, ok := convTap(g, oy, ox, ky, kx)
								if !ok {
									continue
								}
								xi := ((s*c+gi*cg+ci)*g.H+iy)*g.W + ix
								wi := ((oc*cg+ci)*g.KH+ky)*g.KW + kx
								acc += float64(x[xi]) * float64(w[wi])
								gx[xi] += float64(gy[yi]) * float64(w[wi])
								gw[wi] += float64(gy[yi]) * float64(x[xi])
							}
						}
					}
					y[yi] = acc
				}
			}
		}
	}
	return y, gx, gw
}

// convNaNs returns n NaNs: scratch a kernel must write before it reads.
func convNaNs(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

func convCheck64(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	want32 := make([]float32, len(want))
	for i, v := range want {
		want32[i] = float32(v)
	}
	convCheck(t, what, got, want32, tol)
}

// TestConvMatchesLoops checks Conv's forward, input and filter gradients
// against the plain loops on awkward geometries, batches that take the
// parallel-slot path and the one-sample path, groups and pointwise shapes.
func TestConvMatchesLoops(t *testing.T) { gemmPaths(t, testConvMatchesLoops) }

func testConvMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type shape struct{ n, c, o, groups int }
	// The last two have at least 16 filters per group, so that on AVX-512
	// BackwardFilter takes its transposed path (filterT).
	shapes := []shape{{1, 3, 4, 1}, {2, 4, 6, 2}, {3, 2, 5, 1}, {9, 3, 3, 3}, {17, 4, 8, 1}, {5, 3, 16, 1}, {2, 4, 40, 2}}
	batched, single := 0, 0 // products over runs of samples, and of one
	defer func() {
		if batched == 0 || single == 0 {
			t.Errorf("%d convolutions ran runs of several samples per GEMM and %d one sample: both paths must be tested", batched, single)
		}
	}()
	for gi, g := range convGeoms() {
		if gi%5 != 0 && !g.shifted() { // every shifted geometry, a fifth of the others
			continue
		}
		for _, sh := range shapes {
			name := fmt.Sprintf("%+v/%+v", g, sh)
			cv := NewConv(g, sh.n, sh.c, sh.o, sh.groups)
			if cv.Batch() > 1 {
				batched++
			} else if sh.n > 1 {
				single++
			}
			k := sh.c / sh.groups * g.KH * g.KW
			x := convFill(rng, sh.n*sh.c*g.H*g.W)
			w := convFill(rng, sh.o*k)
			bias := convFill(rng, sh.o)
			gy := convFill(rng, sh.n*sh.o*g.OH*g.OW)
			wantY, wantGX, wantGW := convLoops(g, sh.n, sh.c, sh.o, sh.groups, x, w, bias, gy)

			y := convGuarded(rng, len(wantY))
			cv.Forward(x, w, bias, y, convNaNs(cv.ScratchLen()))
			convCheck64(t, name+" forward", y, wantY, 1e-4)

			convCheckInputGrad(t, rng, name, cv, gy, w, wantGX)

			convCheckFilterGrad(t, rng, name, cv, gy, x, wantGW)
		}
	}
}

// TestConvBitsIndependentOfWorkers runs a batch big enough to use every
// slot at GOMAXPROCS 1, 2, 3 and 8, and each sample alone (the one-sample
// path, with the GEMM parallel inside): forward and input gradients must be
// the same bits in all of them, the filter gradient in all batch runs.
func TestConvBitsIndependentOfWorkers(t *testing.T) {
	// Stride 1 (the stacked path) and stride 2 (the phased path, on AVX-512).
	for _, g := range []Geom2d{
		{H: 15, W: 14, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, OH: 15, OW: 14},
		{H: 15, W: 14, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, OH: 8, OW: 7},
	} {
		t.Run(fmt.Sprintf("stride=%d", g.StrideH), func(t *testing.T) { testConvBitsIndependentOfWorkers(t, g) })
	}
}

func testConvBitsIndependentOfWorkers(t *testing.T, g Geom2d) {
	rng := rand.New(rand.NewPCG(13, 14))
	n, c, o := 13, 24, 40
	x, w, gy := convFill(rng, n*c*g.H*g.W), convFill(rng, o*c*9), convFill(rng, n*o*g.OH*g.OW)
	bias := convFill(rng, o)
	run := func(procs int) (y, gx, gw []float32) {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		cv := NewConv(g, n, c, o, 1)
		y = make([]float32, n*o*g.OH*g.OW)
		cv.Forward(x, w, bias, y, convNaNs(cv.ScratchLen()))
		gx = make([]float32, len(x))
		cv.BackwardInput(gy, w, gx, convNaNs(cv.ScratchLen()), false)
		gw = make([]float32, len(w))
		cv.BackwardFilter(gy, x, gw, convNaNs(cv.FilterScratchLen()))
		return y, gx, gw
	}
	same := func(what string, a, b []float32) {
		t.Helper()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s: element %d: %v vs %v", what, i, a[i], b[i])
			}
		}
	}
	y1, gx1, gw1 := run(1)
	for _, p := range []int{2, 3, 8} {
		y, gx, gw := run(p)
		same(fmt.Sprintf("forward GOMAXPROCS=%d vs 1", p), y, y1)
		same(fmt.Sprintf("input grad GOMAXPROCS=%d vs 1", p), gx, gx1)
		same(fmt.Sprintf("filter grad GOMAXPROCS=%d vs 1", p), gw, gw1)
	}
	one := NewConv(g, 1, c, o, 1)
	xs, ys := c*g.H*g.W, o*g.OH*g.OW
	for s := 0; s < n; s++ {
		y := make([]float32, ys)
		one.Forward(x[s*xs:(s+1)*xs], w, bias, y, convNaNs(one.ScratchLen()))
		same(fmt.Sprintf("sample %d alone vs in the batch: forward", s), y, y1[s*ys:])
		gx := make([]float32, xs)
		one.BackwardInput(gy[s*ys:(s+1)*ys], w, gx, convNaNs(one.ScratchLen()), false)
		same(fmt.Sprintf("sample %d alone vs in the batch: input grad", s), gx, gx1[s*xs:])
	}
}

// TestConvImplicitMatchesLoops checks the implicit path (stride 1, planes
// of at least convRunCols positions) and the stacked one (stride 1, "same"
// padding, runs of samples) against the plain loops, with
// dilation, asymmetric padding, groups and one or several samples, and
// Forward against the im2col path bit for bit.
func TestConvImplicitMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	geom := func(h, w, kh, kw, dil, padT, padL, oh, ow int) Geom2d {
		return Geom2d{H: h, W: w, KH: kh, KW: kw, StrideH: 1, StrideW: 1, DilH: dil, DilW: dil, PadT: padT, PadL: padL, OH: oh, OW: ow}
	}
	cases := []struct {
		g               Geom2d
		n, c, o, groups int
	}{
		{geom(17, 16, 3, 3, 1, 1, 1, 17, 16), 3, 5, 7, 1},
		{geom(17, 16, 3, 3, 1, 1, 1, 17, 16), 1, 4, 6, 2},
		{geom(20, 20, 5, 5, 1, 2, 2, 20, 20), 2, 3, 4, 1},
		{geom(18, 18, 3, 3, 2, 2, 2, 18, 18), 2, 2, 3, 1},
		{geom(19, 18, 3, 3, 1, 0, 1, 17, 17), 2, 3, 5, 1}, // no top padding, right column cropped
		{geom(16, 40, 1, 3, 1, 0, 1, 16, 40), 2, 3, 2, 1},
		{geom(17, 16, 3, 3, 1, 1, 1, 17, 16), 3, 5, 16, 1}, // filterT on AVX-512
		{geom(19, 18, 3, 3, 2, 2, 1, 17, 16), 2, 6, 34, 2},
		// The stacked path: small planes in runs of samples, with
		// dilation, a 5×5 window, groups and filterT.
		{geom(7, 7, 3, 3, 1, 1, 1, 7, 7), 9, 4, 6, 1},
		{geom(7, 6, 3, 3, 1, 1, 1, 7, 6), 13, 6, 20, 2},
		{geom(16, 15, 3, 3, 2, 2, 2, 16, 15), 5, 3, 17, 1},
		{geom(15, 14, 5, 5, 1, 2, 2, 15, 14), 4, 2, 16, 1},
		{geom(14, 14, 3, 3, 1, 1, 1, 14, 14), 3, 16, 24, 8},
	}
	for _, tc := range cases {
		g := tc.g
		name := fmt.Sprintf("%+v/n=%d c=%d o=%d groups=%d", g, tc.n, tc.c, tc.o, tc.groups)
		cv := NewConv(g, tc.n, tc.c, tc.o, tc.groups)
		if !cv.implicit && !cv.stacked {
			t.Fatalf("%s: on neither the implicit nor the stacked path", name)
		}
		convCheckPath(t, rng, name, cv, tc.n, tc.c, tc.o, tc.groups)
	}
}

// convCheckPath checks cv, on one of the paths that read the taps in place,
// against the plain loops (all three passes, the input gradient both ways)
// and its Forward against the im2col path's bit for bit.
func convCheckPath(t *testing.T, rng *rand.Rand, name string, cv Conv, n, c, o, groups int) {
	t.Helper()
	g := cv.G
	k := c / groups * g.KH * g.KW
	x := convFill(rng, n*c*g.H*g.W)
	w := convFill(rng, o*k)
	bias := convFill(rng, o)
	gy := convFill(rng, n*o*g.OH*g.OW)
	wantY, wantGX, wantGW := convLoops(g, n, c, o, groups, x, w, bias, gy)

	y := convGuarded(rng, len(wantY))
	cv.Forward(x, w, bias, y, convNaNs(cv.ScratchLen()))
	convCheck64(t, name+" forward", y, wantY, 1e-4)
	im2col := cv
	im2col.implicit, im2col.stacked, im2col.phased = false, false, false
	y2 := make([]float32, len(wantY))
	im2col.Forward(x, w, bias, y2, convNaNs(im2col.ScratchLen()))
	for i := range y2 {
		if math.Float32bits(y[i]) != math.Float32bits(y2[i]) {
			t.Fatalf("%s: forward element %d: %v, im2col %v", name, i, y[i], y2[i])
		}
	}

	convCheckInputGrad(t, rng, name, cv, gy, w, wantGX)

	convCheckFilterGrad(t, rng, name, cv, gy, x, wantGW)
}

// convCheckFilterGrad checks cv.BackwardFilter against the loops' gradient
// wantGW, adding onto a gw of ones.
func convCheckFilterGrad(t *testing.T, rng *rand.Rand, name string, cv Conv, gy, x []float32, wantGW []float64) {
	t.Helper()
	want := make([]float64, len(wantGW))
	gw := convGuarded(rng, len(wantGW))
	for i, v := range wantGW {
		gw[i] = 1
		want[i] = v + 1
	}
	cv.BackwardFilter(gy, x, gw, convNaNs(cv.FilterScratchLen()))
	convCheck64(t, name+" filter grad", gw, want, 1e-4)
}

// convCheckInputGrad checks cv.BackwardInput against the loops' gradient
// wantGX both ways: adding onto a gx of ones, and overwriting a gx of NaNs.
func convCheckInputGrad(t *testing.T, rng *rand.Rand, name string, cv Conv, gy, w []float32, wantGX []float64) {
	t.Helper()
	want := make([]float64, len(wantGX))
	gx := convGuarded(rng, len(wantGX))
	for i, v := range wantGX {
		gx[i] = 1
		want[i] = v + 1
	}
	cv.BackwardInput(gy, w, gx, convNaNs(cv.ScratchLen()), false)
	convCheck64(t, name+" input grad", gx, want, 1e-4)
	for i := range gx[:len(wantGX)] {
		gx[i] = float32(math.NaN())
	}
	cv.BackwardInput(gy, w, gx, convNaNs(cv.ScratchLen()), true)
	convCheck64(t, name+" input grad, overwriting", gx, wantGX, 1e-4)
}

// TestConvPhasedMatchesLoops checks the phased path (stride 2 over phase
// planes, on AVX-512) against the plain loops: 3×3 with padding 1 on even
// and odd planes, 2×2 windows (which leave the last row and column of an
// odd plane without gradient), 5×5 and 7×7 windows, TF's "same" padding,
// groups, and filter counts on both sides of filterT; and Forward against
// the im2col path bit for bit.
func TestConvPhasedMatchesLoops(t *testing.T) {
	if !avx512() {
		t.Skip("the phased path needs AVX-512")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	geom := func(h, w, k, pad int) Geom2d {
		return Geom2d{H: h, W: w, KH: k, KW: k, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: pad, PadL: pad,
			OH: (h+2*pad-k)/2 + 1, OW: (w+2*pad-k)/2 + 1}
	}
	cases := []struct {
		g               Geom2d
		n, c, o, groups int
	}{
		{geom(28, 28, 3, 1), 3, 3, 16, 1},
		{geom(14, 14, 3, 1), 7, 4, 20, 2},
		{geom(15, 13, 3, 1), 5, 2, 6, 1},
		{geom(28, 28, 2, 0), 2, 5, 16, 1},
		{geom(14, 15, 3, 1), 6, 4, 32, 1},
		{geom(15, 17, 2, 0), 3, 3, 17, 1},
		{geom(32, 30, 7, 3), 2, 3, 16, 1}, // ResNet's stem: shifts of two rows and columns
		{geom(28, 28, 5, 2), 2, 4, 20, 1},
		// TF "same" padding on an even plane: none before, one after.
		{Geom2d{H: 28, W: 26, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 14, OW: 13}, 3, 4, 24, 1},
		{geom(16, 16, 3, 1), 4, 16, 24, 8},
	}
	// Without padding on an odd plane, the last output row's taps read the
	// plane's last row, past the phase planes' OH rows: not phased.
	if cv := NewConv(geom(15, 16, 3, 0), 2, 3, 16, 1); cv.phased {
		t.Fatalf("%+v: on the phased path, whose phase planes miss the plane's last row", cv.G)
	}
	for _, tc := range cases {
		g := tc.g
		name := fmt.Sprintf("%+v/n=%d c=%d o=%d groups=%d", g, tc.n, tc.c, tc.o, tc.groups)
		cv := NewConv(g, tc.n, tc.c, tc.o, tc.groups)
		if !cv.phased {
			t.Fatalf("%s: not on the phased path", name)
		}
		convCheckPath(t, rng, name, cv, tc.n, tc.c, tc.o, tc.groups)
	}
}
