package survey

import (
	"math"
	"slices"
	"sort"
)

// Tally is what the database counts over the stored cells of the submitted
// responses (all of them, or those of one filter group).
type Tally struct {
	// Responses in the group.
	Responses int
	// All: with a filter, the submitted responses of the whole survey, so
	// that the group's complement (All − Responses) is known; 0 otherwise.
	All int
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
	// Key and Label of the option. The "other" option (Key OtherKey) has an
	// empty Label; the presentation fills in its name.
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
	// Suppressed: mean, median, minimum and maximum are hidden, because
	// there are fewer answers than the threshold (then N is hidden too) or,
	// with hidden points, even rounded they would tell a hidden count.
	Suppressed bool
	// MinSuppressed and MaxSuppressed: in public results, the minimum or
	// maximum is hidden (and zero) because it would tell about hidden points.
	MinSuppressed, MaxSuppressed bool
	// Rounded: in public results, mean and median are rounded to one decimal
	// because points of the distribution are hidden.
	Rounded bool
}

// PointResult is the count of one point of a scale.
type PointResult struct {
	Value      int
	Count      int
	Percent    float64
	Suppressed bool
}

// Build turns a tally into results. Staff results show everything. Public
// results hide:
//   - all numbers, if the group is smaller than threshold or, for a filter
//     group, if the responses outside it (the whole minus the group) are 1 to
//     threshold−1, since they would follow from the unfiltered results;
//   - all numbers of a question answered by fewer than threshold people;
//   - every count of 1 to threshold−1 (primary suppression) and, in a group
//     of counts that add up to a published total, one more when only one is
//     hidden (complementary suppression, see protect);
//   - minimum and maximum that tell about hidden points; mean and median of
//     a distribution with hidden points are rounded to one decimal, or
//     hidden if they would still tell a hidden count (see coarsen);
//   - the mean places of a ranking that reveal a small group (see rankSpread);
//   - all free texts.
func Build(qn *Questionnaire, t Tally, threshold int, public bool) Results {
	res := Results{Responses: t.Responses, Threshold: threshold}
	small := func(n int) bool { return public && n > 0 && n < threshold }
	if public && (t.Responses < threshold || small(t.All-t.Responses)) {
		res.Suppressed = true
	}
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
	primary := func(cells []int) []bool {
		hidden := make([]bool, len(cells))
		for i, n := range cells {
			hidden[i] = small(n)
		}
		return hidden
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
	// dist returns the points of a scale or matrix item (they add up to the
	// respondents, of) and their statistics.
	dist := func(q *Question, k [2]string, of int) ([]PointResult, *StatResult) {
		cells := make([]int, 0, q.ScaleMax-q.ScaleMin+1)
		for v := q.ScaleMin; v <= q.ScaleMax; v++ {
			cells = append(cells, points[k][v])
		}
		hidden := primary(cells)
		protect(cells, hidden)
		out := make([]PointResult, 0, len(cells))
		for i, n := range cells {
			p := PointResult{Value: q.ScaleMin + i, Count: n, Percent: pct(n, of)}
			if hidden[i] {
				p = PointResult{Value: q.ScaleMin + i, Suppressed: true}
			}
			out = append(out, p)
		}
		s, ok := stats[k]
		st := statOf(s, ok)
		if ok && !st.Suppressed {
			coarsen(st, q.ScaleMin, cells, hidden)
		}
		return out, st
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
				// The label is a text users read; the domain has no catalogue,
				// so it stays empty and the presentation names the option.
				opts = append(append([]Option{}, opts...), Option{Key: OtherKey})
			}
			cells := make([]int, len(opts))
			for i, o := range opts {
				cells[i] = counts[[2]string{q.Key, o.Key}]
			}
			hidden := primary(cells)
			if q.Kind == KindSingle || q.fixedSelect() {
				protect(cells, hidden)
			}
			for i, o := range opts {
				or := OptionResult{Key: o.Key, Label: o.Label, Count: cells[i], Percent: pct(cells[i], n)}
				if hidden[i] {
					or = OptionResult{Key: o.Key, Label: o.Label, Suppressed: true}
				}
				qr.Options = append(qr.Options, or)
			}
		case KindRanking:
			places := float64(len(q.Options))
			spread := make([]int, len(q.Options))
			for i, o := range q.Options {
				s, ok := stats[[2]string{q.Key, o.Key}]
				or := OptionResult{Key: o.Key, Label: o.Label, Count: s.N}
				if ok {
					or.MeanRank = s.Mean
					or.Score = places + 1 - s.Mean
					spread[i] = rankSpread(s, len(q.Options))
				}
				qr.Options = append(qr.Options, or)
			}
			hidden := primary(spread)
			protect(spread, hidden)
			for i, o := range qr.Options {
				if hidden[i] {
					qr.Options[i] = OptionResult{Key: o.Key, Label: o.Label, Suppressed: true}
				}
			}
			// Hidden options have no score and go last, in questionnaire order.
			sort.SliceStable(qr.Options, func(i, j int) bool { return qr.Options[i].Score > qr.Options[j].Score })
		case KindMatrix:
			for _, it := range q.Items {
				k := [2]string{q.Key, it.Key}
				pts, st := dist(q, k, stats[k].N)
				qr.Options = append(qr.Options, OptionResult{Key: it.Key, Label: it.Label, Count: stats[k].N, Stats: st, Points: pts})
			}
		case KindScale:
			qr.Points, qr.Stats = dist(q, [2]string{q.Key, ""}, n)
		case KindNumber:
			s, ok := stats[[2]string{q.Key, ""}]
			qr.Stats = statOf(s, ok)
			// The smallest and largest number are each one person's exact
			// answer (an age, a distance): not for the public.
			qr.Stats.MinSuppressed, qr.Stats.MaxSuppressed = public, public
		}
		if !public {
			qr.Texts = t.Texts[q.Key]
		}
		res.Questions = append(res.Questions, qr)
	}
	return res
}

