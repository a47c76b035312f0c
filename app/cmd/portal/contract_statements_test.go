package main

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
)

// statementForm encodes a statement as multipart/form-data the way a browser
// form sends it: the JSON in the part "statement", files in parts
// "attachments". It returns the body and the Content-Type header pair.
func statementForm(stmt any, files map[string][]byte) ([]byte, []string) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if stmt != nil {
		raw, _ := json.Marshal(stmt)
		_ = w.WriteField("statement", string(raw))
	}
	for name, content := range files {
		fw, _ := w.CreateFormFile("attachments", name)
		_, _ = fw.Write(content)
	}
	_ = w.Close()
	return body.Bytes(), []string{"Content-Type", w.FormDataContentType()}
}

// contractStatements drives every statement operation into its documented
// answers on a server whose clock moves through a Bebauungsplan's phases: the
// public and an invited public body submit and check receipts while the phases
// run, staff record a late letter, list, weigh and group the statements, and
// submissions and withdrawals are refused once the phases have ended. It has
// an environment of its own for its clock and its statement rate limits.
func contractStatements(k *contract) {
	t := k.t
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	anon, ed, viewer, grimma, toeb, admin := srv.client(t), srv.client(t), srv.client(t), srv.client(t), srv.client(t), srv.client(t)
	k.login(ed, "freiberg-editor@demo.example")
	k.login(viewer, "freiberg-viewer@demo.example")
	k.login(grimma, "grimma-admin@demo.example")
	k.login(toeb, "toeb@demo.example")
	k.login(admin, "admin@demo.example")

	path, public, invited := statementPlan(t, ed)
	slug := decodeProcedure(t, mustStatus(t, anon.do("GET", path, nil), 200, "plan")).Slug
	draft := newDraftPlan(t, ed, "2026-12-01", "2026-12-31")
	plan := samplePDF("Planzeichnung")
	docBody, docType := multipartBody("planzeichnung.pdf", plan, "title", "Planzeichnung")
	doc := decodeDocument(t, mustStatus(t, ed.do("POST", path+"/documents", docBody, docType...), 201, "document"))
	zv := ed.orgID("Zweckverband")
	missing := "/api/v1/procedures/" + uuid.NewString()
	stmts := path + "/statements"
	check, withdraw := "/api/v1/receipts/check", "/api/v1/receipts/withdraw"

	// The privacy notice.
	notice := k.check(call{name: "privacy notice", c: anon, method: "GET", path: "/api/v1/privacy-notice", status: 200})
	version, _ := notice.JSON()["version"].(string)
	if version == "" || notice.Header.Get("Cache-Control") != "public, max-age=30, stale-while-revalidate=30" {
		t.Errorf("privacy notice: %s, Cache-Control %q", notice.Body, notice.Header.Get("Cache-Control"))
	}
	k.check(call{name: "privacy notice, unchanged", c: anon, method: "GET", path: "/api/v1/privacy-notice",
		headers: []string{"If-None-Match", notice.Header.Get("ETag")}, status: 304})

	// with returns a copy of m with the keys set, or removed for nil.
	with := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for key, v := range m {
			out[key] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	stmt := func(text string, kv ...any) map[string]any {
		return with(map[string]any{"text": text, "privacy_consent": version}, kv...)
	}
	erika := map[string]string{"name": "Erika Mustermann", "address": "Lindenallee 3\n09599 Freiberg", "email": "erika@example.org"}

	// Before the phases: closed; drafts and unknown procedures are not found.
	k.check(call{name: "statement before the phase", c: anon, method: "POST", path: stmts, body: stmt("Zu früh."), status: 409, slug: "closed"})
	k.check(call{name: "statement on a draft", c: anon, method: "POST", path: draft + "/statements", body: stmt("Entwurf?"),
		status: 404, slug: "not_found"})
	k.check(call{name: "statement on an unknown procedure", c: anon, method: "POST", path: missing + "/statements", body: stmt("Wo?"),
		status: 404, slug: "not_found"})

	// While the phases run.
	clock.Set("2026-10-05 14:00:00")
	first := decodeReceipt(t, k.check(call{name: "statement", c: anon, method: "POST", path: stmts,
		body: stmt("Die Lindenallee braucht einen sicheren Radweg.", "submitter", erika, "document_id", doc.ID, "section", "S. 3",
			"location", map[string]any{"type": "Point", "coordinates": []float64{13.35, 50.91}}), status: 201}))
	k.check(call{name: "statement by slug", c: anon, method: "POST", path: "/api/v1/procedures/" + slug + "/statements",
		body: stmt("Mehr Bäume, bitte.", "phase_id", public), status: 201})
	scan := samplePDF("Lageskizze")
	form, formType := statementForm(stmt("Siehe Skizze.", "submitter", map[string]string{"name": "Max Muster"}),
		map[string][]byte{"skizze.pdf": scan})
	keyed := append([]string{"Idempotency-Key", "contract-1"}, formType...)
	withFile := decodeReceipt(t, k.check(call{name: "statement with an attachment", c: anon, method: "POST", path: stmts,
		body: form, headers: keyed, status: 201}))
	if len(withFile.Attachments) != 1 || withFile.Attachments[0].SHA256 != sha(scan) {
		t.Errorf("statement with an attachment: %+v", withFile)
	}
	replay := k.check(call{name: "statement retried with its key", c: anon, method: "POST", path: stmts, body: form, headers: keyed, status: 201})
	if decodeReceipt(t, replay).Number != withFile.Number || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %s, Idempotent-Replayed %q", replay.Body, replay.Header.Get("Idempotent-Replayed"))
	}
	k.check(call{name: "statement reusing a key", c: anon, method: "POST", path: stmts, body: stmt("Etwas anderes."),
		headers: []string{"Idempotency-Key", "contract-1"}, status: 409, slug: "conflict"})
	k.check(call{name: "statement with a too long key", c: anon, method: "POST", path: stmts, body: stmt("Schlüssel."),
		headers: []string{"Idempotency-Key", strings.Repeat("k", 201)}, status: 422, slug: "validation", refused: true})
	outside := decodeReceipt(t, k.check(call{name: "statement outside the area", c: anon, method: "POST", path: stmts, status: 201,
		body: stmt("Am Bahnhof fehlt ein Fahrradständer.", "location", map[string]any{"type": "Point", "coordinates": []float64{13.5, 50.5}})}))
	if len(outside.Warnings) != 1 || outside.Warnings[0].Code != "statement.outside_area" {
		t.Errorf("statement outside the area: %+v", outside)
	}
	k.check(call{name: "statement with malformed JSON", c: anon, method: "POST", path: stmts, body: `{"text":`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "statement with an unknown field", c: anon, method: "POST", path: stmts, body: stmt("x", "mood", "angry"),
		status: 400, slug: "unknown_field", refused: true})
	k.check(call{name: "statement as text/plain", c: anon, method: "POST", path: stmts, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "statement without consent", c: anon, method: "POST", path: stmts, body: stmt("x", "privacy_consent", nil),
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "statement consenting to an old notice", c: anon, method: "POST", path: stmts,
		body: stmt("x", "privacy_consent", "2020-01-01"), status: 422, slug: "validation"})
	k.check(call{name: "statement by a bot", c: anon, method: "POST", path: stmts, body: stmt("x", "website", "http://spam.example"),
		status: 422, slug: "validation"})
	k.check(call{name: "statement with a blank text", c: anon, method: "POST", path: stmts, body: stmt(" "), status: 422, slug: "validation"})
	k.check(call{name: "statement with a polygon as location", c: anon, method: "POST", path: stmts,
		body: stmt("x", "location", freibergArea), status: 422, slug: "validation", refused: true})
	noStmt, noStmtType := statementForm(nil, map[string][]byte{"skizze.pdf": scan})
	k.check(call{name: "statement form without the statement", c: anon, method: "POST", path: stmts, body: noStmt, headers: noStmtType,
		status: 422, slug: "validation", refused: true})
	broken := []byte("--x\r\nContent-Disposition: form-data; name=\"statement\"\r\n\r\n{")
	k.check(call{name: "statement as a broken form", c: anon, method: "POST", path: stmts, body: broken,
		headers: []string{"Content-Type", "multipart/form-data; boundary=x"}, status: 400, slug: "bad_request", refused: true})
	html, htmlType := statementForm(stmt("Anlage."), map[string][]byte{"skizze.pdf": []byte("<html><script>alert(1)</script></html>")})
	k.check(call{name: "statement with an HTML attachment", c: anon, method: "POST", path: stmts, body: html, headers: htmlType,
		status: 422, slug: "validation"})

	// The invited phase is for the invited public body's staff.
	k.check(call{name: "anonymous statement in the invited phase", c: anon, method: "POST", path: stmts,
		body: stmt("Ich auch.", "phase_id", invited), status: 403, slug: "forbidden"})
	k.check(call{name: "statement for a body that was not invited", c: grimma, method: "POST", path: stmts,
		body: stmt("Wir auch.", "on_behalf_of", grimma.orgID("Grimma")), status: 403, slug: "forbidden"})
	k.check(call{name: "public body's statement without CSRF token", c: contractNoCSRF(toeb), method: "POST", path: stmts,
		body: stmt("Die Trinkwasserleitung DN 150 ist zu sichern.", "on_behalf_of", zv), status: 403, slug: "csrf"})
	body := decodeReceipt(t, k.check(call{name: "public body's statement", c: toeb, method: "POST", path: stmts,
		body: stmt("Die Trinkwasserleitung DN 150 ist zu sichern.", "on_behalf_of", zv), status: 201}))
	if body.PhaseID != invited {
		t.Errorf("public body's statement went to phase %s, want %s", body.PhaseID, invited)
	}

	// Mass statements: three copies with small changes.
	for _, who := range []string{"Max", "Moritz", "Lena"} {
		k.check(call{name: "mass statement by " + who, c: anon, method: "POST", path: stmts, status: 201,
			body: stmt("Wir lehnen die Fällung der Linden an der Lindenallee ab. Die Bäume sind über hundert Jahre alt und prägen das Stadtbild. Gruß " + who)})
	}

	// Receipts.
	rc := func(r receiptBody) map[string]string { return map[string]string{"number": r.Number, "token": r.Token} }
	k.check(call{name: "receipt check", c: anon, method: "POST", path: check, body: map[string]string{
		"number": strings.ToLower(first.Number), "token": first.Token}, status: 200})
	k.check(call{name: "receipt check with a wrong token", c: anon, method: "POST", path: check,
		body: map[string]string{"number": first.Number, "token": strings.Repeat("A", 26)}, status: 404, slug: "not_found"})
	k.check(call{name: "receipt check with malformed JSON", c: anon, method: "POST", path: check, body: `{"number":1}`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "receipt check with an unknown field", c: anon, method: "POST", path: check,
		body: map[string]string{"number": first.Number, "token": first.Token, "name": "Erika"}, status: 400, slug: "unknown_field", refused: true})
	k.check(call{name: "receipt check as text/plain", c: anon, method: "POST", path: check, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "receipt check without token", c: anon, method: "POST", path: check, body: map[string]string{"number": first.Number},
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "receipt check without CSRF token", c: contractNoCSRF(toeb), method: "POST", path: check, body: rc(body),
		status: 403, slug: "csrf"})
	k.check(call{name: "receipt check signed in", c: toeb, method: "POST", path: check, body: rc(body), status: 200})

	gone := decodeReceipt(t, k.check(call{name: "statement to withdraw", c: anon, method: "POST", path: stmts, body: stmt("Ziehe ich zurück."), status: 201}))
	k.check(call{name: "withdrawal with a wrong token", c: anon, method: "POST", path: withdraw,
		body: map[string]string{"number": gone.Number, "token": first.Token}, status: 404, slug: "not_found"})
	k.check(call{name: "withdrawal with malformed JSON", c: anon, method: "POST", path: withdraw, body: `{"number":`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "withdrawal as text/plain", c: anon, method: "POST", path: withdraw, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "withdrawal without number", c: anon, method: "POST", path: withdraw, body: map[string]string{"token": gone.Token},
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "withdrawal without CSRF token", c: contractNoCSRF(toeb), method: "POST", path: withdraw, body: rc(gone),
		status: 403, slug: "csrf"})
	if res := k.check(call{name: "withdrawal", c: anon, method: "POST", path: withdraw, body: rc(gone), status: 200}); res.JSON()["withdrawn"] != true {
		t.Errorf("withdrawal: %s", res.Body)
	}
	k.check(call{name: "withdrawal twice", c: anon, method: "POST", path: withdraw, body: rc(gone), status: 409, slug: "conflict"})
	k.check(call{name: "receipt check of a withdrawn statement", c: anon, method: "POST", path: check, body: rc(gone), status: 200})

	// After the last day submissions and withdrawals are refused.
	clock.Set("2026-11-01 00:00:00")
	k.check(call{name: "statement after the phase", c: anon, method: "POST", path: stmts, body: stmt("Zu spät."), status: 409, slug: "closed"})
	k.check(call{name: "withdrawal after the phase", c: anon, method: "POST", path: withdraw, body: rc(first), status: 409, slug: "closed"})

	// Staff record a letter that arrived late, and one with its scan.
	clock.Set("2026-11-03 10:00:00")
	manual := stmts + "/manual"
	letter := map[string]any{"channel": "letter", "received_at": "2026-11-02T09:30", "phase_id": public,
		"text": "Per Brief: Bitte mehr Parkplätze.", "submitter": map[string]string{"name": "Hans Brief", "address": "Postweg 1"}}
	k.check(call{name: "record without session", c: anon, method: "POST", path: manual, body: letter, status: 401, slug: "unauthenticated"})
	k.check(call{name: "record without CSRF token", c: contractNoCSRF(ed), method: "POST", path: manual, body: letter, status: 403, slug: "csrf"})
	k.check(call{name: "record by a viewer", c: viewer, method: "POST", path: manual, body: letter, status: 403, slug: "forbidden"})
	k.check(call{name: "record by another municipality", c: grimma, method: "POST", path: manual, body: letter, status: 403, slug: "forbidden"})
	k.check(call{name: "record in another municipality's draft", c: grimma, method: "POST", path: draft + "/statements/manual", body: letter,
		status: 404, slug: "not_found"})
	k.check(call{name: "record for an unknown procedure", c: ed, method: "POST", path: missing + "/statements/manual", body: letter,
		status: 404, slug: "not_found"})
	k.check(call{name: "record for an unknown phase", c: ed, method: "POST", path: manual, body: with(letter, "phase_id", uuid.NewString()),
		status: 422, slug: "validation"})
	k.check(call{name: "record in a draft", c: ed, method: "POST", path: draft + "/statements/manual", body: letter,
		status: 409, slug: "closed"})
	k.check(call{name: "record with malformed JSON", c: ed, method: "POST", path: manual, body: `{"channel":"letter",}`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "record as text/plain", c: ed, method: "POST", path: manual, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "record as online", c: ed, method: "POST", path: manual, body: with(letter, "channel", "online"),
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "record without phase", c: ed, method: "POST", path: manual, body: with(letter, "phase_id", nil),
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "record with a time without seconds and offset", c: ed, method: "POST", path: manual,
		body: with(letter, "received_at", "2026-11-02T09:30Z"), status: 422, slug: "validation", refused: true})
	k.check(call{name: "record received in the future", c: ed, method: "POST", path: manual, body: with(letter, "received_at", "2026-12-24"),
		status: 422, slug: "validation"})
	late := decodeReceipt(t, k.check(call{name: "record", c: ed, method: "POST", path: manual, body: letter, status: 201}))
	fax, faxType := statementForm(with(letter, "channel", "fax", "received_at", "2026-10-31T23:00:00+01:00",
		"phase_id", invited, "text", "Per Fax, rechtzeitig.", "on_behalf_of", zv), map[string][]byte{"fax.pdf": samplePDF("Fax")})
	intime := decodeReceipt(t, k.check(call{name: "record with a scan", c: ed, method: "POST", path: manual, body: fax, headers: faxType, status: 201}))
	if late.Timely || !intime.Timely {
		t.Errorf("timely: letter %v, fax %v", late.Timely, intime.Timely)
	}

	// The agency's list.
	all := k.check(call{name: "statement list", c: ed, method: "GET", path: stmts + "?limit=200", status: 200})
	if n := len(contractItems(t, all)); n != 11 {
		t.Errorf("statement list: %d statements, want 11", n)
	}
	contractWantNulls(t, all, "on_behalf_of", "document_id", "location", "withdrawn_at")
	pseud := k.check(call{name: "statement list of a viewer", c: viewer, method: "GET", path: stmts, status: 200})
	if strings.Contains(string(pseud.Body), "erika@example.org") {
		t.Errorf("a viewer sees personal data: %s", pseud.Body)
	}
	page1 := k.check(call{name: "statement list, first page", c: ed, method: "GET", path: stmts + "?limit=2", status: 200})
	cursor, _ := page1.JSON()["next_cursor"].(string)
	if cursor == "" {
		t.Errorf("statement list: a full page without next_cursor: %s", page1.Body)
	}
	k.check(call{name: "statement list, next page", c: ed, method: "GET", path: stmts + "?limit=2&cursor=" + url.QueryEscape(cursor), status: 200})
	filtered := k.check(call{name: "statement list with every filter", c: ed, method: "GET", status: 200,
		path: stmts + "?phase=" + public + "&status=received&submitter_kind=citizen&channel=online&has_attachments=false" +
			"&timely=true&withdrawn=false&q=radweg&limit=10"})
	if ids := contractItems(t, filtered); len(ids) != 1 || ids[0] != first.ID {
		t.Errorf("statement list with every filter: %v, want the first statement", ids)
	}
	k.check(call{name: "statement list without session", c: anon, method: "GET", path: stmts, status: 401, slug: "unauthenticated"})
	k.check(call{name: "statement list of another municipality", c: grimma, method: "GET", path: stmts, status: 403, slug: "forbidden"})
	k.check(call{name: "statement list for an instance admin", c: admin, method: "GET", path: stmts, status: 403, slug: "forbidden"})
	k.check(call{name: "statement list of another municipality's draft", c: grimma, method: "GET", path: draft + "/statements",
		status: 404, slug: "not_found"})
	k.check(call{name: "statement list of an unknown procedure", c: ed, method: "GET", path: missing + "/statements", status: 404, slug: "not_found"})
	k.check(call{name: "statement list by slug", c: ed, method: "GET", path: "/api/v1/procedures/" + slug + "/statements",
		status: 404, slug: "not_found", refused: true})
	k.check(call{name: "statement list with bad parameters", c: ed, method: "GET", status: 422, slug: "validation", refused: true,
		path: stmts + "?phase=x&group=y&status=done&submitter_kind=robot&channel=pigeon&has_attachments=maybe&limit=0&cursor=-1"})
	k.check(call{name: "statement list with a long search", c: ed, method: "GET", path: stmts + "?q=" + strings.Repeat("a", 201),
		status: 422, slug: "validation", refused: true})

	// One statement.
	one := stmts + "/" + first.ID
	k.check(call{name: "statement", c: ed, method: "GET", path: one, status: 200})
	k.check(call{name: "statement for a viewer", c: viewer, method: "GET", path: one, status: 200})
	k.check(call{name: "statement without session", c: anon, method: "GET", path: one, status: 401, slug: "unauthenticated"})
	k.check(call{name: "statement of another municipality", c: grimma, method: "GET", path: one, status: 403, slug: "forbidden"})
	k.check(call{name: "unknown statement", c: ed, method: "GET", path: stmts + "/" + uuid.NewString(), status: 404, slug: "not_found"})
	k.check(call{name: "statement of another procedure", c: ed, method: "GET", path: draft + "/statements/" + first.ID, status: 404, slug: "not_found"})

	// Weighing.
	review := map[string]any{"version": 1, "status": "in_review", "topics": []string{"Verkehr", "Radweg"}}
	k.check(call{name: "weighing without session", c: anon, method: "PATCH", path: one, body: review, status: 401, slug: "unauthenticated"})
	k.check(call{name: "weighing without CSRF token", c: contractNoCSRF(ed), method: "PATCH", path: one, body: review, status: 403, slug: "csrf"})
	k.check(call{name: "weighing by a viewer", c: viewer, method: "PATCH", path: one, body: review, status: 403, slug: "forbidden"})
	k.check(call{name: "weighing of an unknown statement", c: ed, method: "PATCH", path: stmts + "/" + uuid.NewString(), body: review,
		status: 404, slug: "not_found"})
	k.check(call{name: "weighing with malformed JSON", c: ed, method: "PATCH", path: one, body: `{"status":}`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "weighing with an unknown field", c: ed, method: "PATCH", path: one, body: map[string]any{"mood": "good"},
		status: 400, slug: "unknown_field", refused: true})
	k.check(call{name: "weighing as text/plain", c: ed, method: "PATCH", path: one, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "weighing to an unknown status", c: ed, method: "PATCH", path: one, body: map[string]any{"status": "done"},
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "weighing with priority C", c: ed, method: "PATCH", path: one, body: map[string]any{"priority": "C"},
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "weighing with a negative version", c: ed, method: "PATCH", path: one, body: map[string]any{"version": -1},
		status: 422, slug: "validation", refused: true})
	k.check(call{name: "weighing with a blank topic", c: ed, method: "PATCH", path: one, body: map[string]any{"topics": []string{" "}},
		status: 422, slug: "validation"})
	k.check(call{name: "weighing", c: ed, method: "PATCH", path: one, body: review, status: 200})
	k.check(call{name: "weighing an old version", c: ed, method: "PATCH", path: one, body: map[string]any{"version": 1, "answer": "x"},
		status: 409, slug: "conflict"})
	k.check(call{name: "weighing without answer", c: ed, method: "PATCH", path: one, body: map[string]any{"status": "weighed"},
		status: 409, slug: "conflict"})
	nulls := k.check(call{name: "weighing with null fields", c: ed, method: "PATCH", path: one, body: map[string]any{"status": nil,
		"topics": nil, "add_topics": nil, "answer": nil, "decision": nil, "priority": nil}, status: 200})
	k.check(call{name: "weighing to weighed", c: ed, method: "PATCH", path: one, status: 200, body: map[string]any{
		"version": nulls.JSON()["version"], "status": "weighed", "decision": "followed", "priority": "A", "answer": "Ein Radweg wird im Plan festgesetzt."}})

	// Mass statements.
	groupsPath := stmts + "/groups"
	k.check(call{name: "mass statements without session", c: anon, method: "POST", path: groupsPath, status: 401, slug: "unauthenticated"})
	k.check(call{name: "mass statements without CSRF token", c: contractNoCSRF(ed), method: "POST", path: groupsPath, status: 403, slug: "csrf"})
	k.check(call{name: "mass statements by a viewer", c: viewer, method: "POST", path: groupsPath, status: 403, slug: "forbidden"})
	k.check(call{name: "mass statements of an unknown procedure", c: ed, method: "POST", path: missing + "/statements/groups",
		status: 404, slug: "not_found"})
	found := k.check(call{name: "mass statements", c: ed, method: "POST", path: groupsPath, status: 200})
	var groups struct {
		Items []struct {
			ID           string   `json:"id"`
			StatementIDs []string `json:"statement_ids"`
		} `json:"items"`
	}
	_ = json.Unmarshal(found.Body, &groups)
	if len(groups.Items) != 1 || len(groups.Items[0].StatementIDs) != 3 {
		t.Fatalf("mass statements: %s", found.Body)
	}
	mass := groups.Items[0].StatementIDs
	k.check(call{name: "statement list of a group", c: ed, method: "GET", path: stmts + "?group=" + groups.Items[0].ID, status: 200})

	bulk := stmts + "/bulk"
	toReview := map[string]any{"ids": mass, "change": map[string]any{"status": "in_review", "add_topics": []string{"Baumschutz"}}}
	k.check(call{name: "bulk weighing without session", c: anon, method: "POST", path: bulk, body: toReview, status: 401, slug: "unauthenticated"})
	k.check(call{name: "bulk weighing without CSRF token", c: contractNoCSRF(ed), method: "POST", path: bulk, body: toReview, status: 403, slug: "csrf"})
	k.check(call{name: "bulk weighing by a viewer", c: viewer, method: "POST", path: bulk, body: toReview, status: 403, slug: "forbidden"})
	k.check(call{name: "bulk weighing of an unknown statement", c: ed, method: "POST", path: bulk,
		body: map[string]any{"ids": []string{mass[0], uuid.NewString()}, "change": toReview["change"]}, status: 404, slug: "not_found"})
	k.check(call{name: "bulk weighing with malformed JSON", c: ed, method: "POST", path: bulk, body: `{"ids":[1]}`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(call{name: "bulk weighing as text/plain", c: ed, method: "POST", path: bulk, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(call{name: "bulk weighing without statements", c: ed, method: "POST", path: bulk,
		body: map[string]any{"ids": []string{}, "change": toReview["change"]}, status: 422, slug: "validation", refused: true})
	k.check(call{name: "bulk weighing skipping a step", c: ed, method: "POST", path: bulk, status: 409, slug: "conflict",
		body: map[string]any{"ids": mass, "change": map[string]any{"status": "weighed", "decision": "noted", "answer": "Zur Kenntnis."}}})
	k.check(call{name: "bulk weighing", c: ed, method: "POST", path: bulk, body: toReview, status: 200})
	k.check(call{name: "bulk weighing to weighed", c: ed, method: "POST", path: bulk, status: 200, body: map[string]any{"ids": mass,
		"change": map[string]any{"status": "weighed", "decision": "not_followed", "answer": "Die Linden bleiben erhalten."}}})
	weighed := k.check(call{name: "statement list after weighing", c: ed, method: "GET", path: stmts + "?limit=200", status: 200})
	contractWantNulls(t, weighed, "decision", "priority", "group_id")

	// Attachments.
	att := k.check(call{name: "statement with its attachment", c: ed, method: "GET", path: stmts + "/" + withFile.ID, status: 200})
	atts, _ := att.JSON()["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("statement with an attachment: %s", att.Body)
	}
	attID, _ := atts[0].(map[string]any)["id"].(string)
	file := stmts + "/" + withFile.ID + "/attachments/" + attID
	if dl := k.check(call{name: "attachment", c: ed, method: "GET", path: file, status: 200}); !bytes.Equal(dl.Body, scan) {
		t.Errorf("attachment: the bytes differ")
	}
	k.check(call{name: "attachment without session", c: anon, method: "GET", path: file, status: 401, slug: "unauthenticated"})
	k.check(call{name: "attachment for a viewer", c: viewer, method: "GET", path: file, status: 403, slug: "forbidden"})
	k.check(call{name: "attachment of another statement", c: ed, method: "GET", path: stmts + "/" + first.ID + "/attachments/" + attID,
		status: 404, slug: "not_found"})
	k.check(call{name: "attachment with a malformed ID", c: ed, method: "GET", path: stmts + "/" + withFile.ID + "/attachments/skizze.pdf",
		status: 404, slug: "not_found", refused: true})

	// The limit per procedure answers 429 with Retry-After.
	strict := env.start(func(c *config) { c.RateLimitStatements = 1000; c.RateLimitStatementsProc = 1 })
	sc := strict.client(t)
	other := "/api/v1/procedures/" + uuid.NewString() + "/statements" // a key no other call used
	k.check(call{name: "statement within the procedure's limit", c: sc, method: "POST", path: other, body: stmt("Eins."), status: 404, slug: "not_found"})
	limited := k.check(call{name: "statement over the procedure's limit", c: sc, method: "POST", path: other, body: stmt("Zwei."),
		status: 429, slug: "rate_limited"})
	if limited.Header.Get("Retry-After") == "" {
		t.Errorf("rate-limited statement: no Retry-After header")
	}
}
