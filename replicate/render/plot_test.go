package render

import (
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg"
)

func TestFigureSavesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fig.png")
	f := Figure{Title: "top-1 vs MACs", XLabel: "GMACs", YLabel: "top-1 (%)", LogX: true, Series: []Series{
		{Name: "ViT", X: []float64{1.26, 4.61, 17.58}, Y: []float64{72.2, 79.8, 81.8}, Labels: []string{"Ti", "S", "B"}, Line: true},
		{Name: "EfficientNet", X: []float64{0.39, 1.8}, Y: []float64{77.1, 81.6}},
	}}
	if err := f.Save(path, 4*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cfg, err := png.DecodeConfig(fh)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if cfg.Width != 4*96 || cfg.Height != 3*96 {
		t.Fatalf("size %dx%d, want 384x288 (96 dpi)", cfg.Width, cfg.Height)
	}
}

func TestFigureRejectsRaggedSeries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.png")
	err := Figure{Series: []Series{{Name: "x", X: []float64{1, 2}, Y: []float64{1}}}}.Save(path, vg.Inch, vg.Inch)
	if err == nil {
		t.Fatal("ragged series accepted")
	}
	if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
		t.Fatal("a failed save left a file behind")
	}
}

func TestWriteFileAtomicKeepsOldFileOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(path, func(f *os.File) error {
		f.WriteString("half")
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("error lost")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("file now %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}
