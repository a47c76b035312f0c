package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"beteiligungsportal/infra/postgres"
)

// dialogProcedure publishes a Freiberg dialog, open since 1 November 2026
// without end, with the given settings, and returns its API path.
func dialogProcedure(t testing.TB, editor *client, identity, moderation string) string {
	t.Helper()
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "dialog", "subtype": "dialog", "title": "Dialog Schlossplatz Freiberg",
		"summary": "Wie soll der Schlossplatz künftig aussehen? Diskutieren Sie mit.",
	}), 201, "create procedure")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2026-11-01"}), 201, "phase")
	mustStatus(t, editor.do("PUT", path+"/dialog", map[string]any{"identity": identity, "moderation": moderation,
		"netiquette": "Sachlich bleiben.", "topics": []string{"Verkehr", "Grün"}}), 200, "configure")
	mustStatus(t, editor.do("POST", path+"/publish", nil), 200, "publish")
	return path
}

// grimmaDialog publishes a dialog of Grimma through its admin.
func grimmaDialog(t testing.TB, admin *client) string {
	t.Helper()
	res := mustStatus(t, admin.do("POST", "/api/v1/organisations/"+admin.orgID("Grimma")+"/procedures", map[string]any{
		"type": "dialog", "subtype": "dialog", "title": "Dialog Markt Grimma", "summary": "Diskutieren Sie mit.",
	}), 201, "create procedure")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, admin.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2026-11-01"}), 201, "phase")
	mustStatus(t, admin.do("POST", path+"/publish", nil), 200, "publish")
	return path
}

// participant is a citizen who confirmed an e-mail address for a dialog and
// sends the key from the confirmation with every request.
type participant struct {
	*client
	token string
}

func (p participant) call(method, path string, body any) response {
	p.t.Helper()
	return p.do(method, path, body, "X-Dialog-Token", p.token)
}

var confirmCode = regexp.MustCompile(`Bestätigungscode: ([A-Z0-9-]+)`)

// join goes through the double opt-in with a new address.
func join(t testing.TB, srv *testServer, path, name string) participant {
	t.Helper()
	c := srv.client(t)
	addr := newMailAddress(name)
	mustStatus(t, c.do("POST", path+"/dialog/participants", map[string]any{"email": addr, "pseudonym": name}), 202, "request confirmation")
	m := waitForMail(t, addr, "Bitte bestätigen")
	code := confirmCode.FindStringSubmatch(m.Text)
	if code == nil {
		t.Fatalf("no code in mail: %s", m.Text)
	}
	res := mustStatus(t, c.do("POST", "/api/v1/dialog/confirm", map[string]any{"code": code[1]}), 200, "confirm")
	tok, _ := res.JSON()["token"].(string)
	if tok == "" || strings.Contains(string(res.Body), addr) {
		t.Fatalf("confirm: %s", res.Body)
	}
	return participant{client: c, token: tok}
}

func contribute(t testing.TB, p participant, path string, body map[string]any, status int) map[string]any {
	t.Helper()
	return mustStatus(t, p.call("POST", path+"/dialog/contributions", body), status, "contribute").JSON()
}

func thread(t testing.TB, c *client, id string, headers ...string) []map[string]any {
	t.Helper()
	res := mustStatus(t, c.do("GET", "/api/v1/dialog/contributions/"+id, nil, headers...), 200, "thread")
	var items []map[string]any
	for _, it := range res.JSON()["items"].([]any) {
		items = append(items, it.(map[string]any))
	}
	return items
}

