"""PyTorch references for the optimisers and schedules (golden.json):
parameter trajectories of torch.optim.SGD / Adam / AdamW under a fixed
sequence of gradients, torch's lr_scheduler values per epoch, and
clip_grad_norm_.

    /usr/bin/python3 engine/optim/testdata/gen_golden.py
"""
import json
import math
import os

import torch

torch.manual_seed(0)
P0 = torch.randn(2, 3)
B0 = torch.randn(3)
GRADS = [(torch.randn(2, 3), torch.randn(3)) for _ in range(6)]


def trajectory(make):
    w = torch.nn.Parameter(P0.clone())
    b = torch.nn.Parameter(B0.clone())
    # The bias is excluded from weight decay, as reprise's NoDecay does.
    opt = make([{"params": [w]}, {"params": [b], "weight_decay": 0.0}])
    out = []
    for gw, gb in GRADS:
        w.grad, b.grad = gw.clone(), gb.clone()
        opt.step()
        out.append(w.detach().reshape(-1).tolist() + b.detach().reshape(-1).tolist())
    return out


LR = 0.1
opts = {
    "sgd": trajectory(lambda p: torch.optim.SGD(p, lr=LR)),
    "sgd_momentum_wd": trajectory(lambda p: torch.optim.SGD(p, lr=LR, momentum=0.9, weight_decay=1e-2)),
    "sgd_nesterov": trajectory(lambda p: torch.optim.SGD(p, lr=LR, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    "adam_l2": trajectory(lambda p: torch.optim.Adam(p, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)),
    "adamw": trajectory(lambda p: torch.optim.AdamW(p, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)),
}


def lrs(make, n=12, metrics=None):
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=0.5)
    sched = make(opt)
    out = []
    for e in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if metrics is not None:
            sched.step(metrics[e])
        else:
            sched.step()
    return out


S = torch.optim.lr_scheduler
metrics = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.95, 0.99, 0.85, 0.86, 0.87, 0.88]
scheds = {
    "cosine": lrs(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01)),
    "sgdr": lrs(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), n=16),
    "step": lrs(lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
    "exponential": lrs(lambda o: S.ExponentialLR(o, gamma=0.9)),
    "plateau": lrs(lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, min_lr=0.01), metrics=metrics),
}
g = [torch.randn(4) * 3, torch.randn(2, 2) * 3]
ps = [torch.nn.Parameter(torch.zeros_like(x)) for x in g]
for p, x in zip(ps, g):
    p.grad = x.clone()
norm = torch.nn.utils.clip_grad_norm_(ps, 1.5).item()
clip = {"grads": [x.reshape(-1).tolist() for x in g], "max": 1.5, "norm": norm,
        "clipped": [p.grad.reshape(-1).tolist() for p in ps]}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "golden.json"), "w") as f:
    json.dump({"generator": "engine/optim/testdata/gen_golden.py", "lr": LR,
               "p0": P0.reshape(-1).tolist(), "b0": B0.reshape(-1).tolist(),
               "grads": [gw.reshape(-1).tolist() + gb.reshape(-1).tolist() for gw, gb in GRADS],
               "optimizers": opts, "schedules": scheds, "plateau_metrics": metrics, "clip": clip}, f)
print("wrote", os.path.join(here, "golden.json"))
