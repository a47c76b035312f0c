package photo

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/draw"
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

// markedJPEG returns a w×h JPEG whose top-left quadrant is red and the rest
// blue, with an APP1 Exif segment (orientation o, camera serial, GPS) and an
// APP1 XMP packet, as a phone or an editing program writes them.
func markedJPEG(t *testing.T, w, h, o int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < w; x++ {
			c := [4]byte{0, 0, 255, 255}
			if x < w/2 && y < h/2 {
				c = [4]byte{255, 0, 0, 255}
			}
			copy(row[4*x:], c[:])
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	xmp := []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>51,7.34N</exif:GPSLatitude></x:xmpmeta>")
	return insertAPP1(insertAPP1(plain.Bytes(), xmp), exifBlock(o))
}

// jpegMarkers returns the markers of a JPEG's header segments up to the
// start of scan.
func jpegMarkers(t *testing.T, d []byte) []byte {
	t.Helper()
	var out []byte
	for i := 2; i+4 <= len(d); {
		if d[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := d[i+1]
		out = append(out, m)
		if m == 0xDA {
			return out
		}
		i += 2 + int(binary.BigEndian.Uint16(d[i+2:]))
	}
	t.Fatal("no start of scan")
	return nil
}

func TestProcessSizes(t *testing.T) {
	t.Parallel()
	red := func(c color.Color) bool {
		r, g, b, _ := c.RGBA()
		return r > 0xC000 && g < 0x4000 && b < 0x4000
	}
	tests := []struct {
		name           string
		w, h, o        int
		ct             string
		opt            Options
		wantW, wantH   int
		wantPW, wantPH int // preview
		// the centre of the quadrant where the source's red top-left
		// quadrant must land, as fractions of the output's width and height
		redAt [2]float64
	}{
		{"phone 12 MP turned by orientation 6", 4000, 3000, 6, "image/jpeg", Options{}, 1920, 2560, 360, 480, [2]float64{0.75, 0.25}},
		{"portrait turned by orientation 8", 1200, 1600, 8, "image/jpeg", Options{MaxSide: 800}, 800, 600, 480, 360, [2]float64{0.25, 0.75}},
		{"upside down by orientation 3", 1280, 960, 3, "image/jpeg", Options{MaxSide: 1024}, 1024, 768, 480, 360, [2]float64{0.75, 0.75}},
		{"small photo keeps its size", 800, 600, 1, "image/jpeg", Options{}, 800, 600, 480, 360, [2]float64{0.25, 0.25}},
		{"small photo turned, not scaled", 1000, 700, 6, "image/jpeg", Options{}, 700, 1000, 336, 480, [2]float64{0.75, 0.25}},
		{"exactly the cap", 1000, 600, 1, "image/jpeg", Options{MaxSide: 1000}, 1000, 600, 480, 288, [2]float64{0.25, 0.25}},
		{"tiny photo, preview not enlarged", 300, 200, 1, "image/jpeg", Options{}, 300, 200, 300, 200, [2]float64{0.25, 0.25}},
		{"own cap and preview size", 2000, 1000, 6, "image/jpeg", Options{MaxSide: 1000, PreviewSize: 200}, 500, 1000, 100, 200, [2]float64{0.75, 0.25}},
		{"PNG scaled, stays PNG", 1200, 800, 1, "image/png", Options{MaxSide: 1000}, 1000, 667, 480, 320, [2]float64{0.25, 0.25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := markedJPEG(t, tt.w, tt.h, tt.o)
			if tt.ct == "image/png" {
				src, err := jpeg.Decode(bytes.NewReader(in))
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := png.Encode(&buf, src); err != nil {
					t.Fatal(err)
				}
				in = buf.Bytes()
			}
			opt := tt.opt
			opt.MaxPixels = 25_000_000
			res, err := Process(in, tt.ct, opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.Width != tt.wantW || res.Height != tt.wantH {
				t.Errorf("reported size %d×%d, want %d×%d", res.Width, res.Height, tt.wantW, tt.wantH)
			}
			if res.ContentType != tt.ct || res.PreviewType != "image/jpeg" {
				t.Errorf("types %s, %s", res.ContentType, res.PreviewType)
			}
			got, _, err := image.Decode(bytes.NewReader(res.Data))
			if err != nil {
				t.Fatal(err)
			}
			if b := got.Bounds(); b.Dx() != tt.wantW || b.Dy() != tt.wantH {
				t.Fatalf("stored %d×%d, want %d×%d", b.Dx(), b.Dy(), tt.wantW, tt.wantH)
			}
			// Upright: red only in the expected quadrant.
			fx, fy := tt.redAt[0], tt.redAt[1]
			at := func(x, y float64) color.Color { return got.At(int(x*float64(tt.wantW)), int(y*float64(tt.wantH))) }
			if !red(at(fx, fy)) || red(at(1-fx, fy)) || red(at(fx, 1-fy)) || red(at(1-fx, 1-fy)) {
				t.Errorf("not upright: the red quadrant is not around (%.2f, %.2f)", fx, fy)
			}
			pv, err := jpeg.DecodeConfig(bytes.NewReader(res.Preview))
			if err != nil || pv.Width != tt.wantPW || pv.Height != tt.wantPH {
				t.Errorf("preview %v %d×%d, want %d×%d", err, pv.Width, pv.Height, tt.wantPW, tt.wantPH)
			}
			// No metadata: no APPn or comment segment, none of the texts.
			for _, d := range [][]byte{res.Data, res.Preview} {
				if d[0] == 0xFF {
					for _, m := range jpegMarkers(t, d) {
						if m >= 0xE0 && m <= 0xEF || m == 0xFE {
							t.Errorf("segment %#x in the output", m)
						}
					}
				}
				for _, s := range []string{"Exif", "SERIAL1", "xmpmeta", "ns.adobe.com", "GPS"} {
					if bytes.Contains(d, []byte(s)) {
						t.Errorf("output contains %q", s)
					}
				}
			}
		})
	}
}

// TestOrientMatchesDefinition checks every pixel of a 5×3 image with unique
// colours against the EXIF definition of each orientation, also for an
// image that is not RGBA and one whose bounds do not start at (0, 0).
func TestOrientMatchesDefinition(t *testing.T) {
	t.Parallel()
	const w, h = 5, 3
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			src.SetRGBA(x, y, color.RGBA{uint8(10 * x), uint8(10 * y), 7, 255})
		}
	}
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(nrgba, nrgba.Bounds(), src, image.Point{}, draw.Src)
	shifted := image.NewRGBA(image.Rect(10, 20, 10+w, 20+h))
	draw.Draw(shifted, shifted.Bounds(), src, image.Point{}, draw.Src)
	// where the source pixel (x, y) goes
	want := map[int]func(x, y int) (int, int){
		1: func(x, y int) (int, int) { return x, y },
		2: func(x, y int) (int, int) { return w - 1 - x, y },
		3: func(x, y int) (int, int) { return w - 1 - x, h - 1 - y },
		4: func(x, y int) (int, int) { return x, h - 1 - y },
		5: func(x, y int) (int, int) { return y, x },
		6: func(x, y int) (int, int) { return h - 1 - y, x },
		7: func(x, y int) (int, int) { return h - 1 - y, w - 1 - x },
		8: func(x, y int) (int, int) { return y, w - 1 - x },
	}
	for name, in := range map[string]image.Image{"RGBA": src, "NRGBA": nrgba, "shifted": shifted} {
		for o := 1; o <= 8; o++ {
			got := Orient(in, o)
			gb := got.Bounds()
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					dx, dy := want[o](x, y)
					c := color.RGBAModel.Convert(got.At(gb.Min.X+dx, gb.Min.Y+dy)).(color.RGBA)
					if c != src.RGBAAt(x, y) {
						t.Fatalf("%s, orientation %d: (%d,%d) should be at (%d,%d), found %v", name, o, x, y, dx, dy, c)
					}
				}
			}
		}
	}
}
