//go:build !amd64 || purego

package kernels

// vecPartials8 exists only in assembly; useAsm is false here.
func vecPartials8(s []float32, acc *[8]float32) { panic("kernels: vecPartials8 without assembly") }
