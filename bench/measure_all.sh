#!/bin/sh
# Measures every benchmark that has a PyTorch or OpenBLAS counterpart, one
# after the other, into bench/results/<date>-<suite>-{reprise,pytorch}.txt,
# and prints benchstat's side-by-side tables into <date>-tables.txt.
# Run it on a quiet machine (nothing else running: two cores are shared by
# both sides). It took 26 minutes on the project's 2-core VM on 2026-12-06.
#
#   sh bench/measure_all.sh [date]          # date defaults to today (UTC)
#
# Needs Debian's python3-torch and python3-torchvision (PyTorch 1.13) and
# libopenblas-dev (for the SGEMM comparison, built with -tags openblas).
# PyTorch runs with the settings under which it is fastest here:
# OMP_WAIT_POLICY=PASSIVE, GLIBC_TUNABLES=glibc.malloc.hugetlb=1, and
# OPENBLAS_NUM_THREADS=1 for convnets, 2 for transformers and MLPs; both
# torch thread counts (1 and 2) are recorded, and comparisons use the faster.
set -eu
cd "$(dirname "$0")/.."
D=${1:-$(date -u +%Y-%m-%d)}
R=bench/results
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE GLIBC_TUNABLES=glibc.malloc.hugetlb=1
COUNT=${COUNT:-6}

go test -c -o /tmp/reprise-bench.test ./bench/
go test -c -tags openblas -o /tmp/reprise-bench-openblas.test ./bench/
B=/tmp/reprise-bench.test

# Kernels.
/tmp/reprise-bench-openblas.test -test.run '^$' -test.count "$COUNT" \
	-test.bench 'Sgemm/impl=(reprise|reprise_avx2|openblas)/m=(256|1024|196|3136)/' >$R/$D-sgemm.txt
$B -test.run '^$' -test.count "$COUNT" -test.benchtime 0.2s -test.bench 'Depthwise|Conv2d|Pool' >$R/$D-conv-reprise.txt
OPENBLAS_NUM_THREADS=1 $PY bench/torch_conv.py -count "$COUNT" >$R/$D-conv-pytorch.txt
$B -test.run '^$' -test.count "$COUNT" -test.benchtime 0.2s -test.bench 'Elementwise|Softmax|LayerNorm|BatchNorm|GemmEpilogue' >$R/$D-elementwise-reprise.txt
OPENBLAS_NUM_THREADS=1 $PY bench/torch_elementwise.py "$COUNT" >$R/$D-elementwise-pytorch.txt
$B -test.run '^$' -test.count "$COUNT" -test.benchtime 0.2s -test.bench 'Attention' >$R/$D-attention-reprise.txt
OPENBLAS_NUM_THREADS=2 $PY bench/torch_attention.py "$COUNT" >$R/$D-attention-pytorch.txt

# Models: forward at batch 1 and 8, training steps of the twins.
CONV='resnet18|resnet50|mobilenetv3_large_100|mobilenetv3_small_100|efficientnet_b0|tf_efficientnetv2_s|regnety_160|nasnetamobile|randwire_small_c78|randwire_regular_c109|randwire_regular_c154'
TRANS='vit_base_patch16_224|swin_tiny_patch4_window7_224|deit_tiny_patch16_224|deit_small_patch16_224|mixer_s16_224|mixer_b16_224|resmlp_12_224'
TWINS_CONV='resnet18_r28|efficientnet_b0_r28|efficientnetv2_s_r28|mobilenetv3_large_r28|regnety_r28|nasnet_mobile_r28|randwire_small_r28'
TWINS_TRANS='vit_tiny_r28|deit_tiny_r28|deit_tiny_distilled_r28|swin_tiny_r28|mixer_s_r28|resmlp_12_r28'
$B -test.run '^$' -test.count "$COUNT" -test.benchtime 3x \
	-test.bench "Forward/model=($CONV|$TRANS)/bs=(1|8)\$" >$R/$D-forward-reprise.txt
$B -test.run '^$' -test.count "$COUNT" -test.benchtime 2x \
	-test.bench "TrainStep/model=($TWINS_CONV|$TWINS_TRANS)/" >$R/$D-trainstep-reprise.txt
{
	OPENBLAS_NUM_THREADS=1 $PY bench/torch_zoo.py --count "$COUNT" --train-count "$COUNT" \
		--only "^(Forward/model=($CONV)|TrainStep/model=($TWINS_CONV))\$"
	OPENBLAS_NUM_THREADS=2 $PY bench/torch_zoo.py --count "$COUNT" --train-count "$COUNT" \
		--only "^(Forward/model=($TRANS)|TrainStep/model=($TWINS_TRANS))\$"
} >$R/$D-models-pytorch.txt

# Peak memory of a batch-1 forward of ViT-B/16 (weights: 86.6M float32 = 346 MB).
/usr/bin/time -v $B -test.run '^$' -test.benchtime 1x \
	-test.bench 'Forward/model=vit_base_patch16_224/bs=1$' 2>&1 |
	grep -E '^Benchmark|Maximum resident' >$R/$D-vit-base-rss.txt

{
	echo "# SGEMM, GFLOP/s: reprise vs OpenBLAS"
	go tool benchstat -col /impl $R/$D-sgemm.txt
	echo "# Depthwise, conv and pooling: reprise vs PyTorch"
	go tool benchstat -ignore torch,cpu -col /impl $R/$D-conv-reprise.txt $R/$D-conv-pytorch.txt
	echo "# Elementwise and row kernels: reprise vs PyTorch"
	go tool benchstat -ignore cpu -col /impl $R/$D-elementwise-reprise.txt $R/$D-elementwise-pytorch.txt
	echo "# Attention: reprise vs PyTorch"
	go tool benchstat -ignore cpu -col /impl $R/$D-attention-reprise.txt $R/$D-attention-pytorch.txt
	echo "# Models: reprise vs PyTorch at torch threads 1 and 2"
	cat $R/$D-forward-reprise.txt $R/$D-trainstep-reprise.txt >/tmp/reprise-models.txt
	go tool benchstat -col .file,torch-threads -ignore impl,cpu /tmp/reprise-models.txt $R/$D-models-pytorch.txt
	echo "# Peak RSS, ViT-B/16 forward at batch 1"
	cat $R/$D-vit-base-rss.txt
} >$R/$D-tables.txt 2>&1
echo "wrote $R/$D-*.txt"
