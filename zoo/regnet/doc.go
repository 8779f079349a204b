// Package regnet builds RegNetY (Radosavovic et al., "Designing Network
// Design Spaces", arXiv:2003.13678), the convolutional teacher of DeiT
// (regnety_160, RegNetY-16GF).
//
// A RegNet is not a stage table but a point in a design space: six numbers
// (depth d, initial width w0, slope wa, multiplier wm, group width g,
// bottleneck ratio b) from which Config.Stages generates every block's width
// (linear widths quantised in log space, Sec. 3.3 of the paper) and groups
// the blocks into stages of equal width. RegNetY adds squeeze-excitation to
// RegNetX's block. The variants are the paper's RegNetY models under timm's
// names (regnety_002 .. regnety_320), rows of one table; the reduced twins
// regnety_r28 and regnety_r32 are smaller points of the same space.
//
// Parameter names are timm's state-dict names (timm/models/regnet.py):
// stem.conv, stem.bn, s<i>.b<j>.conv1/conv2/conv3 (each .conv and .bn),
// s<i>.b<j>.se.fc1/fc2, s<i>.b<j>.downsample.conv/.bn, head.fc.
package regnet
