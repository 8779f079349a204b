//go:build !purego

package kernels

// AVX2+FMA kernels, in vec_amd64.s. Each walks its slices 8 lanes at a
// time with a masked last step, reading len(x) (or len(dy), len(a), len(g))
// elements from every slice argument; callers pass slices of equal length.
// The pure-Go equivalents are in vec_noasm.go. Only call them when useAsm.

// Forward elementwise maps: dst[i] = f(x[i]).

//go:noescape
func vecExp(dst, x []float32)

//go:noescape
func vecSigmoid(dst, x []float32)

//go:noescape
func vecSiLU(dst, x []float32)

//go:noescape
func vecTanh(dst, x []float32)

//go:noescape
func vecErf(dst, x []float32)

//go:noescape
func vecGELU(dst, x []float32)

//go:noescape
func vecGELUTanh(dst, x []float32)

//go:noescape
func vecHardSigmoid(dst, x []float32)

//go:noescape
func vecHardSwish(dst, x []float32)

//go:noescape
func vecReLU(dst, x []float32)

//go:noescape
func vecReLU6(dst, x []float32)

// Backward maps: dx[i] += dy[i] * f'(...a[i]...), a the op's input or output.

//go:noescape
func vecExpBack(dx, dy, a []float32)

//go:noescape
func vecSigmoidBack(dx, dy, a []float32)

//go:noescape
func vecTanhBack(dx, dy, a []float32)

//go:noescape
func vecSiLUBack(dx, dy, a []float32)

//go:noescape
func vecGELUBack(dx, dy, a []float32)

//go:noescape
func vecGELUTanhBack(dx, dy, a []float32)

//go:noescape
func vecReLUBack(dx, dy, a []float32)

//go:noescape
func vecReLU6Back(dx, dy, a []float32)

//go:noescape
func vecHardSigmoidBack(dx, dy, a []float32)

//go:noescape
func vecHardSwishBack(dx, dy, a []float32)

// Row kernels.

//go:noescape
func vecMax(x []float32) float32

//go:noescape
func vecSum(x []float32) float32

//go:noescape
func vecDot(a, b []float32) float32

//go:noescape
func vecExpShiftSum(dst, x []float32, m float32) float32

//go:noescape
func vecExpShiftSumOnly(x []float32, m float32) float32

//go:noescape
func vecScale(dst, x []float32, s float32)

//go:noescape
func vecShift2(dst, x []float32, m, ls float32)

//go:noescape
func vecSoftmaxBack(dx, dy, a []float32, s float32)

//go:noescape
func vecLogSoftmaxBack(dx, dy, a []float32, s float32)

// Norm kernels.

//go:noescape
func vecSum64(x []float32) float64

//go:noescape
func vecSumSqDev64(x []float32, mu float64) float64

//go:noescape
func vecSumDot64(g, x []float32, mu float64) (sg, sgx float64)

//go:noescape
func vecAxpb(dst, x []float32, a, b float32)

//go:noescape
func vecSubMul(dst, x []float32, m, r float32)

//go:noescape
func vecMul(dst, a, b []float32)

//go:noescape
func vecAdd(dst, a, b []float32)

//go:noescape
func vecReLUBackSet(dx, y, dy []float32)

//go:noescape
func vecNormRow(dst, a, b, c []float32, m, r float32)

//go:noescape
func vecFMA3(dst, a, b, c []float32)

//go:noescape
func vecAxpy(dx, x []float32, k float32)

//go:noescape
func vecLNBack(dx, dy, a []float32, mu, rs, ma, mb float32)

//go:noescape
func vecBNGrad(dx, dy, a []float32, k, gm, u, xc float32)

// vecBNGradSet is vecBNGrad writing dx instead of adding to it (dx is
// never read).
//
//go:noescape
func vecBNGradSet(dx, dy, a []float32, k, gm, u, xc float32)

//go:noescape
func vecLNParam(sa, sb []float64, g, x []float32, mu, rs float32)
