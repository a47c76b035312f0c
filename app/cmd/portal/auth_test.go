package main

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

func sessionCookie(c *client) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "portal_session" {
			return ck.Value
		}
	}
	return ""
}

func TestLoginMeLogout(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)

	wantProblem(t, c.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
	c.login("freiberg-admin@demo.example")
	res := c.do("GET", "/api/v1/me", nil)
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("/me Cache-Control: got %q, want no-store", cc)
	}
	me := res.JSON()
	ms, _ := me["memberships"].([]any)
	if len(ms) != 1 {
		t.Fatalf("memberships: got %v", me["memberships"])
	}
	m := ms[0].(map[string]any)
	if m["role"] != "org_admin" || m["organisation_name"] != "Universitätsstadt Freiberg" {
		t.Fatalf("membership: got %v", m)
	}
	if res := c.do("POST", "/api/v1/auth/logout", nil); res.Status != 204 {
		t.Fatalf("logout: got %d %s", res.Status, res.Body)
	}
	wantProblem(t, c.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
}

func TestSessionCookieAttributes(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)
	res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "freiberg-admin@demo.example", "password": DemoPassword})
	var sess *http.Cookie
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		if ck.Name == "portal_session" {
			sess = ck
		}
	}
	if sess == nil {
		t.Fatal("no session cookie set on login")
	}
	if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" {
		t.Fatalf("cookie attributes: %+v", sess)
	}
	// 32 random bytes, base64url: 256 bits, more than ASVS's 128.
	if len(sess.Value) != 43 {
		t.Fatalf("session ID %q: got %d characters, want 43", sess.Value, len(sess.Value))
	}

	secure := env.start(func(c *config) { c.BaseURL, _ = url.Parse("https://portal.example") })
	res = secure.client(t).do("POST", "/api/v1/auth/login", map[string]string{"email": "freiberg-admin@demo.example", "password": DemoPassword})
	var host *http.Cookie
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		if ck.Name == "__Host-portal_session" {
			host = ck
		}
	}
	if host == nil || !host.Secure {
		t.Fatalf("https base URL: want a Secure __Host- cookie, got %v", res.Header.Values("Set-Cookie"))
	}
}

func TestLoginRotatesSession(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)
	// An attacker plants a session ID before the victim logs in (session fixation).
	u, _ := url.Parse(srv.URL)
	planted := "planted-session-id-planted-session-id-12345"
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_session", Value: planted, Path: "/"}})
	c.login("freiberg-admin@demo.example")
	first := sessionCookie(c)
	if first == "" || first == planted {
		t.Fatalf("session ID after login: got %q, want a new one", first)
	}
	attacker := srv.client(t)
	attacker.http.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_session", Value: planted, Path: "/"}})
	wantProblem(t, attacker.do("GET", "/api/v1/me", nil), 401, "unauthenticated")

	// Logging in again rotates again; the old ID is dead on the server.
	old := srv.client(t)
	old.http.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_session", Value: first, Path: "/"}})
	if res := old.do("GET", "/api/v1/me", nil); res.Status != 200 {
		t.Fatalf("copied session before re-login: got %d", res.Status)
	}
	c.login("freiberg-admin@demo.example")
	if second := sessionCookie(c); second == first {
		t.Fatal("second login kept the session ID")
	}
	wantProblem(t, old.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
}

func TestLogoutEndsSessionOnServer(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)
	c.login("freiberg-admin@demo.example")
	stolen := c.on(srv) // a copy of the cookie, e.g. from another tab or a thief
	if res := c.do("POST", "/api/v1/auth/logout", nil); res.Status != 204 {
		t.Fatalf("logout: %d %s", res.Status, res.Body)
	}
	wantProblem(t, stolen.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
}

