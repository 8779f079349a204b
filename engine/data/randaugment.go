package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// Interp is how a geometric op samples its source: PIL's resample filters
// for Image.transform (libImaging/Geometry.c), which timm's RandAugment
// calls.
type Interp int

const (
	// Nearest is PIL's default for Image.transform: the source pixel under
	// the mapped pixel centre.
	Nearest Interp = iota
	// Bilinear interpolates the 2×2 neighbours, clamped at the border.
	Bilinear
	// Bicubic is PIL's cubic convolution (a = −1) over 4×4 neighbours. DeiT
	// trains with it: its train_interpolation "bicubic" reaches RandAugment
	// through timm's transforms_factory.
	Bicubic
)

// ParseInterp reads "nearest", "bilinear" or "bicubic"; "" is Nearest.
func ParseInterp(s string) (Interp, error) {
	switch s {
	case "", "nearest":
		return Nearest, nil
	case "bilinear":
		return Bilinear, nil
	case "bicubic":
		return Bicubic, nil
	}
	return 0, fmt.Errorf("data: interpolation %q: want nearest, bilinear or bicubic", s)
}

// RandAugment is timm's rand_augment_transform with the "increasing" op
// set: rand-m9-mstd0.5-inc1 (DeiT) is {N: 2, M: 9, MStd: 0.5}. Each image
// gets N ops chosen uniformly with replacement from randAugmentOps; each op
// runs with probability 0.5, at a magnitude drawn from N(M, MStd²) and
// clipped to [0, 10], mapped to the op's argument as timm's LEVEL_TO_ARG.
//
// The ops work as PIL does on 8-bit images: an image with an op to run is
// rounded to levels round(255·v), transformed with PIL's integer
// arithmetic (its LUTs, its blend and filter rounding), and returned as
// level/255. Colour ops on 1 channel are PIL's mode "L": Color is the
// identity, Contrast uses the channel's mean, the others act on the channel.
// On 3 channels grey is PIL's luma (19595R + 38470G + 7471B + 2¹⁵) >> 16.
//
// Apply draws, in order: N op indices (IntN), then for each op in turn
// one Float64 (the op runs if it is ≤ 0.5, as timm's random() > prob
// skips), and if it runs: one NormFloat64 for the magnitude when MStd > 0,
// then one Float64 for the sign (negative if > 0.5) when the op is signed.
type RandAugment struct {
	N      int     // ops per image (timm's num_layers, n)
	M      float64 // magnitude in [0, 10] (m)
	MStd   float64 // std of the per-application magnitude noise (mstd)
	Interp Interp  // resampling of the geometric ops
	// Fill is the per-channel colour, in [0, 1], of pixels a geometric op
	// brings in from outside the image; nil is timm's default _FILL
	// (128, 128, 128)/255. timm's transforms_factory sets it to the
	// dataset mean (img_mean); Pipeline does the same.
	Fill []float32
}

// raOp is one op of timm's _RAND_INCREASING_TRANSFORMS.
type raOp struct {
	name string
	// signed ops negate their argument with probability 0.5 (timm's
	// _randomly_negate).
	signed bool
	// arg maps the level in [0, 10] (and the sign) to the op's argument;
	// nil for ops without one. timm's LEVEL_TO_ARG.
	arg   func(level float64, neg bool) float64
	apply func(im *u8img, arg float64)
}

