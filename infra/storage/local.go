package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// File layout of the local store: each object is one file at <dir>/<key>
// that starts with a fixed-size header and continues with the content.
//
//	bytes 0..7           magic "bpfile1\n"
//	bytes 8..            JSON {"size":…,"sha256":"…","content_type":"…"} and "\n"
//	up to localHeaderSize  padding
//	localHeaderSize..    the content
//
// Keeping content and metadata in one file makes a Put a single atomic
// rename, so a reader never sees new metadata with old content or the other
// way round.
const (
	localHeaderSize = 1024
	localMagic      = "bpfile1\n"
	dirPerm         = 0o750
	filePerm        = 0o640
)

type localHeader struct {
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
}

// Local is a Store in a directory of the local file system. Temporary files
// of uploads in progress live next to their target and carry a "~" in their
// name, which no valid key contains. A key cannot be an object and a prefix
// of other keys at the same time ("a/b" and "a/b/c"): the second Put fails.
type Local struct {
	dir  string
	dirs *dirSyncs
}

var _ Store = (*Local)(nil)

// NewLocal returns a store in dir, creating the directory (mode 0750) if it
// does not exist.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("local store: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("local store: create directory: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("local store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local store: %s is not a directory", abs)
	}
	return &Local{dir: abs, dirs: newDirSyncs(syncDir)}, nil
}

// Dir returns the absolute path of the store's directory.
func (l *Local) Dir() string { return l.dir }

// Check verifies that the store's directory exists and accepts new files.
func (l *Local) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local store: check: %w", err)
	}
	f, err := os.CreateTemp(l.dir, "check~*")
	if err != nil {
		return fmt.Errorf("local store: check: %w", err)
	}
	_ = f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("local store: check: %w", err)
	}
	return nil
}

func (l *Local) path(key string) string { return filepath.Join(l.dir, filepath.FromSlash(key)) }

// Put writes the content to a temporary file in the target directory, syncs
// it, renames it over the key's file and syncs the directory, so an object
// Put has acknowledged survives a crash and a failed Put leaves nothing.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, fmt.Errorf("put: %w", err)
	}
	ct, err := checkContentType(contentType)
	if err != nil {
		return Object{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return Object{}, fmt.Errorf("put %s: %w", key, err)
	}
	obj, err := l.put(ctx, key, r, size, ct)
	if err != nil {
		return Object{}, fmt.Errorf("put %s: %w", key, err)
	}
	return obj, nil
}

func (l *Local) put(ctx context.Context, key string, r io.Reader, size int64, ct string) (obj Object, err error) {
	target := l.path(key)
	dir := filepath.Dir(target)
	tmp, err := l.createTemp(dir, filepath.Base(target))
	if err != nil {
		return Object{}, err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	if _, err := tmp.Seek(localHeaderSize, io.SeekStart); err != nil {
		return Object{}, err
	}
	d := newDigestReader(ctx, r)
	n, err := copyContent(tmp, d, size)
	if err != nil {
		return Object{}, err
	}
	hdr, err := encodeLocalHeader(localHeader{Size: n, SHA256: d.sum(), ContentType: ct})
	if err != nil {
		return Object{}, err
	}
	if _, err := tmp.WriteAt(hdr, 0); err != nil {
		return Object{}, err
	}
	if err := tmp.Chmod(filePerm); err != nil {
		return Object{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Object{}, err
	}
	if err := tmp.Close(); err != nil {
		return Object{}, err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		if fi, serr := os.Stat(target); serr == nil && fi.IsDir() {
			return Object{}, errors.New("the key is a prefix of other objects")
		}
		return Object{}, err
	}
	if err := l.dirs.Sync(dir); err != nil {
		return Object{}, err
	}
	return Object{Key: key, Size: n, SHA256: d.sum(), ContentType: ct}, nil
}

// createTemp creates the temporary file of an upload in dir. A concurrent
// Delete may remove an empty dir between creating it and creating the file
// in it, hence the retries.
func (l *Local) createTemp(dir, base string) (*os.File, error) {
	var err error
	for range 3 {
		if err = l.makeDirs(dir); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		var f *os.File
		f, err = os.CreateTemp(dir, base+"~*")
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, err
}

// makeDirs creates dir and its missing parents below the store's directory,
// syncing each parent that gained an entry so the new path survives a crash.
func (l *Local) makeDirs(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil || errors.Is(err, syscall.ENOTDIR):
		return errors.New("a prefix of the key is an object")
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	parent := filepath.Dir(dir)
	if dir == l.dir || parent == dir {
		return fmt.Errorf("store directory %s: %w", l.dir, fs.ErrNotExist)
	}
	if err := l.makeDirs(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, dirPerm); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Created concurrently, or a file: the next Stat tells.
			return l.makeDirs(dir)
		}
		return err
	}
	return l.dirs.Sync(parent)
}

// Open opens the object's file; the Reader keeps reading the content it
// opened even if the object is replaced or deleted meanwhile.
func (l *Local) Open(ctx context.Context, key string) (Reader, Object, error) {
	f, obj, err := l.open(ctx, key)
	if err != nil {
		return nil, Object{}, fmt.Errorf("open: %w", err)
	}
	return &localReader{SectionReader: io.NewSectionReader(f, localHeaderSize, obj.Size), f: f}, obj, nil
}

// OpenRange returns a reader of the range, read directly from the file.
func (l *Local) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	f, obj, err := l.open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open range: %w", err)
	}
	if err := checkRange(offset, length, obj.Size); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open range %s: %w", key, err)
	}
	return &localReader{SectionReader: io.NewSectionReader(f, localHeaderSize+offset, length), f: f}, nil
}

