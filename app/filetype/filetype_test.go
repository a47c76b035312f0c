package filetype

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

func zipWith(t *testing.T, names ...string) []byte {
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

func odf(t *testing.T, mt string) []byte {
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
