// Package loss holds the training objectives of the papers: cross-entropy
// with label smoothing, soft-target cross-entropy (Mixup, CutMix),
// knowledge distillation at a temperature (Hinton et al.), hard
// distillation and DeiT's class-token + distillation-token objective.
//
// Every loss is a composition of autograd ops and returns a scalar Var,
// the mean over the batch.
package loss

import (
	"fmt"

	"github.com/reprise-ml/reprise/engine/autograd"
	"github.com/reprise-ml/reprise/engine/tensor"
)

func checkLogits(name string, logits *autograd.Var) (n, k int) {
	s := logits.Shape()
	if len(s) != 2 || s[0] == 0 || s[1] == 0 {
		panic(fmt.Sprintf("loss: %s: logits %v, want [batch, classes]", name, s))
	}
	return s[0], s[1]
}

// CrossEntropy returns the mean over the batch of the cross-entropy between
// softmax(logits) [N, K] and labels smoothed by eps: the target puts
// 1-eps+eps/K on the label and eps/K elsewhere (Szegedy et al. 2016), as
// torch.nn.functional.cross_entropy(logits, labels, label_smoothing=eps).
func CrossEntropy(tp *autograd.Tape, logits *autograd.Var, labels []int, eps float32) *autograd.Var {
	n, k := checkLogits("CrossEntropy", logits)
	if len(labels) != n {
		panic(fmt.Sprintf("loss: CrossEntropy: %d labels for logits %v", len(labels), logits.Shape()))
	}
	if eps < 0 || eps >= 1 {
		panic(fmt.Sprintf("loss: CrossEntropy: label smoothing %g outside [0, 1)", eps))
	}
	tv := tp.NewConst(n, k)
	target := tv.Value
	for i, y := range labels {
		if y < 0 || y >= k {
			panic(fmt.Sprintf("loss: CrossEntropy: label %d of sample %d outside [0, %d)", y, i, k))
		}
		row := target.Data[i*k : (i+1)*k]
		for j := range row {
			row[j] = eps / float32(k)
		}
		row[y] += 1 - eps
	}
	return softTargetCrossEntropy(tp, logits, tv)
}

// SoftTargetCrossEntropy returns mean_i Σ_k -target[i,k]·log softmax(logits)[i,k]
// for targets [N, K] whose rows sum to 1 (the mixed labels of Mixup and
// CutMix; timm's SoftTargetCrossEntropy).
func SoftTargetCrossEntropy(tp *autograd.Tape, logits *autograd.Var, target *tensor.Tensor) *autograd.Var {
	checkLogits("SoftTargetCrossEntropy", logits)
	if !tensor.SameShape(target.Shape, logits.Shape()) {
		panic(fmt.Sprintf("loss: SoftTargetCrossEntropy: target %v, logits %v", target.Shape, logits.Shape()))
	}
	return softTargetCrossEntropy(tp, logits, autograd.Const(target))
}

// softTargetCrossEntropy is SoftTargetCrossEntropy for a checked target
// already wrapped as a constant.
func softTargetCrossEntropy(tp *autograd.Tape, logits, target *autograd.Var) *autograd.Var {
	n := logits.Shape()[0]
	logp := tp.LogSoftmax(logits, -1)
	return tp.Scale(tp.Sum(tp.Mul(logp, target), nil, false), -1/float32(n))
}

