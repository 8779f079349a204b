package kernels

import "fmt"

// Reductions over groups. Output o reduces the group of elements
// x[base[o]+d] for d in offs, taken in the order of offs: a reduction over any
// set of axes of a row-major tensor is base = the offsets of the kept
// coordinates and offs = the offsets of the reduced ones. Outputs are split
// across goroutines, a group never is, so results are bit-identical for any
// GOMAXPROCS. Backward kernels ACCUMULATE into dx; their groups must not
// overlap.

// elementwiseReduceGrain returns how many groups of size n are worth a goroutine.
func elementwiseReduceGrain(n int) int { return max(1, 16384/max(n, 1)) }

// elementwiseReduceCheck panics unless every per-group slice has one element
// per group.
func elementwiseReduceCheck(name string, base []int, perGroup ...[]float32) {
	for _, o := range perGroup {
		if len(o) != len(base) {
			panic(fmt.Sprintf("kernels: %s: %d groups but %d per-group values", name, len(base), len(o)))
		}
	}
}

// ReduceSum sums each group in float32, in the order of offs:
//
//	for o := range base {
//		var s float32
//		for _, d := range offs {
//			s += x[base[o]+d]
//		}
//		out[o] = s
//	}
//
// With useAsm, groups of at least 8 contiguous elements (offs[i] =
// offs[0]+i: a sum over the last axes) are summed by vecSum instead, equal
// up to float32 rounding: 32 lane sums over blocks of 32, then blocks of 8
// into the first 8 lanes, the masked tail into the next 8, combined in a
// fixed tree (so the order depends only on len(offs)).
func ReduceSum(out, x []float32, base, offs []int) {
	elementwiseReduceCheck("ReduceSum", base, out)
	contiguous := useAsm && len(offs) >= 8 && vecContiguous(offs)
	parallelJob(&reduceJobs, len(base), elementwiseReduceGrain(len(offs)), &reduceJob{groups: reduceSumGroups, out: out, x: x, base: base, offs: offs, contiguous: contiguous})
}

// ReduceSumBackward spreads each output gradient over its group (the
// adjoint of ReduceSum, scaled):
//
//	for o := range base {
//		for _, d := range offs {
//			dx[base[o]+d] += g[o] * scale
//		}
//	}
func ReduceSumBackward(dx, g []float32, base, offs []int, scale float32) {
	elementwiseReduceCheck("ReduceSumBackward", base, g)
	parallelJob(&reduceJobs, len(base), elementwiseReduceGrain(len(offs)), &reduceJob{groups: reduceSumBackGroups, dx: dx, g: g, base: base, offs: offs, scale: scale})
}

// ReduceMax sets out[o] to the largest element of group o and arg[o] to the
// index in x of the first element (in the order of offs) that holds it. A NaN
// in a group wins, as in torch.amax:
//
//	for o := range base {
//		arg[o] = base[o] + offs[0]
//		for _, d := range offs[1:] {
//			if v, m := x[base[o]+d], x[arg[o]]; v > m || (v != v && m == m) {
//				arg[o] = base[o] + d
//			}
//		}
//		out[o] = x[arg[o]]
//	}
//
// Groups must not be empty.
func ReduceMax(out []float32, arg []int, x []float32, base, offs []int) {
	elementwiseReduceCheck("ReduceMax", base, out)
	if len(arg) != len(base) {
		panic(fmt.Sprintf("kernels: ReduceMax: %d groups but %d argmax slots", len(base), len(arg)))
	}
	if len(offs) == 0 && len(base) > 0 {
		panic("kernels: ReduceMax: empty groups")
	}
	parallelJob(&reduceJobs, len(base), elementwiseReduceGrain(len(offs)), &reduceJob{groups: reduceMaxGroups, out: out, arg: arg, x: x, base: base, offs: offs})
}

// ReduceVariance computes each group's mean and its sum of squared
// deviations from the mean divided by div, in two passes in float32:
//
//	for o := range base {
//		var s float32
//		for _, d := range offs {
//			s += x[base[o]+d]
//		}
//		mean[o] = s / float32(len(offs))
//		var q float32
//		for _, d := range offs {
//			e := x[base[o]+d] - mean[o]
//			q += e * e
//		}
//		out[o] = q / div
//	}
func ReduceVariance(out, mean, x []float32, base, offs []int, div float32) {
	elementwiseReduceCheck("ReduceVariance", base, out, mean)
	n := float32(len(offs))
	parallelJob(&reduceJobs, len(base), elementwiseReduceGrain(2*len(offs)), &reduceJob{groups: reduceVarianceGroups, out: out, mean: mean, x: x, base: base, offs: offs, n: n, div: div})
}

