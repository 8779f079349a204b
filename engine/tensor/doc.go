// Package tensor owns reprise's one data type: a float32 tensor with a shape
// and contiguous row-major data.
//
// A Tensor is either dense (Data holds Numel values) or shape-only ("meta":
// Data is nil). Meta tensors flow through every autograd op, which then
// computes output shapes and counts multiply-accumulates without touching
// memory, so a full-size model can be counted without allocating it.
//
// Random fills take an explicit *rand.Rand; nothing here reads a global
// source, so a seed fixes every value.
package tensor
