package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// statementPlan publishes a Freiberg Bebauungsplan with a §3(2) publication
// (public) and a §4(2) participation of the invited Zweckverband, both from
// 1 to 31 October 2026, and returns its path and phase IDs.
func statementPlan(t testing.TB, editor *client) (path, public, invited string) {
	t.Helper()
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "land_use_plan", "subtype": "bebauungsplan", "title": "Bebauungsplan Nr. 12 „Lindenallee“",
		"summary": "Wohnen an der Lindenallee.", "area": freibergArea,
	}), 201, "create")
	path = "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, editor.do("POST", path+"/phases", map[string]any{"kind": "publication", "audience": "public",
		"start": "2026-10-01", "end": "2026-10-31", "announced_on": "2026-09-20"}), 201, "publication")
	mustStatus(t, editor.do("POST", path+"/phases", map[string]any{"kind": "authorities", "audience": "invited",
		"start": "2026-10-01", "end": "2026-10-31", "invited_bodies": []string{editor.orgID("Zweckverband")}}), 201, "authorities")
	p := decodeProcedure(t, mustStatus(t, editor.do("POST", path+"/publish", nil), 200, "publish"))
	for _, ph := range p.Phases {
		if public == "" {
			public = ph.ID
		} else {
			invited = ph.ID
		}
	}
	return path, public, invited
}

type receiptBody struct {
	ID              string `json:"id"`
	Number          string `json:"number"`
	Token           string `json:"token"`
	PhaseID         string `json:"phase_id"`
	Digest          string `json:"digest"`
	ReceivedAtLocal string `json:"received_at_local"`
	Timely          bool   `json:"timely"`
	Attachments     []struct {
		FileName, ContentType, SHA256 string
	} `json:"attachments"`
	Warnings []struct{ Code string } `json:"warnings"`
}

func decodeReceipt(t *testing.T, res response) receiptBody {
	t.Helper()
	var r receiptBody
	if err := json.Unmarshal(res.Body, &r); err != nil {
		t.Fatalf("decode %s: %v", res.Body, err)
	}
	return r
}

// submitMultipart sends a statement with attachments as a browser form would.
func (c *client) submitMultipart(path string, stmt map[string]any, key string, files map[string][]byte) response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	raw, _ := json.Marshal(stmt)
	_ = w.WriteField("statement", string(raw))
	for name, content := range files {
		fw, _ := w.CreateFormFile("attachments", name)
		_, _ = fw.Write(content)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", c.base+path+"/statements", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: buf.Bytes()}
}

var receiptPattern = regexp.MustCompile(`^[0-9A-Z]{3,}-2026-[0-9]{5}-[0-9]{2}$`)

func citizen(text string) map[string]any {
	return map[string]any{"text": text, "privacy_consent": "2026-11-01",
		"submitter": map[string]string{"name": "Erika Mustermann", "address": "Lindenallee 3, 09599 Freiberg", "email": "erika@example.org"}}
}

