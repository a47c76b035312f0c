package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
)

// defectForm encodes a defect report as multipart/form-data the way the map
// form sends it: the JSON in the part "report" (left out when report is nil),
// photos in parts "photos". It returns the body and the Content-Type header
// pair.
func defectForm(report any, photos ...[]byte) ([]byte, []string) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if report != nil {
		raw, _ := json.Marshal(report)
		_ = w.WriteField("report", string(raw))
	}
	for i, p := range photos {
		fw, _ := w.CreateFormFile("photos", "foto-"+string(rune('1'+i))+".bin")
		_, _ = fw.Write(p)
	}
	_ = w.Close()
	return body.Bytes(), []string{"Content-Type", w.FormDataContentType()}
}

// defectPNG is a small PNG, which stays PNG when it is cleaned.
func defectPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 12, 8))
	for x := 0; x < 12; x++ {
		for y := 0; y < 8; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 20), 120, uint8(y * 30), 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// contractDefects drives every defect reporting operation into its
// documented answers: an agency sets up categories of a Döbeln Mängelmelder,
// citizens report defects as JSON and with photos, the agency works on them,
// forwards one to Freiberg and moderates, the public lists, maps and supports
// them, and the instance admin issues and revokes Open311 keys. Other
// municipalities are refused at every step. It has an environment of its own.
func contractDefects(k *contract) {
	t := k.t
	for _, mt := range []string{"image/jpeg", "image/png"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.FileBodyDecoder)
	}
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-11-23 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	anon, ed, fb, grimma, admin := srv.client(t), srv.client(t), srv.client(t), srv.client(t), srv.client(t)
	k.login(ed, "doebeln-editor@demo.example")
	k.login(fb, "freiberg-editor@demo.example")
	k.login(grimma, "grimma-admin@demo.example")
	k.login(admin, "admin@demo.example")
	noCSRF := contractNoCSRF(ed)
	type c = call

	dp := defectProcedure(t, ed)
	slug := decodeProcedure(t, mustStatus(t, anon.do("GET", dp, nil), 200, "procedure")).Slug
	other := "/api/v1/procedures/gehoelzschutzsatzung-freiberg" // a procedure of another type
	missing := "/api/v1/procedures/" + uuid.NewString()
	// A Mängelmelder whose phase has not begun takes no reports yet.
	res := mustStatus(t, ed.do("POST", "/api/v1/organisations/"+ed.orgID("Döbeln")+"/procedures", map[string]any{
		"type": "defect_reporting", "subtype": "maengelmelder", "title": "Mängelmelder Döbeln 2027",
		"summary": "Ab Juni 2027.", "area": doebelnArea}), 201, "later procedure")
	later := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, ed.do("POST", later+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2027-06-01"}), 201, "later phase")
	mustStatus(t, ed.do("POST", later+"/publish", nil), 200, "later publish")

	// Categories.
	cats := dp + "/defect-categories"
	lamp := map[string]any{"code": "strassenbeleuchtung", "name": "Straßenbeleuchtung defekt",
		"description": "Dunkle oder flackernde Lampen.", "group": "Straße und Verkehr", "unit": "Stadtwerke",
		"keywords": "Lampe, Laterne, Licht", "position": 2}
	k.check(c{name: "defect category create without session", c: anon, method: "POST", path: cats, body: lamp, status: 401, slug: "unauthenticated"})
	k.check(c{name: "defect category create without CSRF token", c: noCSRF, method: "POST", path: cats, body: lamp, status: 403, slug: "csrf"})
	k.check(c{name: "defect category create by another municipality", c: fb, method: "POST", path: cats, body: lamp, status: 403, slug: "forbidden"})
	k.check(c{name: "defect category create in a missing procedure", c: ed, method: "POST", path: missing + "/defect-categories", body: lamp,
		status: 404, slug: "not_found"})
	k.check(c{name: "defect category create in a procedure of another type", c: fb, method: "POST", path: other + "/defect-categories",
		body: lamp, status: 404, slug: "not_found"})
	k.check(c{name: "defect category create with malformed JSON", c: ed, method: "POST", path: cats, body: `{"code":`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "defect category create with an unknown field", c: ed, method: "POST", path: cats,
		body: map[string]any{"code": "x", "name": "X", "colour": "rot"}, status: 400, slug: "unknown_field", refused: true})
	k.check(c{name: "defect category create as text/plain", c: ed, method: "POST", path: cats, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "defect category create with an invalid code", c: ed, method: "POST", path: cats,
		body: map[string]any{"code": "Groß Buchstaben", "name": "X"}, status: 422, slug: "validation", refused: true})
	k.check(c{name: "defect category create without name", c: ed, method: "POST", path: cats,
		body: map[string]any{"code": "ohne-name"}, status: 422, slug: "validation", refused: true})
	k.check(c{name: "defect category create with a blank name", c: ed, method: "POST", path: cats,
		body: map[string]any{"code": "leer", "name": "   "}, status: 422, slug: "validation"})
	lampID, _ := k.check(c{name: "defect category create", c: ed, method: "POST", path: cats, body: lamp, status: 201}).JSON()["id"].(string)
	k.check(c{name: "defect category create with a taken code", c: ed, method: "POST", path: cats, body: lamp, status: 409, slug: "conflict"})
	holeID, _ := k.check(c{name: "defect category create by slug", c: ed, method: "POST", path: "/api/v1/procedures/" + slug + "/defect-categories",
		body: map[string]any{"code": "schlagloch", "name": "Schlagloch", "position": 1}, status: 201}).JSON()["id"].(string)
	k.check(c{name: "defect category create, inactive", c: ed, method: "POST", path: cats,
		body: map[string]any{"code": "alt", "name": "Alte Kategorie", "active": false}, status: 201})

	public := k.check(c{name: "defect categories", c: anon, method: "GET", path: cats, status: 200})
	if b := string(public.Body); strings.Contains(b, `"unit"`) || strings.Contains(b, `"code":"alt"`) {
		t.Errorf("public categories show units or inactive ones: %s", b)
	}
	if b := string(k.check(c{name: "defect categories for staff", c: ed, method: "GET", path: cats, status: 200}).Body); !strings.Contains(b, `"unit":"Stadtwerke"`) ||
		!strings.Contains(b, `"code":"alt"`) {
		t.Errorf("staff categories lack units or inactive ones: %s", b)
	}
	k.check(c{name: "defect categories by slug", c: anon, method: "GET", path: "/api/v1/procedures/" + slug + "/defect-categories", status: 200})
	k.check(c{name: "defect categories of a missing procedure", c: anon, method: "GET", path: missing + "/defect-categories", status: 404, slug: "not_found"})
	k.check(c{name: "defect categories of a procedure of another type", c: anon, method: "GET", path: other + "/defect-categories",
		status: 404, slug: "not_found"})

	cat := cats + "/" + lampID
	lamp["position"] = 3
	k.check(c{name: "defect category update without session", c: anon, method: "PUT", path: cat, body: lamp, status: 401, slug: "unauthenticated"})
	k.check(c{name: "defect category update without CSRF token", c: noCSRF, method: "PUT", path: cat, body: lamp, status: 403, slug: "csrf"})
	k.check(c{name: "defect category update by another municipality", c: fb, method: "PUT", path: cat, body: lamp, status: 403, slug: "forbidden"})
	k.check(c{name: "defect category update of an unknown category", c: ed, method: "PUT", path: cats + "/" + uuid.NewString(), body: lamp,
		status: 404, slug: "not_found"})
	k.check(c{name: "defect category update of another procedure's category", c: ed, method: "PUT",
		path: later + "/defect-categories/" + lampID, body: lamp, status: 404, slug: "not_found"})
	k.check(c{name: "defect category update with a malformed ID", c: ed, method: "PUT", path: cats + "/lampe", body: lamp,
		status: 404, slug: "not_found", refused: true})
	k.check(c{name: "defect category update with malformed JSON", c: ed, method: "PUT", path: cat, body: `{"code":"x",}`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "defect category update as text/plain", c: ed, method: "PUT", path: cat, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "defect category update with an invalid code", c: ed, method: "PUT", path: cat,
		body: map[string]any{"code": "", "name": "Leer"}, status: 422, slug: "validation", refused: true})
	k.check(c{name: "defect category update to a taken code", c: ed, method: "PUT", path: cat,
		body: map[string]any{"code": "schlagloch", "name": "Doppelt"}, status: 409, slug: "conflict"})
	k.check(c{name: "defect category update", c: ed, method: "PUT", path: cat, body: lamp, status: 200})

	// Reports.
	defects := dp + "/defects"
	lampReport := streetLight(lampID, "Die Straßenlampe vor dem Rathaus ist seit drei Tagen dunkel.")
	key := []string{"Idempotency-Key", "contract-defect-1"}
	first := decodeDefect(t, k.check(c{name: "defect report", c: anon, method: "POST", path: defects, body: lampReport,
		headers: key, status: 201}))
	replay := k.check(c{name: "defect report retried", c: anon, method: "POST", path: defects, body: lampReport, headers: key, status: 201})
	if decodeDefect(t, replay).ID != first.ID || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retried defect report: %s, Idempotent-Replayed %q", replay.Body, replay.Header.Get("Idempotent-Replayed"))
	}
	k.check(c{name: "defect report reusing a key", c: anon, method: "POST", path: defects, headers: key,
		body: streetLight(lampID, "Eine ganz andere Lampe in der Bahnhofstraße."), status: 409, slug: "conflict"})
	withPhotos := streetLight(holeID, "Tiefes Schlagloch in der Bahnhofstraße, Höhe Nr. 5.")
	withPhotos["email"] = newMailAddress("schlagloch")
	form, formType := defectForm(withPhotos, phoneJPEG(t, 40, 20, 6), defectPNG())
	second := decodeDefect(t, k.check(c{name: "defect report with photos", c: anon, method: "POST", path: defects, body: form,
		headers: formType, status: 201}))
	if len(second.Photos) != 2 || second.Photos[1].ContentType != "image/png" {
		t.Fatalf("defect report with photos: %+v", second.Photos)
	}
	third := decodeDefect(t, k.check(c{name: "defect report by signed-in staff", c: fb, method: "POST", path: "/api/v1/procedures/" + slug + "/defects",
		body: streetLight(lampID, "Die Lampe am Obermarkt flackert ständig."), status: 201}))
	k.check(c{name: "defect report without CSRF token", c: noCSRF, method: "POST", path: defects, body: lampReport, status: 403, slug: "csrf"})
	k.check(c{name: "defect report to a missing procedure", c: anon, method: "POST", path: missing + "/defects", body: lampReport,
		status: 404, slug: "not_found"})
	k.check(c{name: "defect report to a procedure of another type", c: anon, method: "POST", path: other + "/defects", body: lampReport,
		status: 404, slug: "not_found"})
	k.check(c{name: "defect report before the phase", c: anon, method: "POST", path: later + "/defects", body: lampReport,
		status: 409, slug: "closed"})
	k.check(c{name: "defect report with malformed JSON", c: anon, method: "POST", path: defects, body: `{"category_id":`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "defect report with an unknown field", c: anon, method: "POST", path: defects,
		body:   map[string]any{"category_id": lampID, "description": "Lampe ist dunkel.", "location": inDoebeln, "photo_url": "x"},
		status: 400, slug: "unknown_field", refused: true})
	k.check(c{name: "defect report with a broken multipart body", c: anon, method: "POST", path: defects, body: "--x\r\nkaputt",
		headers: []string{"Content-Type", "multipart/form-data; boundary=x"}, status: 400, slug: "bad_request", refused: true})
	k.check(c{name: "defect report as text/plain", c: anon, method: "POST", path: defects, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "defect report without category", c: anon, method: "POST", path: defects,
		body: map[string]any{"description": "Die Lampe ist dunkel.", "location": inDoebeln}, status: 422, slug: "validation", refused: true})
	k.check(c{name: "defect report with a short description", c: anon, method: "POST", path: defects,
		body: streetLight(lampID, "Dunkel."), status: 422, slug: "validation", refused: true})
	outside := streetLight(lampID, "Laterne in Freiberg ist kaputt, bitte reparieren.")
	outside["location"] = outDoebeln
	k.check(c{name: "defect report outside the area", c: anon, method: "POST", path: defects, body: outside, status: 422, slug: "validation"})
	noReport, noReportType := defectForm(nil, defectPNG())
	k.check(c{name: "defect report with photos but no report", c: anon, method: "POST", path: defects, body: noReport,
		headers: noReportType, status: 422, slug: "validation", refused: true})
	heic, heicType := defectForm(lampReport, append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...))
	k.check(c{name: "defect report with a HEIC photo", c: anon, method: "POST", path: defects, body: heic, headers: heicType,
		status: 422, slug: "validation"})

	// One report.
	one, two, three := "/api/v1/defects/"+first.ID, "/api/v1/defects/"+second.ID, "/api/v1/defects/"+third.ID
	k.check(c{name: "defect report for the public", c: anon, method: "GET", path: two, status: 200})
	k.check(c{name: "defect report for staff", c: ed, method: "GET", path: two, status: 200})
	k.check(c{name: "unknown defect report", c: anon, method: "GET", path: "/api/v1/defects/999999", status: 404, slug: "not_found"})
	k.check(c{name: "defect report with a malformed ID", c: anon, method: "GET", path: "/api/v1/defects/abc", status: 404, slug: "not_found", refused: true})

	// The workflow.
	ack := map[string]any{"status": "acknowledged", "public_comment": "Danke, wir kümmern uns.", "internal_note": "Leuchte 17"}
	status := one + "/status"
	k.check(c{name: "defect status without session", c: anon, method: "POST", path: status, body: ack, status: 401, slug: "unauthenticated"})
	k.check(c{name: "defect status without CSRF token", c: noCSRF, method: "POST", path: status, body: ack, status: 403, slug: "csrf"})
	k.check(c{name: "defect status by another municipality", c: fb, method: "POST", path: status, body: ack, status: 403, slug: "forbidden"})
	k.check(c{name: "defect status of an unknown report", c: ed, method: "POST", path: "/api/v1/defects/999999/status", body: ack,
		status: 404, slug: "not_found"})
	k.check(c{name: "defect status with malformed JSON", c: ed, method: "POST", path: status, body: `{"status":}`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "defect status with an unknown field", c: ed, method: "POST", path: status,
		body: map[string]any{"status": "acknowledged", "priority": "hoch"}, status: 400, slug: "unknown_field", refused: true})
	k.check(c{name: "defect status as text/plain", c: ed, method: "POST", path: status, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "defect status to an unknown status", c: ed, method: "POST", path: status, body: map[string]any{"status": "vanished"},
		status: 422, slug: "validation", refused: true})
	k.check(c{name: "defect status rejected without reason", c: ed, method: "POST", path: status, body: map[string]any{"status": "rejected"},
		status: 422, slug: "validation"})
	k.check(c{name: "defect status skipping to resolved", c: ed, method: "POST", path: status,
		body: map[string]any{"status": "resolved", "public_comment": "Erledigt."}, status: 409, slug: "conflict"})
	k.check(c{name: "defect status of an old version", c: ed, method: "POST", path: status,
		body: map[string]any{"status": "acknowledged", "version": 99}, status: 409, slug: "conflict"})
	ack["version"] = first.Version
	k.check(c{name: "defect status", c: ed, method: "POST", path: status, body: ack, status: 200})
	k.check(c{name: "defect status duplicate", c: ed, method: "POST", path: three + "/status", status: 200,
		body: map[string]any{"status": "duplicate", "duplicate_of": first.ID, "public_comment": "Bereits gemeldet."}})
	freiberg := fb.orgID("Freiberg")
	k.check(c{name: "defect status forwarded", c: ed, method: "POST", path: two + "/status", status: 200,
		body: map[string]any{"status": "forwarded", "forward_to": freiberg, "public_comment": "Weitergeleitet an die Stadt Freiberg.",
			"internal_note": "Kreisstraße K 123"}})
	k.check(c{name: "defect status by the former organisation", c: ed, method: "POST", path: two + "/status",
		body: map[string]any{"status": "in_progress"}, status: 403, slug: "forbidden"})
	k.check(c{name: "defect status by the organisation it was forwarded to", c: fb, method: "POST", path: two + "/status",
		body: map[string]any{"status": "in_progress", "public_comment": "Wir reparieren."}, status: 200})

	// Moderation.
	moderation := two + "/moderation"
	hide := map[string]any{"text_hidden_reason": "Kfz-Kennzeichen im Text",
		"photos": []map[string]string{{"id": second.Photos[0].ID, "hidden_reason": "Gesicht erkennbar"}}}
	k.check(c{name: "defect moderation without session", c: anon, method: "POST", path: moderation, body: hide, status: 401, slug: "unauthenticated"})
	k.check(c{name: "defect moderation without CSRF token", c: noCSRF, method: "POST", path: moderation, body: hide, status: 403, slug: "csrf"})
	k.check(c{name: "defect moderation by another municipality", c: grimma, method: "POST", path: moderation, body: hide, status: 403, slug: "forbidden"})
	k.check(c{name: "defect moderation of an unknown report", c: ed, method: "POST", path: "/api/v1/defects/999999/moderation", body: hide,
		status: 404, slug: "not_found"})
	k.check(c{name: "defect moderation with malformed JSON", c: ed, method: "POST", path: moderation, body: `{"photos":[`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "defect moderation with an unknown field", c: ed, method: "POST", path: moderation,
		body: map[string]any{"hide_everything": true}, status: 400, slug: "unknown_field", refused: true})
	k.check(c{name: "defect moderation as text/plain", c: ed, method: "POST", path: moderation, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "defect moderation of an unknown photo", c: ed, method: "POST", path: moderation,
		body: map[string]any{"photos": []map[string]string{{"id": uuid.NewString(), "hidden_reason": "x"}}}, status: 422, slug: "validation"})
	k.check(c{name: "defect moderation with a long reason", c: ed, method: "POST", path: moderation,
		body: map[string]any{"text_hidden_reason": strings.Repeat("x", 501)}, status: 422, slug: "validation", refused: true})
	k.check(c{name: "defect moderation", c: ed, method: "POST", path: moderation, body: hide, status: 200})
	k.check(c{name: "defect moderation with null text", c: fb, method: "POST", path: moderation,
		body: map[string]any{"text_hidden_reason": nil}, status: 200})
	pub := decodeDefect(t, k.check(c{name: "moderated defect report for the public", c: anon, method: "GET", path: two, status: 200}))
	if pub.Description != nil || !pub.TextHidden || len(pub.Photos) != 1 {
		t.Errorf("moderated report for the public: %+v", pub)
	}
	staff := decodeDefect(t, k.check(c{name: "moderated defect report for staff", c: fb, method: "GET", path: two, status: 200}))
	if staff.Internal == nil || len(staff.Photos) != 2 || !staff.Photos[0].Hidden {
		t.Errorf("moderated report for staff: %+v", staff)
	}

	// Lists and the map, with reports in every state.
	every := "?category=" + lampID + "," + holeID + "&status=new,forwarded,in_progress,open&bbox=13.1,51.1,13.2,51.2" +
		"&from=2026-11-01&to=" + url.QueryEscape("2026-11-23T12:00:00+01:00") + "&limit=10"
	for _, l := range []struct{ name, path string }{{"defect list", defects}, {"defect map", defects + ".geojson"}} {
		all := k.check(c{name: l.name, c: anon, method: "GET", path: l.path, status: 200})
		if !strings.Contains(string(all.Body), `"description":null`) || !strings.Contains(string(all.Body), "preview_url") {
			t.Errorf("%s: lacks a hidden text or a photo: %s", l.name, all.Body)
		}
		k.check(c{name: l.name + " for staff", c: ed, method: "GET", path: l.path + "?status=closed", status: 200})
		k.check(c{name: l.name + " with every filter", c: anon, method: "GET", path: l.path + every, status: 200})
		k.check(c{name: l.name + " by slug", c: anon, method: "GET", path: strings.Replace(l.path, dp, "/api/v1/procedures/"+slug, 1), status: 200})
		k.check(c{name: l.name + " of a missing procedure", c: anon, method: "GET", path: strings.Replace(l.path, dp, missing, 1),
			status: 404, slug: "not_found"})
		k.check(c{name: l.name + " of a procedure of another type", c: anon, method: "GET", path: strings.Replace(l.path, dp, other, 1),
			status: 404, slug: "not_found"})
		k.check(c{name: l.name + " with bad filters", c: anon, method: "GET", path: l.path + "?status=vanished&category=x&from=gestern&limit=0",
			status: 422, slug: "validation", refused: true})
		k.check(c{name: l.name + " with a map section out of range", c: anon, method: "GET", path: l.path + "?bbox=190,0,191,1",
			status: 422, slug: "validation"})
	}
	if ct := k.check(c{name: "defect map, content type", c: anon, method: "GET", path: defects + ".geojson", status: 200}).Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("defect map: Content-Type %q", ct)
	}
	// Paging: a page of one report carries next_cursor, which fetches the next.
	cursors := map[string]string{}
	for _, l := range []struct{ name, path string }{{"defect list", defects}, {"defect map", defects + ".geojson"}} {
		first := k.check(c{name: l.name + ", first page", c: anon, method: "GET", path: l.path + "?status=open,closed&limit=1", status: 200})
		next, _ := first.JSON()["next_cursor"].(string)
		if next == "" {
			t.Fatalf("%s: a page of one of three reports without next_cursor: %s", l.name, first.Body)
		}
		cursors[l.name] = next
		k.check(c{name: l.name + ", next page", c: anon, method: "GET", path: l.path + "?status=open,closed&limit=1&cursor=" + url.QueryEscape(next), status: 200})
		k.check(c{name: l.name + " with a garbled cursor", c: anon, method: "GET", path: l.path + "?cursor=garbage", status: 422, slug: "validation"})
		k.check(c{name: l.name + " with a malformed cursor", c: anon, method: "GET", path: l.path + "?cursor=k%C3%A4se", status: 422, slug: "validation", refused: true})
	}
	k.check(c{name: "defect list with a page too large", c: anon, method: "GET", path: defects + "?limit=101", status: 422, slug: "validation", refused: true})
	k.check(c{name: "defect map with a page too large", c: anon, method: "GET", path: defects + ".geojson?limit=1001", status: 422, slug: "validation", refused: true})
	catalogue := k.check(c{name: "catalogue page for a foreign cursor", c: anon, method: "GET", path: "/api/v1/procedures?limit=1", status: 200})
	foreign, _ := catalogue.JSON()["next_cursor"].(string)
	k.check(c{name: "defect list with a cursor of the catalogue", c: anon, method: "GET", path: defects + "?cursor=" + url.QueryEscape(foreign),
		status: 422, slug: "validation"})
	k.check(c{name: "defect list with a cursor of another procedure", c: anon, method: "GET", status: 422, slug: "validation",
		path: later + "/defects?cursor=" + url.QueryEscape(cursors["defect list"])})
	orgDefects := "/api/v1/organisations/" + ed.orgID("Döbeln") + "/defects"
	k.check(c{name: "organisation defects", c: ed, method: "GET", path: orgDefects, status: 200})
	forwarded := k.check(c{name: "organisation defects forwarded to it", c: fb, method: "GET", path: "/api/v1/organisations/" + freiberg + "/defects" + every, status: 200})
	if !strings.Contains(string(forwarded.Body), `"id":"`+second.ID+`"`) {
		t.Errorf("Freiberg does not list the report forwarded to it: %s", forwarded.Body)
	}
	k.check(c{name: "organisation defects without session", c: anon, method: "GET", path: orgDefects, status: 401, slug: "unauthenticated"})
	k.check(c{name: "organisation defects of another municipality", c: fb, method: "GET", path: orgDefects, status: 403, slug: "forbidden"})
	k.check(c{name: "organisation defects for an instance admin", c: admin, method: "GET", path: orgDefects, status: 403, slug: "forbidden"})
	k.check(c{name: "organisation defects with a malformed ID", c: ed, method: "GET", path: "/api/v1/organisations/doebeln/defects",
		status: 404, slug: "not_found", refused: true})
	k.check(c{name: "organisation defects with bad filters", c: ed, method: "GET", path: orgDefects + "?status=fertig",
		status: 422, slug: "validation", refused: true})
	orgPage := k.check(c{name: "organisation defects, first page", c: ed, method: "GET", path: orgDefects + "?limit=2", status: 200})
	orgNext, _ := orgPage.JSON()["next_cursor"].(string)
	if orgNext == "" {
		t.Errorf("organisation defects: a page of two of five reports without next_cursor: %s", orgPage.Body)
	}
	k.check(c{name: "organisation defects, next page", c: ed, method: "GET", path: orgDefects + "?limit=2&cursor=" + url.QueryEscape(orgNext), status: 200})
	k.check(c{name: "organisation defects with a cursor of a procedure's list", c: ed, method: "GET", status: 422, slug: "validation",
		path: orgDefects + "?cursor=" + url.QueryEscape(cursors["defect list"])})
	k.check(c{name: "organisation defects with a page too large", c: ed, method: "GET", path: orgDefects + "?limit=101",
		status: 422, slug: "validation", refused: true})

	// Photos.
	hidden, visible := second.Photos[0], second.Photos[1]
	for _, v := range []struct {
		name, suffix string
	}{{"defect photo", ""}, {"defect photo preview", "/preview"}} {
		k.check(c{name: v.name, c: anon, method: "GET", path: pathOf(t, visible.URL) + v.suffix, status: 200})
		k.check(c{name: v.name + ", hidden, for staff", c: ed, method: "GET", path: pathOf(t, hidden.URL) + v.suffix, status: 200})
		k.check(c{name: v.name + ", hidden, for the public", c: anon, method: "GET", path: pathOf(t, hidden.URL) + v.suffix,
			status: 404, slug: "not_found"})
		k.check(c{name: v.name + " of another report", c: anon, method: "GET", path: one + "/photos/" + visible.ID + v.suffix,
			status: 404, slug: "not_found"})
		k.check(c{name: v.name + " with a malformed ID", c: anon, method: "GET", path: two + "/photos/foto.jpg" + v.suffix,
			status: 404, slug: "not_found", refused: true})
	}

	// "Me too".
	k.check(c{name: "defect support without CSRF token", c: noCSRF, method: "POST", path: one + "/support", status: 403, slug: "csrf"})
	supported := k.check(c{name: "defect support", c: anon, method: "POST", path: one + "/support", status: 201})
	if n, _ := supported.JSON()["supporters"].(float64); n != 1 {
		t.Errorf("defect support: %s", supported.Body)
	}
	k.check(c{name: "defect support twice", c: srv.client(t), method: "POST", path: one + "/support", status: 409, slug: "conflict"})
	k.check(c{name: "defect support of a closed report", c: anon, method: "POST", path: three + "/support", status: 409, slug: "conflict"})
	k.check(c{name: "defect support of an unknown report", c: anon, method: "POST", path: "/api/v1/defects/999999/support",
		status: 404, slug: "not_found"})

	// Unsubscribing.
	unsub := two + "/unsubscribe"
	token := map[string]string{"token": second.Token}
	k.check(c{name: "defect unsubscribe without CSRF token", c: noCSRF, method: "POST", path: unsub, body: token, status: 403, slug: "csrf"})
	k.check(c{name: "defect unsubscribe with a wrong token", c: anon, method: "POST", path: unsub, body: map[string]string{"token": first.Token},
		status: 404, slug: "not_found"})
	k.check(c{name: "defect unsubscribe of an unknown report", c: anon, method: "POST", path: "/api/v1/defects/999999/unsubscribe", body: token,
		status: 404, slug: "not_found"})
	k.check(c{name: "defect unsubscribe with malformed JSON", c: anon, method: "POST", path: unsub, body: `{"token"`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "defect unsubscribe as text/plain", c: anon, method: "POST", path: unsub, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "defect unsubscribe without token", c: anon, method: "POST", path: unsub, body: map[string]string{"token": ""},
		status: 422, slug: "validation", refused: true})
	k.check(c{name: "defect unsubscribe", c: anon, method: "POST", path: unsub, body: token, status: 204})
	if d := decodeDefect(t, fb.do("GET", two, nil)); d.Internal == nil || d.Internal.Email != "" {
		t.Errorf("after unsubscribing the report keeps its e-mail address: %+v", d.Internal)
	}

	// Open311 API keys.
	clients := "/api/v1/open311-clients"
	app := map[string]string{"name": "Stadt-App Döbeln"}
	k.check(c{name: "open311 clients without session", c: anon, method: "GET", path: clients, status: 401, slug: "unauthenticated"})
	k.check(c{name: "open311 clients for an editor", c: ed, method: "GET", path: clients, status: 403, slug: "forbidden"})
	k.check(c{name: "open311 key without session", c: anon, method: "POST", path: clients, body: app, status: 401, slug: "unauthenticated"})
	k.check(c{name: "open311 key without CSRF token", c: contractNoCSRF(admin), method: "POST", path: clients, body: app, status: 403, slug: "csrf"})
	k.check(c{name: "open311 key for an editor", c: ed, method: "POST", path: clients, body: app, status: 403, slug: "forbidden"})
	k.check(c{name: "open311 key with malformed JSON", c: admin, method: "POST", path: clients, body: `{"name":}`,
		status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "open311 key with an unknown field", c: admin, method: "POST", path: clients,
		body: map[string]string{"name": "App", "scope": "alles"}, status: 400, slug: "unknown_field", refused: true})
	k.check(c{name: "open311 key as text/plain", c: admin, method: "POST", path: clients, body: `{}`,
		headers: []string{"Content-Type", "text/plain"}, status: 415, slug: "unsupported_media_type", refused: true})
	k.check(c{name: "open311 key without name", c: admin, method: "POST", path: clients, body: map[string]string{"name": ""},
		status: 422, slug: "validation", refused: true})
	k.check(c{name: "open311 key with a blank name", c: admin, method: "POST", path: clients, body: map[string]string{"name": "   "},
		status: 422, slug: "validation"})
	issued := k.check(c{name: "open311 key", c: admin, method: "POST", path: clients, body: app, status: 201})
	clientID, _ := issued.JSON()["id"].(string)
	if apiKey, _ := issued.JSON()["api_key"].(string); apiKey == "" {
		t.Errorf("open311 key: no api_key in %s", issued.Body)
	}
	k.check(c{name: "open311 key, second", c: admin, method: "POST", path: clients, body: map[string]string{"name": "Bürger-App"}, status: 201})
	revoke := clients + "/" + clientID
	k.check(c{name: "open311 key revocation without session", c: anon, method: "DELETE", path: revoke, status: 401, slug: "unauthenticated"})
	k.check(c{name: "open311 key revocation without CSRF token", c: contractNoCSRF(admin), method: "DELETE", path: revoke, status: 403, slug: "csrf"})
	k.check(c{name: "open311 key revocation by an editor", c: ed, method: "DELETE", path: revoke, status: 403, slug: "forbidden"})
	k.check(c{name: "open311 key revocation of an unknown client", c: admin, method: "DELETE", path: clients + "/" + uuid.NewString(),
		status: 404, slug: "not_found"})
	k.check(c{name: "open311 key revocation with a malformed ID", c: admin, method: "DELETE", path: clients + "/app",
		status: 404, slug: "not_found", refused: true})
	k.check(c{name: "open311 key revocation", c: admin, method: "DELETE", path: revoke, status: 204})
	k.check(c{name: "open311 key revocation twice", c: admin, method: "DELETE", path: revoke, status: 404, slug: "not_found"})
	list := k.check(c{name: "open311 clients", c: admin, method: "GET", path: clients, status: 200})
	contractWantNulls(t, list, "revoked_at")
	if strings.Contains(string(list.Body), "api_key") {
		t.Errorf("open311 clients show keys: %s", list.Body)
	}
}
