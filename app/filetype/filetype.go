// Package filetype tells what an uploaded file is from its first bytes, never
// from its name or the client's Content-Type, which anyone can set.
package filetype

import (
	"bytes"
	"io"
	"mime"

	"github.com/gabriel-vasile/mimetype"
)

// HeadSize is how many leading bytes Detect looks at; fewer are fine for short
// files. Office files are ZIP archives whose type shows in the first entries'
// names, which lie within this range for files written by office programs.
const HeadSize = 3072

// Detect returns the media type (without parameters) of content that starts
// with head, e.g. "application/pdf"; unknown binary data is
// "application/octet-stream".
func Detect(head []byte) string {
	mt, _, err := mime.ParseMediaType(mimetype.Detect(head).String())
	if err != nil {
		return "application/octet-stream"
	}
	// The detector takes "%PDF-" anywhere in the first KiB for a PDF, so any
	// file (HTML, a program) could pass as one; a PDF we accept begins with
	// its header, after at most a byte order mark and white space.
	if mt == "application/pdf" && !bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"), []byte("%PDF-")) {
		return "application/octet-stream"
	}
	return mt
}

// Sniff reads the head of r and returns the detected type and a reader that
// yields the whole content again, head included.
func Sniff(r io.Reader) (string, io.Reader, error) {
	head := make([]byte, HeadSize)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", nil, err
	}
	head = head[:n]
	return Detect(head), io.MultiReader(bytes.NewReader(head), r), nil
}
