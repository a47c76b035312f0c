package main

import (
	"strings"
	"testing"
)

// Malformed input to any route gets problem+json with a stable type, never a 500.
func TestErrorShapes(t *testing.T) {
	env := newEnv(t)
	srv := env.start(func(c *config) { c.BodyLimit = 4096 })
	c := srv.client(t)
	c.login("admin@demo.example")
	org := c.orgID("Freiberg")
	tests := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		slug               string
	}{
		{"unknown route", "GET", "/api/v1/nothing-here", nil, nil, 404, "not_found"},
		{"unknown top-level path", "GET", "/wp-login.php", nil, nil, 404, "not_found"},
		// One spelling per route, so path-based exemptions (CSRF) cannot be dodged.
		{"trailing slash is another path", "GET", "/api/v1/me/", nil, nil, 404, "not_found"},
		{"upper case is another path", "GET", "/API/V1/ME", nil, nil, 404, "not_found"},
		{"wrong method", "PATCH", "/api/v1/organisations", map[string]string{}, nil, 405, "method_not_allowed"},
		{"malformed JSON", "POST", "/api/v1/organisations", `{"name": "x",`, nil, 400, "malformed_json"},
		{"unknown field", "POST", "/api/v1/organisations", `{"name":"x","kind":"authority","is_admin":true}`, nil, 400, "unknown_field"},
		{"wrong JSON type", "POST", "/api/v1/organisations", `{"name":42,"kind":"authority"}`, nil, 400, "malformed_json"},
		{"not JSON", "POST", "/api/v1/organisations", "name=x", []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"too large", "POST", "/api/v1/organisations", `{"name":"` + strings.Repeat("x", 8000) + `"}`, nil, 413, "payload_too_large"},
		{"validation", "POST", "/api/v1/organisations", map[string]string{"name": "", "kind": "castle"}, nil, 422, "validation"},
		{"bad id", "GET", "/api/v1/organisations/not-a-uuid", nil, nil, 404, "not_found"},
		{"unknown id", "GET", "/api/v1/organisations/00000000-0000-0000-0000-000000000000", nil, nil, 404, "not_found"},
		{"bad member id", "DELETE", "/api/v1/organisations/" + org + "/members/xyz", nil, nil, 404, "not_found"},
		{"null body", "POST", "/api/v1/organisations", "null", nil, 422, "validation"},
		{"empty body", "POST", "/api/v1/organisations", "", []string{"Content-Type", "application/json"}, 400, "malformed_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wantProblem(t, c.do(tt.method, tt.path, tt.body, tt.headers...), tt.status, tt.slug)
			if tt.slug == "validation" && tt.name == "validation" {
				errs, _ := p["errors"].([]any)
				if len(errs) != 2 {
					t.Fatalf("want both fields reported, got %v", p["errors"])
				}
				for _, e := range errs {
					if e.(map[string]any)["message"] == "" {
						t.Fatalf("field without message: %v", e)
					}
				}
			}
		})
	}
}
