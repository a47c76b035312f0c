package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	appmail "beteiligungsportal/app/mail"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/smtp"
)

// newMailWorker builds the outbox worker of cfg over db: it sends through
// SMTP_URL, or leaves every mail queued while that is empty. poll is the pause
// between looks at an empty outbox.
func newMailWorker(cfg config, db *bun.DB, log *slog.Logger, poll time.Duration) (*appmail.Worker, error) {
	var sender appmail.Sender
	if cfg.SMTPURL != "" {
		sc, err := smtp.ParseURL(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("SMTP_URL %w", err)
		}
		sender = smtp.New(sc, 30*time.Second)
	}
	return appmail.NewWorker(postgres.NewOutbox(db), sender,
		appmail.WorkerConfig{From: cfg.MailFrom, Poll: poll}, log.With(slog.String("component", "mail"))), nil
}

// startMailWorker runs w in the background until ctx ends or the returned stop
// is called; stop waits until the worker has finished, so the caller may close
// the database afterwards.
func startMailWorker(ctx context.Context, w *appmail.Worker) (stop func()) {
	return startBackground(ctx, w.Run)
}
