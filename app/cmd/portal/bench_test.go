package main

import (
	"io"
	"net/http"
	"testing"
)

// The benchmarks drive a real server over loopback with real PostgreSQL and Redis.
// BenchmarkHealthz is the baseline: the same HTTP stack and middleware without
// any storage; compare the others as ratios to it.

func benchGet(b *testing.B, srv *testServer, c *client, path string) {
	b.Helper()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		hc := &http.Client{Jar: c.http.Jar}
		for pb.Next() {
			res, err := hc.Get(srv.URL + path)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("%s: status %d", path, res.StatusCode)
			}
		}
	})
}

func benchServer(b *testing.B) (*testServer, *client) {
	env := newEnv(b)
	srv := env.start(func(c *config) { c.RateLimitAPI = 1 << 30 })
	c := srv.client(b)
	c.login("freiberg-admin@demo.example")
	return srv, c
}

// BenchmarkHealthz is the baseline: routing, middleware, JSON, no storage.
func BenchmarkHealthz(b *testing.B) {
	srv, c := benchServer(b)
	benchGet(b, srv, c, "/healthz")
}

// BenchmarkOrganisations is a public read: API rate limit in Redis plus one query.
func BenchmarkOrganisations(b *testing.B) {
	srv, c := benchServer(b)
	benchGet(b, srv, c, "/api/v1/organisations")
}

// BenchmarkMe is an authenticated read: rate limit, session and CSRF token from
// Redis, account and memberships from PostgreSQL.
func BenchmarkMe(b *testing.B) {
	srv, c := benchServer(b)
	benchGet(b, srv, c, "/api/v1/me")
}
