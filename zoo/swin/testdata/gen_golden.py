#!/usr/bin/python3
"""Writes golden_<twin>.json for the Swin twins: weights under timm's names,
a seeded input batch and the logits of a plain-PyTorch Swin Transformer.

The reference below is a minimal Swin written from the paper (arXiv:2103.14030)
with timm's current module layout and names: patch_embed.{proj,norm},
layers.<i>.downsample (PatchMerging at the start of stages 1..), blocks with
norm1, attn.{qkv,proj,relative_position_bias_table}, norm2, mlp.{fc1,fc2},
then norm and head.fc. As an independent check of the reference itself, the
same weights are copied into torchvision's SwinTransformer (other names;
features.<k>) and its logits must agree.

The weights are not the training init (std 0.02 would leave the relative
position bias and most branches nearly silent): every tensor is drawn with a
scale that makes each part of the network move the logits.

Tensors are stored as base64 of little-endian float32, row-major, with their
shapes. Run from this directory: /usr/bin/python3 gen_golden.py
"""
import base64
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.swin_transformer import SwinTransformer

HERE = os.path.dirname(os.path.abspath(__file__))

# The twins of swin.go: name -> (in_chans, img, patch, window, C, depths, heads, classes).
TWINS = {
    "swin_tiny_r28": (1, 28, 2, 7, 32, [2, 2], [2, 4], 10),
    "swin_tiny_r32": (3, 32, 2, 4, 32, [2, 2], [2, 4], 10),
}


def rel_index(ws):
    ys, xs = torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")
    pos = torch.stack([ys.flatten(), xs.flatten()])  # 2, N
    d = pos[:, :, None] - pos[:, None, :]  # 2, N, N: position(i) - position(j)
    return (d[0] + ws - 1) * (2 * ws - 1) + (d[1] + ws - 1)


def shift_mask(hp, ws, s):
    label = torch.zeros(hp, hp)
    cnt = 0
    for ys in (slice(0, -ws), slice(-ws, -s), slice(-s, None)):
        for xs in (slice(0, -ws), slice(-ws, -s), slice(-s, None)):
            label[ys, xs] = cnt
            cnt += 1
    win = label.view(hp // ws, ws, hp // ws, ws).permute(0, 2, 1, 3).reshape(-1, ws * ws)
    diff = win[:, None, :] - win[:, :, None]
    return torch.where(diff != 0, torch.tensor(-100.0), torch.tensor(0.0))  # nW, N, N


class WindowAttention(nn.Module):
    def __init__(self, dim, heads, ws):
        super().__init__()
        self.heads, self.ws = heads, ws
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, heads))
        self.register_buffer("index", rel_index(ws), persistent=False)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask):  # x: B*nW, N, C
        bw, n, c = x.shape
        d = c // self.heads
        q, k, v = self.qkv(x).reshape(bw, n, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        attn = (q * d ** -0.5) @ k.transpose(-2, -1)
        attn = attn + self.relative_position_bias_table[self.index].permute(2, 0, 1)[None]
        if mask is not None:
            nw = mask.shape[0]
            attn = (attn.view(bw // nw, nw, self.heads, n, n) + mask[None, :, None]).view(bw, self.heads, n, n)
        x = (attn.softmax(-1) @ v).transpose(1, 2).reshape(bw, n, c)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, res, window, shifted):
        super().__init__()
        self.ws, self.shift = (res, 0) if res <= window else (window, window // 2 if shifted else 0)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, self.ws)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim)
        self.register_buffer("mask", shift_mask(res, self.ws, self.shift) if self.shift else None, persistent=False)

    def forward(self, x):  # B, H, W, C
        b, h, w, c = x.shape
        ws, s = self.ws, self.shift
        y = self.norm1(x)
        if s:
            y = torch.roll(y, (-s, -s), (1, 2))
        y = y.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)
        y = self.attn(y, self.mask)
        y = y.view(b, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)
        if s:
            y = torch.roll(y, (s, s), (1, 2))
        x = x + y
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x))


