package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestUnknownCommandIsUsageError(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"frobnicate"}, &out, &errb)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "frobnicate") || !strings.Contains(errb.String(), "usage: reprise") {
		t.Fatalf("err=%v stderr=%q", err, errb.String())
	}
}

func TestReplicateSaysNotYetAvailable(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"replicate", "deit"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "not yet available") || !strings.Contains(err.Error(), "deit") {
		t.Fatalf("err=%v", err)
	}
	if err := run([]string{"replicate"}, &out, &errb); !errors.As(err, new(usageError)) {
		t.Fatalf("replicate without a paper: %v", err)
	}
}

func TestDataFindsMNIST(t *testing.T) {
	var out, errb bytes.Buffer
	_ = run([]string{"data"}, &out, &errb) // Fashion-MNIST may be absent on a developer machine
	if !strings.Contains(out.String(), "mnist ") || strings.Contains(out.String(), "mnist          missing") {
		t.Fatalf("MNIST not found:\n%s", out.String())
	}
}
