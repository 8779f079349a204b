package kernels

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/cpu"
)

// CPU features, read once at start-up. AVX2 and FMA are separate CPUID bits
// and are checked separately.
var (
	hasAVX2   = cpu.X86.HasAVX2
	hasFMA    = cpu.X86.HasFMA
	hasAVX512 = cpu.X86.HasAVX512F // x/sys/cpu also checks the OS saves ZMM state
)

// useAsm selects the AVX2+FMA assembly kernels. It is true only when the
// assembly is built (amd64 without the purego tag) and the CPU has both
// AVX2 and FMA. Tests flip it (with setAsm) so that both paths run; nothing
// else writes it after start-up.
var useAsm = asmBuilt && hasAVX2 && hasFMA

// useAVX512 selects, where useAsm holds and the CPU has AVX-512F, the 6×32
// AVX-512 SGEMM micro-kernel (same bits as the 6×16 AVX2 one) and the
// AVX-512 im2col, col2im and GELU kernels (see avx512). Tests flip it with
// setAVX512.
var useAVX512 = asmBuilt && hasAVX2 && hasFMA && hasAVX512

// avx512 reports whether the AVX-512 kernels run: useAVX512 where useAsm
// holds too, so that turning the assembly off (setAsm, ForceGeneric) turns
// them off as well.
func avx512() bool { return useAsm && useAVX512 }

// setAVX512 sets useAVX512 (only to true where it can run) and returns a
// function that restores the previous value. For tests and benchmarks.
func setAVX512(on bool) (restore func()) {
	old := useAVX512
	useAVX512 = on && asmBuilt && hasAVX2 && hasFMA && hasAVX512
	return func() { useAVX512 = old }
}

// ForceAVX2 makes SGEMM use its AVX2 micro-kernel even where the AVX-512
// one can run, and returns a function that restores the previous setting.
// It is for benchmarks only (not safe while kernels run).
func ForceAVX2(on bool) (restore func()) { return setAVX512(!on) }

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
		if useAVX512 {
			path += ", avx512 (sgemm, im2col, gelu)"
		}
	}
	return fmt.Sprintf("%s (GOARCH=%s, avx2=%v, fma=%v, avx512f=%v, asm built=%v)", path, runtime.GOARCH, hasAVX2, hasFMA, hasAVX512, asmBuilt)
}
