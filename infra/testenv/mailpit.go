package testenv

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// SMTPURL is the SMTP server `make test` starts (Mailpit); what is sent there
// can be read back with the Mail functions.
func SMTPURL(t testing.TB) string {
	t.Helper()
	return Env(t, "SMTP_URL")
}

// MailAddress returns an address no other test uses, so that tests sharing
// the one Mailpit see only their own mail. name is the local part's prefix.
func MailAddress(name string) string {
	return strings.ToLower(name+"-"+rand.Text()[:10]) + "@example.org"
}

// Mail is a message as Mailpit received it.
type Mail struct {
	ID        string
	MessageID string
	From      MailAddr
	To        []MailAddr
	Subject   string
	Text      string
	Date      time.Time
	// Headers are the raw headers by name, e.g. Headers["Content-Type"].
	Headers map[string][]string
}

// MailAddr is one address of a received message.
type MailAddr struct {
	Name    string
	Address string
}

// Mails returns the messages received for the address to (exactly, not a
// part of it) whose subject contains subjectContains, newest first.
func Mails(t testing.TB, to, subjectContains string) []Mail {
	t.Helper()
	var list struct {
		Messages []struct {
			ID      string
			Subject string
			To      []MailAddr
		} `json:"messages"`
	}
	mailpitGet(t, "/api/v1/search?limit=200&query="+url.QueryEscape(`to:"`+to+`"`), &list)
	var out []Mail
	for _, s := range list.Messages {
		if !strings.Contains(s.Subject, subjectContains) || !hasAddress(s.To, to) {
			continue
		}
		var m Mail
		mailpitGet(t, "/api/v1/message/"+url.PathEscape(s.ID), &m)
		mailpitGet(t, "/api/v1/message/"+url.PathEscape(s.ID)+"/headers", &m.Headers)
		out = append(out, m)
	}
	return out
}

// WaitForMail waits up to 15 s for a message to the address to whose subject
// contains subjectContains and returns the newest such message.
func WaitForMail(t testing.TB, to, subjectContains string) Mail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if ms := Mails(t, to, subjectContains); len(ms) > 0 {
			return ms[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s with a subject containing %q arrived in Mailpit within 15s", to, subjectContains)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hasAddress(list []MailAddr, addr string) bool {
	for _, a := range list {
		if strings.EqualFold(a.Address, addr) {
			return true
		}
	}
	return false
}

// mailpitGet decodes the JSON answer of Mailpit's API at path into v.
func mailpitGet(t testing.TB, path string, v any) {
	t.Helper()
	base := strings.TrimRight(Env(t, "PORTAL_TEST_MAILPIT_URL"), "/")
	res, err := http.Get(base + path)
	if err != nil {
		t.Fatalf("Mailpit API: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("Mailpit API GET %s: status %d: %s", path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("Mailpit API GET %s: %v", path, fmt.Errorf("decode: %w", err))
	}
}
