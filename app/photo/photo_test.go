package photo

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// exifJPEG returns a w×h JPEG whose APP1 segment carries an orientation tag
// and a GPS IFD with a latitude, written byte by byte as a camera does.
func exifJPEG(t *testing.T, w, h, orientation int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(200 * x / max(1, w-1)), 0, uint8(200 * y / max(1, h-1)), 255})
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return insertAPP1(plain.Bytes(), exifBlock(orientation))
}

// exifBlock: "Exif\0\0", big-endian TIFF, IFD0 with Orientation, Make and a
// GPS IFD pointer; the GPS IFD holds GPSLatitudeRef "N" and GPSLatitude.
func exifBlock(orientation int) []byte {
	be := binary.BigEndian
	var t []byte
	t = append(t, 'M', 'M', 0, 42, 0, 0, 0, 8)
	entry := func(tag, typ uint16, count, value uint32) {
		t = be.AppendUint16(t, tag)
		t = be.AppendUint16(t, typ)
		t = be.AppendUint32(t, count)
		t = be.AppendUint32(t, value)
	}
	// IFD0 at 8: 3 entries → 2 + 36 + 4 = 42 bytes, data after at 50.
	t = be.AppendUint16(t, 3)
	entry(0x010F, 2, 8, 50)                      // Make "SERIAL1\0" at 50
	entry(0x0112, 3, 1, uint32(orientation)<<16) // SHORT left-justified
	entry(0x8825, 4, 1, 58)                      // GPS IFD at 58
	t = be.AppendUint32(t, 0)
	t = append(t, "SERIAL1\x00"...)
	// GPS IFD at 58: 2 entries → 2 + 24 + 4 = 30, rationals at 88.
	t = be.AppendUint16(t, 2)
	entry(0x0001, 2, 2, uint32('N')<<24)
	entry(0x0002, 5, 3, 88)
	t = be.AppendUint32(t, 0)
	for _, v := range []uint32{51, 1, 7, 1, 1234, 100} {
		t = be.AppendUint32(t, v)
	}
	return append([]byte("Exif\x00\x00"), t...)
}

func insertAPP1(j, payload []byte) []byte {
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

func TestProcessRemovesMetadataAndAppliesOrientation(t *testing.T) {
	t.Parallel()
	in := exifJPEG(t, 2, 1, 6)
	if Orientation(in, "image/jpeg") != 6 {
		t.Fatalf("orientation of input: got %d, want 6", Orientation(in, "image/jpeg"))
	}
	if !bytes.Contains(in, []byte("SERIAL1")) {
		t.Fatal("test input lacks its marker")
	}
	res, err := Process(in, "image/jpeg", Options{MaxPixels: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Width != 1 || res.Height != 2 {
		t.Errorf("size: got %d×%d, want 1×2", res.Width, res.Height)
	}
	for _, marker := range [][]byte{[]byte("Exif"), []byte("SERIAL1"), {0xFF, 0xE1}} {
		if bytes.Contains(res.Data, marker) {
			t.Errorf("output still contains %q", marker)
		}
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(res.Data))
	if err != nil || cfg.Width != 1 || cfg.Height != 2 {
		t.Errorf("stored image: %v %d×%d", err, cfg.Width, cfg.Height)
	}
	if _, err := jpeg.Decode(bytes.NewReader(res.Preview)); err != nil {
		t.Errorf("preview: %v", err)
	}
}

func TestOrientAll(t *testing.T) {
	t.Parallel()
	// 2×1: left pixel red, right pixel blue.
	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	red, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	src.Set(0, 0, red)
	src.Set(1, 0, blue)
	tests := []struct {
		o          int
		w, h       int
		firstColor color.RGBA // at (0,0)
	}{
		{1, 2, 1, red}, {2, 2, 1, blue}, {3, 2, 1, blue}, {4, 2, 1, red},
		{5, 1, 2, red}, {6, 1, 2, red}, {7, 1, 2, blue}, {8, 1, 2, blue},
	}
	for _, tt := range tests {
		got := Orient(src, tt.o)
		b := got.Bounds()
		if b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("orientation %d: got %d×%d, want %d×%d", tt.o, b.Dx(), b.Dy(), tt.w, tt.h)
			continue
		}
		if c := color.RGBAModel.Convert(got.At(0, 0)).(color.RGBA); c != tt.firstColor {
			t.Errorf("orientation %d: pixel (0,0) got %v, want %v", tt.o, c, tt.firstColor)
		}
	}
}

func TestProcessRefusals(t *testing.T) {
	t.Parallel()
	if _, err := Process([]byte("\x00\x00\x00\x18ftypheic"), "image/heic", Options{}); err != ErrHEIC {
		t.Errorf("HEIC: got %v, want ErrHEIC", err)
	}
	if _, err := Process([]byte("%PDF-1.7"), "application/pdf", Options{}); err != ErrUnsupported {
		t.Errorf("PDF: got %v", err)
	}
	if _, err := Process([]byte{0xFF, 0xD8, 0xFF, 0x00}, "image/jpeg", Options{}); err != ErrBroken {
		t.Errorf("broken: got %v", err)
	}
	big := image.NewGray(image.Rect(0, 0, 100, 100))
	var buf bytes.Buffer
	_ = png.Encode(&buf, big)
	if _, err := Process(buf.Bytes(), "image/png", Options{MaxPixels: 5000}); err != ErrTooLarge {
		t.Errorf("too many pixels: got %v", err)
	}
	res, err := Process(buf.Bytes(), "image/png", Options{MaxPixels: 20000})
	if err != nil || res.ContentType != "image/png" {
		t.Errorf("png: %v %s", err, res.ContentType)
	}
}

func BenchmarkProcessPhone(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	in := insertAPP1(buf.Bytes(), exifBlock(6))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Process(in, "image/jpeg", Options{MaxPixels: 25_000_000}); err != nil {
			b.Fatal(err)
		}
	}
}
