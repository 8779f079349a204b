package bench

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/kernels"
	"github.com/reprise-ml/reprise/engine/tensor"
)

// dwShapes are depthwise layers of MobileNetV3-Large and EfficientNet-B0
// (channels, input size, kernel, stride), with PyTorch's symmetric k/2
// padding. bench/torch_conv.py times the same shapes in PyTorch.
var dwShapes = []struct{ c, hw, k, s int }{
	// MobileNetV3-Large.
	{64, 112, 3, 2}, {72, 56, 3, 1}, {120, 28, 5, 1}, {480, 14, 3, 1}, {672, 14, 5, 2}, {960, 7, 5, 1},
	// EfficientNet-B0.
	{32, 112, 3, 1}, {144, 56, 5, 2}, {240, 28, 5, 1}, {1152, 7, 3, 1},
}

// dwGeom is the geometry of a depthwise layer with k/2 padding.
func dwGeom(hw, k, s int) kernels.Geom2d {
	o := (hw+2*(k/2)-k)/s + 1
	return kernels.Geom2d{H: hw, W: hw, KH: k, KW: k, StrideH: s, StrideW: s, DilH: 1, DilW: 1,
		PadT: k / 2, PadL: k / 2, OH: o, OW: o}
}

// BenchmarkDepthwise times the depthwise kernels (pass=fwd: forward with
// bias; pass=bwd: input and filter gradients) on the assembly path
// (impl=reprise, which takes the channels-in-lanes kernels on small planes),
// its plane-at-a-time kernels alone (impl=planes) and the pure-Go path
// (impl=generic). GFLOP/s counts 2 flops
// per multiply-add of the layer (twice the forward's for bwd); GB/s counts
// the bytes of inputs, outputs and weights, each moved once.
func BenchmarkDepthwise(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	for _, s := range dwShapes {
		g := dwGeom(s.hw, s.k, s.s)
		for _, bs := range []int{1, 8} {
			rng := tensor.NewRand(1)
			x := tensor.Randn(rng, 1, bs, s.c, s.hw, s.hw).Data
			w := tensor.Randn(rng, 1, s.c, s.k, s.k).Data
			bias := tensor.Randn(rng, 1, s.c).Data
			y := make([]float32, bs*s.c*g.OH*g.OW)
			gy := tensor.Randn(rng, 1, bs, s.c, g.OH, g.OW).Data
			gx, gw := make([]float32, len(x)), make([]float32, len(w))
			macs := float64(bs * s.c * g.OH * g.OW * s.k * s.k)
			for _, impl := range []string{"reprise", "planes", "generic"} {
				for _, pass := range []string{"fwd", "bwd"} {
					for _, threads := range []int{1, 2} {
						if pass == "bwd" && threads == 2 {
							continue
						}
						name := fmt.Sprintf("k=%d/s=%d/c=%d/hw=%d/bs=%d/impl=%s/pass=%s/threads=%d", s.k, s.s, s.c, s.hw, bs, impl, pass, threads)
						b.Run(name, func(b *testing.B) {
							defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
							defer kernels.ForceGenericDW(impl == "generic")()
							defer kernels.ForcePlanarDW(impl == "planes")()
							run := func() {
								kernels.DepthwiseConv2d(g, bs, s.c, 1, x, w, bias, y)
							}
							flops, bytes := 2*macs, 4*float64(len(x)+len(y)+len(w)+len(bias))
							if pass == "bwd" {
								run = func() {
									kernels.DepthwiseConv2dBackwardInput(g, bs, s.c, 1, gy, w, gx)
									kernels.DepthwiseConv2dBackwardFilter(g, bs, s.c, 1, gy, x, gw)
								}
								flops, bytes = 4*macs, 4*float64(len(gy)+len(x)+len(gx)+2*len(w))
							}
							run()
							b.ResetTimer()
							for b.Loop() {
								run()
							}
							sec := b.Elapsed().Seconds() / float64(b.N)
							b.ReportMetric(flops/sec/1e9, "GFLOP/s")
							b.ReportMetric(bytes/sec/1e9, "GB/s")
						})
					}
				}
			}
		}
	}
}

// convShapes are dense convolutions that run as im2col + Sgemm: ResNet's
// 7x7/2 stem, MobileNetV3's 3x3/2 stem, and a 3x3 ResNet stage-1 layer.
var convShapes = []struct {
	name              string
	c, hw, o, k, s, p int
}{
	{"resnet_stem", 3, 224, 64, 7, 2, 3},
	{"mbv3_stem", 3, 224, 16, 3, 2, 1},
	{"3x3_56x56x64", 64, 56, 64, 3, 1, 1},
}

