// Package nasnet builds NASNet-A (Zoph, Vasudevan, Shlens, Le, "Learning
// Transferable Architectures for Scalable Image Recognition", CVPR 2018,
// arXiv:1707.07012).
//
// A NASNet is a stack of two kinds of cells found by the search: a normal
// cell, which keeps the resolution, and a reduction cell, which halves it.
// Cells are data here (cell.go): a Cell is a list of blocks, each adding two
// operations from the search space applied to two hidden states, and the
// Cell's output concatenates hidden states in depth. One cell type
// (cellMod in modules.go) builds any valid Cell of the search space, so the
// NASNet-A cells of Fig. 4 and a randomly sampled cell go through the same
// code. The network (nasnet.go) stacks N normal cells between reductions,
// doubling the filters at each reduction, behind the ImageNet stem (a
// strided 3x3 conv and two reduction cells) or the CIFAR stem (one 3x3
// conv), as the authors' TF-slim nasnet.py does.
//
// Parameter names are timm's for nasnetalarge
// (cell_0.comb_iter_0_left.separable_1.depthwise_conv2d.weight); the mobile
// model and the reduced-scale twins use the same names for the same
// modules. ScheduledDropPath (Sec. 4 and App. A of the paper) is the
// model's DropPath option scaled by cell depth and by the training progress
// set with SetProgress (see scheduledRate).
package nasnet
