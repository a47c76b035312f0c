package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	appmail "beteiligungsportal/app/mail"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/smtp"
	"beteiligungsportal/infra/testenv"
)

// The outbox end to end: PostgreSQL, the worker, SMTP and Mailpit, all real.

const testFrom = "Beteiligungsportal <noreply@beteiligung.example>"

func quietLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(testLogWriter(), nil)) }

func mailpitSender(t *testing.T) appmail.Sender {
	t.Helper()
	c, err := smtp.ParseURL(testenv.SMTPURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return smtp.New(c, 10*time.Second)
}

// closedPortSender points at a port nobody listens on: a stopped mail server.
func closedPortSender(t *testing.T) appmail.Sender {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return smtp.New(smtp.Config{Host: "127.0.0.1", Port: port}, 5*time.Second)
}

type outboxRow struct {
	Status    string
	Attempts  int
	Later     bool // next_attempt_at > now()
	LastError string
}

func outboxState(t *testing.T, db *bun.DB, ref string) outboxRow {
	t.Helper()
	var r outboxRow
	err := db.NewRaw(`SELECT status, attempts, next_attempt_at > now(), last_error FROM mail_outbox WHERE ref = ?`, ref).
		Scan(context.Background(), &r.Status, &r.Attempts, &r.Later, &r.LastError)
	if err != nil {
		t.Fatalf("outbox row %s: %v", ref, err)
	}
	return r
}

// eventually retries check every 20 ms for up to 15 s.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMailIsSentOnlyWhenTheTransactionCommits(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env.start() // its mail worker sends what is committed
	db, err := postgres.Open(env.cfg.DatabaseURL, postgres.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// A use case's Repos with the outbox in them, as app/statement has.
	type repos struct{ Mail appmail.Outbox }
	runner := postgres.NewRunner(db, func(idb bun.IDB) repos { return repos{Mail: postgres.NewOutbox(idb)} })
	ctx := context.Background()
	rolledBack, committed := newMailAddress("zurueckgerollt"), newMailAddress("bestaetigt")
	errRefused := errors.New("statement refused")
	err = runner.InTx(ctx, func(ctx context.Context, r repos) error {
		if err := r.Mail.Enqueue(ctx, appmail.Message{To: rolledBack, Subject: "Eingangsbestätigung", Text: "nie"}); err != nil {
			return err
		}
		return errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatal(err)
	}
	text := "Sehr geehrte Damen und Herren,\n\nIhre Stellungnahme ist am 23.11.2026 eingegangen.\nGrüße aus Freiberg\n"
	err = runner.InTx(ctx, func(ctx context.Context, r repos) error {
		return r.Mail.Enqueue(ctx, appmail.Message{To: "Änne Weiß <" + committed + ">",
			Subject: "Eingangsbestätigung Ihrer Stellungnahme – Bebauungsplan „Schloßplatz“", Text: text,
			Kind: "statement.receipt", Ref: "S-1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	got := waitForMail(t, committed, "Stellungnahme")
	if got.Subject != "Eingangsbestätigung Ihrer Stellungnahme – Bebauungsplan „Schloßplatz“" {
		t.Errorf("subject: got %q", got.Subject)
	}
	if strings.ReplaceAll(got.Text, "\r\n", "\n") != text {
		t.Errorf("text: got %q, want %q", got.Text, text)
	}
	if len(got.To) != 1 || got.To[0].Address != committed || got.To[0].Name != "Änne Weiß" {
		t.Errorf("to: got %+v", got.To)
	}
	if got.From.Address != "noreply@localhost" || got.From.Name != "Beteiligungsportal" {
		t.Errorf("from: got %+v, want the PORTAL_MAIL_FROM default", got.From)
	}
	eventually(t, "the mail is marked sent", func() bool { return outboxState(t, db, "S-1").Status == "sent" })
	if ms := mailsTo(t, rolledBack, ""); len(ms) != 0 {
		t.Fatalf("a mail of a rolled-back transaction was sent: %+v", ms)
	}
	if n, _ := db.NewSelect().Table("mail_outbox").Count(ctx); n != 1 {
		t.Fatalf("outbox rows: got %d, want only the committed one", n)
	}
}

func TestMailWaitsOutAnSMTPOutageAndIsSentOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	to := newMailAddress("ausfall")
	if err := postgres.NewOutbox(db).Enqueue(ctx, appmail.Message{To: to, Subject: "Ergebnis der Abwägung",
		Text: "Ihre Stellungnahme wurde berücksichtigt.", Ref: "outage"}); err != nil {
		t.Fatal(err)
	}
	backoff := appmail.Backoff{Base: 400 * time.Millisecond, Max: time.Second}
	down := appmail.NewWorker(postgres.NewOutbox(db), closedPortSender(t), appmail.WorkerConfig{From: testFrom, Backoff: backoff}, quietLogger())
	if n, err := down.SendDue(ctx); n != 1 || err != nil {
		t.Fatalf("SendDue with the server down: got %d, %v", n, err)
	}
	r := outboxState(t, db, "outage")
	if r.Status != "queued" || r.Attempts != 1 || !r.Later || !strings.Contains(r.LastError, "refused") {
		t.Fatalf("after a failed attempt: got %+v, want queued, one attempt, due later, the reason", r)
	}
	if n, _ := down.SendDue(ctx); n != 0 {
		t.Fatal("a message was retried before its backoff ran out")
	}
	// A second failure backs off further; the mail stays queued.
	eventually(t, "the message is due again", func() bool { return !outboxState(t, db, "outage").Later })
	if n, _ := down.SendDue(ctx); n != 1 {
		t.Fatal("not retried after the backoff")
	}
	if r := outboxState(t, db, "outage"); r.Status != "queued" || r.Attempts != 2 || !r.Later {
		t.Fatalf("after the second failure: %+v", r)
	}
	if ms := mailsTo(t, to, ""); len(ms) != 0 {
		t.Fatalf("mail arrived while the server was down: %+v", ms)
	}

	// The server is back: the next due attempt delivers it.
	up := appmail.NewWorker(postgres.NewOutbox(db), mailpitSender(t), appmail.WorkerConfig{From: testFrom, Backoff: backoff}, quietLogger())
	eventually(t, "the mail is sent", func() bool {
		if _, err := up.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		return outboxState(t, db, "outage").Status == "sent"
	})
	got := waitForMail(t, to, "Abwägung")
	if strings.TrimSpace(got.Text) != "Ihre Stellungnahme wurde berücksichtigt." {
		t.Errorf("text: got %q", got.Text)
	}
	for range 3 {
		if n, _ := up.SendDue(ctx); n != 0 {
			t.Fatal("a sent mail was claimed again")
		}
	}
	time.Sleep(200 * time.Millisecond)
	if ms := mailsTo(t, to, ""); len(ms) != 1 {
		t.Fatalf("got %d mails, want exactly one", len(ms))
	}
}

func TestMailTwoWorkersSendEveryMailOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	open := func() *bun.DB {
		pool, err := postgres.Open(url, postgres.PoolConfig{MaxOpen: 4, MaxIdle: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pool.Close() })
		return pool
	}
	db := open()
	to := newMailAddress("zwei-worker")
	const total = 40
	for i := range total {
		if err := postgres.NewOutbox(db).Enqueue(ctx, appmail.Message{To: to,
			Subject: fmt.Sprintf("Mitteilung Nr. %02d", i), Text: "Text", Ref: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Two instances, each with its own pool, like two served portals.
	var stops []func()
	for range 2 {
		w := appmail.NewWorker(postgres.NewOutbox(open()), mailpitSender(t),
			appmail.WorkerConfig{From: testFrom, Batch: 3, Poll: 10 * time.Millisecond}, quietLogger())
		stops = append(stops, startMailWorker(ctx, w))
	}
	eventually(t, "every mail is marked sent", func() bool {
		n, err := db.NewSelect().Table("mail_outbox").Where("status = 'sent'").Count(ctx)
		return err == nil && n == total
	})
	for _, stop := range stops {
		stop()
	}
	var ms []testenv.Mail
	eventually(t, "Mailpit has every mail", func() bool { ms = mailsTo(t, to, "Mitteilung"); return len(ms) >= total })
	time.Sleep(200 * time.Millisecond)
	ms = mailsTo(t, to, "Mitteilung")
	seen := map[string]int{}
	for _, m := range ms {
		seen[m.Subject]++
	}
	if len(ms) != total || len(seen) != total {
		t.Fatalf("got %d mails with %d distinct subjects, want %d each: %v", len(ms), len(seen), total, seen)
	}
}

func TestMailRefusedForGoodIsKeptAsFailed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	// The test Mailpit answers 550 for recipients with "=".
	to := strings.Replace(newMailAddress("abgelehnt"), "@", "=x@", 1)
	if err := postgres.NewOutbox(db).Enqueue(ctx, appmail.Message{To: to, Subject: "s", Text: "t", Ref: "refused"}); err != nil {
		t.Fatal(err)
	}
	w := appmail.NewWorker(postgres.NewOutbox(db), mailpitSender(t), appmail.WorkerConfig{From: testFrom,
		MaxRejects: 2, Backoff: appmail.Backoff{Base: 50 * time.Millisecond, Max: 50 * time.Millisecond}}, quietLogger())
	if _, err := w.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if r := outboxState(t, db, "refused"); r.Status != "queued" || r.Attempts != 1 {
		t.Fatalf("after the first refusal: got %+v, want a retry", r)
	}
	eventually(t, "the mail is given up", func() bool {
		_, _ = w.SendDue(ctx)
		return outboxState(t, db, "refused").Status == "failed"
	})
	if r := outboxState(t, db, "refused"); r.Attempts != 2 || !strings.Contains(r.LastError, "550") {
		t.Fatalf("failed row: got %+v, want two attempts and the server's answer", r)
	}
}

func TestMailWithoutSMTPStaysQueued(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	if err := postgres.NewOutbox(db).Enqueue(ctx, appmail.Message{To: newMailAddress("ohne"), Subject: "s", Text: "t", Ref: "nosmtp"}); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	w, err := newMailWorker(config{MailFrom: "Portal <noreply@example.org>"}, db,
		slog.New(slog.NewTextHandler(&logs, nil)), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	stop := startMailWorker(ctx, w)
	time.Sleep(100 * time.Millisecond)
	stop()
	if r := outboxState(t, db, "nosmtp"); r.Status != "queued" || r.Attempts != 0 || r.Later {
		t.Fatalf("got %+v, want the mail untouched", r)
	}
	if n := strings.Count(logs.String(), "SMTP_URL is empty"); n != 1 {
		t.Fatalf("logged the missing SMTP_URL %d times, want once:\n%s", n, logs.String())
	}
}

func TestMailConfig(t *testing.T) {
	t.Parallel()
	base := map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/x", "REDIS_URL": "redis://127.0.0.1:6379/0",
		"PORTAL_SECRET": strings.Repeat("s", 32)}
	load := func(set map[string]string) (config, error) {
		return loadConfig(func(k string) string {
			if v, ok := set[k]; ok {
				return v
			}
			return base[k]
		}, needAll)
	}
	cfg, err := load(nil)
	if err != nil || cfg.SMTPURL != "" || cfg.MailFrom != "Beteiligungsportal <noreply@localhost>" {
		t.Fatalf("defaults: got %q %q %v", cfg.SMTPURL, cfg.MailFrom, err)
	}
	for _, tt := range []struct{ name, value, want string }{
		{"SMTP_URL", "mail.example.org:25", "SMTP_URL must start with smtp:// or smtps://"},
		{"SMTP_URL", "smtp://user:geheim@mail.example.org?tls=off", "SMTP_URL takes no path or options"},
		{"PORTAL_MAIL_FROM", "noreply", "PORTAL_MAIL_FROM must be one e-mail address"},
		{"PORTAL_MAIL_FROM", "a@example.org, b@example.org", "PORTAL_MAIL_FROM must be one e-mail address"},
	} {
		_, err := load(map[string]string{tt.name: tt.value})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "geheim") {
			t.Errorf("%s=%q: got %v, want an error starting %q without the password", tt.name, tt.value, err, tt.want)
		}
	}
	cfg, err = load(map[string]string{"SMTP_URL": "smtps://portal:geheim@mail.example.org", "PORTAL_MAIL_FROM": "Stadt Grimma <beteiligung@grimma.example>"})
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", slog.Any("config", cfg.logValue()))
	if strings.Contains(logged.String(), "geheim") || !strings.Contains(logged.String(), "mail.example.org") {
		t.Fatalf("logged config must show the server without the password: %s", logged.String())
	}
}
