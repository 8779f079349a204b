package nasnet

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// Op is one operation of the NASNet search space, the 13 of Sec. 3 of
// arXiv:1707.07012. Every convolution is ReLU -> conv -> batch norm, and a
// separable convolution is applied twice (App. A.4; slim's
// _stacked_separable_conv with its "_2" suffix). Pools have no ReLU.
type Op int

// The operations of the search space, in the order of the paper's list.
const (
	Identity   Op = iota // identity (a strided 1x1 conv where shapes change)
	Conv1x3              // 1x3 then 3x1 convolution
	Conv1x7              // 1x7 then 7x1 convolution
	DilConv3x3           // 3x3 dilated convolution (dilation 2)
	AvgPool3x3           // 3x3 average pooling
	MaxPool3x3           // 3x3 max pooling
	MaxPool5x5           // 5x5 max pooling
	MaxPool7x7           // 7x7 max pooling
	Conv1x1              // 1x1 convolution
	Conv3x3              // 3x3 convolution
	Sep3x3               // 3x3 depthwise-separable convolution, twice
	Sep5x5               // 5x5 depthwise-separable convolution, twice
	Sep7x7               // 7x7 depthwise-separable convolution, twice
	numOps
)

type opKind int

const (
	kindIdentity  opKind = iota
	kindFactored         // ReLU, 1xk conv, kx1 conv, BN
	kindConv             // ReLU, kxk conv (dilated), BN
	kindAvgPool          // avg pool (+ 1x1 conv, BN where channels change)
	kindMaxPool          // max pool (+ 1x1 conv, BN where channels change)
	kindSeparable        // 2x (ReLU, depthwise kxk, pointwise 1x1, BN)
)

// ops describes each Op: its name (as in cells.json and the golden script),
// how it is built, its kernel size and its dilation.
var ops = [numOps]struct {
	name string
	kind opKind
	k    int
	dil  int
}{
	// name, how it is built, kernel size, dilation
	Identity:   {"identity", kindIdentity, 1, 1},
	Conv1x3:    {"conv_1x3_3x1", kindFactored, 3, 1},
	Conv1x7:    {"conv_1x7_7x1", kindFactored, 7, 1},
	DilConv3x3: {"dil_conv_3x3", kindConv, 3, 2},
	AvgPool3x3: {"avg_pool_3x3", kindAvgPool, 3, 1},
	MaxPool3x3: {"max_pool_3x3", kindMaxPool, 3, 1},
	MaxPool5x5: {"max_pool_5x5", kindMaxPool, 5, 1},
	MaxPool7x7: {"max_pool_7x7", kindMaxPool, 7, 1},
	Conv1x1:    {"conv_1x1", kindConv, 1, 1},
	Conv3x3:    {"conv_3x3", kindConv, 3, 1},
	Sep3x3:     {"sep_conv_3x3", kindSeparable, 3, 1},
	Sep5x5:     {"sep_conv_5x5", kindSeparable, 5, 1},
	Sep7x7:     {"sep_conv_7x7", kindSeparable, 7, 1},
}

// String returns the op's name, e.g. "sep_conv_5x5".
func (o Op) String() string {
	if o < 0 || o >= numOps {
		return fmt.Sprintf("Op(%d)", int(o))
	}
	return ops[o].name
}

// MarshalText writes the op's name (for cells.json).
func (o Op) MarshalText() ([]byte, error) {
	if o < 0 || o >= numOps {
		return nil, fmt.Errorf("nasnet: unknown op %d", int(o))
	}
	return []byte(o.String()), nil
}

// UnmarshalText reads an op's name.
func (o *Op) UnmarshalText(b []byte) error {
	for i := range numOps {
		if ops[i].name == string(b) {
			*o = i
			return nil
		}
	}
	return fmt.Errorf("nasnet: unknown op %q", b)
}

// Hidden states a block can read. A cell that computes h_{i+1} reads the
// outputs of the two cells before it; block k's output is state B(k).
const (
	Hi  = 0 // h_i, the previous cell's output (slim's hidden state 0, after the cell's 1x1 conv)
	Hi1 = 1 // h_{i-1}, the output of the cell before that (slim's state 1, after the "adjust" path)
)

// B returns the hidden state of block k's output.
func B(k int) int { return 2 + k }

// Branch is one of a block's two halves: an op applied to a hidden state.
type Branch struct {
	In int `json:"in"`
	Op Op  `json:"op"`
}

// Block adds its two branches (the paper's combine method "add", the one
// NASNet-A uses): Block[0] is the left branch, Block[1] the right one,
// timm's comb_iter_<k>_left and comb_iter_<k>_right.
type Block [2]Branch

