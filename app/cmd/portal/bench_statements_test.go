package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"

	appstmt "beteiligungsportal/app/statement"
	"beteiligungsportal/domain/statement"
	"beteiligungsportal/infra/postgres"
)

// measureOps runs op with parallel workers for the benchmark's iterations and
// reports operations/s and p50/p99 latency; relative to a baseline in ops/s
// (0 for the baseline itself) it also reports the ratio.
func measureOps(b *testing.B, op func(i int64) error, baseline float64, unit string) float64 {
	b.Helper()
	var mu sync.Mutex
	var lat []time.Duration
	var n atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			if err := op(n.Add(1)); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	rate := float64(len(lat)) / elapsed.Seconds()
	b.ReportMetric(rate, unit+"/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	if baseline > 0 {
		b.ReportMetric(baseline/rate, "x-slower-than-insert")
	}
	return rate
}

// burstClients is how many clients submit at once in BenchmarkSubmission: a
// burst of citizens before a deadline, not one at a time.
const burstClients = 16

// measureBurst is measureOps with burstClients parallel workers.
func measureBurst(b *testing.B, op func(i int64) error, baseline float64) float64 {
	b.Helper()
	b.SetParallelism((burstClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	return measureOps(b, op, baseline, "ops")
}

// postStatement submits one statement to the procedure at url and wants 201.
func postStatement(client *http.Client, url string, body io.Reader, contentType string) error {
	return wantStatus(201)(client.Post(url+"/statements", contentType, body))
}

// wantStatus reads a benchmark's answer to the end, so that its connection
// is reused, and wants it to have status.
func wantStatus(status int) func(res *http.Response, err error) error {
	return func(res *http.Response, err error) error {
		if err != nil {
			return err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		if res.StatusCode != status {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}
}

// writeDurably writes content to dir/name as a file store must before it
// acknowledges: to a temporary file that is synced, then renamed into place,
// then the directory synced.
func writeDurably(dir, name string, content []byte) error {
	f, err := os.CreateTemp(dir, name+"~*")
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// baselineDB is a pool for a benchmark's plain inserts that keeps a
// connection for every client. With database/sql's default of two idle
// connections, clients that pause (as for a file's fsync) find theirs closed
// and open a new one: a new PostgreSQL backend, on this machine about 100 ms.
func baselineDB(b *testing.B, dsn string) *sql.DB {
	b.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(burstClients + 4)
	db.SetMaxIdleConns(burstClients + 4)
	return db
}

// scanContent is n bytes as a scanned page's compressed image data is: no
// pattern. Zeros are not: this machine's disk writes them about half as fast.
func scanContent(n int) []byte {
	buf := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	return buf
}

// BenchmarkSubmission measures statement submission through the server (JSON,
// and multipart with a 100 KB PDF) next to a plain single-row INSERT into the
// same PostgreSQL in the same run, and the use case called without HTTP. The
// server queues the receipt mails without sending them, except in the case
// that names the delivery. See docs/benchmarks.md.
func BenchmarkSubmission(b *testing.B) {
	env := newEnv(b)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	unlimited := func(c *config) {
		c.RateLimitAPI, c.RateLimitStatements, c.RateLimitStatementsProc = 1<<30, 1<<30, 1<<30
	}
	// Without a mail server the receipts stay queued in the outbox: the
	// submission is measured, not the mail catcher on the same cores.
	srv := env.start(unlimited, func(c *config) { c.SMTPURL = "" })
	editor := srv.client(b)
	editor.login("freiberg-editor@demo.example")
	path, _, _ := statementPlan(b, editor)
	// Many procedures open at once: their numbers do not wait for each other.
	many := make([]string, 16)
	for i := range many {
		many[i], _, _ = statementPlan(b, editor)
	}
	clock.Set("2026-10-10 10:00:00")

	db := baselineDB(b, env.cfg.DatabaseURL)
	if _, err := db.Exec(`CREATE TABLE bench_plain (id uuid PRIMARY KEY, text text NOT NULL, at timestamptz NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	var insert float64
	b.Run("plain-insert", func(b *testing.B) {
		insert = measureBurst(b, func(int64) error {
			_, err := db.ExecContext(context.Background(), `INSERT INTO bench_plain VALUES ($1, $2, now())`,
				uuid.Must(uuid.NewV7()), "Die Lindenallee braucht einen sicheren Radweg.")
			return err
		}, 0)
	})

	// The same insert, and a 100 KB file written as durably as an upload must
	// be (synced, renamed into place, directory synced): what the disk allows
	// a submission with an attachment at best.
	scan := append(samplePDF("Anlage"), scanContent(100<<10)...)
	var insertAndFile float64
	b.Run("plain-insert-and-durable-100KB-file", func(b *testing.B) {
		dir := b.TempDir()
		insertAndFile = measureBurst(b, func(i int64) error {
			if err := writeDurably(dir, fmt.Sprintf("f%d", i), scan); err != nil {
				return err
			}
			_, err := db.ExecContext(context.Background(), `INSERT INTO bench_plain VALUES ($1, $2, now())`,
				uuid.Must(uuid.NewV7()), "Die Lindenallee braucht einen sicheren Radweg.")
			return err
		}, insert)
	})

	// The use case as the handler calls it: procedure, validation, number,
	// digest, the transaction; no HTTP, no rate limits.
	bdb, err := postgres.Open(env.cfg.DatabaseURL, postgres.PoolConfig{MaxOpen: 10, MaxIdle: 10})
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	svc, err := newServices(env.cfg, bdb, slog.New(slog.DiscardHandler), clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	procID := strings.TrimPrefix(path, "/api/v1/procedures/")
	b.Run("use-case-without-http", func(b *testing.B) {
		measureBurst(b, func(i int64) error {
			in := statement.Input{Text: fmt.Sprintf("Stellungnahme Nummer %d: Die Lindenallee braucht einen sicheren Radweg.", i),
				PrivacyVersion: "2026-11-01", Submitter: statement.Submitter{Name: "Erika Mustermann",
					Address: "Lindenallee 3, 09599 Freiberg", Email: "erika@example.org"}}
			_, err := svc.statements.Submit(context.Background(), nil, procID, appstmt.Submission{Input: in})
			return err
		}, insert)
	})

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	postTo := func(url, path string, body io.Reader, contentType string) error {
		return postStatement(client, url+path, body, contentType)
	}
	post := func(body io.Reader, contentType string) error { return postTo(srv.URL, path, body, contentType) }
	jsonStatement := func(i int64) io.Reader {
		raw, _ := json.Marshal(citizen(fmt.Sprintf("Stellungnahme Nummer %d: Die Lindenallee braucht einen sicheren Radweg.", i)))
		return bytes.NewReader(raw)
	}
	// A route without work, asked by the same clients: what an HTTP round
	// trip through this server costs next to the insert.
	b.Run("healthz-round-trip", func(b *testing.B) {
		measureBurst(b, func(int64) error { return wantStatus(200)(client.Get(srv.URL + "/healthz")) }, insert)
	})
	b.Run("submit-json", func(b *testing.B) {
		measureBurst(b, func(i int64) error { return post(jsonStatement(i), "application/json") }, insert)
		reportSearchQueue(b, db)
	})
	// A statement as long as real ones are: stemming it and indexing its
	// words and trigrams grow with the text, the rest of a submission does
	// not.
	b.Run("submit-json-2800-characters", func(b *testing.B) {
		measureBurst(b, func(i int64) error {
			raw, _ := json.Marshal(citizen(longStatement(i)))
			return post(bytes.NewReader(raw), "application/json")
		}, insert)
		reportSearchQueue(b, db)
	})
	b.Run("submit-json-many-procedures", func(b *testing.B) {
		measureBurst(b, func(i int64) error {
			return postTo(srv.URL, many[i%int64(len(many))], jsonStatement(i), "application/json")
		}, insert)
	})
	b.Run("submit-with-100KB-pdf", func(b *testing.B) {
		rate := measureBurst(b, func(i int64) error {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			raw, _ := json.Marshal(citizen(fmt.Sprintf("Stellungnahme mit Anlage %d", i)))
			_ = w.WriteField("statement", string(raw))
			fw, _ := w.CreateFormFile("attachments", "anlage.pdf")
			_, _ = fw.Write(scan)
			_ = w.Close()
			return post(&body, w.FormDataContentType())
		}, insert)
		if rate > 0 {
			b.ReportMetric(insertAndFile/rate, "x-slower-than-insert-and-file")
		}
	})
	// A server that also sends every receipt to the test's mail catcher
	// meanwhile, on the same cores. The queue so far counts as sent, so that
	// only this case's mails are delivered.
	var mailing *testServer
	b.Run("submit-json-delivering-mail", func(b *testing.B) {
		if mailing == nil {
			if _, err := db.Exec(`UPDATE mail_outbox SET status = 'sent', sent_at = now() WHERE status = 'queued'`); err != nil {
				b.Fatal(err)
			}
			mailing = env.start(unlimited)
		}
		measureBurst(b, func(i int64) error { return postTo(mailing.URL, path, jsonStatement(i), "application/json") }, insert)
	})
}

// reportSearchQueue reports how many statements wait for the search index
// at the end of a burst, and how long the indexer takes to take them all.
func reportSearchQueue(b *testing.B, db *sql.DB) {
	b.Helper()
	queued := func() (n int) {
		if err := db.QueryRow(`SELECT count(*) FROM statement_search_queue`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	start := time.Now()
	b.ReportMetric(float64(queued()), "search-queue")
	for queued() > 0 {
		if time.Since(start) > time.Minute {
			b.Fatal("the search index did not take its queue within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(time.Since(start).Seconds(), "search-drain-s")
}

// statementSentences are what longStatement is made of.
var statementSentences = []string{
	"Gegen den Entwurf des Bebauungsplans erhebe ich folgende Einwendungen, die ich bitte, in der Abwägung zu berücksichtigen.",
	"Die geplante Zufahrt über die Lindenallee führt den gesamten Lieferverkehr des Gewerbegebiets an der Grundschule vorbei.",
	"Schon heute queren morgens über zweihundert Schulkinder die Fahrbahn an einer Stelle ohne Überweg und ohne Ampel.",
	"Die Lärmschutzwand ist nach dem Gutachten nur zwei Meter hoch, obwohl die Wohnhäuser an der Mühlstraße dreigeschossig sind.",
	"Für die Versiegelung von fast vier Hektar Ackerland nennt die Begründung keine Ausgleichsfläche in der Gemeinde selbst.",
	"Die alte Eichenreihe am Mühlgraben ist ein Brutplatz für Fledermäuse und Höhlenbrüter und muss erhalten bleiben.",
	"Das Regenrückhaltebecken ist für ein hundertjährliches Ereignis zu klein bemessen, wie das Hochwasser im Sommer gezeigt hat.",
	"Ich rege an, die Stellplätze in einer Tiefgarage unterzubringen und die Dächer zu begrünen und mit Photovoltaik zu belegen.",
	"Die Frischluftschneise vom Stadtwald in die Innenstadt würde durch die geplanten Hallen mit fünfzehn Metern Höhe unterbrochen.",
	"Eine Anbindung an den Nahverkehr fehlt: Die nächste Bushaltestelle liegt einen Kilometer entfernt und wird stündlich bedient.",
	"Die Verkehrsprognose beruht auf Zählungen aus dem Jahr 2019 und berücksichtigt das neue Wohngebiet am Schulweg nicht.",
	"Ich bitte um eine Eingangsbestätigung und um Nachricht über das Ergebnis der Prüfung meiner Stellungnahme.",
}

// longStatement is a statement of about 2,800 characters, different for
// every i.
func longStatement(i int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Stellungnahme Nummer %d. ", i)
	for j := int64(0); b.Len() < 2800; j++ {
		b.WriteString(statementSentences[(i+j*j)%int64(len(statementSentences))])
		b.WriteString(" ")
	}
	return b.String()
}
