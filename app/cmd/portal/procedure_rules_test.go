package main

import (
	"encoding/xml"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// draftStatute creates a draft statute of Döbeln as its editor and returns its path.
func draftStatute(t *testing.T, editor *client, title string) string {
	t.Helper()
	res := editor.do("POST", "/api/v1/organisations/"+editor.orgID("Döbeln")+"/procedures", map[string]any{
		"type": "statute", "subtype": "gehoelzschutzsatzung", "title": title, "summary": "Entwurf zur Beteiligung"})
	if res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	return "/api/v1/procedures/" + decodeProcedure(t, res).ID
}

// wantFieldProblem checks a 422 that names exactly the given field=code pairs,
// each with a German message.
func wantFieldProblem(t *testing.T, res response, want ...string) {
	t.Helper()
	p := wantProblem(t, res, 422, "validation")
	errs, _ := p["errors"].([]any)
	var got []string
	for _, e := range errs {
		f := e.(map[string]any)
		got = append(got, f["field"].(string)+"="+f["code"].(string))
		if msg, _ := f["message"].(string); msg == "" || msg == f["code"] {
			t.Errorf("field %v has no German message: %q", f["field"], msg)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("errors: got %v, want %v", got, want)
	}
}

// A published procedure keeps its last phase: removing it would leave the
// procedure announced for ever.
func TestPublishedProcedureKeepsItsLastPhase(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-06-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	path := draftStatute(t, editor, "Gehölzschutzsatzung Döbeln")
	var phaseIDs []string
	for _, per := range [][2]string{{"2026-07-01", "2026-07-31"}, {"2026-09-01", "2026-09-30"}} {
		res := editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public", "start": per[0], "end": per[1]})
		if res.Status != 201 {
			t.Fatalf("add phase: %d %s", res.Status, res.Body)
		}
		p := decodeProcedure(t, res)
		phaseIDs = append(phaseIDs, p.Phases[len(p.Phases)-1].ID)
	}
	if res := editor.do("POST", path+"/publish", nil); res.Status != 200 {
		t.Fatalf("publish: %d %s", res.Status, res.Body)
	}
	if res := editor.do("DELETE", path+"/phases/"+phaseIDs[1], nil); res.Status != 200 || len(decodeProcedure(t, res).Phases) != 1 {
		t.Fatalf("remove one of two phases: %d %s", res.Status, res.Body)
	}
	p := wantProblem(t, editor.do("DELETE", path+"/phases/"+phaseIDs[0], nil), 409, "conflict")
	if d, _ := p["detail"].(string); !strings.Contains(d, "mindestens einen Beteiligungsschritt") {
		t.Fatalf("detail: %q", d)
	}
	if got := decodeProcedure(t, editor.do("GET", path, nil)); len(got.Phases) != 1 || got.Status != "announced" {
		t.Fatalf("after the refused removal: %+v", got)
	}
}

// A body named twice in invited_bodies is a 422 on that element, decided before
// anything is stored, also when the two spellings differ only in case.
func TestInvitedBodiesTwiceIsAFieldError(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	path := draftStatute(t, editor, "Gehölzschutzsatzung Döbeln, Änderung")
	body := editor.orgID("Zweckverband")
	phase := func(bodies ...string) map[string]any {
		return map[string]any{"kind": "participation", "audience": "invited", "start": "2099-07-01", "end": "2099-07-31",
			"invited_bodies": bodies}
	}
	wantFieldProblem(t, editor.do("POST", path+"/phases", phase(body, body)), "phases[0].invited_bodies[1]=duplicate")
	wantFieldProblem(t, editor.do("POST", path+"/phases", phase(body, strings.ToUpper(body))), "phases[0].invited_bodies[1]=duplicate")
	res := editor.do("POST", path+"/phases", phase(body))
	if res.Status != 201 {
		t.Fatalf("invite once: %d %s", res.Status, res.Body)
	}
	ph := decodeProcedure(t, res).Phases[0].ID
	wantFieldProblem(t, editor.do("PUT", path+"/phases/"+ph, phase(body, body)), "phases[0].invited_bodies[1]=duplicate")
}

// A slug that parses as a UUID would make the procedure unreadable by slug.
func TestUUIDSlugIsRefused(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	own := "/api/v1/organisations/" + editor.orgID("Döbeln") + "/procedures"
	statute := map[string]any{"type": "statute", "subtype": "haushaltssatzung", "title": "Haushaltssatzung 2027", "summary": "Entwurf"}
	with := func(slug string) map[string]any {
		m := map[string]any{"slug": slug}
		for k, v := range statute {
			m[k] = v
		}
		return m
	}
	id := uuid.NewString()
	for _, slug := range []string{id, strings.ReplaceAll(id, "-", "")} {
		wantFieldProblem(t, editor.do("POST", own, with(slug)), "slug=procedure.slug_uuid")
	}
	// Nor on update of a draft.
	res := editor.do("POST", own, statute)
	if res.Status != 201 {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	p := decodeProcedure(t, res)
	wantFieldProblem(t, editor.do("PUT", "/api/v1/procedures/"+p.ID, with(id)), "slug=procedure.slug_uuid")
	// The derived slug reads back.
	if res := editor.do("GET", "/api/v1/procedures/"+p.Slug, nil); res.Status != 200 || decodeProcedure(t, res).ID != p.ID {
		t.Fatalf("by derived slug %q: %d %s", p.Slug, res.Status, res.Body)
	}
}

// Field paths count phases as the client read them, with a new phase last, not
// where sorting by start would put it.
func TestPhaseErrorsCountPhasesAsTheClientDoes(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	path := draftStatute(t, editor, "Gehölzschutzsatzung Döbeln")
	var ids []string
	for _, per := range [][2]string{{"2099-07-01", "2099-07-31"}, {"2099-09-01", "2099-09-30"}} {
		res := editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public", "start": per[0], "end": per[1]})
		if res.Status != 201 {
			t.Fatalf("add phase: %d %s", res.Status, res.Body)
		}
		p := decodeProcedure(t, res)
		ids = append(ids, p.Phases[len(p.Phases)-1].ID)
	}
	reversed := map[string]any{"kind": "participation", "audience": "public", "start": "2099-06-10", "end": "2099-06-01"}
	wantFieldProblem(t, editor.do("POST", path+"/phases", reversed), "phases[2].end=procedure.period_reversed")
	wantFieldProblem(t, editor.do("PUT", path+"/phases/"+ids[1], reversed), "phases[1].end=procedure.period_reversed")
	overlapping := map[string]any{"kind": "participation", "audience": "public", "start": "2099-06-20", "end": "2099-07-05"}
	wantFieldProblem(t, editor.do("POST", path+"/phases", overlapping), "phases[2].start=procedure.phases_overlap")
}

// Atom ids stay the same whatever port, scheme or instance serves the feed; they
// name the feed by the host of the base URL and entries by the procedure's ID.
func TestAtomIDsAreStable(t *testing.T) {
	env := newEnv(t)
	base := func(raw string) func(*config) {
		return func(c *config) {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			c.BaseURL = u
		}
	}
	a := env.start(base("http://beteiligung.example:8080"))
	b := env.start(base("https://Beteiligung.example:8443"))
	other := env.start(base("https://beteiligung.other.example"))
	editor := a.client(t)
	editor.login("doebeln-editor@demo.example")
	doebeln := editor.orgID("Döbeln")
	path := draftStatute(t, editor, "Haushaltssatzung 2027")
	if res := editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2099-07-01", "end": "2099-07-31"}); res.Status != 201 {
		t.Fatalf("add phase: %d %s", res.Status, res.Body)
	}
	if res := editor.do("POST", path+"/publish", nil); res.Status != 200 {
		t.Fatalf("publish: %d %s", res.Status, res.Body)
	}
	procID := strings.TrimPrefix(path, "/api/v1/procedures/")

	type feed struct {
		ID      string `xml:"id"`
		Entries []struct {
			ID string `xml:"id"`
		} `xml:"entry"`
	}
	read := func(s *testServer, path string) feed {
		t.Helper()
		res := s.client(t).do("GET", path, nil)
		var f feed
		if err := xml.Unmarshal(res.Body, &f); err != nil || res.Status != 200 {
			t.Fatalf("%s: %d %v", path, res.Status, err)
		}
		if !strings.HasPrefix(f.ID, "urn:uuid:") || uuid.Validate(strings.TrimPrefix(f.ID, "urn:uuid:")) != nil {
			t.Fatalf("%s: feed id %q is no UUID URN", path, f.ID)
		}
		if len(f.Entries) != 1 || f.Entries[0].ID != "urn:uuid:"+procID {
			t.Fatalf("%s: entries %+v, want one with urn:uuid:%s", path, f.Entries, procID)
		}
		return f
	}
	instance, org := "/api/v1/procedures.atom", "/api/v1/organisations/"+doebeln+"/procedures.atom"
	ia, oa := read(a, instance), read(a, org)
	if ib := read(b, instance); ib.ID != ia.ID {
		t.Errorf("instance feed id differs by port or scheme: %s and %s", ia.ID, ib.ID)
	}
	if ob := read(b, org); ob.ID != oa.ID {
		t.Errorf("organisation feed id differs by port or scheme: %s and %s", oa.ID, ob.ID)
	}
	if ia.ID == oa.ID {
		t.Errorf("instance and organisation feed share the id %s", ia.ID)
	}
	if io := read(other, instance); io.ID == ia.ID {
		t.Errorf("two instances share the feed id %s", ia.ID)
	}
}
