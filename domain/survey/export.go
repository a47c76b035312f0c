package survey

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
// single choice, 1 or 0 for each option of a multiple choice (nil when the
// question was not answered), points and places as int, numbers as float64,
// texts and dates (YYYY-MM-DD) as string; nil for an unanswered cell.
func Values(cols []Column, a Answers) []any {
	out := make([]any, len(cols))
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
			out[i] = 0
			if contains(ans.Choices, c.choice) {
				out[i] = 1
			}
		case c.question.Kind == KindMatrix:
			if p, ok := ans.Items[c.choice]; ok {
				out[i] = p
			}
		case c.question.Kind == KindRanking:
			for place, k := range ans.Ranking {
				if k == c.choice {
					out[i] = place + 1
				}
			}
		case ans.Number != nil && c.question.Kind == KindScale:
			out[i] = int(*ans.Number)
		case ans.Number != nil:
			out[i] = *ans.Number
		default:
			out[i] = ans.Text
		}
	}
	return out
}