// randAugmentOps is timm's _RAND_INCREASING_TRANSFORMS, in its order
// (auto_augment.py); the argument at level 9 is in the comments.
var randAugmentOps = []raOp{
	{"AutoContrast", false, nil, autoContrast},
	{"Equalize", false, nil, equalize},
	{"Invert", false, nil, invert},
	{"Rotate", true, rotateArg, rotate},                       // ±27°
	{"PosterizeIncreasing", false, posterizeArg, posterize},   // keep 1 bit
	{"SolarizeIncreasing", false, solarizeArg, solarize},      // invert levels ≥ 26
	{"SolarizeAdd", false, solarizeAddArg, solarizeAdd},       // +99 to levels < 128
	{"ColorIncreasing", true, enhanceArg, colorEnh},           // factor 1 ± 0.81
	{"ContrastIncreasing", true, enhanceArg, contrastEnh},     // factor 1 ± 0.81
	{"BrightnessIncreasing", true, enhanceArg, brightnessEnh}, // factor 1 ± 0.81
	{"SharpnessIncreasing", true, enhanceArg, sharpnessEnh},   // factor 1 ± 0.81
	{"ShearX", true, shearArg, shearX},                        // ±0.27
	{"ShearY", true, shearArg, shearY},                        // ±0.27
	{"TranslateXRel", true, translateArg, translateX},         // ±0.405·width
	{"TranslateYRel", true, translateArg, translateY},         // ±0.405·height
}

func negIf(neg bool, v float64) float64 {
	if neg {
		return -v
	}
	return v
}

// Level-to-argument maps, as timm's _*_level_to_arg (level/10 first).
func rotateArg(l float64, neg bool) float64 { return negIf(neg, l/10*30) }
func shearArg(l float64, neg bool) float64  { return negIf(neg, l/10*0.3) }
func translateArg(l float64, neg bool) float64 {
	return negIf(neg, l/10*0.45) // timm's translate_pct default
}
func posterizeArg(l float64, _ bool) float64 { return float64(4 - int(l/10*4)) }
func solarizeArg(l float64, _ bool) float64  { return float64(256 - int(l/10*256)) }
func solarizeAddArg(l float64, _ bool) float64 {
	return float64(int(l / 10 * 110))
}
func enhanceArg(l float64, neg bool) float64 {
	return max(0.1, 1+negIf(neg, l/10*0.9))
}

// raStep is one chosen op and its random draws.
type raStep struct {
	op    int
	run   bool
	level float64
	neg   bool
}

// plan makes every draw of one Apply, in the documented order.
func (r RandAugment) plan(rng *rand.Rand) []raStep {
	steps := make([]raStep, r.N)
	for i := range steps {
		steps[i].op = rng.IntN(len(randAugmentOps))
	}
	for i := range steps {
		s := &steps[i]
		if rng.Float64() > 0.5 {
			continue
		}
		s.run = true
		m := r.M
		if r.MStd > 0 {
			m += r.MStd * rng.NormFloat64()
		}
		s.level = min(10, max(0, m))
		if randAugmentOps[s.op].signed {
			s.neg = rng.Float64() > 0.5
		}
	}
	return steps
}

// Apply implements SampleTransform. img must have 1 or 3 channels.
func (r RandAugment) Apply(rng *rand.Rand, img []float32, c, h, w int) {
	steps := r.plan(rng)
	ran := false
	for _, s := range steps {
		ran = ran || s.run
	}
	if !ran {
		return
	}
	im := r.levels(img, c, h, w)
	for _, s := range steps {
		if !s.run {
			continue
		}
		op := randAugmentOps[s.op]
		arg := 0.0
		if op.arg != nil {
			arg = op.arg(s.level, s.neg)
		}
		op.apply(im, arg)
	}
	for i, q := range im.px {
		img[i] = float32(q) / 255
	}
}

// levels rounds img to PIL's 8-bit levels.
func (r RandAugment) levels(img []float32, c, h, w int) *u8img {
	if c != 1 && c != 3 {
		panic(fmt.Sprintf("data: RandAugment: %d channels, want 1 or 3", c))
	}
	if r.Fill != nil && len(r.Fill) != c {
		panic(fmt.Sprintf("data: RandAugment: %d fill values for %d channels", len(r.Fill), c))
	}
	im := &u8img{px: make([]uint8, len(img)), c: c, h: h, w: w, interp: r.Interp, fill: make([]uint8, c)}
	for i, v := range img {
		im.px[i] = toLevel(v)
	}
	for ch := range im.fill {
		im.fill[ch] = 128
		if r.Fill != nil {
			im.fill[ch] = toLevel(r.Fill[ch])
		}
	}
	return im
}

