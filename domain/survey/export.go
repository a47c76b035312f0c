package survey

import (
	"strconv"
	"strings"
)

// Column is one column of the raw export. Its name is stable as long as the
// questionnaire's keys are: "<question>" for single values, "<question>.<option>"
// for options, matrix items and ranked options, "<question>.other" for the
// text of "other".
type Column struct {
	Name     string
	question *Question
	choice   string
	other    bool
}

// Columns lists the raw export's answer columns in questionnaire order.
func Columns(qn *Questionnaire) []Column {
	var out []Column
	for _, q := range qn.Questions() {
		switch q.Kind {
		case KindSingle:
			out = append(out, Column{Name: q.Key, question: q})
			if q.Other {
				out = append(out, Column{Name: q.Key + "." + OtherKey, question: q, other: true})
			}
		case KindMultiple:
			for _, o := range q.Options {
				out = append(out, Column{Name: q.Key + "." + o.Key, question: q, choice: o.Key})
			}
			if q.Other {
				out = append(out, Column{Name: q.Key + "." + OtherKey, question: q, other: true})
			}
		case KindMatrix:
			for _, it := range q.Items {
				out = append(out, Column{Name: q.Key + "." + it.Key, question: q, choice: it.Key})
			}
		case KindRanking:
			for _, o := range q.Options {
				out = append(out, Column{Name: q.Key + "." + o.Key, question: q, choice: o.Key})
			}
		default:
			out = append(out, Column{Name: q.Key, question: q})
		}
	}
	return out
}

// Values returns a response's cells in the columns' order: option keys of a
// single choice, 1 or 0 for each option of a multiple choice (empty when the
// question was not answered), points, places, numbers, texts and dates.
func Values(cols []Column, a Answers) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		ans, ok := a[c.question.Key]
		if !ok {
			continue
		}
		switch {
		case c.other:
			out[i] = ans.Other
		case c.question.Kind == KindSingle:
			if len(ans.Choices) > 0 {
				out[i] = ans.Choices[0]
			}
		case c.question.Kind == KindMultiple:
			out[i] = "0"
			if contains(ans.Choices, c.choice) {
				out[i] = "1"
			}
		case c.question.Kind == KindMatrix:
			if p, ok := ans.Items[c.choice]; ok {
				out[i] = strconv.Itoa(p)
			}
		case c.question.Kind == KindRanking:
			for place, k := range ans.Ranking {
				if k == c.choice {
					out[i] = strconv.Itoa(place + 1)
				}
			}
		case ans.Number != nil:
			out[i] = FormatNumber(*ans.Number)
		default:
			out[i] = ans.Text
		}
	}
	return out
}

// FormatNumber writes a number the German way (decimal comma), without
// needless digits, as spreadsheets in German locales read it.
func FormatNumber(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', -1, 64), ".", ",", 1)
}
