// Package photo prepares photos that citizens upload for publication: it
// decodes the pixels, turns them upright as the camera's orientation tag says,
// and encodes them again, so that no metadata (EXIF with GPS position, camera
// serial numbers, XMP, comments) survives; it also draws a small preview.
package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decoder for image.Decode
)

// Errors of Process.
var (
	ErrUnsupported = errors.New("photo: unsupported format")
	ErrHEIC        = errors.New("photo: HEIC/HEIF cannot be decoded")
	ErrTooLarge    = errors.New("photo: too many pixels")
	ErrBroken      = errors.New("photo: cannot decode")
)

// Result is a cleaned photo and its preview.
type Result struct {
	Data          []byte
	ContentType   string
	Width, Height int
	Preview       []byte
	PreviewType   string
}

// Defaults of Options.
const (
	// DefaultMaxSide caps the stored photo's longer side: 2560 pixels (5
	// megapixels at 4:3) fill a QHD screen and show a crack or a pothole's
	// edge when zoomed in, with 40 % of a 12-megapixel phone camera's pixels.
	DefaultMaxSide = 2560
	// DefaultPreviewSize is the preview's longer side.
	DefaultPreviewSize = 480
	// DefaultQuality is the stored photo's JPEG quality; the preview uses
	// previewQuality.
	DefaultQuality = 85
	previewQuality = 80
)

// Options bound the work.
type Options struct {
	MaxPixels   int // refuse images larger than this (decompression bombs)
	MaxSide     int // longest side of the stored photo, larger ones are scaled down (0: DefaultMaxSide)
	PreviewSize int // longest side of the preview in pixels (0: DefaultPreviewSize)
	Quality     int // JPEG quality (0: DefaultQuality)
}

// Process reads a JPEG, PNG or WebP image of the detected media type ct and
// returns it without any metadata, upright, at most o.MaxSide pixels on its
// longer side (smaller images keep their size), and a JPEG preview. PNG
// stays PNG (lossless); JPEG and WebP become JPEG.
//
// The order keeps the work small: the decoded image is scaled down first, so
// that turning it upright, encoding it and drawing the preview all work on
// the scaled pixels. Decoding the full image is then most of the time; the
// standard library's JPEG decoder cannot decode at a reduced size.
func Process(data []byte, ct string, o Options) (Result, error) {
	switch ct {
	case "image/jpeg", "image/png", "image/webp":
	case "image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence", "image/avif":
		return Result{}, ErrHEIC
	default:
		return Result{}, ErrUnsupported
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Result{}, ErrBroken
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || (o.MaxPixels > 0 && cfg.Width*cfg.Height > o.MaxPixels) {
		return Result{}, ErrTooLarge
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Result{}, ErrBroken
	}
	side := o.MaxSide
	if side <= 0 {
		side = DefaultMaxSide
	}
	img = Orient(scale(img, side), Orientation(data, ct))
	b := img.Bounds()
	res := Result{Width: b.Dx(), Height: b.Dy()}
	var out bytes.Buffer
	q := o.Quality
	if q <= 0 {
		q = DefaultQuality
	}
	if ct == "image/png" {
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		if err := enc.Encode(&out, img); err != nil {
			return Result{}, err
		}
		res.ContentType = "image/png"
	} else {
		if err := jpeg.Encode(&out, flatten(img), &jpeg.Options{Quality: q}); err != nil {
			return Result{}, err
		}
		res.ContentType = "image/jpeg"
	}
	res.Data = out.Bytes()
	size := o.PreviewSize
	if size <= 0 {
		size = DefaultPreviewSize
	}
	var pv bytes.Buffer
	if err := jpeg.Encode(&pv, flatten(scale(img, size)), &jpeg.Options{Quality: previewQuality}); err != nil {
		return Result{}, err
	}
	res.Preview, res.PreviewType = pv.Bytes(), "image/jpeg"
	return res, nil
}

// flatten draws img on white, for JPEG which has no transparency.
func flatten(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), &image.Uniform{C: color.White}, image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}

