package mixer

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/zoo/arch"
	"github.com/reprise-ml/reprise/zoo/zootest"
)

func configOf(t *testing.T, name string) Config {
	t.Helper()
	for _, r := range append(append(append([]row{}, mixers...), resmlps...), twins...) {
		if r.Name == name || r.Name+"_r28" == name || r.Name+"_r32" == name {
			return r.Config
		}
	}
	t.Fatalf("no config %q", name)
	return Config{}
}

// count builds v shape-only and returns its parameter count and the MACs of
// a forward pass on one image at the default resolution.
func count(t *testing.T, v arch.Variant) (params, macs int64) {
	t.Helper()
	ps, macs := zootest.Count(t, v)
	return nn.CountParams(ps, ""), macs
}

// wantParams is the parameter count of cfg in closed form, derived from the
// architecture (S = (img/P)² tokens, D = hidden, K = classes, c = input
// channels):
//
//	stem conv with bias:           c·P²·D + D
//	Mixer block:  2 LayerNorms     4D
//	              token MLP        S·D_S + D_S + D_S·S + S
//	              channel MLP      D·D_C + D_C + D_C·D + D
//	ResMLP block: 2 Affines        4D
//	              linear tokens    S² + S
//	              channel MLP      2·D·D_C + D_C + D
//	              ls1, ls2         2D
//	final norm:                    2D
//	head:                          D·K + K
func wantParams(cfg Config, img, c, k int) int64 {
	s, d, p := int64((img/cfg.Patch)*(img/cfg.Patch)), int64(cfg.Hidden), int64(cfg.Patch)
	ds, dc := int64(cfg.TokenMLP), int64(cfg.ChannelMLP)
	var blk int64
	if cfg.Block == Mixer {
		blk = 4*d + (2*s*ds + ds + s) + (2*d*dc + dc + d)
	} else {
		blk = 4*d + (s*s + s) + (2*d*dc + dc + d) + 2*d
	}
	return int64(c)*p*p*d + d + int64(cfg.Layers)*blk + 2*d + d*int64(k) + int64(k)
}

// wantMACs is the multiply-accumulates of one image in closed form: the
// stem conv (S·c·P²·D), per block the token mixer applied to D rows
// (Mixer: D·2·S·D_S; ResMLP: D·S²) and the channel MLP applied to S rows
// (S·2·D·D_C), and the head (D·K). Norms, GELU, residual adds and the
// average pool are not counted, as in timm's numbers.
func wantMACs(cfg Config, img, c, k int) int64 {
	s, d, p := int64((img/cfg.Patch)*(img/cfg.Patch)), int64(cfg.Hidden), int64(cfg.Patch)
	ds, dc := int64(cfg.TokenMLP), int64(cfg.ChannelMLP)
	tok := d * s * s
	if cfg.Block == Mixer {
		tok = d * 2 * s * ds
	}
	return s*int64(c)*p*p*d + int64(cfg.Layers)*(tok+s*2*d*dc) + d*int64(k)
}

