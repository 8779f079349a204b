package nasnet

import (
	"fmt"
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
)

// Batch norm of every NASNet layer: eps 1e-3 as slim's nasnet arg scopes
// and timm; momentum 0.1 as timm (slim's decay 0.9997 would be PyTorch
// momentum 0.0003, too slow for the short reduced-scale runs).
const (
	bnMomentum = 0.1
	bnEps      = 1e-3
)

func newBN(b *nn.Builder, c int) *nn.BatchNorm { return nn.NewBatchNorm(b, c, bnMomentum, bnEps) }

// conv is a bias-free kh×kw convolution with TensorFlow "SAME" padding (the
// padding of every NASNet conv in slim, and timm's nasnetalarge
// pad_type='same') or no padding ("VALID", the ImageNet stem's conv0).
// Weights start as PyTorch's default conv init, U(±1/√fan_in), which timm's
// NASNet keeps (it has no init of its own).
type conv struct {
	w              *nn.Param
	sh, sw, dil, g int
	valid          bool
}

func newConv(b *nn.Builder, in, out, kh, kw, sh, sw, dil, groups int) *conv {
	fanIn := in / groups * kh * kw
	w := b.Param("weight", nn.Uniform(1/math.Sqrt(float64(fanIn))), out, in/groups, kh, kw)
	return &conv{w: w, sh: sh, sw: sw, dil: dil, g: groups}
}

func (l *conv) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	s := x.Value.Shape
	kh, kw := l.w.Value.Shape[2], l.w.Value.Shape[3]
	o := autograd.Conv2dOpts{Stride: [2]int{l.sh, l.sw}, Dilation: [2]int{l.dil, l.dil}, Groups: l.g}
	if !l.valid {
		o.Pad = autograd.SamePad(s[2], s[3], kh, kw, l.sh, l.sw, l.dil, l.dil)
	}
	return c.Tape.Conv2d(x, l.w.Var, nil, o)
}

// branchOp is a built operation: a branch of a block, or a path that
// adjusts a hidden state's shape.
type branchOp interface {
	forward(c *nn.Ctx, x *autograd.Var) *autograd.Var
}

// actConvBn is [ReLU] -> conv -> BN, parameters "conv.weight" and "bn.*"
// (timm's ActConvBn). It is the cell's 1x1 conv on h_i ("conv_1x1"), the
// 1x1 "adjust" of h_{i-1} ("conv_prev_1x1"), the plain and dilated conv ops,
// and the projection of identity and pool ops where the shape changes.
type actConvBn struct {
	act  bool
	conv *conv
	bn   *nn.BatchNorm
}

func newActConvBn(b *nn.Builder, act bool, in, out, k, stride, dil int) *actConvBn {
	return &actConvBn{act: act, conv: newConv(b.Sub("conv"), in, out, k, k, stride, stride, dil, 1), bn: newBN(b.Sub("bn"), out)}
}

func (l *actConvBn) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	if l.act {
		x = c.Tape.ReLU(x)
	}
	return l.bn.Forward(c, l.conv.forward(c, x))
}

// factored is the "1xk then kx1 convolution" op: ReLU -> 1xk conv (stride
// along the width) -> kx1 conv (stride along the height) -> BN, parameters
// "conv_1xk", "conv_kx1" and "bn". The paper does not spell out the op and
// slim has no code for it; this is one ReLU-conv-BN unit as the paper's
// convention says, the form DARTS uses (arXiv:1806.09055, conv_7x1_1x7).
type factored struct {
	c1, c2 *conv
	bn     *nn.BatchNorm
}

func newFactored(b *nn.Builder, in, out, k, stride int) *factored {
	return &factored{
		c1: newConv(b.Subf("conv_1x%d", k), in, out, 1, k, 1, stride, 1, 1),
		c2: newConv(b.Subf("conv_%dx1", k), out, out, k, 1, stride, 1, 1, 1),
		bn: newBN(b.Sub("bn"), out),
	}
}

func (l *factored) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	return l.bn.Forward(c, l.c2.forward(c, l.c1.forward(c, c.Tape.ReLU(x))))
}

// separable is a selected separable conv, applied twice: 2x (ReLU ->
// depthwise kxk -> pointwise 1x1 -> BN), the first one strided (timm's
// BranchSeparables, slim's _stacked_separable_conv). Its first pointwise
// conv maps to the output width, as slim does (timm's stem_cell=True; its
// other cells have equal input and output widths, where the two agree).
type separable struct {
	dw1, pw1, dw2, pw2 *conv
	bn1, bn2           *nn.BatchNorm
}

func newSeparable(b *nn.Builder, in, out, k, stride int) *separable {
	return &separable{
		dw1: newConv(b.Sub("separable_1.depthwise_conv2d"), in, in, k, k, stride, stride, 1, in),
		pw1: newConv(b.Sub("separable_1.pointwise_conv2d"), in, out, 1, 1, 1, 1, 1, 1),
		bn1: newBN(b.Sub("bn_sep_1"), out),
		dw2: newConv(b.Sub("separable_2.depthwise_conv2d"), out, out, k, k, 1, 1, 1, out),
		pw2: newConv(b.Sub("separable_2.pointwise_conv2d"), out, out, 1, 1, 1, 1, 1, 1),
		bn2: newBN(b.Sub("bn_sep_2"), out),
	}
}

