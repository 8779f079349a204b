package replicate

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/reprise-ml/reprise/engine/checkpoint"
	"github.com/reprise-ml/reprise/engine/data"
	"github.com/reprise-ml/reprise/zoo"
	"github.com/reprise-ml/reprise/zoo/arch"
)

// Budget sizes a replication: smoke (seconds, for tests), quick (the
// default: minutes on 2 cores) or full (hours).
type Budget string

// The budgets.
const (
	Smoke Budget = "smoke"
	Quick Budget = "quick"
	Full  Budget = "full"
)

// ParseBudget checks a budget name.
func ParseBudget(s string) (Budget, error) {
	switch b := Budget(s); b {
	case Smoke, Quick, Full:
		return b, nil
	}
	return "", fmt.Errorf("unknown budget %q: want smoke, quick or full", s)
}

// Hyper is one hyper-parameter of a recipe: the paper's value, ours, and
// why they differ.
type Hyper struct {
	Name, Paper, Ours, Why string
}

// Experiment is one training setting of a paper, run once per seed.
type Experiment struct {
	ID    string // run folder name, e.g. "deit_hard_n500"
	Label string // shown in tables and figures
	// Group and X place the experiment in the key figure: one line per
	// group, X on the horizontal axis (e.g. training images per class).
	Group  string
	X      float64
	Config TrainConfig // Config.Teacher names an earlier experiment's ID
	// TrainPerClass limits training to this many images per class (a
	// seeded, class-balanced subset of the training split); 0 uses all.
	TrainPerClass int
}

// Paper is a replication: its data, recipe, experiments and claims.
type Paper struct {
	Name, Title, Ref string
	// Dataset is what the recipe wants; Fallback is used, with a visible
	// notice, when Dataset is not installed.
	Dataset, Fallback string
	// ValFraction of the training set is held out for model selection.
	ValFraction float64
	Recipe      func(Budget) []Hyper
	Experiments func(Budget) []Experiment
	Seeds       func(Budget) []uint64
	Claims      []Claim
	// Notes is markdown appended to the report (deviations, caveats).
	Notes string
	// FigureX names the key figure's horizontal axis.
	FigureX string
	// EvalImages caps the validation and test sets per class (0: all), so
	// that smoke runs evaluate in seconds.
	EvalImages func(Budget) (valPerClass, testPerClass int)
}

// Options are the knobs of a replication run.
type Options struct {
	Budget   Budget
	Seeds    []uint64 // overrides the paper's seeds
	DataDir  string   // overrides where the dataset is read
	RunsDir  string   // root of run folders (default "runs")
	Progress io.Writer
}

// Outcome is everything a replication produced.
type Outcome struct {
	Paper       *Paper
	Budget      Budget
	Seeds       []uint64
	Experiments []Experiment
	Results     map[string][]*Result // by experiment ID, in seed order
	Claims      []ClaimResult
	Dataset     string
	Notice      string
}

func (o Options) runsDir() string {
	if o.RunsDir == "" {
		return "runs"
	}
	return o.RunsDir
}

func runDir(o Options, p *Paper, exp string, seed uint64) string {
	return filepath.Join(o.runsDir(), p.Name, string(o.Budget), exp, fmt.Sprintf("seed%d", seed))
}

// loadData loads the paper's dataset, or its fallback with a notice.
func loadData(p *Paper, dir string, progress io.Writer) (train, test *data.Dataset, notice string, err error) {
	train, test, err = data.Load(p.Dataset, dir)
	if err == nil || p.Fallback == "" || dir != "" {
		return train, test, "", err
	}
	notice = fmt.Sprintf("%s is not available (%v); using %s instead. Install it with `make data` to run the recipe as written.", p.Dataset, err, p.Fallback)
	if progress != nil {
		fmt.Fprintf(progress, "NOTICE: %s\n", notice)
	}
	train, test, err = data.Load(p.Fallback, "")
	return train, test, notice, err
}

// Run trains every experiment of p for every seed (resuming or reusing
// finished runs), and evaluates the claims.
func Run(p *Paper, o Options) (*Outcome, error) {
	exps := p.Experiments(o.Budget)
	if err := checkExperiments(exps); err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	seeds := o.Seeds
	if len(seeds) == 0 {
		seeds = p.Seeds(o.Budget)
	}
	train, test, notice, err := loadData(p, o.DataDir, o.Progress)
	if err != nil {
		return nil, err
	}
	// The validation split is fixed (seed 0) so that every run selects its
	// model on the same images; training subsets vary with the run's seed.
	trIdx, valIdx, err := data.StratifiedSplit(train, p.ValFraction, 0)
	if err != nil {
		return nil, err
	}
	if p.EvalImages != nil {
		if valIdx, test, err = capEval(train, valIdx, test, p.EvalImages, o.Budget); err != nil {
			return nil, err
		}
	}
	out := &Outcome{Paper: p, Budget: o.Budget, Seeds: seeds, Experiments: exps, Results: map[string][]*Result{}, Dataset: train.Name, Notice: notice}
	for _, seed := range seeds {
		for _, e := range exps {
			idx := trIdx
			if e.TrainPerClass > 0 {
				sub := make([]int, len(trIdx))
				for i, j := range trIdx {
					sub[i] = train.Labels[j]
				}
				pick, err := data.BalancedSubset(sub, train.Classes, e.TrainPerClass, seed)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", e.ID, err)
				}
				idx = make([]int, len(pick))
				for i, k := range pick {
					idx[i] = trIdx[k]
				}
			}
			spec := RunSpec{Dir: runDir(o, p, e.ID, seed), Name: fmt.Sprintf("%s/%s/seed%d", p.Name, e.ID, seed), Config: e.Config, Seed: seed,
				Data: &Splits{Train: train, TrainIdx: idx, ValIdx: valIdx, Test: test, Notice: notice}, Progress: o.Progress, CheckpointEvery: 50}
			if e.Config.Teacher != "" {
				t, err := loadTeacher(o, p, exps, e.Config.Teacher, seed, train)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", e.ID, err)
				}
				spec.Teacher = t
			}
			r, err := Train(spec)
			if err != nil {
				return nil, err
			}
			out.Results[e.ID] = append(out.Results[e.ID], r)
		}
	}
	out.Claims = EvaluateClaims(p.Claims, seeds, out.Results)
	return out, nil
}

