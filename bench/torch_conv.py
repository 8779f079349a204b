#!/usr/bin/python3
"""Time bench/conv_test.go's depthwise, conv and pooling shapes in PyTorch,
and the training passes of its Conv2dTrain shapes.

Prints Go benchmark-format lines with impl=pytorch, so that benchstat puts
them beside reprise's:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_conv.py > torch.txt
    go test -run '^$' -bench 'Depthwise|Conv2d|Pool' -count 6 ./bench/ > go.txt
    go tool benchstat -col /impl go.txt torch.txt

Each line is the median of 20 timed calls after 5 warm-up calls (eval,
no_grad, float32); -count lines per configuration (default 6). Metrics are
those of the Go benchmarks: GFLOP/s counts 2 flops per multiply-add, GB/s
the bytes of inputs, outputs and weights moved once.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

DW_SHAPES = [  # c, hw, k, s: MobileNetV3-Large, then EfficientNet-B0
    (64, 112, 3, 2), (72, 56, 3, 1), (120, 28, 5, 1), (480, 14, 3, 1), (672, 14, 5, 2), (960, 7, 5, 1),
    (32, 112, 3, 1), (144, 56, 5, 2), (240, 28, 5, 1), (1152, 7, 3, 1),
]
CONV_SHAPES = [  # name, c, hw, o, k, s, p
    ("resnet_stem", 3, 224, 64, 7, 2, 3), ("mbv3_stem", 3, 224, 16, 3, 2, 1), ("3x3_56x56x64", 64, 56, 64, 3, 1, 1),
]
TRAIN_SHAPES = [  # name, c, hw, o, k, s, groups: bench/conv_test.go's convTrainShapes, batch 128
    ("r18_stem", 1, 28, 16, 3, 1, 1), ("r18_l1", 16, 28, 16, 3, 1, 1),
    ("r18_l2a", 16, 28, 32, 3, 2, 1), ("r18_l2b", 32, 14, 32, 3, 1, 1), ("r18_l2d", 16, 28, 32, 1, 2, 1),
    ("r18_l3a", 32, 14, 64, 3, 2, 1), ("r18_l3b", 64, 7, 64, 3, 1, 1), ("r18_l3d", 32, 14, 64, 1, 2, 1),
    ("r18_l4a", 64, 7, 128, 3, 2, 1), ("r18_l4b", 128, 4, 128, 3, 1, 1), ("r18_l4d", 64, 7, 128, 1, 2, 1),
    ("rgy_s1a", 24, 28, 24, 3, 2, 3), ("rgy_s2b", 48, 7, 48, 3, 1, 6),
]
POOL_SHAPES = [  # op, c, hw, k, s, p
    ("max3x3s2p1", 64, 112, 3, 2, 1), ("avg3x3s1p1", 64, 56, 3, 1, 1), ("avg2x2s2", 64, 56, 2, 2, 0),
    ("global", 960, 7, 0, 0, 0), ("global", 1280, 7, 0, 0, 0),
]
PROCS = os.cpu_count()


def median_ns(fn, reps=20, warm=5):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        fn()
        ts.append(time.perf_counter_ns() - t0)
    return statistics.median(ts)


def line(name, ns, **metrics):
    m = "".join(f"\t{v:.4g} {k}" for k, v in metrics.items())
    print(f"Benchmark{name}-{PROCS}\t20\t{ns:.0f} ns/op{m}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-count", type=int, default=6)
    ap.add_argument("-only", default="", help="run only names containing this")
    args = ap.parse_args()
    torch.manual_seed(1)
    print(f"goos: linux\ngoarch: amd64\npkg: github.com/reprise-ml/reprise/bench\ntorch: {torch.__version__}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        # Conv2dTrain: the training passes at batch 128, at 2 threads only
        # (as the Go benchmark runs with GOMAXPROCS 2).
        for nm, c, hw, o, k, s, g in TRAIN_SHAPES if threads == 2 else []:
            x, w = torch.randn(128, c, hw, hw), torch.randn(o, c // g, k, k)
            y = F.conv2d(x, w, None, s, k // 2, 1, g)
            gy = torch.randn_like(y)
            flops = 2 * 128 * o * y.shape[2] * y.shape[3] * c // g * k * k
            fns = {
                "fwd": lambda: F.conv2d(x, w, None, s, k // 2, 1, g),
                "bwdx": lambda: torch.ops.aten.convolution_backward(
                    gy, x, w, None, [s, s], [k // 2, k // 2], [1, 1], False, [0, 0], g, [True, False, False]),
                "bwdw": lambda: torch.ops.aten.convolution_backward(
                    gy, x, w, None, [s, s], [k // 2, k // 2], [1, 1], False, [0, 0], g, [False, True, False]),
            }
            for pass_, fn in fns.items():
                name = f"Conv2dTrain/shape={nm}/impl=pytorch/pass={pass_}"
                if args.only not in name:
                    continue
                for _ in range(args.count):
                    ns = median_ns(fn)
                    line(name, ns, **{"GFLOP/s": flops / ns})
        with torch.no_grad():
            for c, hw, k, s in DW_SHAPES:
                for bs in (1, 8):
                    x = torch.randn(bs, c, hw, hw)
                    w = torch.randn(c, 1, k, k)
                    b = torch.randn(c)
                    y = F.conv2d(x, w, b, s, k // 2, 1, c)
                    gy = torch.randn_like(y)
                    macs = bs * c * y.shape[2] * y.shape[3] * k * k
                    for pass_ in ("fwd", "bwd"):
                        if pass_ == "bwd" and threads == 2:
                            continue
                        name = f"Depthwise/k={k}/s={s}/c={c}/hw={hw}/bs={bs}/impl=pytorch/pass={pass_}/threads={threads}"
                        if args.only not in name:
                            continue
                        if pass_ == "fwd":
                            fn = lambda: F.conv2d(x, w, b, s, k // 2, 1, c)  # noqa: E731
                            flops, nbytes = 2 * macs, 4 * (x.numel() + y.numel() + w.numel() + b.numel())
                        else:
                            fn = lambda: torch.ops.aten.convolution_backward(  # noqa: E731
                                gy, x, w, None, [s, s], [k // 2, k // 2], [1, 1], False, [0, 0], c, [True, True, False])
                            flops, nbytes = 4 * macs, 4 * (gy.numel() + x.numel() + x.numel() + 2 * w.numel())
                        for _ in range(args.count):
                            ns = median_ns(fn)
                            line(name, ns, **{"GB/s": nbytes / ns, "GFLOP/s": flops / ns})
            for nm, c, hw, o, k, s, p in CONV_SHAPES:
                name = f"Conv2d/shape={nm}/impl=pytorch/pass=fwd/threads={threads}"
                if args.only not in name:
                    continue
                x, w, b = torch.randn(1, c, hw, hw), torch.randn(o, c, k, k), torch.randn(o)
                oh = (hw + 2 * p - k) // s + 1
                flops = 2 * o * oh * oh * c * k * k
                for _ in range(args.count):
                    ns = median_ns(lambda: F.conv2d(x, w, b, s, p))
                    line(name, ns, **{"GFLOP/s": flops / ns})
            for op, c, hw, k, s, p in POOL_SHAPES:
                name = f"Pool/op={op}/c={c}/hw={hw}/bs=8/impl=pytorch/threads={threads}"
                if args.only not in name:
                    continue
                x = torch.randn(8, c, hw, hw)
                if op == "global":
                    fn = lambda: F.adaptive_avg_pool2d(x, 1)  # noqa: E731
                elif op.startswith("max"):
                    fn = lambda: F.max_pool2d(x, k, s, p)  # noqa: E731
                else:
                    fn = lambda: F.avg_pool2d(x, k, s, p, count_include_pad=True)  # noqa: E731
                nbytes = 4 * (x.numel() + fn().numel())
                for _ in range(args.count):
                    ns = median_ns(fn)
                    line(name, ns, **{"GB/s": nbytes / ns})


if __name__ == "__main__":
    main()
