package main

import (
	"strings"
	"testing"
	"time"
)

// The shared cache of public answers: a 304 carries the ETag of the 200, a
// cached "open" does not outlive its phase, drafts and staff answers never
// reach anonymous readers, and a change on one instance is seen on another.
func TestPublicCacheIsCorrect(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-06-01 10:00:00")
	env.clock = clock.Now
	a, b := env.start(), env.start()
	editor := a.client(t)
	editor.login("doebeln-editor@demo.example")
	res := editor.do("POST", "/api/v1/organisations/"+editor.orgID("Döbeln")+"/procedures", map[string]any{
		"type": "statute", "subtype": "gehoelzschutzsatzung", "title": "Gehölzschutzsatzung Lindenallee",
		"summary": "Entwurf zur Beteiligung"})
	if res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	id := decodeProcedure(t, res).ID
	path := "/api/v1/procedures/" + id
	if res := editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2026-06-01", "end": "2026-06-10"}); res.Status != 201 {
		t.Fatalf("phase: %d %s", res.Status, res.Body)
	}
	anonA, anonB := a.client(t), b.client(t)

	// A draft: staff read it, never shared; anonymous readers get 404 on both
	// instances, also after staff read it.
	if res := editor.do("GET", path, nil); res.Status != 200 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("staff reads the draft: %d %q", res.Status, res.Header.Get("Cache-Control"))
	}
	for _, anon := range []*client{anonA, anonB} {
		wantProblem(t, anon.do("GET", path, nil), 404, "not_found")
		if ids := searchIDs(t, anon, "q=lindenallee"); len(ids) != 0 {
			t.Fatalf("the draft is listed: %v", ids)
		}
	}

	// Published on instance A: both instances show it at once, although both
	// had cached the list without it.
	if res := editor.do("POST", path+"/publish", nil); res.Status != 200 {
		t.Fatalf("publish: %d %s", res.Status, res.Body)
	}
	if ids := searchIDs(t, anonA, "q=lindenallee"); len(ids) != 1 {
		t.Fatalf("instance A after publish: %v", ids)
	}
	waitFor(t, "instance B sees the publication", func() bool { return len(searchIDs(t, anonB, "q=lindenallee")) == 1 })

	// Validators: the 304 carries the 200's ETag; If-Modified-Since works too.
	first := anonA.do("GET", path, nil)
	etag, modified := first.Header.Get("ETag"), first.Header.Get("Last-Modified")
	if first.Status != 200 || etag == "" || modified == "" ||
		first.Header.Get("Cache-Control") != "public, max-age=30, stale-while-revalidate=30" {
		t.Fatalf("first answer: %d %v", first.Status, first.Header)
	}
	for _, h := range [][]string{{"If-None-Match", etag}, {"If-None-Match", `"other", W/` + etag}, {"If-Modified-Since", modified}} {
		again := anonA.do("GET", path, nil, h...)
		if again.Status != 304 || len(again.Body) != 0 || again.Header.Get("ETag") != etag {
			t.Fatalf("%s: %d %q %s", h[0], again.Status, again.Header.Get("ETag"), again.Body)
		}
	}
	if other := anonB.do("GET", path, nil, "If-None-Match", etag); other.Status != 304 {
		t.Fatalf("the same answer from instance B has the same ETag: %d %q", other.Status, other.Header.Get("ETag"))
	}
	if stale := anonA.do("GET", path, nil, "If-None-Match", `"stale"`); stale.Status != 200 || stale.Header.Get("ETag") != etag {
		t.Fatalf("another ETag gets the full answer: %d", stale.Status)
	}

	// Staff get the same validators, but private.
	staff := editor.do("GET", path, nil)
	if staff.Header.Get("Cache-Control") != "private, no-cache" || staff.Header.Get("ETag") != etag {
		t.Fatalf("staff answer: %v", staff.Header)
	}

	// A change through the API: the next anonymous read has it, with a new ETag.
	if res := editor.do("PUT", path, map[string]any{"type": "statute", "subtype": "gehoelzschutzsatzung",
		"title": "Gehölzschutzsatzung Lindenallee und Schillerstraße", "summary": "Entwurf zur Beteiligung"}); res.Status != 200 {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	changed := anonA.do("GET", path, nil, "If-None-Match", etag)
	if changed.Status != 200 || changed.Header.Get("ETag") == etag || !strings.Contains(string(changed.Body), "Schillerstraße") {
		t.Fatalf("after the change: %d %s", changed.Status, changed.Body)
	}
	waitFor(t, "instance B sees the change", func() bool {
		return strings.Contains(string(anonB.do("GET", path, nil).Body), "Schillerstraße")
	})

	// The phase ends at midnight: shortly before, the answer is open and
	// promised fresh only until midnight; after it, no instance says open.
	clock.Set("2026-06-10 23:59:50")
	for _, anon := range []*client{anonA, anonB} {
		res := anon.do("GET", path, nil)
		if got := decodeProcedure(t, res).Status; got != "open" {
			t.Fatalf("before midnight: %s", got)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=10, stale-while-revalidate=0" {
			t.Fatalf("before midnight the answer is fresh until midnight only: %q", cc)
		}
		if ids := searchIDs(t, anon, "open=true&q=lindenallee"); len(ids) != 1 {
			t.Fatalf("open list before midnight: %v", ids)
		}
	}
	clock.Set("2026-06-11 00:00:00")
	for _, anon := range []*client{anonA, anonB} {
		if got := decodeProcedure(t, anon.do("GET", path, nil)).Status; got == "open" {
			t.Fatalf("after midnight the cache still says open")
		}
		if ids := searchIDs(t, anon, "open=true&q=lindenallee"); len(ids) != 0 {
			t.Fatalf("open list after midnight: %v", ids)
		}
	}

	// Feeds and the map layer are validated the same way.
	for _, p := range []string{"/api/v1/procedures.atom", "/api/v1/procedures.geojson?q=lindenallee", path + "/documents"} {
		res := anonA.do("GET", p, nil)
		if res.Status != 200 || res.Header.Get("ETag") == "" || !strings.HasPrefix(res.Header.Get("Cache-Control"), "public, max-age=") {
			t.Fatalf("%s: %d %v", p, res.Status, res.Header)
		}
		if again := anonA.do("GET", p, nil, "If-None-Match", res.Header.Get("ETag")); again.Status != 304 {
			t.Fatalf("%s revalidated: %d", p, again.Status)
		}
	}

	// Errors are not kept: an unknown procedure stays 404 and without validators.
	missing := anonA.do("GET", "/api/v1/procedures/gibt-es-nicht", nil)
	if missing.Status != 404 || missing.Header.Get("ETag") != "" || missing.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("unknown procedure: %d %v", missing.Status, missing.Header)
	}
}

// waitFor polls cond for up to five seconds: changes reach other instances
// asynchronously.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out: %s", what)
}
