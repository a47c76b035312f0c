package defect

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/procedure"
)

// noRawKey fails when a text shows a catalogue key instead of its text.
func noRawKey(t *testing.T, what, s string) {
	t.Helper()
	for _, prefix := range []string{"mail.", "defect.", "time."} {
		if strings.Contains(s, prefix) {
			t.Errorf("%s shows a raw key (%q): %q", what, prefix, s)
		}
	}
}

func TestReceiptMail(t *testing.T) {
	t.Parallel()
	rep := defect.Report{ID: uuid.New(), PublicID: "M-2026-000042", Email: "erika@example.org", Address: "Schloßplatz 1"}
	m := receiptMail("Mängelmelder Freiberg", "Straßenschaden", rep, "tok123")
	wantText := "Guten Tag,\n\nIhre Mängelmeldung an „Mängelmelder Freiberg“ ist eingegangen.\n\n" +
		"Nummer: M-2026-000042\nKategorie: Straßenschaden\nOrt: Schloßplatz 1\n" +
		"\nIhr persönlicher Schlüssel: tok123\n" +
		"Mit ihm können Sie die Benachrichtigungen abbestellen. Ihre E-Mail-Adresse wird nicht veröffentlicht.\n\n" +
		"Wir informieren Sie, sobald sich der Stand Ihrer Meldung ändert.\n\nDiese Nachricht wurde automatisch erstellt.\n"
	if m.Text != wantText {
		t.Errorf("text:\ngot  %q\nwant %q", m.Text, wantText)
	}
	if want := "Ihre Mängelmeldung Nr. M-2026-000042 ist eingegangen"; m.Subject != want {
		t.Errorf("subject: got %q, want %q", m.Subject, want)
	}
	if m.To != rep.Email || m.Kind != "defect.receipt" || m.Ref != rep.ID.String() {
		t.Errorf("envelope: got %+v", m)
	}
	noRawKey(t, "subject", m.Subject)
	noRawKey(t, "text", m.Text)

	rep.Address = ""
	if m := receiptMail("P", "K", rep, "t"); strings.Contains(m.Text, "Ort:") {
		t.Errorf("no address, but the mail names a place: %q", m.Text)
	}
}

func TestStatusMail(t *testing.T) {
	t.Parallel()
	v := View{Report: defect.Report{ID: uuid.New(), PublicID: "M-2026-000042", Email: "erika@example.org"},
		Category: defect.Category{Name: "Straßenschaden"}, Procedure: procedure.Procedure{Title: "Mängelmelder Freiberg"},
		Agency: "Landkreis Mittelsachsen"}
	ev := defect.Event{ID: uuid.New(), To: defect.StatusForwarded, PublicComment: "Die Straße gehört dem Kreis."}
	m := statusMail(v, ev)
	wantText := "Guten Tag,\n\nder Stand Ihrer Mängelmeldung Nr. M-2026-000042 (Straßenschaden) an „Mängelmelder Freiberg“ hat sich geändert.\n\n" +
		"Neuer Stand: weitergeleitet\nZuständig ist jetzt: Landkreis Mittelsachsen\n" +
		"\nAntwort der Verwaltung:\nDie Straße gehört dem Kreis.\n" +
		"\nDiese Nachricht wurde automatisch erstellt.\n"
	if m.Text != wantText {
		t.Errorf("text:\ngot  %q\nwant %q", m.Text, wantText)
	}
	if want := "Ihre Mängelmeldung Nr. M-2026-000042: weitergeleitet"; m.Subject != want {
		t.Errorf("subject: got %q, want %q", m.Subject, want)
	}
	if m.Kind != "defect.status" || m.Ref != v.Report.ID.String()+":"+ev.ID.String() {
		t.Errorf("envelope: got %+v", m)
	}

	// Every status has a name, and no part of any status mail is a raw key.
	for _, status := range defect.Statuses {
		if _, ok := statusKeys[status]; !ok {
			t.Errorf("status %q has no name for mails", status)
		}
		m := statusMail(v, defect.Event{ID: uuid.New(), To: status, PublicComment: "ok"})
		noRawKey(t, "subject of "+string(status), m.Subject)
		noRawKey(t, "text of "+string(status), m.Text)
	}
}
