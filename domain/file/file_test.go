package file

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plan.pdf", "plan.pdf"},
		{`C:\Users\amt\Begründung Entwurf.pdf`, "Begründung Entwurf.pdf"},
		{"/etc/passwd", "passwd"},
		{"../../secret.pdf", "secret.pdf"},
		{"..", "dokument"},
		{"", "dokument"},
		{"  \t ", "dokument"},
		{"a\x00b\r\nc.pdf", "abc.pdf"},
		{"evil\u202egnp.exe", "evilgnp.exe"}, // right-to-left override hides the real extension
		{`say "hi".pdf`, "say hi.pdf"},
		{strings.Repeat("ä", 150), strings.Repeat("ä", 100)},
	} {
		if got := CleanName(tc.in, "dokument"); got != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"plan.pdf", `a\b/c`, "\x00", "ä\u202e", "..", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := CleanName(in, "dokument")
		if got == "" || len(got) > MaxNameLen || !utf8.ValidString(got) ||
			strings.ContainsAny(got, "/\\\"\x00\r\n") || got == "." || got == ".." {
			t.Fatalf("CleanName(%q) = %q", in, got)
		}
	})
}
