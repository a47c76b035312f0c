package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// fillStatements appends n statements to a procedure with SQL, as fast as
// PostgreSQL takes them: texts of about 1 KB in the given phase, every
// second one weighed with topics, an answer of about 300 characters and a
// decision. The procedure's counter moves on, so later submissions get the
// next numbers.
func fillStatements(tb testing.TB, dsn, procedureID, phaseID string, n int) {
	tb.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	steps := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO statements (id, procedure_id, phase_id, number, seq, channel, kind, submitter_name,
			submitter_address, submitter_email, text, digest, received_at, timely, status, topics, answer, decision)
		SELECT gen_random_uuid(), $1::uuid, $2::uuid,
			'F' || left(md5($1::text), 6) || '-2026-' || lpad(i::text, 7, '0'), i, 'online', 'citizen',
			'Person ' || i, 'Musterstraße ' || i % 200 || E'\n09599 Freiberg', 'person' || i || '@example.org',
			'Stellungnahme ' || i || E':\n' || repeat('Die Lindenallee braucht einen sicheren Radweg, und die Linden müssen erhalten bleiben. ', 11),
			encode(sha256(convert_to($1::text || i, 'UTF8')), 'hex'),
			timestamptz '2026-10-05 08:00:00+02' + i * interval '1 second', true,
			CASE WHEN i % 2 = 0 THEN 'weighed' ELSE 'received' END,
			CASE WHEN i % 2 = 0 THEN ARRAY['Radweg', 'Verkehr'] ELSE '{}' END,
			CASE WHEN i % 2 = 0 THEN repeat('Der Radweg wird im Plan festgesetzt; die Linden bleiben erhalten. ', 5) ELSE '' END,
			CASE WHEN i % 2 = 0 THEN 'followed' ELSE '' END
		FROM (SELECT coalesce(max(seq), 0) AS last FROM statements WHERE procedure_id = $1::uuid) s,
			generate_series(s.last + 1, s.last + $3) AS i`, []any{procedureID, phaseID, n}},
		{`INSERT INTO statement_counters (procedure_id, code, last)
		SELECT $1::uuid, 'F' || left(md5($1::text), 6), max(seq) FROM statements WHERE procedure_id = $1::uuid
		ON CONFLICT (procedure_id) DO UPDATE SET last = excluded.last`, []any{procedureID}},
		// As autovacuum would, but now: its work on the new rows' indexes
		// must not run during the measurements.
		{`VACUUM ANALYZE statements`, nil},
	}
	for _, st := range steps {
		if _, err := db.ExecContext(ctx, st.q, st.args...); err != nil {
			tb.Fatalf("fill statements: %v", err)
		}
	}
}

// heapPeak samples the heap while an export runs, every 2 ms, through
// runtime/metrics (which does not stop the world): the heap's objects, live
// and not yet collected, and the live heap as the last collection found it.
type heapPeak struct {
	stop       chan struct{}
	done       sync.WaitGroup
	heap, live uint64
}

func heapNow() (heap, live uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			heap, live := heapNow()
			h.heap, h.live = max(h.heap, heap), max(h.live, live)
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Stop ends the sampling and returns the peaks.
func (h *heapPeak) Stop() (heap, live uint64) {
	close(h.stop)
	h.done.Wait()
	return h.heap, h.live
}

// BenchmarkExport measures the assessment table export of one procedure
// with 10,000 and then 100,000 statements, through the server as a browser
// downloads it: time; how far the heap of the whole process (server,
// client, database driver) rose above where it was before the export, both
// the live heap at collections (peak-live) and all objects including garbage
// not yet collected (peak-heap, up to five times the live heap at serve's
// GOGC of 400); bytes allocated; and the file's size. The PDF is capped (handler.MaxPDFRows), so
// it is measured for the 5,000 weighed statements of the smaller set. See
// docs/benchmarks.md.
func BenchmarkExport(b *testing.B) {
	env, srv, editor, path, public := openPlanForBench(b, "2026-11-23 10:00:00")
	id := strings.TrimPrefix(path, "/api/v1/procedures/")
	client := &http.Client{Jar: editor.http.Jar}

	export := func(b *testing.B, query string) { benchDownload(b, client, srv.URL+path+"/statements/"+query) }

	for _, size := range []struct {
		total int
		name  string
	}{{10_000, "10k"}, {100_000, "100k"}} {
		var have int
		if err := env.dbCount(id, &have); err != nil {
			b.Fatal(err)
		}
		fillStatements(b, env.cfg.DatabaseURL, id, public, size.total-have)
		b.Run("csv-"+size.name, func(b *testing.B) { export(b, "export.csv") })
		b.Run("xlsx-"+size.name, func(b *testing.B) { export(b, "export.xlsx") })
		if size.total == 10_000 {
			b.Run("pdf-5k", func(b *testing.B) { export(b, "export.pdf?status=weighed") })
		}
	}
}

// benchDownload downloads url as a browser does, once per iteration, and
// reports how far the heap of the whole process (server, client, database
// driver) rose above where it was before: the live heap at collections
// (peak-live) and all objects including garbage not yet collected
// (peak-heap); bytes allocated; and the file's size.
func benchDownload(b *testing.B, client *http.Client, url string) {
	var size int64
	var heap, live, allocs uint64
	for b.Loop() {
		runtime.GC()
		baseHeap, baseLive := heapNow()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		h := startHeapPeak()
		res, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%s: status %d, %v", url, res.StatusCode, err)
		}
		topHeap, topLive := h.Stop()
		runtime.ReadMemStats(&ms)
		size, allocs = n, ms.TotalAlloc-before
		heap, live = max(heap, topHeap-min(topHeap, baseHeap)), max(live, topLive-min(topLive, baseLive))
	}
	b.ReportMetric(float64(live)/(1<<20), "peak-live-MiB")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(allocs)/(1<<20), "alloc-MiB/op")
	b.ReportMetric(float64(size)/(1<<20), "file-MiB")
}

// dbCount counts a procedure's statements.
func (e *testEnv) dbCount(procedureID string, n *int) error {
	db, err := sql.Open("pgx", e.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.QueryRow(`SELECT count(*) FROM statements WHERE procedure_id = $1`, procedureID).Scan(n)
	if err != nil {
		return fmt.Errorf("count statements: %w", err)
	}
	return nil
}

// openPlanForBench starts a server without an API limit, logs in the Freiberg
// editor and creates a statement plan, with the clock moved to inPhase, a
// time in the plan's public phase: the start of the benchmarks that read
// statements. It answers the plan's path and the ID of its public phase.
func openPlanForBench(b *testing.B, inPhase string) (env *testEnv, srv *testServer, editor *client, path, public string) {
	b.Helper()
	env = newEnv(b)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv = env.start(func(c *config) { c.RateLimitAPI = 1 << 30 })
	editor = srv.client(b)
	editor.login("freiberg-editor@demo.example")
	path, public, _ = statementPlan(b, editor)
	clock.Set(inPhase)
	return env, srv, editor, path, public
}
