package defect

import (
	"context"
	"strings"

	"beteiligungsportal/app/i18n"
	"beteiligungsportal/app/mail"
	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/procedure"
)

// statusKeys are the catalogue keys of the statuses' names, for mails.
var statusKeys = map[defect.Status]string{
	defect.StatusNew:          "defect.status_new",
	defect.StatusAcknowledged: "defect.status_acknowledged",
	defect.StatusInProgress:   "defect.status_in_progress",
	defect.StatusResolved:     "defect.status_resolved",
	defect.StatusRejected:     "defect.status_rejected",
	defect.StatusDuplicate:    "defect.status_duplicate",
	defect.StatusForwarded:    "defect.status_forwarded",
}

// text is the German text of key, formatted with args.
func text(key string, args ...any) string { return i18n.T(i18n.Default, key, args...) }

// statusName is the name of a status as mails show it.
func statusName(st defect.Status) string {
	if key, ok := statusKeys[st]; ok {
		return text(key)
	}
	return string(st)
}

// confirm queues the receipt mail when the submitter gave an address.
func (s *Service) confirm(ctx context.Context, r Repos, pr *procedure.Procedure, cat defect.Category, rep defect.Report, token string) error {
	if rep.Email == "" {
		return nil
	}
	return r.Mail.Enqueue(ctx, receiptMail(pr.Title, cat.Name, rep, token))
}

// receiptMail is the receipt mail of a report; token is the submitter's key
// for unsubscribing.
func receiptMail(procedureTitle, category string, rep defect.Report, token string) mail.Message {
	var b strings.Builder
	b.WriteString(text("mail.greeting") + "\n\n")
	b.WriteString(text("mail.defect_receipt.intro", procedureTitle) + "\n\n")
	b.WriteString(text("mail.defect_receipt.number", rep.PublicID) + "\n")
	b.WriteString(text("mail.defect_receipt.category", category) + "\n")
	if rep.Address != "" {
		b.WriteString(text("mail.defect_receipt.address", rep.Address) + "\n")
	}
	b.WriteString("\n" + text("mail.defect_receipt.token", token) + "\n")
	b.WriteString(text("mail.defect_receipt.token_use") + "\n\n")
	b.WriteString(text("mail.defect_receipt.outlook") + "\n\n")
	b.WriteString(text("mail.footer") + "\n")
	return mail.Message{To: rep.Email,
		Subject: text("mail.defect_receipt.subject", rep.PublicID),
		Text:    b.String(), Kind: "defect.receipt", Ref: rep.ID.String()}
}

// notify queues the status mail when the submitter gave an address.
func (s *Service) notify(ctx context.Context, r Repos, v View, ev defect.Event) error {
	if v.Report.Email == "" {
		return nil
	}
	return r.Mail.Enqueue(ctx, statusMail(v, ev))
}

// statusMail tells the submitter of v that its status changed with ev.
func statusMail(v View, ev defect.Event) mail.Message {
	rep := v.Report
	var b strings.Builder
	b.WriteString(text("mail.greeting") + "\n\n")
	b.WriteString(text("mail.defect_status.intro", rep.PublicID, v.Category.Name, v.Procedure.Title) + "\n\n")
	b.WriteString(text("mail.defect_status.status", statusName(ev.To)) + "\n")
	if ev.To == defect.StatusForwarded && v.Agency != "" {
		b.WriteString(text("mail.defect_status.forwarded", v.Agency) + "\n")
	}
	if ev.PublicComment != "" {
		b.WriteString("\n" + text("mail.defect_status.comment") + "\n" + ev.PublicComment + "\n")
	}
	b.WriteString("\n" + text("mail.footer") + "\n")
	return mail.Message{To: rep.Email,
		Subject: text("mail.defect_status.subject", rep.PublicID, statusName(ev.To)),
		Text:    b.String(), Kind: "defect.status", Ref: rep.ID.String() + ":" + ev.ID.String()}
}
