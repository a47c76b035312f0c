package survey

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"beteiligungsportal/domain"
)

func f(v float64) *float64 { return &v }

func opts(keys ...string) []Option {
	out := make([]Option, len(keys))
	for i, k := range keys {
		out[i] = Option{Key: k, Label: strings.ToUpper(k)}
	}
	return out
}

// sample has a question of every kind; "km" is shown only to drivers.
func sample() Questionnaire {
	return Questionnaire{Sections: []Section{{Key: "s", Title: "Teil", Questions: []Question{
		{Key: "mode", Kind: KindSingle, Title: "Verkehrsmittel", Required: true, Options: opts("car", "bike"), Other: true},
		{Key: "km", Kind: KindNumber, Title: "Kilometer", Required: true, Min: f(0), Max: f(1000), Integer: true,
			Condition: &Condition{Question: "mode", AnyOf: []string{"car"}}},
		{Key: "wish", Kind: KindMultiple, Title: "Wünsche", Options: opts("a", "b", "c"), MinSelect: 2, MaxSelect: 2},
		{Key: "sat", Kind: KindScale, Title: "Zufriedenheit", Required: true, ScaleMin: 1, ScaleMax: 5},
		{Key: "mx", Kind: KindMatrix, Title: "Matrix", Required: true, ScaleMin: 1, ScaleMax: 3, Items: opts("x", "y")},
		{Key: "rank", Kind: KindRanking, Title: "Rangfolge", Options: opts("p", "q", "r")},
		{Key: "short", Kind: KindShortText, Title: "Kurz"},
		{Key: "long", Kind: KindLongText, Title: "Lang", MaxLength: 10},
		{Key: "day", Kind: KindDate, Title: "Datum"},
		{Key: "age", Kind: KindSingle, Title: "Alter", Demographic: true, Options: opts("young", "old")},
	}}}}
}

func fieldCodes(err error) map[string]string {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := map[string]string{}
	for _, fe := range ve.Fields {
		out[fe.Field] = fe.Code
	}
	return out
}

func TestQuestionnaireValidate(t *testing.T) {
	t.Parallel()
	if err := func() error { q := sample(); return q.Validate() }(); err != nil {
		t.Fatalf("sample: %v", err)
	}
	tests := []struct {
		name   string
		change func(q *Questionnaire)
		field  string
		code   string
	}{
		{"no sections", func(q *Questionnaire) { q.Sections = nil }, "sections", "survey.no_sections"},
		{"empty section", func(q *Questionnaire) { q.Sections[0].Questions = nil }, "sections[0].questions", "survey.section_empty"},
		{"bad key", func(q *Questionnaire) { q.Sections[0].Questions[0].Key = "Mode!" }, "sections[0].questions[0].key", "survey.key_invalid"},
		{"duplicate key", func(q *Questionnaire) { q.Sections[0].Questions[2].Key = "mode" }, "sections[0].questions[2].key", "survey.key_duplicate"},
		{"unknown kind", func(q *Questionnaire) { q.Sections[0].Questions[0].Kind = "essay" }, "sections[0].questions[0].kind", "survey.kind_invalid"},
		{"empty title", func(q *Questionnaire) { q.Sections[0].Questions[3].Title = " " }, "sections[0].questions[3].title", "required"},
		{"empty option", func(q *Questionnaire) { q.Sections[0].Questions[0].Options[1].Label = "" }, "sections[0].questions[0].options[1].label", "survey.option_empty"},
		{"one option", func(q *Questionnaire) { q.Sections[0].Questions[2].Options = opts("a") }, "sections[0].questions[2].options", "survey.too_few_options"},
		{"duplicate option", func(q *Questionnaire) { q.Sections[0].Questions[2].Options = opts("a", "a", "b") }, "sections[0].questions[2].options[1].key", "survey.key_duplicate"},
		{"option named other", func(q *Questionnaire) { q.Sections[0].Questions[0].Options = opts("car", "other") }, "sections[0].questions[0].options[1].key", "survey.key_reserved"},
		{"select bounds", func(q *Questionnaire) {
			q.Sections[0].Questions[2].MinSelect = 3
			q.Sections[0].Questions[2].MaxSelect = 1
		}, "sections[0].questions[2].min_select", "survey.select_bounds"},
		{"more than options", func(q *Questionnaire) {
			q.Sections[0].Questions[2].MaxSelect = 4
			q.Sections[0].Questions[2].MinSelect = 0
		}, "sections[0].questions[2].max_select", "survey.select_bounds"},
		{"scale reversed", func(q *Questionnaire) { q.Sections[0].Questions[3].ScaleMax = 1 }, "sections[0].questions[3].scale", "survey.scale_invalid"},
		{"scale too long", func(q *Questionnaire) { q.Sections[0].Questions[3].ScaleMax = 20 }, "sections[0].questions[3].scale", "survey.scale_invalid"},
		{"matrix without items", func(q *Questionnaire) { q.Sections[0].Questions[4].Items = nil }, "sections[0].questions[4].items", "survey.too_few_options"},
		{"ranking of one", func(q *Questionnaire) { q.Sections[0].Questions[5].Options = opts("p") }, "sections[0].questions[5].options", "survey.too_few_options"},
		{"number bounds", func(q *Questionnaire) { q.Sections[0].Questions[1].Min = f(5); q.Sections[0].Questions[1].Max = f(1) }, "sections[0].questions[1].min", "survey.number_bounds"},
		{"options on text", func(q *Questionnaire) { q.Sections[0].Questions[6].Options = opts("a", "b") }, "sections[0].questions[6].options", "survey.field_not_allowed"},
		{"other on ranking", func(q *Questionnaire) { q.Sections[0].Questions[5].Other = true }, "sections[0].questions[5].other", "survey.field_not_allowed"},
		{"condition forward", func(q *Questionnaire) { q.Sections[0].Questions[1].Condition.Question = "age" }, "sections[0].questions[1].condition.question", "survey.condition_backwards"},
		{"condition on itself", func(q *Questionnaire) { q.Sections[0].Questions[1].Condition.Question = "km" }, "sections[0].questions[1].condition.question", "survey.condition_backwards"},
		{"condition on a scale", func(q *Questionnaire) {
			q.Sections[0].Questions[6].Condition = &Condition{Question: "sat", AnyOf: []string{"1"}}
		}, "sections[0].questions[6].condition.question", "survey.condition_kind"},
		{"condition option unknown", func(q *Questionnaire) { q.Sections[0].Questions[1].Condition.AnyOf = []string{"plane"} }, "sections[0].questions[1].condition.any_of", "survey.condition_option"},
		{"condition without options", func(q *Questionnaire) { q.Sections[0].Questions[1].Condition.AnyOf = nil }, "sections[0].questions[1].condition.any_of", "survey.condition_empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := sample()
			tt.change(&q)
			got := fieldCodes(q.Validate())
			if got[tt.field] != tt.code {
				t.Fatalf("got %v, want %s=%s", got, tt.field, tt.code)
			}
		})
	}
	if err := (Settings{Threshold: 0}).Validate(); fieldCodes(err)["settings.threshold"] != "survey.threshold_invalid" {
		t.Fatalf("threshold 0: got %v", err)
	}
}

