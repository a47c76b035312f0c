package main

import (
	"errors"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	appdefect "beteiligungsportal/app/defect"
	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/file"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/web"
)

// Photo limits of defect reports: five photos of up to 8 MiB each fit in the
// upload limit, which is at least the 50 MiB of a procedure document.
var defectPhotoLimits = defect.PhotoLimits{MaxCount: 5, MaxSize: 8 << 20, MaxPixels: 25_000_000}

// newDefectService wires defect reporting over db and the file store.
func newDefectService(cfg config, db *bun.DB, files file.Store, log *slog.Logger, now func() time.Time) *appdefect.Service {
	runner := postgres.NewRunner(db, func(idb bun.IDB) appdefect.Repos {
		return appdefect.Repos{Defects: postgres.NewDefects(idb), Procedures: postgres.NewProcedures(idb),
			Organisations: postgres.NewOrganisations(idb), Audit: postgres.NewAudit(idb), Mail: postgres.NewOutbox(idb)}
	})
	return appdefect.NewService(runner, files, appdefect.Config{
		Secret:    cfg.Secret,
		Photos:    defectPhotoLimits,
		IsKeyRace: func(err error) bool { return errors.Is(err, postgres.ErrDefectKeyRace) },
	}, log, now)
}

// defectDeps are the HTTP layer's defect settings; the rate limits per IP
// follow those of statements.
func defectDeps(cfg config, svc services) web.DefectDeps {
	return web.DefectDeps{
		Service:        svc.defects,
		RateReports:    cfg.RateLimitStatements,
		RateSupports:   max(60, cfg.RateLimitStatements),
		RateOpen311:    cfg.RateLimitAPI,
		RateOpen311Key: 30,
		Open311Contact: cfg.MailFrom,
	}
}
