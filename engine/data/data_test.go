package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadMNIST(t *testing.T) {
	train, test, err := Load("mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 || train.H != 28 || train.W != 28 || train.C != 1 {
		t.Fatalf("train %d, test %d images of %dx%dx%d", train.N, test.N, train.C, train.H, train.W)
	}
	// The first training label of MNIST is a 5, the first test label a 7.
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Fatalf("first labels %d, %d", train.Labels[0], test.Labels[0])
	}
	if !strings.HasPrefix(train.Checksum, "sha256:") {
		t.Fatalf("checksum %q", train.Checksum)
	}
}

func TestReadFashionMNISTIfInstalled(t *testing.T) {
	if CheckIDXDir(FashionMNISTDir) != nil {
		t.Skip("Debian's dataset-fashion-mnist is not installed (make data installs it)")
	}
	train, test, err := Load("fashion-mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	// Fashion-MNIST's first training image is an ankle boot (9), its first test image too.
	if train.N != 60000 || test.N != 10000 || train.Labels[0] != 9 || test.Labels[0] != 9 {
		t.Fatalf("%d/%d images, first labels %d/%d", train.N, test.N, train.Labels[0], test.Labels[0])
	}
}

// writeIDX writes an IDX file with the given magic, dims and payload.
func writeIDX(t *testing.T, path string, magic uint32, dims []int, payload []byte, gz bool) {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(payload)
	out := b.Bytes()
	if gz {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(out)
		w.Close()
		out = z.Bytes()
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptIDXFilesAreNamedErrors(t *testing.T) {
	dir := t.TempDir()
	img, lab := filepath.Join(dir, "img"), filepath.Join(dir, "lab")
	good := func() {
		writeIDX(t, img, idxImages, []int{3, 2, 2}, make([]byte, 12), true)
		writeIDX(t, lab, idxLabels, []int{3}, []byte{0, 1, 2}, false)
	}
	good()
	if d, err := ReadIDX("t", img, lab, 10); err != nil || d.N != 3 || d.H != 2 {
		t.Fatalf("valid files: %v", err)
	}
	for _, c := range []struct {
		name   string
		break_ func()
		want   []string
	}{
		{"truncated payload", func() { writeIDX(t, img, idxImages, []int{3, 2, 2}, make([]byte, 11), false) }, []string{img, "truncated"}},
		{"wrong magic", func() { writeIDX(t, img, idxLabels, []int{3, 2, 2}, make([]byte, 12), false) }, []string{img, "magic"}},
		{"short header", func() { os.WriteFile(img, []byte{0, 0, 8}, 0o644) }, []string{img, "header"}},
		{"broken gzip", func() {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			w.Write(make([]byte, 1000))
			w.Close()
			os.WriteFile(img, z.Bytes()[:z.Len()/2], 0o644)
		}, []string{img, "gzip"}},
		{"count mismatch", func() { writeIDX(t, lab, idxLabels, []int{2}, []byte{0, 1}, false) }, []string{"3 images", "2 labels"}},
		{"label out of range", func() { writeIDX(t, lab, idxLabels, []int{3}, []byte{0, 1, 12}, false) }, []string{"label 12", "image 2"}},
		{"missing file", func() { os.Remove(lab) }, []string{lab}},
	} {
		good()
		c.break_()
		_, err := ReadIDX("t", img, lab, 10)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

func TestReadCIFAR10Format(t *testing.T) {
	dir := t.TempDir()
	rec := func(label byte) []byte {
		r := make([]byte, 3073)
		r[0] = label
		r[1] = 200 // red channel, pixel (0,0)
		return r
	}
	for i := 1; i <= 5; i++ {
		os.WriteFile(filepath.Join(dir, "data_batch_"+string(rune('0'+i))+".bin"), append(rec(byte(i)), rec(0)...), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec(9), 0o644)
	train, test, err := ReadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 10 || test.N != 1 || train.Labels[2] != 2 || train.Image(0)[0] != 200 || test.Labels[0] != 9 {
		t.Fatalf("read %d/%d, labels %v", train.N, test.N, train.Labels)
	}
	os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec(9)[:3000], 0o644)
	if _, _, err := ReadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "test_batch.bin") {
		t.Fatalf("truncated batch: %v", err)
	}
}

func TestReadFolder(t *testing.T) {
	dir := t.TempDir()
	for ci, c := range []string{"cat", "dog"} {
		os.MkdirAll(filepath.Join(dir, c), 0o755)
		for k := 0; k < 2; k++ {
			img := image.NewRGBA(image.Rect(0, 0, 8, 6))
			for y := 0; y < 6; y++ {
				for x := 0; x < 8; x++ {
					img.Set(x, y, color.RGBA{uint8(100 * ci), 50, 0, 255})
				}
			}
			f, _ := os.Create(filepath.Join(dir, c, string(rune('a'+k))+".png"))
			png.Encode(f, img)
			f.Close()
		}
	}
	os.WriteFile(filepath.Join(dir, "dog", "notes.txt"), []byte("skip me"), 0o644)
	d, classes, err := ReadFolder("pets", dir, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 4 || len(classes) != 2 || classes[1] != "dog" || d.Labels[3] != 1 || d.Image(3)[0] != 100 || d.Image(3)[16] != 50 {
		t.Fatalf("%d images, classes %v, labels %v, pixel %v", d.N, classes, d.Labels, d.Image(3)[:1])
	}
	os.WriteFile(filepath.Join(dir, "dog", "bad.png"), []byte("not a png"), 0o644)
	if _, _, err := ReadFolder("pets", dir, 4, 3); err == nil || !strings.Contains(err.Error(), "bad.png") {
		t.Fatalf("corrupt image: %v", err)
	}
}

func TestStratifiedSplitAndSubset(t *testing.T) {
	d := Synthetic(1000, 10, 1, 4, 4, 3)
	train, val, err := StratifiedSplit(d, 0.1, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(val) != 100 || len(train) != 900 {
		t.Fatalf("split %d/%d", len(train), len(val))
	}
	seen := map[int]bool{}
	perClass := make([]int, 10)
	for _, i := range val {
		seen[i] = true
		perClass[d.Labels[i]]++
	}
	for _, i := range train {
		if seen[i] {
			t.Fatalf("image %d in both splits", i)
		}
	}
	for c, n := range perClass {
		if n != 10 {
			t.Fatalf("class %d has %d validation images, want 10", c, n)
		}
	}
	again, _, _ := StratifiedSplit(d, 0.1, 7)
	other, _, _ := StratifiedSplit(d, 0.1, 8)
	if !equalInts(again, train) || equalInts(other, train) {
		t.Fatal("split is not a function of its seed")
	}
	sub, err := BalancedSubset(d.Labels, 10, 7, 1)
	if err != nil || len(sub) != 70 {
		t.Fatalf("subset: %v, %d", err, len(sub))
	}
	if _, err := BalancedSubset(d.Labels, 10, 101, 1); err == nil {
		t.Fatal("asked for more images than a class has")
	}
	if _, _, err := StratifiedSplit(d, 1.5, 1); err == nil {
		t.Fatal("fraction 1.5 accepted")
	}
}

func TestLoadUnknownDataset(t *testing.T) {
	if _, _, err := Load("imagenet", ""); err == nil || !strings.Contains(err.Error(), "fashion-mnist") {
		t.Fatalf("got %v", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
