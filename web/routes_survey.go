package web

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	appsurvey "beteiligungsportal/app/survey"
	"beteiligungsportal/web/handler"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// Survey responses per client IP: a household or an office behind one
// address answers several times, a script is slowed down. Per survey, a
// burst that no real participation produces. Both fail open, like
// statements: losing a response is worse than a missed limit.
const (
	surveyResponsesPerIPHour       = 30
	surveyResponsesPerSurveyMinute = 600
)

// registerSurveys adds the routes of online surveys under api.
func registerSurveys(api fiber.Router, svc *appsurvey.Service, val *request.Validator, limiter middleware.Limiter, log *slog.Logger, secure bool) {
	if svc == nil {
		return
	}
	h := &handler.Surveys{Service: svc, Validator: val, Secure: secure}
	byIP := middleware.Rule{Limiter: limiter, Name: "survey-ip", Rate: surveyResponsesPerIPHour, Burst: surveyResponsesPerIPHour,
		Period: time.Hour, Policy: middleware.FailOpen, Key: func(c *fiber.Ctx) string { return c.IP() }}
	bySurvey := middleware.Rule{Limiter: limiter, Name: "survey-proc", Rate: surveyResponsesPerSurveyMinute,
		Burst: surveyResponsesPerSurveyMinute, Period: time.Minute, Policy: middleware.FailOpen,
		Key: func(c *fiber.Ctx) string { return strings.Clone(c.Params("id")) }}
	limited := []fiber.Handler{middleware.RateLimit(byIP, log), middleware.RateLimit(bySurvey, log)}

	api.Get("/procedures/:id/survey", h.Get)
	api.Put("/procedures/:id/survey", h.Save)
	api.Post("/procedures/:id/survey/responses", append(limited, h.Submit)...)
	api.Post("/procedures/:id/survey/drafts", append(limited, h.SaveDraft)...)
	api.Post("/procedures/:id/survey/drafts/resume", h.Draft)
	api.Post("/procedures/:id/survey/codes", h.GenerateCodes)
	api.Get("/procedures/:id/survey/results", h.Results)
	api.Put("/procedures/:id/survey/results/publication", h.PublishResults)
	api.Get("/procedures/:id/survey/responses.csv", h.ExportResponses)
	api.Get("/procedures/:id/survey/results.csv", h.ExportResults)
}