// scale fits img into size×size, keeping its aspect; smaller images stay as
// they are. It uses draw.ApproxBiLinear, which reads the four nearest source
// pixels: measured on a 12-megapixel JPEG it took about half the time of
// decoding, draw.BiLinear (which averages every source pixel when shrinking)
// three to four times as long and 265 MB of buffers. For the usual shrink
// factors of 1.2 to 2.5 the difference is hard to see.
func scale(img image.Image, size int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= size && h <= size {
		return img
	}
	if w >= h {
		h, w = max(1, (h*size+w/2)/w), size
	} else {
		w, h = max(1, (w*size+h/2)/h), size
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// Orient returns img turned as EXIF orientation o (1 to 8) says, so that it
// shows upright without the tag.
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	// Work on RGBA bytes: draw has fast paths from the decoders' types, and
	// copying four bytes per pixel is far quicker than At/Set. scale already
	// returns RGBA, so usually nothing is converted here.
	src, ok := img.(*image.RGBA)
	if !ok || b.Min != (image.Point{}) {
		src = image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	}
	dw, dh := w, h
	if o >= 5 { // orientations 5 to 8 swap width and height
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	// The source pixel (x, y) goes to byte start + x*stepX + y*stepY of dst.
	d := dst.Stride
	var start, stepX, stepY int
	switch o {
	case 2: // mirrored horizontally: (w-1-x, y)
		start, stepX, stepY = 4*(w-1), -4, d
	case 3: // rotated 180°: (w-1-x, h-1-y)
		start, stepX, stepY = (h-1)*d+4*(w-1), -4, -d
	case 4: // mirrored vertically: (x, h-1-y)
		start, stepX, stepY = (h-1)*d, 4, -d
	case 5: // transposed: (y, x)
		start, stepX, stepY = 0, d, 4
	case 6: // rotate 90° clockwise: (h-1-y, x)
		start, stepX, stepY = 4*(h-1), d, -4
	case 7: // transversed: (h-1-y, w-1-x)
		start, stepX, stepY = (w-1)*d+4*(h-1), -d, -4
	case 8: // rotate 90° counter-clockwise: (y, w-1-x)
		start, stepX, stepY = (w-1)*d, -d, 4
	}
	// Tiles of 32×32 pixels keep the lines written to in the cache when a
	// source row becomes a destination column.
	const tile = 32
	for ty := 0; ty < h; ty += tile {
		for tx := 0; tx < w; tx += tile {
			for y := ty; y < min(ty+tile, h); y++ {
				row := src.Pix[y*src.Stride+4*tx : y*src.Stride+4*min(tx+tile, w)]
				i := start + tx*stepX + y*stepY
				for x := 0; x < len(row); x += 4 {
					*(*[4]byte)(dst.Pix[i:]) = *(*[4]byte)(row[x:])
					i += stepX
				}
			}
		}
	}
	return dst
}

// Orientation returns the EXIF orientation (1 to 8) of a JPEG or WebP image,
// or 1 when it has none or it cannot be read.
func Orientation(data []byte, ct string) int {
	var tiff []byte
	switch ct {
	case "image/jpeg":
		tiff = jpegExif(data)
	case "image/webp":
		tiff = webpExif(data)
	}
	if tiff == nil {
		return 1
	}
	return tiffOrientation(tiff)
}

// jpegExif returns the TIFF block of the first APP1 "Exif" segment.
func jpegExif(d []byte) []byte {
	if len(d) < 4 || d[0] != 0xFF || d[1] != 0xD8 {
		return nil
	}
	i := 2
	for i+4 <= len(d) {
		if d[i] != 0xFF {
			return nil
		}
		marker := d[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return nil
		}
		n := int(binary.BigEndian.Uint16(d[i+2:]))
		if n < 2 || i+2+n > len(d) {
			return nil
		}
		seg := d[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

// webpExif returns the content of a WebP file's EXIF chunk.
func webpExif(d []byte) []byte {
	if len(d) < 12 || string(d[:4]) != "RIFF" || string(d[8:12]) != "WEBP" {
		return nil
	}
	for i := 12; i+8 <= len(d); {
		id := string(d[i : i+4])
		n := int(binary.LittleEndian.Uint32(d[i+4:]))
		if n < 0 || i+8+n > len(d) {
			return nil
		}
		if id == "EXIF" {
			c := d[i+8 : i+8+n]
			if len(c) > 6 && string(c[:6]) == "Exif\x00\x00" {
				c = c[6:]
			}
			return c
		}
		i += 8 + n + n%2
	}
	return nil
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF block.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// ReadAll reads at most limit bytes of r; more is ErrTooLarge.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}
