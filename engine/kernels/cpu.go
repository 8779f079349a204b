package kernels

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/cpu"
)

// CPU features, read once at start-up. AVX2 and FMA are separate CPUID bits
// and are checked separately.
var (
	hasAVX2 = cpu.X86.HasAVX2
	hasFMA  = cpu.X86.HasFMA
)

// Path names the kernel implementation that runs, for provenance and for
// benchmark configuration lines. Every kernel is portable Go today; the
// SIMD paths arrive with the kernels issue and will be selected here.
func Path() string {
	return fmt.Sprintf("generic (GOARCH=%s, avx2=%v, fma=%v)", runtime.GOARCH, hasAVX2, hasFMA)
}
