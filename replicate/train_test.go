package replicate

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/data"
)

// tinySplits is a seeded synthetic task: 200 training, 50 validation and
// 100 test images of 28x28.
func tinySplits(t *testing.T) *Splits {
	train := data.Synthetic(250, 10, 1, 28, 28, 11)
	test := data.Synthetic(100, 10, 1, 28, 28, 12)
	tr, val, err := data.StratifiedSplit(train, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &Splits{Train: train, TrainIdx: tr, ValIdx: val, Test: test}
}

func tinyConfig() TrainConfig {
	return TrainConfig{
		Model: "resnet18_r28", Epochs: 2, Batch: 20, EvalBatch: 50,
		Optimizer: "adamw", LR: 2e-3, MinLR: 1e-5, WarmupEpochs: 0.5, WarmupLR: 1e-5, Schedule: "cosine", WeightDecay: 0.05,
		LabelSmoothing: 0.1, DropPath: 0.1, EMADecay: 0.9,
		Aug:     data.AugConfig{RandomCropPad: 2, HFlip: true, Mean: []float32{0.5}, Std: []float32{0.25}},
		Distill: "none",
	}
}

func files(t *testing.T, dir string, names ...string) [][]byte {
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestResumeIsBitExact: a run stopped mid-epoch and resumed from its
// checkpoint ends with the same bits as one that never stopped.
func TestResumeIsBitExact(t *testing.T) {
	sp := tinySplits(t)
	straight := RunSpec{Dir: t.TempDir(), Name: "straight", Config: tinyConfig(), Seed: 3, Data: sp}
	want, err := Train(straight)
	if err != nil {
		t.Fatal(err)
	}
	broken := RunSpec{Dir: t.TempDir(), Name: "broken", Config: tinyConfig(), Seed: 3, Data: sp, CheckpointEvery: 3, stopAfter: 4}
	if _, err := Train(broken); !errors.Is(err, errStopped) {
		t.Fatalf("stop hook: %v", err)
	}
	broken.stopAfter = 0
	got, err := Train(broken)
	if err != nil {
		t.Fatal(err)
	}
	a := files(t, straight.Dir, "last.safetensors", "best.safetensors")
	b := files(t, broken.Dir, "last.safetensors", "best.safetensors")
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("checkpoint %d differs after resuming", i)
		}
	}
	if got.Test != want.Test || got.Val != want.Val || len(got.Epochs) != len(want.Epochs) || got.Epochs[1].TrainLoss != want.Epochs[1].TrainLoss {
		t.Fatalf("results differ: %+v vs %+v", got.Test, want.Test)
	}
	// A finished run is returned, not rerun; a changed recipe is refused.
	again, err := Train(broken)
	if err != nil || again.Hash != got.Hash {
		t.Fatalf("rerun of a finished run: %v", err)
	}
	changed := broken
	changed.Config.LR = 1e-3
	if _, err := Train(changed); err == nil || !strings.Contains(err.Error(), "another recipe") {
		t.Fatalf("changed recipe: %v", err)
	}
}

func TestSameBitsAnyGOMAXPROCS(t *testing.T) {
	sp := tinySplits(t)
	cfg := tinyConfig()
	cfg.Epochs = 1
	var ckpts [][]byte
	for _, procs := range []int{1, 2} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			spec := RunSpec{Dir: t.TempDir(), Name: "p", Config: cfg, Seed: 5, Data: sp}
			if _, err := Train(spec); err != nil {
				t.Fatal(err)
			}
			ckpts = append(ckpts, files(t, spec.Dir, "last.safetensors")[0])
		}()
	}
	if !bytes.Equal(ckpts[0], ckpts[1]) {
		t.Fatal("GOMAXPROCS=1 and 2 trained different weights")
	}
}

// TestPinnedLossTrajectory pins the training losses of a tiny run: any
// change to the numerics shows here. (Values from this code at the commit
// that added the test; the tolerance absorbs the difference between the
// FMA and pure-Go kernel paths, not a change of algorithm.)
func TestPinnedLossTrajectory(t *testing.T) {
	cfg := tinyConfig()
	cfg.Epochs = 3
	r, err := Train(RunSpec{Dir: t.TempDir(), Name: "pin", Config: cfg, Seed: 7, Data: tinySplits(t)})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, e := range r.Epochs {
		got = append(got, e.TrainLoss)
	}
	want := pinnedLosses
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-4*math.Abs(want[i]) {
			t.Fatalf("epoch losses %v, pinned %v", got, want)
		}
	}
	if got[2] >= got[0] {
		t.Fatalf("the loss did not fall: %v", got)
	}
}

func TestNaNLossIsAClearError(t *testing.T) {
	cfg := tinyConfig()
	cfg.LR, cfg.WarmupEpochs, cfg.MinLR = 1e12, 0, 0
	_, err := Train(RunSpec{Dir: t.TempDir(), Name: "nan", Config: cfg, Seed: 1, Data: tinySplits(t)})
	if !errors.Is(err, ErrNaN) || !strings.Contains(err.Error(), "lower the learning rate") || !strings.Contains(err.Error(), "epoch 0 step") {
		t.Fatalf("got %v", err)
	}
}

func TestBadConfigsNameTheField(t *testing.T) {
	for field, mutate := range map[string]func(*TrainConfig){
		"epochs":          func(c *TrainConfig) { c.Epochs = 0 },
		"lr":              func(c *TrainConfig) { c.LR = -1 },
		"warmup_epochs":   func(c *TrainConfig) { c.WarmupEpochs = 5 },
		"optimizer":       func(c *TrainConfig) { c.Optimizer = "lion" },
		"label_smoothing": func(c *TrainConfig) { c.LabelSmoothing = 1 },
		"teacher":         func(c *TrainConfig) { c.Distill = "hard" },
		"distill":         func(c *TrainConfig) { c.Distill = "medium" },
	} {
		c := tinyConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
	c := tinyConfig()
	c.Model = "resnet19_r28"
	if _, err := Train(RunSpec{Dir: t.TempDir(), Config: c, Data: tinySplits(t)}); err == nil || !strings.Contains(err.Error(), "resnet18_r28") {
		t.Fatalf("unknown model: %v", err)
	}
}
