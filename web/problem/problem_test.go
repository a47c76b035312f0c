package problem_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/organisation"
	"beteiligungsportal/web/problem"
)

// errDatabaseDown stands for what the driver returns while PostgreSQL restarts.
var errDatabaseDown = errors.New("connection refused")

func TestErrorsBecomeProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
		slug   string
		detail string // part of the German detail
	}{
		{"unexpected error hides its text", errors.New("pq: password leaked in error"), 500, "internal", "Anfrage-ID"},
		{"panic-like error", fmt.Errorf("boom"), 500, "internal", "unerwarteter Fehler"},
		{"not found category", fmt.Errorf("load: %w", domain.ErrNotFound), 404, "not_found", "gibt es nicht"},
		{"rule with its own text", fmt.Errorf("create: %w", organisation.ErrAGSTaken), 409, "conflict", "Gemeindeschlüssel"},
		{"forbidden", domain.ErrForbidden, 403, "forbidden", "Berechtigung"},
		{"unauthenticated", domain.ErrUnauthenticated, 401, "unauthenticated", "melden Sie sich an"},
		{"bad credentials", account.ErrInvalidCredentials, 401, "invalid_credentials", "Passwort"},
		{"closed", domain.ErrClosed, 409, "closed", "nicht mehr möglich"},
		{"validation", &domain.ValidationError{Fields: []domain.FieldError{{Field: "name", Code: "required"}}}, 422, "validation", "Felder"},
		{"fiber 405", fiber.ErrMethodNotAllowed, 405, "method_not_allowed", "Methode"},
		{"fiber 413", fiber.ErrRequestEntityTooLarge, 413, "payload_too_large", "Größe"},
		{"database restarting", fmt.Errorf("insert: %w", errDatabaseDown), 503, "unavailable", "in Kürze"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := fiber.New(fiber.Config{ErrorHandler: problem.Handler(slog.New(slog.NewTextHandler(io.Discard, nil)),
				func(*fiber.Ctx) string { return "req-123" },
				func(err error) bool { return errors.Is(err, errDatabaseDown) })})
			app.Get("/x", func(*fiber.Ctx) error { return tt.err })
			res, err := app.Test(httptest.NewRequest("GET", "/x", nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d", res.StatusCode, tt.status)
			}
			if ct := res.Header.Get("Content-Type"); ct != problem.ContentType {
				t.Fatalf("content type: got %q", ct)
			}
			var p problem.Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Type != problem.TypePrefix+tt.slug || p.Status != tt.status || p.Title == "" || p.RequestID != "req-123" || p.Instance != "/x" {
				t.Fatalf("problem: got %+v", p)
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("detail: got %q, want it to contain %q", p.Detail, tt.detail)
			}
			if strings.Contains(p.Detail, "leaked") {
				t.Fatal("internal error text reached the client")
			}
			if tt.status == 503 && res.Header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			if tt.slug == "validation" && (len(p.Errors) != 1 || p.Errors[0].Message == "") {
				t.Fatalf("field errors: got %+v", p.Errors)
			}
		})
	}
}
