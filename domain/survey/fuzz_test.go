package survey

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"beteiligungsportal/domain"
)

// FuzzValidate: Validate, run when staff save a questionnaire, never panics,
// refuses only with a validation error, and what it accepts keeps every rule
// the answers and results rely on; answers to an accepted questionnaire are
// then checked without a panic.
func FuzzValidate(f *testing.F) {
	seed := func(qn Questionnaire, answers string) {
		raw, err := json.Marshal(qn)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, []byte(answers))
	}
	seed(sample(), `{"mode":"car","km":1,"sat":3,"mx":{"x":1,"y":2}}`)
	other := sample()
	other.Sections[0].Questions[2].Other = true
	seed(other, `{"wish":{"choices":["a"],"other":"y"}}`)
	bad := sample()
	bad.Sections[0].Questions[1].Condition = &Condition{Question: "km", AnyOf: []string{"x"}}
	bad.Sections[0].Questions[3].ScaleMin, bad.Sections[0].Questions[3].ScaleMax = 5, 1
	bad.Sections[0].Questions[2].MinSelect, bad.Sections[0].Questions[2].MaxSelect = 3, 1
	bad.Sections = append(bad.Sections, Section{Key: "s", Questions: []Question{{Key: "mode", Kind: "essay"}}})
	seed(bad, `{}`)
	for _, s := range []string{`{"Sections":[]}`, `{"Sections":[{"Key":"a","Title":"T","Questions":[{"Key":"q","Kind":"single","Title":"Q","Other":true,"Options":[{"Key":"other","Label":"x"}]}]}]}`,
		`{"Sections":[{"Key":"a","Title":"T","Questions":[{"Key":"n","Kind":"number","Title":"N","Min":1e308,"Max":-1e308}]}]}`,
		`{"Sections":[{"Key":"a","Title":"T","Questions":[{"Key":"m","Kind":"matrix","Title":"M","ScaleMin":0,"ScaleMax":10,"Items":[{"Key":"i","Label":"I"}]}]}]}`,
		`{"Sections":[{"Key":"a","Title":"T","Questions":[{"Key":"t","Kind":"long_text","Title":"T","MaxLength":-1,"Condition":{"Question":"t","AnyOf":["t"]}}]}]}`,
		`{"Sections":null}`, `[]`, `{`} {
		f.Add([]byte(s), []byte(`{"q":"other","m":{"i":10},"t":"x","n":0}`))
	}
	f.Fuzz(func(t *testing.T, data, answers []byte) {
		var qn Questionnaire
		if json.Unmarshal(data, &qn) != nil {
			return
		}
		if err := qn.Validate(); err != nil {
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, domain.ErrInvalid) || len(ve.Fields) == 0 {
				t.Fatalf("Validate: %v, not a validation error naming a field", err)
			}
			return
		}
		checkValid(t, &qn)
		var in map[string]json.RawMessage
		if json.Unmarshal(answers, &in) != nil {
			return
		}
		a, err := Check(&qn, in)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Check: error of another category: %v", err)
			}
			return
		}
		for key := range a {
			if qn.Question(key) == nil {
				t.Fatalf("Check: answer to unknown question %s", key)
			}
		}
		_ = a.Cells(&qn)
	})
}

