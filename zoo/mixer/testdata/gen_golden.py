#!/usr/bin/python3
"""Golden logits for the mixer package's twins from a minimal PyTorch Mixer/ResMLP.

Run from this directory with Debian's PyTorch:  /usr/bin/python3 gen_golden.py
It writes golden_mixer_s_r28.json and golden_resmlp_12_r32.json, read by
TestGolden in ../mixer_test.go. The model below is written from the papers
(arXiv:2105.01601, arXiv:2105.03404) with timm's module and parameter names
and timm's initialisation; after initialising, every parameter is shifted by
N(0, 0.05^2) noise so that the zero-initialised head, the unit norms and the
layer scales all take part in the check. The forward and backward passes run
in float64 on the float32 weights and input that are exported.

Each JSON file holds: the config, the input [2, C, H, W], the parameters
(name, shape, little-endian float32 as base64), the logits, a fixed tensor R
and the gradients of sum(logits * R) for a few parameters.
"""
import base64
import json
import math

import torch
import torch.nn as nn


def b64(t):
    return base64.b64encode(t.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()).decode()


def tensor_json(t):
    return {"shape": list(t.shape), "data": b64(t)}


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Affine(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, 1, dim))  # timm's shape
        self.beta = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x):
        return self.alpha * x + self.beta


class MixerBlock(nn.Module):
    def __init__(self, dim, tokens, d_s, d_c):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp_tokens = Mlp(tokens, d_s)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp_channels = Mlp(dim, d_c)

    def forward(self, x):
        x = x + self.mlp_tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.mlp_channels(self.norm2(x))


class ResBlock(nn.Module):
    def __init__(self, dim, tokens, d_c, init_values):
        super().__init__()
        self.norm1 = Affine(dim)
        self.linear_tokens = nn.Linear(tokens, tokens)
        self.norm2 = Affine(dim)
        self.mlp_channels = Mlp(dim, d_c)
        self.ls1 = nn.Parameter(init_values * torch.ones(dim))
        self.ls2 = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        x = x + self.ls1 * self.linear_tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.ls2 * self.mlp_channels(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, in_chans, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Net(nn.Module):
    def __init__(self, kind, layers, patch, dim, d_s, d_c, ls, img, in_chans, classes):
        super().__init__()
        tokens = (img // patch) ** 2
        self.stem = PatchEmbed(in_chans, dim, patch)
        if kind == "mixer":
            self.blocks = nn.Sequential(*[MixerBlock(dim, tokens, d_s, d_c) for _ in range(layers)])
            self.norm = nn.LayerNorm(dim, eps=1e-6)
        else:
            self.blocks = nn.Sequential(*[ResBlock(dim, tokens, d_c, ls) for _ in range(layers)])
            self.norm = Affine(dim)
        self.head = nn.Linear(dim, classes)
        for name, m in self.named_modules():  # timm's _init_weights (jax-like)
            if isinstance(m, nn.Linear):
                if name.startswith("head"):
                    nn.init.zeros_(m.weight)
                    nn.init.zeros_(m.bias)
                else:
                    nn.init.xavier_uniform_(m.weight)
                    if "mlp" in name:
                        nn.init.normal_(m.bias, std=1e-6)
                    else:
                        nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                std = math.sqrt(1.0 / fan_in) / 0.87962566103423978
                with torch.no_grad():
                    nn.init.trunc_normal_(m.weight, std=1.0, a=-2.0, b=2.0).mul_(std)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.norm(self.blocks(self.stem(x)))
        return self.head(x.mean(dim=1))


TWINS = {
    # name: (kind, layers, patch, dim, D_S, D_C, layer scale, img, in_chans, classes), as in ../mixer.go
    "mixer_s_r28": ("mixer", 6, 4, 64, 32, 256, 0.0, 28, 1, 10),
    "resmlp_12_r32": ("resmlp", 6, 4, 64, 0, 256, 0.1, 32, 3, 10),
}

GRADS = {
    "mixer_s_r28": ["stem.proj.weight", "blocks.0.norm1.weight", "blocks.0.mlp_tokens.fc1.weight",
                    "blocks.0.mlp_tokens.fc1.bias", "blocks.5.mlp_channels.fc2.weight", "norm.bias", "head.weight"],
    "resmlp_12_r32": ["stem.proj.weight", "blocks.0.norm1.alpha", "blocks.0.linear_tokens.weight",
                      "blocks.0.ls1", "blocks.5.mlp_channels.fc1.bias", "blocks.5.ls2", "norm.beta", "head.bias"],
}


def main():
    for seed, (name, cfg) in enumerate(TWINS.items()):
        torch.manual_seed(1234 + seed)
        kind, layers, patch, dim, d_s, d_c, ls, img, in_chans, classes = cfg
        net = Net(*cfg)
        with torch.no_grad():
            for p in net.parameters():
                p.add_(0.05 * torch.randn_like(p))
                p.copy_(p.to(torch.float32))
        x = torch.randn(2, in_chans, img, img, dtype=torch.float32)
        r = torch.randn(2, classes, dtype=torch.float32)
        params = [{"name": n, **tensor_json(p)} for n, p in net.named_parameters()]
        net = net.double()
        logits = net(x.double())
        (logits * r.double()).sum().backward()
        grads = dict(net.named_parameters())
        out = {
            "model": name,
            "config": {"kind": kind, "layers": layers, "patch": patch, "dim": dim, "d_s": d_s, "d_c": d_c,
                       "layer_scale": ls, "img": img, "in_chans": in_chans, "classes": classes},
            "torch": torch.__version__,
            "input": tensor_json(x),
            "params": params,
            "logits": tensor_json(logits),
            "r": tensor_json(r),
            "grads": {n: tensor_json(grads[n].grad) for n in GRADS[name]},
        }
        with open(f"golden_{name}.json", "w") as f:
            json.dump(out, f)
            f.write("\n")
        print(name, "params", sum(p.numel() for p in net.parameters()), "logits[0]", logits[0].tolist()[:3])


if __name__ == "__main__":
    main()