// The acceptance path of the statements issue.
func TestStatementSubmissionReceiptAndWeighing(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path, public, invited := statementPlan(t, editor)
	anon := srv.client(t)

	// Before the phase: a clear refusal.
	wantProblem(t, anon.do("POST", path+"/statements", citizen("Zu früh.")), 409, "closed")

	clock.Set("2026-10-05 14:00:00")
	scan := samplePDF("Lageskizze")
	stmt := citizen("Die Lindenallee braucht einen sicheren Radweg.")
	address := newMailAddress("erika")
	stmt["submitter"].(map[string]string)["email"] = address
	first := mustStatus(t, anon.submitMultipart(path, stmt, "key-1", map[string][]byte{"skizze.pdf": scan}), 201, "submit")
	r1 := decodeReceipt(t, first)
	if !receiptPattern.MatchString(r1.Number) || len(r1.Token) != 26 || len(r1.Digest) != 64 || r1.PhaseID != public ||
		!r1.Timely || r1.ReceivedAtLocal != "05.10.2026, 14:00:00 Uhr (MESZ)" || len(r1.Attachments) != 1 ||
		r1.Attachments[0].SHA256 != sha(scan) {
		t.Fatalf("receipt: %s", first.Body)
	}
	// A retry with the same key gets the same receipt and creates nothing.
	again := mustStatus(t, anon.submitMultipart(path, stmt, "key-1", map[string][]byte{"skizze.pdf": scan}), 201, "retry")
	if r := decodeReceipt(t, again); r.Number != r1.Number || r.Token != r1.Token || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %s", again.Body)
	}
	wantProblem(t, anon.submitMultipart(path, citizen("Etwas anderes."), "key-1", nil), 409, "conflict")
	// The same key with another file of the same name and size is no retry.
	other := append([]byte(nil), scan...)
	other[len(other)-3] ^= 1
	wantProblem(t, anon.submitMultipart(path, stmt, "key-1", map[string][]byte{"skizze.pdf": other}), 409, "conflict")

	// The confirmation mail carries number, time, digest and token, once.
	mail := waitForMail(t, address, r1.Number)
	for _, want := range []string{r1.Number, "05.10.2026, 14:00:00 Uhr (MESZ)", r1.Digest, r1.Token, "Lindenallee"} {
		if !strings.Contains(mail.Text, want) {
			t.Errorf("confirmation mail lacks %q:\n%s", want, mail.Text)
		}
	}
	if n := len(mailsTo(t, address, r1.Number)); n != 1 {
		t.Errorf("%d confirmation mails, want 1 (the retry must not send another)", n)
	}

	// The receipt can be checked without revealing who sent it.
	check := mustStatus(t, anon.do("POST", "/api/v1/receipts/check", map[string]string{"number": strings.ToLower(r1.Number), "token": r1.Token}), 200, "check")
	if c := check.JSON(); c["number"] != r1.Number || c["digest"] != r1.Digest || c["withdrawn"] != false ||
		strings.Contains(string(check.Body), "Erika") || strings.Contains(string(check.Body), "Radweg") {
		t.Fatalf("check: %s", check.Body)
	}
	wantProblem(t, anon.do("POST", "/api/v1/receipts/check", map[string]string{"number": r1.Number, "token": strings.Repeat("A", 26)}), 404, "not_found")
	typo := []byte(r1.Number)
	typo[len(typo)-4] = '0' + (typo[len(typo)-4]-'0'+1)%10
	wantProblem(t, anon.do("POST", "/api/v1/receipts/check", map[string]string{"number": string(typo), "token": r1.Token}), 404, "not_found")

	// Rules of the form.
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no consent", map[string]any{"text": "x"}, "privacy_consent"},
		{"old consent", map[string]any{"text": "x", "privacy_consent": "2020-01-01"}, "privacy_consent"},
		{"bot", map[string]any{"text": "x", "privacy_consent": "2026-11-01", "website": "http://spam.example"}, "website"},
		{"bad location", map[string]any{"text": "x", "privacy_consent": "2026-11-01", "location": map[string]any{"type": "Point", "coordinates": []float64{200, 95}}}, "location"},
		{"no text", map[string]any{"text": " ", "privacy_consent": "2026-11-01"}, "text"},
		{"bad e-mail", map[string]any{"text": "x", "privacy_consent": "2026-11-01", "submitter": map[string]string{"email": "nein"}}, "submitter.email"},
	} {
		p := wantProblem(t, anon.do("POST", path+"/statements", tc.body), 422, "validation")
		if !strings.Contains(fmt.Sprint(p["errors"]), tc.field) {
			t.Errorf("%s: %v", tc.name, p["errors"])
		}
	}
	outside := decodeReceipt(t, mustStatus(t, anon.do("POST", path+"/statements", map[string]any{"text": "Am Bahnhof fehlt ein Fahrradständer.",
		"privacy_consent": "2026-11-01", "location": map[string]any{"type": "Point", "coordinates": []float64{13.5, 50.5}}}), 201, "outside the area"))
	if len(outside.Warnings) != 1 || outside.Warnings[0].Code != "statement.outside_area" {
		t.Fatalf("outside the area: %+v", outside)
	}

	// The §4(2) phase is for the invited public body only.
	wantProblem(t, anon.do("POST", path+"/statements", map[string]any{"text": "Ich auch.", "privacy_consent": "2026-11-01", "phase_id": invited}), 403, "forbidden")
	toeb := srv.client(t)
	toeb.login("toeb@demo.example")
	zv := toeb.orgID("Zweckverband")
	body := decodeReceipt(t, mustStatus(t, toeb.do("POST", path+"/statements", map[string]any{"text": "Die Trinkwasserleitung DN 150 ist zu sichern.",
		"privacy_consent": "2026-11-01", "on_behalf_of": zv}), 201, "public body"))
	if body.PhaseID != invited {
		t.Fatalf("public body's statement went to phase %s, want %s", body.PhaseID, invited)
	}
	grimma := srv.client(t)
	grimma.login("grimma-admin@demo.example")
	wantProblem(t, grimma.do("POST", path+"/statements", map[string]any{"text": "x", "privacy_consent": "2026-11-01", "on_behalf_of": zv}), 403, "forbidden")

	// Withdrawal while the phase is open; the statement stays, marked.
	w := decodeReceipt(t, mustStatus(t, anon.do("POST", path+"/statements", citizen("Ziehe ich zurück.")), 201, "to withdraw"))
	if res := mustStatus(t, anon.do("POST", "/api/v1/receipts/withdraw", map[string]string{"number": w.Number, "token": w.Token}), 200, "withdraw"); res.JSON()["withdrawn"] != true {
		t.Fatalf("withdraw: %s", res.Body)
	}
	wantProblem(t, anon.do("POST", "/api/v1/receipts/withdraw", map[string]string{"number": w.Number, "token": w.Token}), 409, "conflict")

	// Mass statements: three copies with small changes.
	for _, who := range []string{"Max", "Moritz", "Lena"} {
		mustStatus(t, anon.do("POST", path+"/statements", citizen("Wir lehnen die Fällung der Linden an der Lindenallee ab. Die Bäume sind über hundert Jahre alt und prägen das Stadtbild. Gruß "+who)), 201, "mass statement")
	}

	// After the last day (Berlin time) submissions are refused clearly.
	clock.Set("2026-10-31 23:59:59")
	mustStatus(t, anon.do("POST", path+"/statements", citizen("Gerade noch.")), 201, "last second")
	clock.Set("2026-11-01 00:00:00")
	p := wantProblem(t, anon.do("POST", path+"/statements", citizen("Zu spät.")), 409, "closed")
	if !strings.Contains(fmt.Sprint(p["detail"]), "nicht geöffnet") && !strings.Contains(fmt.Sprint(p["detail"]), "keine Beteiligungsphase") {
		t.Fatalf("late: %v", p)
	}
	wantProblem(t, anon.do("POST", "/api/v1/receipts/withdraw", map[string]string{"number": r1.Number, "token": r1.Token}), 409, "closed")

	// A letter arrives late; staff record it in the same numbering.
	clock.Set("2026-11-03 10:00:00")
	letter := decodeReceipt(t, mustStatus(t, editor.do("POST", path+"/statements/manual", map[string]any{"channel": "letter",
		"received_at": "2026-11-02T09:30", "phase_id": public, "text": "Per Brief: Bitte mehr Parkplätze.",
		"submitter": map[string]string{"name": "Hans Brief", "address": "Postweg 1"}}), 201, "record letter"))
	intime := decodeReceipt(t, mustStatus(t, editor.do("POST", path+"/statements/manual", map[string]any{"channel": "fax",
		"received_at": "2026-10-31T23:00", "phase_id": public, "text": "Per Fax, rechtzeitig."}), 201, "record fax"))
	if letter.Timely || !intime.Timely {
		t.Fatalf("timely flags: letter %v, fax %v", letter.Timely, intime.Timely)
	}
	viewer := srv.client(t)
	viewer.login("freiberg-viewer@demo.example")
	wantProblem(t, viewer.do("POST", path+"/statements/manual", map[string]any{"channel": "letter", "received_at": "2026-11-02T09:30",
		"phase_id": public, "text": "x"}), 403, "forbidden")

	// The agency's list: personal data for weighing staff, pseudonyms for viewers.
	var all struct {
		Items []struct {
			ID, Number, Status, Pseudonym string
			Pseudonymised                 bool
			Submitter                     struct{ Name, Email string }
			Version                       int
			Timely                        bool
			WithdrawnAt                   *string `json:"withdrawn_at"`
		}
	}
	_ = json.Unmarshal(mustStatus(t, editor.do("GET", path+"/statements?limit=200", nil), 200, "list").Body, &all)
	if len(all.Items) != 10 || all.Items[0].Number != r1.Number || all.Items[0].Submitter.Email != address {
		t.Fatalf("editor's list: %d items, first %+v", len(all.Items), all.Items[0])
	}
	numbers := map[string]bool{}
	for _, it := range all.Items {
		numbers[it.Number] = true
	}
	if len(numbers) != 10 {
		t.Fatalf("receipt numbers are not unique: %v", numbers)
	}
	vlist := mustStatus(t, viewer.do("GET", path+"/statements", nil), 200, "viewer list")
	if strings.Contains(string(vlist.Body), "Erika") || strings.Contains(string(vlist.Body), address) ||
		strings.Contains(string(vlist.Body), "skizze.pdf") ||
		!strings.Contains(string(vlist.Body), `"pseudonymised":true`) {
		t.Fatalf("viewer sees personal data: %s", vlist.Body)
	}
	wantProblem(t, grimma.do("GET", path+"/statements", nil), 403, "forbidden")
	wantProblem(t, anon.do("GET", path+"/statements", nil), 401, "unauthenticated")
	wantProblem(t, viewer.do("PATCH", path+"/statements/"+r1.ID, map[string]any{"status": "in_review"}), 403, "forbidden")
	if late := mustStatus(t, editor.do("GET", path+"/statements?timely=false", nil), 200, "late ones"); !strings.Contains(string(late.Body), letter.Number) ||
		strings.Contains(string(late.Body), r1.Number) {
		t.Fatalf("filter timely=false: %s", late.Body)
	}
	if res := mustStatus(t, editor.do("GET", path+"/statements?q=radweg", nil), 200, "search"); !strings.Contains(string(res.Body), r1.Number) {
		t.Fatalf("search: %s", res.Body)
	}
	wantProblem(t, editor.do("GET", path+"/statements?q=%00", nil), 422, "validation")
	wantProblem(t, editor.do("GET", path+"/statements?topic=a%01b", nil), 422, "validation")
	if res := mustStatus(t, editor.do("GET", path+"/statements?has_attachments=true", nil), 200, "with attachments"); strings.Count(string(res.Body), `"number"`) != 1 {
		t.Fatalf("has_attachments: %s", res.Body)
	}

	// Weighing one statement.
	one := path + "/statements/" + r1.ID
	mustStatus(t, editor.do("PATCH", one, map[string]any{"status": "in_review", "topics": []string{"Verkehr", "Radweg"}}), 200, "review")
	wantProblem(t, editor.do("PATCH", one, map[string]any{"status": "weighed"}), 409, "conflict")
	wantProblem(t, editor.do("PATCH", one, map[string]any{"version": 1, "answer": "x"}), 409, "conflict")
	wres := mustStatus(t, editor.do("PATCH", one, map[string]any{"status": "weighed", "decision": "followed", "priority": "A",
		"answer": "Ein Radweg wird im Plan festgesetzt."}), 200, "weigh")
	if j := wres.JSON(); j["status"] != "weighed" || j["decision"] != "followed" || fmt.Sprint(j["topics"]) != "[Radweg Verkehr]" {
		t.Fatalf("weighed: %s", wres.Body)
	}

	// Mass statements are found and weighed together.
	groups := mustStatus(t, editor.do("POST", path+"/statements/groups", nil), 200, "groups")
	var g struct {
		Items []struct {
			ID           string
			StatementIDs []string `json:"statement_ids"`
		}
	}
	_ = json.Unmarshal(groups.Body, &g)
	if len(g.Items) != 1 || len(g.Items[0].StatementIDs) != 3 {
		t.Fatalf("groups: %s", groups.Body)
	}
	mustStatus(t, editor.do("POST", path+"/statements/bulk", map[string]any{"ids": g.Items[0].StatementIDs,
		"change": map[string]any{"status": "in_review", "add_topics": []string{"Baumschutz"}}}), 200, "bulk review")
	bulk := mustStatus(t, editor.do("POST", path+"/statements/bulk", map[string]any{"ids": g.Items[0].StatementIDs,
		"change": map[string]any{"status": "weighed", "decision": "not_followed", "answer": "Die Linden bleiben erhalten; die Fällung ist nicht Teil der Planung."}}), 200, "bulk weigh")
	if strings.Count(string(bulk.Body), `"status":"weighed"`) != 3 {
		t.Fatalf("bulk: %s", bulk.Body)
	}
	if res := mustStatus(t, editor.do("GET", path+"/statements?group="+g.Items[0].ID, nil), 200, "group filter"); strings.Count(string(res.Body), `"number"`) != 3 {
		t.Fatalf("group filter: %s", res.Body)
	}

	// Attachments are for weighing staff only.
	att := mustStatus(t, editor.do("GET", path+"/statements/"+r1.ID, nil), 200, "detail").JSON()["attachments"].([]any)[0].(map[string]any)
	attPath := path + "/statements/" + r1.ID + "/attachments/" + att["id"].(string)
	if res := mustStatus(t, editor.do("GET", attPath, nil), 200, "attachment"); !bytes.Equal(res.Body, scan) {
		t.Fatalf("attachment bytes differ")
	}
	wantProblem(t, viewer.do("GET", attPath, nil), 403, "forbidden")
	wantProblem(t, anon.do("GET", attPath, nil), 401, "unauthenticated")

	// Everything is in the audit trail.
	admin := srv.client(t)
	admin.login("freiberg-admin@demo.example")
	trail := string(admin.do("GET", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/audit?limit=100", nil).Body)
	for _, action := range []string{"statement.submit", "statement.withdraw", "statement.record", "statement.weigh", "statement.weigh_many", "statement.detect_groups"} {
		if !strings.Contains(trail, `"`+action+`"`) {
			t.Errorf("audit trail lacks %s", action)
		}
	}
}

// Concurrent submissions get distinct, gap-free numbers, and concurrent
// retries with one key create one statement.
func TestConcurrentSubmissions(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path, _, _ := statementPlan(t, editor)
	clock.Set("2026-10-10 10:00:00")

	const n = 24
	var wg sync.WaitGroup
	numbers := make(chan string, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			res := srv.client(t).do("POST", path+"/statements", citizen(fmt.Sprintf("Stellungnahme %d", i)))
			if res.Status != 201 {
				t.Errorf("submit %d: %d %s", i, res.Status, res.Body)
				return
			}
			numbers <- decodeReceipt(t, res).Number
		}()
		go func() {
			defer wg.Done()
			res := srv.client(t).do("POST", path+"/statements", citizen("Dieselbe Stellungnahme"), "Idempotency-Key", "same-key")
			if res.Status != 201 {
				t.Errorf("same key: %d %s", res.Status, res.Body)
				return
			}
			numbers <- decodeReceipt(t, res).Number
		}()
	}
	wg.Wait()
	close(numbers)
	distinct := map[string]bool{}
	for x := range numbers {
		distinct[x] = true
	}
	if len(distinct) != n+1 {
		t.Fatalf("%d distinct numbers, want %d", len(distinct), n+1)
	}
	for seq := 1; seq <= n+1; seq++ {
		found := false
		for x := range distinct {
			found = found || strings.Contains(x, fmt.Sprintf("-2026-%05d-", seq))
		}
		if !found {
			t.Fatalf("running number %d is missing: %v", seq, distinct)
		}
	}
	// Operators see how the batches took their numbers. (A batch in which
	// the raced key came twice is written alone, outside these counts.)
	mustStatus(t, srv.client(t).do("POST", path+"/statements", citizen("Noch eine Stellungnahme")), 201, "one more")
	metrics := srv.client(t).do("GET", "/metrics", nil)
	batches := map[string]int{}
	for _, line := range strings.Split(string(metrics.Body), "\n") {
		var numbers string
		var count int
		if _, err := fmt.Sscanf(line, `portal_statement_batches_total{numbers=%q} %d`, &numbers, &count); err == nil {
			batches[numbers] = count
		}
	}
	if written := batches["expected"] + batches["taken"]; len(batches) != 3 || written < 1 || written > n+2 {
		t.Errorf("portal_statement_batches_total by numbers: %v, want between 1 and %d written", batches, n+2)
	}
}

