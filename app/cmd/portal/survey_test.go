package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// surveyQuestionnaire has one question of every kind, a condition (q_car_km
// only for those who drive) and a demographic question.
func surveyQuestionnaire() map[string]any {
	return map[string]any{
		"settings": map[string]any{"threshold": 5},
		"sections": []any{
			map[string]any{"key": "mobility", "title": "Ihre Wege", "questions": []any{
				map[string]any{"key": "q_mode", "kind": "single_choice", "title": "Wie kommen Sie meist in die Innenstadt?", "required": true,
					"other": true, "options": []any{
						map[string]any{"key": "car", "label": "Auto"}, map[string]any{"key": "bike", "label": "Fahrrad"},
						map[string]any{"key": "bus", "label": "Bus"}, map[string]any{"key": "foot", "label": "zu Fuß"}}},
				map[string]any{"key": "q_car_km", "kind": "number", "title": "Wie viele Kilometer fahren Sie je Woche?", "required": true,
					"min": 0, "max": 5000, "integer": true, "condition": map[string]any{"question": "q_mode", "any_of": []string{"car"}}},
				map[string]any{"key": "q_wishes", "kind": "multiple_choice", "title": "Was wünschen Sie sich?", "min_select": 1, "max_select": 2,
					"options": []any{
						map[string]any{"key": "lanes", "label": "Radwege"}, map[string]any{"key": "buses", "label": "mehr Busse"},
						map[string]any{"key": "parking", "label": "Parkplätze"}}},
				map[string]any{"key": "q_satisfaction", "kind": "scale", "title": "Wie zufrieden sind Sie?", "required": true,
					"scale_min": 1, "scale_max": 5, "min_label": "gar nicht", "max_label": "sehr"},
				map[string]any{"key": "q_matrix", "kind": "matrix", "title": "Wie bewerten Sie …", "scale_min": 1, "scale_max": 5,
					"items": []any{map[string]any{"key": "roads", "label": "Straßen"}, map[string]any{"key": "paths", "label": "Gehwege"}}},
				map[string]any{"key": "q_rank", "kind": "ranking", "title": "Ordnen Sie nach Wichtigkeit", "options": []any{
					map[string]any{"key": "safety", "label": "Sicherheit"}, map[string]any{"key": "speed", "label": "Schnelligkeit"},
					map[string]any{"key": "cost", "label": "Kosten"}}},
			}},
			map[string]any{"key": "more", "title": "Sonstiges und Angaben zur Person", "questions": []any{
				map[string]any{"key": "q_short", "kind": "short_text", "title": "Ihr Stadtteil"},
				map[string]any{"key": "q_long", "kind": "long_text", "title": "Was möchten Sie uns noch sagen?"},
				map[string]any{"key": "q_since", "kind": "date", "title": "Seit wann wohnen Sie hier?"},
				map[string]any{"key": "q_age", "kind": "single_choice", "title": "Alter", "demographic": true, "options": []any{
					map[string]any{"key": "young", "label": "unter 30"}, map[string]any{"key": "mid", "label": "30 bis 64"},
					map[string]any{"key": "old", "label": "65 und älter"}}},
			}},
		},
	}
}

// surveyProcedure creates a Freiberg survey with the questionnaire, one phase
// from 1 to 31 October 2026, publishes it and returns its path.
func surveyProcedure(t testing.TB, editor *client, questionnaire map[string]any) string {
	t.Helper()
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "survey", "subtype": "umfrage", "title": "Umfrage Radverkehr Freiberg", "summary": "Wie sind Sie unterwegs?",
	}), 201, "create")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, editor.do("PUT", path+"/survey", questionnaire), 200, "save questionnaire")
	mustStatus(t, editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2026-10-01", "end": "2026-10-31"}), 201, "phase")
	mustStatus(t, editor.do("POST", path+"/publish", nil), 200, "publish")
	return path
}

func fieldsOf(p map[string]any) map[string]string {
	out := map[string]string{}
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
		if m["message"] == "" || m["message"] == m["code"] {
			panic(fmt.Sprintf("no German text for %v", m["code"]))
		}
	}
	return out
}

