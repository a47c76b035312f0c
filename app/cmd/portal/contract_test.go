package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"

	"beteiligungsportal/web/openapi"
)

// TestContract checks real answers of a running server against the OpenAPI
// document: every documented operation is called at least once with success and
// with the errors it can reasonably be driven into, and every answer must match
// the documented status, headers, media type and body schema. Requests the server
// accepts must match the documented request schemas, and requests it refuses for
// their shape must be refused by the document as well.
func TestContract(t *testing.T) {
	k := newContract(t)
	env := newEnv(t)
	srv := env.start()

	anon := srv.client(t)
	admin := srv.client(t)
	fa := srv.client(t)
	k.login(admin, "admin@demo.example")
	k.login(fa, "freiberg-admin@demo.example")

	sn := fa.orgID("Freistaat Sachsen")
	msn := fa.orgID("Mittelsachsen")
	freiberg := fa.orgID("Freiberg")
	grimma := fa.orgID("Grimma")
	missing := uuid.NewString()
	login := "/api/v1/auth/login"

	// Body limit.
	small := env.start(func(c *config) { c.BodyLimit = 2048 })
	big := map[string]string{"email": "toeb@demo.example", "password": strings.Repeat("x", 4096)}
	k.check(call{name: "login with a body over the limit", c: small.client(t), method: "POST", path: login, body: big,
		status: 413, slug: "payload_too_large", refused: true})

	// Login rate limit. The limiter's keys are shared by the servers of one
	// environment, so this runs before the other logins use up the IP's budget.
	strict := env.start(func(c *config) { c.RateLimitLogin = 1 })
	sc := strict.client(t)
	wrong := map[string]string{"email": "freiberg-viewer@demo.example", "password": "wrong-password"}
	k.check(call{name: "login attempt within the limit", c: sc, method: "POST", path: login, body: wrong, status: 401, slug: "invalid_credentials"})
	limited := k.check(call{name: "login attempt over the limit", c: sc, method: "POST", path: login, body: wrong, status: 429, slug: "rate_limited"})
	if limited.Header.Get("Retry-After") == "" {
		t.Errorf("rate-limited login: no Retry-After header")
	}

	// System endpoints, unknown routes and methods.
	live := k.check(call{name: "liveness", c: anon, method: "GET", path: "/healthz", status: 200,
		headers: []string{"X-Request-ID", "contract-test:0001"}})
	if got := live.Header.Get("X-Request-ID"); got != "contract-test:0001" {
		t.Errorf("liveness: X-Request-ID %q, want the caller's contract-test:0001", got)
	}
	k.check(call{name: "readiness", c: anon, method: "GET", path: "/readyz", status: 200})
	k.check(call{name: "metrics", c: anon, method: "GET", path: "/metrics", status: 200})
	doc := k.check(call{name: "openapi document", c: anon, method: "GET", path: "/api/openapi.json", status: 200})
	if !bytes.Equal(doc.Body, openapi.Document) {
		t.Errorf("GET /api/openapi.json does not serve the embedded document")
	}
	k.check(call{name: "unknown route", c: anon, method: "GET", path: "/nope", status: 404, slug: "not_found"})
	k.check(call{name: "unknown API route", c: anon, method: "GET", path: "/api/v1/nope", status: 404, slug: "not_found"})
	k.check(call{name: "method not allowed", c: anon, method: "DELETE", path: "/healthz", status: 405, slug: "method_not_allowed"})
	k.check(call{name: "API method not allowed", c: anon, method: "GET", path: "/api/v1/auth/logout", status: 405, slug: "method_not_allowed"})

	// Login.
	k.check(call{name: "login with malformed JSON", c: anon, method: "POST", path: login, body: `{"email":`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "login with a field of the wrong type", c: anon, method: "POST", path: login,
		body: `{"email":5,"password":"x"}`, status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "login with an unknown field", c: anon, method: "POST", path: login,
		body:   map[string]any{"email": "toeb@demo.example", "password": DemoPassword, "remember": true},
		status: 400, slug: "unknown_field", refused: true})
	k.check(call{name: "login as text/plain", c: anon, method: "POST", path: login, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "login without credentials", c: anon, method: "POST", path: login,
		body: map[string]string{"email": "", "password": ""}, status: 422, slug: "validation", refused: true})
	k.check(call{name: "login with a wrong password", c: anon, method: "POST", path: login,
		body: map[string]string{"email": "toeb@demo.example", "password": "wrong-password"}, status: 401, slug: "invalid_credentials"})

	// The signed-in account and sessions.
	k.check(call{name: "me without session", c: anon, method: "GET", path: "/api/v1/me", status: 401, slug: "unauthenticated"})
	k.check(call{name: "me", c: fa, method: "GET", path: "/api/v1/me", status: 200})
	k.check(call{name: "logout without CSRF token", c: contractNoCSRF(fa), method: "POST", path: "/api/v1/auth/logout",
		status: 403, slug: "csrf"})
	k.check(call{name: "logout without session", c: anon, method: "POST", path: "/api/v1/auth/logout", status: 401, slug: "unauthenticated"})
	editor := srv.client(t)
	k.login(editor, "freiberg-editor@demo.example")
	k.check(call{name: "logout", c: editor, method: "POST", path: "/api/v1/auth/logout", status: 204})
	k.check(call{name: "me after logout", c: editor, method: "GET", path: "/api/v1/me", status: 401, slug: "unauthenticated"})
	grimmaAdmin := srv.client(t)
	k.login(grimmaAdmin, "grimma-admin@demo.example")
	grimmaElsewhere := srv.client(t)
	k.login(grimmaElsewhere, "grimma-admin@demo.example")
	k.check(call{name: "logout everywhere without CSRF token", c: contractNoCSRF(grimmaAdmin), method: "POST",
		path: "/api/v1/auth/logout-all", status: 403, slug: "csrf"})
	k.check(call{name: "logout everywhere", c: grimmaAdmin, method: "POST", path: "/api/v1/auth/logout-all", status: 204})
	k.check(call{name: "logout with a revoked session and no CSRF token", c: contractNoCSRF(grimmaElsewhere), method: "POST",
		path: "/api/v1/auth/logout", status: 401, slug: "unauthenticated"})
	k.check(call{name: "logout everywhere without session", c: grimmaAdmin, method: "POST", path: "/api/v1/auth/logout-all",
		status: 401, slug: "unauthenticated"})

	// Password change.
	pw := "/api/v1/me/password"
	de := srv.client(t)
	k.login(de, "doebeln-editor@demo.example")
	k.check(call{name: "password change without session", c: anon, method: "POST", path: pw,
		body: map[string]string{"current_password": DemoPassword, "new_password": "ein-neues-Passwort-2026"}, status: 401, slug: "unauthenticated"})
	k.check(call{name: "password change without CSRF token", c: contractNoCSRF(de), method: "POST", path: pw,
		body: map[string]string{"current_password": DemoPassword, "new_password": "ein-neues-Passwort-2026"}, status: 403, slug: "csrf"})
	k.check(call{name: "password change with a wrong current password", c: de, method: "POST", path: pw,
		body: map[string]string{"current_password": "wrong-password", "new_password": "ein-neues-Passwort-2026"}, status: 422, slug: "validation"})
	k.check(call{name: "password change to a short password", c: de, method: "POST", path: pw,
		body: map[string]string{"current_password": DemoPassword, "new_password": "kurz"}, status: 422, slug: "validation", refused: true})
	k.check(call{name: "password change with an unknown field", c: de, method: "POST", path: pw,
		body:   map[string]string{"current_password": DemoPassword, "new_password": "ein-neues-Passwort-2026", "repeat": "x"},
		status: 400, slug: "unknown_field", refused: true})
	k.check(call{name: "password change as text/plain", c: de, method: "POST", path: pw, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "password change", c: de, method: "POST", path: pw,
		body: map[string]string{"current_password": DemoPassword, "new_password": "ein-neues-Passwort-2026"}, status: 204})
	k.check(call{name: "me after password change", c: de, method: "GET", path: "/api/v1/me", status: 401, slug: "unauthenticated"})

	// Organisations.
	orgs := "/api/v1/organisations"
	k.check(call{name: "organisation list", c: anon, method: "GET", path: orgs, status: 200})
	k.check(call{name: "organisation", c: anon, method: "GET", path: orgs + "/" + freiberg, status: 200})
	k.check(call{name: "unknown organisation", c: anon, method: "GET", path: orgs + "/" + missing, status: 404, slug: "not_found"})
	k.check(call{name: "organisation with a malformed ID", c: anon, method: "GET", path: orgs + "/not-a-uuid",
		status: 404, slug: "not_found", refused: true})
	newOrg := map[string]any{"parent_id": sn, "name": "Landesamt für Vertragstests", "kind": "authority",
		"contact": map[string]string{"email": "post@vertragstest.example", "phone": "0351 0000", "address": "Teststraße 1, 01067 Dresden",
			"website": "https://vertragstest.example"}}
	k.check(call{name: "organisation create without session", c: anon, method: "POST", path: orgs, body: newOrg, status: 401, slug: "unauthenticated"})
	k.check(call{name: "organisation create by an org admin", c: fa, method: "POST", path: orgs, body: newOrg, status: 403, slug: "forbidden"})
	k.check(call{name: "organisation create without CSRF token", c: contractNoCSRF(admin), method: "POST", path: orgs, body: newOrg,
		status: 403, slug: "csrf"})
	k.check(call{name: "organisation create breaking the hierarchy", c: admin, method: "POST", path: orgs,
		body: map[string]any{"name": "Gemeinde ohne Kreis", "kind": "municipality"}, status: 422, slug: "validation"})
	k.check(call{name: "organisation create with an unknown kind", c: admin, method: "POST", path: orgs,
		body: map[string]any{"name": "Verein", "kind": "club"}, status: 422, slug: "validation", refused: true})
	k.check(call{name: "organisation create with a malformed AGS", c: admin, method: "POST", path: orgs,
		body: map[string]any{"name": "Zweckverband", "kind": "public_body", "ags": "1452"}, status: 422, slug: "validation", refused: true})
	k.check(call{name: "organisation create with a taken AGS", c: admin, method: "POST", path: orgs,
		body: map[string]any{"name": "Doppelte Stadt", "kind": "public_body", "ags": "14522180"}, status: 409, slug: "conflict"})
	k.check(call{name: "organisation create with an unknown contact field", c: admin, method: "POST", path: orgs,
		body:   map[string]any{"name": "Zweckverband", "kind": "public_body", "contact": map[string]string{"fax": "1"}},
		status: 400, slug: "unknown_field", refused: true})
	k.check(call{name: "organisation create as text/plain", c: admin, method: "POST", path: orgs, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	created := k.check(call{name: "organisation create", c: admin, method: "POST", path: orgs, body: newOrg, status: 201})
	id, _ := created.JSON()["id"].(string)
	if id == "" {
		t.Fatalf("organisation create: no id in %s", created.Body)
	}
	if loc := created.Header.Get("Location"); loc != orgs+"/"+id {
		t.Errorf("organisation create: Location %q, want %q", loc, orgs+"/"+id)
	}
	update := map[string]any{"parent_id": nil, "name": "Landesamt für Vertragstests (neu)", "kind": "authority", "ags": nil}
	k.check(call{name: "organisation update", c: admin, method: "PUT", path: orgs + "/" + id, body: update, status: 200})
	k.check(call{name: "organisation update of an unknown organisation", c: admin, method: "PUT", path: orgs + "/" + missing,
		body: update, status: 404, slug: "not_found"})
	k.check(call{name: "organisation update by an org admin", c: fa, method: "PUT", path: orgs + "/" + id, body: update,
		status: 403, slug: "forbidden"})
	k.check(call{name: "organisation update without session", c: anon, method: "PUT", path: orgs + "/" + id, body: update,
		status: 401, slug: "unauthenticated"})
	k.check(call{name: "organisation update without CSRF token", c: contractNoCSRF(admin), method: "PUT", path: orgs + "/" + id,
		body: update, status: 403, slug: "csrf"})
	k.check(call{name: "organisation update with malformed JSON", c: admin, method: "PUT", path: orgs + "/" + id, body: `{"name":"x",}`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "organisation update under itself", c: admin, method: "PUT", path: orgs + "/" + id,
		body: map[string]any{"parent_id": id, "name": "Kreislauf", "kind": "authority"}, status: 422, slug: "validation"})
	k.check(call{name: "organisation update to a taken AGS", c: admin, method: "PUT", path: orgs + "/" + id,
		body: map[string]any{"name": "Doppelt", "kind": "authority", "ags": "14729160"}, status: 409, slug: "conflict"})
	k.check(call{name: "organisation update as text/plain", c: admin, method: "PUT", path: orgs + "/" + id, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "organisation delete with children", c: admin, method: "DELETE", path: orgs + "/" + msn, status: 409, slug: "conflict"})
	k.check(call{name: "organisation delete by an org admin", c: fa, method: "DELETE", path: orgs + "/" + id, status: 403, slug: "forbidden"})
	k.check(call{name: "organisation delete without session", c: anon, method: "DELETE", path: orgs + "/" + id, status: 401, slug: "unauthenticated"})
	k.check(call{name: "organisation delete without CSRF token", c: contractNoCSRF(admin), method: "DELETE", path: orgs + "/" + id,
		status: 403, slug: "csrf"})
	k.check(call{name: "organisation delete", c: admin, method: "DELETE", path: orgs + "/" + id, status: 204})
	k.check(call{name: "organisation delete twice", c: admin, method: "DELETE", path: orgs + "/" + id, status: 404, slug: "not_found"})

	// Members.
	members := orgs + "/" + freiberg + "/members"
	k.check(call{name: "member list", c: fa, method: "GET", path: members, status: 200})
	k.check(call{name: "member list of another organisation", c: fa, method: "GET", path: orgs + "/" + grimma + "/members",
		status: 403, slug: "forbidden"})
	k.check(call{name: "member list of an unknown organisation", c: admin, method: "GET", path: orgs + "/" + missing + "/members",
		status: 404, slug: "not_found"})
	k.check(call{name: "member list without session", c: anon, method: "GET", path: members, status: 401, slug: "unauthenticated"})
	person := map[string]any{"email": "nora.neu@demo.example", "display_name": "Nora Neu", "role": "editor"}
	added := k.check(call{name: "member add creating an account", c: fa, method: "POST", path: members, body: person, status: 201})
	newAccount, _ := added.JSON()["account_id"].(string)
	if newAccount == "" {
		t.Fatalf("member add: no account_id in %s", added.Body)
	}
	if pw, _ := added.JSON()["initial_password"].(string); pw == "" {
		t.Errorf("member add: no initial_password in %s", added.Body)
	}
	k.check(call{name: "member add of a member", c: fa, method: "POST", path: members,
		body: map[string]any{"email": "freiberg-editor@demo.example", "role": "viewer"}, status: 409, slug: "conflict"})
	k.check(call{name: "member add with an unknown role", c: fa, method: "POST", path: members,
		body: map[string]any{"email": "x@demo.example", "display_name": "X", "role": "boss"}, status: 422, slug: "validation", refused: true})
	k.check(call{name: "member add with a short password", c: fa, method: "POST", path: members,
		body:   map[string]any{"email": "y@demo.example", "display_name": "Y", "password": "kurz", "role": "viewer"},
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "member add without display name", c: fa, method: "POST", path: members,
		body: map[string]any{"email": "z@demo.example", "role": "viewer"}, status: 422, slug: "validation"})
	k.check(call{name: "member add as text/plain", c: fa, method: "POST", path: members, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "member add with malformed JSON", c: fa, method: "POST", path: members, body: `[`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "member add to another organisation", c: fa, method: "POST", path: orgs + "/" + grimma + "/members",
		body: person, status: 403, slug: "forbidden"})
	k.check(call{name: "member add to an unknown organisation", c: admin, method: "POST", path: orgs + "/" + missing + "/members",
		body: person, status: 404, slug: "not_found"})
	k.check(call{name: "member add without session", c: anon, method: "POST", path: members, body: person, status: 401, slug: "unauthenticated"})
	k.check(call{name: "member add without CSRF token", c: contractNoCSRF(fa), method: "POST", path: members, body: person,
		status: 403, slug: "csrf"})

	member := members + "/" + newAccount
	self := members + "/" + contractAccountID(fa)
	k.check(call{name: "role change", c: fa, method: "PATCH", path: member, body: map[string]string{"role": "viewer"}, status: 204})
	k.check(call{name: "role change of the last org admin", c: fa, method: "PATCH", path: self, body: map[string]string{"role": "viewer"},
		status: 409, slug: "conflict"})
	k.check(call{name: "role change of a non-member", c: fa, method: "PATCH", path: members + "/" + missing,
		body: map[string]string{"role": "viewer"}, status: 404, slug: "not_found"})
	k.check(call{name: "role change with an unknown field", c: fa, method: "PATCH", path: member,
		body: map[string]string{"role": "viewer", "since": "today"}, status: 400, slug: "unknown_field", refused: true})
	k.check(call{name: "role change to an unknown role", c: fa, method: "PATCH", path: member,
		body: map[string]string{"role": "king"}, status: 422, slug: "validation", refused: true})
	k.check(call{name: "role change as text/plain", c: fa, method: "PATCH", path: member, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "role change in another organisation", c: fa, method: "PATCH", path: orgs + "/" + grimma + "/members/" + newAccount,
		body: map[string]string{"role": "viewer"}, status: 403, slug: "forbidden"})
	k.check(call{name: "role change without session", c: anon, method: "PATCH", path: member, body: map[string]string{"role": "viewer"},
		status: 401, slug: "unauthenticated"})
	k.check(call{name: "role change without CSRF token", c: contractNoCSRF(fa), method: "PATCH", path: member,
		body: map[string]string{"role": "viewer"}, status: 403, slug: "csrf"})
	k.check(call{name: "member removal of the last org admin", c: fa, method: "DELETE", path: self, status: 409, slug: "conflict"})
	k.check(call{name: "member removal in another organisation", c: fa, method: "DELETE", path: orgs + "/" + grimma + "/members/" + newAccount,
		status: 403, slug: "forbidden"})
	k.check(call{name: "member removal without session", c: anon, method: "DELETE", path: member, status: 401, slug: "unauthenticated"})
	k.check(call{name: "member removal without CSRF token", c: contractNoCSRF(fa), method: "DELETE", path: member, status: 403, slug: "csrf"})
	k.check(call{name: "member removal", c: fa, method: "DELETE", path: member, status: 204})
	k.check(call{name: "member removal twice", c: fa, method: "DELETE", path: member, status: 404, slug: "not_found"})
	k.check(call{name: "member removal with a malformed account ID", c: fa, method: "DELETE", path: members + "/nobody",
		status: 404, slug: "not_found", refused: true})

	// Audit trail.
	page := k.check(call{name: "instance audit, first page", c: admin, method: "GET", path: "/api/v1/audit?limit=2", status: 200})
	cursor, _ := page.JSON()["next_cursor"].(string)
	if cursor == "" {
		t.Errorf("instance audit: a full page without next_cursor: %s", page.Body)
	}
	k.check(call{name: "instance audit, next page", c: admin, method: "GET", path: "/api/v1/audit?limit=2&cursor=" + url.QueryEscape(cursor), status: 200})
	all := k.check(call{name: "instance audit, large page", c: admin, method: "GET", path: "/api/v1/audit?limit=200", status: 200})
	contractWantNulls(t, all, "actor_id", "organisation_id")
	k.check(call{name: "instance audit by an org admin", c: fa, method: "GET", path: "/api/v1/audit", status: 403, slug: "forbidden"})
	k.check(call{name: "instance audit without session", c: anon, method: "GET", path: "/api/v1/audit", status: 401, slug: "unauthenticated"})
	k.check(call{name: "instance audit with limit 0", c: admin, method: "GET", path: "/api/v1/audit?limit=0", status: 422, slug: "validation", refused: true})
	k.check(call{name: "instance audit with limit 201", c: admin, method: "GET", path: "/api/v1/audit?limit=201", status: 422, slug: "validation", refused: true})
	k.check(call{name: "instance audit with a malformed cursor", c: admin, method: "GET", path: "/api/v1/audit?cursor=abc", status: 422, slug: "validation", refused: true})
	orgAudit := orgs + "/" + freiberg + "/audit"
	k.check(call{name: "organisation audit", c: fa, method: "GET", path: orgAudit, status: 200})
	k.check(call{name: "organisation audit of another organisation", c: fa, method: "GET", path: orgs + "/" + grimma + "/audit",
		status: 403, slug: "forbidden"})
	k.check(call{name: "organisation audit without session", c: anon, method: "GET", path: orgAudit, status: 401, slug: "unauthenticated"})
	k.check(call{name: "organisation audit with a malformed ID", c: admin, method: "GET", path: orgs + "/x/audit",
		status: 404, slug: "not_found", refused: true})
	k.check(call{name: "organisation audit with a malformed limit", c: fa, method: "GET", path: orgAudit + "?limit=many",
		status: 422, slug: "validation", refused: true})

	// Procedures, the catalogue, its map layer and feeds.
	contractProcedures(k)
	contractDocuments(k)
	contractStatements(k)
	contractSurveys(k)
	contractStatementExports(k)
	contractDefects(k)
	contractDialogs(k)

	k.checkCoverage()
}

// contract validates calls against the OpenAPI document and records which
// operations they reached.
type contract struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	// hits maps "METHOD /path/template" to the answers seen.
	hits map[string][]contractHit
}

// contractHit is one answer of an operation: its status and problem slug.
type contractHit struct {
	status int
	slug   string
}

func newContract(t *testing.T) *contract {
	t.Helper()
	ctx := context.Background()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Document)
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("OpenAPI document: version %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("OpenAPI document is invalid: %v", err)
	}
	// Atom feeds are documented as strings of their media type; read them as text.
	openapi3filter.RegisterBodyDecoder("application/atom+xml", openapi3filter.PlainBodyDecoder)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("route OpenAPI document: %v", err)
	}
	return &contract{t: t, doc: doc, router: router, hits: map[string][]contractHit{}}
}

