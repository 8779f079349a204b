package deit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/replicate"
)

// TestEveryBudgetIsAValidPlan checks that each budget's experiments are
// valid recipes, teachers come before their students, and every claim's
// experiments exist.
func TestEveryBudgetIsAValidPlan(t *testing.T) {
	for _, b := range []replicate.Budget{replicate.Smoke, replicate.Quick, replicate.Full} {
		ids := map[string]bool{}
		for _, e := range Paper.Experiments(b) {
			if err := e.Config.Validate(); err != nil {
				t.Errorf("%s/%s: %v", b, e.ID, err)
			}
			if e.Config.Teacher != "" && !ids[e.Config.Teacher] {
				t.Errorf("%s/%s: teacher %s does not come first", b, e.ID, e.Config.Teacher)
			}
			ids[e.ID] = true
		}
		for _, id := range []string{"vit_recipe_small", "deit_none_small", "deit_soft_small", "deit_hard_small", "deit_token_small", "deit_none_large", "deit_hard_large"} {
			if !ids[id] {
				t.Errorf("%s: claims need experiment %s", b, id)
			}
		}
		if len(Paper.Seeds(b)) == 0 {
			t.Errorf("%s: no seeds", b)
		}
	}
}

// TestSmokeReplication runs the smoke budget end to end (real data, every
// experiment, the claims and the report), then regenerates the report from
// the saved runs alone and checks it is the same.
func TestSmokeReplication(t *testing.T) {
	runs, reports := t.TempDir(), t.TempDir()
	o, err := replicate.Run(Paper, replicate.Options{Budget: replicate.Smoke, RunsDir: runs})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Claims) != len(claims) {
		t.Fatalf("%d claims evaluated, want %d", len(o.Claims), len(claims))
	}
	for _, c := range o.Claims {
		if c.Err != "" || len(c.PerSeed) != 1 || c.Verdict != replicate.Inconclusive {
			t.Errorf("claim %s: %+v (one seed must be inconclusive)", c.ID, c)
		}
	}
	for _, e := range o.Experiments {
		rs := o.Results[e.ID]
		if len(rs) != 1 || rs[0].Test.N == 0 || rs[0].Provenance.DataSum == "" {
			t.Fatalf("%s: results %+v", e.ID, rs)
		}
	}
	if err := replicate.WriteReport(o, reports); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(reports, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Claims", "## Results", "## Recipe", "## Provenance", "Hard distillation beats soft distillation", "curves.png"} {
		if !bytes.Contains(first, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, f := range []string{"curves.png", "comparison.png"} {
		if st, err := os.Stat(filepath.Join(reports, f)); err != nil || st.Size() == 0 {
			t.Errorf("figure %s: %v", f, err)
		}
	}
	again, err := replicate.Collect(Paper, replicate.Options{Budget: replicate.Smoke, RunsDir: runs})
	if err != nil {
		t.Fatal(err)
	}
	dir2 := t.TempDir()
	if err := replicate.WriteReport(again, dir2); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(dir2, "README.md"))
	if !bytes.Equal(first, second) {
		t.Fatal("the report regenerated from saved runs differs from the one written after training")
	}
	// Rerunning reuses every finished run instead of training again.
	o2, err := replicate.Run(Paper, replicate.Options{Budget: replicate.Smoke, RunsDir: runs})
	if err != nil || o2.Results["deit_hard_small"][0].Hash != o.Results["deit_hard_small"][0].Hash {
		t.Fatalf("rerun: %v", err)
	}
	if _, err := replicate.Collect(Paper, replicate.Options{Budget: replicate.Quick, RunsDir: runs}); err == nil || !strings.Contains(err.Error(), "not finished") {
		t.Fatalf("collecting unrun budget: %v", err)
	}
}

// TestCorruptResultIsNamed: a damaged result.json is an error naming the
// file, not a run silently counted as unfinished.
func TestCorruptResultIsNamed(t *testing.T) {
	runs := t.TempDir()
	dir := filepath.Join(runs, "deit", "smoke", "teacher_small", "seed0")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), []byte("{truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := replicate.Collect(Paper, replicate.Options{Budget: replicate.Smoke, RunsDir: runs})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "result.json")) || strings.Contains(err.Error(), "not finished") {
		t.Fatalf("got %v", err)
	}
}