func TestSurveyQuestionnaireRules(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "survey", "subtype": "umfrage", "title": "Umfrage", "summary": "Kurz."}), 201, "create")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID

	bad := map[string]any{"sections": []any{map[string]any{"key": "s", "title": "Teil 1", "questions": []any{
		map[string]any{"key": "a", "kind": "single_choice", "title": "A", "options": []any{
			map[string]any{"key": "x", "label": ""}, map[string]any{"key": "y", "label": "Y"}}},
		map[string]any{"key": "b", "kind": "short_text", "title": "B", "condition": map[string]any{"question": "c", "any_of": []string{"x"}}},
		map[string]any{"key": "c", "kind": "scale", "title": "C", "scale_min": 3, "scale_max": 2},
		map[string]any{"key": "d", "kind": "multiple_choice", "title": "D", "options": []any{map[string]any{"key": "x", "label": "X"}}},
	}}}}
	p := wantProblem(t, editor.do("PUT", path+"/survey", bad), 422, "validation")
	got := fieldsOf(p)
	want := map[string]string{
		"sections[0].questions[0].options[0].label":   "survey.option_empty",
		"sections[0].questions[1].condition.question": "survey.condition_backwards",
		"sections[0].questions[2].scale":              "survey.scale_invalid",
		"sections[0].questions[3].options":            "survey.too_few_options",
	}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("%s: got %q, want %q (all: %v)", f, got[f], code, got)
		}
	}
	// Viewers read but do not edit.
	other := srv.client(t)
	other.login("freiberg-viewer@demo.example")
	wantProblem(t, other.do("PUT", path+"/survey", surveyQuestionnaire()), 403, "forbidden")

	path = surveyProcedure(t, editor, surveyQuestionnaire())
	wantProblem(t, editor.do("PUT", path+"/survey", surveyQuestionnaire()), 409, "conflict")
}

// answer is a complete valid response; change adjusts it.
func answer(change func(map[string]any)) map[string]any {
	a := map[string]any{
		"q_mode": "car", "q_car_km": 120, "q_wishes": []string{"lanes"}, "q_satisfaction": 4,
		"q_matrix": map[string]any{"roads": 2, "paths": 3}, "q_rank": []string{"safety", "cost", "speed"},
		"q_short": "Friedeburg", "q_long": "Mehr Bänke, bitte.", "q_since": "2001-05-01", "q_age": "mid",
	}
	if change != nil {
		change(a)
	}
	return map[string]any{"answers": a}
}

