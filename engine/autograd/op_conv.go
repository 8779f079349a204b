package autograd

import (
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Conv2dOpts are the options of Conv2d. Zero Stride, Dilation and Groups
// mean 1; Pad is the zero padding {top, bottom, left, right}, which may be
// asymmetric (see SamePad).
type Conv2dOpts struct {
	Stride, Dilation [2]int
	Pad              [4]int // top, bottom, left, right
	Groups           int
}

// SymmetricPad returns p rows and columns of padding on every side, as
// torch.nn.Conv2d(padding=p).
func SymmetricPad(p int) [4]int { return [4]int{p, p, p, p} }

// SamePad returns TensorFlow's "SAME" padding {top, bottom, left, right} for
// a window of kH×kW taps dilated by dilH, dilW and moved by strideH,
// strideW over an inH×inW input: the output is ceil(in/stride) and, per
// axis, total = max((ceil(in/s)-1)·s + (k-1)·d + 1 - in, 0) with top =
// total/2 and bottom = total - top, so an odd extra pixel goes to the
// bottom and right (timm's pad_same / Conv2dSame). Zero strides and
// dilations mean 1.
func SamePad(inH, inW, kH, kW, strideH, strideW, dilH, dilW int) [4]int {
	h := convSameTotal(inH, kH, convOr1(strideH), convOr1(dilH))
	w := convSameTotal(inW, kW, convOr1(strideW), convOr1(dilW))
	return [4]int{h / 2, h - h/2, w / 2, w - w/2}
}

func convSameTotal(in, k, s, d int) int {
	return max(((in+s-1)/s-1)*s+(k-1)*d+1-in, 0)
}

func convOr1(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// convSize is the resolved geometry of a Conv2d call.
type convSize struct {
	n, c, o, groups int
	g               kernels.Geom2d
}

// convResolve checks the shapes of Conv2d and resolves its geometry.
func convResolve(xs, ws []int, b *Var, o Conv2dOpts) convSize {
	if len(xs) != 4 || len(ws) != 4 {
		panicf("Conv2d: input %v and weight %v: want [N,C,H,W] and [O,C/groups,kH,kW]", xs, ws)
	}
	groups := convOr1(o.Groups)
	sh, sw := convOr1(o.Stride[0]), convOr1(o.Stride[1])
	dh, dw := convOr1(o.Dilation[0]), convOr1(o.Dilation[1])
	if groups < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || o.Pad[0] < 0 || o.Pad[1] < 0 || o.Pad[2] < 0 || o.Pad[3] < 0 {
		panicf("Conv2d: bad options %+v for input %v and weight %v", o, xs, ws)
	}
	c, oc := xs[1], ws[0]
	if c%groups != 0 || oc%groups != 0 || ws[1] != c/groups {
		panicf("Conv2d: input %v and weight %v do not match with %d groups (want weight [O, C/groups, kH, kW], C and O multiples of groups)", xs, ws, groups)
	}
	if b != nil && (b.Value.Dims() != 1 || b.Value.Shape[0] != oc) {
		panicf("Conv2d: bias %v does not match weight %v", b.Value.Shape, ws)
	}
	g := kernels.Geom2d{H: xs[2], W: xs[3], KH: ws[2], KW: ws[3], StrideH: sh, StrideW: sw,
		DilH: dh, DilW: dw, PadT: o.Pad[0], PadL: o.Pad[2]}
	if g.KH < 1 || g.KW < 1 {
		panicf("Conv2d: empty kernel in weight %v", ws)
	}
	eh, ew := xs[2]+o.Pad[0]+o.Pad[1]-(g.KH-1)*dh, xs[3]+o.Pad[2]+o.Pad[3]-(g.KW-1)*dw
	if eh < 1 || ew < 1 {
		panicf("Conv2d: dilated kernel of weight %v is larger than padded input %v (options %+v)", ws, xs, o)
	}
	g.OH, g.OW = (eh-1)/sh+1, (ew-1)/sw+1
	return convSize{n: xs[0], c: c, o: oc, groups: groups, g: g}
}

// Conv2d returns the 2-D cross-correlation of x [N,C,H,W] with filters
// w [O, C/groups, kH, kW] plus bias b [O] (b may be nil), with zero padding,
// as torch.nn.functional.conv2d(x, w, b, stride, padding, dilation, groups).
// The output is [N, O, Ho, Wo] with Ho = (H + top + bottom - dil·(kH-1) - 1)
// / stride + 1 (rounded down), likewise Wo. Unlike PyTorch, the padding may
// be asymmetric (Pad is {top, bottom, left, right}; see SamePad for
// TensorFlow's "SAME"), which PyTorch expresses as F.pad then conv2d.
// Counts N·O·Ho·Wo·(C/groups)·kH·kW MACs.
//
// Depthwise convolutions (groups == C > 1, O a multiple of C) run a direct
// loop; 1×1, stride-1, unpadded ones a GEMM on the input; all others im2col
// and a GEMM per sample and group.
func (t *Tape) Conv2d(x, w, b *Var, o Conv2dOpts) *Var {
	s := convResolve(x.Value.Shape, w.Value.Shape, b, o)
	g := s.g
	shape := [4]int{s.n, s.o, g.OH, g.OW}
	out := t.newOutRaw(shape[:], x, w, b)
	cg, og := s.c/s.groups, s.o/s.groups
	k := cg * g.KH * g.KW
	t.addMACs(s.n * s.o * g.OH * g.OW * k)
	if isMeta(out) {
		return out
	}
	var bd []float32
	if b != nil {
		bd = b.Value.Data
	}
	xd, wd, yd := x.Value.Data, w.Value.Data, out.Value.Data
	depthwise := s.groups == s.c && s.c > 1
	if depthwise {
		kernels.DepthwiseConv2d(g, s.n, s.c, og, xd, wd, bd, yd)
	} else {
		cv := kernels.NewConv(g, s.n, s.c, s.o, s.groups)
		cv.Forward(xd, wd, bd, yd, t.allocRaw(cv.ScratchLen()))
	}
	if t.wants(out, x, w, b) {
		n := t.arena.nodes.conv.get()
		*n = convNode{t: t, x: x, w: w, b: b, s: s, depthwise: depthwise}
		t.pushNode("Conv2d", out, n)
	}
	return out
}

// convNode is the backward of Conv2d.
type convNode struct {
	t         *Tape // where scratch comes from
	x, w, b   *Var
	s         convSize
	depthwise bool
}

func (n *convNode) backward(gy []float32) {
	t, x, w, b, s, depthwise := n.t, n.x, n.w, n.b, n.s, n.depthwise
	g := s.g
	og, ohw := s.o/s.groups, g.OH*g.OW
	xd, wd := x.Value.Data, w.Value.Data
	if b != nil && b.requiresGrad {
		kernels.BiasGrad(s.n, s.o, ohw, gy, b.grad())
	}
	if depthwise {
		if x.requiresGrad {
			kernels.DepthwiseConv2dBackwardInput(g, s.n, s.c, og, gy, wd, x.grad())
		}
		if w.requiresGrad {
			kernels.DepthwiseConv2dBackwardFilter(g, s.n, s.c, og, gy, xd, w.grad())
		}
		return
	}
	cv := kernels.NewConv(g, s.n, s.c, s.o, s.groups)
	if w.requiresGrad {
		cv.BackwardFilter(gy, xd, w.grad(), t.allocRaw(cv.FilterScratchLen()))
	}
	if x.requiresGrad {
		gx, fresh := x.gradFresh()
		cv.BackwardInput(gy, wd, gx, t.allocRaw(cv.ScratchLen()), fresh)
	}
}

// refConv2d is the naive reference for Conv2d: each output index is decoded
// into (n, oc, oy, ox) and summed over its group's channels and taps.
func refConv2d(x, w, b *tensor.Tensor, o Conv2dOpts) *tensor.Tensor {
	groups := convOr1(o.Groups)
	stride := [2]int{convOr1(o.Stride[0]), convOr1(o.Stride[1])}
	dil := [2]int{convOr1(o.Dilation[0]), convOr1(o.Dilation[1])}
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oc, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	oh := (h+o.Pad[0]+o.Pad[1]-dil[0]*(kh-1)-1)/stride[0] + 1
	ow := (wd+o.Pad[2]+o.Pad[3]-dil[1]*(kw-1)-1)/stride[1] + 1
	cg, og := c/groups, oc/groups
	out := tensor.New(n, oc, oh, ow)
	for i := range out.Data {
		ox := i % ow
		oy := (i / ow) % oh
		f := (i / (ow * oh)) % oc
		s := i / (ow * oh * oc)
		var sum float64
		if b != nil {
			sum = float64(b.Data[f])
		}
		grp := f / og
		for ci := 0; ci < cg; ci++ {
			for ky := 0; ky < kh; ky++ {
				for kx := 0; kx < kw; kx++ {
					iy := oy*stride[0] + ky*dil[0] - o.Pad[0]
					ix := ox*stride[1] + kx*dil[1] - o.Pad[2]
					if iy < 0 || iy >= h || ix < 0 || ix >= wd {
						continue
					}
					xv := x.Data[((s*c+grp*cg+ci)*h+iy)*wd+ix]
					wv := w.Data[((f*cg+ci)*kh+ky)*kw+kx]
					sum += float64(xv) * float64(wv)
				}
			}
		}
		out.Data[i] = float32(sum)
	}
	return out
}
