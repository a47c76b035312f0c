package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	appretention "beteiligungsportal/app/retention"
	"beteiligungsportal/infra/postgres"
)

// newRetention builds the job that deletes expired survey drafts, mail and
// unconfirmed dialog participants over db with the periods of cfg.
func newRetention(cfg config, db *bun.DB, log *slog.Logger, now func() time.Time) *appretention.Service {
	repos := appretention.Repos{Drafts: postgres.NewSurveys(db), Procedures: postgres.NewProcedures(db),
		Mail: postgres.NewOutbox(db), Dialogs: postgres.NewDialogs(db), Audit: postgres.NewAudit(db),
		Lock: postgres.NewAdvisoryLock(db, "retention")}
	return appretention.NewService(repos, appretention.Config{
		DraftIdle: cfg.SurveyDraftRetention, DraftGrace: cfg.SurveyDraftGrace, Mail: cfg.MailRetention,
	}, log.With(slog.String("component", "retention")), now)
}

// startBackground runs fn in a goroutine until ctx ends or the returned stop
// is called; stop waits until fn has returned, so the caller may close the
// database afterwards.
func startBackground(ctx context.Context, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}