// Stat reads the object's header.
func (l *Local) Stat(ctx context.Context, key string) (Object, error) {
	f, obj, err := l.open(ctx, key)
	if err != nil {
		return Object{}, fmt.Errorf("stat: %w", err)
	}
	_ = f.Close()
	return obj, nil
}

// open opens the key's file and reads its header. Errors name the key.
func (l *Local) open(ctx context.Context, key string) (*os.File, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Object{}, fmt.Errorf("%s: %w", key, err)
	}
	f, err := os.Open(l.path(key))
	if err != nil {
		if isNotExist(err) {
			return nil, Object{}, fmt.Errorf("%s: %w", key, ErrNotFound)
		}
		return nil, Object{}, fmt.Errorf("%s: %w", key, err)
	}
	obj, err := readLocalHeader(f, key)
	if err != nil {
		_ = f.Close()
		return nil, Object{}, fmt.Errorf("%s: %w", key, err)
	}
	return f, obj, nil
}

// Delete removes the object's file and then the directories that became
// empty, up to the store's directory.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	target := l.path(key)
	fi, err := os.Lstat(target)
	if err != nil {
		if isNotExist(err) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if fi.IsDir() {
		return nil // only a prefix of other keys, no object
	}
	if err := os.Remove(target); err != nil && !isNotExist(err) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	dir := filepath.Dir(target)
	if err := l.dirs.Sync(dir); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	// Removing a directory fails while it has entries, so a concurrent Put
	// into it is safe (createTemp retries if it loses the race).
	for d := dir; d != l.dir && strings.HasPrefix(d, l.dir+string(filepath.Separator)); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			break
		}
	}
	return nil
}

// localReader reads a section of an object file and closes the file.
type localReader struct {
	*io.SectionReader
	f *os.File
}

func (r *localReader) Close() error { return r.f.Close() }

func encodeLocalHeader(h localHeader) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(localMagic)
	enc := json.NewEncoder(&buf) // Encode appends the terminating "\n"
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return nil, err
	}
	if buf.Len() > localHeaderSize {
		return nil, errors.New("object header too large")
	}
	buf.Write(make([]byte, localHeaderSize-buf.Len()))
	return buf.Bytes(), nil
}

func readLocalHeader(f *os.File, key string) (Object, error) {
	fi, err := f.Stat()
	if err != nil {
		return Object{}, err
	}
	if fi.IsDir() {
		return Object{}, ErrNotFound // a prefix of other keys, no object
	}
	var buf [localHeaderSize]byte
	if _, err := f.ReadAt(buf[:], 0); err != nil {
		return Object{}, fmt.Errorf("read object header: %w", err)
	}
	line, _, ok := bytes.Cut(buf[len(localMagic):], []byte("\n"))
	if !bytes.HasPrefix(buf[:], []byte(localMagic)) || !ok {
		return Object{}, errors.New("object file has no valid header")
	}
	var h localHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return Object{}, fmt.Errorf("object file has no valid header: %w", err)
	}
	if h.Size < 0 || fi.Size() != localHeaderSize+h.Size {
		return Object{}, fmt.Errorf("object file is %d bytes, its header says %d + %d", fi.Size(), localHeaderSize, h.Size)
	}
	return Object{Key: key, Size: h.Size, SHA256: h.SHA256, ContentType: h.ContentType}, nil
}

// isNotExist also covers a path whose parent is a file (ENOTDIR): for a key
// "a/b/c" where "a/b" is an object, "a/b/c" does not exist either.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// syncDir flushes a directory's entries (a rename or a new file) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	// Some file systems cannot sync a directory; there is nothing more to do.
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