// Cell is a NASNet cell: blocks in order, and the hidden states whose
// concatenation in depth is the cell's output. The same Cell serves as a
// normal cell (stride 1) or a reduction cell (stride 2 on the ops that read
// the cell's inputs).
type Cell struct {
	Blocks []Block `json:"blocks"`
	Concat []int   `json:"concat"`
}

// NASNet-A normal cell, Fig. 4 (left) of arXiv:1707.07012, as
// NasNetANormalCell of tensorflow/models research/slim/nets/nasnet/
// nasnet_utils.py (operations, hiddenstate_indices, used_hiddenstates
// [1,0,0,0,0,0,0]).
var NASNetANormal = Cell{
	Blocks: []Block{
		// left branch, right branch: {input state, op}
		{{Hi, Sep5x5}, {Hi1, Sep3x3}},
		{{Hi1, Sep5x5}, {Hi1, Sep3x3}},
		{{Hi, AvgPool3x3}, {Hi1, Identity}},
		{{Hi1, AvgPool3x3}, {Hi1, AvgPool3x3}},
		{{Hi, Sep3x3}, {Hi, Identity}},
	},
	// The paper concatenates the unused hidden states; slim's
	// used_hiddenstates [1,0,0,0,0,0,0] also passes h_{i-1} through although
	// blocks read it, so the output has 6 branches (timm's too).
	Concat: []int{Hi1, B(0), B(1), B(2), B(3), B(4)},
}

// NASNet-A reduction cell, Fig. 4 (right) of arXiv:1707.07012, as
// NasNetAReductionCell of slim's nasnet_utils.py. Its output concatenates
// the states slim's used_hiddenstates [1,1,1,0,0,0,0] marks unused: the
// unused blocks 2, 3, 4, and block 1, which block 3 only passes on through
// an identity.
var NASNetAReduction = Cell{
	Blocks: []Block{
		// left branch, right branch: {input state, op}
		{{Hi, Sep5x5}, {Hi1, Sep7x7}},
		{{Hi, MaxPool3x3}, {Hi1, Sep7x7}},
		{{Hi, AvgPool3x3}, {Hi1, Sep5x5}},
		{{B(1), Identity}, {B(0), AvgPool3x3}},
		{{B(0), Sep3x3}, {Hi, MaxPool3x3}},
	},
	Concat: []int{B(1), B(2), B(3), B(4)},
}

// Validate reports a cell that no network can be built from: a block that
// reads a state not computed yet, an unknown op, or a bad concatenation.
func (c Cell) Validate() error {
	if len(c.Blocks) == 0 {
		return fmt.Errorf("nasnet: cell has no blocks")
	}
	for k, b := range c.Blocks {
		for _, br := range b {
			if br.In < 0 || br.In >= B(k) {
				return fmt.Errorf("nasnet: block %d reads state %d: want a cell input (0, 1) or an earlier block (2..%d)", k, br.In, B(k)-1)
			}
			if br.Op < 0 || br.Op >= numOps {
				return fmt.Errorf("nasnet: block %d: unknown op %d", k, int(br.Op))
			}
		}
	}
	if len(c.Concat) == 0 {
		return fmt.Errorf("nasnet: cell concatenates no state")
	}
	seen := map[int]bool{}
	for _, s := range c.Concat {
		if s < 0 || s >= B(len(c.Blocks)) || seen[s] {
			return fmt.Errorf("nasnet: concat %v: states must be distinct and in [0, %d)", c.Concat, B(len(c.Blocks)))
		}
		seen[s] = true
	}
	return nil
}

// Unused returns the hidden states no block reads, in order: the output
// the paper gives a cell ("all unused hidden states ... are concatenated
// together in depth", Sec. 3), including cell inputs no block reads.
func (c Cell) Unused() []int {
	used := make([]bool, B(len(c.Blocks)))
	for _, b := range c.Blocks {
		used[b[0].In], used[b[1].In] = true, true
	}
	var out []int
	for s, u := range used {
		if !u {
			out = append(out, s)
		}
	}
	return out
}

// RandomCell samples a cell of blocks blocks uniformly from the search
// space, as the paper's random-search baseline does (Sec. 4.4): each block
// picks two states among the cell's inputs and the earlier blocks, and an
// op for each; the output concatenates the unused states.
func RandomCell(rng *rand.Rand, blocks int) Cell {
	c := Cell{Blocks: make([]Block, blocks)}
	for k := range c.Blocks {
		for i := range c.Blocks[k] {
			c.Blocks[k][i] = Branch{In: rng.IntN(B(k)), Op: Op(rng.IntN(int(numOps)))}
		}
	}
	c.Concat = c.Unused()
	return c
}

// String prints the cell as JSON.
func (c Cell) String() string {
	b, err := json.Marshal(c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
