package smtp_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain/mail"
	"beteiligungsportal/infra/smtp"
	"beteiligungsportal/infra/testenv"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw     string
		want    smtp.Config
		wantErr string
	}{
		{"smtp://127.0.0.1:51025", smtp.Config{Host: "127.0.0.1", Port: 51025}, ""},
		{"smtp://mail.example.org", smtp.Config{Host: "mail.example.org", Port: 587}, ""},
		{"smtps://mail.example.org", smtp.Config{Host: "mail.example.org", Port: 465, ImplicitTLS: true}, ""},
		{"smtp://portal%40amt.example:p%3Ass@mail.example.org:2525/",
			smtp.Config{Host: "mail.example.org", Port: 2525, Username: "portal@amt.example", Password: "p:ss"}, ""},
		{"smtp://[::1]:25", smtp.Config{Host: "::1", Port: 25}, ""},
		{"http://mail.example.org", smtp.Config{}, "smtp://"},
		{"smtp://:25", smtp.Config{}, "host"},
		{"smtp://mail.example.org:0", smtp.Config{}, "port"},
		{"smtp://mail.example.org:99999", smtp.Config{}, "port"},
		{"smtp://mail.example.org?insecure_skip_verify=true", smtp.Config{}, "no path or options"},
		{"smtp://mail.example.org/x", smtp.Config{}, "no path or options"},
		{"smtp://user:secret@mail.example.org:x", smtp.Config{}, ""}, // checked below: no secret in the error
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := smtp.ParseURL(tt.raw)
			if strings.Contains(tt.raw, "secret") {
				if err == nil || strings.Contains(err.Error(), "secret") {
					t.Fatalf("got %v, want an error that does not show the password", err)
				}
				return
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, %v; want an error about %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func mailpitSender(t *testing.T) *smtp.Sender {
	t.Helper()
	cfg, err := smtp.ParseURL(testenv.SMTPURL(t))
	if err != nil {
		t.Fatalf("SMTP_URL: %v", err)
	}
	return smtp.New(cfg, 10*time.Second)
}

const from = "Beteiligungsportal Sachsen <noreply@beteiligung.example>"

func TestSendToMailpit(t *testing.T) {
	t.Parallel()
	to := testenv.MailAddress("empfang")
	id := uuid.Must(uuid.NewV7())
	text := "Sehr geehrte Frau Müller,\n\nIhre Stellungnahme zum Bebauungsplan „Am Schloßteich“ ist eingegangen.\n" +
		"Eingangsnummer: S-2026-000042\n\n" + strings.Repeat("Eine sehr lange Zeile über Größe und Maß. ", 10) + "\n\n" +
		"Mit freundlichen Grüßen\nIhre Stadtverwaltung\n"
	m := mail.Queued{ID: id, Attempts: 1, Message: mail.Message{
		To: "Jürgen Groß <" + to + ">", Subject: "Eingangsbestätigung: Änderung des Bebauungsplans Nr. 12 „Süd“ – Straße",
		Text: text, Kind: "test", Ref: "S-2026-000042"}}
	if err := mailpitSender(t).Send(context.Background(), from, m); err != nil {
		t.Fatal(err)
	}
	got := testenv.WaitForMail(t, to, "Eingangsbestätigung")
	if got.Subject != m.Subject {
		t.Errorf("subject: got %q, want %q", got.Subject, m.Subject)
	}
	if strings.TrimRight(strings.ReplaceAll(got.Text, "\r\n", "\n"), "\n") != strings.TrimRight(text, "\n") {
		t.Errorf("text: got %q, want %q", got.Text, text)
	}
	if len(got.To) != 1 || got.To[0].Address != to || got.To[0].Name != "Jürgen Groß" {
		t.Errorf("to: got %+v", got.To)
	}
	if got.From.Address != "noreply@beteiligung.example" || got.From.Name != "Beteiligungsportal Sachsen" {
		t.Errorf("from: got %+v", got.From)
	}
	if want := id.String() + "@beteiligung.example"; got.MessageID != want {
		t.Errorf("message id: got %q, want %q", got.MessageID, want)
	}
	if time.Since(got.Date) > time.Minute || time.Until(got.Date) > time.Minute {
		t.Errorf("date: got %v", got.Date)
	}
	h := func(name string) string { return strings.Join(got.Headers[name], "; ") }
	if !strings.HasPrefix(h("Subject"), "=?UTF-8?") {
		t.Errorf("subject header not RFC 2047 encoded: %q", h("Subject"))
	}
	if !strings.Contains(h("Content-Type"), "text/plain") || !strings.Contains(strings.ToLower(h("Content-Type")), "charset=utf-8") {
		t.Errorf("content type: %q", h("Content-Type"))
	}
	if h("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("transfer encoding: %q", h("Content-Transfer-Encoding"))
	}
	if h("Mime-Version") != "1.0" && h("MIME-Version") != "1.0" {
		t.Errorf("no MIME-Version 1.0 in %v", got.Headers)
	}
	if h("Auto-Submitted") != "auto-generated" {
		t.Errorf("auto-submitted: %q", h("Auto-Submitted"))
	}
	if h("User-Agent") != "" || h("X-Mailer") != "" {
		t.Errorf("library advertised: %q %q", h("User-Agent"), h("X-Mailer"))
	}
}

func TestSendClassifiesFailures(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: the server is down, which is temporary.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	down := smtp.New(smtp.Config{Host: "127.0.0.1", Port: port}, 5*time.Second)
	m := mail.Queued{ID: uuid.New(), Message: mail.Message{To: testenv.MailAddress("down"), Subject: "s", Text: "t"}}
	err = down.Send(context.Background(), from, m)
	if err == nil || errors.Is(err, mail.ErrRejected) {
		t.Fatalf("server down: got %v, want a temporary error", err)
	}

	// The test Mailpit refuses recipients with "=" for good (550).
	m.To = strings.Replace(testenv.MailAddress("refused"), "@", "=x@", 1)
	err = mailpitSender(t).Send(context.Background(), from, m)
	if !errors.Is(err, mail.ErrRejected) || !strings.Contains(err.Error(), "550") {
		t.Fatalf("refused recipient: got %v, want ErrRejected with 550", err)
	}

	// An address that cannot be sent to is rejected before connecting.
	m.To = "nobody@localhost\r\nBcc: x@example.org"
	if err := down.Send(context.Background(), from, m); !errors.Is(err, mail.ErrRejected) {
		t.Fatalf("bad address: got %v, want ErrRejected", err)
	}

	// A cancelled context is temporary too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.To = testenv.MailAddress("cancelled")
	if err := mailpitSender(t).Send(ctx, from, m); err == nil || errors.Is(err, mail.ErrRejected) {
		t.Fatalf("cancelled: got %v, want a temporary error", err)
	}
}
