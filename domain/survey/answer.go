package survey

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"beteiligungsportal/domain"
)

// Answer is one checked answer. Which fields are set depends on the kind.
type Answer struct {
	// Choices of a choice question ("other" included when it was chosen).
	Choices []string
	Other   string
	// Number of a scale or number question.
	Number *float64
	// Items of a matrix: item key → point of the scale.
	Items map[string]int
	// Ranking: option keys, best first.
	Ranking []string
	// Text of a text question, or the date as YYYY-MM-DD.
	Text string
}

// Answers are a response's answers by question key.
type Answers map[string]Answer

// Visible reports whether q is shown given the answers so far: it has no
// condition, or the earlier question was answered with one of its options.
func (a Answers) Visible(q *Question) bool {
	if q.Condition == nil {
		return true
	}
	prev, ok := a[q.Condition.Question]
	if !ok {
		return false
	}
	for _, c := range prev.Choices {
		for _, want := range q.Condition.AnyOf {
			if c == want {
				return true
			}
		}
	}
	return false
}

// Check parses raw answers (question key → JSON value) and checks each
// against its question's rules and conditions. It reports every offending
// answer at once, in the field "answers.<key>". JSON null counts as no answer.
//
// The JSON of an answer by kind: single choice "key" or {"other":"text"};
// multiple choice ["a","b"] or {"choices":["a"],"other":"text"}; scale and
// number a number; matrix {"item":point}; ranking ["best","second",…] with
// every option once; texts and dates a string (dates YYYY-MM-DD).
func Check(qn *Questionnaire, raw map[string]json.RawMessage) (Answers, error) {
	var v domain.ValidationError
	out := Answers{}
	known := map[string]bool{}
	for _, q := range qn.Questions() {
		known[q.Key] = true
		field := "answers." + q.Key
		r, given := raw[q.Key]
		given = given && !isNull(r)
		if !out.Visible(q) {
			if given {
				v.Add(field, "survey.answer_hidden")
			}
			continue
		}
		if !given {
			if q.Required {
				v.Add(field, "survey.answer_required")
			}
			continue
		}
		a, code, sub := parse(q, r)
		if code != "" {
			if sub != "" {
				field += "." + sub
			}
			v.Add(field, code)
			continue
		}
		out[q.Key] = a
	}
	var unknown []string
	for key := range raw {
		if !known[key] {
			unknown = append(unknown, key)
		}
	}
	sort.Strings(unknown) // a stable order for clients and tests
	for _, key := range unknown {
		v.Add("answers."+key, "survey.question_unknown")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func isNull(r json.RawMessage) bool {
	t := bytes.TrimSpace(r)
	return len(t) == 0 || string(t) == "null"
}

// parse reads and checks one answer; code is the message key of the first
// problem and sub names a part of the answer (a matrix item).
func parse(q *Question, r json.RawMessage) (a Answer, code, sub string) {
	r = bytes.TrimSpace(r)
	switch q.Kind {
	case KindSingle:
		var key string
		var other struct {
			Choice *string `json:"choice"`
			Other  *string `json:"other"`
		}
		switch {
		case json.Unmarshal(r, &key) == nil:
		case r[0] == '{' && strictObject(r, &other) && (other.Other != nil || other.Choice != nil):
			if other.Choice != nil {
				key = *other.Choice
			} else {
				key = OtherKey
			}
			if other.Other != nil {
				a.Other = *other.Other
			}
		default:
			return a, "survey.answer_type", ""
		}
		if !q.HasOption(key) {
			return a, "survey.answer_option", ""
		}
		a.Choices = []string{key}
		return a, checkOther(q, &a), ""
	case KindMultiple:
		var obj struct {
			Choices []string `json:"choices"`
			Other   *string  `json:"other"`
		}
		switch {
		case json.Unmarshal(r, &obj.Choices) == nil:
		case r[0] == '{' && strictObject(r, &obj):
			if obj.Other != nil {
				a.Other = *obj.Other
				if !contains(obj.Choices, OtherKey) && strings.TrimSpace(a.Other) != "" {
					obj.Choices = append(obj.Choices, OtherKey)
				}
			}
		default:
			return a, "survey.answer_type", ""
		}
		seen := map[string]bool{}
		for _, c := range obj.Choices {
			if !q.HasOption(c) {
				return a, "survey.answer_option", ""
			}
			if seen[c] {
				return a, "survey.answer_duplicate", ""
			}
			seen[c] = true
		}
		n := len(obj.Choices)
		switch {
		case n == 0 && q.Required:
			return a, "survey.answer_required", ""
		case n > 0 && q.MinSelect > 0 && n < q.MinSelect:
			return a, "survey.answer_select_min", ""
		case q.MaxSelect > 0 && n > q.MaxSelect:
			return a, "survey.answer_select_max", ""
		}
		a.Choices = obj.Choices
		return a, checkOther(q, &a), ""
	case KindScale:
		var n float64
		if json.Unmarshal(r, &n) != nil {
			return a, "survey.answer_type", ""
		}
		if n != math.Trunc(n) || n < float64(q.ScaleMin) || n > float64(q.ScaleMax) {
			return a, "survey.answer_scale", ""
		}
		a.Number = &n
		return a, "", ""
	case KindMatrix:
		var m map[string]json.RawMessage
		if r[0] != '{' || json.Unmarshal(r, &m) != nil {
			return a, "survey.answer_type", ""
		}
		a.Items = map[string]int{}
		for _, it := range q.Items {
			raw, ok := m[it.Key]
			if !ok || isNull(raw) {
				if q.Required {
					return a, "survey.answer_required", it.Key
				}
				continue
			}
			var n float64
			if json.Unmarshal(raw, &n) != nil || n != math.Trunc(n) || n < float64(q.ScaleMin) || n > float64(q.ScaleMax) {
				return a, "survey.answer_scale", it.Key
			}
			a.Items[it.Key] = int(n)
		}
		for k := range m {
			if !hasKey(q.Items, k) {
				return a, "survey.answer_item", ""
			}
		}
		if len(a.Items) == 0 {
			if q.Required {
				return a, "survey.answer_required", ""
			}
			return a, "survey.answer_empty", ""
		}
		return a, "", ""
	case KindRanking:
		var keys []string
		if json.Unmarshal(r, &keys) != nil || r[0] != '[' {
			return a, "survey.answer_type", ""
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if !hasKey(q.Options, k) || seen[k] {
				return a, "survey.answer_ranking", ""
			}
			seen[k] = true
		}
		if len(keys) != len(q.Options) {
			return a, "survey.answer_ranking", ""
		}
		a.Ranking = keys
		return a, "", ""
	case KindShortText, KindLongText:
		var s string
		if json.Unmarshal(r, &s) != nil {
			return a, "survey.answer_type", ""
		}
		s = strings.TrimSpace(s)
		switch {
		case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
			return a, "survey.answer_text_invalid", ""
		case utf8.RuneCountInString(s) > q.TextLimit():
			return a, "survey.answer_too_long", ""
		case s == "" && q.Required:
			return a, "survey.answer_required", ""
		case q.Kind == KindShortText && strings.ContainsAny(s, "\r\n"):
			return a, "survey.answer_text_invalid", ""
		}
		a.Text = s
		return a, "", ""
	case KindNumber:
		var n float64
		if json.Unmarshal(r, &n) != nil {
			return a, "survey.answer_type", ""
		}
		if q.Integer && n != math.Trunc(n) {
			return a, "survey.answer_integer", ""
		}
		if (q.Min != nil && n < *q.Min) || (q.Max != nil && n > *q.Max) {
			return a, "survey.answer_number_range", ""
		}
		a.Number = &n
		return a, "", ""
	case KindDate:
		var s string
		if json.Unmarshal(r, &s) != nil {
			return a, "survey.answer_type", ""
		}
		d, err := time.Parse("2006-01-02", s)
		if err != nil || d.Year() < 1900 || d.Year() > 2200 {
			return a, "survey.answer_date", ""
		}
		a.Text = s
		return a, "", ""
	}
	return a, "survey.kind_invalid", ""
}

func strictObject(r json.RawMessage, into any) bool {
	dec := json.NewDecoder(bytes.NewReader(r))
	dec.DisallowUnknownFields()
	return dec.Decode(into) == nil
}

// checkOther requires the text of a chosen "other" option and refuses one
// without it.
func checkOther(q *Question, a *Answer) string {
	a.Other = strings.TrimSpace(a.Other)
	chose := contains(a.Choices, OtherKey)
	switch {
	case chose && a.Other == "":
		return "survey.answer_other_empty"
	case !chose && a.Other != "":
		return "survey.answer_other_unchosen"
	case !utf8.ValidString(a.Other) || strings.ContainsRune(a.Other, 0):
		return "survey.answer_text_invalid"
	case utf8.RuneCountInString(a.Other) > DefaultShortText:
		return "survey.answer_too_long"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasKey(list []Option, key string) bool {
	for _, o := range list {
		if o.Key == key {
			return true
		}
	}
	return false
}

// Cell is one stored part of an answer: a chosen option, a matrix item's
// point, a ranked option's place, a number or a text. Results are counted
// over cells in the database. Every answered question has exactly one cell
// with an empty Choice except single choices and rankings (one cell per
// option): the value of a single-value question, or a marker of a multiple
// choice or matrix.
type Cell struct {
	Question string
	Choice   string // option, matrix item or ranked option; "" for single values
	Number   *float64
	Text     string
}

// Cells flattens the answers for storage, in questionnaire order.
func (a Answers) Cells(qn *Questionnaire) []Cell {
	var out []Cell
	for _, q := range qn.Questions() {
		ans, ok := a[q.Key]
		if !ok {
			continue
		}
		if q.Kind == KindMultiple || q.Kind == KindMatrix {
			// One cell per respondent, so results count respondents without
			// counting distinct responses.
			out = append(out, Cell{Question: q.Key})
		}
		switch q.Kind {
		case KindSingle, KindMultiple:
			for _, c := range ans.Choices {
				cell := Cell{Question: q.Key, Choice: c}
				if c == OtherKey {
					cell.Text = ans.Other
				}
				out = append(out, cell)
			}
		case KindMatrix:
			for _, it := range q.Items {
				if p, ok := ans.Items[it.Key]; ok {
					f := float64(p)
					out = append(out, Cell{Question: q.Key, Choice: it.Key, Number: &f})
				}
			}
		case KindRanking:
			for i, k := range ans.Ranking {
				f := float64(i + 1)
				out = append(out, Cell{Question: q.Key, Choice: k, Number: &f})
			}
		case KindScale, KindNumber:
			out = append(out, Cell{Question: q.Key, Number: ans.Number})
		default:
			out = append(out, Cell{Question: q.Key, Text: ans.Text})
		}
	}
	return out
}
