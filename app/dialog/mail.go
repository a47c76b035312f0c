package dialog

import (
	"strings"
	"time"

	"beteiligungsportal/app/i18n"
	"beteiligungsportal/app/mail"
	"beteiligungsportal/domain/procedure"
)

// text is the German text of key, formatted with args.
func text(key string, args ...any) string { return i18n.T(i18n.Default, key, args...) }

// confirmationMail carries the code that confirms an address for a dialog.
func confirmationMail(to, dialogTitle, pseudonym, code string, until time.Time) mail.Message {
	var b strings.Builder
	b.WriteString(text("mail.greeting") + "\n\n")
	b.WriteString(text("mail.dialog_confirm.intro", dialogTitle) + "\n\n")
	b.WriteString(text("mail.dialog_confirm.code", code) + "\n")
	b.WriteString(text("mail.dialog_confirm.until", until.In(procedure.Berlin).Format("02.01.2006, 15:04")) + "\n\n")
	b.WriteString(text("mail.dialog_confirm.pseudonym", pseudonym) + "\n\n")
	b.WriteString(text("mail.dialog_confirm.ignore") + "\n\n")
	b.WriteString(text("mail.footer") + "\n")
	return mail.Message{To: to, Subject: text("mail.dialog_confirm.subject", dialogTitle), Text: b.String(),
		Kind: "dialog.confirm"}
}
