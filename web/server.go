// Package web delivers the portal over HTTP with Fiber: middleware order, routes,
// sessions and CSRF protection. Handlers live in web/handler.
package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	appaccount "beteiligungsportal/app/account"
	appaudit "beteiligungsportal/app/audit"
	apporg "beteiligungsportal/app/organisation"
	appproc "beteiligungsportal/app/procedure"
	appstmt "beteiligungsportal/app/statement"
	appsurvey "beteiligungsportal/app/survey"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/web/handler"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/openapi"
	"beteiligungsportal/web/problem"
	"beteiligungsportal/web/request"
)

// Config holds the HTTP settings.
type Config struct {
	BaseURL        *url.URL
	TrustedProxies []string
	BodyLimit      int // bytes of any request but uploads
	UploadLimit    int // bytes of an upload request (a file and its form fields)
	RequestTimeout time.Duration
	// WriteTimeout bounds writing a response (60s when zero); downloads and
	// exports extend it while they make progress.
	WriteTimeout   time.Duration
	SessionTTL     time.Duration
	RateLimitAPI   int // per minute and client IP
	RateLimitLogin int // per minute and account+IP
	// Statements: per hour and client IP, per minute and procedure.
	RateLimitStatements     int
	RateLimitStatementsProc int
	PrivacyURL              string
	// PublicCache: the shared cache of anonymous public reads (defaults
	// apply to zero fields).
	PublicCache middleware.SharedCacheConfig
}

// Deps are the use cases and adapters the HTTP layer calls.
type Deps struct {
	Log            *slog.Logger
	Accounts       *appaccount.Service
	Organisations  *apporg.Service
	Audit          *appaudit.Service
	Procedures     *appproc.Service
	Statements     *appstmt.Service
	Surveys        *appsurvey.Service
	Defects        DefectDeps
	Dialogs        DialogDeps
	Limiter        middleware.Limiter
	SessionStorage fiber.Storage
	Checks         []handler.Check
	Registry       *prometheus.Registry
	// CatalogueChanges carries catalogue changes between instances (nil: one instance).
	CatalogueChanges middleware.Notifier
	// Draining reports that the instance is about to stop (nil: never): /readyz
	// turns 503 and responses close their connection, so a balancer sends new
	// requests elsewhere while the ones in flight finish.
	Draining func() bool
	// Unavailable tells errors of an unreachable database (nil: none), which
	// become 503 instead of 500.
	Unavailable func(error) bool
}

