package kernels

import "fmt"

// LayerScaleAdd is a residual connection with a per-channel layer scale
// (CaiT, ResMLP) on channels-last [rows, d] tensors:
//
//	out[r*d+j] = x[r*d+j] + gamma[j]*h[r*d+j]
//
// for every r < rows, j < d. out may alias x or h. The AVX2+FMA path
// equals the loop up to float32 rounding (one FMA per element); rows run in
// parallel, each element with the same instructions wherever a chunk
// starts.
func LayerScaleAdd(rows, d int, x, h, gamma, out []float32) {
	n := rows * d
	if len(x) < n || len(h) < n || len(out) < n || len(gamma) < d {
		panic(fmt.Sprintf("kernels: LayerScaleAdd: [%d, %d] needs x, h, out of %d and gamma of %d values, have %d, %d, %d and %d",
			rows, d, n, d, len(x), len(h), len(out), len(gamma)))
	}
	if n == 0 {
		return
	}
	gamma = gamma[:d]
	parallelJob(&layerScaleAddJobs, rows, normGrainOf(d), &layerScaleAddJob{d: d, x: x, h: h, gamma: gamma, out: out})
}

// layerScaleAddJob is LayerScaleAdd's parallel step (a pooled job, no closure per call).
type layerScaleAddJob struct {
	d                int
	x, h, gamma, out []float32
}

var layerScaleAddJobs gemmFreeList[layerScaleAddJob]

func (j *layerScaleAddJob) run(lo, hi int) {
	d, x, h, gamma, out := j.d, j.x, j.h, j.gamma, j.out
	for r := lo; r < hi; r++ {
		xr, hr, or := x[r*d:(r+1)*d], h[r*d:(r+1)*d], out[r*d:(r+1)*d]
		if useAsm {
			vecFMA3(or, hr, gamma, xr)
			continue
		}
		for j, v := range hr {
			or[j] = xr[j] + gamma[j]*v
		}
	}
}
