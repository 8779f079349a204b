package checkpoint

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/engine/tensor"
)

func sample() []Tensor {
	rng := tensor.NewRand(1)
	return []Tensor{
		{"blocks.0.attn.qkv.weight", tensor.Randn(rng, 1, 6, 2)},
		{"blocks.0.attn.qkv.bias", tensor.Randn(rng, 1, 6)},
		{"step", tensor.FromData([]float32{12}, 1)},
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	in := sample()
	if err := Save(path, in, map[string]string{"epoch": "3"}); err != nil {
		t.Fatal(err)
	}
	out := []Tensor{
		{"blocks.0.attn.qkv.weight", tensor.New(6, 2)},
		{"blocks.0.attn.qkv.bias", tensor.New(6)},
		{"step", tensor.New(1)},
	}
	meta, err := LoadInto(path, out)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !tensor.BitEqual(in[i].Value, out[i].Value) {
			t.Fatalf("%s changed in the round trip", in[i].Name)
		}
	}
	if meta["epoch"] != "3" {
		t.Fatalf("metadata %v", meta)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

// TestSafetensorsLayout checks the bytes against the format's definition:
// u64 header length, JSON header padded to 8 bytes, little-endian F32 data.
func TestSafetensorsLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := Save(path, []Tensor{{"w", tensor.FromData([]float32{1, -2}, 2)}}, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 || !strings.Contains(string(b[8:8+n]), `"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`) {
		t.Fatalf("header %q", b[8:8+n])
	}
	data := b[8+n:]
	if len(data) != 8 || binary.LittleEndian.Uint32(data) != 0x3f800000 || binary.LittleEndian.Uint32(data[4:]) != 0xc0000000 {
		t.Fatalf("data % x", data)
	}
}

func TestCorruptFilesAreNamedErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.safetensors")
	if err := Save(path, sample(), nil); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	flip := append([]byte(nil), good...)
	flip[len(flip)-3] ^= 0x40
	for name, b := range map[string][]byte{
		"flipped bit": flip,
		"truncated":   good[:len(good)-5],
		"no header":   good[:4],
		"bad length":  append([]byte{0xff, 0xff, 0, 0, 0, 0, 0, 0}, good[8:]...),
	} {
		os.WriteFile(path, b, 0o644)
		_, _, err := Read(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoadIntoListsMismatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	Save(path, sample(), nil)
	_, err := LoadInto(path, []Tensor{
		{"blocks.0.attn.qkv.weight", tensor.New(2, 6)},
		{"head.weight", tensor.New(1)},
	})
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("got %v", err)
	}
	for _, w := range []string{"blocks.0.attn.qkv.weight has shape [6 2]", "missing head.weight", "unexpected step"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
