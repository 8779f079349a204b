//go:build openblas

package bench

// OpenBLAS's cblas_sgemm, for side-by-side benchmarks only (build with
// -tags openblas; needs libopenblas-dev). The prototypes are declared here
// rather than taken from cblas.h, which Debian keeps under a
// multiarch include directory.

/*
#cgo LDFLAGS: -lopenblas
enum { obRowMajor = 101, obNoTrans = 111, obTrans = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
	float alpha, const float *a, int lda, const float *b, int ldb,
	float beta, float *c, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
*/
import "C"

import (
	"time"
	"unsafe"
)

// openblasSgemm is cblas_sgemm on row-major operands.
func openblasSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ta, tb := C.int(C.obNoTrans), C.int(C.obNoTrans)
	if transA {
		ta = C.obTrans
	}
	if transB {
		tb = C.obTrans
	}
	C.cblas_sgemm(C.obRowMajor, ta, tb, C.int(m), C.int(n), C.int(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.int(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.int(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.int(ldc))
}

// openblasSetThreads sets OpenBLAS's thread count and returns a function
// that restores the previous one. The restore then waits for OpenBLAS's idle
// worker threads to stop spinning (they busy-wait about 2^28 cycles, 0.1 s
// here, after each call) so that they do not take a core from whatever
// benchmark runs next.
func openblasSetThreads(n int) (restore func()) {
	old := C.openblas_get_num_threads()
	C.openblas_set_num_threads(C.int(n))
	return func() {
		C.openblas_set_num_threads(old)
		time.Sleep(250 * time.Millisecond)
	}
}
