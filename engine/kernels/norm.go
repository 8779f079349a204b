package kernels

import "math"

// Normalisation kernels. Batch-norm kernels see their input as [n, c, s]:
// element (i, ch, j) sits at x[(i*c+ch)*s+j], channel ch owns the n·s
// elements (i, ch, ·). A channels-last [rows, d] tensor with per-column
// parameters (ResMLP's Affine) is the same layout with n=rows, c=d, s=1.
// Layer-norm kernels see [rows, d] and normalise each row.

// normGrain is the least number of elements a worker of a norm kernel takes.
const normGrain = 1 << 14

// normGrainOf returns how many items of per elements one worker takes at least.
func normGrainOf(per int) int { return max(1, normGrain/max(per, 1)) }

// Summation order. The generic path sums in float64 in four interleaved
// partial sums (normSum and friends below). With useAsm the same sums run
// in vec_amd64.s, still in float64: four-lane float64 accumulators (16
// partial sums over blocks of 16, then blocks of 4 into the first, then
// single elements into a scalar), combined in a fixed tree. Either way the
// order depends only on the length, so results do not depend on
// GOMAXPROCS; the two paths differ by float64 rounding, which float32
// outputs rarely show. Elementwise steps (scale-shift, input gradients) on
// the asm path use FMAs, so they equal their loops up to float32 rounding.

