package main

import (
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A served instance indexes received statements for staff search on its own,
// soon after they are stored; the search finds them before and after.
func TestServerIndexesReceivedStatementsForSearch(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path, _, _ := statementPlan(t, editor)
	procID := strings.TrimPrefix(path, "/api/v1/procedures/")
	clock.Set("2026-10-05 14:00:00")
	anon := srv.client(t)
	r := decodeReceipt(t, mustStatus(t, anon.do("POST", path+"/statements",
		citizen("Am Mühlgraben fehlt ein Überweg für die Schulkinder.")), 201, "submit"))

	db, err := sql.Open("pgx", env.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found := func(stage string) {
		t.Helper()
		for _, q := range []string{"ueberweg", "Schulkind", "Mühlgraben", "muehlgraben schulkinder"} {
			res := mustStatus(t, editor.do("GET", path+"/statements?q="+url.QueryEscape(q), nil), 200, "search")
			if !strings.Contains(string(res.Body), r.Number) {
				t.Fatalf("%s: q=%s does not find the statement: %s", stage, q, res.Body)
			}
		}
	}
	found("just received")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var queued, indexed int
		if err := db.QueryRow(`SELECT (SELECT count(*) FROM statement_search_queue WHERE procedure_id = $1),
			(SELECT count(*) FROM statement_search WHERE procedure_id = $1 AND statement_id = $2)`, procID, r.ID).
			Scan(&queued, &indexed); err != nil {
			t.Fatal(err)
		}
		if queued == 0 && indexed == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %d queued, %d indexed", queued, indexed)
		}
		time.Sleep(20 * time.Millisecond)
	}
	found("indexed")
}
