//go:build openblas

package bench

// With -tags openblas, BenchmarkSgemm also runs OpenBLAS (impl=openblas),
// with its thread count set to the benchmark's threads.
func init() {
	sgemmImpls = append(sgemmImpls, sgemmImpl{
		name: "openblas",
		gemm: func(m, n, k int, a, b, c []float32) {
			openblasSgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		},
		serial: func(m, n, k int, a, b, c []float32) {
			openblasSgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		},
		setThreads: openblasSetThreads,
	})
}
