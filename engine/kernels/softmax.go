package kernels

import (
	"fmt"
	"math"
)

// Softmax kernels work along the middle axis of x viewed as [outer, n, inner]:
// row (o, i) is x[(o*n+k)*inner+i] for k = 0..n-1. Rows are split across
// goroutines, a row never is. On the generic path sums run in float32 in
// order of k, and exp and log go through float64 math and round to float32.
// With useAsm, rows along the last axis (inner == 1, the [rows, n] case) run
// the AVX2+FMA row kernels of vec_amd64.s instead: max, then exp(x - m)
// with the vectorised float32 exp (within 1 ulp) summed in eight lane
// sums, each in order of k, combined in a fixed tree (so the order depends
// only on n), then a scale by 1/s; they equal the loops below up to float32
// rounding. Strided rows (inner > 1) always run the loops.

// elementwiseSoftmaxRows checks the sizes and calls row(j, start) for the
// first element of every row, in parallel over rows, with the job j
// holding the kernel's two or three slices (as a, b and c) and n and
// inner.
func elementwiseSoftmaxRows(name string, outer, n, inner int, row func(j *softmaxJob, start int), slices ...[]float32) {
	if outer < 0 || n < 0 || inner < 0 {
		panic(fmt.Sprintf("kernels: %s: negative size outer=%d n=%d inner=%d", name, outer, n, inner))
	}
	for _, s := range slices {
		if len(s) != outer*n*inner {
			panic(fmt.Sprintf("kernels: %s: slice of %d elements for outer=%d n=%d inner=%d", name, len(s), outer, n, inner))
		}
	}
	if n == 0 {
		return
	}
	j := softmaxJob{row: row, a: slices[0], b: slices[1], n: n, inner: inner}
	if len(slices) > 2 {
		j.c = slices[2]
	}
	parallelJob(&softmaxJobs, outer*inner, max(1, 4096/n), &j)
}

// softmaxJob is one call of a softmax kernel: its row function and
// operands.
type softmaxJob struct {
	row      func(j *softmaxJob, start int)
	a, b, c  []float32
	n, inner int
}

var softmaxJobs gemmFreeList[softmaxJob]

func (j *softmaxJob) run(lo, hi int) {
	n, inner := j.n, j.inner
	for r := lo; r < hi; r++ {
		j.row(j, r/inner*n*inner+r%inner)
	}
}

// Softmax sets each row of dst to the softmax of the row of x, shifted by the
// row's maximum m so that no exponential overflows:
//
//	e[k] = float32(exp(x[k] - m)),  s = Σ_k e[k],  dst[k] = e[k] / s
//
// (the AVX2+FMA path multiplies by 1/s).
func Softmax(dst, x []float32, outer, n, inner int) {
	elementwiseSoftmaxRows("Softmax", outer, n, inner, softmaxRow, dst, x)
}

// softmaxRow is one row of Softmax, starting at b.
func softmaxRow(j *softmaxJob, b int) {
	dst, x, n, inner := j.a, j.b, j.n, j.inner
	if useAsm && inner == 1 {
		d, r := dst[b:b+n], x[b:b+n]
		s := vecExpShiftSum(d, r, vecMax(r))
		vecScale(d, d, 1/s)
		return
	}
	end := b + n*inner
	m := x[b]
	for j := b + inner; j < end; j += inner {
		m = max(m, x[j])
	}
	var s float32
	for j := b; j < end; j += inner {
		e := float32(math.Exp(float64(x[j] - m)))
		dst[j] = e
		s += e
	}
	for j := b; j < end; j += inner {
		dst[j] /= s
	}
}

// LogSoftmax sets each row of dst to the log-softmax of the row of x:
//
//	m = max_k x[k],  s = Σ_k float32(exp(x[k] - m)),  dst[k] = (x[k] - m) - float32(log(s))
func LogSoftmax(dst, x []float32, outer, n, inner int) {
	elementwiseSoftmaxRows("LogSoftmax", outer, n, inner, logSoftmaxRow, dst, x)
}

// logSoftmaxRow is one row of LogSoftmax, starting at b.
func logSoftmaxRow(j *softmaxJob, b int) {
	dst, x, n, inner := j.a, j.b, j.n, j.inner
	if useAsm && inner == 1 {
		r := x[b : b+n]
		m := vecMax(r)
		ls := float32(math.Log(float64(vecExpShiftSumOnly(r, m))))
		vecShift2(dst[b:b+n], r, m, ls)
		return
	}
	end := b + n*inner
	m := x[b]
	for j := b + inner; j < end; j += inner {
		m = max(m, x[j])
	}
	var s float32
	for j := b; j < end; j += inner {
		s += float32(math.Exp(float64(x[j] - m)))
	}
	ls := float32(math.Log(float64(s)))
	for j := b; j < end; j += inner {
		dst[j] = (x[j] - m) - ls
	}
}

// SoftmaxBackward accumulates the gradient of Softmax, given its output y
// and output gradient dy, row by row:
//
//	s = Σ_k dy[k]*y[k],  dx[k] += y[k] * (dy[k] - s)
func SoftmaxBackward(dx, dy, y []float32, outer, n, inner int) {
	elementwiseSoftmaxRows("SoftmaxBackward", outer, n, inner, softmaxBackwardRow, dx, dy, y)
}

// softmaxBackwardRow is one row of SoftmaxBackward, starting at b.
func softmaxBackwardRow(j *softmaxJob, b int) {
	dx, dy, y, n, inner := j.a, j.b, j.c, j.n, j.inner
	if useAsm && inner == 1 {
		g, yr := dy[b:b+n], y[b:b+n]
		vecSoftmaxBack(dx[b:b+n], g, yr, vecDot(g, yr))
		return
	}
	end := b + n*inner
	var s float32
	for j := b; j < end; j += inner {
		s += dy[j] * y[j]
	}
	for j := b; j < end; j += inner {
		dx[j] += y[j] * (dy[j] - s)
	}
}

// LogSoftmaxBackward accumulates the gradient of LogSoftmax, given its output
// y and output gradient dy, row by row:
//
//	s = Σ_k dy[k],  dx[k] += dy[k] - float32(exp(y[k])) * s
func LogSoftmaxBackward(dx, dy, y []float32, outer, n, inner int) {
	elementwiseSoftmaxRows("LogSoftmaxBackward", outer, n, inner, logSoftmaxBackwardRow, dx, dy, y)
}

// logSoftmaxBackwardRow is one row of LogSoftmaxBackward, starting at b.
func logSoftmaxBackwardRow(j *softmaxJob, b int) {
	dx, dy, y, n, inner := j.a, j.b, j.c, j.n, j.inner
	if useAsm && inner == 1 {
		g := dy[b : b+n]
		vecLogSoftmaxBack(dx[b:b+n], g, y[b:b+n], vecSum(g))
		return
	}
	end := b + n*inner
	var s float32
	for j := b; j < end; j += inner {
		s += dy[j]
	}
	for j := b; j < end; j += inner {
		dx[j] += dy[j] - float32(math.Exp(float64(y[j])))*s
	}
}
