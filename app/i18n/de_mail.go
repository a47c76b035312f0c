package i18n

// deMail are the German texts of the mails the portal sends, of pseudonyms
// and of local times; init merges them into the German catalogue. Mail texts
// are lines or paragraphs without the blank lines around them: the code that
// builds a mail lays them out.
var deMail = map[string]string{
	// Parts every mail shares.
	"mail.greeting":      "Guten Tag,",
	"mail.greeting_name": "Guten Tag %s,",
	"mail.footer":        "Diese Nachricht wurde automatisch erstellt.",

	// Receipt of a statement (Eingangsbestätigung).
	"mail.statement_receipt.subject":     "Eingangsbestätigung %s",
	"mail.statement_receipt.intro":       "Ihre Stellungnahme zum Verfahren „%s“ ist eingegangen.",
	"mail.statement_receipt.number":      "Eingangsnummer: %s",
	"mail.statement_receipt.received_at": "Eingegangen am: %s",
	"mail.statement_receipt.digest":      "Prüfsumme (SHA-256): %s",
	"mail.statement_receipt.attachments": "Anlagen: %d",
	"mail.statement_receipt.token":       "Mit der Eingangsnummer und Ihrem Schlüssel %s können Sie den Eingang jederzeit prüfen\nund die Stellungnahme zurückziehen, solange die Beteiligung läuft. Bewahren Sie beides auf.",
	"mail.statement_receipt.outcome":     "Über das Ergebnis der Abwägung werden Sie informiert.",

	// Receipt of a defect report.
	"mail.defect_receipt.subject":   "Ihre Mängelmeldung Nr. %s ist eingegangen",
	"mail.defect_receipt.intro":     "Ihre Mängelmeldung an „%s“ ist eingegangen.",
	"mail.defect_receipt.number":    "Nummer: %s",
	"mail.defect_receipt.category":  "Kategorie: %s",
	"mail.defect_receipt.address":   "Ort: %s",
	"mail.defect_receipt.token":     "Ihr persönlicher Schlüssel: %s",
	"mail.defect_receipt.token_use": "Mit ihm können Sie die Benachrichtigungen abbestellen. Ihre E-Mail-Adresse wird nicht veröffentlicht.",
	"mail.defect_receipt.outlook":   "Wir informieren Sie, sobald sich der Stand Ihrer Meldung ändert.",

	// Status change of a defect report.
	"mail.defect_status.subject":   "Ihre Mängelmeldung Nr. %s: %s",
	"mail.defect_status.intro":     "der Stand Ihrer Mängelmeldung Nr. %s (%s) an „%s“ hat sich geändert.",
	"mail.defect_status.status":    "Neuer Stand: %s",
	"mail.defect_status.forwarded": "Zuständig ist jetzt: %s",
	"mail.defect_status.comment":   "Antwort der Verwaltung:",

	// Names of the defect statuses, as mails show them.
	"defect.status_new":          "neu",
	"defect.status_acknowledged": "angenommen",
	"defect.status_in_progress":  "in Bearbeitung",
	"defect.status_resolved":     "erledigt",
	"defect.status_rejected":     "abgelehnt",
	"defect.status_duplicate":    "bereits gemeldet (Duplikat)",
	"defect.status_forwarded":    "weitergeleitet",

	// Validation codes of domain/mail (a message that cannot be sent).
	"mail.address_invalid": "Bitte geben Sie eine einzelne gültige E-Mail-Adresse an.",
	"mail.subject_invalid": "Der Betreff enthält ungültige Zeichen oder ist zu lang.",
	"mail.text_invalid":    "Der Text enthält ungültige Zeichen oder ist zu lang.",
	"mail.tag_invalid":     "Die interne Kennung der Nachricht enthält ungültige Zeichen oder ist zu lang.",

	// Pseudonyms that replace a submitter for staff who may not see them.
	"statement.pseudonym_public_body": "Träger öffentlicher Belange",
	"statement.pseudonym_anonymous":   "Anonym %s",
	"statement.pseudonym_person":      "Person %s",
	"statement.pseudonym_attachment":  "Anlage %d",

	// Local time in Germany, e.g. "23.11.2026, 14:05:09 Uhr (MEZ)". The
	// layout is a Go time layout.
	"time.layout":    "02.01.2006, 15:04:05",
	"time.local":     "%s Uhr (%s)",
	"time.zone_cet":  "MEZ",
	"time.zone_cest": "MESZ",
}

func init() {
	for k, v := range deMail {
		de[k] = v
	}
}
