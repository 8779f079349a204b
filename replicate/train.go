package replicate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/checkpoint"
	"github.com/reprise-ml/reprise/engine/data"
	"github.com/reprise-ml/reprise/engine/loss"
	"github.com/reprise-ml/reprise/engine/nn"
	"github.com/reprise-ml/reprise/engine/optim"
	"github.com/reprise-ml/reprise/engine/tensor"
	"github.com/reprise-ml/reprise/replicate/render"
	"github.com/reprise-ml/reprise/zoo"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Splits are the data of a run: training and validation images (both
// index lists into Train: the validation split is carved from the training
// set), and the test set, used once at the end.
type Splits struct {
	Train    *data.Dataset
	TrainIdx []int
	ValIdx   []int
	Test     *data.Dataset
	// Notice says what was substituted, if anything (a fallback dataset).
	Notice string
}

// ID identifies the data for run hashes and provenance.
func (s *Splits) ID() string {
	return fmt.Sprintf("%s|%s|train=%d|val=%d", s.Train.Name, s.Train.Checksum, len(s.TrainIdx), len(s.ValIdx))
}

// RunSpec is one training run.
type RunSpec struct {
	Dir      string // run directory (created)
	Name     string // shown in progress lines
	Config   TrainConfig
	Seed     uint64
	Data     *Splits
	Teacher  arch.Model // evaluated in eval mode for distillation; nil without
	Progress io.Writer  // nil: silent
	// CheckpointEvery also saves the last checkpoint every n steps (0:
	// only at the end of each epoch).
	CheckpointEvery int

	stopAfter int // tests: stop like a crash after this many steps
}

// EpochLog is one line of a run's log.jsonl.
type EpochLog struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"`
	LR        float64 `json:"lr"`
	Val       Metrics `json:"val"`
	Seconds   float64 `json:"seconds"`   // wall time of the epoch (not part of the result's bits)
	ImgPerSec float64 `json:"img_per_s"` // training throughput
	Resumed   bool    `json:"resumed,omitempty"`
}

// Result is a finished run.
type Result struct {
	Name         string      `json:"name"`
	Config       TrainConfig `json:"config"`
	Seed         uint64      `json:"seed"`
	Hash         string      `json:"hash"`
	Params       int64       `json:"params"`
	TrainImages  int         `json:"train_images"`
	Epochs       []EpochLog  `json:"epochs"`
	BestEpoch    int         `json:"best_epoch"`
	Val          Metrics     `json:"val"`  // at the best epoch
	Test         Metrics     `json:"test"` // of the best checkpoint, measured once
	StoppedEarly bool        `json:"stopped_early"`
	Notice       string      `json:"notice,omitempty"`
	Provenance   Provenance  `json:"provenance"`
}

var errStopped = errors.New("replicate: run stopped (test hook)")

// ErrNaN is wrapped by Train when the loss stops being finite.
var ErrNaN = errors.New("loss is not finite")