// protect is the complementary suppression of a group of cells that add up
// to a published total: if exactly one cell is hidden, its count would be the
// total minus the shown ones, so the smallest other cell (the first of equal
// ones) is hidden too, whatever its count, zero included. Then at least two
// cells are hidden and the total tells only their sum.
func protect(cells []int, hidden []bool) {
	n, at := 0, -1
	for i, h := range hidden {
		if h {
			n++
		} else if at < 0 || cells[i] < cells[at] {
			at = i
		}
	}
	if n == 1 && at >= 0 {
		hidden[at] = true
	}
}

// coarsen keeps the statistics of a scale or matrix item from telling about
// its hidden points (cells[i] is the count of point lowest+i).
//
// The minimum is shown only when no hidden point lies at or below it, so
// that it follows from the shown points anyway (the maximum likewise);
// otherwise min=1 with point 1 hidden would tell that someone chose 1, or
// min=2 that a hidden point 1 is zero.
//
// With hidden points, the exact mean together with the shown points and the
// total gives the hidden points' sum of values, and so two hidden counts;
// the median likewise tells where half of the answers lie. Mean and median
// are therefore rounded to one decimal, and if even the rounded values leave
// some hidden point only one possible count (see pinned), the statistics are
// hidden (Suppressed, N stays).
func coarsen(s *StatResult, lowest int, cells []int, hidden []bool) {
	for i, h := range hidden {
		if !h {
			continue
		}
		v := float64(lowest + i)
		s.MinSuppressed = s.MinSuppressed || v <= s.Min
		s.MaxSuppressed = s.MaxSuppressed || v >= s.Max
		s.Rounded = true
	}
	if !s.Rounded {
		return
	}
	s.Mean, s.Median = round1(s.Mean), round1(s.Median)
	if s.MinSuppressed {
		s.Min = 0
	}
	if s.MaxSuppressed {
		s.Max = 0
	}
	if pinned(cells, hidden, lowest, s.Mean, s.Median) {
		*s = StatResult{N: s.N, Suppressed: true}
	}
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// maxCandidates bounds the search of pinned; beyond it the statistics are
// hidden rather than checked.
const maxCandidates = 100_000

// pinned reports whether someone who knows the shown points, the total and
// the rounded mean and median can tell the count of a hidden point: it tries
// every split of the hidden total among the hidden points and reports true
// unless each hidden point has at least two counts that give the same
// rounded mean and median (or the search is too large).
func pinned(cells []int, hidden []bool, lowest int, mean, median float64) bool {
	var at []int // indexes of hidden points
	rest, n := 0, 0
	for i, c := range cells {
		n += c
		if hidden[i] {
			at = append(at, i)
			rest += c
		}
	}
	if n == 0 {
		return false
	}
	first := make([]int, len(at)) // one count each hidden point can have, -1: none yet
	for i := range first {
		first[i] = -1
	}
	open := len(at) // hidden points with fewer than two possible counts
	ambiguous := make([]bool, len(at))
	try := slices.Clone(cells)
	tries := 0
	var split func(k, left int) bool // true: stop (all ambiguous or too many tries)
	split = func(k, left int) bool {
		if k == len(at)-1 {
			try[at[k]] = left
			if tries++; tries > maxCandidates {
				return true
			}
			m, med := meanMedian(try, lowest, n)
			if round1(m) != mean || round1(med) != median {
				return false
			}
			for j, i := range at {
				switch {
				case ambiguous[j]:
				case first[j] < 0:
					first[j] = try[i]
				case first[j] != try[i]:
					ambiguous[j] = true
					open--
				}
			}
			return open == 0
		}
		for c := 0; c <= left; c++ {
			try[at[k]] = c
			if split(k+1, left-c) {
				return true
			}
		}
		return false
	}
	split(0, rest)
	return open > 0
}

// meanMedian of a distribution of n answers (cells[i] answers of lowest+i),
// computed like the store computes them.
func meanMedian(cells []int, lowest, n int) (mean, median float64) {
	sum := 0.0
	for i, c := range cells {
		sum += float64(lowest+i) * float64(c)
	}
	at := func(pos int) float64 { // pos: 0-based position in the sorted answers
		seen := 0
		for i, c := range cells {
			seen += c
			if pos < seen {
				return float64(lowest + i)
			}
		}
		return float64(lowest + len(cells) - 1)
	}
	median = at(n / 2)
	if n%2 == 0 {
		median = (at(n/2-1) + at(n/2)) / 2
	}
	return sum / float64(n), median
}

// rankSpread measures how close an option of a ranking of n options came to
// being put first (or last) by everyone: the places it lost against first
// place, summed over the respondents, or those it gained over last place,
// whichever is smaller. The mean place gives this number exactly; if it is 1
// to threshold−1, only so few people did not put the option first (last),
// and with two options it is exactly how many did, so the mean place is
// hidden like a small count.
func rankSpread(s Stat, n int) int {
	below := int(math.Round(float64(s.N) * (s.Mean - 1)))
	above := int(math.Round(float64(s.N) * (float64(n) - s.Mean)))
	return min(below, above)
}

// fixedSelect reports whether every answer of a multiple choice selects the
// same number of options (counting "other"), so that the option counts add up
// to that number times the respondents.
func (q *Question) fixedSelect() bool {
	return q.Kind == KindMultiple && q.Required && q.MinSelect > 0 && q.MinSelect == q.MaxSelect
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
