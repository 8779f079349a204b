// Package zoo is the registry of every model reprise builds, by
// timm-compatible name, with the numbers each was published with.
//
// Full-size models carry timm's names ("deit_tiny_patch16_224",
// "tf_efficientnet_b0", "nasnetalarge"); where timm lacks a model, the name
// in published.csv. Reduced-scale twins, built by the same code from smaller
// configs for 10-class training on small images, are named
//
//	<family>_<variant>_r28   28x28 inputs with 1 channel (MNIST, Fashion-MNIST)
//	<family>_<variant>_r32   32x32 inputs with 3 channels (CIFAR-10)
//
// for example "deit_tiny_r28", "resnet18_r32", "efficientnet_b0_r32".
//
// published.csv (generated from the team's reference table by
// gen_published.py) holds each full-size model's published parameters,
// GMACs, top-1 and source; counts here are multiply-accumulates of
// convolutions, linear layers and matrix products (attention included),
// computed on shape-only tensors. Not counted: normalisation, activations,
// pooling, additions and other elementwise work.
package zoo