// normSum returns Σ x[i] in float64, in four interleaved partial sums (a
// single chain of float64 adds is latency-bound).
func normSum(x []float32) float64 {
	if useAsm {
		return vecSum64(x)
	}
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// normSumSqDev returns Σ (x[i]-mu)² in float64, as normSum.
func normSumSqDev(x []float32, mu float64) float64 {
	if useAsm {
		return vecSumSqDev64(x, mu)
	}
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := float64(x[i])-mu, float64(x[i+1])-mu, float64(x[i+2])-mu, float64(x[i+3])-mu
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mu
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// normSumDot returns Σ g[i] and Σ g[i]·(x[i]-mu) in float64, each in two
// interleaved partial sums.
func normSumDot(g, x []float32, mu float64) (sg, sgx float64) {
	x = x[:len(g)]
	if useAsm {
		return vecSumDot64(g, x, mu)
	}
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(g); i += 2 {
		g0, g1 := float64(g[i]), float64(g[i+1])
		a0 += g0
		a1 += g1
		b0 += g0 * (float64(x[i]) - mu)
		b1 += g1 * (float64(x[i+1]) - mu)
	}
	for ; i < len(g); i++ {
		a0 += float64(g[i])
		b0 += float64(g[i]) * (float64(x[i]) - mu)
	}
	return a0 + a1, b0 + b1
}

// BatchNormStats computes the mean and the biased variance of each channel:
//
//	for ch := 0; ch < c; ch++ {
//		mean[ch] = Σ_{i<n, j<s} x[(i*c+ch)*s+j] / (n*s)
//		variance[ch] = Σ_{i<n, j<s} (x[(i*c+ch)*s+j] - mean[ch])² / (n*s)
//	}
//
// in two passes, accumulating in float64 (per plane (i, ch) in partial sums,
// then by i). n*s must be positive.
func BatchNormStats(n, c, s int, x, mean, variance []float32) {
	m := float64(n * s)
	parallelJob(&bnStatsJobs, c, normGrainOf(n*s), &bnStatsJob{n: n, c: c, s: s, m: m, x: x, mean: mean, variance: variance})
}

// ChannelScaleShift applies a per-channel affine map:
//
//	y[(i*c+ch)*s+j] = x[(i*c+ch)*s+j]*scale[ch] + shift[ch]
//
// for every i < n, ch < c, j < s. y may alias x.
func ChannelScaleShift(n, c, s int, x, scale, shift, y []float32) {
	items, grain := n*c, normGrainOf(s) // planes
	if s == 1 {
		items, grain = n, normGrainOf(c) // rows
	}
	parallelJob(&scaleShiftJobs, items, grain, &scaleShiftJob{c: c, s: s, x: x, scale: scale, shift: shift, y: y})
}

// BatchNormSums computes the per-channel sums of a batch-norm backward:
//
//	for ch := 0; ch < c; ch++ {
//		sumG[ch] = Σ_{i,j} g[(i*c+ch)*s+j]
//		sumGXhat[ch] = Σ_{i,j} g[(i*c+ch)*s+j] * (x[(i*c+ch)*s+j] - mean[ch]) * invstd[ch]
//	}
//
// accumulating in float64 (as BatchNormStats). A nil mean reads as 0 and a nil invstd as 1 (so
// sumGXhat is Σ g·x). Either output may be nil, to skip it.
func BatchNormSums(n, c, s int, g, x, mean, invstd, sumG, sumGXhat []float32) {
	parallelJob(&bnSumsJobs, c, normGrainOf(n*s), &bnSumsJob{n: n, c: c, s: s, g: g, x: x, mean: mean, invstd: invstd, sumG: sumG, sumGXhat: sumGXhat})
}

// BatchNormInputGrad accumulates the input gradient of a batch norm:
//
//	dx[(i*c+ch)*s+j] += k[ch] * (g[q] - gMean[ch] - (x[q]-mean[ch])*xCoef[ch])   (q = (i*c+ch)*s+j)
//
// With batch statistics, k = γ·invstd, gMean = Σg/m and xCoef =
// invstd·Σ(g·x̂)/m. When gMean is nil, mean, xCoef and x are not read and
// the loop is dx[q] += k[ch]*g[q] (running statistics, or an affine map).
func BatchNormInputGrad(n, c, s int, g, x, mean, k, gMean, xCoef, dx []float32) {
	batchNormInputGrad(n, c, s, g, x, mean, k, gMean, xCoef, dx, false)
}

// BatchNormInputGradSet is BatchNormInputGrad setting dx to the gradient
// instead of adding to it: dx's old contents are never read (each plane is
// cleared just before it is accumulated, while in cache).
func BatchNormInputGradSet(n, c, s int, g, x, mean, k, gMean, xCoef, dx []float32) {
	batchNormInputGrad(n, c, s, g, x, mean, k, gMean, xCoef, dx, true)
}

func batchNormInputGrad(n, c, s int, g, x, mean, k, gMean, xCoef, dx []float32, set bool) {
	items, grain := n*c, normGrainOf(s) // planes
	if s == 1 {
		items, grain = n, normGrainOf(c) // rows
	}
	parallelJob(&bnGradJobs, items, grain, &bnGradJob{c: c, s: s, g: g, x: x, mean: mean, k: k, gMean: gMean, xCoef: xCoef, dx: dx, set: set})
}

// LayerNormForward normalises each row of x [rows, d]:
//
//	for r := 0; r < rows; r++ {
//		mean[r] = Σ_j x[r*d+j] / d
//		invstd[r] = 1 / sqrt(Σ_j (x[r*d+j]-mean[r])² / d + eps)
//		y[r*d+j] = (x[r*d+j]-mean[r]) * invstd[r] * gamma[j] + beta[j]
//	}
//
// with the sums in float64 (in partial sums). A nil gamma reads as 1 and a
// nil beta as 0.
func LayerNormForward(rows, d int, x, gamma, beta []float32, eps float32, y, mean, invstd []float32) {
	parallelJob(&lnForwardJobs, rows, normGrainOf(d), &lnForwardJob{d: d, x: x, gamma: gamma, beta: beta, eps: eps, y: y, mean: mean, invstd: invstd})
}

// LayerNormInputGrad accumulates the input gradient of LayerNormForward:
//
//	for r := 0; r < rows; r++ {
//		x̂[j] = (x[r*d+j]-mean[r])*invstd[r];  ĝ[j] = g[r*d+j]*gamma[j]
//		a = Σ_j ĝ[j] / d;  b = Σ_j ĝ[j]*x̂[j] / d
//		dx[r*d+j] += invstd[r] * (ĝ[j] - a - x̂[j]*b)
//	}
//
// with a and b summed in float64 (b as invstd·Σ ĝ·(x-mean)). A nil gamma
// reads as 1.
func LayerNormInputGrad(rows, d int, g, x, gamma, mean, invstd, dx []float32) {
	parallelJob(&lnInputGradJobs, rows, normGrainOf(d), &lnInputGradJob{d: d, g: g, x: x, gamma: gamma, mean: mean, invstd: invstd, dx: dx})
}

// LayerNormParamGrad accumulates the gradients of LayerNormForward's gamma
// and beta:
//
//	for j := 0; j < d; j++ {
//		dgamma[j] += Σ_r g[r*d+j] * (x[r*d+j]-mean[r]) * invstd[r]
//		dbeta[j] += Σ_r g[r*d+j]
//	}
//
// with the sums over r in float64. Either output may be nil, to skip it.
func LayerNormParamGrad(rows, d int, g, x, mean, invstd, dgamma, dbeta []float32) {
	parallelJob(&lnParamGradJobs, d, normGrainOf(rows), &lnParamGradJob{rows: rows, d: d, g: g, x: x, mean: mean, invstd: invstd, dgamma: dgamma, dbeta: dbeta})
}

// bnStatsJob is one BatchNormStats call, over channels.
type bnStatsJob struct {
	n, c, s           int
	m                 float64
	x, mean, variance []float32
}

var bnStatsJobs gemmFreeList[bnStatsJob]

func (j *bnStatsJob) run(lo, hi int) {
	n, c, s, m, x, mean, variance := j.n, j.c, j.s, j.m, j.x, j.mean, j.variance
	// Per-channel sums, from zero.
	smu, ssq := getScratch(&scratch64, hi-lo), getScratch(&scratch64, hi-lo)
	defer putScratch(&scratch64, smu)
	defer putScratch(&scratch64, ssq)
	mu, sq := smu.buf, ssq.buf
	for i := 0; i < n; i++ {
		if s == 1 {
			for k, v := range x[i*c+lo : i*c+hi] {
				mu[k] += float64(v)
			}
			continue
		}
		for ch := lo; ch < hi; ch++ {
			mu[ch-lo] += normSum(x[(i*c+ch)*s : (i*c+ch+1)*s])
		}
	}
	for k := range mu {
		mu[k] /= m
	}
	for i := 0; i < n; i++ {
		if s == 1 {
			for k, v := range x[i*c+lo : i*c+hi] {
				d := float64(v) - mu[k]
				sq[k] += d * d
			}
			continue
		}
		for ch := lo; ch < hi; ch++ {
			sq[ch-lo] += normSumSqDev(x[(i*c+ch)*s:(i*c+ch+1)*s], mu[ch-lo])
		}
	}
	for ch := lo; ch < hi; ch++ {
		mean[ch] = float32(mu[ch-lo])
		variance[ch] = float32(sq[ch-lo] / m)
	}
}

// scaleShiftJob is one ChannelScaleShift call: over rows of c values when
// s is 1, else over planes (sample, channel).
type scaleShiftJob struct {
	c, s               int
	x, scale, shift, y []float32
}

var scaleShiftJobs gemmFreeList[scaleShiftJob]

func (j *scaleShiftJob) run(lo, hi int) {
	c, s, x, scale, shift, y := j.c, j.s, j.x, j.scale, j.shift, j.y
	if s == 1 {
		for i := lo; i < hi; i++ {
			xr, yr := x[i*c:(i+1)*c], y[i*c:(i+1)*c]
			if useAsm {
				vecFMA3(yr, xr, scale[:c], shift[:c])
				continue
			}
			for ch, v := range xr {
				yr[ch] = v*scale[ch] + shift[ch]
			}
		}
		return
	}
	for p := lo; p < hi; p++ {
		a, b := scale[p%c], shift[p%c]
		yp := y[p*s : (p+1)*s]
		if useAsm {
			vecAxpb(yp, x[p*s:(p+1)*s], a, b)
			continue
		}
		for j, v := range x[p*s : (p+1)*s] {
			yp[j] = v*a + b
		}
	}
}

// bnSumsJob is one BatchNormSums call, over channels.
type bnSumsJob struct {
	n, c, s                            int
	g, x, mean, invstd, sumG, sumGXhat []float32
}

var bnSumsJobs gemmFreeList[bnSumsJob]

func (j *bnSumsJob) run(lo, hi int) {
	n, c, s, g, x, mean, invstd, sumG, sumGXhat := j.n, j.c, j.s, j.g, j.x, j.mean, j.invstd, j.sumG, j.sumGXhat
	// Per-channel sums, from zero.
	ssg, ssgx := getScratch(&scratch64, hi-lo), getScratch(&scratch64, hi-lo)
	defer putScratch(&scratch64, ssg)
	defer putScratch(&scratch64, ssgx)
	sg, sgx := ssg.buf, ssgx.buf
	for i := 0; i < n; i++ {
		if s == 1 {
			xr := x[i*c+lo : i*c+hi]
			for k, gv := range g[i*c+lo : i*c+hi] {
				var u float64
				if mean != nil {
					u = float64(mean[lo+k])
				}
				sg[k] += float64(gv)
				sgx[k] += float64(gv) * (float64(xr[k]) - u)
			}
			continue
		}
		for ch := lo; ch < hi; ch++ {
			var u float64
			if mean != nil {
				u = float64(mean[ch])
			}
			a, b := normSumDot(g[(i*c+ch)*s:(i*c+ch+1)*s], x[(i*c+ch)*s:(i*c+ch+1)*s], u)
			sg[ch-lo] += a
			sgx[ch-lo] += b
		}
	}
	for ch := lo; ch < hi; ch++ {
		if sumG != nil {
			sumG[ch] = float32(sg[ch-lo])
		}
		if sumGXhat != nil {
			r := sgx[ch-lo]
			if invstd != nil {
				r *= float64(invstd[ch])
			}
			sumGXhat[ch] = float32(r)
		}
	}
}

// bnGradJob is one batchNormInputGrad call: over rows of c values when s
// is 1, else over planes (sample, channel).
type bnGradJob struct {
	c, s                            int
	g, x, mean, k, gMean, xCoef, dx []float32
	set                             bool
}

var bnGradJobs gemmFreeList[bnGradJob]

func (j *bnGradJob) run(lo, hi int) {
	c, s, g, x, mean, k, gMean, xCoef, dx, set := j.c, j.s, j.g, j.x, j.mean, j.k, j.gMean, j.xCoef, j.dx, j.set
	if s == 1 {
		for i := lo; i < hi; i++ {
			gr, dr := g[i*c:(i+1)*c], dx[i*c:(i+1)*c]
			if set {
				clear(dr)
			}
			if gMean == nil {
				if useAsm {
					vecFMA3(dr, gr, k[:c], dr)
					continue
				}
				for ch, gv := range gr {
					dr[ch] += k[ch] * gv
				}
				continue
			}
			xr := x[i*c : (i+1)*c]
			for ch, gv := range gr {
				dr[ch] += k[ch] * (gv - gMean[ch] - (xr[ch]-mean[ch])*xCoef[ch])
			}
		}
		return
	}
	for p := lo; p < hi; p++ {
		ch := p % c
		kc := k[ch]
		gp, dp := g[p*s:(p+1)*s], dx[p*s:(p+1)*s]
		if set && useAsm {
			// Written, not cleared and added to: k·t, the bits of 0 + k·t
			// (up to the sign of a zero).
			if gMean == nil {
				vecScale(dp, gp, kc)
			} else {
				vecBNGradSet(dp, gp, x[p*s:(p+1)*s], kc, gMean[ch], mean[ch], xCoef[ch])
			}
			continue
		}
		if set {
			clear(dp)
		}
		if useAsm {
			if gMean == nil {
				vecAxpy(dp, gp, kc)
			} else {
				vecBNGrad(dp, gp, x[p*s:(p+1)*s], kc, gMean[ch], mean[ch], xCoef[ch])
			}
			continue
		}
		if gMean == nil {
			for j, gv := range gp {
				dp[j] += kc * gv
			}
			continue
		}
		gm, u, xc := gMean[ch], mean[ch], xCoef[ch]
		xp := x[p*s : (p+1)*s]
		for j, gv := range gp {
			dp[j] += kc * (gv - gm - (xp[j]-u)*xc)
		}
	}
}

// lnForwardJob is one LayerNormForward call, over rows.
type lnForwardJob struct {
	d                               int
	eps                             float32
	x, gamma, beta, y, mean, invstd []float32
}

var lnForwardJobs gemmFreeList[lnForwardJob]

func (j *lnForwardJob) run(lo, hi int) {
	d, x, gamma, beta, eps, y, mean, invstd := j.d, j.x, j.gamma, j.beta, j.eps, j.y, j.mean, j.invstd
	for r := lo; r < hi; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		mu := normSum(xr) / float64(d)
		rs := 1 / math.Sqrt(normSumSqDev(xr, mu)/float64(d)+float64(eps))
		m32, r32 := float32(mu), float32(rs)
		mean[r], invstd[r] = m32, r32
		switch {
		case useAsm && gamma == nil && beta == nil:
			vecSubMul(yr, xr, m32, r32)
		case useAsm && gamma != nil && beta != nil:
			vecNormRow(yr, xr, gamma[:d], beta[:d], m32, r32)
		case gamma == nil && beta == nil:
			for j, v := range xr {
				yr[j] = (v - m32) * r32
			}
		case beta == nil:
			for j, v := range xr {
				yr[j] = (v - m32) * r32 * gamma[j]
			}
		case gamma == nil:
			for j, v := range xr {
				yr[j] = (v-m32)*r32 + beta[j]
			}
		default:
			for j, v := range xr {
				yr[j] = (v-m32)*r32*gamma[j] + beta[j]
			}
		}
	}
}

// lnInputGradJob is one LayerNormInputGrad call, over rows.
type lnInputGradJob struct {
	d                             int
	g, x, gamma, mean, invstd, dx []float32
}

var lnInputGradJobs gemmFreeList[lnInputGradJob]

func (j *lnInputGradJob) run(lo, hi int) {
	d, g, x, gamma, mean, invstd, dx := j.d, j.g, j.x, j.gamma, j.mean, j.invstd, j.dx
	var gh []float32 // the row of ĝ
	if gamma != nil {
		sgh := getScratch(&scratch32, d)
		defer putScratch(&scratch32, sgh)
		gh = sgh.buf
	}
	for r := lo; r < hi; r++ {
		gr, xr, dr := g[r*d:(r+1)*d], x[r*d:(r+1)*d], dx[r*d:(r+1)*d]
		if gamma != nil {
			if useAsm {
				vecMul(gh, gr, gamma[:d])
			} else {
				for j, gv := range gr {
					gh[j] = gv * gamma[j]
				}
			}
			gr = gh
		}
		mu, rs := mean[r], invstd[r]
		// Σ ĝ·x̂ = invstd·Σ ĝ·(x-mean).
		a, b := normSumDot(gr, xr, float64(mu))
		a32, b32 := float32(a/float64(d)), float32(b*float64(rs)/float64(d))
		xr, dr = xr[:len(gr)], dr[:len(gr)]
		if useAsm {
			vecLNBack(dr, gr, xr, mu, rs, a32, b32)
			continue
		}
		for j, gv := range gr {
			dr[j] += rs * (gv - a32 - (xr[j]-mu)*rs*b32)
		}
	}
}

// lnParamGradJob is one LayerNormParamGrad call, over columns.
type lnParamGradJob struct {
	rows, d                           int
	g, x, mean, invstd, dgamma, dbeta []float32
}

var lnParamGradJobs gemmFreeList[lnParamGradJob]

func (j *lnParamGradJob) run(lo, hi int) {
	rows, d, g, x, mean, invstd, dgamma, dbeta := j.rows, j.d, j.g, j.x, j.mean, j.invstd, j.dgamma, j.dbeta
	// Per-column sums, from zero.
	ssg, ssgx := getScratch(&scratch64, hi-lo), getScratch(&scratch64, hi-lo)
	defer putScratch(&scratch64, ssg)
	defer putScratch(&scratch64, ssgx)
	sg, sgx := ssg.buf, ssgx.buf
	for r := 0; r < rows; r++ {
		gr, xr := g[r*d+lo:r*d+hi], x[r*d+lo:r*d+hi]
		xr, sa, sb := xr[:len(gr)], sg[:len(gr)], sgx[:len(gr)]
		mu, rs := mean[r], invstd[r]
		if useAsm {
			vecLNParam(sa, sb, gr, xr, mu, rs)
			continue
		}
		for j, gv := range gr {
			sa[j] += float64(gv)
			sb[j] += float64(gv) * float64((xr[j]-mu)*rs)
		}
	}
	for j := lo; j < hi; j++ {
		if dgamma != nil {
			dgamma[j] += float32(sgx[j-lo])
		}
		if dbeta != nil {
			dbeta[j] += float32(sg[j-lo])
		}
	}
}
