// Package autograd is reprise's reverse-mode differentiation on a tape, and
// the home of every differentiable op.
//
// A Var holds a value and, after Backward, a gradient. Ops are methods on
// *Tape: each computes its output and, when the tape records and an input
// needs a gradient, appends a closure that maps the output's gradient to its
// inputs' gradients. Backward replays the tape in reverse. Gradients
// accumulate (+=) until ZeroGrad, as in PyTorch.
//
// A nil *Tape is inference: ops compute and record nothing. NoGrad returns a
// tape that records nothing but counts multiply-accumulates, which together
// with shape-only (meta) tensors counts a model without allocating it.
//
// Each op lives in one file op_*.go with its forward, its backward and a naive
// reference loop (ref*); the test table in optable_test.go lists every op and
// checks it against its reference, central finite differences and PyTorch.
//
// Programmer errors (shape mismatches, bad axes) panic with a message naming
// the op and the shapes.
package autograd
