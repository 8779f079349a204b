package autograd

import (
	"math"

	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// Attention returns scaled dot-product attention
//
//	softmax(scale · q · kᵀ + bias) · v
//
// for q [..., N, D], k [..., M, D] and v [..., M, Dv] with the same leading
// (batch and head) dimensions; the softmax runs over the last axis (keys).
// bias is nil or [..., N, M] whose leading dimensions broadcast against
// q's (ViT passes nil; Swin passes its relative position bias [H, N, N]
// plus the shifted-window mask as [nW, H, N, N] with q shaped
// [B, nW, H, N, D]). It equals
// torch.softmax(q @ k.transpose(-2, -1) * scale + bias, -1) @ v.
//
// The scores are computed one head at a time: inference keeps one N×M block
// per worker; training keeps the probabilities (batch·N·M values), which the
// backward needs. Counts batch·N·M·(D+Dv) MACs.
func (t *Tape) Attention(q, k, v *Var, scale float32, bias *Var) *Var {
	qs, ks, vs := q.Value.Shape, k.Value.Shape, v.Value.Shape
	r := len(qs)
	if r < 2 || len(ks) != r || len(vs) != r || !tensor.SameShape(qs[:r-2], ks[:r-2]) || !tensor.SameShape(qs[:r-2], vs[:r-2]) ||
		qs[r-1] != ks[r-1] || ks[r-2] != vs[r-2] {
		panicf("Attention: q %v, k %v, v %v do not fit (want [..., N, D], [..., M, D], [..., M, Dv])", qs, ks, vs)
	}
	lead := qs[:r-2]
	n, d, m, dv := qs[r-2], qs[r-1], ks[r-2], vs[r-1]
	batch := tensor.Numel(lead)
	var biasOff []int
	if bias != nil {
		bs := bias.Value.Shape
		if len(bs) < 2 || bs[len(bs)-2] != n || bs[len(bs)-1] != m {
			panicf("Attention: bias %v does not end in the score shape [%d %d] of q %v, k %v", bs, n, m, qs, ks)
		}
		if b, ok := tensor.BroadcastShapes(lead, bs[:len(bs)-2]); !ok || !tensor.SameShape(b, lead) {
			panicf("Attention: bias %v does not broadcast to the batch dimensions %v of q %v", bs, lead, qs)
		}
		biasOff = t.ints(batch)
		broadcastEach(lead, lead, bs[:len(bs)-2], func(o, _, ib int) { biasOff[o] = ib * n * m })
	}
	shape := t.ints(r)
	copy(shape, lead)
	shape[r-2], shape[r-1] = n, dv
	out := t.newOutRaw(shape, q, k, v, bias)
	t.addMACs(batch * n * m * (d + dv))
	if isMeta(out) {
		return out
	}
	recording := t.wants(out, q, k, v, bias)
	var probs []float32
	if recording {
		probs = t.alloc(batch * n * m)
	}
	var bd []float32
	if bias != nil {
		bd = bias.Value.Data
	}
	kernels.AttentionForward(batch, n, m, d, dv, scale, q.Value.Data, k.Value.Data, v.Value.Data, bd, biasOff, probs, out.Value.Data)
	if !recording {
		return out
	}
	nd := t.arena.nodes.attention.get()
	*nd = attentionNode{t: t, q: q, k: k, v: v, bias: bias, scale: scale, batch: batch, n: n, m: m, d: d, dv: dv,
		biasOff: biasOff, probs: probs}
	t.pushNode("Attention", out, nd)
	return out
}

// attentionNode is the backward of Attention.
type attentionNode struct {
	t                  *Tape // where scratch comes from
	q, k, v, bias      *Var
	scale              float32
	batch, n, m, d, dv int
	biasOff            []int
	probs              []float32
}

func (nd *attentionNode) backward(g []float32) {
	t, q, k, v, bias, scale, probs, biasOff := nd.t, nd.q, nd.k, nd.v, nd.bias, nd.scale, nd.probs, nd.biasOff
	batch, n, m, d, dv := nd.batch, nd.n, nd.m, nd.d, nd.dv
	var dq, dk, dvg, ds []float32
	if q.requiresGrad {
		dq = q.grad()
	}
	if k.requiresGrad {
		dk = k.grad()
	}
	if v.requiresGrad {
		dvg = v.grad()
	}
	if bias != nil && bias.requiresGrad {
		ds = t.alloc(batch * n * m)
	}
	kernels.AttentionBackward(batch, n, m, d, dv, scale, q.Value.Data, k.Value.Data, v.Value.Data, probs, g, dq, dk, dvg, ds)
	if ds != nil {
		// Heads that share a bias block add into it in head order.
		gb := bias.grad()
		for p := 0; p < batch; p++ {
			blk := gb[biasOff[p] : biasOff[p]+n*m]
			for i, x := range ds[p*n*m : (p+1)*n*m] {
				blk[i] += x
			}
		}
	}
}

// refAttention is the naive reference for Attention: for each head and
// query row, scores in float64, softmax, then the weighted sum of values.
func refAttention(q, k, v *tensor.Tensor, scale float32, bias *tensor.Tensor) *tensor.Tensor {
	r := q.Dims()
	lead := q.Shape[:r-2]
	n, d, m, dv := q.Shape[r-2], q.Shape[r-1], k.Shape[r-2], v.Shape[r-1]
	out := tensor.New(append(append([]int{}, lead...), n, dv)...)
	coord := make([]int, len(lead))
	for p := 0; p < tensor.Numel(lead); p++ {
		rem := p
		for i := len(lead) - 1; i >= 0; i-- {
			coord[i] = rem % lead[i]
			rem /= lead[i]
		}
		for i := 0; i < n; i++ {
			s := make([]float64, m)
			mx := math.Inf(-1)
			for j := 0; j < m; j++ {
				var dot float64
				for c := 0; c < d; c++ {
					dot += float64(q.Data[(p*n+i)*d+c]) * float64(k.Data[(p*m+j)*d+c])
				}
				s[j] = dot * float64(scale)
				if bias != nil {
					bo := refBroadcastIndex(coord, bias.Shape[:bias.Dims()-2])
					s[j] += float64(bias.Data[(bo*n+i)*m+j])
				}
				mx = math.Max(mx, s[j])
			}
			var z float64
			for j := range s {
				s[j] = math.Exp(s[j] - mx)
				z += s[j]
			}
			for c := 0; c < dv; c++ {
				var acc float64
				for j := 0; j < m; j++ {
					acc += s[j] / z * float64(v.Data[(p*m+j)*dv+c])
				}
				out.Data[(p*n+i)*dv+c] = float32(acc)
			}
		}
	}
	return out
}
