package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	appdefect "beteiligungsportal/app/defect"
	"beteiligungsportal/web/handler"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// DefectDeps are what defect reporting and its Open311 interface need.
type DefectDeps struct {
	Service *appdefect.Service
	// Per client IP: reports per hour, "me too" per hour; Open311 requests
	// per minute and IP, Open311 posts per minute and API key.
	RateReports      int
	RateSupports     int
	RateOpen311      int
	RateOpen311Key   int
	Open311Contact   string
	Open311Changeset string
}

// registerDefects adds the defect routes to the API group and the Open311
// GeoReport v2 interface under /open311/v2, which has its own group: no
// session, no cookies, no CSRF (clients authenticate with api_key), its own
// rate limits and the specification's error format.
func registerDefects(app *fiber.App, api fiber.Router, cfg Config, d Deps, val *request.Validator) {
	dd := d.Defects
	if dd.Service == nil {
		return
	}
	log := d.Log
	byIP := func(c *fiber.Ctx) string { return c.IP() }
	rule := func(name string, rate int, per time.Duration, key func(*fiber.Ctx) string) fiber.Handler {
		// Fail open, as for statements: a lost report is worse than a missed limit.
		return middleware.RateLimit(middleware.Rule{Limiter: d.Limiter, Name: name, Rate: rate, Burst: rate,
			Period: per, Policy: middleware.FailOpen, Key: key}, log)
	}
	h := &handler.Defects{Service: dd.Service, Validator: val, BaseURL: cfg.BaseURL}
	reports := rule("defect-ip", orDefault(dd.RateReports, 20), time.Hour, byIP)
	supports := rule("defect-support-ip", orDefault(dd.RateSupports, 60), time.Hour, byIP)

	api.Get("/procedures/:id/defect-categories", h.Categories)
	api.Post("/procedures/:id/defect-categories", h.SaveCategory)
	api.Put("/procedures/:id/defect-categories/:category", h.SaveCategory)
	api.Get("/procedures/:id/defects", h.List)
	api.Get("/procedures/:id/defects.geojson", h.GeoJSON)
	api.Post("/procedures/:id/defects", reports, h.Submit)
	api.Get("/organisations/:id/defects", h.ListForOrganisation)
	api.Get("/defects/:ref", h.Get)
	api.Post("/defects/:ref/status", h.ChangeStatus)
	api.Post("/defects/:ref/moderation", h.Moderate)
	api.Post("/defects/:ref/support", supports, h.Support)
	api.Post("/defects/:ref/unsubscribe", h.Unsubscribe)
	api.Get("/defects/:ref/photos/:photo", h.Photo)
	api.Get("/defects/:ref/photos/:photo/preview", h.Photo)
	api.Get("/open311-clients", h.Keys)
	api.Post("/open311-clients", h.IssueKey)
	api.Delete("/open311-clients/:client", h.RevokeKey)

	o := &handler.Open311{Defects: h, BaseURL: cfg.BaseURL, Contact: dd.Open311Contact, Log: log,
		Changeset: orDefaultString(dd.Open311Changeset, "2026-11-23T00:00:00Z")}
	byKey := func(c *fiber.Ctx) string {
		if k := handler.APIKey(c); k != "" {
			return appdefect.KeyFingerprint(k)
		}
		return ""
	}
	g := app.Group("/open311/v2", o.Errors, handler.CORS, noStore,
		rule("open311-ip", orDefault(dd.RateOpen311, 120), time.Minute, byIP))
	for _, f := range []string{"json", "xml"} {
		g.Get("/discovery."+f, o.Discovery)
		g.Get("/services."+f, o.Services)
		g.Get("/requests."+f, o.Requests)
		g.Post("/requests."+f, rule("open311-key", orDefault(dd.RateOpen311Key, 30), time.Minute, byKey), o.Create)
	}
	g.Get("/services/:file", o.ServiceDefinition)
	g.Get("/requests/:file", o.Request)
	g.Get("/tokens/:file", o.Token)
	g.Use(o.NotFound)
}

// isDefectUpload tells the defect report route, which takes photos.
func isDefectUpload(c *fiber.Ctx) bool {
	p := c.Path()
	return c.Method() == fiber.MethodPost && strings.HasPrefix(p, "/api/v1/procedures/") && strings.HasSuffix(p, "/defects")
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDefaultString(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
