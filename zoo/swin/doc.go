// Package swin is the Swin Transformer of Liu et al., "Swin Transformer:
// Hierarchical Vision Transformer using Shifted Windows" (ICCV 2021,
// arXiv:2103.14030): a patch embedding, four stages of pre-norm transformer
// blocks whose self-attention is confined to non-overlapping M×M windows
// (W-MSA) and, every second block, to windows shifted by ⌊M/2⌋ (SW-MSA,
// computed as a cyclic shift plus an attention mask), a learned relative
// position bias per head, and patch merging (2×2 concatenation, LayerNorm,
// linear 4C → 2C) between stages; the head is a LayerNorm, a global average
// pool and a linear classifier.
//
// It owns the paper's size table (Swin-T/S/B/L, Sec. 3.3), the six timm
// variants built from it, their reduced-scale twins (swin_tiny_r28,
// swin_tiny_r32), and the one builder they share. Parameter names are
// those of timm's current swin_transformer.py state dict
// (layers.<i>.downsample at the start of stages 1..3, head.fc).
package swin
