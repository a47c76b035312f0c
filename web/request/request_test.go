package request

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/web/problem"
)

type payload struct {
	Name  string `json:"name" validate:"required,max=5"`
	Count int    `json:"count" validate:"gte=0"`
}

func decode(t testing.TB, contentType, body string) error {
	t.Helper()
	val, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	var got error
	app.Post("/", func(c *fiber.Ctx) error {
		var p payload
		got = val.JSON(c, &p)
		return nil
	})
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if _, err := app.Test(req, -1); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ct, body string
		status         int
		slug           string
	}{
		{"valid", "application/json", `{"name":"abc","count":1}`, 0, ""},
		{"charset parameter", "application/json; charset=utf-8", `{"name":"abc"}`, 0, ""},
		{"form data", "application/x-www-form-urlencoded", `name=abc`, 415, "unsupported_media_type"},
		{"no content type", "", `{"name":"abc"}`, 415, "unsupported_media_type"},
		{"syntax error", "application/json", `{"name":`, 400, "malformed_json"},
		{"broken token", "application/json", `{"name": abc}`, 400, "malformed_json"},
		{"empty body", "application/json", ``, 400, "malformed_json"},
		{"wrong type", "application/json", `{"name":1}`, 400, "malformed_json"},
		{"array instead of object", "application/json", `[1]`, 400, "malformed_json"},
		{"unknown field", "application/json", `{"name":"a","admin":true}`, 400, "unknown_field"},
		{"trailing data", "application/json", `{"name":"a"} {"name":"b"}`, 400, "malformed_json"},
		{"validation", "application/json", `{"name":"toolong","count":-1}`, 422, "validation"},
		{"missing required", "application/json", `{}`, 422, "validation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := decode(t, tt.ct, tt.body)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Status != tt.status || pe.Slug != tt.slug {
				t.Fatalf("got %v, want %d %s", err, tt.status, tt.slug)
			}
			if pe.Detail == "" {
				t.Fatal("problem without detail")
			}
		})
	}
}

func TestValidationMessagesAreGermanAndNameJSONFields(t *testing.T) {
	t.Parallel()
	err := decode(t, "application/json", `{"name":"","count":-1}`)
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) != 2 {
		t.Fatalf("got %v, want two field problems", err)
	}
	if pe.Fields[0].Field != "name" || pe.Fields[1].Field != "count" {
		t.Fatalf("fields: got %+v", pe.Fields)
	}
	if !strings.Contains(pe.Fields[0].Message, "Pflichtfeld") {
		t.Fatalf("message not German: %q", pe.Fields[0].Message)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a"}`, `{`, `[]`, `{"name":"a","x":1}`, `null`, `{"count":1e999}`} {
		f.Add(s)
	}
	val, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	app := fiber.New()
	app.Post("/", func(c *fiber.Ctx) error {
		var p payload
		err := val.JSON(c, &p)
		var pe *problem.Error
		if err != nil && !errors.As(err, &pe) {
			return fiber.NewError(599, "unexpected error type: "+err.Error())
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode == 599 {
			t.Fatalf("body %q gave an error that is not a problem", body)
		}
	})
}
