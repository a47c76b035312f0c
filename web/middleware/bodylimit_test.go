package middleware_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
)

func TestBodyLimitMeasuresEveryKindOfBody(t *testing.T) {
	app := fiber.New(fiber.Config{BodyLimit: 1 << 20, ErrorHandler: func(c *fiber.Ctx, err error) error {
		if p, ok := problem.From(err); ok {
			return c.SendStatus(p.Status)
		}
		return c.Status(500).SendString(err.Error())
	}})
	app.Use(middleware.BodyLimit(300, func(c *fiber.Ctx) bool { return c.Path() == "/upload" }))
	echo := func(c *fiber.Ctx) error {
		if form, err := c.MultipartForm(); err == nil {
			return c.SendString(form.Value["text"][0])
		}
		return c.Send(c.Body())
	}
	app.Post("/form", echo)
	app.Post("/upload", echo)

	form := func(text string) (io.Reader, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("text", text)
		_ = w.Close()
		return &b, w.FormDataContentType()
	}
	big := strings.Repeat("x", 400)
	for _, tc := range []struct {
		name, path, body string
		multipart, chunk bool
		want             int
	}{
		{"small JSON", "/form", `{"a":1}`, false, false, 200},
		{"large JSON", "/form", big, false, false, 413},
		{"large JSON, chunked", "/form", big, false, true, 413},
		{"small multipart", "/form", "kurz", true, false, 200},
		{"large multipart", "/form", big, true, false, 413},
		{"large multipart, chunked", "/form", big, true, true, 413},
		{"large multipart on an exempt route", "/upload", big, true, false, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			ct := "application/json"
			if tc.multipart {
				body, ct = form(tc.body)
			}
			if tc.chunk {
				body = io.MultiReader(body) // no length known: sent chunked
			}
			req := httptest.NewRequest("POST", tc.path, body)
			req.Header.Set("Content-Type", ct)
			if tc.chunk {
				req.ContentLength = -1
				req.TransferEncoding = []string{"chunked"}
			}
			res, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.want)
			}
			if tc.want == 200 {
				got, _ := io.ReadAll(res.Body)
				if string(got) != tc.body {
					t.Fatalf("body %q, want %q", got, tc.body)
				}
			}
		})
	}
}
