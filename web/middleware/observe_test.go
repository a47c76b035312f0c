package middleware

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Labels must survive Fiber's buffer reuse: a PATCH followed by GETs used to turn
// the stored "PATCH" label into "GETCH".
func TestMetricLabelsAreCopies(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	app := fiber.New()
	app.Use(Observe(slog.New(slog.NewTextHandler(io.Discard, nil)), m))
	app.Get("/things/:id", func(c *fiber.Ctx) error { return c.SendString("ok") })
	for _, method := range []string{"PATCH", "GET", "GET", "DELETE", "GET"} {
		if _, err := app.Test(httptest.NewRequest(method, "/things/1", nil), -1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := app.Test(httptest.NewRequest("GET", "/nowhere/x", nil), -1); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP portal_http_requests_total HTTP requests by method, route pattern and status.
# TYPE portal_http_requests_total counter
portal_http_requests_total{method="DELETE",route="unmatched",status="405"} 1
portal_http_requests_total{method="GET",route="/things/:id",status="200"} 3
portal_http_requests_total{method="GET",route="unmatched",status="404"} 1
portal_http_requests_total{method="PATCH",route="unmatched",status="405"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "portal_http_requests_total"); err != nil {
		t.Fatal(err)
	}
}
