"""Exact parameter counts and MACs of torchvision's ViTs, whose layout and
counts equal timm's ViTs of the same size (torchvision's encoder_layer_<i>
with ln_1, self_attention (in_proj, out_proj), ln_2, mlp; timm's blocks.<i>
with norm1, attn.qkv, attn.proj, norm2, mlp.fc1/fc2: the same tensors under
other names). torchvision's vit_h_14 takes image_size=518, the resolution
of ViT's Table 2, which timm lacks. MACs are counted with forward hooks:
convs and linear layers from their outputs, and each nn.MultiheadAttention
(which calls F.linear on its own weights, so no Linear hook sees them) as
in_proj 3·T·D², the two attention products 2·T²·D and out_proj T·D².
Writes counts.json.

    /usr/bin/python3 zoo/vit/testdata/gen_counts.py
"""
import json
import os

import torch
import torchvision

# timm name -> (torchvision builder, image size)
MODELS = {
    "vit_base_patch16_224": ("vit_b_16", 224),
    "vit_base_patch32_224": ("vit_b_32", 224),
    "vit_base_patch16_384": ("vit_b_16", 384),
    "vit_large_patch16_224": ("vit_l_16", 224),
    "vit_large_patch16_384": ("vit_l_16", 384),
    "vit_huge_patch14_224": ("vit_h_14", 224),
    "vit_huge_patch14_518": ("vit_h_14", 518),
}

out = {}
for name, (tv, size) in MODELS.items():
    m = getattr(torchvision.models, tv)(weights=None, image_size=size).eval()
    macs = [0]

    def hook(mod, inp, outp):
        if isinstance(mod, torch.nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
            macs[0] += outp.numel() * k
        elif isinstance(mod, torch.nn.MultiheadAttention):
            b, t, d = outp[0].shape  # batch_first; called with keywords, so inp is empty
            macs[0] += b * (4 * t * d * d + 2 * t * t * d)
        elif isinstance(mod, torch.nn.Linear):
            macs[0] += outp.numel() * mod.in_features

    mha_linears = set()
    for mod in m.modules():
        if isinstance(mod, torch.nn.MultiheadAttention):
            mha_linears.add(id(mod.out_proj))
    for mod in m.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear, torch.nn.MultiheadAttention)) and id(mod) not in mha_linears:
            mod.register_forward_hook(hook)
    with torch.no_grad():
        m(torch.zeros(1, 3, size, size))
    out[name] = {"torchvision": tv, "img_size": size,
                 "params": sum(p.numel() for p in m.parameters()), "macs": macs[0]}
    print(name, out[name])
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "counts.json")
with open(path, "w") as f:
    json.dump({"generator": "zoo/vit/testdata/gen_counts.py", "torchvision": torchvision.__version__,
               "models": out}, f, indent=1)
print("wrote", path)