// TestParamsAndMACs holds every full-size variant's parameter and MAC counts
// (shape-only build, forward at 224) against the closed forms above, timm's
// numbers in zoo/published.csv (params to the 2 decimals published, so the
// closed form is timm's count to the parameter; MACs within 2%), and the
// papers' numbers where timm has none.
func TestParamsAndMACs(t *testing.T) {
	pub := zootest.Published(t)
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		cfg := configOf(t, v.Name)
		o := v.Resolve(arch.Options{})
		params, macs := count(t, v)
		if want := wantParams(cfg, o.ImgSize, o.InChans, o.NumClasses); params != want {
			t.Errorf("%s: %d params, closed form %d", v.Name, params, want)
		}
		if want := wantMACs(cfg, o.ImgSize, o.InChans, o.NumClasses); macs != want {
			t.Errorf("%s: %d MACs, closed form %d", v.Name, macs, want)
		}
		p, ok := pub[v.Name]
		if !ok {
			t.Errorf("%s: not in published.csv", v.Name)
			continue
		}
		pm, gm := float64(params)/1e6, float64(macs)/1e9
		head := float64(cfg.Hidden*o.NumClasses+o.NumClasses) / 1e6
		switch {
		case !math.IsNaN(p.ParamsTimm):
			if math.Abs(pm-p.ParamsTimm) > 0.005 {
				t.Errorf("%s: %.4f M params, timm %.2f M", v.Name, pm, p.ParamsTimm)
			}
		case cfg.Block == Mixer:
			// Mixer-H/14 (not in timm): Table 1 of the Mixer paper counts
			// without the head: 431.07 M vs 431 M.
			if rel := math.Abs(pm-head-p.ParamsPaper) / p.ParamsPaper; rel > 0.03 {
				t.Errorf("%s: %.2f M params without head, paper %.1f M (%.1f%% off)", v.Name, pm-head, p.ParamsPaper, 100*rel)
			}
		default:
			// ResMLP-B24 with patch 16 (not in timm): 115.74 M vs the
			// paper's 115.7 M.
			if rel := math.Abs(pm-p.ParamsPaper) / p.ParamsPaper; rel > 0.03 {
				t.Errorf("%s: %.2f M params, paper %.1f M (%.1f%% off)", v.Name, pm, p.ParamsPaper, 100*rel)
			}
		}
		// The Mixer paper's Table 1 (head excluded, rounded to 1 M) for
		// every Mixer row too.
		if cfg.Block == Mixer && !math.IsNaN(p.ParamsPaper) {
			if rel := math.Abs(pm-head-p.ParamsPaper) / p.ParamsPaper; rel > 0.03 {
				t.Errorf("%s: %.2f M params without head, Table 1 %.0f M (%.1f%% off)", v.Name, pm-head, p.ParamsPaper, 100*rel)
			}
		}
		switch {
		case !math.IsNaN(p.GMACsTimm):
			if rel := math.Abs(gm-p.GMACsTimm) / p.GMACsTimm; rel > 0.02 {
				t.Errorf("%s: %.3f GMACs, timm %.2f (%.2f%% off)", v.Name, gm, p.GMACsTimm, 100*rel)
			}
		case !math.IsNaN(p.GMACsPaper):
			if rel := math.Abs(gm-p.GMACsPaper) / p.GMACsPaper; rel > 0.03 {
				t.Errorf("%s: %.3f GMACs, paper %.1f (%.2f%% off)", v.Name, gm, p.GMACsPaper, 100*rel)
			}
		default:
			// Mixer-H/14: neither timm nor the Mixer paper (which gives
			// throughput, not FLOPs) publishes a count; only the closed
			// form above holds it (about 121 GMACs).
			t.Logf("%s: %.2f GMACs (no published number; closed form only)", v.Name, gm)
		}
		t.Logf("%-24s %12d params (%.2f M)  %.3f GMACs", v.Name, params, pm, gm)
	}
}

// TestTwinCost keeps the twins within about 15 M MACs per image and holds
// their counts to the same closed forms.
func TestTwinCost(t *testing.T) {
	for _, v := range Variants() {
		if !v.Twin {
			continue
		}
		cfg := configOf(t, v.Name)
		o := v.Resolve(arch.Options{})
		params, macs := count(t, v)
		if want := wantParams(cfg, o.ImgSize, o.InChans, o.NumClasses); params != want {
			t.Errorf("%s: %d params, closed form %d", v.Name, params, want)
		}
		if want := wantMACs(cfg, o.ImgSize, o.InChans, o.NumClasses); macs != want {
			t.Errorf("%s: %d MACs, closed form %d", v.Name, macs, want)
		}
		if macs > 15_000_000 {
			t.Errorf("%s: %d MACs per image, want <= 15 M", v.Name, macs)
		}
		t.Logf("%-16s %8d params  %.2f M MACs per image", v.Name, params, float64(macs)/1e6)
	}
}

// randomHead replaces the zero-initialised head (timm's init) by random
// values, so that logits and gradients depend on every layer: with a zero
// head the logits are 0 whatever the features and no gradient reaches the
// layers below it on the first step.
func randomHead(m *Net, seed uint64) {
	rng := tensor.NewRand(seed)
	for i := range m.Head.Weight.Value.Data {
		m.Head.Weight.Value.Data[i] = float32(rng.NormFloat64() * 0.02)
	}
}