// BenchmarkConv2d times autograd's Conv2d forward (inference) at batch 1.
func BenchmarkConv2d(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	for _, s := range convShapes {
		rng := tensor.NewRand(1)
		x := autograd.Const(tensor.Randn(rng, 1, 1, s.c, s.hw, s.hw))
		w := autograd.Const(tensor.Randn(rng, 1, s.o, s.c, s.k, s.k))
		bias := autograd.Const(tensor.Randn(rng, 1, s.o))
		opts := autograd.Conv2dOpts{Stride: [2]int{s.s, s.s}, Pad: autograd.SymmetricPad(s.p)}
		oh := (s.hw+2*s.p-s.k)/s.s + 1
		flops := 2 * float64(s.o*oh*oh*s.c*s.k*s.k)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("shape=%s/impl=reprise/pass=fwd/threads=%d", s.name, threads), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				// One inference tape, reset every call as a model's forward
				// does, so that its arena recycles the output and scratch.
				tp := autograd.NoGrad()
				tp.Conv2d(x, w, bias, opts)
				b.ResetTimer()
				for b.Loop() {
					tp.Reset()
					tp.Conv2d(x, w, bias, opts)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// convTrainShapes are convolutions of the training twins at batch 128:
// every distinct layer of resnet18_r28 (stem, the basic blocks' 3×3 convs
// and the stride-2 1×1 shortcuts) and two grouped 3×3 convs of regnety_r28
// (8 channels per group), with PyTorch's k/2 padding. bench/torch_conv.py
// times the same passes in PyTorch (aten::convolution_backward).
var convTrainShapes = []struct {
	name                 string
	c, hw, o, k, s, grps int
}{
	{"r18_stem", 1, 28, 16, 3, 1, 1}, {"r18_l1", 16, 28, 16, 3, 1, 1},
	{"r18_l2a", 16, 28, 32, 3, 2, 1}, {"r18_l2b", 32, 14, 32, 3, 1, 1}, {"r18_l2d", 16, 28, 32, 1, 2, 1},
	{"r18_l3a", 32, 14, 64, 3, 2, 1}, {"r18_l3b", 64, 7, 64, 3, 1, 1}, {"r18_l3d", 32, 14, 64, 1, 2, 1},
	{"r18_l4a", 64, 7, 128, 3, 2, 1}, {"r18_l4b", 128, 4, 128, 3, 1, 1}, {"r18_l4d", 64, 7, 128, 1, 2, 1},
	{"rgy_s1a", 24, 28, 24, 3, 2, 3}, {"rgy_s2b", 48, 7, 48, 3, 1, 6},
}

// BenchmarkConv2dTrain times the three passes of a training step's
// convolution at batch 128 on the kernels directly: the forward (pass=fwd,
// no bias), the input gradient (pass=bwdx, overwriting) and the filter
// gradient (pass=bwdw). GFLOP/s counts 2 flops per multiply-add of the
// layer, the same for each pass.
func BenchmarkConv2dTrain(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	const n = 128
	for _, l := range convTrainShapes {
		p := l.k / 2
		oh := (l.hw+2*p-l.k)/l.s + 1
		g := kernels.Geom2d{H: l.hw, W: l.hw, KH: l.k, KW: l.k, StrideH: l.s, StrideW: l.s, DilH: 1, DilW: 1,
			PadT: p, PadL: p, OH: oh, OW: oh}
		cv := kernels.NewConv(g, n, l.c, l.o, l.grps)
		rng := tensor.NewRand(1)
		x := tensor.Randn(rng, 1, n*l.c*l.hw*l.hw).Data
		w := tensor.Randn(rng, 1, l.o*l.c/l.grps*l.k*l.k).Data
		gy := tensor.Randn(rng, 1, n*l.o*oh*oh).Data
		y, gx, gw := make([]float32, len(gy)), make([]float32, len(x)), make([]float32, len(w))
		scratch := make([]float32, cv.ScratchLen())
		fscratch := make([]float32, cv.FilterScratchLen())
		flops := 2 * float64(n*l.o*oh*oh*l.c/l.grps*l.k*l.k)
		for _, pass := range []string{"fwd", "bwdx", "bwdw"} {
			b.Run(fmt.Sprintf("shape=%s/impl=reprise/pass=%s", l.name, pass), func(b *testing.B) {
				for b.Loop() {
					switch pass {
					case "fwd":
						cv.Forward(x, w, nil, y, scratch)
					case "bwdx":
						cv.BackwardInput(gy, w, gx, scratch, true)
					default:
						clear(gw)
						cv.BackwardFilter(gy, x, gw, fscratch)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// poolShapes are the pooling layers of the zoo's models: ResNet's 3x3/2
// max pool, NASNet's 3x3/1 average pool, a 2x2/2 average pool, and the
// global average pools before MobileNetV3's and EfficientNet's heads.
var poolShapes = []struct {
	op             string
	c, hw, k, s, p int
}{
	{"max3x3s2p1", 64, 112, 3, 2, 1},
	{"avg3x3s1p1", 64, 56, 3, 1, 1},
	{"avg2x2s2", 64, 56, 2, 2, 0},
	{"global", 960, 7, 0, 0, 0},
	{"global", 1280, 7, 0, 0, 0},
}

// BenchmarkPool times the pooling kernels forward at batch 8, reporting
// GB/s of input and output moved once.
func BenchmarkPool(b *testing.B) {
	b.Logf("kernels: %s", kernels.Path())
	const bs = 8
	for _, s := range poolShapes {
		rng := tensor.NewRand(1)
		planes := bs * s.c
		x := tensor.Randn(rng, 1, planes, s.hw, s.hw).Data
		var g kernels.Geom2d
		outs := planes
		if s.op != "global" {
			o := (s.hw+2*s.p-s.k)/s.s + 1
			g = kernels.Geom2d{H: s.hw, W: s.hw, KH: s.k, KW: s.k, StrideH: s.s, StrideW: s.s, DilH: 1, DilW: 1, PadT: s.p, PadL: s.p, OH: o, OW: o}
			outs = planes * o * o
		}
		y := make([]float32, outs)
		arg := make([]int32, outs)
		run := func() {
			switch s.op {
			case "global":
				kernels.AdaptiveAvgPool2d(planes, s.hw, s.hw, 1, 1, x, y)
			case "max3x3s2p1":
				kernels.MaxPool2d(g, planes, x, y, arg)
			default:
				kernels.AvgPool2d(g, planes, true, x, y)
			}
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("op=%s/c=%d/hw=%d/bs=%d/impl=reprise/threads=%d", s.op, s.c, s.hw, bs, threads), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				run()
				b.ResetTimer()
				for b.Loop() {
					run()
				}
				b.ReportMetric(4*float64(len(x)+len(y))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
