package defect

import (
	"context"
	"fmt"
	"strings"

	"beteiligungsportal/app/mail"
	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/procedure"
)

// StatusNames are the German names of the statuses, for mails.
var StatusNames = map[defect.Status]string{
	defect.StatusNew:          "neu",
	defect.StatusAcknowledged: "angenommen",
	defect.StatusInProgress:   "in Bearbeitung",
	defect.StatusResolved:     "erledigt",
	defect.StatusRejected:     "abgelehnt",
	defect.StatusDuplicate:    "bereits gemeldet (Duplikat)",
	defect.StatusForwarded:    "weitergeleitet",
}

// confirm queues the receipt mail when the submitter gave an address.
func (s *Service) confirm(ctx context.Context, r Repos, pr *procedure.Procedure, cat defect.Category, rep defect.Report, token string) error {
	if rep.Email == "" {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Guten Tag,\n\nIhre Mängelmeldung an „%s“ ist eingegangen.\n\n", pr.Title)
	fmt.Fprintf(&b, "Nummer: %s\nKategorie: %s\n", rep.PublicID, cat.Name)
	if rep.Address != "" {
		fmt.Fprintf(&b, "Ort: %s\n", rep.Address)
	}
	fmt.Fprintf(&b, "\nIhr persönlicher Schlüssel: %s\n", token)
	b.WriteString("Mit ihm können Sie die Benachrichtigungen abbestellen. Ihre E-Mail-Adresse wird nicht veröffentlicht.\n\n")
	b.WriteString("Wir informieren Sie, sobald sich der Stand Ihrer Meldung ändert.\n\nDiese Nachricht wurde automatisch erstellt.\n")
	return r.Mail.Enqueue(ctx, mail.Message{To: rep.Email, Subject: "Ihre Mängelmeldung Nr. " + rep.PublicID + " ist eingegangen",
		Text: b.String(), Kind: "defect.receipt", Ref: rep.ID.String()})
}

// notify queues the status mail when the submitter gave an address.
func (s *Service) notify(ctx context.Context, r Repos, v View, ev defect.Event) error {
	rep := v.Report
	if rep.Email == "" {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Guten Tag,\n\nder Stand Ihrer Mängelmeldung Nr. %s (%s) an „%s“ hat sich geändert.\n\n",
		rep.PublicID, v.Category.Name, v.Procedure.Title)
	fmt.Fprintf(&b, "Neuer Stand: %s\n", StatusNames[ev.To])
	if ev.To == defect.StatusForwarded && v.Agency != "" {
		fmt.Fprintf(&b, "Zuständig ist jetzt: %s\n", v.Agency)
	}
	if ev.PublicComment != "" {
		fmt.Fprintf(&b, "\nAntwort der Verwaltung:\n%s\n", ev.PublicComment)
	}
	b.WriteString("\nDiese Nachricht wurde automatisch erstellt.\n")
	return r.Mail.Enqueue(ctx, mail.Message{To: rep.Email,
		Subject: fmt.Sprintf("Ihre Mängelmeldung Nr. %s: %s", rep.PublicID, StatusNames[ev.To]),
		Text:    b.String(), Kind: "defect.status", Ref: rep.ID.String() + ":" + ev.ID.String()})
}
