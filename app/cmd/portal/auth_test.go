package main

import (
	"testing"
)

func TestLoginMeLogout(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	c := srv.client(t)

	wantProblem(t, c.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
	c.login("freiberg-admin@demo.example")
	me := c.do("GET", "/api/v1/me", nil).JSON()
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
