package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"testing"

	"github.com/google/uuid"
)

// Sizes of the benchmark dialog: 25,000 threads with three replies each
// make 100,000 contributions; 50,000 confirmed participants vote.
const (
	benchThreads      = 25_000
	benchParticipants = 50_000
)

// fillDialog loads the threads and participants with SQL. Participant i's
// key is "BENCHTOKEN<i>", stored as the portal stores keys (SHA-256 hex).
func fillDialog(b *testing.B, db *sql.DB, procID string) {
	b.Helper()
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO dialog_participants (id, procedure_id, pseudonym, token_hash, confirmed_at, created_at)
		SELECT gen_random_uuid(), $1, 'Teilnehmende ' || i, encode(sha256(('BENCHTOKEN' || i)::bytea), 'hex'), now(), now()
		FROM generate_series(1, ` + fmt.Sprint(benchParticipants) + `) AS i`,
		`WITH p AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM dialog_participants WHERE procedure_id = $1),
		t AS (SELECT gen_random_uuid() AS id, i FROM generate_series(1, ` + fmt.Sprint(benchThreads) + `) AS i)
		INSERT INTO dialog_contributions (id, procedure_id, root_id, depth, participant_id, title, body, state, supporters, replies,
			created_at, updated_at)
		SELECT t.id, $1, t.id, 0, p.id, 'Vorschlag ' || t.i || ': mehr Bäume am Schlossplatz',
			'Im Sommer ist der Platz eine Hitzeinsel. Ein paar große Bäume und Bänke darunter wären schön. Nummer ' || t.i,
			'published', (t.i * 7919) % 500, 3, now() - t.i * interval '1 minute', now() - t.i * interval '1 minute'
		FROM t JOIN p ON p.rn = 1 + t.i % ` + fmt.Sprint(benchParticipants),
		`WITH p AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM dialog_participants WHERE procedure_id = $1)
		INSERT INTO dialog_contributions (id, procedure_id, parent_id, root_id, depth, participant_id, body, state, created_at, updated_at)
		SELECT gen_random_uuid(), $1, r.id, r.id, 1, p.id, 'Dem stimme ich zu, Antwort ' || k, 'published',
			r.created_at + k * interval '1 second', r.created_at + k * interval '1 second'
		FROM dialog_contributions r, generate_series(1, 3) AS k, p
		WHERE r.procedure_id = $1 AND r.depth = 0 AND p.rn = 1 + (abs(hashtext(r.id::text)) + k) % ` + fmt.Sprint(benchParticipants),
		`VACUUM ANALYZE dialog_participants, dialog_contributions`,
	}
	for i, q := range stmts {
		var args []any
		if i < len(stmts)-1 {
			args = []any{procID}
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("fill dialog: %v\n%s", err, q)
		}
	}
	var n int
	_ = db.QueryRow(`SELECT count(*) FROM dialog_contributions WHERE procedure_id = $1`, procID).Scan(&n)
	if n != 4*benchThreads {
		b.Fatalf("dialog has %d contributions", n)
	}
}

// BenchmarkDialog measures a dialog of 100,000 contributions: the public
// list of 20 threads in each order and a thread, next to the static route
// of the same server in the same run; and support votes from distinct
// participants, spread over the threads and all on one (the row every vote
// waits for), next to plain single-row inserts into the same database. See
// docs/benchmarks.md. It ends with the export of every contribution.
func BenchmarkDialog(b *testing.B) {
	env := newEnv(b)
	srv := env.start(func(c *config) {
		c.RateLimitAPI, c.RateLimitStatements, c.RateLimitStatementsProc = 1<<30, 1<<30, 1<<30
	})
	editor := srv.client(b)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(b, editor, "email", "post")
	procID := path[len("/api/v1/procedures/"):]
	db := baselineDB(b, env.cfg.DatabaseURL)
	fillDialog(b, db, procID)
	var root string
	if err := db.QueryRow(`SELECT id FROM dialog_contributions WHERE procedure_id = $1 AND depth = 0 ORDER BY created_at DESC LIMIT 1`,
		procID).Scan(&root); err != nil {
		b.Fatal(err)
	}

	var static float64
	b.Run("static", func(b *testing.B) { static = measure(b, srv.URL+"/healthz", 0) })
	list := srv.URL + path + "/dialog/contributions?limit=20"
	for _, bc := range []struct{ name, url string }{
		{"list-20-newest", list},
		{"list-20-supported", list + "&sort=supported"},
		{"list-20-discussed", list + "&sort=discussed"},
		{"list-20-newest-page-2", list + "&cursor=" + secondPage(b, list)},
		{"list-20-supported-page-2", list + "&sort=supported&cursor=" + secondPage(b, list+"&sort=supported")},
		{"thread", srv.URL + "/api/v1/dialog/contributions/" + root},
	} {
		wantItems(b, bc.url)
		b.Run(bc.name, func(b *testing.B) { measure(b, bc.url, static) })
	}

	if _, err := db.Exec(`CREATE TABLE bench_plain_votes (id uuid PRIMARY KEY, at timestamptz NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	var insert float64
	b.Run("plain-insert", func(b *testing.B) {
		insert = measureOps(b, func(int64) error {
			_, err := db.ExecContext(context.Background(), `INSERT INTO bench_plain_votes VALUES ($1, now())`, uuid.Must(uuid.NewV7()))
			return err
		}, 0, "ops")
	})
	var roots []string
	rows, err := db.Query(`SELECT id FROM dialog_contributions WHERE procedure_id = $1 AND depth = 0 ORDER BY id`, procID)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		roots = append(roots, id)
	}
	rows.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	vote := func(contribution string, participant int64) error {
		req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/dialog/contributions/"+neturl.PathEscape(contribution)+"/support", nil)
		req.Header.Set("X-Dialog-Token", fmt.Sprintf("BENCHTOKEN%d", participant))
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 && res.StatusCode != 409 { // 409: a participant's own contribution
			return fmt.Errorf("vote: status %d: %s", res.StatusCode, body)
		}
		return nil
	}
	// Each vote is a new pair of participant and thread, as long as the run
	// has fewer votes than participants × threads.
	b.Run("vote-spread", func(b *testing.B) {
		measureOps(b, func(i int64) error {
			return vote(roots[(i/benchParticipants+i*7)%int64(len(roots))], 1+i%benchParticipants)
		}, insert, "votes")
	})
	var offset int64
	b.Run("vote-one-thread", func(b *testing.B) {
		measureOps(b, func(i int64) error { return vote(root, 1+(offset+i)%benchParticipants) }, insert, "votes")
		offset += int64(b.N)
	})

	// The agency's export of all 100,000 contributions, measured like the
	// assessment table's (BenchmarkExport): memory stays flat while it streams.
	staff := &http.Client{Jar: editor.http.Jar}
	for _, f := range []string{"csv", "xlsx"} {
		b.Run("export-100k-"+f, func(b *testing.B) { benchDownload(b, staff, srv.URL+path+"/dialog/export."+f) })
	}
}