// toLevel is round(255·v), clamped to [0, 255].
func toLevel(v float32) uint8 {
	return uint8(min(255, max(0, math.Floor(float64(v)*255+0.5))))
}

// u8img is a C×H×W 8-bit image, as PIL holds it during RandAugment.
type u8img struct {
	px      []uint8
	c, h, w int
	interp  Interp
	fill    []uint8 // per channel
}

func (im *u8img) plane(ch int) []uint8 { return im.px[ch*im.h*im.w : (ch+1)*im.h*im.w] }

// lut maps every pixel of channel ch through t.
func (im *u8img) lut(ch int, t *[256]uint8) {
	p := im.plane(ch)
	for i, v := range p {
		p[i] = t[v]
	}
}

func (im *u8img) hist(ch int) (h [256]int) {
	for _, v := range im.plane(ch) {
		h[v]++
	}
	return h
}

func clamp8(v int) uint8 { return uint8(min(255, max(0, v))) }

// autoContrast is PIL's ImageOps.autocontrast (cutoff 0), per channel:
// the darkest level maps to 0, the brightest to 255, with PIL's double
// arithmetic truncated toward zero.
func autoContrast(im *u8img, _ float64) {
	for ch := 0; ch < im.c; ch++ {
		h := im.hist(ch)
		lo, hi := 0, 255
		for lo < 255 && h[lo] == 0 {
			lo++
		}
		for hi > 0 && h[hi] == 0 {
			hi--
		}
		if hi <= lo {
			continue
		}
		scale := 255 / float64(hi-lo)
		offset := -float64(lo) * scale
		var t [256]uint8
		for i := range t {
			t[i] = clamp8(int(float64(float64(i)*scale) + offset))
		}
		im.lut(ch, &t)
	}
}

// equalize is PIL's ImageOps.equalize, per channel, in integers.
func equalize(im *u8img, _ float64) {
	for ch := 0; ch < im.c; ch++ {
		h := im.hist(ch)
		total, nonzero, last := 0, 0, 0
		for _, n := range h {
			if n > 0 {
				total += n
				nonzero++
				last = n
			}
		}
		if nonzero <= 1 {
			continue
		}
		step := (total - last) / 255
		if step == 0 {
			continue
		}
		var t [256]uint8
		n := step / 2
		for i := range t {
			t[i] = clamp8(n / step)
			n += h[i]
		}
		im.lut(ch, &t)
	}
}

func invert(im *u8img, _ float64) {
	for i, v := range im.px {
		im.px[i] = 255 - v
	}
}

// posterize keeps the top bits bits of each level (0: black), as
// ImageOps.posterize.
func posterize(im *u8img, bits float64) {
	b := int(bits)
	if b >= 8 {
		return
	}
	mask := ^uint8(0xff >> b)
	for i, v := range im.px {
		im.px[i] = v & mask
	}
}

// solarize inverts the levels ≥ thresh, as ImageOps.solarize.
func solarize(im *u8img, thresh float64) {
	t := int(thresh)
	for i, v := range im.px {
		if int(v) >= t {
			im.px[i] = 255 - v
		}
	}
}

// solarizeAdd adds add to the levels below 128, saturating (timm's
// solarize_add).
func solarizeAdd(im *u8img, add float64) {
	a := int(add)
	for i, v := range im.px {
		if v < 128 {
			im.px[i] = clamp8(int(v) + a)
		}
	}
}

// luma is PIL's RGB → L conversion.
func luma(r, g, b uint8) uint8 {
	return uint8((19595*int(r) + 38470*int(g) + 7471*int(b) + 0x8000) >> 16)
}

