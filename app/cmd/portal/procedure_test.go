package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/url"
	"sync"
	"testing"
	"time"

	"beteiligungsportal/domain/procedure"
)

// fakeClock is a clock the test moves; servers read it on every use case.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Set(berlinWallClock string) {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", berlinWallClock, procedure.Berlin)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.now = t.UTC()
	c.mu.Unlock()
}

// freibergArea is a polygon around the town of Freiberg (Saxony).
var freibergArea = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
	{13.30, 50.88}, {13.40, 50.88}, {13.40, 50.95}, {13.30, 50.95}, {13.30, 50.88}}}}

type procedureBody struct {
	ID     string `json:"id"`
	Slug   string `json:"slug"`
	Status string `json:"status"`
	Phases []struct {
		ID   string `json:"id"`
		Open bool   `json:"open"`
	} `json:"phases"`
}

func decodeProcedure(t testing.TB, res response) procedureBody {
	t.Helper()
	var b procedureBody
	if err := json.Unmarshal(res.Body, &b); err != nil {
		t.Fatalf("decode %s: %v", res.Body, err)
	}
	return b
}

func searchIDs(t *testing.T, c *client, query string) []string {
	t.Helper()
	res := c.do("GET", "/api/v1/procedures?"+query, nil)
	if res.Status != 200 {
		t.Fatalf("search %s: %d %s", query, res.Status, res.Body)
	}
	var body struct {
		Items []procedureBody `json:"items"`
	}
	_ = json.Unmarshal(res.Body, &body)
	var ids []string
	for _, it := range body.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// The acceptance path of the procedures issue: an editor schedules and publishes
// a Bebauungsplan; the public finds it by place, type and word; its status
// follows the Berlin calendar; another municipality cannot touch it.
func TestProcedureLifecycleThroughTheAPI(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-06-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	freiberg := editor.orgID("Freiberg")

	res := editor.do("POST", "/api/v1/organisations/"+freiberg+"/procedures", map[string]any{
		"type": "land_use_plan", "subtype": "bebauungsplan",
		"title":       "Bebauungsplan Nr. 42 „Wohngebiet Am Mühlgraben“",
		"summary":     "Neues Wohngebiet mit 60 Wohneinheiten am Mühlgraben.",
		"description": "## Ziele\n\nWohnen, Grünflächen und ein Spielplatz.",
		"contact":     map[string]string{"name": "Stadtplanungsamt", "email": "stadtplanung@freiberg.example"},
		"area":        freibergArea,
	})
	if res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	p := decodeProcedure(t, res)
	if p.Status != "draft" || res.JSON()["ags"] != "14522180" {
		t.Fatalf("created: %s", res.Body)
	}
	path := "/api/v1/procedures/" + p.ID

	// The plan drawing goes with it.
	drawing := samplePDF("Bebauungsplan Nr. 42, Planzeichnung")
	doc := decodeDocument(t, mustStatus(t, editor.upload(path+"/documents", "planzeichnung.pdf", drawing, "title", "Planzeichnung"), 201, "upload"))

	// Drafts are invisible to the public and to other municipalities.
	anon := srv.client(t)
	wantProblem(t, anon.do("GET", path, nil), 404, "not_found")
	grimma := srv.client(t)
	grimma.login("grimma-admin@demo.example")
	wantProblem(t, grimma.do("GET", path, nil), 404, "not_found")
	wantProblem(t, grimma.do("POST", path+"/publish", nil), 404, "not_found")
	viewer := srv.client(t)
	viewer.login("freiberg-viewer@demo.example")
	if res := viewer.do("GET", path, nil); res.Status != 200 {
		t.Fatalf("own viewer reads the draft: %d", res.Status)
	}
	wantProblem(t, viewer.do("POST", path+"/publish", nil), 403, "forbidden")

	// Schedule: early participation in June, the formal publication in September.
	if res := editor.do("POST", path+"/phases", map[string]any{"kind": "early_public", "audience": "public",
		"start": "2026-06-15", "end": "2026-06-30"}); res.Status != 201 {
		t.Fatalf("early phase: %d %s", res.Status, res.Body)
	}
	short := editor.do("POST", path+"/phases", map[string]any{"kind": "publication", "audience": "public",
		"start": "2026-09-01", "end": "2026-09-20", "announced_on": "2026-08-20"})
	pr := wantProblem(t, short, 422, "validation")
	if errs := pr["errors"].([]any); errs[0].(map[string]any)["code"] != "procedure.publication_too_short" {
		t.Fatalf("short publication: %s", short.Body)
	}
	if res := editor.do("POST", path+"/phases", map[string]any{"kind": "publication", "audience": "public",
		"start": "2026-09-01", "end": "2026-09-30", "announced_on": "2026-08-20"}); res.Status != 201 {
		t.Fatalf("publication phase: %d %s", res.Status, res.Body)
	}
	if res := editor.do("POST", path+"/publish", nil); res.Status != 200 || decodeProcedure(t, res).Status != "announced" {
		t.Fatalf("publish: %d %s", res.Status, res.Body)
	}

	// Published: others may read but not change.
	wantProblem(t, grimma.do("PUT", path, map[string]any{"type": "land_use_plan", "subtype": "bebauungsplan", "title": "x", "summary": "y"}), 403, "forbidden")
	wantProblem(t, grimma.do("POST", path+"/close", map[string]string{"reason": "Sabotage"}), 403, "forbidden")
	if res := anon.do("GET", path, nil); res.Status != 200 {
		t.Fatalf("public detail: %d", res.Status)
	}
	if res := anon.do("GET", doc.URL, nil); res.Status != 200 || !bytes.Equal(res.Body, drawing) || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("public download: %d %v", res.Status, res.Header)
	}
	if res := anon.do("GET", "/api/v1/procedures/"+p.Slug, nil); res.Status != 200 || decodeProcedure(t, res).ID != p.ID {
		t.Fatalf("by slug: %d %s", res.Status, res.Body)
	}

	// Found by word, type and place.
	for _, q := range []string{
		"q=bebauung", "q=Mühlgraben", "q=muehlgraben wohngebiet", "type=land_use_plan", "ags=14522180", "ags=14522000",
		"organisation=" + editor.orgID("Mittelsachsen"), "bbox=13.2,50.8,13.5,51.0", "q=bebauung&sort=relevance", "sort=deadline",
	} {
		if ids := searchIDs(t, anon, q); !contains(ids, p.ID) {
			t.Errorf("search %s did not find the plan: %v", q, ids)
		}
	}
	for _, q := range []string{"q=gehölzschutz", "type=survey", "ags=14729160", "bbox=12.0,51.2,12.5,51.4", "status=open", "open=true"} {
		if ids := searchIDs(t, anon, q); contains(ids, p.ID) {
			t.Errorf("search %s found the plan", q)
		}
	}

	// The status follows the Berlin calendar.
	steps := []struct{ at, status string }{
		{"2026-06-14 23:59:59", "announced"},
		{"2026-06-15 00:00:00", "open"},
		{"2026-06-30 23:59:59", "open"},
		{"2026-07-01 00:00:00", "announced"},
		{"2026-09-01 00:00:00", "open"},
		{"2026-10-01 00:00:00", "evaluation"},
	}
	for _, s := range steps {
		clock.Set(s.at)
		got := decodeProcedure(t, anon.do("GET", path, nil)).Status
		if got != s.status {
			t.Fatalf("%s: status %s, want %s", s.at, got, s.status)
		}
		inSQL := contains(searchIDs(t, anon, "status="+s.status), p.ID)
		if !inSQL {
			t.Fatalf("%s: the catalogue's status filter disagrees with the detail (%s)", s.at, s.status)
		}
	}
	clock.Set("2026-12-01 10:00:00")
	if res := editor.do("POST", path+"/conclude", map[string]string{"result": "Der Stadtrat hat den Plan am 26.11.2026 als Satzung beschlossen."}); res.Status != 200 || decodeProcedure(t, res).Status != "concluded" {
		t.Fatalf("conclude: %d %s", res.Status, res.Body)
	}

	// Every action is in the audit trail of Freiberg.
	admin := srv.client(t)
	admin.login("freiberg-admin@demo.example")
	trail := admin.do("GET", "/api/v1/organisations/"+freiberg+"/audit?limit=20", nil)
	var entries struct {
		Items []struct {
			Action   string `json:"action"`
			ObjectID string `json:"object_id"`
		} `json:"items"`
	}
	_ = json.Unmarshal(trail.Body, &entries)
	seen := map[string]bool{}
	for _, e := range entries.Items {
		if e.ObjectID == p.ID {
			seen[e.Action] = true
		}
	}
	for _, a := range []string{"procedure.create", "procedure.set_phase", "procedure.publish", "procedure.conclude"} {
		if !seen[a] {
			t.Errorf("audit lacks %s: %v", a, seen)
		}
	}
}