// TestForwardFull runs every full-size model on one 224x224 image with real
// (seeded) weights: [1, 1000] finite logits, and finite, non-zero features
// after the last block. The models above 20 GMACs (ResMLP-B24, B24/8,
// Mixer-L/16, H/14) are skipped with -short.
func TestForwardFull(t *testing.T) {
	for _, v := range Variants() {
		if v.Twin {
			continue
		}
		if _, macs := count(t, v); testing.Short() && macs > 20e9 {
			t.Logf("%s: %.1f GMACs, skipped in -short mode", v.Name, float64(macs)/1e9)
			continue
		}
		o := v.Resolve(arch.Options{})
		m := v.New(nn.NewBuilder(tensor.NewRand(1), false), o).(*Net)
		randomHead(m, 2)
		x := autograd.Const(tensor.Randn(tensor.NewRand(3), 1, 1, o.InChans, o.ImgSize, o.ImgSize))
		var last *tensor.Tensor
		lastName := "blocks." + strconv.Itoa(len(m.Blocks)-1)
		c := &nn.Ctx{Trace: func(stage string, out *autograd.Var) {
			if stage == lastName {
				last = out.Value
			}
		}}
		logits := m.Forward(c, x)
		zootest.CheckLogits(t, v.Name, logits.Value, 1, 1000)
		if last == nil || !zootest.AllFinite(last.Data) || zootest.AllZero(last.Data) {
			t.Errorf("%s: features not finite (or all zero)", v.Name)
		}
	}
}

// TestTwins runs each twin forward on a batch of 2 and backward through
// sum(logits·R): every parameter gets a finite gradient that is not all
// zero (the head re-drawn at random, see randomHead), except Mixer's
// mlp_tokens.fc2.bias, whose gradient is zero in exact arithmetic.
func TestTwins(t *testing.T) {
	for _, v := range Variants() {
		if !v.Twin {
			continue
		}
		o := v.Resolve(arch.Options{})
		b := nn.NewBuilder(tensor.NewRand(4), false)
		m := v.New(b, o).(*Net)
		randomHead(m, 5)
		// Mixer's mlp_tokens.fc2.bias may have a zero gradient: held below.
		tokensBias := func(name string) bool { return strings.HasSuffix(name, ".mlp_tokens.fc2.bias") }
		zootest.CheckTrainStep(t, v.Name, m, b.Params(), o, tokensBias)
		grads := map[string]*tensor.Tensor{}
		for _, p := range b.Params() {
			grads[p.Name] = p.Grad
		}
		for _, p := range b.Params() {
			// The one known exception: in a Mixer block, the bias of the
			// token MLP's fc2 adds b[s] to every channel of token s, a
			// shift along the channels that every later LayerNorm (norm2,
			// the next blocks' norm1, the final norm) removes, and that the
			// channel MLP only sees through norm2. Its gradient is zero in
			// exact arithmetic (in timm too; PyTorch's float64 gives ~1e-17)
			// and rounding noise here: hold it far below the gradient of the
			// channel MLP's fc2 bias of the same block.
			if prefix, ok := strings.CutSuffix(p.Name, ".mlp_tokens.fc2.bias"); ok && p.Grad != nil {
				ref := grads[prefix+".mlp_channels.fc2.bias"]
				if r := norm2(p.Grad.Data) / norm2(ref.Data); !(r < 1e-4) {
					t.Errorf("%s: %s: gradient %.3g of the reference, want ~0", v.Name, p.Name, r)
				}
			}
		}
	}
}

// TestDropPathWired checks that Options.DropPath and Dropout reach the
// network: in training with rate 0.5 the output differs from evaluation,
// and in evaluation it is the deterministic network.
func TestDropPathWired(t *testing.T) {
	v := zootest.Variant(t, Variants(), "resmlp_12_r28")
	o := v.Resolve(arch.Options{DropPath: 0.5, Dropout: 0.5})
	m := v.New(nn.NewBuilder(tensor.NewRand(9), false), o).(*Net)
	randomHead(m, 10)
	x := autograd.Const(tensor.Randn(tensor.NewRand(11), 1, 4, o.InChans, o.ImgSize, o.ImgSize))
	eval1 := m.Forward(&nn.Ctx{}, x).Value
	eval2 := m.Forward(&nn.Ctx{}, x).Value
	train := m.Forward(&nn.Ctx{Train: true, RNG: tensor.NewRand(12)}, x).Value
	if zootest.L2RelErr(eval1.Data, eval2.Data) != 0 {
		t.Error("evaluation is not deterministic")
	}
	if zootest.L2RelErr(train.Data, eval1.Data) == 0 {
		t.Error("training with drop-path and dropout 0.5 gives the evaluation output")
	}
}