// New builds the Fiber app with every route.
func New(cfg Config, d Deps) (*fiber.App, error) {
	val, err := request.NewValidator()
	if err != nil {
		return nil, err
	}
	secure := cfg.BaseURL.Scheme == "https"
	app := fiber.New(fiber.Config{
		AppName:      "beteiligungsportal",
		ErrorHandler: problem.Handler(d.Log, middleware.RequestID, d.Unavailable),
		BodyLimit:    max(cfg.BodyLimit, cfg.UploadLimit),
		// Long enough to receive a large plan over a slow line; slow clients
		// hold a connection, not a worker.
		ReadTimeout:           5 * time.Minute,
		WriteTimeout:          cmp.Or(cfg.WriteTimeout, 60*time.Second),
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		// One spelling per route: security decisions that look at the path (CSRF
		// exemptions) cannot be dodged with "/ME" or a trailing slash.
		StrictRouting:           true,
		CaseSensitive:           true,
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
		EnableIPValidation:      true,
	})

	metrics := middleware.NewMetrics(d.Registry)
	app.Use(middleware.RequestContext(cfg.RequestTimeout))
	app.Use(middleware.Observe(d.Log, metrics))
	app.Use(middleware.BodyLimit(cfg.BodyLimit, isUpload))
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		d.Log.Error("panic", slog.String("request_id", middleware.RequestID(c)), slog.Any("panic", e))
	}}))
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy:     "default-src 'none'; frame-ancestors 'none'",
		ReferrerPolicy:            "no-referrer",
		CrossOriginResourcePolicy: "same-origin",
		HSTSMaxAge:                31536000,
	}))

	if d.Draining != nil {
		app.Use(func(c *fiber.Ctx) error {
			if d.Draining() {
				c.Context().SetConnectionClose()
			}
			return c.Next()
		})
	}
	app.Get("/healthz", handler.Healthz)
	app.Get("/readyz", handler.Readyz(d.Checks, d.Draining))
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})))
	app.Get("/api/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(openapi.Document)
	})

	cookie := "portal_session"
	csrfCookie := "portal_csrf"
	if secure {
		// __Host- cookies are only accepted over HTTPS, for this host, on path /.
		cookie, csrfCookie = "__Host-"+cookie, "__Host-"+csrfCookie
	}
	sessions := session.New(session.Config{
		Storage:        d.SessionStorage,
		Expiration:     cfg.SessionTTL,
		KeyLookup:      "cookie:" + cookie,
		CookiePath:     "/",
		CookieSecure:   secure,
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		KeyGenerator:   randomToken,
	})
	const csrfKey = "csrf_token"
	csrfProtect := csrf.New(csrf.Config{
		Session:        sessions,
		KeyLookup:      "header:" + csrf.HeaderName,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieSecure:   secure,
		CookieHTTPOnly: true, // clients read the token from GET /api/v1/me
		CookieSameSite: "Lax",
		Expiration:     cfg.SessionTTL,
		KeyGenerator:   randomToken,
		ContextKey:     csrfKey,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			p := problem.New(fiber.StatusForbidden, "csrf", "detail.csrf")
			p.Cause = err
			return p
		},
		// Only cookie-authenticated unsafe requests can be forged; login has no
		// session yet and rotates the one it finds. Safe requests need no check and
		// only GET /me hands out the token, so other reads skip the session work.
		Next: func(c *fiber.Ctx) bool {
			if c.Cookies(cookie) == "" {
				return true
			}
			switch c.Method() {
			case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
				return c.Path() != "/api/v1/me"
			case fiber.MethodPost:
				if c.Path() == "/api/v1/auth/login" {
					return true
				}
			}
			// Without a valid session the request is anonymous and the handler
			// answers 401 (or 503 while sessions cannot be read), not 403.
			_, err := middleware.Principal(c)
			return err != nil
		},
	})

	cache := publicCache(cfg.PublicCache, d)
	listening, stopListening := context.WithCancel(context.Background())
	go cache.Listen(listening)
	select {
	case <-cache.Settled():
	case <-time.After(2 * time.Second):
		d.Log.Warn("catalogue change notifications not yet subscribed; serving with the cache TTL as bound")
	}
	app.Hooks().OnShutdown(func() error { stopListening(); return nil })
	changes := cache.Invalidates()

	byIP := func(c *fiber.Ctx) string { return c.IP() }
	apiLimit := middleware.Rule{Limiter: d.Limiter, Name: "api", Rate: cfg.RateLimitAPI, Burst: cfg.RateLimitAPI,
		Period: time.Minute, Policy: middleware.FailOpen, Key: byIP}
	auth := &handler.Auth{
		Accounts: d.Accounts, Sessions: sessions, Validator: val, Log: d.Log,
		LoginByIP: middleware.Rule{Limiter: d.Limiter, Name: "login-ip", Rate: cfg.RateLimitLogin * 6,
			Burst: cfg.RateLimitLogin * 6, Period: time.Minute, Policy: middleware.FailClosed, Key: byIP},
		LoginByAccount: middleware.Rule{Limiter: d.Limiter, Name: "login", Rate: cfg.RateLimitLogin,
			Burst: cfg.RateLimitLogin, Period: time.Minute, Policy: middleware.FailClosed},
		CSRFToken: func(c *fiber.Ctx) string { s, _ := c.Locals(csrfKey).(string); return s },
	}
	orgs := &handler.Organisations{Service: d.Organisations, Validator: val}
	members := &handler.Members{Accounts: d.Accounts, Validator: val}
	audit := &handler.Audit{Service: d.Audit}
	procs := &handler.Procedures{Service: d.Procedures, Statements: d.Statements, Validator: val}
	stmts := &handler.Statements{Service: d.Statements, Validator: val, PrivacyURL: cfg.PrivacyURL}
	// Statements fail open: losing a citizen's statement is worse than a
	// missed limit. The client always gets an answer (429 with Retry-After).
	stmtByIP := middleware.Rule{Limiter: d.Limiter, Name: "stmt-ip", Rate: cfg.RateLimitStatements, Burst: cfg.RateLimitStatements,
		Period: time.Hour, Policy: middleware.FailOpen, Key: byIP}
	stmtByProc := middleware.Rule{Limiter: d.Limiter, Name: "stmt-proc", Rate: cfg.RateLimitStatementsProc,
		Burst: cfg.RateLimitStatementsProc, Period: time.Minute, Policy: middleware.FailOpen,
		Key: procedureKey}
	feeds := &handler.Feeds{Procedures: procs, BaseURL: cfg.BaseURL, Title: "Beteiligungsportal"}

	// An answer from the shared cache costs less than asking Redis for the
	// limit (two thirds of the time of a cached answer went to that): every
	// request counts against the API limit in this instance's memory first,
	// and what gets past the cache counts in Redis too, exactly across
	// instances.
	apiHere := apiLimit
	apiHere.Limiter = middleware.NewMemoryLimiter()
	// A statement submission counts against the API limit in Redis together
	// with its own two limits, in one round trip (its route below).
	apiElsewhere := apiLimit
	apiElsewhere.Key = func(c *fiber.Ctx) string {
		if isStatementSubmission(c) {
			return ""
		}
		return apiLimit.Key(c)
	}
	api := app.Group("/api/v1",
		middleware.RateLimit(apiHere, d.Log),
		middleware.Authenticate(sessions, cookie, d.Accounts),
		csrfProtect,
		noStore,
		cache.Handler(),
		middleware.RateLimit(apiElsewhere, d.Log))
	api.Post("/auth/login", auth.Login)
	api.Post("/auth/logout", auth.Logout)
	api.Post("/auth/logout-all", auth.LogoutAll)
	api.Get("/me", auth.Me)
	api.Post("/me/password", auth.ChangePassword)

	api.Get("/organisations", orgs.List)
	api.Post("/organisations", changes, orgs.Create)
	api.Get("/organisations/:id", orgs.Get)
	api.Put("/organisations/:id", changes, orgs.Update)
	api.Delete("/organisations/:id", changes, orgs.Delete)
	api.Get("/organisations/:id/members", members.List)
	api.Post("/organisations/:id/members", members.Add)
	api.Patch("/organisations/:id/members/:account", members.ChangeRole)
	api.Delete("/organisations/:id/members/:account", members.Remove)
	api.Get("/organisations/:id/audit", audit.Organisation)
	api.Get("/audit", audit.Instance)

	api.Get("/organisations/:id/procedures", procs.ListOwn)
	api.Post("/organisations/:id/procedures", procs.Create)
	api.Get("/procedures", procs.Search)
	api.Get("/procedures.geojson", feeds.GeoJSON)
	api.Get("/procedures.atom", feeds.InstanceAtom)
	api.Get("/organisations/:id/procedures.atom", feeds.OrganisationAtom)
	api.Get("/procedures/:id", procs.Get)
	api.Put("/procedures/:id", changes, procs.Update)
	api.Delete("/procedures/:id", changes, procs.Delete)
	api.Post("/procedures/:id/phases", changes, procs.AddPhase)
	api.Put("/procedures/:id/phases/:phase", changes, procs.UpdatePhase)
	api.Delete("/procedures/:id/phases/:phase", changes, procs.RemovePhase)
	api.Post("/procedures/:id/publish", changes, procs.Publish)
	api.Post("/procedures/:id/close", changes, procs.Close)
	api.Post("/procedures/:id/conclude", changes, procs.Conclude)
	api.Post("/procedures/:id/archive", changes, procs.Archive)
	api.Get("/procedures/:id/documents", procs.ListDocuments)
	api.Post("/procedures/:id/documents", changes, procs.AddDocument)
	api.Put("/procedures/:id/documents/order", changes, procs.ReorderDocuments)
	api.Delete("/procedures/:id/documents/:doc", changes, procs.DeleteDocument)
	api.Post("/procedures/:id/documents/:doc/versions", changes, procs.ReplaceDocument)
	api.Get("/procedures/:id/documents/:doc/file", procs.DownloadDocument)

	api.Get("/privacy-notice", stmts.PrivacyNotice)
	api.Post("/procedures/:id/statements", middleware.RateLimits(d.Log, apiLimit, stmtByIP, stmtByProc), stmts.Submit)
	api.Post("/receipts/check", stmts.CheckReceipt)
	api.Post("/receipts/withdraw", stmts.Withdraw)
	api.Get("/procedures/:id/statements", stmts.List)
	api.Post("/procedures/:id/statements/manual", stmts.Record)
	api.Post("/procedures/:id/statements/bulk", stmts.WeighMany)
	api.Post("/procedures/:id/statements/groups", stmts.DetectGroups)
	api.Get("/procedures/:id/statements/export.csv", stmts.ExportCSV)
	api.Get("/procedures/:id/statements/export.xlsx", stmts.ExportXLSX)
	api.Get("/procedures/:id/statements/export.pdf", stmts.ExportPDF)
	api.Get("/procedures/:id/statements/:statement", stmts.Get)
	api.Patch("/procedures/:id/statements/:statement", stmts.Weigh)
	api.Get("/procedures/:id/statements/:statement/attachments/:attachment", stmts.DownloadAttachment)
	registerSurveys(api, cfg, d.Surveys, d.Limiter, d.Log, val)
	registerDefects(app, api, cfg, d, val)
	registerDialogs(api, cfg, d, val)
	return app, nil
}

