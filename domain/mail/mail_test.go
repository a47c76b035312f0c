package mail_test

import (
	"errors"
	"strings"
	"testing"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/mail"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := mail.Message{To: "Erika Mustermann <erika@example.org>", Subject: "Eingangsbestätigung Ihrer Stellungnahme",
		Text: "Sehr geehrte Damen und Herren,\r\n\r\nvielen Dank.\n", Kind: "statement.receipt", Ref: "S-2026-000123"}
	tests := []struct {
		name   string
		change func(*mail.Message)
		want   []string // offending fields
	}{
		{"valid", func(*mail.Message) {}, nil},
		{"bare address", func(m *mail.Message) { m.To = "erika@example.org" }, nil},
		{"umlaut in display name", func(m *mail.Message) { m.To = "Jürgen Groß <j@example.org>" }, nil},
		{"no kind and ref", func(m *mail.Message) { m.Kind, m.Ref = "", "" }, nil},
		{"empty address", func(m *mail.Message) { m.To = "" }, []string{"to"}},
		{"no at", func(m *mail.Message) { m.To = "erika.example.org" }, []string{"to"}},
		{"no dot in domain", func(m *mail.Message) { m.To = "erika@localhost" }, []string{"to"}},
		{"address literal", func(m *mail.Message) { m.To = "erika@[127.0.0.1]" }, []string{"to"}},
		{"two addresses", func(m *mail.Message) { m.To = "a@example.org, b@example.org" }, []string{"to"}},
		{"CRLF in address", func(m *mail.Message) { m.To = "a@example.org\r\nBcc: b@example.org" }, []string{"to"}},
		{"LF in address", func(m *mail.Message) { m.To = "a@example.org\nb@example.org" }, []string{"to"}},
		{"CRLF in subject", func(m *mail.Message) { m.Subject = "Hallo\r\nBcc: b@example.org" }, []string{"subject"}},
		{"LF in subject", func(m *mail.Message) { m.Subject = "Hallo\nWelt" }, []string{"subject"}},
		{"tab in subject", func(m *mail.Message) { m.Subject = "Hallo\tWelt" }, []string{"subject"}},
		{"blank subject", func(m *mail.Message) { m.Subject = "  " }, []string{"subject"}},
		{"long subject", func(m *mail.Message) { m.Subject = strings.Repeat("ä", mail.MaxSubject+1) }, []string{"subject"}},
		{"longest subject", func(m *mail.Message) { m.Subject = strings.Repeat("ä", mail.MaxSubject) }, nil},
		{"invalid UTF-8 subject", func(m *mail.Message) { m.Subject = "Hallo \xff" }, []string{"subject"}},
		{"empty text", func(m *mail.Message) { m.Text = "" }, []string{"text"}},
		{"NUL in text", func(m *mail.Message) { m.Text = "a\x00b" }, []string{"text"}},
		{"huge text", func(m *mail.Message) { m.Text = strings.Repeat("a", mail.MaxText+1) }, []string{"text"}},
		{"LF in ref", func(m *mail.Message) { m.Ref = "a\nb" }, []string{"ref"}},
		{"everything wrong", func(m *mail.Message) { *m = mail.Message{Kind: strings.Repeat("k", 201)} },
			[]string{"to", "subject", "text", "kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := ok
			tt.change(&m)
			err := m.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("got %v, want a validation error", err)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("fields: got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzParseAddress: an address from a form either is refused with
// domain.ErrInvalid or is one address without control characters whose
// domain looks like a host name, and its written form (quoted where
// needed) parses to itself.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"anna@example.org", "Anna Muster <anna@example.org>", "=?utf-8?q?J=C3=BCrgen?= <j@example.de>",
		"a@b", "a@[127.0.0.1]", "a@example.org, b@example.org", "a@example.org\r\nBcc: x@example.org", "\"a@b\"@example.org",
		"müller@bürgeramt.de", "<>", "@example.org", "a@.", "\xff@example.org", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := mail.ParseAddress(s)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("ParseAddress(%q): %v, not invalid", s, err)
			}
			return
		}
		at := strings.LastIndexByte(a.Address, '@')
		if at < 1 || !strings.Contains(a.Address[at+1:], ".") || strings.ContainsAny(a.Address, "\r\n\x00") {
			t.Fatalf("ParseAddress(%q) = %q", s, a.Address)
		}
		again, err := mail.ParseAddress(a.String())
		if err != nil || again.Address != a.Address {
			t.Fatalf("ParseAddress(%q) = %q, whose form %q parses as %v, %v", s, a.Address, a.String(), again, err)
		}
	})
}