func raw(m map[string]string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range m {
		out[k] = json.RawMessage(v)
	}
	return out
}

func valid() map[string]string {
	return map[string]string{"mode": `"car"`, "km": `12`, "sat": `3`, "mx": `{"x":1,"y":3}`}
}

func TestCheckAnswers(t *testing.T) {
	t.Parallel()
	qn := sample()
	tests := []struct {
		name  string
		set   map[string]string // changes to valid(); "" deletes
		field string            // "" means valid
		code  string
	}{
		{"complete", nil, "", ""},
		{"required missing", map[string]string{"sat": ""}, "answers.sat", "survey.answer_required"},
		{"null is no answer", map[string]string{"sat": "null"}, "answers.sat", "survey.answer_required"},
		{"single unknown option", map[string]string{"mode": `"plane"`}, "answers.mode", "survey.answer_option"},
		{"single wrong type", map[string]string{"mode": `3`}, "answers.mode", "survey.answer_type"},
		{"single other", map[string]string{"mode": `{"other":"Roller"}`, "km": ""}, "", ""},
		{"single other empty", map[string]string{"mode": `{"other":" "}`, "km": ""}, "answers.mode", "survey.answer_other_empty"},
		{"single other with unknown field", map[string]string{"mode": `{"other":"x","extra":1}`, "km": ""}, "answers.mode", "survey.answer_type"},
		{"other text without choosing other", map[string]string{"mode": `{"choice":"car","other":"x"}`}, "answers.mode", "survey.answer_other_unchosen"},
		{"condition: hidden answer", map[string]string{"mode": `"bike"`}, "answers.km", "survey.answer_hidden"},
		{"condition: hidden and missing", map[string]string{"mode": `"bike"`, "km": ""}, "", ""},
		{"condition: shown and required", map[string]string{"km": ""}, "answers.km", "survey.answer_required"},
		{"number range", map[string]string{"km": `1001`}, "answers.km", "survey.answer_number_range"},
		{"number integer", map[string]string{"km": `1.5`}, "answers.km", "survey.answer_integer"},
		{"number as text", map[string]string{"km": `"12"`}, "answers.km", "survey.answer_type"},
		{"multiple ok", map[string]string{"wish": `["a","c"]`}, "", ""},
		{"multiple too few", map[string]string{"wish": `["a"]`}, "answers.wish", "survey.answer_select_min"},
		{"multiple too many", map[string]string{"wish": `["a","b","c"]`}, "answers.wish", "survey.answer_select_max"},
		{"multiple duplicate", map[string]string{"wish": `["a","a"]`}, "answers.wish", "survey.answer_duplicate"},
		{"multiple unknown", map[string]string{"wish": `["a","z"]`}, "answers.wish", "survey.answer_option"},
		{"scale off", map[string]string{"sat": `6`}, "answers.sat", "survey.answer_scale"},
		{"scale fraction", map[string]string{"sat": `2.5`}, "answers.sat", "survey.answer_scale"},
		{"matrix item missing", map[string]string{"mx": `{"x":1}`}, "answers.mx.y", "survey.answer_required"},
		{"matrix item off scale", map[string]string{"mx": `{"x":1,"y":4}`}, "answers.mx.y", "survey.answer_scale"},
		{"matrix unknown item", map[string]string{"mx": `{"x":1,"y":2,"z":1}`}, "answers.mx", "survey.answer_item"},
		{"matrix as list", map[string]string{"mx": `[1,2]`}, "answers.mx", "survey.answer_type"},
		{"ranking ok", map[string]string{"rank": `["r","p","q"]`}, "", ""},
		{"ranking partial", map[string]string{"rank": `["r","p"]`}, "answers.rank", "survey.answer_ranking"},
		{"ranking repeated", map[string]string{"rank": `["r","r","q"]`}, "answers.rank", "survey.answer_ranking"},
		{"short text newline", map[string]string{"short": `"a\nb"`}, "answers.short", "survey.answer_text_invalid"},
		{"short text too long", map[string]string{"short": `"` + strings.Repeat("ä", 201) + `"`}, "answers.short", "survey.answer_too_long"},
		{"long text limit", map[string]string{"long": `"01234567890"`}, "answers.long", "survey.answer_too_long"},
		{"long text newline ok", map[string]string{"long": `"a\nb"`}, "", ""},
		{"date ok", map[string]string{"day": `"2024-02-29"`}, "", ""},
		{"date invalid", map[string]string{"day": `"2023-02-29"`}, "answers.day", "survey.answer_date"},
		{"date german", map[string]string{"day": `"01.02.2024"`}, "answers.day", "survey.answer_date"},
		{"unknown question", map[string]string{"nope": `1`}, "answers.nope", "survey.question_unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := valid()
			for k, v := range tt.set {
				if v == "" {
					delete(in, k)
				} else {
					in[k] = v
				}
			}
			_, err := Check(&qn, raw(in))
			got := fieldCodes(err)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if got[tt.field] != tt.code {
				t.Fatalf("got %v, want %s=%s", got, tt.field, tt.code)
			}
		})
	}
}

