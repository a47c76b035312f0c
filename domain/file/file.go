// Package file describes stored files (procedure documents, statement
// attachments, photos): the Store port that keeps their bytes, and the rules
// for what users may upload. The bytes live in a Store; what the portal shows
// about a file (its title, owner and history) lives with the aggregate that
// owns it.
package file

import (
	"context"
	"errors"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Store errors. Implementations wrap them; callers test with errors.Is.
var (
	// ErrInvalidKey means the key is not a valid storage key.
	ErrInvalidKey = errors.New("invalid storage key")
	// ErrNotFound means no object exists under the key.
	ErrNotFound = errors.New("object not found")
	// ErrInvalidRange means a requested byte range lies outside the object.
	ErrInvalidRange = errors.New("byte range not satisfiable")
	// ErrSizeMismatch means Put was given a size that the reader did not
	// deliver exactly.
	ErrSizeMismatch = errors.New("object size does not match the declared size")
)

// Object describes a stored object.
type Object struct {
	// Key is the object's key.
	Key string
	// Size is the length of the content in bytes.
	Size int64
	// SHA256 is the lower-case hex SHA-256 digest of the content.
	SHA256 string
	// ContentType is the media type given to Put.
	ContentType string
}

// Reader reads a stored object. Besides sequential reads it seeks and reads
// at offsets without reading the skipped bytes, so HTTP Range requests cost
// only the requested bytes.
type Reader interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
}

// Store keeps objects by key; implementations are safe for concurrent use.
// Put is atomic: a failed Put never leaves a partial object visible.
type Store interface {
	// Put stores r's content under key; size, if not negative, must match.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Object, error)
	// Open opens the object; ctx must stay alive until the Reader is closed.
	Open(ctx context.Context, key string) (Reader, Object, error)
	// Delete removes the object; a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// Stat describes the object without reading it.
	Stat(ctx context.Context, key string) (Object, error)
}

// MaxNameLen bounds a file name as shown and offered for download.
const MaxNameLen = 200

// CleanName makes a client's file name safe to store and to offer in a
// Content-Disposition header: the last path element only (browsers on Windows
// send "C:\\...\\plan.pdf"), no control or format characters, trimmed, at most
// MaxNameLen bytes on a character boundary. An empty result becomes fallback.
func CleanName(name, fallback string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == "/" || name == ".." {
		name = ""
	}
	for len(name) > MaxNameLen {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		return fallback
	}
	return name
}