class Stage(nn.Module):
    def __init__(self, dim, depth, heads, res, window, downsample):
        super().__init__()
        if downsample:
            self.downsample = PatchMerging(dim // 2)
        self.blocks = nn.Sequential(*[Block(dim, heads, res, window, j % 2 == 1) for j in range(depth)])

    def forward(self, x):
        if hasattr(self, "downsample"):
            x = self.downsample(x)
        return self.blocks(x)


class PatchEmbed(nn.Module):
    def __init__(self, cin, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(cin, dim, patch, patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(self.proj(x).permute(0, 2, 3, 1))


class Head(nn.Module):
    def __init__(self, dim, classes):
        super().__init__()
        self.fc = nn.Linear(dim, classes)

    def forward(self, x):
        return self.fc(x.mean((1, 2)))


class Swin(nn.Module):
    def __init__(self, cin, img, patch, window, dim, depths, heads, classes):
        super().__init__()
        self.patch_embed = PatchEmbed(cin, dim, patch)
        res = img // patch
        layers = []
        for i, (depth, h) in enumerate(zip(depths, heads)):
            if i > 0:
                dim, res = 2 * dim, res // 2
            layers.append(Stage(dim, depth, h, res, window, i > 0))
        self.layers = nn.Sequential(*layers)
        self.norm = nn.LayerNorm(dim)
        self.head = Head(dim, classes)

    def forward(self, x):
        return self.head(self.norm(self.layers(self.patch_embed(x))))


def randomise(model, gen):
    for name, p in model.named_parameters():
        with torch.no_grad():
            if name.endswith("relative_position_bias_table"):
                p.copy_(torch.randn(p.shape, generator=gen))
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            else:  # linear and conv weights: unit-variance outputs
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) / fan_in ** 0.5)


def torchvision_twin(cin, patch, window, dim, depths, heads, classes):
    tv = SwinTransformer(patch_size=[patch, patch], embed_dim=dim, depths=depths, num_heads=heads,
                         window_size=[window, window], stochastic_depth_prob=0.0, num_classes=classes)
    tv.features[0][0] = nn.Conv2d(cin, dim, patch, patch)  # torchvision hard-codes 3 input channels
    return tv


def to_torchvision(name):
    """Maps a timm name to torchvision's: features.0 is the stem, features.2i+1
    stage i's blocks, features.2i stage i's patch merging (i >= 1)."""
    p = name.split(".")
    if p[0] == "patch_embed":
        return "features.0." + {"proj": "0", "norm": "2"}[p[1]] + "." + p[2]
    if p[0] == "layers":
        i = int(p[1])
        if p[2] == "downsample":
            return f"features.{2 * i}." + ".".join(p[3:])
        rest = ".".join(p[4:]).replace("mlp.fc1", "mlp.0").replace("mlp.fc2", "mlp.3")
        return f"features.{2 * i + 1}.{p[3]}.{rest}"
    if p[0] == "head":
        return "head." + p[2]
    return name


def b64(t):
    return base64.b64encode(t.detach().contiguous().numpy().astype("<f4").tobytes()).decode()


def main():
    torch.set_num_threads(1)
    for seed, (name, (cin, img, patch, window, dim, depths, heads, classes)) in enumerate(TWINS.items()):
        gen = torch.Generator().manual_seed(1000 + seed)
        model = Swin(cin, img, patch, window, dim, depths, heads, classes).eval()
        randomise(model, gen)
        x = torch.randn((2, cin, img, img), generator=gen)
        with torch.no_grad():
            logits = model(x)

        tv = torchvision_twin(cin, patch, window, dim, depths, heads, classes).eval()
        sd = model.state_dict()
        tv_sd = {to_torchvision(k): v for k, v in sd.items()}
        missing, unexpected = tv.load_state_dict(tv_sd, strict=False)
        assert not unexpected, unexpected
        assert all(k.endswith("relative_position_index") for k in missing), missing
        with torch.no_grad():
            tv_logits = tv(x)
        err = ((tv_logits - logits).norm() / logits.norm()).item()
        assert err < 1e-5, (name, err)

        # The shifted blocks must matter: without the shift and mask the logits move.
        for st in model.layers:
            for blk in st.blocks:
                blk.shift_saved, blk.shift = blk.shift, 0
        with torch.no_grad():
            unshifted = model(x)
        for st in model.layers:
            for blk in st.blocks:
                blk.shift = blk.shift_saved
        moved = ((unshifted - logits).norm() / logits.norm()).item()
        assert moved > 1e-2, (name, moved)

        out = {
            "model": name,
            "params": {k: {"shape": list(v.shape), "data": b64(v)} for k, v in sd.items()},
            "input": {"shape": list(x.shape), "data": b64(x)},
            "logits": {"shape": list(logits.shape), "data": b64(logits)},
        }
        path = os.path.join(HERE, f"golden_{name}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(out, f)
        os.replace(path + ".tmp", path)
        print(f"{name}: {sum(v.numel() for v in sd.values())} params, torchvision rel err {err:.2e}, "
              f"unshifted logits move by {moved:.2f}, logits[0] {logits[0].tolist()}")


if __name__ == "__main__":
    main()