func TestSurveyAnsweringAndResults(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := surveyProcedure(t, editor, surveyQuestionnaire())

	citizen := srv.client(t)
	q := mustStatus(t, citizen.do("GET", path+"/survey", nil), 200, "questionnaire")
	if q.JSON()["open"] != false || q.JSON()["browser_token"] == "" {
		t.Fatalf("before the period: %s", q.Body)
	}
	wantProblem(t, citizen.do("POST", path+"/survey/responses", answer(nil)), 409, "closed")

	clock.Set("2026-10-05 09:00:00")
	// Every invalid answer at once.
	p := wantProblem(t, citizen.do("POST", path+"/survey/responses", map[string]any{"answers": map[string]any{
		"q_mode": "bike", "q_car_km": 10, "q_wishes": []string{"lanes", "buses", "parking"}, "q_satisfaction": 7,
		"q_matrix": map[string]any{"roads": 9}, "q_rank": []string{"safety", "safety", "cost"}, "q_short": strings.Repeat("x", 201),
		"q_since": "2001-02-30", "q_age": "ancient", "q_nope": 1,
	}}), 422, "validation")
	got := fieldsOf(p)
	want := map[string]string{
		"answers.q_car_km": "survey.answer_hidden", "answers.q_wishes": "survey.answer_select_max",
		"answers.q_satisfaction": "survey.answer_scale", "answers.q_matrix.roads": "survey.answer_scale",
		"answers.q_rank": "survey.answer_ranking", "answers.q_short": "survey.answer_too_long",
		"answers.q_since": "survey.answer_date", "answers.q_age": "survey.answer_option", "answers.q_nope": "survey.question_unknown",
	}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("%s: got %q, want %q (all: %v)", f, got[f], code, got)
		}
	}
	// The condition makes q_car_km required for drivers; other required answers missing.
	p = wantProblem(t, citizen.do("POST", path+"/survey/responses", map[string]any{"answers": map[string]any{"q_mode": "car"}}), 422, "validation")
	got = fieldsOf(p)
	if got["answers.q_car_km"] != "survey.answer_required" || got["answers.q_satisfaction"] != "survey.answer_required" {
		t.Fatalf("required: %v", got)
	}
	p = wantProblem(t, citizen.do("POST", path+"/survey/responses", answer(func(a map[string]any) {
		a["q_mode"] = map[string]any{"other": "  "}
		delete(a, "q_car_km")
	})), 422, "validation")
	if fieldsOf(p)["answers.q_mode"] != "survey.answer_other_empty" {
		t.Fatalf("other: %s", p)
	}

	// One response per browser.
	rec := mustStatus(t, citizen.do("POST", path+"/survey/responses", answer(nil)), 201, "submit")
	if rec.JSON()["id"] == "" {
		t.Fatalf("receipt: %s", rec.Body)
	}
	wantProblem(t, citizen.do("POST", path+"/survey/responses", answer(nil)), 409, "conflict")
	// An API client without cookies that sends the token in the header is recognised too.
	api := srv.client(t)
	api.http.Jar = nil
	tok := rec.JSON()["browser_token"].(string)
	wantProblem(t, api.do("POST", path+"/survey/responses", answer(nil), "X-Survey-Token", tok), 409, "conflict")
	// A forged token counts as none.
	mustStatus(t, api.do("POST", path+"/survey/responses", answer(func(a map[string]any) { a["q_age"] = "young" }),
		"X-Survey-Token", "abc.def"), 201, "forged token")

	// A draft, resumed and submitted.
	drafter := srv.client(t)
	d := mustStatus(t, drafter.do("POST", path+"/survey/drafts", map[string]any{"answers": map[string]any{"q_mode": "bus"}}), 200, "draft")
	resume := d.JSON()["resume_token"].(string)
	r := mustStatus(t, drafter.do("POST", path+"/survey/drafts/resume", map[string]any{"resume_token": resume}), 200, "resume")
	if !strings.Contains(string(r.Body), `"q_mode":"bus"`) {
		t.Fatalf("draft: %s", r.Body)
	}
	full := answer(func(a map[string]any) { a["q_mode"] = "bus"; delete(a, "q_car_km"); a["q_age"] = "young" })
	full["resume_token"] = resume
	mustStatus(t, drafter.do("POST", path+"/survey/responses", full), 201, "submit draft")
	wantProblem(t, drafter.do("POST", path+"/survey/drafts/resume", map[string]any{"resume_token": resume}), 404, "not_found")

	// A known data set: 3 so far (car/mid, car/young, bus/young); 7 more.
	type person struct {
		mode, age string
		sat       int
		km        int
	}
	people := []person{{"bike", "mid", 5, 0}, {"bike", "mid", 5, 0}, {"bike", "mid", 3, 0}, {"bike", "old", 2, 0},
		{"car", "mid", 1, 40}, {"foot", "old", 4, 0}, {"bus", "mid", 4, 0}}
	for _, pp := range people {
		c := srv.client(t)
		mustStatus(t, c.do("POST", path+"/survey/responses", answer(func(a map[string]any) {
			a["q_mode"], a["q_age"], a["q_satisfaction"] = pp.mode, pp.age, pp.sat
			if pp.mode == "car" {
				a["q_car_km"] = pp.km
			} else {
				delete(a, "q_car_km")
			}
		})), 201, "submit "+pp.mode)
	}

	// Staff see live, complete results.
	res := mustStatus(t, editor.do("GET", path+"/survey/results", nil), 200, "results")
	var body struct {
		Responses *int `json:"responses"`
		Live      bool `json:"live"`
		Questions []struct {
			Key         string `json:"key"`
			Respondents *int   `json:"respondents"`
			Suppressed  bool   `json:"suppressed"`
			Options     []struct {
				Key        string   `json:"key"`
				Label      string   `json:"label"`
				Count      *int     `json:"count"`
				Percent    *float64 `json:"percent"`
				Suppressed bool     `json:"suppressed"`
				Score      *float64 `json:"score"`
			} `json:"options"`
			Stats *struct {
				N      int      `json:"n"`
				Mean   *float64 `json:"mean"`
				Median *float64 `json:"median"`
			} `json:"stats"`
			Texts []string `json:"texts"`
		} `json:"questions"`
	}
	decode := func(r response) {
		body.Questions = nil
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
	}
	decode(res)
	if *body.Responses != 10 || !body.Live {
		t.Fatalf("responses: %s", res.Body)
	}
	byKey := func(key string) int {
		for i, q := range body.Questions {
			if q.Key == key {
				return i
			}
		}
		t.Fatalf("no question %s", key)
		return -1
	}
	mode := body.Questions[byKey("q_mode")]
	counts := map[string]int{}
	for _, o := range mode.Options {
		counts[o.Key] = *o.Count
		// The domain leaves the "other" label to the catalogue.
		if o.Key == "other" && o.Label != "Sonstiges" {
			t.Errorf("other option label: %q", o.Label)
		}
	}
	if counts["car"] != 3 || counts["bike"] != 4 || counts["bus"] != 2 || counts["foot"] != 1 || counts["other"] != 0 {
		t.Fatalf("mode counts: %v", counts)
	}
	// Satisfaction: 4,4,4 (first three) + 5,5,3,2,1,4,4 → mean 3.6, median 4.
	sat := body.Questions[byKey("q_satisfaction")]
	if sat.Stats.N != 10 || *sat.Stats.Mean != 3.6 || *sat.Stats.Median != 4 {
		t.Fatalf("satisfaction stats: %+v %v %v", sat.Stats, *sat.Stats.Mean, *sat.Stats.Median)
	}
	km := body.Questions[byKey("q_car_km")]
	if *km.Respondents != 3 || *km.Stats.Mean != (120+120+40)/3.0 && *km.Stats.Mean != 93.3333 {
		t.Fatalf("km: %+v mean %v", km, *km.Stats.Mean)
	}
	rank := body.Questions[byKey("q_rank")]
	if rank.Options[0].Key != "safety" || *rank.Options[0].Score != 3 {
		t.Fatalf("ranking: %+v", rank.Options)
	}
	if texts := body.Questions[byKey("q_long")].Texts; len(texts) != 10 {
		t.Fatalf("free texts for staff: %v", texts)
	}
	// Cross-tab: only the bike riders.
	decode(mustStatus(t, editor.do("GET", path+"/survey/results?filter=q_mode:bike", nil), 200, "filtered"))
	if *body.Responses != 4 || *body.Questions[byKey("q_satisfaction")].Stats.Mean != 3.75 {
		t.Fatalf("filtered: %+v", body.Questions[byKey("q_satisfaction")].Stats)
	}

	// The public sees nothing until the agency publishes, then no small groups.
	wantProblem(t, citizen.do("GET", path+"/survey/results", nil), 404, "not_found")
	mustStatus(t, editor.do("PUT", path+"/survey/results/publication", map[string]any{"published": true}), 200, "publish results")
	pub := mustStatus(t, citizen.do("GET", path+"/survey/results", nil), 200, "public results")
	decode(pub)
	if body.Live || *body.Responses != 10 {
		t.Fatalf("public: %s", pub.Body)
	}
	for _, o := range body.Questions[byKey("q_mode")].Options {
		switch o.Key {
		case "bus", "foot", "car": // 2, 1 and 3 are below the threshold of 5
			if !o.Suppressed || o.Count != nil || o.Percent != nil {
				t.Errorf("option %s with a small count is shown: %+v", o.Key, o)
			}
		case "bike":
			if o.Suppressed || *o.Count != 4 {
				// 4 is below 5 too
				if !o.Suppressed {
					t.Errorf("bike: %+v", o)
				}
			}
		}
	}
	if km := body.Questions[byKey("q_car_km")]; !km.Suppressed || km.Stats != nil {
		t.Errorf("a question with 3 respondents is shown: %+v", km)
	}
	if texts := body.Questions[byKey("q_long")].Texts; len(texts) != 0 {
		t.Errorf("free texts are public: %v", texts)
	}
	if !bytes.Contains(pub.Body, []byte(`"key":"mid","label":"30 bis 64","count":6`)) {
		t.Errorf("a group of six is shown: %s", pub.Body)
	}
	// A filter group of two is hidden completely.
	decode(mustStatus(t, citizen.do("GET", path+"/survey/results?filter=q_mode:bus", nil), 200, "public filtered"))
	if body.Responses != nil {
		t.Errorf("a filter group of two is shown")
	}

	// CSV export of the raw responses: BOM, semicolons, one row per response,
	// a column per question or option.
	exp := mustStatus(t, editor.do("GET", path+"/survey/responses.csv", nil), 200, "export")
	if !bytes.HasPrefix(exp.Body, []byte("\uFEFF")) || !strings.HasPrefix(exp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %q", exp.Body[:20])
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(exp.Body, []byte("\uFEFF"))))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHead := "Antwort-ID;Eingang;q_mode;q_mode.other;q_car_km;q_wishes.lanes;q_wishes.buses;q_wishes.parking;" +
		"q_satisfaction;q_matrix.roads;q_matrix.paths;q_rank.safety;q_rank.speed;q_rank.cost;q_short;q_long;q_since;q_age"
	if strings.Join(rows[0], ";") != wantHead || len(rows) != 11 {
		t.Fatalf("export head %v, %d rows", rows[0], len(rows))
	}
	if first := strings.Join(rows[1][2:], ";"); first != "car;;120;1;0;0;4;2;3;1;3;2;Friedeburg;Mehr Bänke, bitte.;2001-05-01;mid" {
		t.Fatalf("first row: %s", first)
	}
	agg := mustStatus(t, editor.do("GET", path+"/survey/results.csv", nil), 200, "aggregates")
	if !bytes.Contains(agg.Body, []byte("q_mode;Wie kommen Sie meist in die Innenstadt?;bike;Fahrrad;;4;40")) ||
		!bytes.Contains(agg.Body, []byte("q_mode;Wie kommen Sie meist in die Innenstadt?;other;Sonstiges;;0;0")) {
		t.Fatalf("aggregates: %s", agg.Body)
	}

	// The same tables as workbooks: the same cells, numbers as numbers.
	book := func(path, numberCell string) [][]string {
		t.Helper()
		resp := mustStatus(t, editor.do("GET", path, nil), 200, path)
		if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("%s: content type %q", path, ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, ".xlsx") {
			t.Fatalf("%s: content disposition %q", path, cd)
		}
		f, err := excelize.OpenReader(bytes.NewReader(resp.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		if typ, _ := f.GetCellType(f.GetSheetName(0), numberCell); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
			t.Errorf("%s: %s is text, want a number", path, numberCell)
		}
		return got
	}
	xrows := book(path+"/survey/responses.xlsx", "E2")
	if len(xrows) != len(rows) || strings.Join(xrows[0], ";") != wantHead {
		t.Fatalf("responses.xlsx: %d rows, head %v", len(xrows), xrows[0])
	}
	for i := 1; i < len(rows); i++ {
		// Cells of the CSV and the workbook agree (the workbook drops empty trailing cells).
		if got, want := strings.Join(xrows[i][2:], ";"), strings.TrimRight(strings.Join(rows[i][2:], ";"), ";"); got != want {
			t.Errorf("responses.xlsx row %d: %s, CSV has %s", i, got, want)
		}
	}
	found := false
	for _, r := range book(path+"/survey/results.xlsx", "F2") {
		if len(r) >= 7 && strings.Join(r[:7], ";") == "q_mode;Wie kommen Sie meist in die Innenstadt?;bike;Fahrrad;;4;40" {
			found = true
		}
	}
	if !found {
		t.Errorf("results.xlsx lacks the bike row")
	}
	// Viewers read results but do not edit; strangers do not read them.
	viewer := srv.client(t)
	viewer.login("freiberg-viewer@demo.example")
	mustStatus(t, viewer.do("GET", path+"/survey/responses.csv", nil), 200, "viewer export")
	wantProblem(t, citizen.do("GET", path+"/survey/responses.xlsx", nil), 401, "unauthenticated")
	wantProblem(t, viewer.do("PUT", path+"/survey/results/publication", map[string]any{"published": false}), 403, "forbidden")
	stranger := srv.client(t)
	stranger.login("grimma-admin@demo.example")
	wantProblem(t, stranger.do("GET", path+"/survey/responses.csv", nil), 404, "not_found")
	wantProblem(t, stranger.do("GET", path+"/survey/results.xlsx", nil), 404, "not_found")

	// After the period (Berlin time), no more responses.
	clock.Set("2026-11-01 00:00:01")
	wantProblem(t, srv.client(t).do("POST", path+"/survey/responses", answer(nil)), 409, "closed")
}