func threadIDs(t testing.TB, c *client, path, query string) []string {
	t.Helper()
	res := mustStatus(t, c.do("GET", path+"/dialog/contributions"+query, nil), 200, "threads")
	var ids []string
	for _, it := range res.JSON()["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	return ids
}

// A thread of three levels of replies; a fourth level, a reply into a closed
// thread and a contribution from someone who did not confirm are refused
// with a clear message; the e-mail address is never shown.
func TestDialogThreadsRepliesAndClosing(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	ada, bob := join(t, srv, path, "Ada"), join(t, srv, path, "Bob")

	root := contribute(t, ada, path, map[string]any{"title": "Mehr Bänke", "body": "Auf dem Schlossplatz fehlen Sitzgelegenheiten.",
		"location": map[string]any{"type": "Point", "coordinates": []float64{13.34, 50.92}}}, 201)
	if root["author"] != "Ada" || root["depth"] != float64(0) || root["state"] != "published" {
		t.Fatalf("root: %v", root)
	}
	parent := root["id"].(string)
	for depth := 1; depth <= 3; depth++ {
		p := []participant{bob, ada}[depth%2]
		r := contribute(t, p, path, map[string]any{"parent_id": parent, "body": fmt.Sprintf("Antwort auf Ebene %d", depth)}, 201)
		if r["depth"] != float64(depth) || r["root_id"] != root["id"] {
			t.Fatalf("reply %d: %v", depth, r)
		}
		parent = r["id"].(string)
	}
	tooDeep := wantProblem(t, bob.call("POST", path+"/dialog/contributions", map[string]any{"parent_id": parent, "body": "Noch tiefer"}), 422, "validation")
	if !strings.Contains(fmt.Sprint(tooDeep["errors"]), "dritten Ebene") {
		t.Fatalf("too deep: %v", tooDeep)
	}
	items := thread(t, srv.client(t), parent)
	if len(items) != 4 || items[0]["id"] != root["id"] || items[0]["replies"] != float64(3) {
		t.Fatalf("thread: %v", items)
	}
	for i := 1; i < 4; i++ {
		if items[i]["parent_id"] != items[i-1]["id"] {
			t.Fatalf("thread order: %v", items)
		}
	}

	// Without confirmation there is no participation; a forged key neither.
	anon := srv.client(t)
	wantProblem(t, anon.do("POST", path+"/dialog/contributions", map[string]any{"title": "Anonym", "body": "Ohne Bestätigung geschrieben."}), 401, "unauthenticated")
	forged := participant{client: anon, token: strings.Repeat("A", 32)}
	wantProblem(t, forged.call("POST", path+"/dialog/contributions", map[string]any{"title": "Gefälscht", "body": "Mit einem erfundenen Schlüssel."}), 401, "unauthenticated")
	wantProblem(t, anon.do("POST", "/api/v1/dialog/confirm", map[string]any{"code": "AAAA-BBBB"}), 404, "not_found")

	// Closing the thread stops replies, with a message that says why.
	mod := srv.client(t)
	mod.login("freiberg-moderator@demo.example")
	mustStatus(t, mod.do("POST", "/api/v1/dialog/contributions/"+root["id"].(string)+"/moderation",
		map[string]any{"action": "close", "reason": "Alles gesagt"}), 200, "close")
	p := wantProblem(t, bob.call("POST", path+"/dialog/contributions", map[string]any{"parent_id": root["id"], "body": "Noch etwas"}), 409, "closed")
	if !strings.Contains(p["detail"].(string), "geschlossen") {
		t.Fatalf("closed thread: %v", p)
	}
	// The agency may still answer officially.
	ans := mustStatus(t, mod.do("POST", "/api/v1/dialog/contributions/"+root["id"].(string)+"/answers",
		map[string]any{"body": "Wir prüfen zusätzliche Bänke."}), 201, "answer").JSON()
	if ans["official"] != true || ans["agency_answer"] != true {
		t.Fatalf("answer: %v", ans)
	}
	items = thread(t, srv.client(t), root["id"].(string))
	last := items[len(items)-1]
	if last["author"] != "Stadt Freiberg" && !strings.Contains(fmt.Sprint(last["author"]), "Freiberg") {
		t.Fatalf("agency answer author: %v", last)
	}
	if strings.Contains(string(mustStatus(t, srv.client(t).do("GET", path+"/dialog/contributions", nil), 200, "list").Body), "@example.org") {
		t.Fatal("an e-mail address is shown")
	}
}

// 50 distinct participants support one contribution at the same time: the
// count is 50; a second support by one of them counts once; withdrawing
// takes it back; the most supported thread sorts first.
func TestDialogSupportIsCountedExactly(t *testing.T) {
	env := newEnv(t)
	srv := env.start(func(c *config) { c.RateLimitStatements = 10_000; c.RateLimitAPI = 100_000 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	author := join(t, srv, path, "Autorin")
	first := contribute(t, author, path, map[string]any{"title": "Erster Vorschlag", "body": "Ein Brunnen auf dem Platz."}, 201)["id"].(string)
	second := contribute(t, author, path, map[string]any{"title": "Zweiter Vorschlag", "body": "Ein Spielplatz am Rand."}, 201)["id"].(string)

	const n = 50
	people := make([]participant, n)
	var wg sync.WaitGroup
	for i := range people {
		wg.Go(func() { people[i] = join(t, srv, path, fmt.Sprintf("Person%02d", i)) })
	}
	wg.Wait()
	counts := make([]int, n)
	for i, p := range people {
		wg.Go(func() {
			res := p.call("PUT", "/api/v1/dialog/contributions/"+first+"/support", nil)
			if res.Status != 200 {
				t.Errorf("support %d: %d %s", i, res.Status, res.Body)
				return
			}
			counts[i] = int(res.JSON()["supporters"].(float64))
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, c := range counts {
		seen[c] = true
	}
	if !seen[n] || len(seen) != n {
		t.Fatalf("counts seen by the supporters: %v", counts)
	}
	again := mustStatus(t, people[0].call("PUT", "/api/v1/dialog/contributions/"+first+"/support", nil), 200, "again").JSON()
	if again["supporters"] != float64(n) {
		t.Fatalf("second support by the same participant: %v", again)
	}
	wantProblem(t, author.call("PUT", "/api/v1/dialog/contributions/"+first+"/support", nil), 409, "conflict")
	if ids := threadIDs(t, srv.client(t), path, "?sort=supported"); len(ids) != 2 || ids[0] != first {
		t.Fatalf("most supported first: %v", ids)
	}
	if ids := threadIDs(t, srv.client(t), path, "?sort=newest"); ids[0] != second {
		t.Fatalf("newest first: %v", ids)
	}
	withdrawn := mustStatus(t, people[1].call("DELETE", "/api/v1/dialog/contributions/"+first+"/support", nil), 200, "withdraw").JSON()
	if withdrawn["supporters"] != float64(n-1) {
		t.Fatalf("withdraw: %v", withdrawn)
	}
	mine := mustStatus(t, people[0].call("GET", path+"/dialog/contributions?sort=supported", nil), 200, "list").JSON()
	if it := mine["items"].([]any)[0].(map[string]any); it["supported"] != true || it["supporters"] != float64(n-1) {
		t.Fatalf("own support mark: %v", it)
	}
}

// Moderation: a hidden contribution leaves the public list but stays in
// the export with its state; a hidden reply shows as a placeholder; the act
// is audited with its reason; staff of other organisations and viewers
// cannot moderate.
func TestDialogModerationHidesButKeeps(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	ada := join(t, srv, path, "Ada")
	bad := contribute(t, ada, path, map[string]any{"title": "Werbung", "body": "Kaufen Sie jetzt bei uns ein!"}, 201)["id"].(string)
	good := contribute(t, ada, path, map[string]any{"title": "Bäume", "body": "Mehr Bäume für Schatten im Sommer."}, 201)["id"].(string)
	reply := contribute(t, ada, path, map[string]any{"parent_id": good, "body": "Und Trinkbrunnen dazu, bitte."}, 201)["id"].(string)

	// Anyone reports; the report waits in the moderators' queue.
	mustStatus(t, srv.client(t).do("POST", "/api/v1/dialog/contributions/"+bad+"/reports", map[string]any{"reason": "spam"}), 202, "report")
	wantProblem(t, srv.client(t).do("POST", "/api/v1/dialog/contributions/"+bad+"/reports", map[string]any{"reason": "langweilig"}), 422, "validation")

	viewer, grimma, mod := srv.client(t), srv.client(t), srv.client(t)
	viewer.login("freiberg-viewer@demo.example")
	grimma.login("grimma-admin@demo.example")
	mod.login("freiberg-moderator@demo.example")
	hide := map[string]any{"action": "hide", "reason": "Werbung"}
	for _, c := range []*client{viewer, grimma} {
		wantProblem(t, c.do("POST", "/api/v1/dialog/contributions/"+bad+"/moderation", hide), 403, "forbidden")
		wantProblem(t, c.do("GET", path+"/dialog/moderation", nil), 403, "forbidden")
	}
	wantProblem(t, ada.call("POST", "/api/v1/dialog/contributions/"+bad+"/moderation", hide), 401, "unauthenticated")
	// A viewer of another organisation, on a dialog of Grimma.
	gpath := grimmaDialog(t, grimma)
	gada := join(t, srv, gpath, "Ada")
	gid := contribute(t, gada, gpath, map[string]any{"title": "In Grimma", "body": "Ein Beitrag in Grimma."}, 201)["id"].(string)
	for _, c := range []*client{viewer, mod, editor} {
		wantProblem(t, c.do("POST", "/api/v1/dialog/contributions/"+gid+"/moderation", hide), 403, "forbidden")
		wantProblem(t, c.do("POST", "/api/v1/dialog/contributions/"+gid+"/answers", map[string]any{"body": "Antwort"}), 403, "forbidden")
		wantProblem(t, c.do("GET", gpath+"/dialog/export.csv", nil), 403, "forbidden")
	}
	queue := mustStatus(t, mod.do("GET", path+"/dialog/moderation", nil), 200, "queue").JSON()
	if reps := queue["reports"].([]any); len(reps) != 1 || reps[0].(map[string]any)["contribution_id"] != bad {
		t.Fatalf("queue: %v", queue)
	}
	wantProblem(t, mod.do("POST", "/api/v1/dialog/contributions/"+bad+"/moderation", map[string]any{"action": "hide"}), 422, "validation")
	hidden := mustStatus(t, mod.do("POST", "/api/v1/dialog/contributions/"+bad+"/moderation", hide), 200, "hide").JSON()
	if hidden["state"] != "hidden" || hidden["hidden_reason"] != "Werbung" {
		t.Fatalf("hide: %v", hidden)
	}
	mustStatus(t, mod.do("POST", "/api/v1/dialog/contributions/"+reply+"/moderation", map[string]any{"action": "hide", "reason": "Doppelt"}), 200, "hide reply")

	if ids := threadIDs(t, srv.client(t), path, ""); len(ids) != 1 || ids[0] != good {
		t.Fatalf("public list after hiding: %v", ids)
	}
	wantProblem(t, srv.client(t).do("GET", "/api/v1/dialog/contributions/"+bad, nil), 404, "not_found")
	items := thread(t, srv.client(t), good)
	if len(items) != 2 || items[1]["state"] != "hidden" || items[1]["body"] != nil || items[1]["notice"] == "" {
		t.Fatalf("hidden reply as placeholder: %v", items)
	}
	if items[0]["replies"] != float64(0) {
		t.Fatalf("hidden reply still counted: %v", items[0])
	}
	if modView := thread(t, mod, good); modView[1]["body"] != "Und Trinkbrunnen dazu, bitte." {
		t.Fatalf("moderator sees the text: %v", modView[1])
	}
	if q := mustStatus(t, mod.do("GET", path+"/dialog/moderation", nil), 200, "queue").JSON(); len(q["reports"].([]any)) != 0 {
		t.Fatalf("report resolved by hiding: %v", q)
	}

	// The export keeps everything with its state.
	res := mustStatus(t, mod.do("GET", path+"/dialog/export.csv", nil), 200, "export")
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\xef\xbb\xbf"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, res.Body)
	}
	found := false
	for _, row := range rows {
		if row[0] == bad {
			found = strings.Contains(strings.Join(row, "|"), "Kaufen Sie jetzt") && strings.Contains(strings.Join(row, "|"), "ausgeblendet") &&
				strings.Contains(strings.Join(row, "|"), "Werbung")
		}
	}
	if len(rows) != 4 || !found {
		t.Fatalf("export rows: %v", rows)
	}
	xl := mustStatus(t, mod.do("GET", path+"/dialog/export.xlsx", nil), 200, "xlsx")
	if _, err := zip.NewReader(bytes.NewReader(xl.Body), int64(len(xl.Body))); err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	wantProblem(t, grimma.do("GET", path+"/dialog/export.csv", nil), 403, "forbidden")
	mustStatus(t, viewer.do("GET", path+"/dialog/export.csv", nil), 200, "viewer export")

	admin := srv.client(t)
	admin.login("freiberg-admin@demo.example")
	trail := string(mustStatus(t, admin.do("GET", "/api/v1/organisations/"+admin.orgID("Freiberg")+"/audit", nil), 200, "audit").Body)
	if !strings.Contains(trail, `"dialog.hide"`) || !strings.Contains(trail, "Werbung") || !strings.Contains(trail, "dialog.export") {
		t.Fatalf("audit trail: %s", trail)
	}

	// Restoring brings it back.
	mustStatus(t, mod.do("POST", "/api/v1/dialog/contributions/"+bad+"/moderation", map[string]any{"action": "restore"}), 200, "restore")
	if ids := threadIDs(t, srv.client(t), path, ""); len(ids) != 2 {
		t.Fatalf("after restore: %v", ids)
	}
	wantProblem(t, mod.do("POST", "/api/v1/dialog/contributions/"+bad+"/moderation", map[string]any{"action": "restore"}), 409, "conflict")
}

// Pre-moderation: a contribution waits for approval, its author sees it as
// pending, the public does not.
func TestDialogPreModeration(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "pre")
	ada := join(t, srv, path, "Ada")
	c := contribute(t, ada, path, map[string]any{"title": "Markt", "body": "Einen Bauernmarkt am Samstag."}, 201)
	id := c["id"].(string)
	if c["state"] != "pending" || c["body"] == nil {
		t.Fatalf("pending: %v", c)
	}
	if ids := threadIDs(t, srv.client(t), path, ""); len(ids) != 0 {
		t.Fatalf("pending is listed: %v", ids)
	}
	wantProblem(t, srv.client(t).do("GET", "/api/v1/dialog/contributions/"+id, nil), 404, "not_found")
	if own := thread(t, ada.client, id, "X-Dialog-Token", ada.token); own[0]["own"] != true || own[0]["state"] != "pending" {
		t.Fatalf("author's view: %v", own)
	}
	mod := srv.client(t)
	mod.login("freiberg-moderator@demo.example")
	q := mustStatus(t, mod.do("GET", path+"/dialog/moderation", nil), 200, "queue").JSON()
	if len(q["pending"].([]any)) != 1 {
		t.Fatalf("queue: %v", q)
	}
	mustStatus(t, mod.do("POST", "/api/v1/dialog/contributions/"+id+"/moderation", map[string]any{"action": "approve"}), 200, "approve")
	if ids := threadIDs(t, srv.client(t), path, ""); len(ids) != 1 {
		t.Fatalf("approved is not listed: %v", ids)
	}
}

// Authors delete their own contributions: with replies a placeholder stays,
// without replies nothing; nobody else may delete them.
func TestDialogAuthorDeletes(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	ada, bob := join(t, srv, path, "Ada"), join(t, srv, path, "Bob")
	root := contribute(t, ada, path, map[string]any{"title": "Parken", "body": "Weniger Parkplätze am Platz."}, 201)["id"].(string)
	reply := contribute(t, bob, path, map[string]any{"parent_id": root, "body": "Dagegen."}, 201)["id"].(string)

	wantProblem(t, bob.call("DELETE", "/api/v1/dialog/contributions/"+root, nil), 403, "forbidden")
	wantProblem(t, srv.client(t).do("DELETE", "/api/v1/dialog/contributions/"+root, nil), 401, "unauthenticated")
	placeholder := mustStatus(t, ada.call("DELETE", "/api/v1/dialog/contributions/"+root, nil), 200, "delete with replies").JSON()
	if placeholder["state"] != "deleted" {
		t.Fatalf("placeholder: %v", placeholder)
	}
	items := thread(t, srv.client(t), reply)
	if len(items) != 2 || items[0]["state"] != "deleted" || items[0]["title"] != nil || items[0]["body"] != nil || items[1]["body"] != "Dagegen." {
		t.Fatalf("thread after deletion: %v", items)
	}
	mustStatus(t, bob.call("DELETE", "/api/v1/dialog/contributions/"+reply, nil), 204, "delete without replies")
	wantProblem(t, srv.client(t).do("GET", "/api/v1/dialog/contributions/"+reply, nil), 404, "not_found")
}

// A dialog that needs an account refuses anonymous and e-mail participation;
// a signed-in account takes part under a pseudonym.
func TestDialogAccountRequired(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "account", "post")
	wantProblem(t, srv.client(t).do("POST", path+"/dialog/participants", map[string]any{"email": newMailAddress("x")}), 401, "unauthenticated")
	p := wantProblem(t, srv.client(t).do("POST", path+"/dialog/contributions", map[string]any{"title": "Anonym", "body": "Ohne Konto geschrieben."}), 401, "unauthenticated")
	if !strings.Contains(p["detail"].(string), "Konto") {
		t.Fatalf("account required: %v", p)
	}
	citizen := srv.client(t)
	citizen.login("doebeln-editor@demo.example")
	c := mustStatus(t, citizen.do("POST", path+"/dialog/contributions", map[string]any{"title": "Mit Konto", "body": "Mit Konto geschrieben.",
		"pseudonym": "Dirk aus Döbeln"}), 201, "contribute").JSON()
	if c["author"] != "Dirk aus Döbeln" {
		t.Fatalf("pseudonym: %v", c)
	}
}

// Bad input gets a specific German message and changes nothing.
func TestDialogRejectsBadInput(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	ada := join(t, srv, path, "Ada")
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no title", map[string]any{"body": "Ein Text ohne Titel."}, "title"},
		{"short body", map[string]any{"title": "Titel", "body": "kurz"}, "body"},
		{"long body", map[string]any{"title": "Titel", "body": strings.Repeat("a", 5001)}, "body"},
		{"links", map[string]any{"title": "Links", "body": "https://a.example https://b.example www.c.example http://d.example"}, "body"},
		{"honeypot", map[string]any{"title": "Titel", "body": "Ein ganz normaler Text.", "website": "spam"}, "website"},
		{"unknown topic", map[string]any{"title": "Titel", "body": "Ein ganz normaler Text.", "topic_id": "00000000-0000-7000-8000-000000000000"}, "topic_id"},
		{"bad location", map[string]any{"title": "Titel", "body": "Ein ganz normaler Text.", "location": "Marktplatz"}, "location"},
		{"NUL", map[string]any{"title": "Titel", "body": "Ein Text mit \x00 darin."}, "body"},
		{"unknown parent", map[string]any{"parent_id": "00000000-0000-7000-8000-000000000000", "body": "Antwort"}, "parent_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, ada.call("POST", path+"/dialog/contributions", tc.body), 422, "validation")
			if !strings.Contains(fmt.Sprint(p["errors"]), tc.field) {
				t.Fatalf("errors: %v", p["errors"])
			}
		})
	}
	if ids := threadIDs(t, srv.client(t), path, ""); len(ids) != 0 {
		t.Fatalf("something was stored: %v", ids)
	}
	wantProblem(t, srv.client(t).do("GET", path+"/dialog/contributions?sort=loudest", nil), 422, "validation")
	wantProblem(t, srv.client(t).do("GET", path+"/dialog/contributions?cursor=xyz", nil), 422, "validation")
	wantProblem(t, srv.client(t).do("POST", path+"/dialog/participants", map[string]any{"email": "kein-mail"}), 422, "validation")
	wantProblem(t, srv.client(t).do("POST", path+"/dialog/participants", map[string]any{"email": newMailAddress("p"), "pseudonym": "a@b.de"}), 422, "validation")
	wantProblem(t, srv.client(t).do("GET", "/api/v1/procedures/"+srv.client(t).orgID("Freiberg")+"/dialog", nil), 404, "not_found")
}

// Paging walks every thread once in each order.
func TestDialogPaging(t *testing.T) {
	env := newEnv(t)
	srv := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	ada := join(t, srv, path, "Ada")
	for i := range 7 {
		contribute(t, ada, path, map[string]any{"title": fmt.Sprintf("Vorschlag %d", i), "body": "Ein Vorschlag für den Platz."}, 201)
	}
	for _, sort := range []string{"newest", "supported", "discussed"} {
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			res := mustStatus(t, srv.client(t).do("GET", path+"/dialog/contributions?limit=3&sort="+sort+"&cursor="+cursor, nil), 200, "page").JSON()
			for _, it := range res["items"].([]any) {
				id := it.(map[string]any)["id"].(string)
				if seen[id] {
					t.Fatalf("%s: %s twice", sort, id)
				}
				seen[id] = true
			}
			cursor, _ = res["next_cursor"].(string)
			if cursor == "" {
				break
			}
			if pages > 5 {
				t.Fatal("endless paging")
			}
		}
		if len(seen) != 7 {
			t.Fatalf("%s: %d threads", sort, len(seen))
		}
	}
	// A cursor of one order does not fit another.
	res := mustStatus(t, srv.client(t).do("GET", path+"/dialog/contributions?limit=3&sort=newest", nil), 200, "page").JSON()
	wantProblem(t, srv.client(t).do("GET", path+"/dialog/contributions?sort=supported&cursor="+res["next_cursor"].(string), nil), 422, "validation")
}

