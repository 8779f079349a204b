package kernels

import (
	"fmt"
	"math"
)

// Attention kernels compute scaled dot-product attention head by head. A
// "head" p is one [n, d] query block q_p, one [m, d] key block k_p and one
// [m, dv] value block v_p, at offsets p·n·d, p·m·d and p·m·dv. Heads are
// split across goroutines, a head never is, so results do not depend on
// GOMAXPROCS. Only one n×m score block per worker is live at a time unless
// the caller asks to keep the probabilities for a backward pass. Each head
// multiplies with SgemmSerial on its worker (bit-identical to Sgemm).

// AttentionForward computes, for every head p < batch,
//
//	S = scale · q_p · k_pᵀ + B_p        (B_p = bias[biasOff[p]:][:n·m], or 0 when bias is nil)
//	P = softmax over each row of S      (shifted by the row maximum)
//	o_p = P · v_p
//
// When probs is not nil (len batch·n·m) it receives every P, for
// AttentionBackward; otherwise P lives in per-worker scratch only.
func AttentionForward(batch, n, m, d, dv int, scale float32, q, k, v, bias []float32, biasOff []int, probs, o []float32) {
	attnCheck("AttentionForward", batch, n, m, d, dv, q, k, v, o)
	if bias != nil && len(biasOff) != batch {
		panic(fmt.Sprintf("kernels: AttentionForward: %d bias offsets for %d heads", len(biasOff), batch))
	}
	if probs != nil && len(probs) != batch*n*m {
		panic(fmt.Sprintf("kernels: AttentionForward: probs has %d values, want %d", len(probs), batch*n*m))
	}
	if batch == 0 || n == 0 {
		return
	}
	parallelJob(&attnJobs, batch, 1, &attnJob{n: n, m: m, d: d, dv: dv, scale: scale, q: q, k: k, v: v,
		bias: bias, biasOff: biasOff, probs: probs, o: o})
}

// AttentionBackward accumulates the gradients of AttentionForward given the
// kept probabilities probs and the output gradient do:
//
//	dv_p += Pᵀ · do_p
//	dP    = do_p · v_pᵀ
//	dS    = P ⊙ (dP − rowsum(dP ⊙ P))
//	dq_p += scale · dS · k_p,   dk_p += scale · dSᵀ · q_p
//
// dS is written to ds (len batch·n·m) when ds is not nil, for the caller to
// reduce into the bias gradient. Any of dq, dk, dv may be nil.
func AttentionBackward(batch, n, m, d, dv int, scale float32, q, k, v, probs, do, dq, dk, dvOut, ds []float32) {
	attnCheck("AttentionBackward", batch, n, m, d, dv, q, k, v, do)
	if len(probs) != batch*n*m || (ds != nil && len(ds) != batch*n*m) {
		panic(fmt.Sprintf("kernels: AttentionBackward: probs %d / ds %d values, want %d", len(probs), len(ds), batch*n*m))
	}
	if batch == 0 || n == 0 {
		return
	}
	parallelJob(&attnJobs, batch, 1, &attnJob{backward: true, n: n, m: m, d: d, dv: dv, scale: scale, q: q, k: k, v: v,
		probs: probs, do: do, dq: dq, dk: dk, dvOut: dvOut, ds: ds})
}

// attnJob is one AttentionForward or AttentionBackward call, over heads.
type attnJob struct {
	backward                bool
	n, m, d, dv             int
	scale                   float32
	q, k, v, bias, probs, o []float32
	biasOff                 []int
	do, dq, dk, dvOut, ds   []float32
}

var attnJobs gemmFreeList[attnJob]