// grey returns the image's L conversion (the channel itself for 1 channel).
func (im *u8img) grey() []uint8 {
	if im.c == 1 {
		return append([]uint8(nil), im.px...)
	}
	n := im.h * im.w
	g := make([]uint8, n)
	for i := range g {
		g[i] = luma(im.px[i], im.px[n+i], im.px[2*n+i])
	}
	return g
}

// blend is PIL's Image.blend(deg, im, factor) (ImagingBlend): in float32,
// deg + factor·(im − deg), clipped and truncated. deg is one level, one
// plane shared by the channels, or one plane per channel.
func (im *u8img) blend(deg []uint8, factor float64) {
	a := float32(factor)
	n := im.h * im.w
	for i, v := range im.px {
		var d uint8
		switch len(deg) {
		case 1:
			d = deg[0]
		case n:
			d = deg[i%n]
		default:
			d = deg[i]
		}
		t := float32(d) + float32(a*float32(int(v)-int(d)))
		im.px[i] = uint8(min(255, max(0, t)))
	}
}

// colorEnh is ImageEnhance.Color: blend with the grey image.
func colorEnh(im *u8img, f float64) {
	if im.c == 1 {
		return // mode L: the grey image is the image
	}
	im.blend(im.grey(), f)
}

// contrastEnh is ImageEnhance.Contrast: blend with the mean grey level,
// int(mean + 0.5).
func contrastEnh(im *u8img, f float64) {
	sum := 0
	g := im.grey()
	for _, v := range g {
		sum += int(v)
	}
	mean := uint8(int(float64(sum)/float64(len(g)) + 0.5))
	im.blend([]uint8{mean}, f)
}

// brightnessEnh is ImageEnhance.Brightness: blend with black.
func brightnessEnh(im *u8img, f float64) { im.blend([]uint8{0}, f) }

// sharpnessEnh is ImageEnhance.Sharpness: blend with PIL's SMOOTH filter
// (3×3 kernel [1 1 1; 1 5 1; 1 1 1]/13 in float32, +0.5 and truncated,
// border pixels copied).
func sharpnessEnh(im *u8img, f float64) {
	k1, k5 := float32(1)/float32(13), float32(5)/float32(13)
	deg := append([]uint8(nil), im.px...)
	h, w := im.h, im.w
	row := func(p []uint8, x int, k0, k1, k2 float32) float32 {
		return float32(float32(p[x-1])*k0) + float32(float32(p[x])*k1) + float32(float32(p[x+1])*k2)
	}
	for ch := 0; ch < im.c; ch++ {
		src, dst := im.plane(ch), deg[ch*h*w:(ch+1)*h*w]
		for y := 1; y < h-1; y++ {
			up, mid, down := src[(y-1)*w:y*w], src[y*w:(y+1)*w], src[(y+1)*w:(y+2)*w]
			for x := 1; x < w-1; x++ {
				ss := float32(0.5)
				ss += row(down, x, k1, k1, k1)
				ss += row(mid, x, k1, k5, k1)
				ss += row(up, x, k1, k1, k1)
				dst[y*w+x] = uint8(min(255, max(0, ss)))
			}
		}
	}
	im.blend(deg, f)
}

func shearX(im *u8img, f float64) { im.affine([6]float64{1, f, 0, 0, 1, 0}) }
func shearY(im *u8img, f float64) { im.affine([6]float64{1, 0, 0, f, 1, 0}) }
func translateX(im *u8img, pct float64) {
	im.affine([6]float64{1, 0, pct * float64(im.w), 0, 1, 0})
}
func translateY(im *u8img, pct float64) {
	im.affine([6]float64{1, 0, 0, 0, 1, pct * float64(im.h)})
}

// piF64 is π as a float64 variable, so that degrees → radians rounds as
// Python's math.radians (x · (π/180) in double).
var piF64 = math.Pi

