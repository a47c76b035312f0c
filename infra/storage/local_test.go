package storage

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newTestLocal(t *testing.T) *Local {
	t.Helper()
	st, err := NewLocal(filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	return st
}

func TestLocal(t *testing.T) {
	st := newTestLocal(t)
	testStore(t, st, "procedures")
	t.Cleanup(func() { assertNoTempFiles(t, st.Dir()) })
}

// assertNoTempFiles fails if an upload left a temporary file behind.
func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), "~") {
			t.Errorf("temporary file left behind: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLocalPermissions(t *testing.T) {
	st := newTestLocal(t)
	mustPut(t, st, "procedures/p1/doc", []byte("x"), "")
	tests := []struct {
		path string
		max  fs.FileMode
		dir  bool
	}{
		{st.Dir(), dirPerm, true},
		{filepath.Join(st.Dir(), "procedures", "p1"), dirPerm, true},
		{filepath.Join(st.Dir(), "procedures", "p1", "doc"), filePerm, false},
	}
	for _, tt := range tests {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir() != tt.dir || fi.Mode().Perm()&^tt.max != 0 {
			t.Errorf("%s: mode %v, want at most %v", tt.path, fi.Mode(), tt.max)
		}
	}
	// Files are chmod-ed explicitly, so the umask does not matter.
	fi, _ := os.Stat(tests[2].path)
	if fi.Mode().Perm() != filePerm {
		t.Errorf("file mode %v, want %v", fi.Mode().Perm(), fs.FileMode(filePerm))
	}
}

func TestLocalDeleteRemovesEmptyDirectories(t *testing.T) {
	st := newTestLocal(t)
	ctx := context.Background()
	mustPut(t, st, "procedures/p1/a", []byte("a"), "")
	mustPut(t, st, "procedures/p2/b", []byte("b"), "")
	if err := st.Delete(ctx, "procedures/p1/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(st.Dir(), "procedures", "p1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory procedures/p1 still exists (%v)", err)
	}
	if err := st.Delete(ctx, "procedures/p2/b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(st.Dir(), "procedures")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory procedures still exists (%v)", err)
	}
	if _, err := os.Stat(st.Dir()); err != nil {
		t.Errorf("the store directory itself was removed: %v", err)
	}
}

func TestLocalKeyPrefixConflicts(t *testing.T) {
	st := newTestLocal(t)
	ctx := context.Background()
	mustPut(t, st, "a/b", []byte("object"), "")
	mustPut(t, st, "c/d/e", []byte("object"), "")
	tests := []struct {
		name string
		key  string
	}{
		{"below an object", "a/b/c"},
		{"a prefix of objects", "c/d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.Put(ctx, tt.key, strings.NewReader("x"), 1, "")
			if err == nil || errors.Is(err, ErrInvalidKey) {
				t.Errorf("Put(%s) = %v, want a conflict error", tt.key, err)
			}
			if err := st.Delete(ctx, tt.key); err != nil {
				t.Errorf("Delete(%s) = %v, want nil", tt.key, err)
			}
		})
	}
	for _, k := range []string{"a/b", "c/d/e"} {
		if got, _ := readAll(t, st, k); string(got) != "object" {
			t.Errorf("%s reads %q after the conflicts", k, got)
		}
	}
	assertNoTempFiles(t, st.Dir())
}

func TestLocalCorruptFile(t *testing.T) {
	st := newTestLocal(t)
	mustPut(t, st, "doc", []byte("content"), "")
	path := filepath.Join(st.Dir(), "doc")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated header", good[:100]},
		{"truncated content", good[:len(good)-1]},
		{"appended content", append(bytes.Clone(good), 'x')},
		{"no magic", append([]byte("plain file\n"), good[11:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, tt.data, filePerm); err != nil {
				t.Fatal(err)
			}
			_, err := st.Stat(context.Background(), "doc")
			if err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Stat of a corrupt file = %v, want an error other than ErrNotFound", err)
			}
		})
	}
}

func TestNewLocal(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dir     string
		wantErr bool
	}{
		{"new nested directory", filepath.Join(dir, "a", "b"), false},
		{"existing directory", dir, false},
		{"a file", file, true},
		{"below a file", filepath.Join(file, "x"), true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := NewLocal(tt.dir)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewLocal(%q) error = %v, wantErr %v", tt.dir, err, tt.wantErr)
			}
			if err == nil {
				if err := st.Check(context.Background()); err != nil {
					t.Errorf("Check: %v", err)
				}
			}
		})
	}
}