// Limits refuse with 429 and Retry-After; with Redis gone, statements are
// still accepted.
func TestStatementRateLimitAndRedisOutage(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.RateLimitStatements = 2 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path, _, _ := statementPlan(t, editor)
	clock.Set("2026-10-10 10:00:00")
	anon := srv.client(t)
	for i := range 2 {
		mustStatus(t, anon.do("POST", path+"/statements", citizen(fmt.Sprint("Nummer ", i))), 201, "within the limit")
	}
	limited := wantProblem(t, anon.do("POST", path+"/statements", citizen("Eine zu viel")), 429, "rate_limited")
	_ = limited

	down := env.start(func(c *config) { c.RedisURL = "redis://127.0.0.1:1/0"; c.RateLimitStatements = 1 })
	for i := range 3 {
		mustStatus(t, down.client(t).do("POST", path+"/statements", citizen(fmt.Sprint("Ohne Redis ", i))), 201, "redis down")
	}
}

// A statement submission counts once against the client's API limit, which
// it shares with every other request across instances: the route asks the
// API limit and its own two in one round trip, the API group not again.
func TestStatementSubmissionsCountOnceAgainstTheAPILimit(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	a := env.start()
	editor := a.client(t)
	editor.login("freiberg-editor@demo.example")
	path, _, _ := statementPlan(t, editor)
	clock.Set("2026-10-10 10:00:00")
	// Limits of their own: the editor's requests above counted for this IP.
	limit := func(c *config) {
		c.RateLimitAPI, c.RateLimitStatements, c.RedisPrefix = 4, 100, c.RedisPrefix+"limited:"
	}
	one, two := env.start(limit), env.start(limit)
	c1 := one.client(t)
	for i := range 3 {
		mustStatus(t, c1.do("POST", path+"/statements", citizen(fmt.Sprint("Im Rahmen ", i))), 201, "within the API limit")
	}
	c2 := c1.on(two)
	mustStatus(t, c2.do("GET", "/api/v1/organisations", nil), 200, "the fourth request")
	wantProblem(t, c2.do("GET", "/api/v1/organisations", nil), 429, "rate_limited")
	wantProblem(t, c1.do("POST", path+"/statements", citizen("Eine zu viel")), 429, "rate_limited")
}

