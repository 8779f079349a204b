package render

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named set of points of a figure.
type Series struct {
	Name   string
	X, Y   []float64
	Labels []string // optional, one per point, drawn beside it
	Line   bool     // join the points in order (a curve) instead of markers only
}

// Figure is a 2-D chart: scatter points and curves on shared axes.
type Figure struct {
	Title, XLabel, YLabel string
	LogX                  bool
	Series                []Series
}

// palette is a colour-blind-safe cycle (Okabe-Ito).
var palette = []color.RGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{86, 180, 233, 255}, {213, 94, 0, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
}

// Save renders f to path; the extension picks the format (.png, .svg, .pdf).
// The file is written atomically.
func (f Figure) Save(path string, width, height vg.Length) error {
	p := plot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	if f.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	for i, s := range f.Series {
		if len(s.X) != len(s.Y) || (s.Labels != nil && len(s.Labels) != len(s.X)) {
			return fmt.Errorf("render: series %q has %d x, %d y and %d labels", s.Name, len(s.X), len(s.Y), len(s.Labels))
		}
		xy := make(plotter.XYs, len(s.X))
		for j := range s.X {
			xy[j] = plotter.XY{X: s.X[j], Y: s.Y[j]}
		}
		c := palette[i%len(palette)]
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return fmt.Errorf("render: series %q: %w", s.Name, err)
		}
		sc.GlyphStyle.Color = c
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(3)
		p.Add(sc)
		p.Legend.Add(s.Name, sc)
		if s.Line {
			l, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("render: series %q: %w", s.Name, err)
			}
			l.LineStyle.Color = c
			p.Add(l)
		}
		if s.Labels != nil {
			lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: s.Labels})
			if err != nil {
				return fmt.Errorf("render: series %q: %w", s.Name, err)
			}
			for k := range lb.TextStyle {
				lb.TextStyle[k].Font.Size = vg.Points(7)
				lb.TextStyle[k].XAlign = draw.XLeft
			}
			lb.Offset = vg.Point{X: vg.Points(4)}
			p.Add(lb)
		}
	}
	p.Legend.Top = true
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	w, err := p.WriterTo(width, height, ext)
	if err != nil {
		return fmt.Errorf("render: %s: %w", path, err)
	}
	return WriteFileAtomic(path, func(fh *os.File) error {
		_, err := w.WriteTo(fh)
		return err
	})
}

// WriteFileAtomic writes a file through fill into a temporary file in the
// same folder, syncs it and renames it over path, so that readers see
// either the old file or the whole new one.
func WriteFileAtomic(path string, fill func(*os.File) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := fill(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("render: writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("render: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}