// KLDistillation returns T² · mean_i KL(softmax(teacher_i/T) ‖ softmax(student_i/T)),
// the soft-target term of Hinton et al. (arXiv:1503.02531), scaled by T² so
// that its gradients keep their size as T changes. The teacher's logits
// are constants. (DeiT's code divides the summed KL by N·K instead of N;
// we follow the paper's formula and say so in the recipe.)
func KLDistillation(tp *autograd.Tape, student *autograd.Var, teacher *tensor.Tensor, temp float32) *autograd.Var {
	n, k := checkLogits("KLDistillation", student)
	if !tensor.SameShape(teacher.Shape, []int{n, k}) {
		panic(fmt.Sprintf("loss: KLDistillation: teacher %v, student %v", teacher.Shape, student.Shape()))
	}
	if temp <= 0 {
		panic(fmt.Sprintf("loss: KLDistillation: temperature %g, want > 0", temp))
	}
	// log p_t and p_t = softmax(t/T) are constants: computed without a tape.
	var inference *autograd.Tape
	lpt := inference.LogSoftmax(inference.Scale(autograd.Const(teacher), 1/temp), -1)
	pt := inference.Exp(lpt)
	// Σ_k p_t (log p_t - log p_s), summed over the batch, / N, times T².
	lps := tp.LogSoftmax(tp.Scale(student, 1/temp), -1)
	kl := tp.Mul(autograd.Detach(pt), tp.Sub(autograd.Detach(lpt), lps))
	return tp.Scale(tp.Sum(kl, nil, false), temp*temp/float32(n))
}

// Argmax returns the index of the largest logit of each row (the first on
// ties): the teacher's hard labels y_t of hard distillation.
func Argmax(logits *tensor.Tensor) []int {
	if logits.Dims() != 2 {
		panic(fmt.Sprintf("loss: Argmax: logits %v, want [batch, classes]", logits.Shape))
	}
	n, k := logits.Shape[0], logits.Shape[1]
	out := make([]int, n)
	for i := range out {
		row := logits.Data[i*k : (i+1)*k]
		for j, v := range row {
			if v > row[out[i]] {
				out[i] = j
			}
		}
	}
	return out
}

// Distill is how a student learns from a teacher (DeiT §4, Tab. 3).
type Distill int

const (
	// NoDistill trains on the labels only.
	NoDistill Distill = iota
	// SoftDistill: (1-λ)·CE(Z_s, y) + λ·τ²·KL(ψ(Z_t/τ) ‖ ψ(Z_s/τ)).
	SoftDistill
	// HardDistill: ½·CE(Z_s, y) + ½·CE(Z_s, y_t) with y_t = argmax Z_t.
	HardDistill
)

// String names the mode as the recipes and reports do.
func (d Distill) String() string {
	switch d {
	case NoDistill:
		return "none"
	case SoftDistill:
		return "soft"
	case HardDistill:
		return "hard"
	}
	return fmt.Sprintf("Distill(%d)", int(d))
}

// DistillConfig are the distillation settings of a recipe.
type DistillConfig struct {
	Mode   Distill
	Lambda float32 // weight of the soft term (DeiT: 0.1)
	Tau    float32 // temperature of the soft term (DeiT: 3.0)
}

// DeiT returns the DeiT objective for a student's class-token logits and
// (for a distilled model; nil otherwise) distillation-token logits:
// the base term is the soft-target cross-entropy of the class head against
// target (labels, possibly smoothed and mixed); the distillation term uses
// the distillation head when there is one, else the class head (DeiT's
// "usual distillation" rows of Tab. 3). teacher may be nil for NoDistill.
//
//	none: base(cls)
//	soft: (1-λ)·base(cls) + λ·τ²·KL(teacher ‖ dist)
//	hard: ½·base(cls) + ½·CE(dist, argmax teacher)
func DeiT(tp *autograd.Tape, cls, dist *autograd.Var, target, teacher *tensor.Tensor, cfg DistillConfig) *autograd.Var {
	base := SoftTargetCrossEntropy(tp, cls, target)
	if cfg.Mode == NoDistill {
		return base
	}
	if teacher == nil {
		panic("loss: DeiT: distillation without teacher logits")
	}
	head := cls
	if dist != nil {
		head = dist
	}
	switch cfg.Mode {
	case SoftDistill:
		kd := KLDistillation(tp, head, teacher, cfg.Tau)
		return tp.Add(tp.Scale(base, 1-cfg.Lambda), tp.Scale(kd, cfg.Lambda))
	case HardDistill:
		hard := CrossEntropy(tp, head, Argmax(teacher), 0)
		return tp.Add(tp.Scale(base, 0.5), tp.Scale(hard, 0.5))
	}
	panic(fmt.Sprintf("loss: DeiT: unknown distillation mode %v", cfg.Mode))
}
