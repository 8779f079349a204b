"""Golden logits for a small ResNet with the twin's structure (CIFAR stem,
one basic block per stage; widths 8-16-32-64 to keep the file small), built
from torchvision's BasicBlock so that the block is PyTorch's own. Writes
golden.json (names, shapes, input, logits) and golden.bin (float32 weights
and BN running statistics, little-endian, in the order of golden.json).

    /usr/bin/python3 zoo/resnet/testdata/gen_golden.py
"""
import json
import os

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

torch.manual_seed(0)


class Twin(nn.Module):
    def __init__(self, widths=(8, 16, 32, 64), in_ch=1, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        c = widths[0]
        for s, w in enumerate(widths):
            stride = 1 if s == 0 else 2
            down = None
            if stride != 1 or c != w:
                down = nn.Sequential(nn.Conv2d(c, w, 1, stride, bias=False), nn.BatchNorm2d(w))
            setattr(self, "layer%d" % (s + 1), nn.Sequential(BasicBlock(c, w, stride, down)))
            c = w
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for s in range(4):
            x = getattr(self, "layer%d" % (s + 1))(x)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


m = Twin()
# Non-trivial BN statistics, so that eval-mode normalisation is exercised.
for mod in m.modules():
    if isinstance(mod, nn.BatchNorm2d):
        mod.running_mean.uniform_(-0.2, 0.2)
        mod.running_var.uniform_(0.5, 1.5)
        mod.weight.data.uniform_(0.5, 1.5)
        mod.bias.data.uniform_(-0.2, 0.2)
m.eval()
x = torch.randn(2, 1, 28, 28)
with torch.no_grad():
    y = m(x)
here = os.path.dirname(os.path.abspath(__file__))
tensors = [(n, t) for n, t in m.state_dict().items() if not n.endswith("num_batches_tracked")]
with open(os.path.join(here, "golden.bin"), "wb") as f:
    for _, t in tensors:
        f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())
with open(os.path.join(here, "golden.json"), "w") as f:
    json.dump({"generator": "zoo/resnet/testdata/gen_golden.py", "widths": [8, 16, 32, 64],
               "tensors": [{"name": n, "shape": list(t.shape)} for n, t in tensors],
               "input": {"shape": list(x.shape), "data": x.reshape(-1).tolist()},
               "logits": {"shape": list(y.shape), "data": y.reshape(-1).tolist()}}, f)
print("wrote golden.json, golden.bin:", len(tensors), "tensors")
