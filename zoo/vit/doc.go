// Package vit builds the Vision Transformer of Dosovitskiy et al., "An Image
// is Worth 16x16 Words" (ICLR 2021, arXiv:2010.11929), and DeiT, Touvron et
// al., "Training data-efficient image transformers & distillation through
// attention" (ICML 2021, arXiv:2012.12877), which is the same network
// trained differently, plus, in its distilled form, a distillation token and
// a second linear head.
//
// The network is timm's VisionTransformer (vision_transformer.py) with its
// defaults, and VisionTransformerDistilled (deit.py): a P×P patch embedding
// (a conv with stride P, "patch_embed.proj"), a learned class token
// ("cls_token"), DeiT's distillation token ("dist_token") for the distilled
// models, learned absolute position embeddings ("pos_embed") added to all
// tokens, pre-norm encoder blocks ("blocks.<i>": norm1, attn.qkv with bias,
// attn.proj, norm2, mlp.fc1, GELU, mlp.fc2; no layer scale), a final
// LayerNorm ("norm", eps 1e-6 throughout) and a linear head ("head") on the
// class token (timm's global_pool='token'). The distilled models add
// "head_dist" on the distillation token; their Forward returns the mean of
// both heads, as DeiT evaluates, and ForwardBoth (arch.Distilled) returns
// both, for training with a teacher.
//
// It owns the paper's size table (ViT Tab. 1 with the Ti and S rows DeiT
// uses), the timm variants built from it (vit_* and deit_*), the
// reduced-scale twins (vit_tiny, deit_tiny and deit_tiny_distilled at
// _r28 and _r32), and ResizePosEmbed, which resamples a position embedding
// to another patch grid so that a model can be moved to another image size
// (timm's resample_abs_pos_embed; DeiT's fine-tuning at 384).
package vit