// Train runs spec to completion, resuming from the run directory's last
// checkpoint if there is one, and returns the result, also written to
// Dir/result.json. A finished run with the same hash is returned as is.
func Train(spec RunSpec) (*Result, error) {
	cfg := spec.Config
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	dcfg, _ := cfg.distillConfig()
	if dcfg.Mode != loss.NoDistill && spec.Teacher == nil {
		return nil, fmt.Errorf("%s: distillation %q without a teacher model", spec.Name, cfg.Distill)
	}
	hash := runHash(cfg, spec.Seed, spec.Data.ID())
	resultPath := filepath.Join(spec.Dir, "result.json")
	if b, err := os.ReadFile(resultPath); err == nil {
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %s is corrupt (%v): delete it to rerun", spec.Name, resultPath, err)
		}
		if r.Hash != hash {
			return nil, fmt.Errorf("%s: %s holds a run of another recipe, seed or data (hash %s, now %s): delete the folder or choose another --out", spec.Name, spec.Dir, r.Hash, hash)
		}
		return &r, nil
	}
	start := time.Now()
	tr := spec.Data.Train
	m, err := zoo.New(cfg.Model, arch.Options{NumClasses: tr.Classes, InChans: tr.C, ImgSize: tr.H, DropPath: cfg.DropPath, Dropout: cfg.Dropout}, spec.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	if tr.H != tr.W {
		return nil, fmt.Errorf("%s: images are %dx%d; the zoo builds square inputs", spec.Name, tr.H, tr.W)
	}
	distilled, isDistilled := m.Model.(arch.Distilled)
	if isDistilled && dcfg.Mode == loss.NoDistill {
		return nil, fmt.Errorf("%s: model %s has a distillation head but the recipe has no distillation: use its class-token twin or set distill", spec.Name, cfg.Model)
	}

	// Optimiser, schedule, EMA.
	var opt optim.Optimizer
	switch cfg.Optimizer {
	case "adamw":
		opt = optim.NewAdam(m.Params, 0.9, 0.999, 1e-8, cfg.WeightDecay, true)
	case "adam":
		opt = optim.NewAdam(m.Params, 0.9, 0.999, 1e-8, cfg.WeightDecay, false)
	case "sgd":
		opt = optim.NewSGD(m.Params, cfg.Momentum, cfg.WeightDecay, cfg.Nesterov)
	case "rmsprop_tf":
		opt = optim.NewRMSPropTF(m.Params, 0.9, cfg.Momentum, 1e-3, cfg.WeightDecay)
	}
	var sched optim.Schedule
	switch cfg.Schedule {
	case "cosine":
		sched = optim.Cosine{Base: cfg.LR, Min: cfg.MinLR, Period: float64(cfg.Epochs) - cfg.WarmupEpochs, Offset: cfg.WarmupEpochs}
	case "step":
		sched = optim.Step{Base: cfg.LR, Gamma: cfg.StepGamma, Every: cfg.StepEvery}
	case "constant":
		sched = optim.Step{Base: cfg.LR, Gamma: 1, Every: math.Inf(1)}
	}
	if cfg.WarmupEpochs > 0 {
		sched = optim.Warmup{Epochs: cfg.WarmupEpochs, Start: cfg.WarmupLR, Then: sched}
	}
	var ema *optim.EMA
	if cfg.EMADecay > 0 {
		ema = optim.NewEMA(cfg.EMADecay, m.Params, m.Buffers)
	}

	// Data.
	// The recipe's label smoothing is the one source of ε: hard labels are
	// smoothed by smoothTargets, mixed ones by the Mixup/CutMix transform.
	aug := cfg.Aug
	if aug.Mixup > 0 || aug.CutMix > 0 {
		aug.LabelSmoothing = cfg.LabelSmoothing
	}
	st, bt, err := data.Pipeline(aug, tr.C, tr.H, tr.W, tr.Classes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	train, err := data.NewLoader(tr, spec.Data.TrainIdx, data.LoaderConfig{Batch: cfg.Batch, Shuffle: true, DropLast: true, Repeats: cfg.Repeats, Seed: spec.Seed, Prefetch: 2}, st, bt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	evalT, _, _ := data.Pipeline(data.AugConfig{Mean: cfg.Aug.Mean, Std: cfg.Aug.Std}, tr.C, tr.H, tr.W, tr.Classes)
	val, err := data.NewLoader(tr, spec.Data.ValIdx, data.LoaderConfig{Batch: cfg.EvalBatch, Prefetch: 1}, evalT, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: validation: %w", spec.Name, err)
	}
	test, err := data.NewLoader(spec.Data.Test, nil, data.LoaderConfig{Batch: cfg.EvalBatch, Prefetch: 1}, evalT, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: test: %w", spec.Name, err)
	}

	// What a checkpoint holds.
	var weights []checkpoint.Tensor
	for _, p := range m.Params {
		weights = append(weights, checkpoint.Tensor{Name: p.Name, Value: p.Value})
	}
	for _, b := range m.Buffers {
		weights = append(weights, checkpoint.Tensor{Name: b.Name, Value: b.Value})
	}
	state := append([]checkpoint.Tensor(nil), weights...)
	for _, s := range opt.State() {
		state = append(state, checkpoint.Tensor{Name: "optim." + s.Name, Value: s.Value})
	}
	if ema != nil {
		for _, s := range ema.State() {
			state = append(state, checkpoint.Tensor{Name: s.Name, Value: s.Value})
		}
	}
	lastPath, bestPath := filepath.Join(spec.Dir, "last.safetensors"), filepath.Join(spec.Dir, "best.safetensors")
	logPath := filepath.Join(spec.Dir, "log.jsonl")

	// Resume.
	cur := cursor{BestEpoch: -1}
	var history []EpochLog
	if _, err := os.Stat(lastPath); err == nil {
		meta, err := checkpoint.LoadInto(lastPath, state)
		if err != nil {
			return nil, fmt.Errorf("%s: resuming: %w", spec.Name, err)
		}
		if meta["hash"] != hash {
			return nil, fmt.Errorf("%s: %s was written by another recipe, seed or data (hash %s, now %s): delete the folder to start over, or choose another --out", spec.Name, lastPath, meta["hash"], hash)
		}
		if cur, err = parseCursor(meta); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", spec.Name, lastPath, err)
		}
		if history, err = readLog(logPath, cur.Epoch); err != nil {
			return nil, fmt.Errorf("%s: %w", spec.Name, err)
		}
	} else if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(spec.Dir, "recipe.json"), struct {
		Config TrainConfig `json:"config"`
		Seed   uint64      `json:"seed"`
		Data   string      `json:"data"`
		Hash   string      `json:"hash"`
	}{cfg, spec.Seed, spec.Data.ID(), hash}); err != nil {
		return nil, err
	}

	saveLast := func() error {
		return checkpoint.Save(lastPath, state, cur.meta(hash))
	}
	steps := train.StepsPerEpoch()
	resumedAt := cur.Epoch
	prog := newProgress(spec.Progress, spec.Name, cfg.Epochs*steps)
	if cur.Epoch > 0 || cur.Step > 0 {
		prog.line("resuming at epoch %d step %d", cur.Epoch, cur.Step)
	}
	ran := 0
	// One tape for the whole run, reset every step, so that the buffers of
	// a step's values and gradients are recycled; likewise for the teacher.
	tp, teacherTape := autograd.NewTape(), autograd.NoGrad()
	for epoch := cur.Epoch; epoch < cfg.Epochs && !cur.Stopped; epoch++ {
		epochStart, images := time.Now(), 0
		var lr float64
		err := train.Epoch(epoch, cur.Step, func(b *data.Batch) error {
			lr = sched.LR(float64(epoch) + float64(b.Step)/float64(steps))
			tp.Reset()
			ctx := &nn.Ctx{Tape: tp, Train: true, RNG: rand.New(rand.NewPCG(spec.Seed^0xd409, uint64(epoch)<<32|uint64(b.Step)))}
			x := autograd.Const(b.X)
			var cls, dist *autograd.Var
			if isDistilled {
				cls, dist = distilled.ForwardBoth(ctx, x)
			} else {
				cls = m.Forward(ctx, x)
			}
			target := b.Target
			if target == nil {
				target = smoothTargets(b.Labels, tr.Classes, cfg.LabelSmoothing)
			}
			var teacher *tensor.Tensor
			if dcfg.Mode != loss.NoDistill {
				teacherTape.Reset()
				teacher = spec.Teacher.Forward(&nn.Ctx{Tape: teacherTape}, autograd.Const(b.X)).Value
			}
			l := loss.DeiT(tp, cls, dist, target, teacher, dcfg)
			lv := float64(l.Value.Data[0])
			if math.IsNaN(lv) || math.IsInf(lv, 0) {
				return fmt.Errorf("%s: epoch %d step %d: %w (%v) at learning rate %.3g: lower the learning rate or check the data; the last checkpoint is kept", spec.Name, epoch, b.Step, ErrNaN, lv, lr)
			}
			tp.Backward(l)
			if cfg.ClipGrad > 0 {
				optim.ClipGradNorm(m.Params, cfg.ClipGrad)
			}
			opt.Step(lr)
			for _, p := range m.Params {
				p.ZeroGrad()
			}
			if ema != nil {
				ema.Update()
			}
			cur.LossSum += lv
			cur.LossN++
			cur.Step = b.Step + 1
			images += len(b.Labels)
			ran++
			prog.step(epoch*steps+cur.Step, len(b.Labels), lv, lr)
			if spec.CheckpointEvery > 0 && cur.Step%spec.CheckpointEvery == 0 && cur.Step < steps {
				if err := saveLast(); err != nil {
					return err
				}
			}
			if spec.stopAfter > 0 && ran >= spec.stopAfter {
				return errStopped
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		// End of epoch: validate (the EMA weights when the recipe keeps an EMA).
		if ema != nil {
			ema.Swap()
		}
		vm, err := Evaluate(m.Model, val)
		if err == nil && (cur.BestEpoch < 0 || vm.Top1 > cur.BestTop1) {
			cur.BestTop1, cur.BestEpoch, cur.Bad = vm.Top1, epoch, 0
			err = checkpoint.Save(bestPath, weights, map[string]string{"hash": hash, "epoch": strconv.Itoa(epoch)})
		} else {
			cur.Bad++
		}
		if ema != nil {
			ema.Swap()
		}
		if err != nil {
			return nil, err
		}
		secs := time.Since(epochStart).Seconds()
		history = append(history, EpochLog{Epoch: epoch, TrainLoss: cur.LossSum / float64(max(cur.LossN, 1)), LR: lr, Val: vm,
			Seconds: secs, ImgPerSec: float64(images) / max(secs, 1e-9), Resumed: images < steps*cfg.Batch})
		prog.line("epoch %d: train loss %.4f, val top-1 %.2f%% (best %.2f%% at epoch %d)", epoch, history[len(history)-1].TrainLoss, vm.Top1, cur.BestTop1, cur.BestEpoch)
		cur.Epoch, cur.Step, cur.LossSum, cur.LossN = epoch+1, 0, 0, 0
		if cfg.Patience > 0 && cur.Bad >= cfg.Patience {
			cur.Stopped = true
			prog.line("early stop: no validation improvement for %d epochs", cfg.Patience)
		}
		if err := writeLog(logPath, history); err != nil {
			return nil, err
		}
		if err := saveLast(); err != nil {
			return nil, err
		}
	}

	// Test the best checkpoint, once.
	if _, err := checkpoint.LoadInto(bestPath, weights); err != nil {
		return nil, fmt.Errorf("%s: loading the best checkpoint: %w", spec.Name, err)
	}
	tm, err := Evaluate(m.Model, test)
	if err != nil {
		return nil, err
	}
	prov := collectProvenance()
	prov.Dataset, prov.DataSum, prov.Seed = tr.Name, tr.Checksum, spec.Seed
	// This invocation's time plus the epochs that earlier ones ran.
	prov.WallSeconds = time.Since(start).Seconds()
	for _, h := range history[:resumedAt] {
		prov.WallSeconds += h.Seconds
	}
	r := &Result{Name: spec.Name, Config: cfg, Seed: spec.Seed, Hash: hash, Params: nn.CountParams(m.Params, ""), TrainImages: len(spec.Data.TrainIdx), Epochs: history,
		BestEpoch: cur.BestEpoch, Val: history[cur.BestEpoch].Val, Test: tm, StoppedEarly: cur.Stopped, Notice: spec.Data.Notice, Provenance: prov}
	if err := writeJSON(resultPath, r); err != nil {
		return nil, err
	}
	prog.line("done: best epoch %d, val top-1 %.2f%%, test top-1 %.2f%% (%.0f s)", r.BestEpoch, r.Val.Top1, r.Test.Top1, prov.WallSeconds)
	return r, nil
}

// smoothTargets returns one-hot targets with label smoothing eps.
func smoothTargets(labels []int, classes int, eps float32) *tensor.Tensor {
	t := tensor.New(len(labels), classes)
	for i, y := range labels {
		row := t.Data[i*classes : (i+1)*classes]
		for j := range row {
			row[j] = eps / float32(classes)
		}
		row[y] += 1 - eps
	}
	return t
}

// cursor is where a run is, saved in its checkpoint's metadata.
type cursor struct {
	Epoch, Step int
	LossSum     float64
	LossN       int
	BestTop1    float64
	BestEpoch   int
	Bad         int
	Stopped     bool
}

func (c cursor) meta(hash string) map[string]string {
	return map[string]string{
		"hash": hash, "epoch": strconv.Itoa(c.Epoch), "step": strconv.Itoa(c.Step),
		"loss_sum": strconv.FormatFloat(c.LossSum, 'g', -1, 64), "loss_n": strconv.Itoa(c.LossN),
		"best_top1": strconv.FormatFloat(c.BestTop1, 'g', -1, 64), "best_epoch": strconv.Itoa(c.BestEpoch),
		"bad_epochs": strconv.Itoa(c.Bad), "stopped": strconv.FormatBool(c.Stopped),
	}
}

func parseCursor(m map[string]string) (cursor, error) {
	var c cursor
	var errs []error
	atoi := func(k string) int {
		v, err := strconv.Atoi(m[k])
		errs = append(errs, err)
		return v
	}
	atof := func(k string) float64 {
		v, err := strconv.ParseFloat(m[k], 64)
		errs = append(errs, err)
		return v
	}
	c.Epoch, c.Step, c.LossN, c.BestEpoch, c.Bad = atoi("epoch"), atoi("step"), atoi("loss_n"), atoi("best_epoch"), atoi("bad_epochs")
	c.LossSum, c.BestTop1 = atof("loss_sum"), atof("best_top1")
	c.Stopped = m["stopped"] == "true"
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("checkpoint metadata: %w", err)
	}
	return c, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return render.WriteFileAtomic(path, func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
}

func writeLog(path string, history []EpochLog) error {
	return render.WriteFileAtomic(path, func(f *os.File) error {
		enc := json.NewEncoder(f)
		for _, h := range history {
			if err := enc.Encode(h); err != nil {
				return err
			}
		}
		return nil
	})
}

// readLog reads the first epochs lines of a run's log.
func readLog(path string, epochs int) ([]EpochLog, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && epochs == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("reading the log to resume: %w", err)
	}
	defer f.Close()
	var out []EpochLog
	s := bufio.NewScanner(f)
	for s.Scan() && len(out) < epochs {
		var h EpochLog
		if err := json.Unmarshal(s.Bytes(), &h); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, len(out)+1, err)
		}
		out = append(out, h)
	}
	if len(out) < epochs {
		return nil, fmt.Errorf("%s has %d epochs, the checkpoint %d: delete the run folder to start over", path, len(out), epochs)
	}
	return out, nil
}
