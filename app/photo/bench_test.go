package photo

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"sync"
	"testing"
)

// benchPhoto is a generated stand-in for a camera picture: smooth gradients,
// a few soft waves and fine noise, so that the encoders see neither a flat
// area (which compresses to nothing) nor pure noise (which does not compress).
func benchPhoto(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(2463534242)
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			fx := float64(x) / float64(w)
			seed ^= seed << 13
			seed ^= seed >> 17
			seed ^= seed << 5
			n := float64(seed&15) - 7.5
			wave := 30 * math.Sin(fx*37+fy*11) * math.Cos(fy*23)
			row[4*x+0] = clamp8(60 + 120*fx + wave + n)
			row[4*x+1] = clamp8(90 + 80*fy - wave/2 + n)
			row[4*x+2] = clamp8(140 - 90*fx*fy + wave/3 + n)
			row[4*x+3] = 255
		}
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(min(255, max(0, v))) }

type benchInput struct {
	name string
	ct   string
	data []byte
}

var (
	benchOnce   sync.Once
	benchInputs []benchInput
)

// inputs builds the benchmark's photos once per process: a 12-megapixel
// phone JPEG (4000×3000, quality 92, EXIF orientation 6 with a GPS block),
// the same picture as PNG, a 3-megapixel JPEG (2000×1500) and an 800×600
// JPEG as the baseline.
func inputs(b *testing.B) []benchInput {
	benchOnce.Do(func() {
		enc := func(img image.Image) []byte {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
				panic(err)
			}
			return buf.Bytes()
		}
		big := benchPhoto(4000, 3000)
		var pngBuf bytes.Buffer
		if err := png.Encode(&pngBuf, big); err != nil {
			panic(err)
		}
		benchInputs = []benchInput{
			{"jpeg-12MP-orient6", "image/jpeg", insertAPP1(enc(big), exifBlock(6))},
			{"png-12MP", "image/png", pngBuf.Bytes()},
			{"jpeg-3MP", "image/jpeg", enc(benchPhoto(2000, 1500))},
			{"jpeg-800x600", "image/jpeg", enc(benchPhoto(800, 600))},
		}
	})
	return benchInputs
}

// BenchmarkClean measures Process on typical uploads. Besides time and
// allocations it reports the input size (in-B), the stored photo's size
// (out-B) and the preview's size (preview-B).
//
//	go test -run '^$' -bench Clean -benchmem -count 3 ./app/photo
func BenchmarkClean(b *testing.B) {
	for _, in := range inputs(b) {
		b.Run(in.name, func(b *testing.B) {
			var res Result
			var err error
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if res, err = Process(in.data, in.ct, Options{MaxPixels: 25_000_000}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(len(in.data)), "in-B")
			b.ReportMetric(float64(len(res.Data)), "out-B")
			b.ReportMetric(float64(len(res.Preview)), "preview-B")
		})
	}
}
