#!/usr/bin/python3
"""Time bench/zoo_test.go's models in PyTorch, printed as Go benchmark lines.

BenchmarkForward: inference (model.eval(), torch.no_grad(), float32) of the
full-size models at their native resolution, batch 1 and 8, from an NCHW
torch.randn input. BenchmarkTrainStep: one training step of the reduced
twins at batch 128 on 1x28x28 inputs (forward, cross-entropy with label
smoothing 0.1 on labels i % 10, backward, AdamW lr 1e-4 wd 0.05, zero_grad),
model.train(), drop-path and dropout off as zoo.New builds them with
arch.Options{}; the distilled DeiT computes both heads (ForwardBoth) and the
loss on the class head's logits only, as the Go benchmark does. Every _r28
twin is here; the _r32 twins (3x32x32), which BenchmarkTrainStep also runs,
are not. The lines carry exactly the Go benchmarks' names:

    BenchmarkForward/model=resnet18/bs=8-2   1   123456789 ns/op   64.80 img/s

one line per timed run (as go test -count prints), each run a single call
unless --min-time asks for more; the median per thread count is the final
summary ("# " lines, which benchstat skips). The full-size models are
torchvision's where it has the model (resnet18, resnet50,
mobilenet_v3_large/small, efficientnet_b0, efficientnet_v2_s, vit_b_16,
swin_t, regnet_y_16gf), the minimal modules below for DeiT, Mixer and
ResMLP, and the Go packages' golden-checked PyTorch references (see
bench/torch_twins.py) for nasnetamobile (NASNet-A cells of zoo/nasnet's
cells.json) and randwire_small_c78, randwire_regular_c109,
randwire_regular_c154 (the Go models' graphs, bench/testdata/
randwire_graphs.json). The twins are minimal modules: ViT/DeiT (plain and
distilled), Mixer, ResMLP and ResNet (torchvision's BasicBlock) below; the
EfficientNet, EfficientNetV2, MobileNetV3, RegNetY, Swin (torchvision's
SwinTransformerBlock and PatchMerging), NASNet and RandWire twins in
bench/torch_twins.py, NASNet and RandWire from the Go packages' golden-checked
PyTorch references (zoo/<family>/testdata/gen_golden.py, with the Go-written
cells and graphs). Every model's parameter count must equal the Go zoo's
(GO_PARAMS), or it is skipped with a note.

PyTorch is fastest here (2 cores) with

    OMP_WAIT_POLICY=PASSIVE  GLIBC_TUNABLES=glibc.malloc.hugetlb=1
    OPENBLAS_NUM_THREADS=1 for convnets, =2 for transformers and MLPs

(the lines OMP_WAIT_POLICY: ... etc. record what was set). OpenBLAS reads its
variable once, so the full comparison is two runs into one file:

    cd /work/main
    export OMP_WAIT_POLICY=PASSIVE GLIBC_TUNABLES=glibc.malloc.hugetlb=1
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_zoo.py \\
        --only 'resnet|mobilenet|efficientnet|regnet|nasnet|randwire' > torch.txt
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch_zoo.py \\
        --only 'vit|deit|swin|mixer|resmlp' >> torch.txt
    M='resnet18|resnet50|mobilenetv3_large_100|mobilenetv3_small_100|efficientnet_b0'
    M="$M|tf_efficientnetv2_s|regnety_160|vit_base_patch16_224|swin_tiny_patch4_window7_224"
    M="$M|deit_tiny_patch16_224|deit_small_patch16_224|mixer_s16_224|mixer_b16_224|resmlp_12_224"
    M="$M|nasnetamobile|randwire_small_c78|randwire_regular_c109|randwire_regular_c154"
    go test -run '^$' -bench "Forward/model=($M)$" -count 20 ./bench/ > go.txt
    T='deit_tiny_distilled_r28|deit_tiny_r28|efficientnet_b0_r28|efficientnetv2_s_r28'
    T="$T|mixer_s_r28|mobilenetv3_large_r28|nasnet_mobile_r28|randwire_small_r28"
    T="$T|regnety_r28|resmlp_12_r28|resnet18_r28|swin_tiny_r28|vit_tiny_r28"
    go test -run '^$' -bench "TrainStep/model=($T)$" -count 6 ./bench/ >> go.txt
    go tool benchstat -col .file,torch-threads -ignore impl go.txt torch.txt

The config lines impl: and torch-threads: differ from go.txt's, and benchstat
splits tables on differing config; -ignore impl and -col .file,torch-threads
give one table per unit with the columns go.txt | torch threads=1 | threads=2,
each with its delta against Go. (With a single --threads value,
-ignore impl,torch-threads and the default columns do the same.)
"""
import argparse
import os
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torchvision
import torchvision.models as tvm
from torchvision.models.resnet import BasicBlock

