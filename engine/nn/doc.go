// Package nn holds the layers models are built from: parameters with
// timm-style dotted names, their initialisers, and the layers and blocks
// that several families share (Linear, Conv2d with explicit or TF-"same"
// padding, BatchNorm, LayerNorm, Affine, Dropout, DropPath, squeeze-excite,
// the transformer MLP and multi-head self-attention).
//
// A model is built once through a Builder, which names and initialises every
// parameter (or makes it shape-only, to count a full-size model without
// allocating it). A forward pass takes a *Ctx: the tape to record on (nil
// for inference), whether the model trains (batch statistics, dropout,
// drop-path), the random source for dropout, and an optional Trace hook
// that models call at stage boundaries, so that per-stage parameter and MAC
// tables come from the same code that computes.
package nn
