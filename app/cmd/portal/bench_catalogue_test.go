package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"beteiligungsportal/infra/postgres"
)

// catalogueSize is how many procedures the catalogue benchmark searches.
const catalogueSize = 100_000

// fillCatalogue inserts catalogueSize published procedures with one phase each,
// spread over the demo municipalities, types and a small vocabulary of titles.
func fillCatalogue(b *testing.B, dsn string) {
	b.Helper()
	db, err := postgres.Open(dsn, postgres.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO procedures (id, organisation_id, slug, type, subtype, title, summary, description, ags,
			min_lon, min_lat, max_lon, max_lat, published_at, created_at, updated_at)
		SELECT gen_random_uuid(), o.id, 'bench-' || i,
			(ARRAY['land_use_plan','statute','survey','dialog'])[1 + i % 4],
			(ARRAY['bebauungsplan','gehoelzschutzsatzung','umfrage','dialog'])[1 + i % 4],
			(ARRAY['Bebauungsplan','Gehölzschutzsatzung','Umfrage','Dialog'])[1 + i % 4] || ' Nr. ' || i || ' „' ||
			(ARRAY['Am Mühlgraben','Hauptstraße','Bahnhofstraße','Am Markt','Schulcampus','Gewerbegebiet Nord','Wohnen am Park'])[1 + i % 7] || '“',
			'Beteiligung zu ' || (ARRAY['Wohnen','Gewerbe','Verkehr','Grünflächen','Schule'])[1 + i % 5] || ' in ' || o.name,
			'Beschreibung des Vorhabens Nummer ' || i,
			o.ags, 12.0 + (i % 200) * 0.01, 50.5 + (i % 100) * 0.01, 12.01 + (i % 200) * 0.01, 50.51 + (i % 100) * 0.01,
			now() - (i || ' minutes')::interval, now(), now()
		FROM generate_series(1, ?) AS i
		JOIN LATERAL (SELECT id, name, ags FROM organisations WHERE kind = 'municipality' ORDER BY id OFFSET (i % 3) LIMIT 1) o ON true`,
		`INSERT INTO procedure_phases (id, procedure_id, kind, audience, start_date, end_date, starts_at, ends_at, announced_on)
		SELECT gen_random_uuid(), p.id,
			CASE WHEN p.type = 'land_use_plan' THEN 'publication' ELSE 'participation' END, 'public',
			d.s, d.s + 40, d.s::timestamp AT TIME ZONE 'Europe/Berlin', (d.s + 41)::timestamp AT TIME ZONE 'Europe/Berlin',
			CASE WHEN p.type = 'land_use_plan' THEN d.s - 10 END
		FROM procedures p, LATERAL (SELECT (current_date - 60 + (hashtext(p.slug) & 127))::date AS s) d`,
		`ANALYZE`,
	}
	for i, q := range stmts {
		args := []any{}
		if i == 0 {
			args = append(args, catalogueSize)
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("fill catalogue: %v", err)
		}
	}
}

// measure runs GET path with parallel clients for the benchmark's iterations
// and reports requests/s and p50/p99 latency; relative to a baseline in req/s
// (0 for the baseline itself) it also reports the ratio.
func measure(b *testing.B, url string, baseline float64) float64 {
	b.Helper()
	var mu sync.Mutex
	var lat []time.Duration
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			res, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("%s: status %d", url, res.StatusCode)
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
	rps := float64(len(lat)) / elapsed.Seconds()
	b.ReportMetric(rps, "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	if baseline > 0 {
		b.ReportMetric(baseline/rps, "x-slower-than-static")
	}
	return rps
}

// BenchmarkCatalogue measures the public catalogue over 100,000 procedures next
// to a static JSON route of the same server in the same run. See docs/benchmarks.md.
func BenchmarkCatalogue(b *testing.B) {
	env := newEnv(b)
	fillCatalogue(b, env.cfg.DatabaseURL)
	srv := env.start(func(c *config) { c.RateLimitAPI = 1 << 30 })
	var static float64
	b.Run("static", func(b *testing.B) { static = measure(b, srv.URL+"/healthz", 0) })
	for _, bc := range []struct{ name, path string }{
		{"list-20-filtered", "/api/v1/procedures?type=land_use_plan&ags=14522000&open=true&limit=20"},
		{"list-20-deadline", "/api/v1/procedures?sort=deadline&limit=20"},
		{"detail", "/api/v1/procedures/bench-4242"},
		{"search", "/api/v1/procedures?q=m%C3%BChlgraben%20bebauungsplan&limit=20"},
		{"search-compound", "/api/v1/procedures?q=strasse&limit=20"},
	} {
		b.Run(bc.name, func(b *testing.B) { measure(b, srv.URL+bc.path, static) })
	}
}
