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

// useAsm selects the AVX2+FMA assembly kernels. It is true only when the
// assembly is built (amd64 without the purego tag) and the CPU has both
// AVX2 and FMA. Tests flip it (with setAsm) so that both paths run; nothing
// else writes it after start-up.
var useAsm = asmBuilt && hasAVX2 && hasFMA

// setAsm sets useAsm (only to true where the assembly can run) and returns
// a function that restores the previous value. For tests.
func setAsm(on bool) (restore func()) {
	old := useAsm
	useAsm = on && asmBuilt && hasAVX2 && hasFMA
	return func() { useAsm = old }
}

// Path names the kernel implementation that runs, for provenance and for
// benchmark configuration lines.
func Path() string {
	path := "generic"
	if useAsm {
		path = "avx2+fma"
	}
	return fmt.Sprintf("%s (GOARCH=%s, avx2=%v, fma=%v, asm built=%v)", path, runtime.GOARCH, hasAVX2, hasFMA, asmBuilt)
}
