package main

import (
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	appdialog "beteiligungsportal/app/dialog"
	"beteiligungsportal/domain/file"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/web"
)

// newDialogService wires dialog procedures over db and the file store.
func newDialogService(cfg config, db *bun.DB, files file.Store, log *slog.Logger, now func() time.Time) *appdialog.Service {
	runner := postgres.NewRunner(db, func(idb bun.IDB) appdialog.Repos {
		return appdialog.Repos{Dialogs: postgres.NewDialogs(idb), Procedures: postgres.NewProcedures(idb),
			Organisations: postgres.NewOrganisations(idb), Audit: postgres.NewAudit(idb), Mail: postgres.NewOutbox(idb)}
	})
	return appdialog.NewService(runner, files, appdialog.Config{Secret: cfg.Secret, MaxAttachment: 8 << 20,
		MaxPixels: defectPhotoLimits.MaxPixels}, log, now)
}

// dialogDeps are the HTTP layer's dialog settings; the limits follow those
// of statements: contributions like statements, supports five times as many,
// reports and confirmation requests half as many.
func dialogDeps(cfg config, svc services) web.DialogDeps {
	return web.DialogDeps{
		Service:               svc.dialogs,
		RateContributions:     cfg.RateLimitStatements,
		RateContributionsProc: cfg.RateLimitStatementsProc,
		RateSupports:          max(300, 5*cfg.RateLimitStatements),
		RateReports:           max(30, cfg.RateLimitStatements/2),
	}
}
