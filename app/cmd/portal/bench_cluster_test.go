package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkCluster compares, in one run on one machine, three portal
// processes behind HAProxy with one process asked directly and one behind
// HAProxy: a public catalogue page and a statement submission. On two cores
// three instances share the same CPUs with PostgreSQL, Redis and HAProxy, so
// the figures show the balancer's overhead, not a gain; see docs/benchmarks.md.
func BenchmarkCluster(b *testing.B) {
	if _, err := haproxyPath(); err != nil {
		b.Skip(err)
	}
	env := newEnv(b)
	one := startCluster(b, env, 1)
	three := startCluster(b, env, 3)
	editor := (&testServer{URL: one.procs[0].URL}).client(b)
	editor.login("freiberg-editor@demo.example")
	path := "/api/v1/procedures/" + openPlan(b, editor)
	targets := []struct{ name, url string }{
		{"one-direct", one.procs[0].URL},
		{"one-behind-haproxy", one.LB},
		{"three-behind-haproxy", three.LB},
	}

	// A sub-benchmark runs several times with growing b.N; the last run of
	// one-direct, finished before the next target starts, is the baseline.
	base := map[string]float64{}
	ratio := func(b *testing.B, kind, name string, rate float64) {
		if name == targets[0].name {
			base[kind] = rate
			return
		}
		b.ReportMetric(rate/base[kind], "x-of-one-direct")
	}
	for _, tc := range targets {
		b.Run("catalogue/"+tc.name, func(b *testing.B) {
			ratio(b, "catalogue", tc.name, measure(b, tc.url+"/api/v1/procedures?limit=20", 0))
		})
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, tc := range targets {
		b.Run("submit-json/"+tc.name, func(b *testing.B) {
			rate := measureOps(b, func(i int64) error {
				raw, _ := json.Marshal(citizen(fmt.Sprintf("Stellungnahme %s %d: Die Lindenallee braucht einen Radweg.", tc.name, i)))
				return postStatement(client, tc.url+path, bytes.NewReader(raw), "application/json")
			}, 0, "ops")
			ratio(b, "submit", tc.name, rate)
		})
	}
}
