package replicate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/reprise-ml/reprise/engine/data"
	"github.com/reprise-ml/reprise/engine/loss"
)

// TrainConfig is everything a training run depends on besides its seed and
// data. It is saved with the run; its hash guards resumption.
type TrainConfig struct {
	Model    string  `json:"model"`
	DropPath float32 `json:"drop_path"`
	Dropout  float32 `json:"dropout"`

	Epochs int `json:"epochs"`
	Batch  int `json:"batch"`

	Optimizer    string  `json:"optimizer"` // adamw, adam, sgd, rmsprop_tf
	LR           float64 `json:"lr"`        // peak learning rate, after any scaling rule
	MinLR        float64 `json:"min_lr"`
	WarmupEpochs float64 `json:"warmup_epochs"`
	WarmupLR     float64 `json:"warmup_lr"`
	Schedule     string  `json:"schedule"` // cosine, step, constant
	StepEvery    float64 `json:"step_every,omitempty"`
	StepGamma    float64 `json:"step_gamma,omitempty"`
	WeightDecay  float32 `json:"weight_decay"`
	Momentum     float32 `json:"momentum,omitempty"`
	Nesterov     bool    `json:"nesterov,omitempty"`
	ClipGrad     float64 `json:"clip_grad,omitempty"`
	EMADecay     float32 `json:"ema_decay,omitempty"`

	LabelSmoothing float32        `json:"label_smoothing"`
	Aug            data.AugConfig `json:"aug"`
	Repeats        int            `json:"repeats,omitempty"` // repeated augmentation

	Distill      string  `json:"distill"` // none, soft, hard
	DistillTau   float32 `json:"distill_tau,omitempty"`
	DistillAlpha float32 `json:"distill_lambda,omitempty"`
	Teacher      string  `json:"teacher,omitempty"` // experiment whose best checkpoint teaches

	Patience  int `json:"patience,omitempty"` // early stopping on validation top-1; 0: off
	EvalBatch int `json:"eval_batch"`
}

// distillConfig returns the loss package's view of the distillation
// settings.
func (c TrainConfig) distillConfig() (loss.DistillConfig, error) {
	switch c.Distill {
	case "", "none":
		return loss.DistillConfig{Mode: loss.NoDistill}, nil
	case "soft":
		return loss.DistillConfig{Mode: loss.SoftDistill, Lambda: c.DistillAlpha, Tau: c.DistillTau}, nil
	case "hard":
		return loss.DistillConfig{Mode: loss.HardDistill}, nil
	}
	return loss.DistillConfig{}, fmt.Errorf("distill %q: want none, soft or hard", c.Distill)
}

// Validate reports settings that make no sense, naming the field.
func (c TrainConfig) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("recipe: %s = %v: %s", field, v, want)
	}
	switch {
	case c.Model == "":
		return fmt.Errorf("recipe: no model")
	case c.Epochs < 1:
		return bad("epochs", c.Epochs, "want at least 1")
	case c.Batch < 1:
		return bad("batch", c.Batch, "want at least 1")
	case c.EvalBatch < 1:
		return bad("eval_batch", c.EvalBatch, "want at least 1")
	case !(c.LR > 0):
		return bad("lr", c.LR, "want a positive learning rate")
	case c.MinLR < 0 || c.MinLR > c.LR:
		return bad("min_lr", c.MinLR, "want 0 <= min_lr <= lr")
	case c.WarmupEpochs < 0 || c.WarmupEpochs >= float64(c.Epochs):
		return bad("warmup_epochs", c.WarmupEpochs, fmt.Sprintf("want [0, epochs=%d)", c.Epochs))
	case c.WeightDecay < 0:
		return bad("weight_decay", c.WeightDecay, "want >= 0")
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return bad("label_smoothing", c.LabelSmoothing, "want [0, 1)")
	case c.DropPath < 0 || c.DropPath >= 1:
		return bad("drop_path", c.DropPath, "want [0, 1)")
	case c.EMADecay < 0 || c.EMADecay >= 1:
		return bad("ema_decay", c.EMADecay, "want [0, 1)")
	case c.Repeats < 0:
		return bad("repeats", c.Repeats, "want >= 0")
	case c.Patience < 0:
		return bad("patience", c.Patience, "want >= 0")
	case c.Aug.LabelSmoothing != 0:
		return bad("aug.label_smoothing", c.Aug.LabelSmoothing, "set label_smoothing at the recipe level: it feeds both the loss and Mixup/CutMix")
	}
	switch c.Optimizer {
	case "adamw", "adam", "sgd", "rmsprop_tf":
	default:
		return bad("optimizer", c.Optimizer, "want adamw, adam, sgd or rmsprop_tf")
	}
	switch c.Schedule {
	case "cosine", "constant":
	case "step":
		if c.StepEvery <= 0 || c.StepGamma <= 0 || c.StepGamma > 1 {
			return fmt.Errorf("recipe: step schedule needs step_every > 0 and step_gamma in (0, 1]")
		}
	default:
		return bad("schedule", c.Schedule, "want cosine, step or constant")
	}
	d, err := c.distillConfig()
	if err != nil {
		return fmt.Errorf("recipe: %w", err)
	}
	if d.Mode != loss.NoDistill && c.Teacher == "" {
		return fmt.Errorf("recipe: distill %q needs a teacher", c.Distill)
	}
	if d.Mode == loss.SoftDistill && (c.DistillTau <= 0 || c.DistillAlpha <= 0 || c.DistillAlpha > 1) {
		return fmt.Errorf("recipe: soft distillation needs distill_tau > 0 and distill_lambda in (0, 1]")
	}
	return nil
}

// hash identifies a run: its config, seed and data.
func runHash(c TrainConfig, seed uint64, dataID string) string {
	b, _ := json.Marshal(struct {
		Config TrainConfig `json:"config"`
		Seed   uint64      `json:"seed"`
		Data   string      `json:"data"`
	}{c, seed, dataID})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}
