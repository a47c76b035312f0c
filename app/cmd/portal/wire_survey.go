package main

import (
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	appsurvey "beteiligungsportal/app/survey"
	"beteiligungsportal/infra/postgres"
)

// surveyService is the survey use cases, named here so that the wiring in
// main.go needs no import of its own.
type surveyService = appsurvey.Service

// newSurveyService wires the survey use cases over db; the instance secret
// signs browser tokens and keys the hashes of access codes.
func newSurveyService(cfg config, db *bun.DB, log *slog.Logger, now func() time.Time) *surveyService {
	runner := postgres.NewRunner(db, func(idb bun.IDB) appsurvey.Repos {
		return appsurvey.Repos{Surveys: postgres.NewSurveys(idb), Procedures: postgres.NewProcedures(idb), Audit: postgres.NewAudit(idb)}
	})
	return appsurvey.NewService(runner, cfg.Secret, log, now)
}
