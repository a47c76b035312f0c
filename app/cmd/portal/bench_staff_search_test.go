package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// BenchmarkStaffSearch measures staff search (GET …/statements?q=) through
// the server in a procedure of 50,000 statements of about 80 characters,
// indexed by the server's own search indexer. A quarter of them are about
// the bats at the Mühlgraben, a quarter about a cycle path for schoolchildren,
// the rest about noise and a bus stop; every statement has its number in
// its text. Each case first checks how many it finds on its first page. See
// docs/benchmarks.md.
func BenchmarkStaffSearch(b *testing.B) {
	env, srv, editor, path, public := openPlanForBench(b, "2026-10-10 10:00:00")
	fillSearchStatements(b, env.cfg.DatabaseURL, strings.TrimPrefix(path, "/api/v1/procedures/"), public, 50_000)

	client := &http.Client{Jar: editor.http.Jar, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	search := func(q string) (int, error) {
		res, err := client.Get(srv.URL + path + "/statements?limit=50&q=" + url.QueryEscape(q))
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		if res.StatusCode != 200 {
			_, _ = io.Copy(io.Discard, res.Body)
			return 0, fmt.Errorf("q=%q: status %d", q, res.StatusCode)
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		return len(page.Items), err
	}
	for _, c := range []struct {
		name, q string
		found   int
	}{
		{"common-word", "Fledermaus", 50}, // 12,500 matches
		{"two-common-words-together", "Fledermaus Mühlgraben", 50},
		{"two-common-words-never-together", "muehlgraben schulkinder", 0},
		{"rare", "Nummer 4711", 15}, // 4711, 14711, …, 47110–47119
		{"none", "Vogelschutz", 0},
		{"common-word-but-not", "Radweg -schulkinder", 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			if n, err := search(c.q); err != nil || n != c.found {
				b.Fatalf("q=%q: %d on the first page, %v; want %d", c.q, n, err, c.found)
			}
			measureOps(b, func(int64) error { _, err := search(c.q); return err }, 0, "req")
		})
	}
}

// fillSearchStatements appends n short statements to a procedure with SQL
// and waits until the server's search indexer has taken them all; then it
// analyses the tables as autovacuum would.
func fillSearchStatements(tb testing.TB, dsn, procedureID, phaseID string, n int) {
	tb.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `INSERT INTO statements (id, procedure_id, phase_id, number, seq, channel, kind,
			submitter_name, submitter_address, submitter_email, text, digest, received_at, timely)
		SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'S-2026-' || lpad(i::text, 7, '0'), i, 'online', 'citizen',
			'Person ' || i, 'Musterstraße 1, 09599 Freiberg', '', 'Stellungnahme Nummer ' || i || ': ' ||
			(ARRAY['Die Lindenallee braucht einen sicheren Radweg für die Schulkinder.',
				'Die Eichen am Mühlgraben sind ein Quartier für Fledermäuse.',
				'Der Lärm der Hauptstraße ist schon heute zu hoch.',
				'Die Bushaltestelle liegt einen Kilometer entfernt.'])[1 + i % 4],
			md5(i::text), timestamptz '2026-10-05 08:00:00+02' + i * interval '1 second', true
		FROM generate_series(1, $3) AS i`, procedureID, phaseID, n); err != nil {
		tb.Fatalf("fill statements: %v", err)
	}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		var queued int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM statement_search_queue`).Scan(&queued); err != nil {
			tb.Fatal(err)
		}
		if queued == 0 {
			break
		}
		if time.Since(start) > 5*time.Minute {
			tb.Fatalf("%d statements still queued for search after 5 minutes", queued)
		}
	}
	for _, q := range []string{`VACUUM ANALYZE statements`, `VACUUM ANALYZE statement_search`, `VACUUM ANALYZE statement_search_queue`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
}
