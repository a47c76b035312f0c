package survey

import "sort"

// Tally is what the database counts over the stored cells of the submitted
// responses (all of them, or those of one filter group).
type Tally struct {
	// Responses in the group.
	Responses int
	// Respondents per question: responses that answered it.
	Respondents map[string]int
	// Counts per question and option (choice and ranking questions).
	Counts []Count
	// Points per question, matrix item ("" for a scale) and point of the scale.
	Points []Point
	// Stats per question and part over numeric cells (scale, matrix item,
	// number, ranked option's place).
	Stats []Stat
	// Texts per question: free texts and "other" texts (staff only).
	Texts map[string][]string
}

// Count is how often an option was chosen.
type Count struct {
	Question, Choice string
	N                int
}

// Point is how often a point of a scale was given.
type Point struct {
	Question, Choice string
	Value            int
	N                int
}

// Stat summarises numeric cells.
type Stat struct {
	Question, Choice       string
	N                      int
	Mean, Median, Min, Max float64
}

// Filter restricts results to the responses that chose one option of one
// question (a cross-tabulation by one answer).
type Filter struct {
	Question, Choice string
}

// Results are the aggregated answers of a survey.
type Results struct {
	Responses int
	// Suppressed: the whole group is smaller than the threshold; no numbers are shown.
	Suppressed bool
	Threshold  int
	Filter     *Filter
	Questions  []QuestionResult
}

// QuestionResult is the aggregate of one question.
type QuestionResult struct {
	Key         string
	Kind        Kind
	Title       string
	Demographic bool
	Respondents int
	// Suppressed: fewer respondents than the threshold; no numbers are shown.
	Suppressed bool
	// Options: choice questions (count, percent of respondents), rankings
	// (mean place and score) and matrix items (their stats and points).
	Options []OptionResult
	// Stats of a scale or number question.
	Stats *StatResult
	// Points of a scale: count per point.
	Points []PointResult
	// Texts: free-text answers, for staff only.
	Texts []string
}

// OptionResult is one option's or item's share.
type OptionResult struct {
	Key, Label string
	Count      int
	Percent    float64
	Suppressed bool
	// MeanRank and Score of a ranking: the mean place (1 = best) and the mean
	// points, n for a first place down to 1 for the last.
	MeanRank, Score float64
	// Stats and Points of a matrix item.
	Stats  *StatResult
	Points []PointResult
}

// StatResult summarises numbers.
type StatResult struct {
	N                      int
	Mean, Median, Min, Max float64
	Suppressed             bool
}

// PointResult is the count of one point of a scale.
type PointResult struct {
	Value      int
	Count      int
	Percent    float64
	Suppressed bool
}

// Build turns a tally into results. Public results hide every count below
// threshold (and everything, if the group itself is smaller) and all free
// texts; staff results show everything.
func Build(qn *Questionnaire, t Tally, threshold int, public bool) Results {
	res := Results{Responses: t.Responses, Threshold: threshold}
	if public && t.Responses < threshold {
		res.Suppressed = true
	}
	small := func(n int) bool { return public && n > 0 && n < threshold }
	counts := map[[2]string]int{}
	for _, c := range t.Counts {
		counts[[2]string{c.Question, c.Choice}] = c.N
	}
	stats := map[[2]string]Stat{}
	for _, s := range t.Stats {
		stats[[2]string{s.Question, s.Choice}] = s
	}
	points := map[[2]string]map[int]int{}
	for _, p := range t.Points {
		k := [2]string{p.Question, p.Choice}
		if points[k] == nil {
			points[k] = map[int]int{}
		}
		points[k][p.Value] = p.N
	}
	pct := func(n, of int) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) * 100 / float64(of)
	}
	statOf := func(s Stat, ok bool) *StatResult {
		if !ok {
			return &StatResult{}
		}
		r := &StatResult{N: s.N, Mean: s.Mean, Median: s.Median, Min: s.Min, Max: s.Max}
		if public && s.N < threshold {
			*r = StatResult{Suppressed: true}
		}
		return r
	}
	pointsOf := func(q *Question, k [2]string, of int) []PointResult {
		var out []PointResult
		for v := q.ScaleMin; v <= q.ScaleMax; v++ {
			n := points[k][v]
			p := PointResult{Value: v, Count: n, Percent: pct(n, of)}
			if small(n) {
				p = PointResult{Value: v, Suppressed: true}
			}
			out = append(out, p)
		}
		return out
	}
	for _, q := range qn.Questions() {
		n := t.Respondents[q.Key]
		qr := QuestionResult{Key: q.Key, Kind: q.Kind, Title: q.Title, Demographic: q.Demographic, Respondents: n}
		if res.Suppressed || (public && n < threshold) {
			qr.Suppressed = true
			if res.Suppressed {
				qr.Respondents = 0
			}
			res.Questions = append(res.Questions, qr)
			continue
		}
		switch q.Kind {
		case KindSingle, KindMultiple:
			opts := q.Options
			if q.Other {
				opts = append(append([]Option{}, opts...), Option{Key: OtherKey, Label: "Sonstiges"})
			}
			for _, o := range opts {
				c := counts[[2]string{q.Key, o.Key}]
				or := OptionResult{Key: o.Key, Label: o.Label, Count: c, Percent: pct(c, n)}
				if small(c) {
					or = OptionResult{Key: o.Key, Label: o.Label, Suppressed: true}
				}
				qr.Options = append(qr.Options, or)
			}
		case KindRanking:
			places := float64(len(q.Options))
			for _, o := range q.Options {
				s, ok := stats[[2]string{q.Key, o.Key}]
				or := OptionResult{Key: o.Key, Label: o.Label, Count: s.N}
				if ok {
					or.MeanRank = s.Mean
					or.Score = places + 1 - s.Mean
				}
				qr.Options = append(qr.Options, or)
			}
			sort.SliceStable(qr.Options, func(i, j int) bool { return qr.Options[i].Score > qr.Options[j].Score })
		case KindMatrix:
			for _, it := range q.Items {
				k := [2]string{q.Key, it.Key}
				s, ok := stats[k]
				or := OptionResult{Key: it.Key, Label: it.Label, Count: s.N, Stats: statOf(s, ok), Points: pointsOf(q, k, s.N)}
				qr.Options = append(qr.Options, or)
			}
		case KindScale:
			k := [2]string{q.Key, ""}
			s, ok := stats[k]
			qr.Stats = statOf(s, ok)
			qr.Points = pointsOf(q, k, n)
		case KindNumber:
			s, ok := stats[[2]string{q.Key, ""}]
			qr.Stats = statOf(s, ok)
		}
		if !public {
			qr.Texts = t.Texts[q.Key]
		}
		res.Questions = append(res.Questions, qr)
	}
	return res
}

// TextQuestions returns the keys of questions whose answers include free
// text: text questions and those with an "other" option.
func (q *Questionnaire) TextQuestions() []string {
	var out []string
	for _, qu := range q.Questions() {
		if qu.Kind == KindShortText || qu.Kind == KindLongText || qu.Other {
			out = append(out, qu.Key)
		}
	}
	return out
}

// KeysOf returns the keys of the questions of the given kinds.
func (q *Questionnaire) KeysOf(kinds ...Kind) []string {
	out := []string{}
	for _, qu := range q.Questions() {
		for _, k := range kinds {
			if qu.Kind == k {
				out = append(out, qu.Key)
			}
		}
	}
	return out
}
