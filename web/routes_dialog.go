package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	appdialog "beteiligungsportal/app/dialog"
	"beteiligungsportal/web/handler"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// DialogDeps are what dialog procedures need.
type DialogDeps struct {
	Service *appdialog.Service
	// Per client IP: contributions per hour, supports per hour, reports and
	// confirmation requests per hour; per dialog: contributions per minute.
	RateContributions     int
	RateContributionsProc int
	RateSupports          int
	RateReports           int
}

// registerDialogs adds the dialog routes to the API group.
func registerDialogs(api fiber.Router, cfg Config, d Deps, val *request.Validator) {
	dd := d.Dialogs
	if dd.Service == nil {
		return
	}
	byIP := func(c *fiber.Ctx) string { return c.IP() }
	rule := func(name string, rate int, per time.Duration, key func(*fiber.Ctx) string) fiber.Handler {
		// Fail open, as for statements: a lost contribution is worse than a missed limit.
		return middleware.RateLimit(middleware.Rule{Limiter: d.Limiter, Name: name, Rate: rate, Burst: rate,
			Period: per, Policy: middleware.FailOpen, Key: key}, d.Log)
	}
	h := &handler.Dialogs{Service: dd.Service, Validator: val, BaseURL: cfg.BaseURL}
	contribIP := rule("dialog-ip", orDefault(dd.RateContributions, 30), time.Hour, byIP)
	contribProc := rule("dialog-proc", orDefault(dd.RateContributionsProc, 300), time.Minute, procedureKey)
	supports := rule("dialog-support-ip", orDefault(dd.RateSupports, 300), time.Hour, byIP)
	reports := rule("dialog-report-ip", orDefault(dd.RateReports, 30), time.Hour, byIP)

	api.Get("/procedures/:id/dialog", h.Get)
	api.Put("/procedures/:id/dialog", h.Configure)
	api.Put("/procedures/:id/dialog/summary", h.Summary)
	api.Post("/procedures/:id/dialog/participants", reports, h.RequestConfirmation)
	api.Post("/dialog/confirm", reports, h.Confirm)
	api.Get("/procedures/:id/dialog/contributions", h.Threads)
	api.Post("/procedures/:id/dialog/contributions", contribIP, contribProc, h.Contribute)
	api.Get("/procedures/:id/dialog/moderation", h.Queue)
	api.Get("/procedures/:id/dialog/export.csv", h.ExportCSV)
	api.Get("/procedures/:id/dialog/export.xlsx", h.ExportXLSX)
	api.Get("/dialog/contributions/:contribution", h.Thread)
	api.Delete("/dialog/contributions/:contribution", h.Delete)
	api.Put("/dialog/contributions/:contribution/support", supports, h.Support)
	api.Delete("/dialog/contributions/:contribution/support", supports, h.Support)
	api.Post("/dialog/contributions/:contribution/reports", reports, h.Report)
	api.Post("/dialog/contributions/:contribution/moderation", h.Moderate)
	api.Post("/dialog/contributions/:contribution/answers", h.Answer)
	api.Get("/dialog/contributions/:contribution/file", h.File)
	api.Post("/dialog/reports/:report/resolve", h.ResolveReport)
}

// isDialogUpload tells the contribution route, which takes a file.
func isDialogUpload(c *fiber.Ctx) bool {
	p := c.Path()
	return c.Method() == fiber.MethodPost && strings.HasPrefix(p, "/api/v1/procedures/") && strings.HasSuffix(p, "/dialog/contributions")
}
