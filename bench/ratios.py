#!/usr/bin/python3
"""Prints a Markdown table of reprise against PyTorch, model by model, from
Go benchmark output and bench/torch_zoo.py's output (same benchmark names):
median ns/op (and img/s) of each side, PyTorch at the faster of its thread
counts, and the ratio. Lower ratio is better for latency (Forward), higher
for throughput (TrainStep).

    /usr/bin/python3 bench/ratios.py bench/results/2026-12-05-forward-reprise.txt \\
        bench/results/2026-12-05-trainstep-reprise.txt -- bench/results/2026-12-05-models-pytorch.txt
"""
import re
import statistics
import sys

LINE = re.compile(r"^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op")


def read(paths):
    runs, threads = {}, None
    for p in paths:
        for line in open(p):
            if line.startswith("torch-threads:"):
                threads = int(line.split(":")[1])
            m = LINE.match(line)
            if m:
                runs.setdefault(m.group(1), {}).setdefault(threads, []).append(float(m.group(2)))
    return {name: {t: statistics.median(v) for t, v in per.items()} for name, per in runs.items()}


def main():
    args = sys.argv[1:]
    cut = args.index("--")
    go, torch = read(args[:cut]), read(args[cut + 1:])
    print("| benchmark | reprise ms | PyTorch ms (threads) | reprise / PyTorch time |")
    print("|---|---|---|---|")
    for name in sorted(go, key=lambda n: (not n.startswith("Forward"), n)):
        if name not in torch:
            continue
        g = go[name][None]
        t, best = min(torch[name].items(), key=lambda kv: kv[1])
        print(f"| {name} | {g / 1e6:.1f} | {best / 1e6:.1f} ({t}) | {g / best:.2f} |")


if __name__ == "__main__":
    main()