func (j *attnJob) run(lo, hi int) {
	if j.backward {
		j.backwardHeads(lo, hi)
		return
	}
	n, m, d, dv, scale, q, k, v, bias, biasOff, probs, o := j.n, j.m, j.d, j.dv, j.scale, j.q, j.k, j.v, j.bias, j.biasOff, j.probs, j.o
	var scratch []float32 // one score block, when probs are not kept
	if probs == nil {
		sc := getScratch(&scratch32, n*m)
		defer putScratch(&scratch32, sc)
		scratch = sc.buf
	}
	for p := lo; p < hi; p++ {
		s := scratch
		if probs != nil {
			s = probs[p*n*m : (p+1)*n*m]
		}
		beta := float32(0)
		if bias != nil {
			copy(s, bias[biasOff[p]:biasOff[p]+n*m])
			beta = 1
		}
		SgemmSerial(false, true, n, m, d, scale, q[p*n*d:], d, k[p*m*d:], d, beta, s, m)
		for r := 0; r < n; r++ {
			attnSoftmaxRow(s[r*m : (r+1)*m])
		}
		SgemmSerial(false, false, n, dv, m, 1, s, m, v[p*m*dv:], dv, 0, o[p*n*dv:], dv)
	}
}

func (j *attnJob) backwardHeads(lo, hi int) {
	n, m, d, dv, scale, q, k, v, probs, do, dq, dk, dvOut, ds := j.n, j.m, j.d, j.dv, j.scale, j.q, j.k, j.v, j.probs, j.do, j.dq, j.dk, j.dvOut, j.ds
	var scratch []float32 // one dS block, when ds is not kept
	if ds == nil {
		sc := getScratch(&scratch32, n*m)
		defer putScratch(&scratch32, sc)
		scratch = sc.buf
	}
	for p := lo; p < hi; p++ {
		pp := probs[p*n*m : (p+1)*n*m]
		g := scratch
		if ds != nil {
			g = ds[p*n*m : (p+1)*n*m]
		}
		dop := do[p*n*dv:]
		if dvOut != nil {
			SgemmSerial(true, false, m, dv, n, 1, pp, m, dop, dv, 1, dvOut[p*m*dv:], dv)
		}
		SgemmSerial(false, true, n, m, dv, 1, dop, dv, v[p*m*dv:], dv, 0, g, m)
		for r := 0; r < n; r++ {
			pr, gr := pp[r*m:(r+1)*m], g[r*m:(r+1)*m]
			s := attnDot(gr, pr)
			for j, pv := range pr {
				gr[j] = pv * (gr[j] - s)
			}
		}
		if dq != nil {
			SgemmSerial(false, false, n, d, m, scale, g, m, k[p*m*d:], d, 1, dq[p*n*d:], d)
		}
		if dk != nil {
			SgemmSerial(true, false, m, d, n, scale, g, m, q[p*n*d:], d, 1, dk[p*m*d:], d)
		}
	}
}

// attnSoftmaxRow replaces row by its softmax: e = exp(x − max), sum,
// multiply by 1/sum (with AVX2+FMA as Softmax's vector path; else in order).
func attnSoftmaxRow(row []float32) {
	if useAsm {
		s := vecExpShiftSum(row, row, vecMax(row))
		vecScale(row, row, 1/s)
		return
	}
	mx := float32(math.Inf(-1))
	for _, x := range row {
		mx = max(mx, x)
	}
	var s float32
	for j, x := range row {
		e := float32(math.Exp(float64(x - mx)))
		row[j] = e
		s += e
	}
	inv := 1 / s
	for j := range row {
		row[j] *= inv
	}
}

// attnDot is Σ a[j]·b[j] (vectorised with AVX2+FMA, else in order).
func attnDot(a, b []float32) float32 {
	if useAsm {
		return vecDot(a, b)
	}
	var s float32
	for j, v := range a {
		s += v * b[j]
	}
	return s
}

func attnCheck(name string, batch, n, m, d, dv int, q, k, v, o []float32) {
	if batch < 0 || n < 0 || m < 0 || d < 0 || dv < 0 {
		panic(fmt.Sprintf("kernels: %s: negative size batch=%d n=%d m=%d d=%d dv=%d", name, batch, n, m, d, dv))
	}
	if len(q) != batch*n*d || len(k) != batch*m*d || len(v) != batch*m*dv || len(o) != batch*n*dv {
		panic(fmt.Sprintf("kernels: %s: slices of %d, %d, %d, %d values for batch=%d n=%d m=%d d=%d dv=%d",
			name, len(q), len(k), len(v), len(o), batch, n, m, d, dv))
	}
}
