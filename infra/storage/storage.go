// Package storage keeps the bytes of files (procedure documents, statement
// attachments, photos) behind the Store interface, in a local directory or in
// an S3-compatible object store. The metadata that the portal shows (names,
// owners, which procedure a file belongs to) lives in PostgreSQL; a Store only
// knows keys, sizes, content types and SHA-256 digests.
//
// Keys are chosen by the callers, for example "procedures/<uuid>/<uuid>", and
// must pass ValidateKey. Writes are atomic: a failed Put never leaves a partial
// object visible under its key. Reads support ranges, so an HTTP handler can
// answer Range requests without reading the whole object.
package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"

	"beteiligungsportal/domain/file"
)

// Sentinel errors, shared with the file port so that callers outside infra
// can test them with errors.Is; the returned errors wrap them with the
// operation and key.
var (
	ErrInvalidKey   = file.ErrInvalidKey
	ErrNotFound     = file.ErrNotFound
	ErrInvalidRange = file.ErrInvalidRange
	ErrSizeMismatch = file.ErrSizeMismatch
)

// DefaultContentType is stored when Put is called without a content type.
const DefaultContentType = "application/octet-stream"

// maxContentTypeLen bounds the stored content type; real media types with
// parameters are far shorter.
const maxContentTypeLen = 200

// Object describes a stored object (see file.Object).
type Object = file.Object

// Reader reads the content of an object opened with Store.Open. Besides
// sequential reads it supports Seek and ReadAt without reading the skipped
// bytes. A Reader is not safe for concurrent use, except that ReadAt may be
// called concurrently.
type Reader = file.Reader

// Store keeps objects by key. Implementations are safe for concurrent use.
// It satisfies file.Store and adds ranged reads.
type Store interface {
	// Put stores the content read from r under key, replacing an existing
	// object atomically, and returns its description with the SHA-256 digest
	// computed while reading. If size is not negative, r must deliver exactly
	// size bytes (otherwise ErrSizeMismatch); a negative size reads r to EOF.
	// An empty contentType is stored as DefaultContentType. When Put fails
	// the previous object under key, if any, is left unchanged, and no
	// partial object ever becomes visible.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Object, error)
	// Open opens the object for reading. The Reader reads the content that
	// the returned Object describes; it may issue further requests to the
	// backend, which use ctx, so ctx must stay alive until the Reader is
	// closed. The caller must close the Reader.
	Open(ctx context.Context, key string) (Reader, Object, error)
	// OpenRange returns a reader of length bytes starting at offset. The
	// range must lie within the object (offset >= 0, length > 0,
	// offset+length <= size), otherwise the error wraps ErrInvalidRange.
	// Only the requested bytes are read from the backend.
	OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Delete removes the object. Deleting a missing object is not an error,
	// so a retried delete succeeds.
	Delete(ctx context.Context, key string) error
	// Stat describes the object without reading its content.
	Stat(ctx context.Context, key string) (Object, error)
}

// MaxKeyLen is the longest key ValidateKey accepts.
const MaxKeyLen = 200

// ValidateKey reports whether key may be used as a storage key: 1 to
// MaxKeyLen characters from [a-z0-9/._-], no leading or trailing slash, no
// empty path segment ("//"), no "." segment and no "..". Such a key maps to
// the same relative path on every backend and cannot escape a directory.
// The error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	reason := keyProblem(key)
	if reason == "" {
		return nil
	}
	if len(key) > MaxKeyLen {
		key = key[:MaxKeyLen] + "..."
	}
	return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, reason)
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLen)
	case key[0] == '/':
		return "leading slash"
	case key[len(key)-1] == '/':
		return "trailing slash"
	}
	segStart := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		case c == '/':
			if i == segStart {
				return "empty path segment"
			}
			if key[segStart:i] == "." {
				return `"." path segment`
			}
			segStart = i + 1
		case c >= 0x80:
			return "non-ASCII character (only a-z 0-9 / . _ -)"
		default:
			return fmt.Sprintf("character %q not allowed (only a-z 0-9 / . _ -)", c)
		}
		if c == '.' && i > 0 && key[i-1] == '.' {
			return `contains ".."`
		}
	}
	if key[segStart:] == "." {
		return `"." path segment`
	}
	return ""
}

// checkContentType returns the content type to store, or an error for one
// that cannot be stored safely (it ends up in HTTP headers).
func checkContentType(ct string) (string, error) {
	if ct == "" {
		return DefaultContentType, nil
	}
	if len(ct) > maxContentTypeLen {
		return "", fmt.Errorf("content type longer than %d bytes", maxContentTypeLen)
	}
	for i := 0; i < len(ct); i++ {
		if ct[i] < 0x20 || ct[i] > 0x7e {
			return "", fmt.Errorf("content type %q contains a control or non-ASCII character", ct)
		}
	}
	return ct, nil
}

// checkRange validates a range against an object of the given size.
func checkRange(offset, length, size int64) error {
	if offset < 0 || length <= 0 || offset > size || length > size-offset {
		return fmt.Errorf("%w: offset %d, length %d, object size %d", ErrInvalidRange, offset, length, size)
	}
	return nil
}

// digestReader hashes what is read through it and counts the bytes.
type digestReader struct {
	ctx context.Context
	r   io.Reader
	h   hash.Hash
	n   int64
}

func newDigestReader(ctx context.Context, r io.Reader) *digestReader {
	return &digestReader{ctx: ctx, r: r, h: sha256.New()}
}

// Read checks the context before each read so a cancelled upload stops
// promptly even when r itself ignores cancellation.
func (d *digestReader) Read(p []byte) (int, error) {
	if err := d.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	return n, err
}

func (d *digestReader) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }

// copyBuffers are copyContent's buffers: a typical attachment in one piece,
// without a new quarter megabyte to allocate and clear for each upload.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// copyContent copies the upload to w through d, enforcing the declared size
// (negative: unknown). It returns the number of bytes written.
func copyContent(w io.Writer, d *digestReader, size int64) (int64, error) {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	// Only through Write: a file's ReadFrom would ignore buf and copy in
	// pieces of 32 KB, a write each.
	w = struct{ io.Writer }{w}
	if size < 0 {
		return io.CopyBuffer(w, d, *buf)
	}
	// One byte more than declared reveals a reader that delivers too much.
	n, err := io.CopyBuffer(w, io.LimitReader(d, size+1), *buf)
	if err != nil {
		return n, err
	}
	if n > size {
		return n, fmt.Errorf("%w: declared %d bytes, the reader delivered more", ErrSizeMismatch, size)
	}
	if n < size {
		return n, fmt.Errorf("%w: declared %d bytes, the reader delivered %d", ErrSizeMismatch, size, n)
	}
	return n, nil
}