// A photo goes through the photo pipeline (metadata removed); the file is
// served while the contribution is public.
func TestDialogContributionWithPhoto(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	ada := join(t, srv, path, "Ada")
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("contribution", `{"title":"Foto","body":"So sieht der Platz heute aus."}`)
	fw, _ := w.CreateFormFile("file", "platz.jpg")
	_, _ = fw.Write(phoneJPEG(t, 64, 48, 1))
	_ = w.Close()
	res := ada.do("POST", path+"/dialog/contributions", body.Bytes(), "Content-Type", w.FormDataContentType(), "X-Dialog-Token", ada.token)
	c := mustStatus(t, res, 201, "with photo").JSON()
	f, _ := c["file"].(map[string]any)
	if f == nil || f["content_type"] != "image/jpeg" {
		t.Fatalf("file: %v", c)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/dialog/contributions/"+c["id"].(string)+"/file", nil)
	got, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	var data bytes.Buffer
	_, _ = data.ReadFrom(got.Body)
	if got.StatusCode != 200 || bytes.Contains(data.Bytes(), []byte("CAMSERIAL")) || data.Len() == 0 {
		t.Fatalf("photo: %d, %d bytes, serial kept: %v", got.StatusCode, data.Len(), bytes.Contains(data.Bytes(), []byte("CAMSERIAL")))
	}
	var txt bytes.Buffer
	w = multipart.NewWriter(&txt)
	_ = w.WriteField("contribution", `{"title":"Datei","body":"Eine Textdatei als Anhang."}`)
	fw, _ = w.CreateFormFile("file", "notiz.txt")
	_, _ = fw.Write([]byte("just text"))
	_ = w.Close()
	wantProblem(t, ada.do("POST", path+"/dialog/contributions", txt.Bytes(), "Content-Type", w.FormDataContentType(), "X-Dialog-Token", ada.token), 422, "validation")
}

// Outside its phase a dialog takes nothing, with a message that says why.
func TestDialogClosedOutsideItsPhase(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-11-10 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	ada := join(t, srv, path, "Ada")
	mustStatus(t, editor.do("POST", path+"/close", map[string]any{"reason": "Ratsbeschluss"}), 200, "close early")
	wantProblem(t, srv.client(t).do("POST", path+"/dialog/participants", map[string]any{"email": newMailAddress("spaet")}), 409, "closed")
	p := wantProblem(t, ada.call("POST", path+"/dialog/contributions", map[string]any{"title": "Zu spät", "body": "Nach dem Ende geschrieben."}), 409, "closed")
	if !strings.Contains(p["detail"].(string), "nicht geöffnet") {
		t.Fatalf("closed: %v", p)
	}
}

// The retention job deletes e-mail addresses that were never confirmed;
// confirmed participants keep no address at all.
func TestDialogRetentionDeletesUnconfirmedAddresses(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := dialogProcedure(t, editor, "email", "post")
	join(t, srv, path, "Bestätigt")
	addr := newMailAddress("unbestaetigt")
	mustStatus(t, srv.client(t).do("POST", path+"/dialog/participants", map[string]any{"email": addr}), 202, "request")
	db, err := postgres.Open(env.cfg.DatabaseURL, postgres.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	count := func(where string) int {
		var n int
		if err := db.NewRaw("SELECT count(*) FROM dialog_participants WHERE "+where).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count("email IS NOT NULL") != 1 || count("confirmed_at IS NOT NULL AND email IS NULL") != 1 {
		t.Fatal("addresses before retention")
	}
	job := newRetention(env.cfg, db, slog.New(slog.NewJSONHandler(io.Discard, nil)), func() time.Time { return time.Now().Add(49 * time.Hour) })
	rep, err := job.RunOnce(ctx)
	if err != nil || rep.DialogConfirmations != 1 {
		t.Fatalf("retention: %+v %v", rep, err)
	}
	if count("email IS NOT NULL") != 0 || count("true") != 1 {
		t.Fatal("addresses after retention")
	}
}
