package main

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/reprise-ml/reprise/replicate"
	"github.com/reprise-ml/reprise/replicate/deit"
	"github.com/reprise-ml/reprise/replicate/render"
)

// papers lists the replications.
var papers = map[string]*replicate.Paper{
	"deit": deit.Paper,
}

func paperNames() string {
	var names []string
	for n := range papers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func lookupPaper(name string) (*replicate.Paper, error) {
	p, ok := papers[name]
	if !ok {
		return nil, fmt.Errorf("unknown paper %q (available: %s)", name, paperNames())
	}
	return p, nil
}

// reportDir is reports/<paper> for the quick budget (the committed report)
// and reports/<paper>/<budget> for the others.
func reportDir(root string, p *replicate.Paper, b replicate.Budget) string {
	if b == replicate.Quick {
		return filepath.Join(root, p.Name)
	}
	return filepath.Join(root, p.Name, string(b))
}

const replicateUsage = `usage: reprise replicate PAPER [flags]

Trains every experiment of PAPER for every seed (resuming interrupted runs
and reusing finished ones), checks the paper's claims and writes the report.
`

func runReplicate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replicate", stderr, replicateUsage)
	budget := fs.String("budget", "quick", "smoke (seconds), quick (minutes) or full (hours)")
	seeds := fs.String("seeds", "", "comma-separated seeds (default: the budget's)")
	dataDir := fs.String("data", "", "read the dataset from this folder instead of its default location")
	out := fs.String("out", "runs", "folder of the run directories")
	reports := fs.String("reports", "reports", "folder of the reports")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Sprintf("replicate takes one paper name (available: %s)", paperNames())}
	}
	p, err := lookupPaper(fs.Arg(0))
	if err != nil {
		return usageError{err.Error()}
	}
	b, err := replicate.ParseBudget(*budget)
	if err != nil {
		return usageError{err.Error()}
	}
	var ss []uint64
	if *seeds != "" {
		for _, f := range strings.Split(*seeds, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return usageError{fmt.Sprintf("--seeds %q: %v", *seeds, err)}
			}
			ss = append(ss, v)
		}
	}
	o, err := replicate.Run(p, replicate.Options{Budget: b, Seeds: ss, DataDir: *dataDir, RunsDir: *out, Progress: stderr})
	if err != nil {
		return err
	}
	dir := reportDir(*reports, p, b)
	if err := replicate.WriteReport(o, dir); err != nil {
		return err
	}
	printClaims(stdout, o)
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(dir, "README.md"))
	return nil
}

func printClaims(w io.Writer, o *replicate.Outcome) {
	t := render.Table{Header: []string{"claim", "ours (mean ± std)", "per seed", "verdict"}}
	for _, c := range o.Claims {
		var per []string
		for _, v := range c.PerSeed {
			per = append(per, fmt.Sprintf("%+.2f", v))
		}
		t.Rows = append(t.Rows, []string{c.ID, fmt.Sprintf("%+.2f ± %.2f", c.Mean, c.Std), strings.Join(per, " "), c.Verdict})
	}
	t.Text(w)
}

const reportUsage = `usage: reprise report [PAPER] [flags]

Regenerates the report of PAPER (every paper without one) from its saved
runs, without training.
`

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr, reportUsage)
	budget := fs.String("budget", "quick", "which budget's runs to report")
	out := fs.String("out", "runs", "folder of the run directories")
	reports := fs.String("reports", "reports", "folder of the reports")
	if err := parse(fs, args); err != nil {
		return err
	}
	b, err := replicate.ParseBudget(*budget)
	if err != nil {
		return usageError{err.Error()}
	}
	var ps []*replicate.Paper
	switch fs.NArg() {
	case 0:
		for _, n := range strings.Split(paperNames(), ", ") {
			ps = append(ps, papers[n])
		}
	case 1:
		p, err := lookupPaper(fs.Arg(0))
		if err != nil {
			return usageError{err.Error()}
		}
		ps = append(ps, p)
	default:
		return usageError{"report takes at most one paper"}
	}
	for _, p := range ps {
		o, err := replicate.Collect(p, replicate.Options{Budget: b, RunsDir: *out})
		if err != nil {
			return err
		}
		dir := reportDir(*reports, p, b)
		if err := replicate.WriteReport(o, dir); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(dir, "README.md"))
	}
	return nil
}