func TestSurveyAccessCodes(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	qn := surveyQuestionnaire()
	qn["settings"] = map[string]any{"require_code": true}
	path := surveyProcedure(t, editor, qn)
	res := mustStatus(t, editor.do("POST", path+"/survey/codes", map[string]any{"count": 3}), 201, "codes")
	var codes struct{ Codes []string }
	_ = json.Unmarshal(res.Body, &codes)
	if len(codes.Codes) != 3 || len(codes.Codes[0]) != 14 {
		t.Fatalf("codes: %s", res.Body)
	}
	clock.Set("2026-10-10 12:00:00")
	household := srv.client(t)
	wantProblem(t, household.do("POST", path+"/survey/responses", answer(nil)), 403, "forbidden")
	withCode := func(code string) map[string]any {
		a := answer(nil)
		a["access_code"] = code
		return a
	}
	wantProblem(t, household.do("POST", path+"/survey/responses", withCode("AAAA-BBBB-CCCC")), 403, "forbidden")
	// Codes are typed by hand: lower case and without hyphens is fine.
	typed := strings.ToLower(strings.ReplaceAll(codes.Codes[0], "-", ""))
	mustStatus(t, household.do("POST", path+"/survey/responses", withCode(typed)), 201, "with code")
	neighbour := srv.client(t)
	p := wantProblem(t, neighbour.do("POST", path+"/survey/responses", withCode(codes.Codes[0])), 403, "forbidden")
	if !strings.Contains(p["detail"].(string), "bereits verwendet") {
		t.Fatalf("detail: %v", p["detail"])
	}
	// An invalid response does not use up the code.
	wantProblem(t, neighbour.do("POST", path+"/survey/responses", map[string]any{"answers": map[string]any{}, "access_code": codes.Codes[1]}), 422, "validation")
	mustStatus(t, neighbour.do("POST", path+"/survey/responses", withCode(codes.Codes[1])), 201, "second code")
}

