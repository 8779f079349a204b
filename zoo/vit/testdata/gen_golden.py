"""Golden logits for the DeiT distilled twin (deit_tiny_distilled_r28:
28x28x1 input, patch 4, D 64, 6 blocks, 4 heads, MLP 128, 10 classes),
built as a minimal PyTorch ViT/DeiT under timm's parameter names
(torchvision's ViT names its tensors differently and has no distillation
token). The network follows timm's VisionTransformerDistilled: conv patch
embedding, class and distillation tokens concatenated before the patches,
learned position embedding added to all tokens, pre-norm blocks (LayerNorm
eps 1e-6, fused qkv with bias, softmax(q·kᵀ/√d)·v, proj; fc1, exact GELU,
fc2), final LayerNorm, head on token 0 and head_dist on token 1.

Weights are drawn at a larger scale than timm's init (tokens, position
embedding and LayerNorm affines included) so that every tensor matters to
the logits. Also records the position embedding resampled from 7x7 to 8x8
as F.interpolate(bicubic, align_corners=False, antialias=False), which is
what ResizePosEmbed computes, and how far timm's antialias=True lies from it.

Writes golden.json (config, names, shapes, input, logits of both heads,
resampled position embedding) and golden.bin (float32 weights,
little-endian, in the order of golden.json).

    /usr/bin/python3 zoo/vit/testdata/gen_golden.py
"""
import json
import os

import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)

CFG = dict(img=28, in_ch=1, patch=4, dim=64, depth=6, heads=4, mlp=128, classes=10)


class PatchEmbed(nn.Module):
    def __init__(self, in_ch, dim, p):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, p, p)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = ((q @ k.transpose(-2, -1)) * self.scale).softmax(-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class DeiTDistilled(nn.Module):
    def __init__(self, img, in_ch, patch, dim, depth, heads, mlp, classes):
        super().__init__()
        g = img // patch
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, g * g + 2, dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.patch_embed = PatchEmbed(in_ch, dim, patch)
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        self.head_dist = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x)
        b = x.shape[0]
        x = torch.cat((self.cls_token.expand(b, -1, -1), self.dist_token.expand(b, -1, -1), x), dim=1)
        x = self.norm(self.blocks(x + self.pos_embed))
        return self.head(x[:, 0]), self.head_dist(x[:, 1])


m = DeiTDistilled(**CFG)
with torch.no_grad():
    for name, p in m.named_parameters():
        if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
            p.uniform_(0.5, 1.5)
        elif p.dim() == 1:
            p.uniform_(-0.2, 0.2)
        elif name in ("cls_token", "dist_token", "pos_embed"):
            p.normal_(0, 0.5)
        elif name == "patch_embed.proj.weight":
            p.normal_(0, 0.25)
        else:  # linear weights [out, in]
            p.normal_(0, 1.0 / p.shape[1] ** 0.5)
m.eval()
x = torch.randn(2, CFG["in_ch"], CFG["img"], CFG["img"])
with torch.no_grad():
    cls, dist = m(x)
    pos = m.pos_embed
    grid = pos[:, 2:].reshape(1, 7, 7, -1).permute(0, 3, 1, 2)
    r = F.interpolate(grid, size=(8, 8), mode="bicubic", align_corners=False, antialias=False)
    r_aa = F.interpolate(grid, size=(8, 8), mode="bicubic", align_corners=False, antialias=True)
    resized = torch.cat((pos[:, :2], r.permute(0, 2, 3, 1).reshape(1, 64, -1)), dim=1)
    aa_gap = ((r_aa - r).abs().max() / r.abs().max()).item()

here = os.path.dirname(os.path.abspath(__file__))
tensors = list(m.state_dict().items())
with open(os.path.join(here, "golden.bin"), "wb") as f:
    for _, t in tensors:
        f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())


def flat(t):
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


with open(os.path.join(here, "golden.json"), "w") as f:
    json.dump({"generator": "zoo/vit/testdata/gen_golden.py", "torch": torch.__version__, "config": CFG,
               "tensors": [{"name": n, "shape": list(t.shape)} for n, t in tensors],
               "input": flat(x), "logits_cls": flat(cls), "logits_dist": flat(dist),
               "pos_embed_8x8": flat(resized),
               "antialias_gap": aa_gap}, f)
print("wrote golden.json, golden.bin:", len(tensors), "tensors; antialias=True vs False, max |diff| / max |value|:", aa_gap)