func (l *separable) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	x = l.bn1.Forward(c, l.pw1.forward(c, l.dw1.forward(c, c.Tape.ReLU(x))))
	return l.bn2.Forward(c, l.pw2.forward(c, l.dw2.forward(c, c.Tape.ReLU(x))))
}

// pool is a kxk max or average pool with "SAME" padding; the average
// excludes the padding, as TensorFlow's (slim's _pooling). Where the input
// width differs from the cell's, a 1x1 conv and BN follow (no ReLU), as in
// slim's _apply_conv_operations.
//
// Deviation from timm: its stride-2 average pools pad with zeros that the
// average counts (timm's avg_pool2d_same ignores count_include_pad=False,
// see its FIXME), which changes the border outputs; we follow TensorFlow,
// whose weights timm's nasnetalarge carries.
type pool struct {
	max       bool
	k, stride int
	proj      *actConvBn
}

func (l *pool) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	s := x.Value.Shape
	o := autograd.PoolOpts{Stride: [2]int{l.stride, l.stride}, Pad: autograd.SamePad(s[2], s[3], l.k, l.k, l.stride, l.stride, 1, 1)}
	if l.max {
		x = c.Tape.MaxPool2d(x, [2]int{l.k, l.k}, o)
	} else {
		x = c.Tape.AvgPool2d(x, [2]int{l.k, l.k}, o)
	}
	if l.proj != nil {
		x = l.proj.forward(c, x)
	}
	return x
}

// newOp builds op on in channels to out channels with the given stride, or
// returns nil for an identity that needs no parameters.
func newOp(b *nn.Builder, op Op, in, out, stride int) branchOp {
	info := ops[op]
	switch info.kind {
	case kindIdentity:
		// slim: a strided or width-changing identity is ReLU, 1x1 conv, BN.
		if stride == 1 && in == out {
			return nil
		}
		return newActConvBn(b, true, in, out, 1, stride, 1)
	case kindFactored:
		return newFactored(b, in, out, info.k, stride)
	case kindConv:
		return newActConvBn(b, true, in, out, info.k, stride, info.dil)
	case kindAvgPool, kindMaxPool:
		p := &pool{max: info.kind == kindMaxPool, k: info.k, stride: stride}
		if in != out {
			p.proj = newActConvBn(b, false, in, out, 1, 1, 1)
		}
		return p
	case kindSeparable:
		return newSeparable(b, in, out, info.k, stride)
	}
	panic(fmt.Sprintf("nasnet: op %v", op))
}

// factorizedReduction halves the resolution of a hidden state without
// losing half of it: two 1x1 convs of out/2 channels (the second gets the
// odd one) read the even and the odd pixels (the second path is shifted by
// one pixel, zero-padded at the bottom and right), then concatenation and
// BN: slim's factorized_reduction, timm's path_1/path_2/final_path_bn. With
// stride 1 it is a 1x1 conv and BN (parameters "conv", "bn"). act puts a
// ReLU in front, as slim's _reduce_prev_layer does (its concat reduction
// does not).
type factorizedReduction struct {
	act    bool
	p1, p2 *conv
	bn     *nn.BatchNorm
	plain  *actConvBn
}

func newFactorizedReduction(b *nn.Builder, act bool, in, out, stride int) *factorizedReduction {
	if stride == 1 {
		return &factorizedReduction{plain: newActConvBn(b, act, in, out, 1, 1, 1)}
	}
	return &factorizedReduction{
		act: act,
		p1:  newConv(b.Sub("path_1.conv"), in, out/2, 1, 1, 1, 1, 1, 1),
		p2:  newConv(b.Sub("path_2.conv"), in, out/2+out%2, 1, 1, 1, 1, 1, 1),
		bn:  newBN(b.Sub("final_path_bn"), out),
	}
}

func (l *factorizedReduction) forward(c *nn.Ctx, x *autograd.Var) *autograd.Var {
	if l.plain != nil {
		return l.plain.forward(c, x)
	}
	if l.act {
		x = c.Tape.ReLU(x)
	}
	t := c.Tape
	// path 1: avg_pool 1x1 stride 2 (VALID) keeps pixels (0, 0), (0, 2), ...
	p1 := t.Slice(t.Slice(x, 2, 0, x.Value.Shape[2], 2), 3, 0, x.Value.Shape[3], 2)
	// path 2: pad one zero row and column at the bottom and right, drop the
	// first row and column, then the same subsampling.
	xp := t.Pad(x, []int{0, 0, 0, 0}, []int{0, 0, 1, 1}, 0)
	p2 := t.Slice(t.Slice(xp, 2, 1, xp.Value.Shape[2], 2), 3, 1, xp.Value.Shape[3], 2)
	return l.bn.Forward(c, t.Concat(1, l.p1.forward(c, p1), l.p2.forward(c, p2)))
}

