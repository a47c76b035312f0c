package main

import (
	"bytes"
	"mime/multipart"

	"github.com/google/uuid"
)

// dialogForm encodes a contribution as multipart/form-data with one file.
func dialogForm(contribution string, file []byte) ([]byte, []string) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("contribution", contribution)
	fw, _ := w.CreateFormFile("file", "platz.png")
	_, _ = fw.Write(file)
	_ = w.Close()
	return body.Bytes(), []string{"Content-Type", w.FormDataContentType()}
}

// contractDialogs drives every dialog operation into its documented
// answers: Freiberg configures a dialog, citizens confirm their addresses,
// contribute, reply, support and report, moderators work the queue, answer
// and export, and Grimma's staff are refused at every step. It has an
// environment of its own.
func contractDialogs(k *contract) {
	t := k.t
	env := newEnv(t)
	// Confirmations and reports share one allowance per IP, which this test exceeds.
	srv := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	anon, ed, mod, viewer, grimma := srv.client(t), srv.client(t), srv.client(t), srv.client(t), srv.client(t)
	k.login(ed, "freiberg-editor@demo.example")
	k.login(mod, "freiberg-moderator@demo.example")
	k.login(viewer, "freiberg-viewer@demo.example")
	k.login(grimma, "grimma-admin@demo.example")
	noCSRF := contractNoCSRF(ed)
	type c = call

	dp := dialogProcedure(t, ed, "email", "post")
	slug := decodeProcedure(t, mustStatus(t, anon.do("GET", dp, nil), 200, "procedure")).Slug
	other := "/api/v1/procedures/gehoelzschutzsatzung-freiberg" // not a dialog
	missing := "/api/v1/procedures/" + uuid.NewString()
	accountOnly := dialogProcedure(t, ed, "account", "post")

	// Settings.
	k.check(c{name: "dialog", c: anon, method: "GET", path: dp, status: 200})
	k.check(c{name: "dialog by slug", c: anon, method: "GET", path: "/api/v1/procedures/" + slug + "/dialog", status: 200})
	k.check(c{name: "dialog of a missing procedure", c: anon, method: "GET", path: missing + "/dialog", status: 404, slug: "not_found"})
	k.check(c{name: "dialog of a procedure of another type", c: anon, method: "GET", path: other + "/dialog", status: 404, slug: "not_found"})
	settings := map[string]any{"identity": "email", "moderation": "post", "netiquette": "Sachlich bleiben.", "topics": []string{"Verkehr", "Grün", "Spielen"}}
	k.check(c{name: "dialog configure", c: ed, method: "PUT", path: dp + "/dialog", body: settings, status: 200})
	k.check(c{name: "dialog configure without session", c: anon, method: "PUT", path: dp + "/dialog", body: settings, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog configure without CSRF token", c: noCSRF, method: "PUT", path: dp + "/dialog", body: settings, status: 403, slug: "csrf"})
	k.check(c{name: "dialog configure by a moderator", c: mod, method: "PUT", path: dp + "/dialog", body: settings, status: 403, slug: "forbidden"})
	k.check(c{name: "dialog configure by another municipality", c: grimma, method: "PUT", path: dp + "/dialog", body: settings, status: 403, slug: "forbidden"})
	k.check(c{name: "dialog configure of a missing procedure", c: ed, method: "PUT", path: missing + "/dialog", body: settings, status: 404, slug: "not_found"})
	k.check(c{name: "dialog configure with malformed JSON", c: ed, method: "PUT", path: dp + "/dialog", body: `{"identity":`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog configure as text/plain", c: ed, method: "PUT", path: dp + "/dialog", body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog configure with an unknown identity", c: ed, method: "PUT", path: dp + "/dialog",
		body: map[string]any{"identity": "anyone", "moderation": "post"}, status: 422, slug: "validation", refused: true})
	k.check(c{name: "dialog configure with duplicate topics", c: ed, method: "PUT", path: dp + "/dialog",
		body: map[string]any{"identity": "email", "moderation": "post", "topics": []string{"A", "a"}}, status: 422, slug: "validation"})
	topics := k.check(c{name: "dialog after configuring", c: anon, method: "GET", path: dp + "/dialog", status: 200}).JSON()["topics"].([]any)
	topic := topics[0].(map[string]any)["id"].(string)

	summary := map[string]any{"summary": "Viele wünschen sich mehr Grün.", "publish": true}
	k.check(c{name: "dialog summary", c: ed, method: "PUT", path: dp + "/dialog/summary", body: summary, status: 200})
	k.check(c{name: "dialog summary without session", c: anon, method: "PUT", path: dp + "/dialog/summary", body: summary, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog summary without CSRF token", c: noCSRF, method: "PUT", path: dp + "/dialog/summary", body: summary, status: 403, slug: "csrf"})
	k.check(c{name: "dialog summary by another municipality", c: grimma, method: "PUT", path: dp + "/dialog/summary", body: summary, status: 403, slug: "forbidden"})
	k.check(c{name: "dialog summary of a missing procedure", c: ed, method: "PUT", path: missing + "/dialog/summary", body: summary, status: 404, slug: "not_found"})
	k.check(c{name: "dialog summary with malformed JSON", c: ed, method: "PUT", path: dp + "/dialog/summary", body: `[`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog summary as text/plain", c: ed, method: "PUT", path: dp + "/dialog/summary", body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog summary published empty", c: ed, method: "PUT", path: dp + "/dialog/summary",
		body: map[string]any{"summary": " ", "publish": true}, status: 422, slug: "validation"})

	// Double opt-in.
	parts := dp + "/dialog/participants"
	addr := map[string]any{"email": newMailAddress("kontrakt"), "pseudonym": "Kontrakt"}
	k.check(c{name: "dialog participant request", c: anon, method: "POST", path: parts, body: addr, status: 202})
	k.check(c{name: "dialog participant request without CSRF token", c: noCSRF, method: "POST", path: parts, body: addr, status: 403, slug: "csrf"})
	k.check(c{name: "dialog participant request where an account is needed", c: anon, method: "POST", path: accountOnly + "/dialog/participants",
		body: addr, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog participant request of a missing procedure", c: anon, method: "POST", path: missing + "/dialog/participants",
		body: addr, status: 404, slug: "not_found"})
	k.check(c{name: "dialog participant request with malformed JSON", c: anon, method: "POST", path: parts, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog participant request as text/plain", c: anon, method: "POST", path: parts, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog participant request with a bad address", c: anon, method: "POST", path: parts,
		body: map[string]any{"email": "kein-mail"}, status: 422, slug: "validation"})
	confirm := "/api/v1/dialog/confirm"
	k.check(c{name: "dialog confirm with an unknown code", c: anon, method: "POST", path: confirm, body: map[string]any{"code": "AAAA-BBBB"}, status: 404, slug: "not_found"})
	k.check(c{name: "dialog confirm without CSRF token", c: noCSRF, method: "POST", path: confirm, body: map[string]any{"code": "AAAA"}, status: 403, slug: "csrf"})
	k.check(c{name: "dialog confirm with malformed JSON", c: anon, method: "POST", path: confirm, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog confirm as text/plain", c: anon, method: "POST", path: confirm, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog confirm without code", c: anon, method: "POST", path: confirm, body: map[string]any{}, status: 422, slug: "validation", refused: true})
	code := confirmCode.FindStringSubmatch(waitForMail(t, addr["email"].(string), "Bitte bestätigen").Text)[1]
	session := k.check(c{name: "dialog confirm", c: anon, method: "POST", path: confirm, body: map[string]any{"code": code}, status: 200}).JSON()
	ada := participant{client: anon, token: session["token"].(string)}
	as := func(p participant) []string { return []string{"X-Dialog-Token", p.token} }
	bob := join(t, srv, dp, "Bob")

	// Contributions.
	contribs := dp + "/dialog/contributions"
	thread := map[string]any{"title": "Mehr Bänke", "body": "Auf dem Schlossplatz fehlen Sitzgelegenheiten.", "topic_id": topic,
		"location": map[string]any{"type": "Point", "coordinates": []float64{13.34, 50.92}}}
	root := k.check(c{name: "dialog thread", c: ada.client, method: "POST", path: contribs, body: thread, headers: as(ada), status: 201}).JSON()["id"].(string)
	body, form := dialogForm(`{"title":"Mit Foto","body":"So sieht der Platz heute aus."}`, defectPNG())
	withFile := k.check(c{name: "dialog thread with a photo", c: bob.client, method: "POST", path: contribs, body: body,
		headers: append(form, as(bob)...), status: 201}).JSON()["id"].(string)
	reply := k.check(c{name: "dialog reply", c: bob.client, method: "POST", path: contribs, body: map[string]any{"parent_id": root, "body": "Gute Idee."},
		headers: as(bob), status: 201}).JSON()["id"].(string)
	k.check(c{name: "dialog contribution without participation", c: srv.client(t), method: "POST", path: contribs, body: thread, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog contribution without CSRF token", c: noCSRF, method: "POST", path: contribs, body: thread, status: 403, slug: "csrf"})
	k.check(c{name: "dialog contribution to a missing procedure", c: ada.client, method: "POST", path: missing + "/dialog/contributions", body: thread,
		headers: as(ada), status: 404, slug: "not_found"})
	k.check(c{name: "dialog contribution with malformed JSON", c: ada.client, method: "POST", path: contribs, body: `{"title":`,
		headers: as(ada), status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog contribution as text/plain", c: ada.client, method: "POST", path: contribs, body: `{}`,
		headers: append([]string{"Content-Type", "text/plain"}, as(ada)...), status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog contribution without title", c: ada.client, method: "POST", path: contribs, body: map[string]any{"body": "Ohne Titel geschrieben."},
		headers: as(ada), status: 422, slug: "validation"})

	// Reading.
	k.check(c{name: "dialog threads", c: anon, method: "GET", path: contribs + "?sort=supported&limit=1", status: 200})
	k.check(c{name: "dialog threads of a topic", c: srv.client(t), method: "GET", path: contribs + "?topic=" + topic, status: 200})
	k.check(c{name: "dialog threads of a missing procedure", c: anon, method: "GET", path: missing + "/dialog/contributions", status: 404, slug: "not_found"})
	k.check(c{name: "dialog threads in an unknown order", c: anon, method: "GET", path: contribs + "?sort=loudest", status: 422, slug: "validation", refused: true})
	k.check(c{name: "dialog thread view", c: anon, method: "GET", path: "/api/v1/dialog/contributions/" + reply, status: 200})
	k.check(c{name: "dialog thread view for the author", c: bob.client, method: "GET", path: "/api/v1/dialog/contributions/" + reply, headers: as(bob), status: 200})
	k.check(c{name: "dialog thread view of a missing contribution", c: anon, method: "GET", path: "/api/v1/dialog/contributions/" + uuid.NewString(),
		status: 404, slug: "not_found"})
	file := "/api/v1/dialog/contributions/" + withFile + "/file"
	k.check(c{name: "dialog file", c: anon, method: "GET", path: file, status: 200})
	k.check(c{name: "dialog file of a contribution without one", c: anon, method: "GET", path: "/api/v1/dialog/contributions/" + root + "/file",
		status: 404, slug: "not_found"})

	// Support.
	support := "/api/v1/dialog/contributions/" + root + "/support"
	k.check(c{name: "dialog support", c: bob.client, method: "PUT", path: support, headers: as(bob), status: 200})
	k.check(c{name: "dialog support of one's own contribution", c: ada.client, method: "PUT", path: support, headers: as(ada), status: 409, slug: "conflict"})
	k.check(c{name: "dialog support without participation", c: srv.client(t), method: "PUT", path: support, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog support without CSRF token", c: noCSRF, method: "PUT", path: support, status: 403, slug: "csrf"})
	k.check(c{name: "dialog support of a missing contribution", c: bob.client, method: "PUT", path: "/api/v1/dialog/contributions/" + uuid.NewString() + "/support",
		headers: as(bob), status: 404, slug: "not_found"})
	k.check(c{name: "dialog support withdrawn", c: bob.client, method: "DELETE", path: support, headers: as(bob), status: 200})
	k.check(c{name: "dialog support withdrawn without participation", c: srv.client(t), method: "DELETE", path: support, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog support withdrawn without CSRF token", c: noCSRF, method: "DELETE", path: support, status: 403, slug: "csrf"})
	k.check(c{name: "dialog support withdrawn of a missing contribution", c: bob.client, method: "DELETE", path: "/api/v1/dialog/contributions/" + uuid.NewString() + "/support",
		headers: as(bob), status: 404, slug: "not_found"})

	// Reports.
	reports := "/api/v1/dialog/contributions/" + reply + "/reports"
	k.check(c{name: "dialog report", c: srv.client(t), method: "POST", path: reports, body: map[string]any{"reason": "spam"}, status: 202})
	k.check(c{name: "dialog report without CSRF token", c: noCSRF, method: "POST", path: reports, body: map[string]any{"reason": "spam"}, status: 403, slug: "csrf"})
	k.check(c{name: "dialog report of a missing contribution", c: anon, method: "POST", path: "/api/v1/dialog/contributions/" + uuid.NewString() + "/reports",
		body: map[string]any{"reason": "spam"}, status: 404, slug: "not_found"})
	k.check(c{name: "dialog report with malformed JSON", c: anon, method: "POST", path: reports, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog report as text/plain", c: anon, method: "POST", path: reports, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog report with an unknown reason", c: anon, method: "POST", path: reports, body: map[string]any{"reason": "langweilig"}, status: 422, slug: "validation"})

	// Moderation.
	queue := dp + "/dialog/moderation"
	q := k.check(c{name: "dialog moderation queue", c: mod, method: "GET", path: queue, status: 200}).JSON()
	reportID := q["reports"].([]any)[0].(map[string]any)["id"].(string)
	k.check(c{name: "dialog moderation queue with every report", c: mod, method: "GET", path: queue + "?all=true", status: 200})
	k.check(c{name: "dialog moderation queue without session", c: anon, method: "GET", path: queue, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog moderation queue for a viewer", c: viewer, method: "GET", path: queue, status: 403, slug: "forbidden"})
	k.check(c{name: "dialog moderation queue of a missing procedure", c: mod, method: "GET", path: missing + "/dialog/moderation", status: 404, slug: "not_found"})

	resolve := "/api/v1/dialog/reports/" + reportID + "/resolve"
	dismissed := map[string]any{"resolution": "dismissed"}
	k.check(c{name: "dialog report resolve without session", c: anon, method: "POST", path: resolve, body: dismissed, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog report resolve without CSRF token", c: noCSRF, method: "POST", path: resolve, body: dismissed, status: 403, slug: "csrf"})
	k.check(c{name: "dialog report resolve by another municipality", c: grimma, method: "POST", path: resolve, body: dismissed, status: 403, slug: "forbidden"})
	k.check(c{name: "dialog report resolve of a missing report", c: mod, method: "POST", path: "/api/v1/dialog/reports/" + uuid.NewString() + "/resolve",
		body: dismissed, status: 404, slug: "not_found"})
	k.check(c{name: "dialog report resolve with malformed JSON", c: mod, method: "POST", path: resolve, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog report resolve as text/plain", c: mod, method: "POST", path: resolve, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog report resolve with an unknown resolution", c: mod, method: "POST", path: resolve, body: map[string]any{"resolution": "ignored"},
		status: 422, slug: "validation", refused: true})
	k.check(c{name: "dialog report resolve", c: mod, method: "POST", path: resolve, body: dismissed, status: 200})
	k.check(c{name: "dialog report resolve again", c: mod, method: "POST", path: resolve, body: dismissed, status: 409, slug: "conflict"})

	moderate := "/api/v1/dialog/contributions/" + reply + "/moderation"
	hide := map[string]any{"action": "hide", "reason": "Werbung"}
	k.check(c{name: "dialog moderation without session", c: anon, method: "POST", path: moderate, body: hide, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog moderation without CSRF token", c: noCSRF, method: "POST", path: moderate, body: hide, status: 403, slug: "csrf"})
	k.check(c{name: "dialog moderation by a viewer", c: viewer, method: "POST", path: moderate, body: hide, status: 403, slug: "forbidden"})
	k.check(c{name: "dialog moderation by another municipality", c: grimma, method: "POST", path: moderate, body: hide, status: 403, slug: "forbidden"})
	k.check(c{name: "dialog moderation of a missing contribution", c: mod, method: "POST", path: "/api/v1/dialog/contributions/" + uuid.NewString() + "/moderation",
		body: hide, status: 404, slug: "not_found"})
	k.check(c{name: "dialog moderation with malformed JSON", c: mod, method: "POST", path: moderate, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog moderation as text/plain", c: mod, method: "POST", path: moderate, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog moderation hiding without reason", c: mod, method: "POST", path: moderate, body: map[string]any{"action": "hide"}, status: 422, slug: "validation"})
	k.check(c{name: "dialog moderation hide", c: mod, method: "POST", path: moderate, body: hide, status: 200})
	k.check(c{name: "dialog moderation hide again", c: mod, method: "POST", path: moderate, body: hide, status: 409, slug: "conflict"})
	k.check(c{name: "dialog report of a hidden contribution", c: anon, method: "POST", path: reports, body: map[string]any{"reason": "spam"}, status: 409, slug: "conflict"})
	k.check(c{name: "dialog support of a hidden contribution", c: ada.client, method: "PUT", path: "/api/v1/dialog/contributions/" + reply + "/support",
		headers: as(ada), status: 409, slug: "conflict"})
	k.check(c{name: "dialog thread view for a moderator", c: mod, method: "GET", path: "/api/v1/dialog/contributions/" + reply, status: 200})

	answers := "/api/v1/dialog/contributions/" + root + "/answers"
	answer := map[string]any{"body": "Wir prüfen zusätzliche Bänke."}
	k.check(c{name: "dialog answer", c: mod, method: "POST", path: answers, body: answer, status: 201})
	k.check(c{name: "dialog answer without session", c: anon, method: "POST", path: answers, body: answer, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog answer without CSRF token", c: noCSRF, method: "POST", path: answers, body: answer, status: 403, slug: "csrf"})
	k.check(c{name: "dialog answer by another municipality", c: grimma, method: "POST", path: answers, body: answer, status: 403, slug: "forbidden"})
	k.check(c{name: "dialog answer to a missing contribution", c: mod, method: "POST", path: "/api/v1/dialog/contributions/" + uuid.NewString() + "/answers",
		body: answer, status: 404, slug: "not_found"})
	k.check(c{name: "dialog answer to a hidden contribution", c: mod, method: "POST", path: "/api/v1/dialog/contributions/" + reply + "/answers",
		body: answer, status: 409, slug: "conflict"})
	k.check(c{name: "dialog answer with malformed JSON", c: mod, method: "POST", path: answers, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "dialog answer as text/plain", c: mod, method: "POST", path: answers, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "dialog answer without text", c: mod, method: "POST", path: answers, body: map[string]any{"body": ""}, status: 422, slug: "validation", refused: true})

	// A closed thread takes no reply.
	k.check(c{name: "dialog moderation close", c: mod, method: "POST", path: "/api/v1/dialog/contributions/" + root + "/moderation",
		body: map[string]any{"action": "close", "reason": "Alles gesagt"}, status: 200})
	k.check(c{name: "dialog reply to a closed thread", c: bob.client, method: "POST", path: contribs, body: map[string]any{"parent_id": root, "body": "Noch etwas."},
		headers: as(bob), status: 409, slug: "closed"})

	// Export.
	for _, f := range []string{"csv", "xlsx"} {
		export := dp + "/dialog/export." + f
		k.check(c{name: "dialog export " + f, c: viewer, method: "GET", path: export, status: 200})
		k.check(c{name: "dialog export " + f + " without session", c: anon, method: "GET", path: export, status: 401, slug: "unauthenticated"})
		k.check(c{name: "dialog export " + f + " by another municipality", c: grimma, method: "GET", path: export, status: 403, slug: "forbidden"})
		k.check(c{name: "dialog export " + f + " of a missing procedure", c: viewer, method: "GET", path: missing + "/dialog/export." + f, status: 404, slug: "not_found"})
	}

	// Deletion by the author, last: the support above needed the thread.
	del := "/api/v1/dialog/contributions/"
	k.check(c{name: "dialog delete by someone else", c: bob.client, method: "DELETE", path: del + root, headers: as(bob), status: 403, slug: "forbidden"})
	k.check(c{name: "dialog delete without participation", c: srv.client(t), method: "DELETE", path: del + root, status: 401, slug: "unauthenticated"})
	k.check(c{name: "dialog delete without CSRF token", c: noCSRF, method: "DELETE", path: del + root, status: 403, slug: "csrf"})
	k.check(c{name: "dialog delete of a missing contribution", c: ada.client, method: "DELETE", path: del + uuid.NewString(), headers: as(ada), status: 404, slug: "not_found"})
	k.check(c{name: "dialog delete with replies", c: ada.client, method: "DELETE", path: del + root, headers: as(ada), status: 200})
	k.check(c{name: "dialog delete without replies", c: bob.client, method: "DELETE", path: del + withFile, headers: as(bob), status: 204})

	// A dialog that has ended takes no votes.
	closed := dialogProcedure(t, ed, "email", "post")
	carl := join(t, srv, closed, "Carl")
	late := contribute(t, carl, closed, map[string]any{"title": "Vorher", "body": "Vor dem Ende geschrieben."}, 201)["id"].(string)
	mustStatus(t, ed.do("POST", closed+"/close", map[string]any{"reason": "Ratsbeschluss"}), 200, "close early")
	dan := participant{client: carl.client, token: carl.token}
	k.check(c{name: "dialog participant request after the end", c: anon, method: "POST", path: closed + "/dialog/participants",
		body: map[string]any{"email": newMailAddress("spaet")}, status: 409, slug: "closed"})
	k.check(c{name: "dialog contribution after the end", c: dan.client, method: "POST", path: closed + "/dialog/contributions",
		body: map[string]any{"title": "Zu spät", "body": "Nach dem Ende geschrieben."}, headers: as(dan), status: 409, slug: "closed"})
	k.check(c{name: "dialog support after the end", c: dan.client, method: "PUT", path: del + late + "/support", headers: as(dan), status: 409, slug: "closed"})
	k.check(c{name: "dialog support withdrawn after the end", c: dan.client, method: "DELETE", path: del + late + "/support", headers: as(dan), status: 409, slug: "closed"})
}
