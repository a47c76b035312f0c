package web

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	appsurvey "beteiligungsportal/app/survey"
	"beteiligungsportal/web/handler"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// registerSurveys adds the routes of online surveys under api. Responses
// and drafts are contributions like statements and share their limits
// (PORTAL_RATE_LIMIT_STATEMENTS per hour and client IP,
// PORTAL_RATE_LIMIT_STATEMENTS_PROCEDURE per minute and survey), in buckets
// of their own: a household or an office behind one address can answer
// several times, a script is slowed down. Both fail open like statements:
// losing a response is worse than a missed limit.
func registerSurveys(api fiber.Router, cfg Config, svc *appsurvey.Service, limiter middleware.Limiter, log *slog.Logger, val *request.Validator) {
	if svc == nil {
		return
	}
	h := &handler.Surveys{Service: svc, Validator: val, Secure: cfg.BaseURL.Scheme == "https"}
	byIP := middleware.Rule{Limiter: limiter, Name: "survey-ip", Rate: cfg.RateLimitStatements, Burst: cfg.RateLimitStatements,
		Period: time.Hour, Policy: middleware.FailOpen, Key: func(c *fiber.Ctx) string { return c.IP() }}
	bySurvey := middleware.Rule{Limiter: limiter, Name: "survey-proc", Rate: cfg.RateLimitStatementsProc,
		Burst: cfg.RateLimitStatementsProc, Period: time.Minute, Policy: middleware.FailOpen,
		Key: procedureKey}
	limited := []fiber.Handler{middleware.RateLimits(log, byIP, bySurvey)}

	api.Get("/procedures/:id/survey", h.Get)
	api.Put("/procedures/:id/survey", h.Save)
	api.Post("/procedures/:id/survey/responses", append(limited, h.Submit)...)
	api.Post("/procedures/:id/survey/drafts", append(limited, h.SaveDraft)...)
	api.Post("/procedures/:id/survey/drafts/resume", h.Draft)
	api.Post("/procedures/:id/survey/codes", h.GenerateCodes)
	api.Get("/procedures/:id/survey/results", h.Results)
	api.Put("/procedures/:id/survey/results/publication", h.PublishResults)
	api.Get("/procedures/:id/survey/responses.csv", h.ExportResponsesCSV)
	api.Get("/procedures/:id/survey/responses.xlsx", h.ExportResponsesXLSX)
	api.Get("/procedures/:id/survey/results.csv", h.ExportResultsCSV)
	api.Get("/procedures/:id/survey/results.xlsx", h.ExportResultsXLSX)
}
