package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"beteiligungsportal/infra/postgres"
)

// catalogueSize is the number of procedures loaded; PORTAL_BENCH_PROCEDURES
// changes it (e.g. 1000000 for the search at scale).
func catalogueSize(b *testing.B) int {
	if v := os.Getenv("PORTAL_BENCH_PROCEDURES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10_000 {
			b.Fatalf("PORTAL_BENCH_PROCEDURES=%q: want a number of at least 10000", v)
		}
		return n
	}
	return 100_000
}

// fillCatalogue inserts n published procedures spread over the demo
// municipalities, types and a small vocabulary of titles, with schedules as the
// repository writes them: one main phase each, starting between 60 days ago and
// 67 days ahead and lasting 41 days, an earlier phase for land-use plans, every
// eighth dialog open-ended, and about one in eight of those long over concluded.
// So about a third are open now and most have a deadline ahead.
func fillCatalogue(b *testing.B, dsn string, n int) {
	b.Helper()
	db, err := postgres.Open(dsn, postgres.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	stmts := []string{
		`WITH orgs AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(name ORDER BY id) AS names,
				array_agg(ags ORDER BY id) AS agss, count(*)::int AS n
			FROM organisations WHERE kind = 'municipality'),
		g AS (SELECT i, 'bench-' || i AS slug, hashtext('bench-' || i) AS h FROM generate_series(1, ?) AS i),
		t AS (SELECT g.*, i % 4 = 3 AND h & 7 = 0 AS open_ended,
				(current_date - 60 + (h & 127))::timestamp AT TIME ZONE 'Europe/Berlin' AS main_start,
				(current_date - 60 + (h & 127) + 41)::timestamp AT TIME ZONE 'Europe/Berlin' AS main_end,
				(current_date - 60 + (h & 127) - 75)::timestamp AT TIME ZONE 'Europe/Berlin' AS early_start,
				(current_date - 60 + (h & 127) - 60)::timestamp AT TIME ZONE 'Europe/Berlin' AS early_end
			FROM g)
		INSERT INTO procedures (id, organisation_id, slug, type, subtype, title, summary, description, ags,
			min_lon, min_lat, max_lon, max_lat, published_at, concluded_at, participation, phase_ends, created_at, updated_at)
		SELECT gen_random_uuid(), orgs.ids[1 + i % orgs.n], slug,
			(ARRAY['land_use_plan','statute','survey','dialog'])[1 + i % 4],
			(ARRAY['bebauungsplan','gehoelzschutzsatzung','umfrage','dialog'])[1 + i % 4],
			(ARRAY['Bebauungsplan','Gehölzschutzsatzung','Umfrage','Dialog'])[1 + i % 4] || ' Nr. ' || i || ' „' ||
			(ARRAY['Am Mühlgraben','Hauptstraße','Bahnhofstraße','Am Markt','Schulcampus','Gewerbegebiet Nord','Wohnen am Park'])[1 + i % 7] || '“',
			'Beteiligung zu ' || (ARRAY['Wohnen','Gewerbe','Verkehr','Grünflächen','Schule'])[1 + i % 5] || ' in ' || orgs.names[1 + i % orgs.n],
			'Beschreibung des Vorhabens Nummer ' || i,
			orgs.agss[1 + i % orgs.n], 12.0 + (i % 200) * 0.01, 50.5 + (i % 100) * 0.01, 12.01 + (i % 200) * 0.01, 50.51 + (i % 100) * 0.01,
			now() - (i || ' minutes')::interval,
			CASE WHEN NOT open_ended AND main_end < now() - interval '7 days' AND h & 8 = 0 THEN main_end + interval '7 days' END,
			CASE WHEN i % 4 = 0 THEN tstzmultirange(tstzrange(early_start, early_end), tstzrange(main_start, main_end))
				WHEN open_ended THEN tstzmultirange(tstzrange(main_start, NULL))
				ELSE tstzmultirange(tstzrange(main_start, main_end)) END,
			CASE WHEN i % 4 = 0 THEN ARRAY[early_end, main_end] WHEN open_ended THEN '{}' ELSE ARRAY[main_end] END,
			now(), now()
		FROM t, orgs`,
		// one phase per period of the schedule
		`INSERT INTO procedure_phases (id, procedure_id, kind, audience, start_date, end_date, starts_at, ends_at, announced_on)
		SELECT gen_random_uuid(), p.id,
			CASE WHEN p.type <> 'land_use_plan' THEN 'participation' WHEN r.n = 1 THEN 'early_public' ELSE 'publication' END, 'public',
			(lower(r.r) AT TIME ZONE 'Europe/Berlin')::date, (upper(r.r) AT TIME ZONE 'Europe/Berlin')::date - 1,
			lower(r.r), upper(r.r),
			CASE WHEN p.type = 'land_use_plan' AND r.n = 2 THEN (lower(r.r) AT TIME ZONE 'Europe/Berlin')::date - 10 END
		FROM procedures p, unnest(p.participation) WITH ORDINALITY AS r(r, n)
		WHERE p.slug LIKE 'bench-%'`,
		`VACUUM ANALYZE`,
	}
	for i, q := range stmts {
		args := []any{}
		if i == 0 {
			args = append(args, n)
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
// to a static JSON route of the same server in the same run, each case once
// without the shared cache (every request reaches PostgreSQL) and once with it
// (anonymous readers asking the same page). See docs/benchmarks.md.
func BenchmarkCatalogue(b *testing.B) {
	env := newEnv(b)
	fillCatalogue(b, env.cfg.DatabaseURL, catalogueSize(b))
	cached := env.start(func(c *config) { c.RateLimitAPI = 1 << 30 })
	uncached := env.start(func(c *config) { c.RateLimitAPI, c.NoPublicCache = 1<<30, true })
	var static float64
	b.Run("static", func(b *testing.B) { static = measure(b, cached.URL+"/healthz", 0) })
	for _, bc := range []struct{ name, path string }{
		{"list-20-newest", "/api/v1/procedures?limit=20"},
		{"list-20-filtered", "/api/v1/procedures?type=land_use_plan&ags=14522000&open=true&limit=20"},
		{"list-20-status", "/api/v1/procedures?status=evaluation&limit=20"},
		{"list-20-bbox", "/api/v1/procedures?bbox=12.50,50.99,12.52,51.01&limit=20"},
		{"list-20-deadline", "/api/v1/procedures?sort=deadline&limit=20"},
		{"list-20-deadline-page-2", "/api/v1/procedures?sort=deadline&limit=20&cursor=" + secondPage(b, cached.URL+"/api/v1/procedures?sort=deadline&limit=20")},
		{"detail", "/api/v1/procedures/bench-4242"},
		{"feed", "/api/v1/procedures.atom"},
		{"geojson-100", "/api/v1/procedures.geojson?bbox=12.50,50.90,12.70,51.10&limit=100"},
		{"search", "/api/v1/procedures?q=m%C3%BChlgraben%20bebauungsplan&limit=20"},
		{"search-compound", "/api/v1/procedures?q=strasse&limit=20"},
		{"search-rare", "/api/v1/procedures?q=4242&limit=20"},
		{"search-deadline", "/api/v1/procedures?q=bebauungsplan&sort=deadline&limit=20"},
	} {
		if !strings.Contains(bc.path, ".atom") && !strings.Contains(bc.path, ".geojson") {
			wantItems(b, cached.URL+bc.path)
		}
		b.Run(bc.name+"/uncached", func(b *testing.B) { measure(b, uncached.URL+bc.path, static) })
		b.Run(bc.name+"/cached", func(b *testing.B) { measure(b, cached.URL+bc.path, static) })
	}
}

// secondPage returns the cursor of the page after the first one of url.
func secondPage(b *testing.B, url string) string {
	b.Helper()
	var page struct {
		NextCursor string `json:"next_cursor"`
	}
	getJSON(b, url, &page)
	if page.NextCursor == "" {
		b.Fatalf("%s: no second page", url)
	}
	return neturl.QueryEscape(page.NextCursor)
}

// wantItems makes sure a case measures real answers, not an empty page.
func wantItems(b *testing.B, url string) {
	b.Helper()
	var body struct {
		Items *[]json.RawMessage `json:"items"`
		ID    string             `json:"id"`
	}
	getJSON(b, url, &body)
	if (body.Items == nil && body.ID == "") || (body.Items != nil && len(*body.Items) == 0) {
		b.Fatalf("%s: empty answer", url)
	}
}

func getJSON(b *testing.B, url string, v any) {
	b.Helper()
	res, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("%s: status %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		b.Fatalf("%s: %v", url, err)
	}
}
