package autograd

import (
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// WindowPartition cuts x [B, H, W, C] into non-overlapping ws×ws windows,
// returning [B·(H/ws)·(W/ws), ws, ws, C] with windows ordered by batch, then
// window row, then window column. It is Swin's window_partition (Liu et al.
// 2021, reference code and timm):
//
//	x.view(B, H/ws, ws, W/ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws, ws, C)
//
// H and W must be multiples of ws (Swin pads first).
func (t *Tape) WindowPartition(x *Var, ws int) *Var {
	xs := x.Value.Shape
	if len(xs) != 4 || ws < 1 || xs[1]%ws != 0 || xs[2]%ws != 0 {
		panicf("WindowPartition: input %v is not [B, H, W, C] with H and W multiples of the window size %d", xs, ws)
	}
	b, h, w, c := xs[0], xs[1], xs[2], xs[3]
	nh, nw := h/ws, w/ws
	out := t.newOutRaw([]int{b * nh * nw, ws, ws, c}, x)
	if isMeta(out) {
		return out
	}
	// Output coordinates (b, i, j, p, q, c) read x[b, i·ws+p, j·ws+q, c].
	is := t.ints(18)
	view, ost, xst := is[:6], is[6:12], is[12:]
	copy(view, []int{b, nh, nw, ws, ws, c})
	shapeStrides(ost, view)
	copy(xst, []int{h * w * c, ws * w * c, ws * c, w * c, c, 1})
	kernels.CopyStrided(view, out.Value.Data, 0, ost, x.Value.Data, 0, xst)
	t.pushStrided("WindowPartition", out, x, view, xst, 0, ost)
	return out
}

// WindowReverse is the inverse of WindowPartition: it joins windows
// [B·(h/ws)·(wd/ws), ws, ws, C] back into [B, h, wd, C], as Swin's
// window_reverse:
//
//	w.view(B, h/ws, wd/ws, ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(B, h, wd, C)
//
// h and wd must be multiples of ws and the number of windows a multiple of
// (h/ws)·(wd/ws).
func (t *Tape) WindowReverse(w *Var, ws, h, wd int) *Var {
	s := w.Value.Shape
	if len(s) != 4 || ws < 1 || s[1] != ws || s[2] != ws || h < 0 || wd < 0 || h%ws != 0 || wd%ws != 0 {
		panicf("WindowReverse: windows %v are not [N, %d, %d, C] for an image %dx%d with sides multiples of %d", s, ws, ws, h, wd, ws)
	}
	nh, nw := h/ws, wd/ws
	if nh*nw == 0 || s[0]%(nh*nw) != 0 {
		panicf("WindowReverse: %d windows of %v do not tile images %dx%d with window size %d", s[0], s, h, wd, ws)
	}
	b, c := s[0]/(nh*nw), s[3]
	out := t.newOutRaw([]int{b, h, wd, c}, w)
	if isMeta(out) {
		return out
	}
	// Output coordinates (b, i, p, j, q, c) read w[(b·nh+i)·nw+j, p, q, c].
	is := t.ints(18)
	view, ost, wst := is[:6], is[6:12], is[12:]
	copy(view, []int{b, nh, ws, nw, ws, c})
	shapeStrides(ost, view)
	copy(wst, []int{nh * nw * ws * ws * c, nw * ws * ws * c, ws * c, ws * ws * c, c, 1})
	kernels.CopyStrided(view, out.Value.Data, 0, ost, w.Value.Data, 0, wst)
	t.pushStrided("WindowReverse", out, w, view, wst, 0, ost)
	return out
}

// refWindowPartition is the naive reference for WindowPartition: window k
// = (b·nh + i)·nw + j holds x[b, i·ws+p, j·ws+q, :] at [k, p, q, :].
func refWindowPartition(x *tensor.Tensor, ws int) *tensor.Tensor {
	b, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	nh, nw := h/ws, w/ws
	out := tensor.New(b*nh*nw, ws, ws, c)
	for n := 0; n < b; n++ {
		for i := 0; i < nh; i++ {
			for j := 0; j < nw; j++ {
				k := (n*nh+i)*nw + j
				for p := 0; p < ws; p++ {
					for q := 0; q < ws; q++ {
						for ch := 0; ch < c; ch++ {
							out.Data[((k*ws+p)*ws+q)*c+ch] = x.Data[((n*h+i*ws+p)*w+j*ws+q)*c+ch]
						}
					}
				}
			}
		}
	}
	return out
}

// refWindowReverse is the naive reference for WindowReverse: pixel (y, z) of
// image n comes from window (n·nh + y/ws)·nw + z/ws at (y%ws, z%ws).
func refWindowReverse(win *tensor.Tensor, ws, h, wd int) *tensor.Tensor {
	nh, nw := h/ws, wd/ws
	b, c := win.Shape[0]/(nh*nw), win.Shape[3]
	out := tensor.New(b, h, wd, c)
	for n := 0; n < b; n++ {
		for y := 0; y < h; y++ {
			for z := 0; z < wd; z++ {
				k := (n*nh+y/ws)*nw + z/ws
				for ch := 0; ch < c; ch++ {
					out.Data[((n*h+y)*wd+z)*c+ch] = win.Data[((k*ws+y%ws)*ws+z%ws)*c+ch]
				}
			}
		}
	}
	return out
}
