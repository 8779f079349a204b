// Package randwire builds randomly wired networks (Xie, Kirillov, Girshick,
// He, "Exploring Randomly Wired Neural Networks for Image Recognition",
// ICCV 2019, arXiv:1904.01569).
//
// A RandWire network is Table 1 of the paper: a strided 3x3 conv, then
// stages that are random graphs, then a 1x1 conv to 1280 channels, global
// average pooling and an fc layer. Building one takes two explicit steps:
//
//  1. Spec.Config draws the graphs (graph.go): a Generator, ER(P), BA(M)
//     or WS(K, P) as the paper's appendix defines them, run on its own
//     seeded *rand.Rand per stage, gives an undirected graph whose nodes
//     are numbered as Sec. 3.2 says (ER at random, BA in order of addition,
//     WS clockwise), and every edge is pointed from the lower index to the
//     higher: a Graph, a DAG in index order. ER and BA use gonum's
//     gen.Gnp and gen.PreferentialAttachment; WS is written out (gonum has
//     none; see wattsStrogatz).
//  2. New builds the network from a Config, which holds the graphs as data
//     (JSON-serialisable with ParseConfig to read it back). It never
//     generates a graph, so a model saved with its Config is rebuilt with
//     exactly its wiring.
//
// In a random stage every node sums its inputs with positive learnable
// weights (sigmoid of one scalar per input edge), then applies ReLU, a 3x3
// separable conv and BN. An implicit input node feeds the nodes without
// predecessors, which convolve with stride 2 from the previous stage's
// width; an implicit output node averages the nodes without successors.
//
// Parameter names (no timm model exists): stem.conv.weight, stem.bn.* for
// conv1; stages.<i> (i = 0..3) for conv2..conv5, with stages.<i>.conv.weight
// and stages.<i>.bn.* for a 3x3 conv stage and, per node j of a random
// stage's graph, stages.<i>.nodes.<j>.weight (aggregation logits, nodes
// with two or more inputs), stages.<i>.nodes.<j>.conv.depthwise.weight,
// stages.<i>.nodes.<j>.conv.pointwise.weight and stages.<i>.nodes.<j>.bn.*;
// then head.conv.weight, head.bn.*, fc.weight and fc.bias.
package randwire