// rotate is PIL's Image.rotate(deg) about the image centre, counter-
// clockwise, without expanding: multiples of 90° that keep the shape are
// exact transposes, other angles an affine map whose matrix entries are
// rounded to 15 decimals as PIL does.
func rotate(im *u8img, deg float64) {
	a := math.Mod(deg, 360) // Python's %: the result has the sign of 360
	if a < 0 {
		a += 360
	}
	switch {
	case a == 0:
		return
	case a == 180:
		im.transpose(func(y, x int) (int, int) { return im.h - 1 - y, im.w - 1 - x })
		return
	case a == 90 && im.h == im.w:
		im.transpose(func(y, x int) (int, int) { return x, im.w - 1 - y })
		return
	case a == 270 && im.h == im.w:
		im.transpose(func(y, x int) (int, int) { return im.h - 1 - x, y })
		return
	}
	rad := -(a * (piF64 / 180))
	cos, sin := round15(math.Cos(rad)), round15(math.Sin(rad))
	m := [6]float64{cos, sin, 0, round15(-math.Sin(rad)), cos, 0}
	cx, cy := float64(im.w)/2, float64(im.h)/2
	m[2] = float64(m[0]*-cx) + float64(m[1]*-cy) + cx
	m[5] = float64(m[3]*-cx) + float64(m[4]*-cy) + cy
	im.affine(m)
}

// round15 is Python's round(v, 15): to the nearest 15-decimal value.
func round15(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 15, 64), 64)
	return r
}

// transpose sets each output pixel (y, x) to the input at src(y, x).
func (im *u8img) transpose(src func(y, x int) (int, int)) {
	in := append([]uint8(nil), im.px...)
	for ch := 0; ch < im.c; ch++ {
		for y := 0; y < im.h; y++ {
			for x := 0; x < im.w; x++ {
				sy, sx := src(y, x)
				im.px[(ch*im.h+y)*im.w+x] = in[(ch*im.h+sy)*im.w+sx]
			}
		}
	}
}

// affine is PIL's Image.transform(size, AFFINE, m, resample, fillcolor):
// output pixel (x, y) samples the input at (m0·X + m1·Y + m2,
// m3·X + m4·Y + m5), X = x + 0.5, Y = y + 0.5 (pixel centres); what maps
// outside the input takes the fill colour. Nearest follows PIL's two fast
// paths (a pure scale/translation in double, anything else in 16.16 fixed
// point); Bilinear and Bicubic its generic path, truncating to 8 bits.
func (im *u8img) affine(m [6]float64) {
	in := append([]uint8(nil), im.px...)
	h, w, n := im.h, im.w, im.h*im.w
	for ch := 0; ch < im.c; ch++ {
		p := im.plane(ch)
		for i := range p {
			p[i] = im.fill[ch]
		}
	}
	set := func(y, x int, v func(ch int, p []uint8) uint8) {
		for ch := 0; ch < im.c; ch++ {
			im.px[ch*n+y*w+x] = v(ch, in[ch*n:(ch+1)*n])
		}
	}
	if im.interp == Nearest {
		if m[1] == 0 && m[3] == 0 { // ImagingScaleAffine
			yo := m[5] + m[4]*0.5
			for y := 0; y < h; y++ {
				yi := coord(yo)
				yo += m[4]
				xo := m[2] + m[0]*0.5
				for x := 0; x < w; x++ {
					xi := coord(xo)
					xo += m[0]
					if yi >= 0 && yi < h && xi >= 0 && xi < w {
						set(y, x, func(_ int, p []uint8) uint8 { return p[yi*w+xi] })
					}
				}
			}
			return
		}
		// affine_fixed. (PIL falls back to double arithmetic for maps
		// beyond ±32768 pixels; int64 keeps the fixed point valid there.)
		fix := func(v float64) int64 { return int64(math.Floor(v*65536 + 0.5)) }
		a0, a1, a3, a4 := fix(m[0]), fix(m[1]), fix(m[3]), fix(m[4])
		a2 := fix(m[2] + m[0]*0.5 + m[1]*0.5)
		a5 := fix(m[5] + m[3]*0.5 + m[4]*0.5)
		for y := 0; y < h; y++ {
			xx, yy := a2, a5
			for x := 0; x < w; x++ {
				xi, yi := int(xx>>16), int(yy>>16)
				if xi >= 0 && xi < w && yi >= 0 && yi < h {
					set(y, x, func(_ int, p []uint8) uint8 { return p[yi*w+xi] })
				}
				xx += a0
				yy += a3
			}
			a2 += a1
			a5 += a4
		}
		return
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			X, Y := float64(x)+0.5, float64(y)+0.5
			xin := float64(m[0]*X) + float64(m[1]*Y) + m[2]
			yin := float64(m[3]*X) + float64(m[4]*Y) + m[5]
			if xin < 0 || xin >= float64(w) || yin < 0 || yin >= float64(h) {
				continue
			}
			if im.interp == Bilinear {
				set(y, x, func(_ int, p []uint8) uint8 { return bilinear8(p, h, w, xin, yin) })
			} else {
				set(y, x, func(_ int, p []uint8) uint8 { return bicubic8(p, h, w, xin, yin) })
			}
		}
	}
}

