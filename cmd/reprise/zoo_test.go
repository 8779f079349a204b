package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/reprise -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (go test ./cmd/reprise -update rewrites it):\n%s", path, got)
	}
}

func TestZooGoldens(t *testing.T) {
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"zoo_list_resnet.csv", []string{"zoo", "list", "resnet*", "--format", "csv"}},
		{"zoo_list_resnet.txt", []string{"zoo", "list", "--format=table", "resnet*"}},
		{"zoo_show_resnet50.txt", []string{"zoo", "show", "resnet50"}},
		{"zoo_show_resnet18_r28.csv", []string{"zoo", "show", "--format", "csv", "resnet18_r28"}},
	} {
		var out, errb bytes.Buffer
		if err := run(c.args, &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", c.args, err, errb.String())
		}
		golden(t, c.golden, out.Bytes())
	}
}

func TestZooErrors(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"zoo", "show", "resnet5"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "closest") || !strings.Contains(err.Error(), "resnet50") {
		t.Fatalf("unknown model: %v", err)
	}
	if err := run([]string{"zoo", "list", "--format", "xml"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Fatalf("bad format: %v", err)
	}
	if err := run([]string{"zoo", "list", "nomatch*"}, &out, &errb); err == nil {
		t.Fatal("empty glob accepted")
	}
}
