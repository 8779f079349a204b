"""PyTorch references for the losses (testdata/golden.json): values and
logit gradients of cross-entropy with label smoothing, soft-target
cross-entropy, KL distillation at a temperature and hard distillation.

    /usr/bin/python3 engine/loss/testdata/gen_golden.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
N, K = 5, 7
logits = torch.randn(N, K) * 2
teacher = torch.randn(N, K) * 3
labels = torch.tensor([0, 3, 6, 3, 1])
soft = torch.softmax(torch.randn(N, K), -1)


def run(name, fn):
    z = logits.clone().requires_grad_(True)
    loss = fn(z)
    loss.backward()
    return {"name": name, "loss": loss.item(), "grad": z.grad.reshape(-1).tolist()}


T = 3.0
cases = [
    run("ce", lambda z: F.cross_entropy(z, labels)),
    run("ce_smooth0.1", lambda z: F.cross_entropy(z, labels, label_smoothing=0.1)),
    run("soft_target", lambda z: torch.sum(-soft * F.log_softmax(z, -1), -1).mean()),
    # Hinton's soft term: T^2 * KL(p_t || p_s), batch mean.
    run("kl_T3", lambda z: F.kl_div(F.log_softmax(z / T, -1), F.log_softmax(teacher / T, -1),
                                    reduction="batchmean", log_target=True) * T * T),
    run("hard", lambda z: 0.5 * F.cross_entropy(z, labels) + 0.5 * F.cross_entropy(z, teacher.argmax(-1))),
    run("soft_deit", lambda z: 0.9 * F.cross_entropy(z, labels) + 0.1 * F.kl_div(
        F.log_softmax(z / T, -1), F.log_softmax(teacher / T, -1), reduction="batchmean", log_target=True) * T * T),
]
out = {"generator": "engine/loss/testdata/gen_golden.py", "n": N, "k": K,
       "logits": logits.reshape(-1).tolist(), "teacher": teacher.reshape(-1).tolist(),
       "labels": labels.tolist(), "soft": soft.reshape(-1).tolist(), "cases": cases}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json"), "w") as f:
    json.dump(out, f)
print("wrote engine/loss/testdata/golden.json")
