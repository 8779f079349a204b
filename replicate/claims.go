package replicate

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Claim is a statement of a paper checked on our results.
type Claim struct {
	ID        string
	Statement string // what the paper claims, in a sentence
	Source    string // the paper's table or figure
	Paper     string // the paper's effect, as it reports it
	Unit      string // of Effect, e.g. "points of test top-1"
	// Effect computes our effect for one seed from that seed's results by
	// experiment ID. The claim holds when the effect exceeds Margin.
	Effect func(r map[string]*Result) (float64, error)
	Margin float64
}

// The verdicts. A claim PASSes when its mean effect exceeds the margin by
// more than the spread across seeds (one standard deviation), FAILs when
// it falls short by more than the spread, and is INCONCLUSIVE otherwise,
// or with fewer than two seeds.
const (
	Pass         = "PASS"
	Fail         = "FAIL"
	Inconclusive = "INCONCLUSIVE"
)

// ClaimResult is a claim evaluated over seeds.
type ClaimResult struct {
	Claim
	PerSeed []float64
	Mean    float64
	Std     float64 // sample standard deviation over seeds
	Verdict string
	Err     string
}

// EvaluateClaims evaluates every claim on every seed's results.
func EvaluateClaims(claims []Claim, seeds []uint64, results map[string][]*Result) []ClaimResult {
	var out []ClaimResult
	for _, c := range claims {
		cr := ClaimResult{Claim: c}
		for i := range seeds {
			bySeed := map[string]*Result{}
			for id, rs := range results {
				if i < len(rs) {
					bySeed[id] = rs[i]
				}
			}
			v, err := c.Effect(bySeed)
			if err != nil {
				cr.Err = err.Error()
				break
			}
			cr.PerSeed = append(cr.PerSeed, v)
		}
		cr.Mean, cr.Std = meanStd(cr.PerSeed)
		cr.Verdict = verdict(cr)
		out = append(out, cr)
	}
	return out
}

func verdict(c ClaimResult) string {
	if c.Err != "" || len(c.PerSeed) < 2 {
		return Inconclusive
	}
	switch d := c.Mean - c.Margin; {
	case d > c.Std:
		return Pass
	case -d > c.Std:
		return Fail
	}
	return Inconclusive
}

func meanStd(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	if len(xs) < 2 {
		return m, math.NaN()
	}
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, math.Sqrt(v / float64(len(xs)-1))
}

// TestTop1 returns an experiment's test top-1 from one seed's results.
func TestTop1(r map[string]*Result, id string) (float64, error) {
	res, ok := r[id]
	if !ok {
		return 0, fmt.Errorf("no result for experiment %q", id)
	}
	return res.Test.Top1, nil
}

// Diff is an Effect: test top-1 of a minus test top-1 of b, in points.
func Diff(a, b string) func(map[string]*Result) (float64, error) {
	return func(r map[string]*Result) (float64, error) {
		x, err := TestTop1(r, a)
		if err != nil {
			return 0, err
		}
		y, err := TestTop1(r, b)
		if err != nil {
			return 0, err
		}
		return x - y, nil
	}
}

func readResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errNoResult
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}
