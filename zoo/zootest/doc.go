// Package zootest holds the test helpers every model family's tests share:
// finding a variant by name, counting parameters and MACs on a shape-only
// build, reading zoo/published.csv, the twin check (finite [2, 10] logits
// and, after one training step, a finite, non-zero gradient for every
// parameter), loading PyTorch golden tensors by name into a model, and the
// normwise errors golden comparisons use.
//
// It is imported by _test.go files only; the checks take a testing.TB and
// fail it, so that a family's test reads as the list of what it holds.
package zootest
