// Command reprise is the one CLI of reprise: it parses flags and calls the
// packages that do the work.
//
//	reprise data                 where the datasets are, and whether they are complete
//	reprise replicate PAPER      train a paper's experiments, check its claims, write its report
//	reprise report [PAPER]       regenerate reports from saved runs
//	reprise version              build, kernel path and machine
//	reprise zoo list|show        the model registry: counts and published numbers
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/reprise-ml/reprise/engine/data"
	"github.com/reprise-ml/reprise/engine/kernels"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "reprise:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "reprise:", err)
		os.Exit(1)
	}
}

// usageError is bad usage: the command prints usage and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: reprise <command> [flags]

commands:
  data        show where MNIST and Fashion-MNIST are found, and whether they are complete
  replicate   replicate a paper: reprise replicate PAPER [--budget smoke|quick|full] [--seeds 0,1,2]
  report      regenerate a paper's report from its saved runs: reprise report [PAPER]
  version     print the build, the kernel path and the machine
  zoo         list the models (zoo list [GLOB]) or show one stage by stage (zoo show NAME)
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return usageError{"no command given"}
		}
		return nil
	}
	switch args[0] {
	case "data":
		return runData(args[1:], stdout, stderr)
	case "replicate":
		return runReplicate(args[1:], stdout, stderr)
	case "version":
		return runVersion(args[1:], stdout, stderr)
	case "zoo":
		return runZoo(args[1:], stdout, stderr)
	case "report":
		return runReport(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

func newFlags(name string, stderr io.Writer, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, help)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with flags and positional arguments in any order
// ("zoo list 'vit_*' --format csv" as well as "--format csv 'vit_*'");
// "--" ends the flags.
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func runData(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("data", stderr, "usage: reprise data\n\nShows where each dataset is read from.\n")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"data takes no arguments"}
	}
	var missing []string
	if dir, err := data.MNISTDir(); err != nil {
		fmt.Fprintf(stdout, "mnist          missing: %v\n", err)
		missing = append(missing, "mnist")
	} else {
		fmt.Fprintf(stdout, "mnist          %s\n", dir)
	}
	if err := data.CheckIDXDir(data.FashionMNISTDir); err != nil {
		fmt.Fprintf(stdout, "fashion-mnist  missing: %v\n               install it with: apt-get install dataset-fashion-mnist (as root), or `make data`\n", err)
		missing = append(missing, "fashion-mnist")
	} else {
		fmt.Fprintf(stdout, "fashion-mnist  %s\n", data.FashionMNISTDir)
	}
	fmt.Fprintln(stdout, "cifar-10       user-supplied: a directory you name (its binary batches); no default location")
	if len(missing) > 0 {
		return fmt.Errorf("datasets missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr, "usage: reprise version\n")
	if err := parse(fs, args); err != nil {
		return err
	}
	rev, dirty := "unknown", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = " (modified)"
				}
			}
		}
	}
	if rev == "unknown" { // go run and -buildvcs=false builds carry no VCS stamp
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			rev = strings.TrimSpace(string(out)) + " (from git, not stamped)"
		}
	}
	fmt.Fprintf(stdout, "reprise %s%s\n%s %s/%s GOMAXPROCS=%d\nkernels: %s\n",
		rev, dirty, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), kernels.Path())
	return nil
}
