package statement

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain/statement"
)

func TestReceiptMail(t *testing.T) {
	t.Parallel()
	st := statement.Statement{ID: uuid.New(), Number: "2026-0001-0042", Digest: "abc123",
		Submitter:   statement.Submitter{Name: "Erika Mustermann", Email: "erika@example.org"},
		Attachments: []statement.Attachment{{}, {}},
		ReceivedAt:  time.Date(2026, 11, 23, 13, 5, 9, 0, time.UTC)}
	m := receiptMail("Bebauungsplan „Schloßplatz“", st, "tok123")
	wantText := "Guten Tag Erika Mustermann,\n\nIhre Stellungnahme zum Verfahren „Bebauungsplan „Schloßplatz““ ist eingegangen.\n\n" +
		"Eingangsnummer: 2026-0001-0042\nEingegangen am: 23.11.2026, 14:05:09 Uhr (MEZ)\nPrüfsumme (SHA-256): abc123\nAnlagen: 2\n" +
		"\nMit der Eingangsnummer und Ihrem Schlüssel tok123 können Sie den Eingang jederzeit prüfen\n" +
		"und die Stellungnahme zurückziehen, solange die Beteiligung läuft. Bewahren Sie beides auf.\n\n" +
		"Über das Ergebnis der Abwägung werden Sie informiert.\n\nDiese Nachricht wurde automatisch erstellt.\n"
	if m.Text != wantText {
		t.Errorf("text:\ngot  %q\nwant %q", m.Text, wantText)
	}
	if want := "Eingangsbestätigung 2026-0001-0042"; m.Subject != want {
		t.Errorf("subject: got %q, want %q", m.Subject, want)
	}
	if m.To != "erika@example.org" || m.Kind != "statement.receipt" || m.Ref != st.ID.String() {
		t.Errorf("envelope: got %+v", m)
	}

	// Without a name and attachments: a plain greeting and no attachment line.
	st.Submitter.Name, st.Attachments = "", nil
	m = receiptMail("P", st, "t")
	if !strings.HasPrefix(m.Text, "Guten Tag,\n\n") || strings.Contains(m.Text, "Anlagen:") {
		t.Errorf("got %q", m.Text)
	}
	for _, s := range []string{m.Subject, m.Text} {
		for _, prefix := range []string{"mail.", "time.", "statement."} {
			if strings.Contains(s, prefix) {
				t.Errorf("raw key %q in %q", prefix, s)
			}
		}
	}
}

func TestBerlinTime(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 13, 5, 9, 0, time.UTC), "23.11.2026, 14:05:09 Uhr (MEZ)"},
		{time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), "01.07.2026, 12:00:00 Uhr (MESZ)"},
	} {
		if got := BerlinTime(c.in); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestPseudonymTexts(t *testing.T) {
	t.Parallel()
	s := &Service{cfg: Config{Secret: []byte("secret")}}
	if got, want := s.pseudonym(statement.Statement{Kind: statement.SubmitterPublicBody}), "Träger öffentlicher Belange"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := s.pseudonym(statement.Statement{Number: "2026-0001-0042"}), "Anonym 2026-0001-0042"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got := s.pseudonym(statement.Statement{Submitter: statement.Submitter{Name: "Erika"}})
	if len(got) != len("Person ABCDEF") || !strings.HasPrefix(got, "Person ") {
		t.Errorf("got %q, want Person and six hex digits", got)
	}
}