func TestLogoutAllRevokesEverySession(t *testing.T) {
	env := newEnv(t)
	a, b := env.start(), env.start()
	laptop, phone := a.client(t), b.client(t)
	laptop.login("freiberg-editor@demo.example")
	phone.login("freiberg-editor@demo.example")
	if res := laptop.do("POST", "/api/v1/auth/logout-all", nil); res.Status != 204 {
		t.Fatalf("logout-all: %d %s", res.Status, res.Body)
	}
	wantProblem(t, phone.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
	wantProblem(t, laptop.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
	phone.login("freiberg-editor@demo.example") // signing in again works
}

func TestChangePassword(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)
	c.login("freiberg-viewer@demo.example")
	p := wantProblem(t, c.do("POST", "/api/v1/me/password", map[string]string{"current_password": "wrong-password!", "new_password": "ein neues langes Passwort"}), 422, "validation")
	if errs := p["errors"].([]any); errs[0].(map[string]any)["field"] != "current_password" {
		t.Fatalf("errors: %v", errs)
	}
	wantProblem(t, c.do("POST", "/api/v1/me/password", map[string]string{"current_password": DemoPassword, "new_password": "kurz"}), 422, "validation")
	if res := c.do("POST", "/api/v1/me/password", map[string]string{"current_password": DemoPassword, "new_password": "ein neues langes Passwort"}); res.Status != 204 {
		t.Fatalf("change: %d %s", res.Status, res.Body)
	}
	wantProblem(t, c.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
	wantProblem(t, c.do("POST", "/api/v1/auth/login", map[string]string{"email": "freiberg-viewer@demo.example", "password": DemoPassword}), 401, "invalid_credentials")
	if res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "freiberg-viewer@demo.example", "password": "ein neues langes Passwort"}); res.Status != 200 {
		t.Fatalf("login with new password: %d", res.Status)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)
	unknown := wantProblem(t, c.do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@demo.example", "password": DemoPassword}), 401, "invalid_credentials")
	wrong := wantProblem(t, c.do("POST", "/api/v1/auth/login", map[string]string{"email": "freiberg-admin@demo.example", "password": "not the password"}), 401, "invalid_credentials")
	if unknown["detail"] != wrong["detail"] || unknown["title"] != wrong["title"] {
		t.Fatalf("unknown e-mail and wrong password differ: %v / %v", unknown, wrong)
	}
}

func TestCSRF(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)
	c.login("freiberg-admin@demo.example")
	org := c.orgID("Freiberg")
	add := map[string]string{"email": "neu@demo.example", "display_name": "Neu", "role": "viewer"}

	token := c.csrf
	c.csrf = ""
	wantProblem(t, c.do("POST", "/api/v1/organisations/"+org+"/members", add), 403, "csrf")
	c.csrf = "forged-token"
	wantProblem(t, c.do("POST", "/api/v1/organisations/"+org+"/members", add), 403, "csrf")
	c.csrf = ""
	wantProblem(t, c.do("POST", "/api/v1/auth/logout", nil), 403, "csrf")
	// A token of another session is no good either.
	other := srv.client(t)
	other.login("grimma-admin@demo.example")
	c.csrf = other.csrf
	wantProblem(t, c.do("POST", "/api/v1/organisations/"+org+"/members", add), 403, "csrf")

	c.csrf = token
	if res := c.do("POST", "/api/v1/organisations/"+org+"/members", add); res.Status != 201 {
		t.Fatalf("with token: %d %s", res.Status, res.Body)
	}
	// Without a session cookie nothing can be forged: the answer is 401, not 403.
	anon := srv.client(t)
	wantProblem(t, anon.do("POST", "/api/v1/organisations", map[string]string{"name": "X", "kind": "authority"}), 401, "unauthenticated")
}

func TestSessionWorksOnEveryInstance(t *testing.T) {
	env := newEnv(t)
	a, b := env.start(), env.start()
	ca := a.client(t)
	ca.login("freiberg-admin@demo.example")
	cb := ca.on(b)
	if res := cb.do("GET", "/api/v1/me", nil); res.Status != 200 {
		t.Fatalf("session from instance A on instance B: %d %s", res.Status, res.Body)
	}
	org := ca.orgID("Freiberg")
	if res := cb.do("POST", "/api/v1/organisations/"+org+"/members", map[string]string{"email": "b@demo.example", "display_name": "B", "role": "viewer"}); res.Status != 201 {
		t.Fatalf("CSRF token from A on B: %d %s", res.Status, res.Body)
	}
}