import torch_twins  # bench/torch_twins.py: the convnet and Swin twins, NASNet, RandWire

# Exact parameter counts of the Go zoo, the "params" column of
#   cd /work/main && go run ./cmd/reprise zoo list --format csv
# (the twins: zoo list '*_r28' --format csv).
GO_PARAMS = {
    "resnet18": 11689512,
    "resnet50": 25557032,
    "mobilenetv3_large_100": 5483032,
    "mobilenetv3_small_100": 2542856,
    "efficientnet_b0": 5288548,
    "tf_efficientnetv2_s": 21458488,
    "vit_base_patch16_224": 86567656,
    "swin_tiny_patch4_window7_224": 28288354,
    "regnety_160": 83590140,
    "deit_tiny_patch16_224": 5717416,
    "deit_small_patch16_224": 22050664,
    "mixer_s16_224": 18528264,
    "mixer_b16_224": 59880472,
    "resmlp_12_224": 15350872,
    "nasnetamobile": 5289978,
    "randwire_small_c78": 5551768,
    "randwire_regular_c109": 31579460,
    "randwire_regular_c154": 60809140,
    # twins
    "deit_tiny_distilled_r28": 206740,
    "deit_tiny_r28": 205962,
    "efficientnet_b0_r28": 234634,
    "efficientnetv2_s_r28": 411162,
    "mixer_s_r28": 221232,
    "mobilenetv3_large_r28": 1097114,
    "nasnet_mobile_r28": 88595,
    "randwire_small_r28": 1070801,
    "regnety_r28": 459112,
    "resmlp_12_r28": 217398,
    "resnet18_r28": 308538,
    "swin_tiny_r28": 136854,
    "vit_tiny_r28": 205962,
}

ENV_VARS = ["OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "GLIBC_TUNABLES", "OMP_NUM_THREADS", "MKL_NUM_THREADS"]
RECOMMENDED = {"OMP_WAIT_POLICY": "PASSIVE", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
               "OPENBLAS_NUM_THREADS": "1 (convnets) or 2 (transformers, MLPs)"}


# --- Minimal timm-equivalent modules (LayerNorm eps 1e-6 as timm, exact GELU).

def mlp(d, hidden):
    return nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d))


