package data

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for image folders
	_ "image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/draw"
)

// ReadFolder reads an image folder with one subfolder per class (named
// anything; classes are numbered in sorted order, as torchvision's
// ImageFolder does), decoding PNG and JPEG files and resizing each to
// size×size with bilinear interpolation. channels is 1 (grey) or 3 (RGB).
func ReadFolder(name, dir string, size, channels int) (*Dataset, []string, error) {
	if channels != 1 && channels != 3 {
		return nil, nil, fmt.Errorf("data: image folder %s: %d channels, want 1 or 3", dir, channels)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("data: image folder: %w", err)
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	sort.Strings(classes)
	if len(classes) < 2 {
		return nil, nil, fmt.Errorf("data: image folder %s has %d class subfolders; want one subfolder per class, at least 2", dir, len(classes))
	}
	h := sha256.New()
	d := &Dataset{Name: name, C: channels, H: size, W: size, Classes: len(classes)}
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	for ci, c := range classes {
		files, err := os.ReadDir(filepath.Join(dir, c))
		if err != nil {
			return nil, nil, fmt.Errorf("data: %w", err)
		}
		for _, f := range files {
			ext := strings.ToLower(filepath.Ext(f.Name()))
			if f.IsDir() || (ext != ".png" && ext != ".jpg" && ext != ".jpeg") {
				continue
			}
			path := filepath.Join(dir, c, f.Name())
			raw, err := os.ReadFile(path)
			if err != nil {
				return nil, nil, fmt.Errorf("data: %w", err)
			}
			h.Write(raw)
			img, _, err := image.Decode(strings.NewReader(string(raw)))
			if err != nil {
				return nil, nil, fmt.Errorf("data: %s: cannot decode image: %v", path, err)
			}
			draw.BiLinear.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
			px := make([]uint8, channels*size*size)
			for y := 0; y < size; y++ {
				for x := 0; x < size; x++ {
					o := dst.PixOffset(x, y)
					r, g, b := dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2]
					if channels == 1 {
						// ITU-R BT.601 luma, as PIL's convert("L").
						px[y*size+x] = uint8((299*int(r) + 587*int(g) + 114*int(b) + 500) / 1000)
					} else {
						px[y*size+x], px[size*size+y*size+x], px[2*size*size+y*size+x] = r, g, b
					}
				}
			}
			d.Pixels = append(d.Pixels, px...)
			d.Labels = append(d.Labels, ci)
		}
	}
	d.N = len(d.Labels)
	d.Checksum = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if d.N == 0 {
		return nil, nil, fmt.Errorf("data: image folder %s holds no PNG or JPEG files", dir)
	}
	return d, classes, d.validate()
}
