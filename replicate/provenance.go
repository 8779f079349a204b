package replicate

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/reprise-ml/reprise/engine/kernels"
)

// Provenance records where and how a result was computed.
type Provenance struct {
	GoVersion   string            `json:"go_version"`
	GOARCH      string            `json:"goarch"`
	GOAMD64     string            `json:"goamd64,omitempty"`
	GOMAXPROCS  int               `json:"gomaxprocs"`
	CPU         string            `json:"cpu"`
	KernelPath  string            `json:"kernel_path"`
	Revision    string            `json:"vcs_revision"`
	Dirty       bool              `json:"vcs_dirty"`
	Modules     map[string]string `json:"modules"`
	Dataset     string            `json:"dataset"`
	DataSum     string            `json:"dataset_checksum"`
	Seed        uint64            `json:"seed"`
	WallSeconds float64           `json:"wall_seconds"`
}

// collectProvenance fills everything but the dataset, seed and wall time.
func collectProvenance() Provenance {
	p := Provenance{GoVersion: runtime.Version(), GOARCH: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		CPU: cpuModel(), KernelPath: kernels.Path(), Modules: map[string]string{}}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "GOAMD64":
				p.GOAMD64 = s.Value
			case "vcs.revision":
				p.Revision = s.Value
			case "vcs.modified":
				p.Dirty = s.Value == "true"
			}
		}
		for _, d := range info.Deps {
			p.Modules[d.Path] = d.Version
		}
	}
	if p.Revision == "" { // go run does not stamp VCS information: ask git
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			p.Revision = strings.TrimSpace(string(out))
			if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
				p.Dirty = len(strings.TrimSpace(string(st))) > 0
			}
		}
	}
	if p.GOAMD64 == "" && runtime.GOARCH == "amd64" {
		p.GOAMD64 = "v1"
	}
	return p
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
