//go:build !purego

package kernels

// vecPartials8 sets acc[j] to the sum, in increasing i, of s[i] over the
// i < len(s)&^7 with i%8 == j (one AVX add of eight lanes per step). Only
// call it when useAsm.
//
//go:noescape
func vecPartials8(s []float32, acc *[8]float32)