func TestCheckReportsAllAtOnce(t *testing.T) {
	t.Parallel()
	qn := sample()
	_, err := Check(&qn, raw(map[string]string{"mode": `"bike"`, "km": `1`, "sat": `9`, "b": `1`, "a": `1`}))
	got := fieldCodes(err)
	if len(got) != 5 {
		t.Fatalf("got %v, want 5 fields (km hidden, sat off scale, mx missing, a and b unknown)", got)
	}
	var ve *domain.ValidationError
	errors.As(err, &ve)
	if last := ve.Fields[len(ve.Fields)-1].Field; last != "answers.b" {
		t.Fatalf("unknown keys not sorted: %v", ve.Fields)
	}
}

func TestCellsAndColumns(t *testing.T) {
	t.Parallel()
	qn := sample()
	in := valid()
	in["wish"], in["rank"], in["mode"], in["short"] = `["c","a"]`, `["q","r","p"]`, `{"choice":"other","other":"Roller"}`, `"Zentrum"`
	delete(in, "km")
	a, err := Check(&qn, raw(in))
	if err != nil {
		t.Fatal(err)
	}
	cells := a.Cells(&qn)
	if len(cells) != 1+(1+2)+1+(1+2)+3+1 {
		t.Fatalf("cells: %+v", cells)
	}
	if cells[0].Choice != OtherKey || cells[0].Text != "Roller" {
		t.Fatalf("other cell: %+v", cells[0])
	}
	cols := Columns(&qn)
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	want := "mode mode.other km wish.a wish.b wish.c sat mx.x mx.y rank.p rank.q rank.r short long day age"
	if strings.Join(names, " ") != want {
		t.Fatalf("columns: got %v, want %s", names, want)
	}
	var texts []string
	for _, v := range Values(cols, a) {
		if v == nil {
			v = ""
		}
		texts = append(texts, fmt.Sprint(v))
	}
	if vals := strings.Join(texts, "|"); vals != "other|Roller||1|0|1|3|1|3|3|1|2|Zentrum|||" {
		t.Fatalf("values: %s", vals)
	}
	// Points, places and flags are whole numbers, so a spreadsheet sums them.
	if v := Values(cols, a); v[3] != 1 || v[6] != 3 {
		t.Fatalf("value types: %#v", v)
	}
}