// call is one request and what the server should answer.
type call struct {
	name         string
	c            *client
	method, path string
	// docPath is the path to look up in the document when path is an alias.
	docPath string
	body    any      // as for client.do
	headers []string // as for client.do
	status  int
	slug    string // problem type slug for error statuses
	// refused says the request breaks the documented request schema, so the
	// document must refuse it as the server does.
	refused bool
}

// check sends the call, checks the status and validates request and response
// against the document; it returns the response for further checks.
func (k *contract) check(cl call) response {
	t := k.t
	t.Helper()
	res := cl.c.do(cl.method, cl.path, cl.body, cl.headers...)
	where := fmt.Sprintf("%s (%s %s)", cl.name, cl.method, cl.path)
	if res.Status != cl.status {
		t.Errorf("%s: status %d, want %d; body %s", where, res.Status, cl.status, res.Body)
	}

	req := contractRequest(t, cl)
	ctx := context.Background()
	route, params, err := k.router.FindRoute(req)
	var reqInput *openapi3filter.RequestValidationInput
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		route = k.componentRoute(req, 404, "NotFound")
		reqInput = &openapi3filter.RequestValidationInput{Request: req, Route: route}
	case errors.Is(err, routers.ErrMethodNotAllowed):
		route = k.componentRoute(req, 405, "MethodNotAllowed")
		reqInput = &openapi3filter.RequestValidationInput{Request: req, Route: route}
	case err != nil:
		t.Errorf("%s: no route in the document: %v", where, err)
		return res
	default:
		key := route.Method + " " + route.Path
		k.hits[key] = append(k.hits[key], contractHit{res.Status, cl.slug})
		reqInput = &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: contractOptions(func(o *openapi3filter.Options) {
				o.AuthenticationFunc = openapi3filter.NoopAuthenticationFunc
			})}
		reqErr := openapi3filter.ValidateRequest(ctx, reqInput)
		switch {
		case cl.refused && reqErr == nil:
			t.Errorf("%s: the server refuses the request (%d) but the document accepts it", where, res.Status)
		case res.Status < 300 && reqErr != nil:
			t.Errorf("%s: the server accepts the request but the document refuses it: %v", where, reqErr)
		}
	}

	resInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqInput,
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                contractOptions(func(o *openapi3filter.Options) { o.IncludeResponseStatus = true }),
	}
	if res.Status == http.StatusNotModified {
		// kin-openapi skips 304 answers entirely: check that they are documented
		// and validate their headers as those of a 200 described like the 304.
		ref := route.Operation.Responses.Status(res.Status)
		if ref == nil {
			t.Errorf("%s: response 304 is not documented", where)
		} else {
			op := *route.Operation
			op.Responses = openapi3.NewResponses(openapi3.WithStatus(http.StatusOK, ref))
			rt := *route
			rt.Operation = &op
			in := *reqInput
			in.Route = &rt
			resInput.RequestValidationInput = &in
			resInput.Status = http.StatusOK
		}
	}
	if err := openapi3filter.ValidateResponse(ctx, resInput); err != nil {
		t.Errorf("%s: response %d does not match the document: %v\nbody: %s", where, res.Status, err, res.Body)
	}
	if ref := route.Operation.Responses.Status(res.Status); ref != nil && ref.Value != nil && len(ref.Value.Content) == 0 && len(res.Body) > 0 {
		t.Errorf("%s: response %d is documented without body but has one: %s", where, res.Status, res.Body)
	}
	if res.Status >= 400 && cl.status >= 400 {
		p := res.JSON()
		if got, want := p["type"], "urn:beteiligungsportal:problem:"+cl.slug; got != want {
			t.Errorf("%s: problem type %v, want %s", where, got, want)
		}
		if id := res.Header.Get("X-Request-ID"); id == "" || p["request_id"] != id {
			t.Errorf("%s: request_id %v differs from X-Request-ID %q", where, p["request_id"], id)
		}
	}
	return res
}

