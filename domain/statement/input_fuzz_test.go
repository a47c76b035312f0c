package statement

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/procedure"
)

// FuzzInputValidate: a statement from the form is checked without a panic,
// refused only with a validation error, and what is accepted can be stored
// as text (valid UTF-8, no NUL) within the bounds.
func FuzzInputValidate(f *testing.F) {
	for _, s := range [][5]string{
		{"Ich bin gegen die Bebauung.", "2.3", "Anna Muster", "Hauptstraße 1", "anna@example.org"},
		{"", "", "", "", ""}, {"Text\x00", "", "", "", ""}, {"Text", "\xff", "", "", ""}, {"Text", "", "A\x00", "", ""},
		{"Text", "", "", "", "Anna <anna@example.org>"}, {"Text", "", "", "", "a@b"}, {" ", "", "", "", " anna@example.org "},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], "v1", uint8(0))
	}
	rules := []procedure.FieldRule{procedure.FieldOptional, procedure.FieldRequired, procedure.FieldNotAsked}
	f.Fuzz(func(t *testing.T, text, section, name, address, email, privacy string, ruleBits uint8) {
		fields := procedure.StatementFields{Name: rules[int(ruleBits)%3], Address: rules[int(ruleBits/3)%3], Email: rules[int(ruleBits/9)%3]}
		in := Input{Text: text, Section: section, Submitter: Submitter{Name: name, Address: address, Email: email}, PrivacyVersion: privacy}
		err := in.Validate(fields, "v1", nil)
		if err != nil {
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("Validate: %v, not a validation error", err)
			}
			return
		}
		for _, s := range []string{text, section, name, address, email} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("accepted %q, which PostgreSQL cannot store as text", s)
			}
		}
		if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > MaxText || privacy != "v1" {
			t.Fatalf("accepted %+v", in)
		}
	})
}