func norm2(d []float32) float64 {
	var s float64
	for _, v := range d {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// squeeze drops leading 1s: timm's Affine keeps alpha and beta as
// [1, 1, D] where ours are [D].
func squeeze(s []int) []int {
	for len(s) > 1 && s[0] == 1 {
		s = s[1:]
	}
	return s
}

// TestGolden compares the twins with a minimal PyTorch Mixer / ResMLP
// (testdata/gen_golden.py, float64): the PyTorch weights are loaded by
// timm's names, which must match ours one to one, then the logits and the
// gradients of sum(logits·R) for a few parameters are compared normwise.
func TestGolden(t *testing.T) {
	for _, name := range []string{"mixer_s_r28", "resmlp_12_r32"} {
		t.Run(name, func(t *testing.T) {
			var g struct {
				Input  zootest.Tensor            `json:"input"`
				Params []zootest.Tensor          `json:"params"`
				Logits zootest.Tensor            `json:"logits"`
				R      zootest.Tensor            `json:"r"`
				Grads  map[string]zootest.Tensor `json:"grads"`
			}
			zootest.ReadJSON(t, filepath.Join("testdata", "golden_"+name+".json"), &g)
			v := zootest.Variant(t, Variants(), name)
			o := v.Resolve(arch.Options{})
			b := nn.NewBuilder(tensor.NewRand(13), false)
			m := v.New(b, o).(*Net)
			for i := range g.Params {
				g.Params[i].Shape = squeeze(g.Params[i].Shape)
			}
			zootest.LoadTensors(t, zootest.Params(b), g.Params)
			x := autograd.Const(g.Input.Value())
			tp := autograd.NewTape()
			logits := m.Forward(&nn.Ctx{Tape: tp}, x)
			if e := zootest.L2RelErr(logits.Value.Data, g.Logits.Data); e > 1e-4 {
				t.Errorf("logits: normwise relative error %.3g > 1e-4", e)
			} else {
				t.Logf("logits: normwise relative error %.3g", e)
			}
			tp.BackwardFrom(logits, g.R.Value())
			for _, p := range b.Params() {
				gg, ok := g.Grads[p.Name]
				if !ok {
					continue
				}
				if e := zootest.L2RelErr(p.Grad.Data, gg.Data); e > 1e-4 {
					t.Errorf("grad %s: normwise relative error %.3g > 1e-4", p.Name, e)
				} else {
					t.Logf("grad %s: normwise relative error %.3g", p.Name, e)
				}
			}
		})
	}
}

// TestNames checks timm's parameter names on a Mixer and a ResMLP block.
func TestNames(t *testing.T) {
	want := map[string]string{
		"mixer_s32_224": "stem.proj.weight stem.proj.bias blocks.0.norm1.weight blocks.0.norm1.bias " +
			"blocks.0.mlp_tokens.fc1.weight blocks.0.mlp_tokens.fc1.bias blocks.0.mlp_tokens.fc2.weight blocks.0.mlp_tokens.fc2.bias " +
			"blocks.0.norm2.weight blocks.0.norm2.bias blocks.0.mlp_channels.fc1.weight blocks.0.mlp_channels.fc1.bias " +
			"blocks.0.mlp_channels.fc2.weight blocks.0.mlp_channels.fc2.bias",
		"resmlp_12_224": "stem.proj.weight stem.proj.bias blocks.0.norm1.alpha blocks.0.norm1.beta " +
			"blocks.0.linear_tokens.weight blocks.0.linear_tokens.bias blocks.0.norm2.alpha blocks.0.norm2.beta " +
			"blocks.0.mlp_channels.fc1.weight blocks.0.mlp_channels.fc1.bias blocks.0.mlp_channels.fc2.weight " +
			"blocks.0.mlp_channels.fc2.bias blocks.0.ls1 blocks.0.ls2",
	}
	tail := map[string]string{
		"mixer_s32_224": "norm.weight norm.bias head.weight head.bias",
		"resmlp_12_224": "norm.alpha norm.beta head.weight head.bias",
	}
	for name, w := range want {
		v := zootest.Variant(t, Variants(), name)
		b := nn.NewBuilder(nil, true)
		v.New(b, v.Resolve(arch.Options{}))
		var got []string
		for _, p := range b.Params() {
			got = append(got, p.Name)
		}
		head := strings.Fields(w)
		end := strings.Fields(tail[name])
		if g := strings.Join(got[:len(head)], " "); g != strings.Join(head, " ") {
			t.Errorf("%s: first names\n%s\nwant\n%s", name, g, w)
		}
		if g := strings.Join(got[len(got)-len(end):], " "); g != tail[name] {
			t.Errorf("%s: last names %s, want %s", name, g, tail[name])
		}
	}
}

// TestInit checks timm's Mixer initialisation on the twins: zero head,
// unit norms, layer scales from the table, Xavier-uniform linears with
// N(0, 1e-6²) MLP biases and a zero linear_tokens bias, LeCun-normal stem.
func TestInit(t *testing.T) {
	stats := func(d []float32) (mean, std, maxAbs float64) {
		for _, v := range d {
			mean += float64(v)
			maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
		}
		mean /= float64(len(d))
		for _, v := range d {
			std += (float64(v) - mean) * (float64(v) - mean)
		}
		return mean, math.Sqrt(std / float64(len(d))), maxAbs
	}
	for _, name := range []string{"mixer_s_r32", "resmlp_12_r32"} {
		v := zootest.Variant(t, Variants(), name)
		cfg := configOf(t, name)
		o := v.Resolve(arch.Options{})
		b := nn.NewBuilder(tensor.NewRand(14), false)
		v.New(b, o)
		for _, p := range b.Params() {
			d := p.Value.Data
			_, std, maxAbs := stats(d)
			s := p.Value.Shape
			n := p.Name
			switch {
			case strings.HasPrefix(n, "head."):
				if !zootest.AllZero(p.Value.Data) {
					t.Errorf("%s %s: not zero", name, n)
				}
			case strings.HasSuffix(n, ".ls1") || strings.HasSuffix(n, ".ls2"):
				for _, x := range d {
					if x != cfg.LayerScale {
						t.Fatalf("%s %s: %g, want %g", name, n, x, cfg.LayerScale)
					}
				}
			case strings.Contains(n, "norm") && (strings.HasSuffix(n, ".weight") || strings.HasSuffix(n, ".alpha")):
				if _, std, _ := stats(d); std != 0 || d[0] != 1 {
					t.Errorf("%s %s: not ones", name, n)
				}
			case strings.Contains(n, "norm") || n == "stem.proj.bias" || strings.HasSuffix(n, "linear_tokens.bias"):
				if !zootest.AllZero(p.Value.Data) {
					t.Errorf("%s %s: not zero", name, n)
				}
			case n == "stem.proj.weight":
				want := math.Sqrt(1 / float64(s[1]*s[2]*s[3]))
				if math.Abs(std/want-1) > 0.1 || maxAbs > 2*want/0.87962566103423978 {
					t.Errorf("%s %s: std %.4f (want %.4f), max %.4f", name, n, std, want, maxAbs)
				}
			case strings.HasSuffix(n, ".weight"):
				bound := math.Sqrt(6 / float64(s[0]+s[1]))
				if maxAbs > bound || math.Abs(std/(bound/math.Sqrt(3))-1) > 0.1 {
					t.Errorf("%s %s: std %.4f, max %.4f; want U(±%.4f)", name, n, std, maxAbs, bound)
				}
			case strings.HasSuffix(n, ".bias"): // MLP biases
				if maxAbs > 1e-5 || zootest.AllZero(p.Value.Data) {
					t.Errorf("%s %s: max |b| %.3g, want N(0, 1e-6²)", name, n, maxAbs)
				}
			default:
				t.Errorf("%s: unexpected parameter %s", name, n)
			}
		}
	}
}
