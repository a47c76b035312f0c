package main

import (
	"github.com/getkin/kin-openapi/openapi3filter"
)

// contractSurveys drives every survey operation into its documented answers.
func contractSurveys(k *contract) {
	t := k.t
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", openapi3filter.FileBodyDecoder)
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	anon, ed, viewer, grimma := srv.client(t), srv.client(t), srv.client(t), srv.client(t)
	k.login(ed, "freiberg-editor@demo.example")
	k.login(viewer, "freiberg-viewer@demo.example")
	k.login(grimma, "grimma-admin@demo.example")
	noCSRF := contractNoCSRF(ed)
	missing := "/api/v1/procedures/0191d9a0-0000-7000-8000-000000000000"

	res := mustStatus(t, ed.do("POST", "/api/v1/organisations/"+ed.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "survey", "subtype": "umfrage", "title": "Umfrage Vertrag", "summary": "Kurz."}), 201, "create")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	sv := path + "/survey"
	qn := surveyQuestionnaire()
	invalid := map[string]any{"sections": []any{}}

	type c = call
	k.check(c{name: "survey save without session", c: anon, method: "PUT", path: sv, body: qn, status: 401, slug: "unauthenticated"})
	k.check(c{name: "survey save without CSRF token", c: noCSRF, method: "PUT", path: sv, body: qn, status: 403, slug: "csrf"})
	k.check(c{name: "survey save by a viewer", c: viewer, method: "PUT", path: sv, body: qn, status: 403, slug: "forbidden"})
	k.check(c{name: "survey save in another municipality's draft", c: grimma, method: "PUT", path: sv, body: qn, status: 404, slug: "not_found"})
	k.check(c{name: "survey save with malformed JSON", c: ed, method: "PUT", path: sv, body: `{"sections":`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "survey save without sections", c: ed, method: "PUT", path: sv, body: invalid, status: 422, slug: "validation"})
	k.check(c{name: "survey save", c: ed, method: "PUT", path: sv, body: qn, status: 200})
	k.check(c{name: "survey of a missing procedure", c: anon, method: "GET", path: missing + "/survey", status: 404, slug: "not_found"})
	k.check(c{name: "survey draft questionnaire for staff", c: ed, method: "GET", path: sv, status: 200})

	pub := sv + "/results/publication"
	on := map[string]any{"published": true}
	k.check(c{name: "results publication of a draft", c: ed, method: "PUT", path: pub, body: on, status: 409, slug: "conflict"})
	mustStatus(t, ed.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2026-10-01", "end": "2026-10-31"}), 201, "phase")
	mustStatus(t, ed.do("POST", path+"/publish", nil), 200, "publish")
	k.check(c{name: "survey save after publishing", c: ed, method: "PUT", path: sv, body: qn, status: 409, slug: "conflict"})
	k.check(c{name: "survey questionnaire", c: anon, method: "GET", path: sv, status: 200})

	drafts := sv + "/drafts"
	k.check(c{name: "survey draft before the period", c: anon, method: "POST", path: drafts, body: map[string]any{"answers": map[string]any{}}, status: 409, slug: "closed"})

	codes := sv + "/codes"
	k.check(c{name: "codes without session", c: anon, method: "POST", path: codes, body: map[string]any{"count": 2}, status: 401, slug: "unauthenticated"})
	k.check(c{name: "codes without CSRF token", c: noCSRF, method: "POST", path: codes, body: map[string]any{"count": 2}, status: 403, slug: "csrf"})
	k.check(c{name: "codes by a viewer", c: viewer, method: "POST", path: codes, body: map[string]any{"count": 2}, status: 403, slug: "forbidden"})
	k.check(c{name: "codes of a missing procedure", c: ed, method: "POST", path: missing + "/survey/codes", body: map[string]any{"count": 2}, status: 404, slug: "not_found"})
	k.check(c{name: "codes with malformed JSON", c: ed, method: "POST", path: codes, body: `{"count":`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "no codes", c: ed, method: "POST", path: codes, body: map[string]any{"count": 0}, status: 422, slug: "validation", refused: true})
	k.check(c{name: "codes", c: ed, method: "POST", path: codes, body: map[string]any{"count": 2}, status: 201})

	clock.Set("2026-10-05 10:00:00")
	resp := sv + "/responses"
	citizen := srv.client(t)
	k.check(c{name: "survey response with malformed JSON", c: citizen, method: "POST", path: resp, body: `{"answers":`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "survey response without CSRF token", c: noCSRF, method: "POST", path: resp, body: answer(nil), status: 403, slug: "csrf"})
	k.check(c{name: "survey response to a missing procedure", c: citizen, method: "POST", path: missing + "/survey/responses", body: answer(nil), status: 404, slug: "not_found"})
	k.check(c{name: "survey response with invalid answers", c: citizen, method: "POST", path: resp,
		body: answer(func(a map[string]any) { a["q_satisfaction"] = 9 }), status: 422, slug: "validation"})
	k.check(c{name: "survey response", c: citizen, method: "POST", path: resp, body: answer(nil), status: 201})
	k.check(c{name: "second survey response from the browser", c: citizen, method: "POST", path: resp, body: answer(nil), status: 409, slug: "conflict"})

	drafter := srv.client(t)
	k.check(c{name: "survey draft with malformed JSON", c: drafter, method: "POST", path: drafts, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "survey draft without CSRF token", c: noCSRF, method: "POST", path: drafts, body: map[string]any{"answers": map[string]any{}}, status: 403, slug: "csrf"})
	k.check(c{name: "survey draft of a missing procedure", c: drafter, method: "POST", path: missing + "/survey/drafts", body: map[string]any{"answers": map[string]any{}}, status: 404, slug: "not_found"})
	k.check(c{name: "survey draft with an unknown question", c: drafter, method: "POST", path: drafts, body: map[string]any{"answers": map[string]any{"nope": 1}}, status: 422, slug: "validation"})
	d := k.check(c{name: "survey draft", c: drafter, method: "POST", path: drafts, body: map[string]any{"answers": map[string]any{"q_mode": "bus"}}, status: 200})
	token, _ := d.JSON()["resume_token"].(string)
	resume := drafts + "/resume"
	k.check(c{name: "survey draft resume with malformed JSON", c: drafter, method: "POST", path: resume, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "survey draft resume without CSRF token", c: noCSRF, method: "POST", path: resume, body: map[string]any{"resume_token": token}, status: 403, slug: "csrf"})
	k.check(c{name: "survey draft resume without token", c: drafter, method: "POST", path: resume, body: map[string]any{"resume_token": ""}, status: 422, slug: "validation", refused: true})
	k.check(c{name: "survey draft resume with a wrong token", c: drafter, method: "POST", path: resume, body: map[string]any{"resume_token": "wrong"}, status: 404, slug: "not_found"})
	k.check(c{name: "survey draft resume", c: drafter, method: "POST", path: resume, body: map[string]any{"resume_token": token}, status: 200})

	results := sv + "/results"
	k.check(c{name: "unpublished results for the public", c: anon, method: "GET", path: results, status: 404, slug: "not_found"})
	k.check(c{name: "results with a bad filter", c: ed, method: "GET", path: results + "?filter=q_mode:plane", status: 422, slug: "validation"})
	k.check(c{name: "live results", c: ed, method: "GET", path: results + "?filter=q_mode:car", status: 200})
	k.check(c{name: "results publication without session", c: anon, method: "PUT", path: pub, body: on, status: 401, slug: "unauthenticated"})
	k.check(c{name: "results publication without CSRF token", c: noCSRF, method: "PUT", path: pub, body: on, status: 403, slug: "csrf"})
	k.check(c{name: "results publication by a viewer", c: viewer, method: "PUT", path: pub, body: on, status: 403, slug: "forbidden"})
	k.check(c{name: "results publication of a missing procedure", c: ed, method: "PUT", path: missing + "/survey/results/publication", body: on, status: 404, slug: "not_found"})
	k.check(c{name: "results publication with malformed JSON", c: ed, method: "PUT", path: pub, body: `{`, status: 400, slug: "malformed_json", refused: true})
	k.check(c{name: "results publication", c: ed, method: "PUT", path: pub, body: on, status: 200})
	k.check(c{name: "published results", c: anon, method: "GET", path: results, status: 200})

	for _, exp := range []string{"/responses.csv", "/responses.xlsx", "/results.csv", "/results.xlsx"} {
		k.check(c{name: "export " + exp + " without session", c: anon, method: "GET", path: sv + exp, status: 401, slug: "unauthenticated"})
		k.check(c{name: "export " + exp + " by another municipality", c: grimma, method: "GET", path: sv + exp, status: 404, slug: "not_found"})
		k.check(c{name: "export " + exp, c: viewer, method: "GET", path: sv + exp, status: 200})
	}
	k.check(c{name: "aggregates export with a bad filter", c: ed, method: "GET", path: sv + "/results.csv?filter=nope", status: 422, slug: "validation", refused: true})
	k.check(c{name: "aggregates workbook with an unknown option", c: ed, method: "GET", path: sv + "/results.xlsx?filter=q_mode:plane", status: 422, slug: "validation"})
}