// publicCache builds the shared cache of anonymous public reads. Its horizon
// is the next midnight in Berlin: phases open and end only then.
func publicCache(cfg middleware.SharedCacheConfig, d Deps) *middleware.SharedCache {
	cfg.TTL = cmp.Or(cfg.TTL, 10*time.Second)
	cfg.MaxAge = cmp.Or(cfg.MaxAge, 30*time.Second)
	cfg.StaleWhileRevalidate = cmp.Or(cfg.StaleWhileRevalidate, 30*time.Second)
	cfg.MaxBytes = cmp.Or(cfg.MaxBytes, 64<<20)
	if cfg.Now == nil {
		cfg.Now = d.Procedures.Now
	}
	cfg.Horizon = func(now time.Time) time.Time { return procedure.Today(now).End() }
	cfg.Notifier, cfg.Log = d.CatalogueChanges, d.Log
	if d.Registry != nil {
		cfg.Registry = d.Registry
	}
	return middleware.NewSharedCache(cfg)
}

// procedureKey names the procedure in the path for its rate limit: an ID in
// its canonical form, so other spellings share the allowance. A slug is a
// second name, so a procedure has at most two allowances.
func procedureKey(c *fiber.Ctx) string {
	p := c.Params("id")
	if id, err := uuid.Parse(p); err == nil {
		return id.String()
	}
	return strings.ToLower(p)
}

// isStatementSubmission tells the route POST /api/v1/procedures/:id/statements
// (routing is strict and case-sensitive: no other spelling reaches it).
func isStatementSubmission(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost {
		return false
	}
	id, ok := strings.CutPrefix(c.Path(), "/api/v1/procedures/")
	id, ok2 := strings.CutSuffix(id, "/statements")
	return ok && ok2 && id != "" && !strings.Contains(id, "/")
}

// isUpload tells the routes that take files, which may be larger than other
// requests: documents, their new versions, and statements with attachments.
func isUpload(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost {
		return false
	}
	p := c.Path()
	return strings.HasPrefix(p, "/api/v1/procedures/") &&
		(strings.HasSuffix(p, "/documents") || strings.HasSuffix(p, "/versions") ||
			strings.HasSuffix(p, "/statements") || strings.HasSuffix(p, "/statements/manual")) || isDefectUpload(c) || isDialogUpload(c)
}

// noStore keeps API answers out of shared caches unless a handler says otherwise;
// public, cacheable resources set their own header.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

// randomToken returns 256 random bits, URL-safe: session IDs and CSRF tokens.
// Fiber's default UUIDv4 has only 122.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
