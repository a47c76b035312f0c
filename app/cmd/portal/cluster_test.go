package main

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Two instances on one database and one Redis, as behind a load balancer that
// may send each request of a person to another instance: what happens once
// happens once, and a session, a retry or a limit does not depend on which
// instance answers.
func TestTwoInstancesBehaveAsOne(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	a := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	b := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	// alternate sends the i-th request to A or B in turn.
	alternate := func(i int) *testServer { return []*testServer{a, b}[i%2] }

	t.Run("a session made on one instance works on the other", func(t *testing.T) {
		onA := a.client(t)
		onA.login("freiberg-editor@demo.example")
		onB := onA.on(b)
		if res := onB.do("GET", "/api/v1/me", nil); res.Status != 200 || res.JSON()["email"] != "freiberg-editor@demo.example" {
			t.Fatalf("session on the other instance: %d %s", res.Status, res.Body)
		}
		// The CSRF token of the session is valid on both.
		mustStatus(t, onB.do("POST", "/api/v1/auth/logout", nil), 204, "logout on B")
		wantProblem(t, onA.do("GET", "/api/v1/me", nil), 401, "unauthenticated")
	})

	editor := a.client(t)
	editor.login("freiberg-editor@demo.example")
	path, _, _ := statementPlan(t, editor)
	clock.Set("2026-10-10 10:00:00")

	t.Run("a retry that reaches the other instance gets the first receipt", func(t *testing.T) {
		stmt := citizen("Bitte die Linden erhalten.")
		first := decodeReceipt(t, mustStatus(t, a.client(t).do("POST", path+"/statements", stmt, "Idempotency-Key", "cluster-1"), 201, "submit on A"))
		again := mustStatus(t, b.client(t).do("POST", path+"/statements", stmt, "Idempotency-Key", "cluster-1"), 201, "retry on B")
		if r := decodeReceipt(t, again); r.Number != first.Number || r.Token != first.Token || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry on B: %s, first %+v", again.Body, first)
		}
		// The same key at the same moment on both: one statement.
		var wg sync.WaitGroup
		numbers := make([]string, 8)
		for i := range numbers {
			srv := alternate(i)
			wg.Go(func() {
				res := srv.client(t).do("POST", path+"/statements", citizen("Gleichzeitig."), "Idempotency-Key", "cluster-2")
				if res.Status == 201 {
					numbers[i] = decodeReceipt(t, res).Number
				} else {
					t.Errorf("concurrent retry %d: %d %s", i, res.Status, res.Body)
				}
			})
		}
		wg.Wait()
		for _, n := range numbers {
			if n != numbers[0] {
				t.Fatalf("one key gave several statements: %v", numbers)
			}
		}
	})

	t.Run("receipt numbers run on across instances without gaps or doubles", func(t *testing.T) {
		var mu sync.Mutex
		seen := map[string]bool{}
		var wg sync.WaitGroup
		for i := range 20 {
			srv := alternate(i)
			wg.Go(func() {
				res := srv.client(t).do("POST", path+"/statements", citizen(fmt.Sprintf("Stellungnahme %d", i)))
				if res.Status != 201 {
					t.Errorf("submit %d: %d %s", i, res.Status, res.Body)
					return
				}
				mu.Lock()
				seen[decodeReceipt(t, res).Number] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(seen) != 20 {
			t.Fatalf("%d distinct numbers for 20 statements", len(seen))
		}
		// Two statements came before (cluster-1, cluster-2): these are 3 to 22.
		for seq := 3; seq <= 22; seq++ {
			found := false
			for n := range seen {
				found = found || receiptSeq(n) == seq
			}
			if !found {
				t.Fatalf("number %d is missing: %v", seq, seen)
			}
		}
	})

	t.Run("each receipt mail is sent once though both instances send mail", func(t *testing.T) {
		to := newMailAddress("cluster-receipt")
		var wg sync.WaitGroup
		for i := range 10 {
			srv := alternate(i)
			wg.Go(func() {
				stmt := citizen(fmt.Sprintf("Mit Bestätigung %d", i))
				stmt["submitter"].(map[string]string)["email"] = to
				if res := srv.client(t).do("POST", path+"/statements", stmt); res.Status != 201 {
					t.Errorf("submit %d: %d %s", i, res.Status, res.Body)
				}
			})
		}
		wg.Wait()
		eventually(t, "ten receipts arrive", func() bool { return len(mailsTo(t, to, "Eingangsbestätigung")) >= 10 })
		time.Sleep(500 * time.Millisecond) // five polls of each worker: time for a duplicate to show
		if n := len(mailsTo(t, to, "Eingangsbestätigung")); n != 10 {
			t.Fatalf("%d receipt mails for 10 statements", n)
		}
	})

	t.Run("login attempts count against one limit on all instances", func(t *testing.T) {
		// PORTAL_RATE_LIMIT_LOGIN is 5 a minute per account and client IP.
		wrong := map[string]string{"email": "freiberg-admin@demo.example", "password": "falsch-falsch-falsch"}
		for i := range 5 {
			srv := alternate(i)
			wantProblem(t, srv.client(t).do("POST", "/api/v1/auth/login", wrong), 401, "invalid_credentials")
		}
		res := b.client(t).do("POST", "/api/v1/auth/login", wrong)
		wantProblem(t, res, 429, "rate_limited")
	})
}

// receiptSeq is the running number of a receipt number such as
// FG12-2026-00003-47.
func receiptSeq(number string) int {
	m := regexp.MustCompile(`-2026-([0-9]{5})-`).FindStringSubmatch(number)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// An instance whose database is gone answers 503 problem+json with
// Retry-After, never 500, and leaves the balancer's rotation; it recovers by
// itself (the pool reconnects), which the fault runs show with a restart.
func TestDatabaseDownGivesServiceUnavailable(t *testing.T) {
	env := newEnv(t)
	path := "/api/v1/procedures/0193a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b" // the database would tell whether it exists
	down := env.start(func(c *config) { c.DatabaseURL = "postgres://portal@127.0.0.1:1/portal?sslmode=disable" })
	c := down.client(t)
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/organisations"},
		{"GET", path},
		{"POST", path + "/statements"},
		{"POST", "/api/v1/auth/login"},
	} {
		var body any
		switch req.path {
		case path + "/statements":
			body = citizen("Wird nicht angenommen.")
		case "/api/v1/auth/login":
			body = map[string]string{"email": "freiberg-admin@demo.example", "password": DemoPassword}
		}
		res := c.do(req.method, req.path, body)
		wantProblem(t, res, 503, "unavailable")
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: 503 without Retry-After", req.method, req.path)
		}
	}
	p := wantProblem(t, c.do("GET", "/readyz", nil), 503, "unavailable")
	if checks, _ := p["checks"].(map[string]any); checks["postgres"] != "unavailable" || checks["redis"] != "ok" {
		t.Fatalf("readyz checks: %v", p["checks"])
	}
}