// capEval takes class-balanced subsets (seed 0) of the validation indices
// and of the test set, per the paper's EvalImages for this budget.
func capEval(train *data.Dataset, valIdx []int, test *data.Dataset, caps func(Budget) (int, int), b Budget) ([]int, *data.Dataset, error) {
	vc, tc := caps(b)
	if vc > 0 {
		labels := make([]int, len(valIdx))
		for i, j := range valIdx {
			labels[i] = train.Labels[j]
		}
		pick, err := data.BalancedSubset(labels, train.Classes, vc, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("validation cap: %w", err)
		}
		capped := make([]int, len(pick))
		for i, k := range pick {
			capped[i] = valIdx[k]
		}
		valIdx = capped
	}
	if tc > 0 {
		pick, err := data.BalancedSubset(test.Labels, test.Classes, tc, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("test cap: %w", err)
		}
		test = test.Subset(test.Name+fmt.Sprintf("[%d/class]", tc), pick)
	}
	return valIdx, test, nil
}

func checkExperiments(exps []Experiment) error {
	seen := map[string]bool{}
	for _, e := range exps {
		if seen[e.ID] {
			return fmt.Errorf("experiment %q defined twice", e.ID)
		}
		if t := e.Config.Teacher; t != "" && !seen[t] {
			return fmt.Errorf("experiment %q is taught by %q, which must come earlier", e.ID, t)
		}
		if err := e.Config.Validate(); err != nil {
			return fmt.Errorf("experiment %q: %w", e.ID, err)
		}
		seen[e.ID] = true
	}
	return nil
}

// loadTeacher builds the teacher experiment's model and loads its best
// checkpoint for this seed.
func loadTeacher(o Options, p *Paper, exps []Experiment, id string, seed uint64, train *data.Dataset) (arch.Model, error) {
	var cfg TrainConfig
	for _, e := range exps {
		if e.ID == id {
			cfg = e.Config
		}
	}
	m, err := zoo.New(cfg.Model, arch.Options{NumClasses: train.Classes, InChans: train.C, ImgSize: train.H}, seed)
	if err != nil {
		return nil, err
	}
	var ts []checkpoint.Tensor
	for _, q := range m.Params {
		ts = append(ts, checkpoint.Tensor{Name: q.Name, Value: q.Value})
	}
	for _, b := range m.Buffers {
		ts = append(ts, checkpoint.Tensor{Name: b.Name, Value: b.Value})
	}
	path := filepath.Join(runDir(o, p, id, seed), "best.safetensors")
	if _, err := checkpoint.LoadInto(path, ts); err != nil {
		return nil, fmt.Errorf("teacher %s: %w", id, err)
	}
	return m.Model, nil
}

// Collect reads the finished runs of p from the runs folder without
// training, for reports.
func Collect(p *Paper, o Options) (*Outcome, error) {
	exps := p.Experiments(o.Budget)
	seeds := o.Seeds
	if len(seeds) == 0 {
		seeds = p.Seeds(o.Budget)
	}
	out := &Outcome{Paper: p, Budget: o.Budget, Seeds: seeds, Experiments: exps, Results: map[string][]*Result{}}
	var missing []string
	for _, seed := range seeds {
		for _, e := range exps {
			r, err := readResult(filepath.Join(runDir(o, p, e.ID, seed), "result.json"))
			if errors.Is(err, errNoResult) {
				missing = append(missing, fmt.Sprintf("%s/seed%d", e.ID, seed))
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w (delete the run folder to rerun it)", p.Name, err)
			}
			out.Results[e.ID] = append(out.Results[e.ID], r)
			out.Dataset, out.Notice = r.Provenance.Dataset, r.Notice
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%s (%s budget): %d runs not finished under %s: %v; run `reprise replicate %s --budget %s` first", p.Name, o.Budget, len(missing), o.runsDir(), missing, p.Name, o.Budget)
	}
	out.Claims = EvaluateClaims(p.Claims, seeds, out.Results)
	return out, nil
}

var errNoResult = errors.New("no result")