func TestSurveyOnePerAccount(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	qn := surveyQuestionnaire()
	qn["settings"] = map[string]any{"require_account": true}
	path := surveyProcedure(t, editor, qn)
	clock.Set("2026-10-31 23:59:00") // the last minute of the period
	wantProblem(t, srv.client(t).do("POST", path+"/survey/responses", answer(nil)), 401, "unauthenticated")
	member := srv.client(t)
	member.login("doebeln-editor@demo.example")
	mustStatus(t, member.do("POST", path+"/survey/responses", answer(nil)), 201, "signed in")
	// The same account from another browser.
	again := srv.client(t)
	again.login("doebeln-editor@demo.example")
	wantProblem(t, again.do("POST", path+"/survey/responses", answer(nil)), 409, "conflict")
}

func TestSurveyDemoQuestionnaire(t *testing.T) {
	env := newEnv(t)
	for range 2 { // idempotent
		if err := seedDemo(t.Context(), env.cfg, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	srv := env.start()
	path := "/api/v1/procedures/umfrage-mobilitaet-grimma/survey"
	q := mustStatus(t, srv.client(t).do("GET", path, nil), 200, "demo questionnaire")
	if q.JSON()["open"] != true || len(q.JSON()["sections"].([]any)) != 2 {
		t.Fatalf("demo questionnaire: %s", q.Body)
	}
	staff := srv.client(t)
	staff.login("grimma-admin@demo.example")
	res := mustStatus(t, staff.do("GET", path+"/results", nil), 200, "demo results")
	if res.JSON()["responses"] != float64(40) {
		t.Fatalf("demo responses: %v", res.JSON()["responses"])
	}
}

func TestSurveyResponsesLimitedPerIP(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.RateLimitStatements = 2 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := surveyProcedure(t, editor, surveyQuestionnaire())
	clock.Set("2026-10-02 08:00:00")
	for i := range 2 {
		mustStatus(t, srv.client(t).do("POST", path+"/survey/responses", answer(nil)), 201, fmt.Sprint("browser ", i))
	}
	res := wantProblem(t, srv.client(t).do("POST", path+"/survey/responses", answer(nil)), 429, "rate_limited")
	if res["detail"] == "" {
		t.Fatal("no detail")
	}
}
