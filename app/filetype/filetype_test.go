package filetype

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
)

func zipWith(t testing.TB, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := z.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, "x")
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func odf(t testing.TB, mt string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, _ := z.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	_, _ = io.WriteString(w, mt)
	w, _ = z.Create("content.xml")
	_, _ = io.WriteString(w, "<office:document-content/>")
	_ = z.Close()
	return buf.Bytes()
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"pdf", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj\n"), "application/pdf"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png"},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg"},
		{"docx", zipWith(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx", zipWith(t, "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"odt", odf(t, "application/vnd.oasis.opendocument.text"), "application/vnd.oasis.opendocument.text"},
		{"plain zip", zipWith(t, "a.txt"), "application/zip"},
		{"html", []byte("<!DOCTYPE html><html><body>"), "text/html"},
		{"text with charset parameter dropped", []byte("Hallo Welt"), "text/plain"},
		{"windows executable", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), "application/vnd.microsoft.portable-executable"},
		{"pdf after a byte order mark and a line feed", []byte("\xef\xbb\xbf\r\n%PDF-1.4\n"), "application/pdf"},
		// The detector finds "%PDF-" anywhere in the first KiB (found by FuzzDetect).
		{"html naming a pdf header", []byte("<html><script>alert(1)</script><!-- %PDF-1.4 -->"), "application/octet-stream"},
		{"text before a pdf header", []byte("Hallo %PDF-1.4"), "application/octet-stream"},
		{"empty", nil, "text/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rest, err := Sniff(bytes.NewReader(tc.content))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			all, _ := io.ReadAll(rest)
			if !bytes.Equal(all, tc.content) {
				t.Fatalf("Sniff must return the whole content, got %d of %d bytes", len(all), len(tc.content))
			}
		})
	}
}

// Sniff hands back content longer than its head unchanged.
func TestSniffKeepsLongContent(t *testing.T) {
	content := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789"), 1000)...)
	_, rest, err := Sniff(bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(rest)
	if !bytes.Equal(all, content) {
		t.Fatal("content changed")
	}
}

// starts says how a file of each media type a user may upload (documents,
// statement attachments, defect photos) begins.
var starts = map[string]func([]byte) bool{
	"application/pdf": func(b []byte) bool {
		// A byte order mark and white space may come before the header.
		return bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n"), []byte("%PDF-"))
	},
	"image/png":  func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) },
	"image/jpeg": func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xff\xd8\xff")) },
	"image/webp": func(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" },
	"image/tiff": func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
	},
	"image/heic": isoBMFF,
	"image/heif": isoBMFF,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   isZip,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         isZip,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": isZip,
	"application/vnd.oasis.opendocument.text":                                   isZip,
	"application/vnd.oasis.opendocument.spreadsheet":                            isZip,
	"application/vnd.oasis.opendocument.presentation":                           isZip,
	"application/msword":            isOLE,
	"application/vnd.ms-excel":      isOLE,
	"application/vnd.ms-powerpoint": isOLE,
}

func isoBMFF(b []byte) bool { return len(b) >= 12 && string(b[4:8]) == "ftyp" }

func isZip(b []byte) bool { return len(b) >= 4 && b[0] == 'P' && b[1] == 'K' }

func isOLE(b []byte) bool { return bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) }

// FuzzDetect: Detect never panics, answers a bare media type, and never
// names a type users may upload for bytes that do not begin like it; Sniff
// agrees with Detect and hands back every byte.
func FuzzDetect(f *testing.F) {
	for _, s := range [][]byte{[]byte("%PDF-1.7\n"), []byte("\n%PDF-1.4"), []byte("\xef\xbb\xbf%PDF-1.4"), []byte(" %PDF-1.4"),
		[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), []byte("RIFF\x00\x00\x00\x00WEBPVP8 "),
		[]byte("II*\x00\x08\x00\x00\x00"), []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), []byte("\x00\x00\x00\x18ftypmif1"),
		[]byte("PK\x03\x04"), []byte("PK\x05\x06\x00\x00\x00\x00"), []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"),
		[]byte("<!DOCTYPE html>"), []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), []byte("MZ\x90\x00"), {}, {0}, []byte("Hallo Welt")} {
		f.Add(s)
	}
	f.Add(zipWith(f, "[Content_Types].xml", "_rels/.rels", "word/document.xml"))
	f.Add(zipWith(f, "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"))
	f.Add(odf(f, "application/vnd.oasis.opendocument.text"))
	f.Fuzz(func(t *testing.T, content []byte) {
		got := Detect(content[:min(len(content), HeadSize)])
		if got == "" || strings.ContainsAny(got, "; ") {
			t.Fatalf("Detect = %q: not a bare media type", got)
		}
		if start, allowed := starts[got]; allowed && !start(content) {
			t.Fatalf("Detect(%q) = %s, but the bytes do not begin like one", content[:min(len(content), 16)], got)
		}
		sniffed, rest, err := Sniff(bytes.NewReader(content))
		if err != nil || sniffed != got {
			t.Fatalf("Sniff = %q, %v; Detect = %q", sniffed, err, got)
		}
		if all, _ := io.ReadAll(rest); !bytes.Equal(all, content) {
			t.Fatalf("Sniff hands back %d of %d bytes", len(all), len(content))
		}
	})
}