class ViTBlock(nn.Module):
    """timm's pre-norm Block: x += attn(LN(x)); x += mlp(LN(x)). PyTorch's
    MultiheadAttention (qkv and proj with biases, as timm's) takes its
    fused inference path where it applies (even head count, eval, no_grad)."""

    def __init__(self, d, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = mlp(d, hidden)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """timm's VisionTransformer: patch-embed conv, class token, learned
    position embedding over 1 + tokens, blocks, final LayerNorm, linear head
    on the class token. distilled adds DeiT's distillation token (after the
    class token) and head_dist on it, and forward returns both heads' logits
    (zoo/vit's ForwardBoth, timm's VisionTransformerDistilled in training)."""

    def __init__(self, img, patch, in_chans, classes, d, depth, heads, hidden, distilled=False):
        super().__init__()
        prefix = 2 if distilled else 1
        self.patch_embed = nn.Conv2d(in_chans, d, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, d)) if distilled else None
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, prefix + (img // patch) ** 2, d))
        self.blocks = nn.Sequential(*[ViTBlock(d, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, classes)
        self.head_dist = nn.Linear(d, classes) if distilled else None

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        toks = [self.cls_token.expand(x.shape[0], -1, -1)]
        if self.dist_token is not None:
            toks.append(self.dist_token.expand(x.shape[0], -1, -1))
        x = self.norm(self.blocks(torch.cat(toks + [x], 1) + self.pos_embed))
        if self.head_dist is None:
            return self.head(x[:, 0])
        return self.head(x[:, 0]), self.head_dist(x[:, 1])


class Affine(nn.Module):
    """ResMLP's Aff: alpha * x + beta, per channel."""

    def __init__(self, d):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(d))
        self.beta = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        return torch.addcmul(self.beta, self.alpha, x)


class MixerBlock(nn.Module):
    """timm's MixerBlock: token MLP on the transposed tokens, channel MLP."""

    def __init__(self, d, tokens, ds, dc):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.mlp_tokens = mlp(tokens, ds)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp_channels = mlp(d, dc)

    def forward(self, x):
        x = x + self.mlp_tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.mlp_channels(self.norm2(x))


class ResMLPBlock(nn.Module):
    """timm's ResBlock: linear token mixer and channel MLP, Affine norms,
    layer scales ls1, ls2 (0.1, as zoo/mixer's resmlp_12)."""

    def __init__(self, d, tokens, dc):
        super().__init__()
        self.norm1 = Affine(d)
        self.linear_tokens = nn.Linear(tokens, tokens)
        self.norm2 = Affine(d)
        self.mlp_channels = mlp(d, dc)
        self.ls1 = nn.Parameter(torch.full((d,), 0.1))
        self.ls2 = nn.Parameter(torch.full((d,), 0.1))

    def forward(self, x):
        x = x + self.ls1 * self.linear_tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.ls2 * self.mlp_channels(self.norm2(x))


class MLPNet(nn.Module):
    """MLP-Mixer (ds > 0) or ResMLP (ds == 0), as zoo/mixer: P x P stem conv,
    blocks, norm, mean over tokens, linear head."""

    def __init__(self, img, patch, in_chans, classes, d, depth, ds, dc):
        super().__init__()
        tokens = (img // patch) ** 2
        self.stem = nn.Conv2d(in_chans, d, patch, patch)
        if ds:
            self.blocks = nn.Sequential(*[MixerBlock(d, tokens, ds, dc) for _ in range(depth)])
            self.norm = nn.LayerNorm(d, eps=1e-6)
        else:
            self.blocks = nn.Sequential(*[ResMLPBlock(d, tokens, dc) for _ in range(depth)])
            self.norm = Affine(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        return self.head(self.norm(self.blocks(x)).mean(1))


class ResNetTwin(nn.Module):
    """zoo/resnet's resnet18_r28: CIFAR stem (3x3/1 conv, no max pool), one
    torchvision BasicBlock per stage, widths 16-32-64-128."""

    def __init__(self, in_chans=1, classes=10, widths=(16, 32, 64, 128)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_chans, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        layers, inp = [], widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or inp != w:
                down = nn.Sequential(nn.Conv2d(inp, w, 1, stride, bias=False), nn.BatchNorm2d(w))
            layers.append(BasicBlock(inp, w, stride, down))
            inp = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(inp, classes)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.layers(self.stem(x)), 1), 1))


# --- The benchmarks: Go name, native resolution, constructor.

FORWARD = [
    ("resnet18", 224, lambda: tvm.resnet18(weights=None)),
    ("resnet50", 224, lambda: tvm.resnet50(weights=None)),
    ("mobilenetv3_large_100", 224, lambda: tvm.mobilenet_v3_large(weights=None)),
    ("mobilenetv3_small_100", 224, lambda: tvm.mobilenet_v3_small(weights=None)),
    ("efficientnet_b0", 224, lambda: tvm.efficientnet_b0(weights=None)),
    ("tf_efficientnetv2_s", 384, lambda: tvm.efficientnet_v2_s(weights=None)),
    ("regnety_160", 224, lambda: tvm.regnet_y_16gf(weights=None)),
    ("vit_base_patch16_224", 224, lambda: tvm.vit_b_16(weights=None)),
    ("swin_tiny_patch4_window7_224", 224, lambda: tvm.swin_t(weights=None)),
    #                                    img patch in cls   D  depth heads MLP
    ("deit_tiny_patch16_224", 224, lambda: ViT(224, 16, 3, 1000, 192, 12, 3, 768)),
    ("deit_small_patch16_224", 224, lambda: ViT(224, 16, 3, 1000, 384, 12, 6, 1536)),
    #                                 img patch in  cls   C  layers D_S  D_C
    ("mixer_s16_224", 224, lambda: MLPNet(224, 16, 3, 1000, 512, 8, 256, 2048)),
    ("mixer_b16_224", 224, lambda: MLPNet(224, 16, 3, 1000, 768, 12, 384, 3072)),
    ("resmlp_12_224", 224, lambda: MLPNet(224, 16, 3, 1000, 384, 12, 0, 1536)),
    ("nasnetamobile", 224, torch_twins.nasnetamobile),
    ("randwire_small_c78", 224, lambda: torch_twins.randwire("randwire_small_c78")),
    ("randwire_regular_c109", 224, lambda: torch_twins.randwire("randwire_regular_c109")),
    ("randwire_regular_c154", 224, lambda: torch_twins.randwire("randwire_regular_c154")),
]

TRAIN = [  # all 1x28x28, 10 classes, batch 128; the order of go test's list
    #                                        img patch in cls D depth heads MLP
    ("deit_tiny_distilled_r28", lambda: ViT(28, 4, 1, 10, 64, 6, 4, 128, distilled=True)),
    ("deit_tiny_r28", lambda: ViT(28, 4, 1, 10, 64, 6, 4, 128)),
    ("efficientnet_b0_r28", torch_twins.efficientnet_b0_r28),
    ("efficientnetv2_s_r28", torch_twins.efficientnetv2_s_r28),
    #                                   img patch in cls C layers D_S D_C
    ("mixer_s_r28", lambda: MLPNet(28, 4, 1, 10, 64, 6, 32, 256)),
    ("mobilenetv3_large_r28", torch_twins.MobileNetV3Twin),
    ("nasnet_mobile_r28", torch_twins.nasnet_mobile_r28),
    ("randwire_small_r28", torch_twins.randwire_small_r28),
    ("regnety_r28", torch_twins.RegNetTwin),
    ("resmlp_12_r28", lambda: MLPNet(28, 4, 1, 10, 64, 6, 0, 256)),
    ("resnet18_r28", lambda: ResNetTwin()),
    ("swin_tiny_r28", torch_twins.SwinTwin),
    ("vit_tiny_r28", lambda: ViT(28, 4, 1, 10, 64, 6, 4, 128)),
]
TRAIN_BS = 128


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def pretty(x):
    """Go's testing.prettyPrint, for ReportMetric values."""
    if x == 0:
        return "0"
    y = abs(x)
    for lim, fmt in ((999.95, "%.0f"), (99.995, "%.1f"), (9.9995, "%.2f"), (0.99995, "%.3f"),
                     (0.099995, "%.4f"), (0.0099995, "%.5f"), (0.00099995, "%.6f")):
        if y >= lim:
            return fmt % x
    return "%.7f" % x


class Printer:
    def __init__(self, procs):
        self.suffix = f"-{procs}" if procs > 1 else ""  # go test omits -1
        self.medians = {}  # benchmark name -> {threads: [ns/op, ...]}

    def run_line(self, name, threads, iters, ns, bs):
        full = f"Benchmark{name}{self.suffix}"
        print(f"{full:<64}\t{iters:8d}\t{ns:14.0f} ns/op\t{pretty(bs * 1e9 / ns):>12} img/s", flush=True)
        self.medians.setdefault(name, {}).setdefault(threads, []).append(ns)


def measure(fn, count, warmup, min_time):
    """Yields (iterations, ns per call) for count runs after warmup calls;
    each run repeats fn until min_time seconds have passed (at least once)."""
    for _ in range(warmup):
        fn()
    for _ in range(count):
        n, t0 = 0, time.perf_counter_ns()
        while True:
            fn()
            n += 1
            el = time.perf_counter_ns() - t0
            if el >= min_time * 1e9:
                break
        yield n, el / n


def check_params(model, name, kind):
    got = sum(p.numel() for p in model.parameters())
    want = GO_PARAMS[name]
    if got != want:
        msg = f"# skip {kind}/model={name}: {got} parameters, the Go zoo has {want}"
        print(msg, flush=True)
        print(msg, file=sys.stderr, flush=True)
        return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2", help="torch.set_num_threads values, comma-separated (default 1,2)")
    ap.add_argument("--count", type=int, default=20, help="timed runs per forward benchmark (default 20)")
    ap.add_argument("--train-count", type=int, default=6, help="timed runs per train-step benchmark (default 6)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed calls before the timed runs (default 3)")
    ap.add_argument("--min-time", type=float, default=0.0,
                    help="seconds each timed run lasts at least, repeating the call (default 0: one call)")
    ap.add_argument("--procs", type=int, default=2, help="the -N suffix: GOMAXPROCS of the Go run (default 2)")
    ap.add_argument("--only", default="", help="regex searched in Forward/model=<name>, TrainStep/model=<name>")
    ap.add_argument("--quick", action="store_true", help="2 runs each, 1 warm-up call (a smoke test)")
    args = ap.parse_args()
    if args.quick:
        args.count, args.train_count, args.warmup = 2, 2, 1
    threads = [int(t) for t in args.threads.split(",") if t]
    only = re.compile(args.only)
    out = Printer(args.procs)

    print("goos: linux\ngoarch: amd64\npkg: github.com/reprise-ml/reprise/bench")
    print(f"cpu: {cpu_name()}")
    print(f"impl: pytorch-{torch.__version__}")
    # Upper-case keys and "# " lines are not benchstat config: recorded, not grouped on.
    for v in ENV_VARS:
        print(f"{v}: {os.environ.get(v, '(unset)')}")
    print(f"# torchvision {torchvision.__version__}; parallel backend "
          f"{torch.__config__.parallel_info().splitlines()[-1].split(':')[-1].strip()}; "
          f"count {args.count}, train-count {args.train_count}, warmup {args.warmup}, min-time {args.min_time}s")
    unset = [f"{k}={v}" for k, v in RECOMMENDED.items() if k not in os.environ]
    if unset:
        print(f"# recommended but unset: {', '.join(unset)}", flush=True)

    with torch.no_grad():
        for name, img, build in FORWARD:
            if not only.search(f"Forward/model={name}"):
                continue
            torch.manual_seed(1)
            model = build().eval()
            if not check_params(model, name, "Forward"):
                continue
            for t in threads:
                torch.set_num_threads(t)
                print(f"torch-threads: {t}", flush=True)
                for bs in (1, 8):
                    x = torch.randn(bs, 3, img, img, generator=torch.Generator().manual_seed(2))
                    for iters, ns in measure(lambda: model(x), args.count, args.warmup, args.min_time):
                        out.run_line(f"Forward/model={name}/bs={bs}", t, iters, ns, bs)
            del model

    for name, build in TRAIN:
        if not only.search(f"TrainStep/model={name}"):
            continue
        torch.manual_seed(1)
        if not check_params(build(), name, "TrainStep"):
            continue
        x = torch.randn(TRAIN_BS, 1, 28, 28, generator=torch.Generator().manual_seed(2))
        y = torch.arange(TRAIN_BS) % 10
        crit = nn.CrossEntropyLoss(label_smoothing=0.1)
        for t in threads:
            torch.set_num_threads(t)
            print(f"torch-threads: {t}", flush=True)
            torch.manual_seed(1)
            model = build().train()
            opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)

            def step():
                logits = model(x)
                if isinstance(logits, tuple):  # DeiT distilled: both heads, loss on the class head's
                    logits = logits[0]
                loss = crit(logits, y)
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)

            for iters, ns in measure(step, args.train_count, args.warmup, args.min_time):
                out.run_line(f"TrainStep/model={name}/bs={TRAIN_BS}", t, iters, ns, TRAIN_BS)

    # Summary: median ns/op per thread count and the faster one.
    if out.medians:
        cols = "".join(f"{'threads=' + str(t):>16}" for t in threads)
        print(f"# summary: median ns/op per torch thread count; best is PyTorch's best here\n"
              f"# {'benchmark':<52}{cols}  best        img/s")
        wins = {}
        for name, per in out.medians.items():
            med = {t: statistics.median(v) for t, v in per.items()}
            best = min(med, key=med.get)
            wins[best] = wins.get(best, 0) + 1
            bs = int(name.rsplit("bs=", 1)[1])
            cells = "".join(f"{med[t]:16.0f}" if t in med else f"{'-':>16}" for t in threads)
            print(f"# {name:<52}{cells}  threads={best} {pretty(bs * 1e9 / med[best]):>8}")
        print("# faster: " + ", ".join(f"threads={t} in {n}" for t, n in sorted(wins.items())), flush=True)


if __name__ == "__main__":
    main()
