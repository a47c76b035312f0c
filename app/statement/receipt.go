package statement

import (
	"context"
	"fmt"
	"strings"
	"time"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/app/i18n"
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
	return r.Mail.Enqueue(ctx, receiptMail(pr.Title, st, s.token(st.ID)))
}

// receiptMail is the confirmation mail of a statement; token is the
// submitter's key for checking and withdrawing it.
func receiptMail(procedureTitle string, st statement.Statement, token string) mail.Message {
	t := func(key string, args ...any) string { return i18n.T(i18n.Default, key, args...) }
	var b strings.Builder
	if st.Submitter.Name != "" {
		b.WriteString(t("mail.greeting_name", st.Submitter.Name))
	} else {
		b.WriteString(t("mail.greeting"))
	}
	b.WriteString("\n\n" + t("mail.statement_receipt.intro", procedureTitle) + "\n\n")
	b.WriteString(t("mail.statement_receipt.number", st.Number) + "\n")
	b.WriteString(t("mail.statement_receipt.received_at", BerlinTime(st.ReceivedAt)) + "\n")
	b.WriteString(t("mail.statement_receipt.digest", st.Digest) + "\n")
	if len(st.Attachments) > 0 {
		b.WriteString(t("mail.statement_receipt.attachments", len(st.Attachments)) + "\n")
	}
	b.WriteString("\n" + t("mail.statement_receipt.token", token) + "\n\n")
	b.WriteString(t("mail.statement_receipt.outcome") + "\n\n")
	b.WriteString(t("mail.footer") + "\n")
	return mail.Message{To: st.Submitter.Email,
		Subject: t("mail.statement_receipt.subject", st.Number),
		Text:    b.String(), Kind: "statement.receipt", Ref: st.ID.String()}
}

// BerlinTime formats an instant as German local time, e.g. "23.11.2026, 14:05:09 Uhr (MEZ)".
func BerlinTime(t time.Time) string {
	l := t.In(procedure.Berlin)
	zone, _ := l.Zone()
	switch zone {
	case "CET":
		zone = i18n.T(i18n.Default, "time.zone_cet")
	case "CEST":
		zone = i18n.T(i18n.Default, "time.zone_cest")
	}
	return i18n.T(i18n.Default, "time.local", l.Format(i18n.T(i18n.Default, "time.layout")), zone)
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
