package data

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// IDX magic numbers: unsigned bytes with 3 (images) or 1 (labels) dimensions.
const (
	idxImages = 0x00000803
	idxLabels = 0x00000801
)

// readMaybeGzip reads a whole file, gunzipping it if it starts with the
// gzip magic, and hashes its raw bytes into h.
func readMaybeGzip(path string, h io.Writer) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	h.Write(raw)
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("data: %s: corrupt gzip header: %v", path, err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("data: %s: corrupt or truncated gzip stream (%v); reinstall or re-download the file", path, err)
		}
		return out, nil
	}
	return raw, nil
}

// parseIDX checks an IDX file's magic and dimensions and returns its
// dimensions and payload.
func parseIDX(path string, b []byte, magic uint32, dims int) ([]int, []byte, error) {
	hdr := 4 + 4*dims
	if len(b) < hdr {
		return nil, nil, fmt.Errorf("data: %s: %d bytes, shorter than an IDX header (%d): the file is truncated", path, len(b), hdr)
	}
	if m := binary.BigEndian.Uint32(b); m != magic {
		return nil, nil, fmt.Errorf("data: %s: magic number %#08x, want %#08x: not an IDX %d-D unsigned-byte file", path, m, magic, dims)
	}
	shape := make([]int, dims)
	n := 1
	for i := range shape {
		shape[i] = int(binary.BigEndian.Uint32(b[4+4*i:]))
		if shape[i] <= 0 || shape[i] > 1<<24 {
			return nil, nil, fmt.Errorf("data: %s: dimension %d is %d", path, i, shape[i])
		}
		n *= shape[i]
	}
	if len(b)-hdr != n {
		return nil, nil, fmt.Errorf("data: %s: header promises %v = %d bytes of data, the file holds %d: truncated or corrupt", path, shape, n, len(b)-hdr)
	}
	return shape, b[hdr:], nil
}

// ReadIDX reads an MNIST-format image file and label file (gzipped or not)
// into a Dataset with the given name and number of classes.
func ReadIDX(name, imagesPath, labelsPath string, classes int) (*Dataset, error) {
	h := sha256.New()
	ib, err := readMaybeGzip(imagesPath, h)
	if err != nil {
		return nil, err
	}
	lb, err := readMaybeGzip(labelsPath, h)
	if err != nil {
		return nil, err
	}
	ishape, pix, err := parseIDX(imagesPath, ib, idxImages, 3)
	if err != nil {
		return nil, err
	}
	lshape, lab, err := parseIDX(labelsPath, lb, idxLabels, 1)
	if err != nil {
		return nil, err
	}
	if ishape[0] != lshape[0] {
		return nil, fmt.Errorf("data: %s has %d images but %s has %d labels", imagesPath, ishape[0], labelsPath, lshape[0])
	}
	d := &Dataset{Name: name, N: ishape[0], C: 1, H: ishape[1], W: ishape[2], Classes: classes,
		Pixels: pix, Labels: make([]int, lshape[0]), Checksum: "sha256:" + hex.EncodeToString(h.Sum(nil))}
	for i, y := range lab {
		d.Labels[i] = int(y)
	}
	if err := d.validate(); err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, labelsPath)
	}
	return d, nil
}

// ReadIDXDir reads the train and test splits of an MNIST-format folder
// (train-images-idx3-ubyte.gz, ..., t10k-labels-idx1-ubyte.gz).
func ReadIDXDir(name, dir string) (train, test *Dataset, err error) {
	if err := CheckIDXDir(dir); err != nil {
		return nil, nil, err
	}
	train, err = ReadIDX(name+"/train", filepath.Join(dir, IDXFiles[0]), filepath.Join(dir, IDXFiles[1]), 10)
	if err != nil {
		return nil, nil, err
	}
	test, err = ReadIDX(name+"/test", filepath.Join(dir, IDXFiles[2]), filepath.Join(dir, IDXFiles[3]), 10)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// ReadCIFAR10 reads the binary version of CIFAR-10 from dir
// (data_batch_1.bin ... data_batch_5.bin and test_batch.bin: records of one
// label byte and 3072 pixel bytes, channel-major 32x32).
func ReadCIFAR10(dir string) (train, test *Dataset, err error) {
	read := func(name string, files []string) (*Dataset, error) {
		h := sha256.New()
		d := &Dataset{Name: name, C: 3, H: 32, W: 32, Classes: 10}
		for _, f := range files {
			path := filepath.Join(dir, f)
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("data: CIFAR-10: %w (the folder must hold the binary batches data_batch_1.bin ... test_batch.bin)", err)
			}
			h.Write(b)
			if len(b) == 0 || len(b)%3073 != 0 {
				return nil, fmt.Errorf("data: %s: %d bytes is not a whole number of 3073-byte records: truncated or corrupt", path, len(b))
			}
			for r := 0; r < len(b)/3073; r++ {
				rec := b[r*3073 : (r+1)*3073]
				if rec[0] > 9 {
					return nil, fmt.Errorf("data: %s: record %d has label %d: corrupt", path, r, rec[0])
				}
				d.Labels = append(d.Labels, int(rec[0]))
				d.Pixels = append(d.Pixels, rec[1:]...)
			}
		}
		d.N = len(d.Labels)
		d.Checksum = "sha256:" + hex.EncodeToString(h.Sum(nil))
		return d, d.validate()
	}
	if train, err = read("cifar10/train", []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}); err != nil {
		return nil, nil, err
	}
	if test, err = read("cifar10/test", []string{"test_batch.bin"}); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
