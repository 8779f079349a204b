package autograd

// nodeSlabs holds the recorded backwards of the ops on the hot path of
// training, one slab per node type, rewound with the arena at Reset: a
// node lives as long as the values it refers to.
type nodeSlabs struct {
	unary   slab[unaryNode]
	view    slab[viewNode]
	strided slab[stridedNode]
	concat  slab[concatNode]
	binary  slab[binaryNode]
	linear  slab[linearNode]

	layerNorm slab[layerNormNode]
	batchNorm slab[batchNormNode]
	attention slab[attentionNode]

	tokenLinear slab[tokenLinearNode]
	softmax     slab[softmaxNode]
	reduce      slab[reduceNode]
	conv        slab[convNode]
	avgPool     slab[globalAvgPoolNode]
	roll        slab[rollNode]
	indexSelect slab[indexSelectNode]
	pool        slab[poolNode]
	scale       slab[scaleNode]
}

func (s *nodeSlabs) rewind() {
	s.unary.rewind()
	s.view.rewind()
	s.strided.rewind()
	s.concat.rewind()
	s.binary.rewind()
	s.linear.rewind()
	s.layerNorm.rewind()
	s.batchNorm.rewind()
	s.attention.rewind()
	s.tokenLinear.rewind()
	s.softmax.rewind()
	s.reduce.rewind()
	s.conv.rewind()
	s.avgPool.rewind()
	s.roll.rewind()
	s.indexSelect.rewind()
	s.pool.rewind()
	s.scale.rewind()
}