// checkValid fails unless qn keeps the rules Validate promises.
func checkValid(t *testing.T, qn *Questionnaire) {
	t.Helper()
	if len(qn.Sections) == 0 || len(qn.Questions()) > maxQuestions {
		t.Fatalf("accepted with %d sections and %d questions", len(qn.Sections), len(qn.Questions()))
	}
	validKey := func(k string) bool { return keyPattern.MatchString(k) && len(k) <= maxKey }
	sections, questions := map[string]bool{}, map[string]*Question{}
	for _, s := range qn.Sections {
		if !validKey(s.Key) || sections[s.Key] || len(s.Questions) == 0 {
			t.Fatalf("accepted section %q", s.Key)
		}
		sections[s.Key] = true
		for i := range s.Questions {
			q := &s.Questions[i]
			if !validKey(q.Key) || questions[q.Key] != nil || !q.Kind.Valid() {
				t.Fatalf("accepted question %q of kind %q", q.Key, q.Kind)
			}
			checkOptions := func(list []Option, min int) {
				if len(list) < min || len(list) > maxOptions {
					t.Fatalf("%s: accepted %d options", q.Key, len(list))
				}
				keys := map[string]bool{}
				for _, o := range list {
					if !validKey(o.Key) || keys[o.Key] || (q.Other && o.Key == OtherKey) {
						t.Fatalf("%s: accepted option %q", q.Key, o.Key)
					}
					keys[o.Key] = true
				}
			}
			switch q.Kind {
			case KindSingle, KindMultiple:
				min := 2
				if q.Other {
					min = 1
				}
				checkOptions(q.Options, min)
			case KindRanking:
				checkOptions(q.Options, 2)
			case KindMatrix:
				checkOptions(q.Items, 1)
			}
			if q.Kind == KindScale || q.Kind == KindMatrix {
				if q.ScaleMin < 0 || q.ScaleMax <= q.ScaleMin || q.ScaleMax-q.ScaleMin+1 > maxScalePoints {
					t.Fatalf("%s: accepted scale %d..%d", q.Key, q.ScaleMin, q.ScaleMax)
				}
			}
			if q.Kind == KindMultiple {
				n := len(q.Options)
				if q.Other {
					n++
				}
				if q.MinSelect < 0 || q.MaxSelect < 0 || q.MinSelect > n || q.MaxSelect > n || (q.MaxSelect != 0 && q.MinSelect > q.MaxSelect) {
					t.Fatalf("%s: accepted select bounds %d..%d of %d", q.Key, q.MinSelect, q.MaxSelect, n)
				}
			}
			if q.Min != nil && q.Max != nil && (math.IsNaN(*q.Min) || math.IsNaN(*q.Max) || *q.Min > *q.Max) {
				t.Fatalf("%s: accepted number bounds %v..%v", q.Key, *q.Min, *q.Max)
			}
			if l := q.TextLimit(); l < 1 || l > maxTextLimit {
				t.Fatalf("%s: accepted text limit %d", q.Key, l)
			}
			if c := q.Condition; c != nil {
				target := questions[c.Question]
				if target == nil || !target.Kind.Choice() || len(c.AnyOf) == 0 {
					t.Fatalf("%s: accepted condition on %q", q.Key, c.Question)
				}
				for _, o := range c.AnyOf {
					if !target.HasOption(o) {
						t.Fatalf("%s: accepted condition option %q", q.Key, o)
					}
				}
			}
			questions[q.Key] = q
		}
	}
}

// FuzzValidateQuestion drives one question's fields directly (random JSON
// seldom decodes into a questionnaire): Validate keeps its promises for
// every kind, bound and condition, and answers to what it accepts are
// checked without a panic.
func FuzzValidateQuestion(f *testing.F) {
	f.Add(uint8(0), "a,b", true, 0, 0, 0, 0, 0, "mode", "car", `{"q":"a"}`)
	f.Add(uint8(1), "a,b,c", false, 3, 1, 0, 0, 0, "", "", `{"q":["a","b"]}`)
	f.Add(uint8(2), "", false, 0, 0, 1, 5, 0, "mode", "bike,car", `{"q":3}`)
	f.Add(uint8(3), "x,y", false, 0, 0, 0, 10, 0, "q", "x", `{"q":{"x":1}}`)
	f.Add(uint8(4), "p,q,q", false, 0, 0, 0, 0, 0, "", "", `{"q":["p","q"]}`)
	f.Add(uint8(5), "", false, 0, 0, 0, 0, 20001, "later", "", `{"q":"x"}`)
	f.Add(uint8(7), "", false, 0, 0, -1, 2, 0, "mode", "other", `{"q":1e308}`)
	f.Fuzz(func(t *testing.T, kind uint8, options string, other bool, minSel, maxSel, scaleMin, scaleMax, maxLength int,
		condQuestion, condAnyOf, answers string) {
		q := Question{Key: "q", Kind: Kinds[int(kind)%len(Kinds)], Title: "Frage", Other: other, MinSelect: minSel, MaxSelect: maxSel,
			ScaleMin: scaleMin, ScaleMax: scaleMax, MaxLength: maxLength}
		if options != "" {
			for _, k := range strings.Split(options, ",") {
				o := Option{Key: k, Label: strings.ToUpper(k)}
				if q.Kind == KindMatrix {
					q.Items = append(q.Items, o)
				} else {
					q.Options = append(q.Options, o)
				}
			}
		}
		if condQuestion != "" {
			q.Condition = &Condition{Question: condQuestion, AnyOf: strings.Split(condAnyOf, ",")}
		}
		qn := Questionnaire{Sections: []Section{{Key: "s", Title: "Teil", Questions: []Question{
			{Key: "mode", Kind: KindSingle, Title: "Verkehrsmittel", Options: opts("car", "bike"), Other: true}, q}}}}
		if err := qn.Validate(); err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Validate: %v", err)
			}
			return
		}
		checkValid(t, &qn)
		var in map[string]json.RawMessage
		if json.Unmarshal([]byte(answers), &in) != nil {
			return
		}
		if a, err := Check(&qn, in); err == nil {
			_ = a.Cells(&qn)
		} else if !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("Check: %v", err)
		}
	})
}