func TestBuildSuppressesSmallGroups(t *testing.T) {
	t.Parallel()
	qn := sample()
	tally := Tally{Responses: 7, Respondents: map[string]int{"mode": 7, "sat": 7, "km": 2, "rank": 7},
		Counts: []Count{{"mode", "car", 2}, {"mode", "bike", 5}},
		Points: []Point{{"sat", "", 1, 2}, {"sat", "", 5, 5}},
		Stats: []Stat{{"sat", "", 7, 3.857, 5, 1, 5}, {"km", "", 2, 10, 10, 5, 15},
			{"rank", "p", 7, 1, 1, 1, 1}, {"rank", "q", 7, 2.5, 2, 2, 3}, {"rank", "r", 7, 2.5, 3, 2, 3}},
		Texts: map[string][]string{"short": {"geheim"}}}
	staff := Build(&qn, tally, 5, false)
	pub := Build(&qn, tally, 5, true)
	q := func(r Results, key string) QuestionResult {
		for _, qr := range r.Questions {
			if qr.Key == key {
				return qr
			}
		}
		t.Fatalf("no %s", key)
		return QuestionResult{}
	}
	if o := q(staff, "mode").Options[0]; o.Count != 2 || o.Suppressed || o.Percent < 28.5 || o.Percent > 28.6 {
		t.Fatalf("staff car: %+v", o)
	}
	if o := q(pub, "mode").Options[0]; !o.Suppressed || o.Count != 0 {
		t.Fatalf("public car (2 < 5): %+v", o)
	}
	if o := q(pub, "mode").Options[1]; o.Suppressed || o.Count != 5 {
		t.Fatalf("public bike: %+v", o)
	}
	if km := q(pub, "km"); !km.Suppressed || km.Stats != nil {
		t.Fatalf("public km (2 respondents): %+v", km)
	}
	if pts := q(pub, "sat").Points; !pts[0].Suppressed || pts[4].Count != 5 {
		t.Fatalf("public points: %+v", pts)
	}
	if r := q(staff, "rank").Options; r[0].Key != "p" || r[0].Score != 3 || r[1].Score != 1.5 {
		t.Fatalf("ranking: %+v", r)
	}
	if len(q(staff, "short").Texts) != 1 || len(q(pub, "short").Texts) != 0 {
		t.Fatal("free texts: staff only")
	}
	tally.Responses = 4
	if all := Build(&qn, tally, 5, true); !all.Suppressed || !q(all, "mode").Suppressed {
		t.Fatal("a group below the threshold is shown")
	}
	if all := Build(&qn, tally, 5, false); all.Suppressed {
		t.Fatal("staff results are suppressed")
	}
}

// FuzzCheck: whatever arrives, Check neither panics nor accepts an answer
// that breaks its question's rules.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"mode":"car","km":1,"sat":3,"mx":{"x":1,"y":2}}`, `{"mode":{"other":"x"}}`,
		`{"wish":{"choices":["a"],"other":"y"}}`, `{"rank":["p","q","r"],"day":"2020-01-01"}`, `{"mx":null}`, `{"a":[}`} {
		f.Add([]byte(s))
	}
	qn := sample()
	qn.Sections[0].Questions[2].Other = true
	f.Fuzz(func(t *testing.T, data []byte) {
		var in map[string]json.RawMessage
		if json.Unmarshal(data, &in) != nil {
			return
		}
		a, err := Check(&qn, in)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("error of another category: %v", err)
			}
			return
		}
		for key, ans := range a {
			q := qn.Question(key)
			if q == nil {
				t.Fatalf("answer to unknown question %s", key)
			}
			if !a.Visible(q) {
				t.Fatalf("answer to hidden question %s", key)
			}
			for _, c := range ans.Choices {
				if !q.HasOption(c) {
					t.Fatalf("unknown option %s of %s", c, key)
				}
			}
			if ans.Number != nil && q.Kind == KindScale && (*ans.Number < float64(q.ScaleMin) || *ans.Number > float64(q.ScaleMax)) {
				t.Fatalf("scale answer off the scale: %v", *ans.Number)
			}
		}
		for _, q := range qn.Questions() {
			if _, ok := a[q.Key]; q.Required && a.Visible(q) && !ok {
				t.Fatalf("required question %s unanswered", q.Key)
			}
		}
		if cells := a.Cells(&qn); cells == nil && len(a) > 0 {
			t.Fatal("answers without cells")
		}
	})
}