// ReduceVarianceBackward is the adjoint of ReduceVariance for
// scale = 2/div:
//
//	for o := range base {
//		for _, d := range offs {
//			dx[base[o]+d] += scale * g[o] * (x[base[o]+d] - mean[o])
//		}
//	}
func ReduceVarianceBackward(dx, g, x, mean []float32, base, offs []int, scale float32) {
	elementwiseReduceCheck("ReduceVarianceBackward", base, g, mean)
	parallelJob(&reduceJobs, len(base), elementwiseReduceGrain(len(offs)), &reduceJob{groups: reduceVarianceBackGroups, dx: dx, g: g, x: x, mean: mean, base: base, offs: offs, scale: scale})
}

// reduceJob is one call of a reduction kernel: its loop over groups and
// operands.
type reduceJob struct {
	groups              func(j *reduceJob, lo, hi int)
	out, mean, x, g, dx []float32
	arg, base, offs     []int
	n, div, scale       float32
	contiguous          bool
}

var reduceJobs gemmFreeList[reduceJob]

func (j *reduceJob) run(lo, hi int) { j.groups(j, lo, hi) }

// reduceSumGroups runs groups [lo, hi) of ReduceSum.
func reduceSumGroups(j *reduceJob, lo, hi int) {
	out, x, base, offs, contiguous := j.out, j.x, j.base, j.offs, j.contiguous
	for o := lo; o < hi; o++ {
		b := base[o]
		if contiguous {
			out[o] = vecSum(x[b+offs[0] : b+offs[0]+len(offs)])
			continue
		}
		var s float32
		for _, d := range offs {
			s += x[b+d]
		}
		out[o] = s
	}
}

// reduceSumBackGroups runs groups [lo, hi) of ReduceSumBackward.
func reduceSumBackGroups(j *reduceJob, lo, hi int) {
	dx, g, base, offs, scale := j.dx, j.g, j.base, j.offs, j.scale
	for o := lo; o < hi; o++ {
		b, v := base[o], g[o]*scale
		for _, d := range offs {
			dx[b+d] += v
		}
	}
}

// reduceMaxGroups runs groups [lo, hi) of ReduceMax.
func reduceMaxGroups(j *reduceJob, lo, hi int) {
	out, arg, x, base, offs := j.out, j.arg, j.x, j.base, j.offs
	for o := lo; o < hi; o++ {
		b := base[o]
		a := b + offs[0]
		m := x[a]
		for _, d := range offs[1:] {
			if v := x[b+d]; v > m || (v != v && m == m) {
				a, m = b+d, v
			}
		}
		arg[o], out[o] = a, m
	}
}

// reduceVarianceGroups runs groups [lo, hi) of ReduceVariance.
func reduceVarianceGroups(j *reduceJob, lo, hi int) {
	out, mean, x, base, offs, n, div := j.out, j.mean, j.x, j.base, j.offs, j.n, j.div
	for o := lo; o < hi; o++ {
		b := base[o]
		var s float32
		for _, d := range offs {
			s += x[b+d]
		}
		m := s / n
		var q float32
		for _, d := range offs {
			e := x[b+d] - m
			q += e * e
		}
		mean[o], out[o] = m, q/div
	}
}

// reduceVarianceBackGroups runs groups [lo, hi) of ReduceVarianceBackward.
func reduceVarianceBackGroups(j *reduceJob, lo, hi int) {
	dx, g, x, mean, base, offs, scale := j.dx, j.g, j.x, j.mean, j.base, j.offs, j.scale
	for o := lo; o < hi; o++ {
		b, v, m := base[o], scale*g[o], mean[o]
		for _, d := range offs {
			dx[b+d] += v * (x[b+d] - m)
		}
	}
}

// vecContiguous reports whether offs[i] = offs[0]+i for every i.
func vecContiguous(offs []int) bool {
	for i, d := range offs {
		if d != offs[0]+i {
			return false
		}
	}
	return true
}
