package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// A panicking handler becomes a 500 problem with the request ID, and the server
// goes on serving.
func TestPanicBecomesProblem(t *testing.T) {
	base, _ := url.Parse("http://localhost:8080")
	app, err := New(Config{BaseURL: base, BodyLimit: 1 << 20, RequestTimeout: time.Second, SessionTTL: time.Hour,
		RateLimitAPI: 10, RateLimitLogin: 1},
		Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	app.Get("/boom", func(*fiber.Ctx) error { panic("handler bug") })
	for range 2 {
		res, err := app.Test(httptest.NewRequest("GET", "/boom", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		_ = json.NewDecoder(res.Body).Decode(&p)
		if res.StatusCode != 500 || p["type"] != "urn:beteiligungsportal:problem:internal" || p["request_id"] != res.Header.Get("X-Request-ID") {
			t.Fatalf("got %d %v", res.StatusCode, p)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("security headers missing on errors: %v", res.Header)
		}
	}
	res, err := app.Test(httptest.NewRequest("GET", "/healthz", nil), -1)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after panics: %v %v", res, err)
	}
}

// TestProcedureKey: every spelling of one procedure ID shares one rate-limit
// allowance, for statements and surveys alike.
func TestProcedureKey(t *testing.T) {
	t.Parallel()
	app := fiber.New()
	app.Get("/p/:id", func(c *fiber.Ctx) error { return c.SendString(procedureKey(c)) })
	for _, tc := range []struct{ path, want string }{
		{"/p/01a20919-320e-7389-b403-0baf3f549909", "01a20919-320e-7389-b403-0baf3f549909"},
		{"/p/01A20919-320E-7389-B403-0BAF3F549909", "01a20919-320e-7389-b403-0baf3f549909"},
		{"/p/urn:uuid:01a20919-320e-7389-b403-0baf3f549909", "01a20919-320e-7389-b403-0baf3f549909"},
		{"/p/Umfrage-Radverkehr", "umfrage-radverkehr"},
	} {
		res, err := app.Test(httptest.NewRequest("GET", tc.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if string(body) != tc.want {
			t.Errorf("%s: key %q, want %q", tc.path, body, tc.want)
		}
	}
}

// Only the submission route skips the API group's Redis limit (it counts the
// API limit itself): other methods, spellings and deeper paths do not.
func TestIsStatementSubmission(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"POST", "/api/v1/procedures/bplan-12/statements", true},
		{"POST", "/api/v1/procedures/01a24f28-8e5a-7373-bb00-d0e3139e469f/statements", true},
		{"GET", "/api/v1/procedures/bplan-12/statements", false},
		{"POST", "/api/v1/procedures/bplan-12/statements/manual", false},
		{"POST", "/api/v1/procedures/bplan-12/statements/", false},
		{"POST", "/api/v1/procedures//statements", false},
		{"POST", "/api/v1/procedures/a/b/statements", false},
		{"POST", "/api/v1/Procedures/bplan-12/statements", false},
		{"POST", "/api/v1/procedures/bplan-12/survey/responses", false},
	} {
		app := fiber.New()
		var got bool
		app.Use(func(c *fiber.Ctx) error { got = isStatementSubmission(c); return nil })
		if _, err := app.Test(httptest.NewRequest(tc.method, tc.path, nil)); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}
}