func TestCatalogueSearchPagingAndCaching(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-06-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	doebeln := editor.orgID("Döbeln")
	var ids []string
	for i, title := range []string{"Gehölzschutzsatzung Hauptstraße", "Haushaltssatzung 2027", "Satzung über Straßenreinigung"} {
		sub := []string{"gehoelzschutzsatzung", "haushaltssatzung", "sonstige_satzung"}[i]
		res := editor.do("POST", "/api/v1/organisations/"+doebeln+"/procedures", map[string]any{
			"type": "statute", "subtype": sub, "title": title, "summary": "Entwurf zur Beteiligung"})
		if res.Status != 201 {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		id := decodeProcedure(t, res).ID
		editor.do("POST", "/api/v1/procedures/"+id+"/phases", map[string]any{"kind": "participation", "audience": "public",
			"start": "2026-06-01", "end": "2026-06-" + []string{"10", "20", "30"}[i]})
		if res := editor.do("POST", "/api/v1/procedures/"+id+"/publish", nil); res.Status != 200 {
			t.Fatalf("publish: %d %s", res.Status, res.Body)
		}
		ids = append(ids, id)
	}
	anon := srv.client(t)
	// "strasse" finds "Straße", in a compound too.
	found := searchIDs(t, anon, "q=strasse")
	if !contains(found, ids[0]) || !contains(found, ids[2]) || contains(found, ids[1]) {
		t.Fatalf("q=strasse: got %v", found)
	}
	if got := searchIDs(t, anon, "q=reinigung"); len(got) != 1 || got[0] != ids[2] {
		t.Fatalf("q=reinigung: got %v", got)
	}
	// Deadline order: soonest end first.
	if got := searchIDs(t, anon, "sort=deadline&open=true"); len(got) != 3 || got[0] != ids[0] || got[2] != ids[2] {
		t.Fatalf("deadline order: got %v", got)
	}
	// Keyset paging visits every item once, in every order.
	for _, sort := range []string{"newest", "deadline", "relevance&q=satzung"} {
		seen := map[string]bool{}
		cursor := ""
		for range 5 {
			q := "limit=1&sort=" + sort
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			res := anon.do("GET", "/api/v1/procedures?"+q, nil)
			var page struct {
				Items      []procedureBody `json:"items"`
				NextCursor string          `json:"next_cursor"`
			}
			_ = json.Unmarshal(res.Body, &page)
			for _, it := range page.Items {
				if seen[it.ID] {
					t.Fatalf("sort %s: %s twice", sort, it.ID)
				}
				seen[it.ID] = true
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(seen) != 3 {
			t.Fatalf("sort %s: saw %d of 3", sort, len(seen))
		}
	}
	wantProblem(t, anon.do("GET", "/api/v1/procedures?sort=deadline&cursor=garbage", nil), 422, "validation")
	p := wantProblem(t, anon.do("GET", "/api/v1/procedures?type=castle&status=draft&bbox=1,2,3&limit=0&open=maybe", nil), 422, "validation")
	if len(p["errors"].([]any)) != 5 {
		t.Fatalf("want all five bad parameters reported: %v", p["errors"])
	}

	// The map layer: a FeatureCollection with the same filters.
	geo := anon.do("GET", "/api/v1/procedures.geojson?type=statute", nil)
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string         `json:"type"`
			ID         string         `json:"id"`
			Geometry   any            `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(geo.Body, &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 3 {
		t.Fatalf("geojson: %d %s", geo.Status, geo.Body)
	}
	if ct := geo.Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Fatalf("geojson content type: %q", ct)
	}
	if f := fc.Features[0]; f.Type != "Feature" || f.Properties["status"] != "open" || f.Properties["title"] == "" {
		t.Fatalf("feature: %+v", f)
	}
	// Atom feeds of the instance and of one organisation.
	for _, tc := range []struct {
		path    string
		entries int
	}{
		{"/api/v1/procedures.atom", 3},
		{"/api/v1/organisations/" + doebeln + "/procedures.atom", 3},
		{"/api/v1/organisations/" + editor.orgID("Mittelsachsen") + "/procedures.atom", 3}, // Döbeln lies in it
		{"/api/v1/organisations/" + editor.orgID("Grimma") + "/procedures.atom", 0},
	} {
		res := anon.do("GET", tc.path, nil)
		var feed struct {
			XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
			Entries []struct {
				ID    string `xml:"id"`
				Title string `xml:"title"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(res.Body, &feed); err != nil || res.Status != 200 {
			t.Fatalf("%s: %d %v", tc.path, res.Status, err)
		}
		if len(feed.Entries) != tc.entries || res.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
			t.Fatalf("%s: %d entries, want %d", tc.path, len(feed.Entries), tc.entries)
		}
	}

	// Cache headers: a repeated request with the ETag gets 304.
	res := anon.do("GET", "/api/v1/procedures/"+ids[1], nil)
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "public, max-age=30, stale-while-revalidate=30" {
		t.Fatalf("cache headers: %v", res.Header)
	}
	if again := anon.do("GET", "/api/v1/procedures/"+ids[1], nil, "If-None-Match", etag); again.Status != 304 || len(again.Body) != 0 {
		t.Fatalf("If-None-Match: %d", again.Status)
	}
}

// The demo data shows every type and every status, today and on any later day.
func TestDemoProceduresCoverEveryTypeAndStatus(t *testing.T) {
	env := newEnv(t)
	if err := seedDemo(t.Context(), env.cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(t.Context(), env.cfg, io.Discard); err != nil { // idempotent
		t.Fatalf("second seed: %v", err)
	}
	srv := env.start()
	c := srv.client(t)
	c.login("freiberg-viewer@demo.example")
	types, statuses := map[string]bool{}, map[string]bool{}
	res := c.do("GET", "/api/v1/procedures?limit=100", nil)
	var page struct {
		Items []struct{ Type, Status string } `json:"items"`
	}
	_ = json.Unmarshal(res.Body, &page)
	for _, p := range page.Items {
		types[p.Type], statuses[p.Status] = true, true
	}
	own := c.do("GET", "/api/v1/organisations/"+c.orgID("Grimma")+"/procedures", nil)
	wantProblem(t, own, 403, "forbidden") // drafts of another municipality stay hidden
	grimma := srv.client(t)
	grimma.login("grimma-admin@demo.example")
	var drafts struct {
		Items []struct{ Status string } `json:"items"`
	}
	_ = json.Unmarshal(grimma.do("GET", "/api/v1/organisations/"+c.orgID("Grimma")+"/procedures", nil).Body, &drafts)
	for _, p := range drafts.Items {
		statuses[p.Status] = true
	}
	for _, ty := range procedure.Types {
		if !types[string(ty)] {
			t.Errorf("no demo procedure of type %s", ty)
		}
	}
	for _, st := range procedure.Statuses {
		if !statuses[string(st)] {
			t.Errorf("no demo procedure in status %s", st)
		}
	}
	if len(page.Items) != len(demoProcedures)-1 {
		t.Errorf("public catalogue: %d procedures, want %d (all but the draft)", len(page.Items), len(demoProcedures)-1)
	}
	// The open plan has its demo statements, once (the second seed adds none),
	// and its documents.
	var plan struct {
		Counts struct{ Documents, Statements int }
	}
	_ = json.Unmarshal(c.do("GET", "/api/v1/procedures/bebauungsplan-42-am-muehlgraben", nil).Body, &plan)
	if plan.Counts.Statements != 3 || plan.Counts.Documents != 3 {
		t.Errorf("demo plan counts: %+v, want 3 statements and 3 documents", plan.Counts)
	}
}