// An instance that has just checked statements against a procedure sees a
// change made through another instance with the next submission: it accepts
// nothing the changed procedure refuses, and refuses nothing it accepts.
func TestSubmissionsFollowProcedureChangesAtOnce(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	a := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	b := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	editor := b.client(t)
	editor.login("freiberg-editor@demo.example")
	path, _, _ := statementPlan(t, editor)
	clock.Set("2026-10-10 10:00:00")
	citizenA := a.client(t)
	withoutAddress := func(text string) map[string]any {
		s := citizen(text)
		delete(s["submitter"].(map[string]string), "address")
		return s
	}
	fields := func(address string) {
		t.Helper()
		mustStatus(t, editor.do("PUT", path, map[string]any{"type": "land_use_plan", "subtype": "bebauungsplan",
			"title": "Bebauungsplan Nr. 12 „Lindenallee“", "summary": "Wohnen an der Lindenallee.", "area": freibergArea,
			"statement_fields": map[string]string{"name": "optional", "address": address, "email": "optional"}}), 200, "statement fields")
	}

	mustStatus(t, citizenA.do("POST", path+"/statements", withoutAddress("Erste Stellungnahme.")), 201, "address optional")
	fields("required")
	wantProblem(t, citizenA.do("POST", path+"/statements", withoutAddress("Zweite Stellungnahme.")), 422, "validation")
	mustStatus(t, citizenA.do("POST", path+"/statements", citizen("Mit Anschrift.")), 201, "address given")
	fields("optional")
	mustStatus(t, citizenA.do("POST", path+"/statements", withoutAddress("Wieder ohne Anschrift.")), 201, "optional again")
	mustStatus(t, editor.do("POST", path+"/close", map[string]any{"reason": "Ratsbeschluss"}), 200, "close early")
	wantProblem(t, citizenA.do("POST", path+"/statements", citizen("Nach dem Schluss.")), 409, "closed")
}
