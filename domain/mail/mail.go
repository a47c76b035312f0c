// Package mail holds the e-mail messages the portal sends (receipts, results,
// notifications) and the rules a message must meet before it is queued.
package mail

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

// Limits of a message. They are generous for the portal's own texts and keep a
// message well within what SMTP servers accept.
const (
	MaxSubject = 250     // characters
	MaxText    = 1 << 20 // bytes
	MaxTag     = 200     // bytes of Kind and Ref
)

// Message is one plain-text e-mail to one recipient. The sender address is the
// instance's, not the message's.
type Message struct {
	// To is one address, bare ("erika@example.org") or with a display name
	// ("Erika Mustermann <erika@example.org>").
	To      string
	Subject string
	Text    string
	// Kind names what the mail is for (e.g. "statement.receipt") and Ref the
	// record it belongs to (e.g. a statement ID); both are kept for tracing.
	Kind string
	Ref  string
}

// Queued is a message taken from the outbox for sending.
type Queued struct {
	// ID identifies the mail across resends; senders derive the Message-ID
	// header from it, so a receiver can recognise a duplicate.
	ID uuid.UUID
	Message
	// Attempts counts the sending attempts so far, this one included.
	Attempts int
}

// ErrRejected marks a permanent refusal of a message: the mail server answered
// with a 5xx code, or the message cannot be sent as it is. Errors that do not
// wrap it are temporary (server down, 4xx, time-out).
var ErrRejected = errors.New("rejected")

// Validate checks the message: a single valid address, a subject and text
// without control characters that could inject headers, and the size limits.
// Field codes are message keys like the other validation errors.
func (m Message) Validate() error {
	var v domain.ValidationError
	if _, err := ParseAddress(m.To); err != nil {
		v.Add("to", "mail.address_invalid")
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		v.Add("subject", "required")
	case !utf8.ValidString(m.Subject) || utf8.RuneCountInString(m.Subject) > MaxSubject || hasControl(m.Subject):
		v.Add("subject", "mail.subject_invalid")
	}
	switch {
	case strings.TrimSpace(m.Text) == "":
		v.Add("text", "required")
	case !utf8.ValidString(m.Text) || len(m.Text) > MaxText || strings.ContainsRune(m.Text, 0):
		v.Add("text", "mail.text_invalid")
	}
	if len(m.Kind) > MaxTag || hasControl(m.Kind) {
		v.Add("kind", "mail.tag_invalid")
	}
	if len(m.Ref) > MaxTag || hasControl(m.Ref) {
		v.Add("ref", "mail.tag_invalid")
	}
	return v.Err()
}

// ParseAddress parses one address as Validate accepts it. Line breaks are
// refused before parsing: net/mail would read an address list across them.
func ParseAddress(s string) (*netmail.Address, error) {
	if s == "" || hasControl(s) || !utf8.ValidString(s) {
		return nil, fmt.Errorf("invalid address %q: %w", s, domain.ErrInvalid)
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("invalid address %q: %w", s, domain.ErrInvalid)
	}
	// The domain part must look like a host name; net/mail accepts "a@b".
	at := strings.LastIndexByte(a.Address, '@')
	if at < 1 || !strings.Contains(a.Address[at+1:], ".") || strings.ContainsAny(a.Address[at+1:], "[]") {
		return nil, fmt.Errorf("invalid address %q: %w", s, domain.ErrInvalid)
	}
	return a, nil
}

// hasControl reports ASCII control characters, CR and LF among them.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