// contractFormats asserts the string formats the document uses beyond those
// kin-openapi checks by default (date-time).
var contractFormats = []openapi3.SchemaValidationOption{
	openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(
		`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)),
	openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
}

// contractOptions returns validation options with the format checks and short
// schema errors (the path in the value and the reason, without schema dumps).
func contractOptions(set func(*openapi3filter.Options)) *openapi3filter.Options {
	o := &openapi3filter.Options{SchemaValidationOptions: contractFormats}
	o.WithCustomSchemaErrorFunc(func(e *openapi3.SchemaError) string {
		reason := e.Reason
		if e.Origin != nil {
			reason = e.Origin.Error()
		}
		if reason == "" {
			reason = "breaks " + e.SchemaField
		}
		if p := e.JSONPointer(); len(p) > 0 {
			return fmt.Sprintf("at /%s: %s", strings.Join(p, "/"), reason)
		}
		return reason
	})
	set(o)
	return o
}

// componentRoute is a route for a request the document has no operation for
// (unknown path or method): it answers with the named component response.
func (k *contract) componentRoute(req *http.Request, status int, name string) *routers.Route {
	op := openapi3.NewOperation()
	op.Responses = openapi3.NewResponses(openapi3.WithStatus(status, k.doc.Components.Responses[name]))
	return &routers.Route{Spec: k.doc, Path: req.URL.Path, Method: req.Method, Operation: op}
}

// login signs in through the documented operations and keeps the CSRF token.
func (k *contract) login(c *client, email string) {
	k.t.Helper()
	k.check(call{name: "login as " + email, c: c, method: "POST", path: "/api/v1/auth/login",
		body: map[string]string{"email": email, "password": DemoPassword}, status: 200})
	me := k.check(call{name: "me of " + email, c: c, method: "GET", path: "/api/v1/me", status: 200})
	tok, _ := me.JSON()["csrf_token"].(string)
	if tok == "" {
		k.t.Fatalf("no csrf_token in /me: %s", me.Body)
	}
	c.csrf = tok
}

// checkCoverage fails for every documented operation no call reached, no call
// got a success from, or that never answered one of its documented client errors.
// 500 and 503 cannot be provoked here; 413 and 429 are provoked on login only.
// Operations that require the CSRF token must have refused a request without it.
func (k *contract) checkCoverage() {
	k.t.Helper()
	var gaps []string
	for path, item := range k.doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			hits, ok := k.hits[key]
			if !ok {
				gaps = append(gaps, key+": never called")
				continue
			}
			seen := func(ok func(h contractHit) bool) bool { return slices.ContainsFunc(hits, ok) }
			if !seen(func(h contractHit) bool { return h.status >= 200 && h.status < 300 }) {
				gaps = append(gaps, key+": no success")
			}
			for code := range op.Responses.Map() {
				var status int
				if _, err := fmt.Sscan(code, &status); err != nil || status < 400 || status == 500 || status == 503 {
					continue
				}
				if (status == 413 || status == 429) && op.OperationID != "login" {
					continue
				}
				if !seen(func(h contractHit) bool { return h.status == status }) {
					gaps = append(gaps, fmt.Sprintf("%s: documented %d never answered", key, status))
				}
			}
			security := k.doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			for _, req := range security {
				if _, ok := req["csrf"]; ok && !seen(func(h contractHit) bool { return h.status == 403 && h.slug == "csrf" }) {
					gaps = append(gaps, key+": requires the CSRF token but no call went without it")
				}
			}
		}
	}
	slices.Sort(gaps)
	if len(gaps) > 0 {
		k.t.Errorf("coverage of the document:\n  %s", strings.Join(gaps, "\n  "))
	}
}

// contractRequest rebuilds the request client.do sends, for routing and request
// validation.
func contractRequest(t *testing.T, cl call) *http.Request {
	t.Helper()
	var raw []byte
	switch b := cl.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	var body io.Reader = http.NoBody
	if cl.body != nil {
		body = bytes.NewReader(raw)
	}
	path := cl.path
	if cl.docPath != "" {
		path = cl.docPath
	}
	req, err := http.NewRequest(cl.method, cl.c.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.c.csrf != "" {
		req.Header.Set("X-CSRF-Token", cl.c.csrf)
	}
	for i := 0; i+1 < len(cl.headers); i += 2 {
		req.Header.Set(cl.headers[i], cl.headers[i+1])
	}
	for _, ck := range cl.c.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	return req
}

// contractNoCSRF returns a client with c's cookies that sends no CSRF token.
func contractNoCSRF(c *client) *client {
	d := *c
	d.csrf = ""
	return &d
}

// contractAccountID returns the account ID of the signed-in client.
func contractAccountID(c *client) string {
	c.t.Helper()
	id, _ := c.do("GET", "/api/v1/me", nil).JSON()["id"].(string)
	if id == "" {
		c.t.Fatal("no account id in /me")
	}
	return id
}

// contractWantNulls fails unless the list page (audit entries, procedures) has
// items with and without a value in each of the nullable fields, so that both
// branches were validated.
func contractWantNulls(t *testing.T, res response, fields ...string) {
	t.Helper()
	var page struct{ Items []map[string]any }
	if err := json.Unmarshal(res.Body, &page); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		var null, set bool
		for _, e := range page.Items {
			if e[f] == nil {
				null = true
			} else {
				set = true
			}
		}
		if !null || !set {
			t.Errorf("list page: field %s null=%v set=%v, want both", f, null, set)
		}
	}
}
