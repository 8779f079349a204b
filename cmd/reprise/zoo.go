package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/reprise-ml/reprise/replicate/render"
	"github.com/reprise-ml/reprise/zoo"
	"github.com/reprise-ml/reprise/zoo/arch"
)

const zooUsage = `usage:
  reprise zoo list [--format table|csv|json] [GLOB]   models, their counts and published numbers
  reprise zoo show [--format table|csv|json] NAME     one model, stage by stage

Counts are multiply-accumulates (MACs) of convolutions, linear layers and
matrix products (attention included) for one image at the model's native
resolution; FLOPs = 2 x MACs. Normalisation, activations, pooling and
additions are not counted. Deviations compare with timm's numbers where timm
has the model, else with the paper's.
`

func runZoo(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, zooUsage)
		return usageError{"zoo needs a subcommand: list or show"}
	}
	fs := newFlags("zoo "+args[0], stderr, zooUsage)
	format := fs.String("format", "table", "output format: table, csv or json")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *format != "table" && *format != "csv" && *format != "json" {
		return usageError{fmt.Sprintf("unknown --format %q (want table, csv or json)", *format)}
	}
	switch args[0] {
	case "list":
		if fs.NArg() > 1 {
			return usageError{"zoo list takes at most one glob"}
		}
		return zooList(fs.Arg(0), *format, stdout)
	case "show":
		if fs.NArg() != 1 {
			return usageError{"zoo show takes one model name"}
		}
		return zooShow(fs.Arg(0), *format, stdout)
	}
	fmt.Fprint(stderr, zooUsage)
	return usageError{fmt.Sprintf("unknown zoo subcommand %q", args[0])}
}

type zooRow struct {
	Name         string   `json:"name"`
	Params       int64    `json:"params"`
	MACs         int64    `json:"macs"`
	ImgSize      int      `json:"img_size"`
	Twin         bool     `json:"twin"`
	Top1Paper    *float64 `json:"top1_paper,omitempty"`
	ParamsMPub   *float64 `json:"params_m_published,omitempty"`
	GMACsPub     *float64 `json:"gmacs_published,omitempty"`
	PublishedSrc string   `json:"published_by,omitempty"` // "timm" or "paper"
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func zooList(glob, format string, w io.Writer) error {
	entries, err := zoo.List(glob)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("no model matches %q (reprise zoo list shows all)", glob)
	}
	var rows []zooRow
	for _, e := range entries {
		c, err := zoo.Count(e.Name, arch.Options{})
		if err != nil {
			return err
		}
		r := zooRow{Name: e.Name, Params: c.Params, MACs: c.MACs, ImgSize: e.Defaults.ImgSize, Twin: e.Twin}
		if p := e.Published; p != nil {
			r.Top1Paper = ptr(p.Top1Paper)
			r.ParamsMPub, r.GMACsPub, r.PublishedSrc = ptr(p.ParamsMTimm), ptr(p.GMACsTimm), "timm"
			if r.ParamsMPub == nil {
				r.ParamsMPub, r.GMACsPub, r.PublishedSrc = ptr(p.ParamsMPaper), ptr(p.GMACsPaper), "paper"
			}
		}
		rows = append(rows, r)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"name", "params", "macs", "img_size", "twin", "top1_paper", "params_m_published", "gmacs_published", "published_by"})
		for _, r := range rows {
			cw.Write([]string{r.Name, strconv.FormatInt(r.Params, 10), strconv.FormatInt(r.MACs, 10), strconv.Itoa(r.ImgSize),
				strconv.FormatBool(r.Twin), optf(r.Top1Paper), optf(r.ParamsMPub), optf(r.GMACsPub), r.PublishedSrc})
		}
		cw.Flush()
		return cw.Error()
	}
	t := render.Table{Header: []string{"model", "params", "GMACs", "size", "top-1 (paper)", "published params / GMACs", "Δparams", "ΔMACs"}, Right: []int{1, 2, 3, 4, 6, 7}}
	for _, r := range rows {
		pub, dp, dm := "", "", ""
		if r.ParamsMPub != nil {
			g := optf(r.GMACsPub)
			if g == "" {
				g = "-"
			}
			pub = fmt.Sprintf("%sM / %s (%s)", optf(r.ParamsMPub), g, r.PublishedSrc)
			dp = fmt.Sprintf("%+.1f%%", 100*(float64(r.Params)/1e6 / *r.ParamsMPub - 1))
		}
		if r.GMACsPub != nil {
			dm = fmt.Sprintf("%+.1f%%", 100*(float64(r.MACs)/1e9 / *r.GMACsPub - 1))
		}
		top1 := optf(r.Top1Paper)
		if r.Twin {
			top1 = "twin"
		}
		t.Rows = append(t.Rows, []string{r.Name, humanCount(r.Params), fmt.Sprintf("%.3f", float64(r.MACs)/1e9), strconv.Itoa(r.ImgSize), top1, pub, dp, dm})
	}
	return t.Text(w)
}

func zooShow(name, format string, w io.Writer) error {
	c, err := zoo.Count(name, arch.Options{})
	if err != nil {
		return err
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Name string `json:"name"`
			zoo.Counts
		}{name, c})
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"stage", "shape", "params", "macs"})
		for _, s := range c.Stages {
			cw.Write([]string{s.Name, fmt.Sprint(s.Shape), strconv.FormatInt(max(s.Params, 0), 10), strconv.FormatInt(s.MACs, 10)})
		}
		cw.Write([]string{"other", "", strconv.FormatInt(c.Other, 10), "0"})
		cw.Write([]string{"total", "", strconv.FormatInt(c.Params, 10), strconv.FormatInt(c.MACs, 10)})
		cw.Flush()
		return cw.Error()
	}
	t := render.Table{Header: []string{"stage", "output (batch 1)", "params", "MMACs"}, Right: []int{2, 3}}
	for _, s := range c.Stages {
		p := "-"
		if s.Params >= 0 {
			p = humanCount(s.Params)
		}
		t.Rows = append(t.Rows, []string{s.Name, fmt.Sprint(s.Shape), p, fmt.Sprintf("%.1f", float64(s.MACs)/1e6)})
	}
	t.Rows = append(t.Rows, []string{"(stem, norms, head by name)", "", humanCount(c.Other), ""})
	t.Rows = append(t.Rows, []string{"total", "", humanCount(c.Params), fmt.Sprintf("%.1f", float64(c.MACs)/1e6)})
	fmt.Fprintf(w, "%s\n", name)
	return t.Text(w)
}

func optf(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// humanCount prints n with thousands separators, exact to the last unit.
func humanCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
