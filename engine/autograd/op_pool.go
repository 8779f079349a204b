package autograd

import (
	"math"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// PoolOpts are the options of MaxPool2d and AvgPool2d. A zero Stride
// component means the kernel size on that axis (PyTorch's stride=None). Pad
// is {top, bottom, left, right} and may be asymmetric (see SamePad); each
// side must be smaller than the kernel, so every window holds an input cell.
// CountIncludePad is used by AvgPool2d only.
type PoolOpts struct {
	Stride          [2]int
	Pad             [4]int // top, bottom, left, right
	CountIncludePad bool
}

// poolResolve checks the shapes of a pooling op and resolves its geometry.
func poolResolve(name string, xs []int, k [2]int, o PoolOpts) kernels.Geom2d {
	if len(xs) != 4 {
		panicf("%s: input %v: want [N,C,H,W]", name, xs)
	}
	sh, sw := o.Stride[0], o.Stride[1]
	if sh == 0 {
		sh = k[0]
	}
	if sw == 0 {
		sw = k[1]
	}
	p := o.Pad
	if k[0] < 1 || k[1] < 1 || sh < 1 || sw < 1 || min(p[0], p[1], p[2], p[3]) < 0 ||
		max(p[0], p[1]) >= k[0] || max(p[2], p[3]) >= k[1] {
		panicf("%s: bad kernel %v or options %+v for input %v (padding must be smaller than the kernel)", name, k, o, xs)
	}
	eh, ew := xs[2]+p[0]+p[1]-k[0], xs[3]+p[2]+p[3]-k[1]
	if eh < 0 || ew < 0 {
		panicf("%s: kernel %v is larger than padded input %v (options %+v)", name, k, xs, o)
	}
	return kernels.Geom2d{H: xs[2], W: xs[3], KH: k[0], KW: k[1], StrideH: sh, StrideW: sw,
		DilH: 1, DilW: 1, PadT: p[0], PadL: p[2], OH: eh/sh + 1, OW: ew/sw + 1}
}

// MaxPool2d returns the maximum over each k[0]×k[1] window of x [N,C,H,W],
// as torch.nn.functional.max_pool2d(x, k, stride, padding) (ceil_mode=False,
// no dilation): padding reads -Inf, and the gradient of a window goes to its
// first maximum in row-major order, as PyTorch's CPU kernel does. Unlike
// PyTorch, the padding may be asymmetric (TensorFlow's "SAME" max pool is
// F.pad with -Inf then max_pool2d).
func (t *Tape) MaxPool2d(x *Var, k [2]int, o PoolOpts) *Var {
	xs := x.Value.Shape
	g := poolResolve("MaxPool2d", xs, k, o)
	out := t.newOutRaw([]int{xs[0], xs[1], g.OH, g.OW}, x)
	if isMeta(out) {
		return out
	}
	planes := xs[0] * xs[1]
	var arg []int32
	if t != nil && t.record && x.requiresGrad {
		arg = t.int32s(len(out.Value.Data))
	}
	kernels.MaxPool2d(g, planes, x.Value.Data, out.Value.Data, arg)
	if t.wants(out, x) {
		n := t.arena.nodes.pool.get()
		*n = poolNode{x: x, g: g, planes: planes, arg: arg}
		t.pushNode("MaxPool2d", out, n)
	}
	return out
}

// poolNode is the backward of MaxPool2d (arg set: the gradient of a window
// goes to its recorded maximum) and AvgPool2d (arg nil).
type poolNode struct {
	x               *Var
	g               kernels.Geom2d
	planes          int
	countIncludePad bool
	arg             []int32
}

func (n *poolNode) backward(gy []float32) {
	g := n.g
	if n.arg != nil {
		kernels.MaxPool2dBackward(n.planes, g.H*g.W, g.OH*g.OW, gy, n.arg, n.x.grad())
		return
	}
	kernels.AvgPool2dBackward(g, n.planes, n.countIncludePad, gy, n.x.grad())
}

// AvgPool2d returns the mean over each k[0]×k[1] window of x [N,C,H,W], with
// zero padding, as torch.nn.functional.avg_pool2d(x, k, stride, padding,
// count_include_pad=o.CountIncludePad) (ceil_mode=False). With
// CountIncludePad every window divides by k[0]·k[1] (PyTorch's default);
// without, by its number of in-bounds cells, as TensorFlow's "SAME" average
// pool (and NASNet) does. Note the zero PoolOpts excludes padding, unlike
// PyTorch's default. The padding may be asymmetric.
func (t *Tape) AvgPool2d(x *Var, k [2]int, o PoolOpts) *Var {
	xs := x.Value.Shape
	g := poolResolve("AvgPool2d", xs, k, o)
	out := t.newOutRaw([]int{xs[0], xs[1], g.OH, g.OW}, x)
	if isMeta(out) {
		return out
	}
	planes := xs[0] * xs[1]
	kernels.AvgPool2d(g, planes, o.CountIncludePad, x.Value.Data, out.Value.Data)
	if t.wants(out, x) {
		n := t.arena.nodes.pool.get()
		*n = poolNode{x: x, g: g, planes: planes, countIncludePad: o.CountIncludePad}
		t.pushNode("AvgPool2d", out, n)
	}
	return out
}

// AdaptiveAvgPool2d returns x [N,C,H,W] averaged to [N,C,oh,ow] as
// torch.nn.functional.adaptive_avg_pool2d: output row i averages input rows
// [floor(i·H/oh), ceil((i+1)·H/oh)), and likewise for columns (windows may
// overlap, and oh may exceed H).
func (t *Tape) AdaptiveAvgPool2d(x *Var, oh, ow int) *Var {
	xs := x.Value.Shape
	if len(xs) != 4 || oh < 1 || ow < 1 || xs[2] < 1 || xs[3] < 1 {
		panicf("AdaptiveAvgPool2d: input %v to %dx%d: want [N,C,H,W] with H, W, oh, ow >= 1", xs, oh, ow)
	}
	out := t.newOutRaw([]int{xs[0], xs[1], oh, ow}, x)
	if isMeta(out) {
		return out
	}
	planes, h, w := xs[0]*xs[1], xs[2], xs[3]
	kernels.AdaptiveAvgPool2d(planes, h, w, oh, ow, x.Value.Data, out.Value.Data)
	t.push("AdaptiveAvgPool2d", out, func(gy []float32) {
		kernels.AdaptiveAvgPool2dBackward(planes, h, w, oh, ow, gy, x.grad())
	}, x)
	return out
}

// GlobalAvgPool returns the mean of x [N,C,H,W] over H and W, as [N,C]:
// x.mean((2, 3)) in PyTorch, or timm's pooled and flattened classifier head
// (SelectAdaptivePool2d(pool_type='avg', flatten=True)).
func (t *Tape) GlobalAvgPool(x *Var) *Var {
	xs := x.Value.Shape
	if len(xs) != 4 || xs[2] < 1 || xs[3] < 1 {
		panicf("GlobalAvgPool: input %v: want [N,C,H,W] with H, W >= 1", xs)
	}
	out := t.newOutRaw([]int{xs[0], xs[1]}, x)
	if isMeta(out) {
		return out
	}
	planes, h, w := xs[0]*xs[1], xs[2], xs[3]
	kernels.AdaptiveAvgPool2d(planes, h, w, 1, 1, x.Value.Data, out.Value.Data)
	if t.wants(out, x) {
		n := t.arena.nodes.avgPool.get()
		*n = globalAvgPoolNode{x: x, planes: planes, h: h, w: w}
		t.pushNode("GlobalAvgPool", out, n)
	}
	return out
}

// globalAvgPoolNode is the backward of GlobalAvgPool.
type globalAvgPoolNode struct {
	x            *Var
	planes, h, w int
}

func (n *globalAvgPoolNode) backward(gy []float32) {
	kernels.AdaptiveAvgPool2dBackward(n.planes, n.h, n.w, 1, 1, gy, n.x.grad())
}

// poolRefWindow calls fn(iy, ix) for every in-bounds cell of the window of
// output (oy, ox), in row-major order, and returns the number of window
// cells counting padding.
func poolRefWindow(h, w int, k [2]int, o PoolOpts, oy, ox int, fn func(iy, ix int)) int {
	sh, sw := o.Stride[0], o.Stride[1]
	if sh == 0 {
		sh = k[0]
	}
	if sw == 0 {
		sw = k[1]
	}
	for iy := oy*sh - o.Pad[0]; iy < oy*sh-o.Pad[0]+k[0]; iy++ {
		for ix := ox*sw - o.Pad[2]; ix < ox*sw-o.Pad[2]+k[1]; ix++ {
			if iy >= 0 && iy < h && ix >= 0 && ix < w {
				fn(iy, ix)
			}
		}
	}
	return k[0] * k[1]
}

// poolRefOut returns the output size of a pooling window over a padded axis.
func poolRefOut(in, k, stride, padA, padB int) int {
	if stride == 0 {
		stride = k
	}
	return (in+padA+padB-k)/stride + 1
}

// refMaxPool2d is the naive reference for MaxPool2d.
func refMaxPool2d(x *tensor.Tensor, k [2]int, o PoolOpts) *tensor.Tensor {
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh := poolRefOut(h, k[0], o.Stride[0], o.Pad[0], o.Pad[1])
	ow := poolRefOut(w, k[1], o.Stride[1], o.Pad[2], o.Pad[3])
	out := tensor.New(n, c, oh, ow)
	for i := range out.Data {
		ox, oy, p := i%ow, (i/ow)%oh, i/(ow*oh)
		m := math.Inf(-1)
		poolRefWindow(h, w, k, o, oy, ox, func(iy, ix int) {
			m = math.Max(m, float64(x.Data[(p*h+iy)*w+ix]))
		})
		out.Data[i] = float32(m)
	}
	return out
}

// refAvgPool2d is the naive reference for AvgPool2d.
func refAvgPool2d(x *tensor.Tensor, k [2]int, o PoolOpts) *tensor.Tensor {
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh := poolRefOut(h, k[0], o.Stride[0], o.Pad[0], o.Pad[1])
	ow := poolRefOut(w, k[1], o.Stride[1], o.Pad[2], o.Pad[3])
	out := tensor.New(n, c, oh, ow)
	for i := range out.Data {
		ox, oy, p := i%ow, (i/ow)%oh, i/(ow*oh)
		var s float64
		cells := 0
		all := poolRefWindow(h, w, k, o, oy, ox, func(iy, ix int) {
			s += float64(x.Data[(p*h+iy)*w+ix])
			cells++
		})
		if o.CountIncludePad {
			cells = all
		}
		out.Data[i] = float32(s / float64(cells))
	}
	return out
}

// refAdaptiveAvgPool2d is the naive reference for AdaptiveAvgPool2d, with
// the window bounds computed in floating point.
func refAdaptiveAvgPool2d(x *tensor.Tensor, oh, ow int) *tensor.Tensor {
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	out := tensor.New(n, c, oh, ow)
	bounds := func(i, in, out int) (int, int) {
		return int(math.Floor(float64(i*in) / float64(out))), int(math.Ceil(float64((i+1)*in) / float64(out)))
	}
	for i := range out.Data {
		ox, oy, p := i%ow, (i/ow)%oh, i/(ow*oh)
		y0, y1 := bounds(oy, h, oh)
		x0, x1 := bounds(ox, w, ow)
		var s float64
		for iy := y0; iy < y1; iy++ {
			for ix := x0; ix < x1; ix++ {
				s += float64(x.Data[(p*h+iy)*w+ix])
			}
		}
		out.Data[i] = float32(s / float64((y1-y0)*(x1-x0)))
	}
	return out
}

// refGlobalAvgPool is the naive reference for GlobalAvgPool.
func refGlobalAvgPool(x *tensor.Tensor) *tensor.Tensor {
	n, c, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	out := tensor.New(n, c)
	for p := range out.Data {
		var s float64
		for _, v := range x.Data[p*hw : (p+1)*hw] {
			s += float64(v)
		}
		out.Data[p] = float32(s / float64(hw))
	}
	return out
}