func TestRateLimitsHoldAcrossInstances(t *testing.T) {
	env := newEnv(t)
	limit := func(c *config) { c.RateLimitLogin = 3 }
	a, b := env.start(limit), env.start(limit)
	ca, cb := a.client(t), b.client(t)
	bad := map[string]string{"email": "freiberg-admin@demo.example", "password": "guessing-the-password"}
	for i := range 3 {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		wantProblem(t, c.do("POST", "/api/v1/auth/login", bad), 401, "invalid_credentials")
	}
	res := cb.do("POST", "/api/v1/auth/login", bad)
	wantProblem(t, res, 429, "rate_limited")
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After: got %q", res.Header.Get("Retry-After"))
	}
	// The right password does not get through either: the limit comes first.
	wantProblem(t, ca.do("POST", "/api/v1/auth/login", map[string]string{"email": "freiberg-admin@demo.example", "password": DemoPassword}), 429, "rate_limited")
	// Another account from the same IP is still allowed.
	ca.login("grimma-admin@demo.example")
}

func TestAPIRateLimitPerIPAcrossInstances(t *testing.T) {
	env := newEnv(t)
	limit := func(c *config) { c.RateLimitAPI = 4 }
	a, b := env.start(limit), env.start(limit)
	ca, cb := a.client(t), b.client(t)
	for i := range 4 {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		if res := c.do("GET", "/api/v1/organisations", nil); res.Status != 200 {
			t.Fatalf("request %d: %d", i+1, res.Status)
		}
	}
	wantProblem(t, ca.do("GET", "/api/v1/organisations", nil), 429, "rate_limited")
	// Health checks are not rate limited.
	if res := ca.do("GET", "/healthz", nil); res.Status != 200 {
		t.Fatalf("healthz: %d", res.Status)
	}
}

// Answers from the shared cache count against the API limit too, in the
// instance's memory: a client asking the same public page gets the limit's
// worth on an instance, then 429, and its requests still count in Redis once
// they get past the cache.
func TestAPIRateLimitCountsCachedAnswers(t *testing.T) {
	env := newEnv(t)
	limit := func(c *config) { c.RateLimitAPI = 4 }
	a, b := env.start(limit), env.start(limit)
	ca := a.client(t)
	for i := range 4 {
		if res := ca.do("GET", "/api/v1/procedures?limit=5", nil); res.Status != 200 {
			t.Fatalf("request %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	wantProblem(t, ca.do("GET", "/api/v1/procedures?limit=5", nil), 429, "rate_limited")
	if ra := ca.do("GET", "/api/v1/procedures?limit=5", nil).Header.Get("Retry-After"); ra == "" {
		t.Fatal("429 without Retry-After")
	}
	// The first request was a miss and counted in Redis: on the other
	// instance three uncached requests are left, then the shared limit says no.
	cb := ca.on(b)
	for i := range 3 {
		if res := cb.do("GET", "/api/v1/organisations", nil); res.Status != 200 {
			t.Fatalf("other instance, request %d: %d", i+1, res.Status)
		}
	}
	wantProblem(t, cb.do("GET", "/api/v1/organisations", nil), 429, "rate_limited")
}

func TestRedisDownDegradesAsDesigned(t *testing.T) {
	env := newEnv(t)
	up := env.start()
	logged := up.client(t)
	logged.login("freiberg-admin@demo.example")

	down := env.start(func(c *config) { c.RedisURL = "redis://127.0.0.1:1/0" }) // nothing listens there
	c := logged.on(down)
	// Public reading goes on: the API limit fails open.
	if res := c.do("GET", "/api/v1/organisations", nil); res.Status != 200 {
		t.Fatalf("public read with Redis down: %d %s", res.Status, res.Body)
	}
	// Login fails closed: no brute force without a limit.
	res := down.client(t).do("POST", "/api/v1/auth/login", map[string]string{"email": "freiberg-admin@demo.example", "password": DemoPassword})
	wantProblem(t, res, 503, "unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	// A session cannot be checked: 503, not 401 (the session is not lost).
	wantProblem(t, c.do("GET", "/api/v1/me", nil), 503, "unavailable")
	wantProblem(t, c.do("POST", "/api/v1/auth/logout", nil), 503, "unavailable")
	// The instance stays in the balancer: it still serves most of the portal.
	ready := c.do("GET", "/readyz", nil)
	checks, _ := ready.JSON()["checks"].(map[string]any)
	if ready.Status != 200 || ready.JSON()["status"] != "degraded" || checks["redis"] != "unavailable" || checks["postgres"] != "ok" {
		t.Fatalf("readyz with Redis down: %d %s", ready.Status, ready.Body)
	}
	// The same session still works where Redis is reachable.
	if res := logged.do("GET", "/api/v1/me", nil); res.Status != 200 {
		t.Fatalf("session on healthy instance: %d", res.Status)
	}
}
