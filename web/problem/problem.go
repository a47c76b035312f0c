// Package problem renders every error as RFC 9457 problem details
// (application/problem+json) with a stable type and German texts, and maps error
// categories of the domain to HTTP statuses in one table.
package problem

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/app/i18n"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
)

// ContentType is the media type of problem details.
const ContentType = "application/problem+json"

// TypePrefix starts every problem type URI; the rest is the problem's slug.
const TypePrefix = "urn:beteiligungsportal:problem:"

// Problem is the RFC 9457 body.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []FieldProblem `json:"errors,omitempty"`
	Checks    map[string]any `json:"checks,omitempty"`
}

// FieldProblem names one offending input field.
type FieldProblem struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is an error that already knows its problem: handlers and middleware return
// it for conditions of the HTTP layer (malformed JSON, rate limits, CSRF).
type Error struct {
	Status int
	Slug   string // type slug and i18n key of the title
	Detail string // already translated
	Fields []FieldProblem
	Checks map[string]any
	Cause  error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Slug + ": " + e.Cause.Error()
	}
	return e.Slug
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an Error whose detail is the text of detailKey with args.
func New(status int, slug, detailKey string, args ...any) *Error {
	return &Error{Status: status, Slug: slug, Detail: i18n.T(i18n.Default, detailKey, args...)}
}

// categories maps domain error categories to status and slug.
var categories = []struct {
	err    error
	status int
	slug   string
}{
	{domain.ErrInvalid, fiber.StatusUnprocessableEntity, "validation"},
	{domain.ErrNotFound, fiber.StatusNotFound, "not_found"},
	{domain.ErrConflict, fiber.StatusConflict, "conflict"},
	{domain.ErrClosed, fiber.StatusConflict, "closed"},
	{domain.ErrForbidden, fiber.StatusForbidden, "forbidden"},
	{domain.ErrUnauthenticated, fiber.StatusUnauthorized, "unauthenticated"},
	{context.DeadlineExceeded, fiber.StatusServiceUnavailable, "timeout"},
}

// fiberStatuses maps Fiber's own errors (routing, body limit) to slugs.
var fiberStatuses = map[int]struct{ slug, detail string }{
	fiber.StatusBadRequest:            {"bad_request", "detail.bad_request"},
	fiber.StatusNotFound:              {"not_found", "detail.route_not_found"},
	fiber.StatusMethodNotAllowed:      {"method_not_allowed", "detail.method_not_allowed"},
	fiber.StatusRequestEntityTooLarge: {"payload_too_large", "detail.payload_too_large"},
	fiber.StatusUnsupportedMediaType:  {"unsupported_media_type", "detail.unsupported_media_type"},
	fiber.StatusRequestTimeout:        {"timeout", "detail.timeout"},
	fiber.StatusServiceUnavailable:    {"unavailable", "detail.unavailable"},
	fiber.StatusUnauthorized:          {"unauthenticated", "detail.unauthenticated"},
	fiber.StatusForbidden:             {"forbidden", "detail.forbidden"},
	fiber.StatusTooManyRequests:       {"rate_limited", "detail.unavailable"},
}

// From turns any error into a problem. The bool is false for unexpected errors,
// which the caller logs.
func From(err error) (Problem, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return Problem{Type: TypePrefix + pe.Slug, Title: title(pe.Slug), Status: pe.Status,
			Detail: pe.Detail, Errors: pe.Fields, Checks: pe.Checks}, true
	}
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		p := Problem{Type: TypePrefix + "validation", Title: title("validation"),
			Status: fiber.StatusUnprocessableEntity, Detail: i18n.T(i18n.Default, "detail.validation")}
		for _, f := range ve.Fields {
			p.Errors = append(p.Errors, FieldProblem{Field: f.Field, Code: f.Code, Message: i18n.T(i18n.Default, f.Code)})
		}
		return p, true
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if m, ok := fiberStatuses[fe.Code]; ok {
			return Problem{Type: TypePrefix + m.slug, Title: title(m.slug), Status: fe.Code,
				Detail: i18n.T(i18n.Default, m.detail)}, true
		}
		if fe.Code < 500 {
			return Problem{Type: TypePrefix + "bad_request", Title: title("bad_request"), Status: fe.Code,
				Detail: i18n.T(i18n.Default, "detail.bad_request")}, true
		}
	}
	for _, c := range categories {
		if errors.Is(err, c.err) {
			detail := i18n.T(i18n.Default, "detail."+c.slug)
			var re *domain.RuleError
			if errors.As(err, &re) && i18n.Has(re.Code) {
				detail = i18n.T(i18n.Default, re.Code)
			}
			slug := c.slug
			if errors.Is(err, account.ErrInvalidCredentials) {
				slug = "invalid_credentials"
			}
			return Problem{Type: TypePrefix + slug, Title: title(slug), Status: c.status, Detail: detail}, true
		}
	}
	return Problem{Type: TypePrefix + "internal", Title: title("internal"), Status: fiber.StatusInternalServerError}, false
}

func title(slug string) string { return i18n.T(i18n.Default, "problem."+slug) }

// Handler is Fiber's error handler: it renders every error as problem details and
// logs unexpected ones once, with the request ID. unavailable (may be nil) tells
// errors of an unreachable dependency, such as a database that restarts: they
// become 503 with Retry-After, logged as warnings, because the request may be
// repeated unchanged in a moment.
func Handler(log *slog.Logger, requestID func(*fiber.Ctx) string, unavailable func(error) bool) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p, known := From(err)
		p.RequestID = requestID(c)
		p.Instance = string(c.Request().URI().Path())
		switch {
		case !known && unavailable != nil && unavailable(err):
			p.Type, p.Title, p.Status = TypePrefix+"unavailable", title("unavailable"), fiber.StatusServiceUnavailable
			p.Detail = i18n.T(i18n.Default, "detail.unavailable")
			c.Set(fiber.HeaderRetryAfter, "5")
			log.WarnContext(c.UserContext(), "request failed: dependency unavailable",
				slog.String("request_id", p.RequestID), slog.String("method", c.Method()),
				slog.String("path", p.Instance), slog.Any("error", err))
		case !known:
			p.Detail = i18n.T(i18n.Default, "detail.internal", p.RequestID)
			log.ErrorContext(c.UserContext(), "request failed",
				slog.String("request_id", p.RequestID), slog.String("method", c.Method()),
				slog.String("path", p.Instance), slog.Any("error", err))
		}
		return Write(c, p)
	}
}

// Write sends p with its status and media type.
func Write(c *fiber.Ctx, p Problem) error {
	return c.Status(p.Status).JSON(p, ContentType)
}
