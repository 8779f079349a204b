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

func TestReplicateUsageErrors(t *testing.T) {
	var out, errb bytes.Buffer
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"replicate"}, "deit"},
		{[]string{"replicate", "alexnet"}, "unknown paper"},
		{[]string{"replicate", "deit", "--budget", "huge"}, "budget"},
		{[]string{"replicate", "deit", "--seeds", "1,x"}, "--seeds"},
		{[]string{"report", "deit", "--budget", "tiny"}, "budget"},
	} {
		err := run(c.args, &out, &errb)
		if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v", c.args, err)
		}
	}
}

func TestDataFindsMNIST(t *testing.T) {
	var out, errb bytes.Buffer
	_ = run([]string{"data"}, &out, &errb) // Fashion-MNIST may be absent on a developer machine
	if !strings.Contains(out.String(), "mnist ") || strings.Contains(out.String(), "mnist          missing") {
		t.Fatalf("MNIST not found:\n%s", out.String())
	}
}