// coord is PIL's COORD: −1 below 0, else truncation.
func coord(v float64) int {
	if v < 0 {
		return -1
	}
	return int(v)
}

func clip(i, n int) int { return min(n-1, max(0, i)) }

// bilinear8 is PIL's bilinear_filter8 at (xin, yin), inside the image.
func bilinear8(p []uint8, h, w int, xin, yin float64) uint8 {
	xin -= 0.5
	yin -= 0.5
	x, y := int(math.Floor(xin)), int(math.Floor(yin))
	dx, dy := xin-float64(x), yin-float64(y)
	x0, x1 := clip(x, w), clip(x+1, w)
	lerp := func(a, b, d float64) float64 { return a + float64((b-a)*d) }
	r := p[clip(y, h)*w:]
	v1 := lerp(float64(r[x0]), float64(r[x1]), dx)
	v2 := v1
	if y+1 >= 0 && y+1 < h {
		r = p[(y+1)*w:]
		v2 = lerp(float64(r[x0]), float64(r[x1]), dx)
	}
	return uint8(lerp(v1, v2, dy))
}

// cubic is PIL's BICUBIC macro: the a = −1 cubic through v1..v4 at d.
func cubic(v1, v2, v3, v4, d float64) float64 {
	p2 := -v1 + v3
	p3 := 2*(v1-v2) + v3 - v4
	p4 := -v1 + v2 - v3 + v4
	return v2 + float64(d*(p2+float64(d*(p3+float64(d*p4)))))
}

// bicubic8 is PIL's bicubic_filter8 at (xin, yin), inside the image.
func bicubic8(p []uint8, h, w int, xin, yin float64) uint8 {
	xin -= 0.5
	yin -= 0.5
	x, y := int(math.Floor(xin)), int(math.Floor(yin))
	dx, dy := xin-float64(x), yin-float64(y)
	x--
	y--
	xs := [4]int{clip(x, w), clip(x+1, w), clip(x+2, w), clip(x+3, w)}
	line := func(r []uint8) float64 {
		return cubic(float64(r[xs[0]]), float64(r[xs[1]]), float64(r[xs[2]]), float64(r[xs[3]]), dx)
	}
	var v [4]float64
	v[0] = line(p[clip(y, h)*w:])
	for k := 1; k < 4; k++ {
		if y+k >= 0 && y+k < h {
			v[k] = line(p[(y+k)*w:])
		} else {
			v[k] = v[k-1]
		}
	}
	r := cubic(v[0], v[1], v[2], v[3], dy)
	switch {
	case r <= 0:
		return 0
	case r >= 255:
		return 255
	}
	return uint8(r)
}
