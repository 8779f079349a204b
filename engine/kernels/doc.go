// Package kernels holds reprise's hot loops. Kernels take plain []float32
// slices and sizes and know nothing of tensors, autograd or models.
//
// Each kernel's doc comment states the plain loop it must equal. Work is
// split across goroutines only over independent outputs, never over a
// reduction, so every result is bit-identical for any GOMAXPROCS.
package kernels
