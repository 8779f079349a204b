#!/usr/bin/python3
"""Times PyTorch's attention at the shapes of bench/attention_test.go and
prints Go benchmark lines under the same names (impl=pytorch), so that
benchstat shows them beside reprise's fused op:

    go test -run '^$' -bench Attention -count 6 ./bench/ > go.txt
    OMP_WAIT_POLICY=PASSIVE GLIBC_TUNABLES=glibc.malloc.hugetlb=1 OPENBLAS_NUM_THREADS=2 \\
        /usr/bin/python3 bench/torch_attention.py 6 > torch.txt
    go tool benchstat -col /impl go.txt torch.txt

PyTorch 1.13 has no fused attention: this is timm's and torchvision's
attention of that version, softmax(q @ k.transpose(-2, -1) * scale + bias) @ v,
in eval under torch.no_grad() (pass=fwd) or forward then backward of the
output against a fixed random gradient, gradients of q, k, v and the bias
(pass=fwdbwd). GFLOP/s counts the two products as the Go benchmark does
(2·MACs, times 3 with the backward). Each line is one of `count` runs of as
many calls as fit in about 0.2 s, after a warm-up, with
torch.set_num_threads(threads).
"""
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

SHAPES = [  # name, lead dims (batch and heads) for bs, tokens, head dim, bias shape or None
    ("vit_ti", lambda bs: (bs, 3), 197, 64, None),
    ("swin_t_stage0", lambda bs: (bs, 64, 3), 49, 32, (64, 3, 49, 49)),
]


def timeit(fn, target=0.2):
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target:
            return n, dt / n
        n = max(2 * n, int(n * target / max(dt, 1e-9) * 1.1))


def attention(q, k, v, bias):
    a = q @ k.transpose(-2, -1) * 0.125
    if bias is not None:
        a = a + bias
    return a.softmax(-1) @ v


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    torch.manual_seed(1)
    print("goos: linux\ngoarch: amd64\npkg: github.com/reprise-ml/reprise/bench")
    print(f"# torch {torch.__version__}, {torch.__config__.parallel_info().splitlines()[0]}")
    for v in ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "GLIBC_TUNABLES"):
        print(f"# {v}={os.environ.get(v, '(unset)')}")
    for _ in range(count):
        for bs in (1, 8):
            for name, lead, n, d, bias_shape in SHAPES:
                shape = (*lead(bs), n, d)
                q, k, v = (torch.randn(shape) for _ in range(3))
                bias = torch.randn(bias_shape) if bias_shape else None
                macs = q.numel() // d * n * 2 * d
                for pass_ in ("fwd", "fwdbwd"):
                    for threads in (1, 2):
                        torch.set_num_threads(threads)
                        if pass_ == "fwd":
                            def fn():
                                with torch.no_grad():
                                    attention(q, k, v, bias)
                            flops = 2 * macs
                        else:
                            qg, kg, vg = (t.clone().requires_grad_() for t in (q, k, v))
                            bg = bias.clone().requires_grad_() if bias is not None else None
                            gout = torch.randn(shape)

                            def fn():
                                for t in (qg, kg, vg, bg):
                                    if t is not None:
                                        t.grad = None
                                attention(qg, kg, vg, bg).backward(gout)
                            flops = 6 * macs
                        it, sec = timeit(fn)
                        print(f"BenchmarkAttention/shape={name}/bs={bs}/pass={pass_}/impl=pytorch/threads={threads}-2"
                              f"\t{it}\t{sec * 1e9:.0f} ns/op\t{flops / sec / 1e9:.4g} GFLOP/s", flush=True)


if __name__ == "__main__":
    main()
