package main

import (
	"net/url"
	"testing"
)

// Input that PostgreSQL cannot store or compare (NUL, the year 0) or that
// makes no box (NaN) is refused as a client error; it used to reach the
// database and end in a 500. The cases come from the fuzz targets of
// web/handler and domain/defect.
func TestUnstorableInputIsAClientError(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	dp := defectProcedure(t, editor)
	cat := defectCategory(t, editor, dp, "strassenbeleuchtung", "Straßenbeleuchtung defekt")
	citizen := srv.client(t)

	draft := "/api/v1/procedures/" + decodeProcedure(t, mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Döbeln")+"/procedures",
		map[string]any{"type": "defect_reporting", "subtype": "maengelmelder", "title": "Mängelmelder Döbeln",
			"summary": "Melden Sie Schlaglöcher und defekte Lampen.", "area": doebelnArea}), 201, "draft")).ID
	for _, start := range []string{"0000-01-01", "0001-01-01"} {
		wantProblem(t, editor.do("POST", draft+"/phases", map[string]any{"kind": "participation", "audience": "public", "start": start}),
			422, "validation")
	}

	for _, q := range []string{"from=0000-01-01", "from=0001-01-01", "to=0001-01-01T00:30:00%2B01:00"} {
		wantProblem(t, citizen.do("GET", dp+"/defects?"+q, nil), 422, "validation")
	}
	report := streetLight(cat, "Die Straßenlampe vor dem Rathaus\x00 ist seit Tagen dunkel.")
	wantProblem(t, citizen.postDefect(dp, report, "nul-1"), 422, "validation")

	admin := srv.client(t)
	admin.login(demoAdminEmail)
	key, _ := mustStatus(t, admin.do("POST", "/api/v1/open311-clients", map[string]any{"name": "App"}), 201, "issue key").JSON()["api_key"].(string)
	o := open311Client{t: t, base: srv.URL + "/open311/v2"}
	for _, q := range []string{"lat=NaN&long=13.12", "lat=51.12&long=13.12&radius=NaN", "start_date=0000-01-01T00:00:00Z",
		"end_date=0001-01-02T00:00:00Z"} {
		if a := o.get("requests.json?" + q); a.status != 400 {
			t.Errorf("%s: status %d, want 400: %s", q, a.status, a.body)
		}
	}
	form := url.Values{"api_key": {key}, "service_code": {"strassenbeleuchtung"}, "lat": {"51.1211"}, "long": {"13.1234"},
		"description": {"Laterne am Obermarkt\x00 flackert nachts ständig."}}
	if a := o.post("requests.json", form); a.status != 400 {
		t.Errorf("NUL in the description: status %d, want 400: %s", a.status, a.body)
	}
	form.Set("description", "Laterne am Obermarkt flackert nachts ständig.")
	form.Set("service_code", "strassen\x00beleuchtung")
	if a := o.post("requests.json", form); a.status != 404 {
		t.Errorf("NUL in the service code: status %d, want 404: %s", a.status, a.body)
	}
}
