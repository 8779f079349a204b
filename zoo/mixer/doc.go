// Package mixer builds the all-MLP networks MLP-Mixer (Tolstikhin et al.,
// arXiv:2105.01601) and ResMLP (Touvron et al., arXiv:2105.03404) as timm's
// mlp_mixer.py does: one network (patch embedding, N residual blocks that
// mix across tokens then across channels, a final norm, average pooling and
// a linear head) whose block comes in two kinds. A Mixer block is LayerNorm
// and a two-layer GELU MLP over the tokens, then LayerNorm and a GELU MLP
// over the channels; a ResMLP block replaces each LayerNorm by an Affine
// "norm", the token MLP by one linear layer, and scales each branch by a
// learned per-channel layer scale. Parameter names are timm's state-dict
// names (stem.proj, blocks.<i>.norm1, mlp_tokens.fc1, linear_tokens, ls1,
// mlp_channels.fc2, norm, head).
//
// The variants are the rows of Table 1 of each paper (plus the two rows timm
// or the papers have that the other lacks: Mixer-H/14 and ResMLP-B24 with
// patch 16), and two reduced-scale twins, mixer_s and resmlp_12, for
// 28x28x1 and 32x32x3 inputs.
package mixer
