"""Goldens for broadcasting arithmetic, matmul and linear (op_binary.go, op_matmul.go)."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
import torch.nn.functional as F
from golden import case, gen, randn, write

cases = []
def c(name, fn, *shapes, **kw):
    g = gen(name)
    cases.append(case(name, fn, [randn(g, *s) for s in shapes], **kw))

c("add/same", torch.add, (2, 3), (2, 3))
c("add/broadcast", torch.add, (2, 1, 5), (3, 1))
c("sub/broadcast", torch.sub, (3, 4), (4,))
c("mul/broadcast", torch.mul, (1, 3, 1), (2, 1, 5))
c("mul/scalar", torch.mul, (3, 2), ())
g = gen("div/broadcast")
a, b = randn(g, 2, 3), randn(g, 2, 1)
b = b + 0.5 * torch.sign(b)
cases.append(case("div/broadcast", torch.div, [a, b]))
c("matmul/2d", torch.matmul, (3, 5), (5, 4))
c("matmul/batched", torch.matmul, (2, 3, 1, 4), (2, 3, 4, 7))
c("matmul/broadcast", torch.matmul, (2, 1, 3, 5), (3, 5, 2))
c("linear/bias", F.linear, (2, 3, 5), (4, 5), (4,))
c("linear/nobias", F.linear, (1, 7), (3, 7))
write("basic", cases)
