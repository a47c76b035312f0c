package storage

import (
	"errors"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key   string
		valid bool
	}{
		{"a", true},
		{"procedures/0190c0a3-7b1e-7c2d-9d4e-5f6a7b8c9d0e/0190c0a3-7b1e-7c2d-9d4e-5f6a7b8c9d0f", true},
		{"statements/s1/attachments/plan_v2.pdf", true},
		{".hidden", true},
		{"a.b/c-d/e_f", true},
		{strings.Repeat("a", MaxKeyLen), true},
		{"", false},
		{strings.Repeat("a", MaxKeyLen+1), false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{".", false},
		{"..", false},
		{"../a", false},
		{"a/..", false},
		{"a/../b", false},
		{"a..b", false},
		{"./a", false},
		{"a/./b", false},
		{"a/.", false},
		{"A", false},
		{"a b", false},
		{"a\\b", false},
		{"a\x00", false},
		{"a\nb", false},
		{"ä", false},
		{"a%2f", false},
		{"a:b", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			err := ValidateKey(tt.key)
			if (err == nil) != tt.valid {
				t.Fatalf("ValidateKey(%q) = %v, want valid=%v", tt.key, err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalidKey) {
				t.Errorf("error %v does not wrap ErrInvalidKey", err)
			}
		})
	}
}

// FuzzValidateKey checks that every accepted key is a clean relative path
// that stays inside a directory on every backend.
func FuzzValidateKey(f *testing.F) {
	for _, seed := range []string{
		"a", "procedures/p1/d1", "a/../b", "/a", "a//b", "./a", "a/.", "..", "a..b", ".a", "a.",
		strings.Repeat("a/", 100), "A", "ä", "a\x00", "a\\..\\b",
	} {
		f.Add(seed)
	}
	const root = "/srv/files"
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidateKey(key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ValidateKey(%q) = %v, does not wrap ErrInvalidKey", key, err)
			}
			return
		}
		if len(key) == 0 || len(key) > MaxKeyLen {
			t.Fatalf("accepted key of length %d", len(key))
		}
		if strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
			t.Fatalf("accepted %q", key)
		}
		for _, c := range key {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-", c)) {
				t.Fatalf("accepted %q with character %q", key, c)
			}
		}
		if path.Clean(key) != key || !filepath.IsLocal(key) {
			t.Fatalf("accepted %q, which is not a clean local path", key)
		}
		if p := filepath.Join(root, filepath.FromSlash(key)); !strings.HasPrefix(p, root+string(filepath.Separator)) {
			t.Fatalf("accepted %q, which resolves to %s outside %s", key, p, root)
		}
	})
}
