#!/usr/bin/python3
"""Times PyTorch's CPU kernels for the ops of elementwise_test.go and prints
Go benchmark lines, so that benchstat shows them beside reprise's:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_elementwise.py > torch.txt
    go test -run '^$' -bench 'Elementwise|Softmax|LayerNorm' -count 6 ./bench/ > go.txt
    go tool benchstat -col /impl go.txt torch.txt

Each line is the median of `count` runs (default 6) of as many calls as fit
in about 0.2 s, after a warm-up, with torch.set_num_threads(threads).
Inputs and sizes match the Go benchmarks (N(0, 2²) inputs for the
activations, N(0, 1) rows for softmax and layer norm).
"""
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


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


def line(name, n_iter, sec, metrics):
    extra = "".join(f"\t{v:.4g} {unit}" for unit, v in metrics)
    print(f"{name}\t{n_iter}\t{sec * 1e9:.0f} ns/op{extra}", flush=True)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    torch.manual_seed(1)
    print("goos: linux\ngoarch: amd64\npkg: github.com/reprise-ml/reprise/bench")
    print(f"# torch {torch.__version__}, {torch.__config__.parallel_info().splitlines()[0]}")
    ops = {
        "exp": torch.exp, "gelu": F.gelu, "silu": F.silu,
        "hardswish": F.hardswish, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    }
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for _ in range(count):
            for op, fn in ops.items():
                for n in (4096, 1 << 20):
                    x = torch.randn(n) * 2
                    it, sec = timeit(lambda: fn(x))
                    line(f"BenchmarkElementwise/op={op}/impl=pytorch/n={n}/threads={threads}-2", it, sec,
                         [("GB/s", 8 * n / sec / 1e9), ("Gelem/s", n / sec / 1e9)])
            for rows, n in ((3 * 197, 197), (3 * 49, 49)):
                x = torch.randn(rows, n)
                it, sec = timeit(lambda: torch.softmax(x, -1))
                line(f"BenchmarkSoftmax/impl=pytorch/rows={rows}/n={n}/threads={threads}-2", it, sec,
                     [("GB/s", 8 * rows * n / sec / 1e9), ("Gelem/s", rows * n / sec / 1e9)])
            for d in (192, 384, 768):
                rows = 197
                x = torch.randn(rows, d)
                w, b = torch.randn(d), torch.randn(d)
                it, sec = timeit(lambda: F.layer_norm(x, (d,), w, b, 1e-6))
                line(f"BenchmarkLayerNorm/pass=fwd/impl=pytorch/rows={rows}/d={d}/threads={threads}-2", it, sec,
                     [("Gelem/s", rows * d / sec / 1e9)])
                xg = x.clone().requires_grad_()
                wg, bg = w.clone().requires_grad_(), b.clone().requires_grad_()
                g = torch.randn(rows, d)

                def fb():
                    out = F.layer_norm(xg, (d,), wg, bg, 1e-6)
                    out.backward(g)
                it, sec = timeit(fb)
                line(f"BenchmarkLayerNorm/pass=fwdbwd/impl=pytorch/rows={rows}/d={d}/threads={threads}-2", it, sec,
                     [("Gelem/s", rows * d / sec / 1e9)])


if __name__ == "__main__":
    main()
