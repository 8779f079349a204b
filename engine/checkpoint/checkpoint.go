// Package checkpoint saves and loads named tensors in the safetensors
// format (timm-compatible names, so weights can be exchanged), atomically
// and with a checksum, plus string metadata for a run's full training
// state (epoch, step, seeds, recipe hash).
//
// File layout (safetensors): an 8-byte little-endian header length, a JSON
// header {"name": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]},
// ..., "__metadata__": {...}}, then the raw little-endian data. reprise adds
// "reprise.sha256" to the metadata: the SHA-256 of the data section, checked
// on load.
package checkpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/reprise-ml/reprise/engine/tensor"
)

// Tensor is a named tensor to save or to load into.
type Tensor struct {
	Name  string
	Value *tensor.Tensor
}

const checksumKey = "reprise.sha256"

type entry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// Save writes tensors and meta to path atomically: to a temporary file in
// the same folder, synced, then renamed over path.
func Save(path string, tensors []Tensor, meta map[string]string) error {
	names := map[string]bool{}
	header := map[string]any{}
	var data []byte
	for _, t := range tensors {
		if t.Name == "" || t.Name == "__metadata__" || names[t.Name] {
			return fmt.Errorf("checkpoint: %s: bad or repeated tensor name %q", path, t.Name)
		}
		if t.Value.IsMeta() {
			return fmt.Errorf("checkpoint: %s: tensor %q is shape-only", path, t.Name)
		}
		names[t.Name] = true
		begin := len(data)
		for _, v := range t.Value.Data {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		header[t.Name] = entry{DType: "F32", Shape: t.Value.Shape, Offsets: [2]int{begin, len(data)}}
	}
	sum := sha256.Sum256(data)
	md := map[string]string{}
	for k, v := range meta {
		md[k] = v
	}
	md[checksumKey] = hex.EncodeToString(sum[:])
	header["__metadata__"] = md
	hj, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for len(hj)%8 != 0 { // safetensors pads the header with spaces to 8 bytes
		hj = append(hj, ' ')
	}
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	buf = append(append(buf, hj...), data...)
	return writeAtomic(path, buf)
}

func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Read loads every tensor and the metadata of the file at path, checking
// its structure and checksum.
func Read(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint: %s: "+format+"; the file is corrupt or truncated: delete it to start over", append([]any{path}, args...)...)
	}
	if len(b) < 8 {
		return nil, nil, bad("%d bytes, no header", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, nil, bad("header of %d bytes in a file of %d", n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, bad("header is not JSON (%v)", err)
	}
	data := b[8+n:]
	meta := map[string]string{}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, bad("metadata (%v)", err)
		}
		delete(raw, "__metadata__")
	}
	if want, ok := meta[checksumKey]; ok {
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != want {
			return nil, nil, bad("data checksum mismatch")
		}
	}
	out := map[string]*tensor.Tensor{}
	for name, m := range raw {
		var e entry
		if err := json.Unmarshal(m, &e); err != nil {
			return nil, nil, bad("entry %q (%v)", name, err)
		}
		if e.DType != "F32" {
			return nil, nil, fmt.Errorf("checkpoint: %s: tensor %q has dtype %s; only F32 is supported", path, name, e.DType)
		}
		cnt := tensor.Numel(e.Shape)
		if e.Offsets[0] < 0 || e.Offsets[1] > len(data) || e.Offsets[1]-e.Offsets[0] != 4*cnt {
			return nil, nil, bad("tensor %q: offsets %v for shape %v in %d data bytes", name, e.Offsets, e.Shape, len(data))
		}
		t := tensor.New(e.Shape...)
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.Offsets[0]+4*i:]))
		}
		out[name] = t
	}
	return out, meta, nil
}

// ErrMismatch is wrapped by LoadInto when the file and the destination do
// not hold the same tensors.
var ErrMismatch = errors.New("checkpoint does not match")

// LoadInto reads path and copies each tensor into the destination of the
// same name. Every destination must be present with the same shape, and the
// file may hold no other tensor; the error lists what differs.
func LoadInto(path string, dst []Tensor) (map[string]string, error) {
	got, meta, err := Read(path)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, d := range dst {
		t, ok := got[d.Name]
		switch {
		case !ok:
			problems = append(problems, "missing "+d.Name)
		case !tensor.SameShape(t.Shape, d.Value.Shape):
			problems = append(problems, fmt.Sprintf("%s has shape %v in the file, %v here", d.Name, t.Shape, d.Value.Shape))
		default:
			copy(d.Value.Data, t.Data)
		}
		delete(got, d.Name)
	}
	for name := range got {
		problems = append(problems, "unexpected "+name)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 8 {
			problems = append(problems[:8], fmt.Sprintf("and %d more", len(problems)-8))
		}
		return nil, fmt.Errorf("checkpoint: %s: %w: %v", path, ErrMismatch, problems)
	}
	return meta, nil
}
