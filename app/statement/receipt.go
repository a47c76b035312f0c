package statement

import (
	"context"
	"fmt"
	"strings"
	"time"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/app/mail"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/statement"
)

// confirm queues the confirmation mail when the submitter gave an address.
func (s *Service) confirm(ctx context.Context, r Repos, pr *procedure.Procedure, st statement.Statement) error {
	if st.Submitter.Email == "" {
		return nil
	}
	var b strings.Builder
	greeting := "Guten Tag"
	if st.Submitter.Name != "" {
		greeting += " " + st.Submitter.Name
	}
	fmt.Fprintf(&b, "%s,\n\nIhre Stellungnahme zum Verfahren „%s“ ist eingegangen.\n\n", greeting, pr.Title)
	fmt.Fprintf(&b, "Eingangsnummer: %s\n", st.Number)
	fmt.Fprintf(&b, "Eingegangen am: %s\n", BerlinTime(st.ReceivedAt))
	fmt.Fprintf(&b, "Prüfsumme (SHA-256): %s\n", st.Digest)
	if len(st.Attachments) > 0 {
		fmt.Fprintf(&b, "Anlagen: %d\n", len(st.Attachments))
	}
	fmt.Fprintf(&b, "\nMit der Eingangsnummer und Ihrem Schlüssel %s können Sie den Eingang jederzeit prüfen\n", s.token(st.ID))
	b.WriteString("und die Stellungnahme zurückziehen, solange die Beteiligung läuft. Bewahren Sie beides auf.\n\n")
	b.WriteString("Über das Ergebnis der Abwägung werden Sie informiert.\n\nDiese Nachricht wurde automatisch erstellt.\n")
	return r.Mail.Enqueue(ctx, mail.Message{To: st.Submitter.Email, Subject: "Eingangsbestätigung " + st.Number,
		Text: b.String(), Kind: "statement.receipt", Ref: st.ID.String()})
}

// BerlinTime formats an instant as German local time, e.g. "23.11.2026, 14:05:09 Uhr (MEZ)".
func BerlinTime(t time.Time) string {
	l := t.In(procedure.Berlin)
	zone, _ := l.Zone()
	switch zone {
	case "CET":
		zone = "MEZ"
	case "CEST":
		zone = "MESZ"
	}
	return l.Format("02.01.2006, 15:04:05") + " Uhr (" + zone + ")"
}

// ReceiptStatus is what the public receipt check reveals: that the statement
// exists and when it arrived, nothing personal.
type ReceiptStatus struct {
	Number         string
	ReceivedAt     time.Time
	Digest         string
	ProcedureID    string
	ProcedureTitle string
	Withdrawn      bool
	WithdrawnAt    time.Time
}

// Check confirms a receipt number with its token. Unknown numbers and wrong
// tokens give the same answer, so numbers cannot be probed.
func (s *Service) Check(ctx context.Context, number, token string) (ReceiptStatus, error) {
	var out ReceiptStatus
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		st, err := s.byReceipt(ctx, r, number, token, false)
		if err != nil {
			return err
		}
		pr, err := r.Procedures.Get(ctx, st.ProcedureID)
		if err != nil {
			return err
		}
		out = ReceiptStatus{Number: st.Number, ReceivedAt: st.ReceivedAt, Digest: st.Digest, ProcedureID: pr.ID.String(),
			ProcedureTitle: pr.Title, Withdrawn: !st.WithdrawnAt.IsZero(), WithdrawnAt: st.WithdrawnAt}
		return nil
	})
	return out, err
}

func (s *Service) byReceipt(ctx context.Context, r Repos, number, token string, lock bool) (statement.Statement, error) {
	n, ok := statement.NormaliseReceipt(number)
	if !ok {
		return statement.Statement{}, statement.ErrReceiptInvalid
	}
	st, err := r.Statements.ByNumber(ctx, n, lock)
	if err != nil || !s.validToken(st.ID, token) {
		return statement.Statement{}, statement.ErrReceiptInvalid
	}
	return st, nil
}

// Withdraw records that the submitter takes the statement back (it stays
// stored, marked withdrawn). Allowed while its phase is open.
func (s *Service) Withdraw(ctx context.Context, number, token string) (ReceiptStatus, error) {
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		st, err := s.byReceipt(ctx, r, number, token, true)
		if err != nil {
			return err
		}
		pr, err := r.Procedures.Get(ctx, st.ProcedureID)
		if err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if err := st.CanWithdraw(&pr, now); err != nil {
			return err
		}
		st.WithdrawnAt = now
		if err := r.Statements.SaveWeighing(ctx, st); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, account.Principal{}, pr.OrganisationID, "statement.withdraw", "statement", st.ID.String(),
			map[string]any{"number": st.Number})
	})
	if err != nil {
		return ReceiptStatus{}, fmt.Errorf("withdraw statement: %w", err)
	}
	return s.Check(ctx, number, token)
}