// cellMod is a built cell: any valid Cell of the search space, as a normal
// (stride 1) or reduction (stride 2) cell with filters channels per state.
// Its parameters are timm's: conv_1x1 (h_i), conv_prev_1x1 or
// path_1/path_2/final_path_bn (h_{i-1}), comb_iter_<k>_left/_right.
type cellMod struct {
	cell     Cell
	stride   int
	filters  int
	num      int // slim's cell_num: 0, 1, ... from the first (stem) cell on, for ScheduledDropPath
	conv1x1  *actConvBn
	adjust   branchOp      // nil: h_{i-1} is used as it comes
	branches [][2]branchOp // nil: identity
	concat   []branchOp    // per Concat entry: nil or the path that matches it to the blocks' shape
	outC     int
}

// shape is the channels and resolution of a hidden state.
type shape struct{ c, h, w int }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// newCell builds cell on the inputs cur (h_i) and prev (h_{i-1}; nil for
// none, where slim uses h_i itself without adjusting it, as in the first
// ImageNet stem cell and the first CIFAR cell).
func newCell(b *nn.Builder, cell Cell, stride, filters, num int, cur shape, prev *shape) *cellMod {
	if err := cell.Validate(); err != nil {
		panic(err)
	}
	m := &cellMod{cell: cell, stride: stride, filters: filters, num: num}
	m.conv1x1 = newActConvBn(b.Sub("conv_1x1"), true, cur.c, filters, 1, 1, 1)
	states := []shape{{filters, cur.h, cur.w}}
	// h_{i-1}: slim's _reduce_prev_layer.
	switch {
	case prev == nil:
		states = append(states, cur)
	case prev.h != cur.h || prev.w != cur.w:
		if ceilDiv(prev.h, 2) != cur.h || ceilDiv(prev.w, 2) != cur.w {
			panic(fmt.Sprintf("nasnet: h_{i-1} %dx%d is not twice h_i %dx%d", prev.h, prev.w, cur.h, cur.w))
		}
		m.adjust = newFactorizedReduction(b, true, prev.c, filters, 2)
		states = append(states, shape{filters, cur.h, cur.w})
	case prev.c != filters:
		m.adjust = newActConvBn(b.Sub("conv_prev_1x1"), true, prev.c, filters, 1, 1, 1)
		states = append(states, shape{filters, cur.h, cur.w})
	default:
		states = append(states, *prev)
	}
	out := shape{filters, ceilDiv(cur.h, stride), ceilDiv(cur.w, stride)}
	m.branches = make([][2]branchOp, len(cell.Blocks))
	for k, blk := range cell.Blocks {
		for i, br := range blk {
			s := 1
			if br.In < 2 { // only the cell's inputs are strided (slim)
				s = stride
			}
			side := [2]string{"left", "right"}[i]
			m.branches[k][i] = newOp(b.Subf("comb_iter_%d_%s", k, side), br.Op, states[br.In].c, filters, s)
		}
		states = append(states, out)
	}
	// slim's _combine_unused_states: a concatenated cell input whose shape
	// differs from the blocks' gets a factorized reduction (no ReLU).
	m.concat = make([]branchOp, len(cell.Concat))
	for j, s := range cell.Concat {
		st := states[s]
		if st.h != out.h || st.w != out.w {
			m.concat[j] = newFactorizedReduction(b.Subf("reduction_%d", s), false, st.c, filters, 2)
		} else if st.c != filters {
			m.concat[j] = newFactorizedReduction(b.Subf("reduction_%d", s), false, st.c, filters, 1)
		}
	}
	m.outC = len(cell.Concat) * filters
	return m
}

// forward runs the cell; rate is the drop-path rate of its branches.
func (m *cellMod) forward(c *nn.Ctx, cur, prev *autograd.Var, rate float32) *autograd.Var {
	switch {
	case prev == nil:
		prev = cur
	case m.adjust != nil:
		prev = m.adjust.forward(c, prev)
	}
	// states and outs live on the stack for cells of up to 14 blocks and 16
	// concatenated states.
	var sbuf [16]*autograd.Var
	states := append(sbuf[:0], m.conv1x1.forward(c, cur), prev)
	dp := nn.DropPath{Rate: rate}
	for k, blk := range m.cell.Blocks {
		var h [2]*autograd.Var
		for i, br := range blk {
			h[i] = states[br.In]
			if op := m.branches[k][i]; op != nil {
				h[i] = op.forward(c, h[i])
			}
			// slim's _apply_conv_operations drops every op but identity.
			if br.Op != Identity {
				h[i] = dp.Forward(c, h[i])
			}
		}
		states = append(states, c.Tape.Add(h[0], h[1]))
	}
	var obuf [16]*autograd.Var
	outs := obuf[:0]
	if len(m.cell.Concat) > len(obuf) {
		outs = make([]*autograd.Var, 0, len(m.cell.Concat))
	}
	outs = outs[:len(m.cell.Concat)]
	for j, s := range m.cell.Concat {
		outs[j] = states[s]
		if m.concat[j] != nil {
			outs[j] = m.concat[j].forward(c, outs[j])
		}
	}
	return c.Tape.Concat(1, outs...)
}
