package vit

import (
	"fmt"
	"math"

	"github.com/reprise-ml/reprise/engine/autograd"
)

// ResizePosEmbed resamples a position embedding pos [1, prefix + g², D] of
// a square g×g patch grid to a size[0]×size[1] grid, returning
// [1, prefix + size[0]·size[1], D], as timm's resample_abs_pos_embed(pos,
// size, num_prefix_tokens=prefix, interpolation='bicubic'): the first
// prefix entries (class and distillation tokens) are kept as they are, and
// the grid, laid out as an image [1, D, g, g], is resized bicubically
// (align_corners=False). A square size equal to the current grid returns
// pos itself. The ops record on tp (nil: inference), so a forward pass may
// resample on the fly, as timm's dynamic_img_size does.
//
// Deviation: timm calls F.interpolate with antialias=True, which PyTorch
// implements, even when upsampling, with a different cubic kernel (PIL's,
// a = -0.5, taps renormalised at the borders); the engine's Resize is
// antialias=False (a = -0.75, border taps clamped), which is what this
// computes, to float32 rounding of PyTorch's. The two differ by up to about
// a tenth of the embedding's scale: 9.6% for the golden twin's 7x7 → 8x8
// (testdata/golden.json, antialias_gap). An antialiased Resize belongs in
// the engine.
func ResizePosEmbed(tp *autograd.Tape, pos *autograd.Var, prefix int, size [2]int) *autograd.Var {
	s := pos.Value.Shape
	if len(s) != 3 || s[0] != 1 || s[1] < prefix {
		panic(fmt.Sprintf("vit: ResizePosEmbed: position embedding %v with %d prefix tokens, want [1, prefix+g², D]", s, prefix))
	}
	n, d := s[1]-prefix, s[2]
	g := int(math.Sqrt(float64(n)))
	for g*g < n {
		g++
	}
	if g*g != n {
		panic(fmt.Sprintf("vit: ResizePosEmbed: %d grid tokens do not form a square grid", n))
	}
	if size[0] < 1 || size[1] < 1 {
		panic(fmt.Sprintf("vit: ResizePosEmbed: grid %v", size))
	}
	if size[0] == g && size[1] == g {
		return pos
	}
	grid := pos
	var tokens *autograd.Var
	if prefix > 0 {
		parts := tp.Split(pos, 1, prefix, n)
		tokens, grid = parts[0], parts[1]
	}
	grid = tp.Permute(tp.Reshape(grid, 1, g, g, d), 0, 3, 1, 2) // [1, D, g, g]
	grid = tp.Resize(grid, size[0], size[1], autograd.Bicubic)
	grid = tp.Reshape(tp.Permute(grid, 0, 2, 3, 1), 1, size[0]*size[1], d)
	if tokens == nil {
		return grid
	}
	return tp.Concat(1, tokens, grid)
}

// SetImgSize moves m to size×size inputs, as timm's set_input_size: the
// patch grid becomes size/P on a side and the position embedding is
// resampled to it by ResizePosEmbed (the class and distillation tokens'
// entries are kept). The parameter "pos_embed" keeps its name and gets the
// new shape; its gradient starts afresh. This is how DeiT fine-tunes a 224
// model at 384 (DeiT Sec. 6 and Tab. 5, B↑384), and how a twin trained at
// 28x28 is evaluated at 32x32.
func (m *VisionTransformer) SetImgSize(size int) {
	if size < m.Patch || size%m.Patch != 0 {
		panic(fmt.Sprintf("vit: SetImgSize: image size %d is not a multiple of the patch size %d", size, m.Patch))
	}
	g := size / m.Patch
	if g != m.Grid {
		pos := ResizePosEmbed(nil, m.PosEmbed.Var, m.prefix(), [2]int{g, g})
		m.PosEmbed.Var = autograd.Param(pos.Value)
	}
	m.Grid, m.ImgSize = g, size
}
