package survey

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// statFrom summarises a distribution (value → count) like the store does.
func statFrom(question, choice string, d map[int]int) Stat {
	st := Stat{Question: question, Choice: choice}
	var vals []int
	sum := 0
	for v, n := range d {
		if n == 0 {
			continue
		}
		vals = append(vals, v)
		st.N += n
		sum += v * n
	}
	if st.N == 0 {
		return st
	}
	slices.Sort(vals)
	at := func(pos int) float64 {
		seen := 0
		for _, v := range vals {
			seen += d[v]
			if pos < seen {
				return float64(v)
			}
		}
		return float64(vals[len(vals)-1])
	}
	st.Mean, st.Min, st.Max = float64(sum)/float64(st.N), float64(vals[0]), float64(vals[len(vals)-1])
	st.Median = at(st.N / 2)
	if st.N%2 == 0 {
		st.Median = (at(st.N/2-1) + at(st.N/2)) / 2
	}
	return st
}

// choiceTally counts a choice question "q" with n respondents.
func choiceTally(n int, counts map[string]int) Tally {
	t := Tally{Responses: n, Respondents: map[string]int{"q": n}}
	for k, c := range counts {
		t.Counts = append(t.Counts, Count{"q", k, c})
	}
	return t
}

// pointTally counts a scale "q" (item "") or the items of a matrix "q".
func pointTally(items map[string]map[int]int) Tally {
	t := Tally{Respondents: map[string]int{}}
	for item, d := range items {
		st := statFrom("q", item, d)
		t.Stats = append(t.Stats, st)
		t.Respondents["q"] = max(t.Respondents["q"], st.N)
		for v, n := range d {
			if n > 0 {
				t.Points = append(t.Points, Point{"q", item, v, n})
			}
		}
	}
	t.Responses = t.Respondents["q"]
	return t
}

// rankTally counts a ranking "q" from rankings (best first) and how often each was given.
func rankTally(rankings map[string]int) Tally {
	places := map[string]map[int]int{}
	n := 0
	for r, c := range rankings {
		n += c
		for i, k := range strings.Split(r, ",") {
			if places[k] == nil {
				places[k] = map[int]int{}
			}
			places[k][i+1] += c
		}
	}
	t := Tally{Responses: n, Respondents: map[string]int{"q": n}}
	for k, d := range places {
		t.Stats = append(t.Stats, statFrom("q", k, d))
	}
	return t
}

// hiddenCells names the hidden cells of a question: option keys, scale
// points, "item:point" of a matrix, and min, max and "~" (rounded) of stats.
func hiddenCells(qr QuestionResult) string {
	var out []string
	stat := func(prefix string, s *StatResult) {
		if s == nil {
			return
		}
		if s.Suppressed {
			out = append(out, prefix+"stats")
		}
		if s.MinSuppressed {
			out = append(out, prefix+"min")
		}
		if s.MaxSuppressed {
			out = append(out, prefix+"max")
		}
		if s.Rounded {
			out = append(out, prefix+"~")
		}
	}
	points := func(prefix string, pts []PointResult) {
		for _, p := range pts {
			if p.Suppressed {
				out = append(out, fmt.Sprintf("%s%d", prefix, p.Value))
			}
		}
	}
	for _, o := range qr.Options {
		if o.Suppressed {
			out = append(out, o.Key)
		}
		points(o.Key+":", o.Points)
		stat(o.Key+":", o.Stats)
	}
	points("", qr.Points)
	stat("", qr.Stats)
	return strings.Join(out, " ")
}

func TestBuildComplementarySuppression(t *testing.T) {
	t.Parallel()
	single := Question{Key: "q", Kind: KindSingle, Title: "Q", Options: opts("a", "b", "c", "d"), Other: true}
	plain := Question{Key: "q", Kind: KindSingle, Title: "Q", Options: opts("a", "b", "c", "d")}
	multi := Question{Key: "q", Kind: KindMultiple, Title: "Q", Options: opts("a", "b", "c")}
	exactlyTwo := multi
	exactlyTwo.Required, exactlyTwo.MinSelect, exactlyTwo.MaxSelect = true, 2, 2
	optionalTwo := exactlyTwo
	optionalTwo.Required = false
	scale := Question{Key: "q", Kind: KindScale, Title: "Q", ScaleMin: 1, ScaleMax: 5}
	matrix := Question{Key: "q", Kind: KindMatrix, Title: "Q", ScaleMin: 1, ScaleMax: 3, Items: opts("x", "y")}
	rank2 := Question{Key: "q", Kind: KindRanking, Title: "Q", Options: opts("p", "q")}
	rank3 := Question{Key: "q", Kind: KindRanking, Title: "Q", Options: opts("p", "q", "r")}
	number := Question{Key: "q", Kind: KindNumber, Title: "Q"}
	tests := []struct {
		name  string
		q     Question
		tally Tally
		want  string // hidden cells in public results, see hiddenCells
	}{
		{"single: nothing small", single, choiceTally(22, map[string]int{"a": 10, "b": 7, "d": 5}), ""},
		{"single: one small hides the smallest other, a zero", single,
			choiceTally(19, map[string]int{"a": 10, "b": 3, "c": 6}), "b d"},
		{"single: equal smallest: the first", single,
			choiceTally(12, map[string]int{"a": 10, "c": 2}), "b c"},
		{"single: smallest other is not small", plain,
			choiceTally(24, map[string]int{"a": 9, "b": 6, "c": 7, "d": 2}), "b d"},
		{"single: other is a cell of the group", single,
			choiceTally(19, map[string]int{"a": 10, "b": 8, "c": 0, "d": 0, "other": 1}), "c other"},
		{"single: two small need no more", single,
			choiceTally(15, map[string]int{"a": 10, "b": 2, "c": 3}), "b c"},
		{"multiple: free selection does not add up", multi,
			choiceTally(10, map[string]int{"a": 10, "b": 2, "c": 7}), "b"},
		{"multiple: exactly two of every required answer add up", exactlyTwo,
			choiceTally(10, map[string]int{"a": 10, "b": 2, "c": 8}), "b c"},
		{"multiple: exactly two, but an empty answer is possible", optionalTwo,
			choiceTally(10, map[string]int{"a": 10, "b": 2, "c": 7}), "b"},
		{"scale: nothing hidden, exact statistics", scale,
			pointTally(map[string]map[int]int{"": {1: 5, 3: 6, 5: 9}}), ""},
		{"scale: hidden lowest point hides min, rounds mean", scale,
			pointTally(map[string]map[int]int{"": {1: 3, 3: 6, 4: 10, 5: 5}}), "1 2 min ~"},
		{"scale: hidden middle points keep min and max", scale,
			pointTally(map[string]map[int]int{"": {1: 20, 2: 2, 3: 20, 5: 20}}), "2 4 ~"},
		{"scale: a mean that tells the hidden counts is hidden", scale,
			// Point 2 holds 0, 1 or 2 of the hidden 2 answers; each gives another rounded mean (3.1, 3.2, 3.3).
			pointTally(map[string]map[int]int{"": {1: 5, 2: 2, 3: 6, 5: 7}}), "2 4 stats"},
		{"scale: a hidden zero below the minimum hides it", scale,
			pointTally(map[string]map[int]int{"": {2: 3, 3: 8, 4: 9, 5: 6}}), "1 2 min ~"},
		{"scale: hidden highest points hide max", scale,
			pointTally(map[string]map[int]int{"": {1: 6, 2: 8, 3: 7, 4: 1, 5: 4}}), "4 5 max ~"},
		{"matrix: each item is a group of its own", matrix,
			pointTally(map[string]map[int]int{"x": {1: 1, 2: 6, 3: 5}, "y": {2: 12}}), "x:1 x:3 x:stats"},
		{"ranking of two: mean place gives the first places", rank2,
			rankTally(map[string]int{"p,q": 6, "q,p": 1}), "p q"},
		{"ranking of two: both first places large", rank2,
			rankTally(map[string]int{"p,q": 6, "q,p": 5}), ""},
		{"ranking of three: one near-unanimous first hides one more", rank3,
			rankTally(map[string]int{"p,q,r": 9, "q,p,r": 1}), "p r"},
		{"ranking of three: spread out", rank3,
			rankTally(map[string]int{"p,q,r": 4, "q,r,p": 3, "r,p,q": 3}), ""},
		{"number: mean and median, but min and max are one person's answer each", number,
			Tally{Responses: 6, Respondents: map[string]int{"q": 6}, Stats: []Stat{{"q", "", 6, 12.5, 11, 2, 40}}}, "min max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			qn := Questionnaire{Sections: []Section{{Key: "s", Title: "S", Questions: []Question{tt.q}}}}
			pub := Build(&qn, tt.tally, 5, true).Questions[0]
			if got := hiddenCells(pub); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			staff := Build(&qn, tt.tally, 5, false).Questions[0]
			if got := hiddenCells(staff); got != "" {
				t.Fatalf("staff: got %q, want nothing hidden", got)
			}
			checkHiddenEmpty(t, pub)
		})
	}
}

// checkHiddenEmpty: a hidden cell carries no count, percent or score.
func checkHiddenEmpty(t *testing.T, qr QuestionResult) {
	t.Helper()
	for _, o := range qr.Options {
		if o.Suppressed && (o.Count != 0 || o.Percent != 0 || o.MeanRank != 0 || o.Score != 0) {
			t.Fatalf("hidden option with numbers: %+v", o)
		}
		for _, p := range o.Points {
			if p.Suppressed && (p.Count != 0 || p.Percent != 0) {
				t.Fatalf("hidden point with numbers: %+v", p)
			}
		}
	}
	for _, p := range qr.Points {
		if p.Suppressed && (p.Count != 0 || p.Percent != 0) {
			t.Fatalf("hidden point with numbers: %+v", p)
		}
	}
}

func TestBuildStatistics(t *testing.T) {
	t.Parallel()
	qn := Questionnaire{Sections: []Section{{Key: "s", Title: "S", Questions: []Question{
		{Key: "q", Kind: KindScale, Title: "Q", ScaleMin: 1, ScaleMax: 5}}}}}
	// 3×1, 6×3, 10×4, 5×5: mean 86/24 = 3.5833…, median 4.
	tally := pointTally(map[string]map[int]int{"": {1: 3, 3: 6, 4: 10, 5: 5}})
	got := *Build(&qn, tally, 5, true).Questions[0].Stats
	want := StatResult{N: 24, Mean: 3.6, Median: 4, Max: 5, MinSuppressed: true, Rounded: true}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	staff := *Build(&qn, tally, 5, false).Questions[0].Stats
	if staff.Mean != 86.0/24 || staff.Min != 1 || staff.Rounded || staff.MinSuppressed {
		t.Fatalf("staff: got %+v", staff)
	}
}

func TestBuildFilterComplement(t *testing.T) {
	t.Parallel()
	qn := sample()
	tests := []struct {
		name      string
		group     int
		all       int
		wantShown bool
	}{
		{"no filter", 8, 0, true},
		{"the others are fewer than the threshold", 8, 10, false},
		{"the others are as many as the threshold", 8, 13, true},
		{"everyone is in the group", 8, 8, true},
		{"the group itself is small", 4, 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tally := Tally{Responses: tt.group, All: tt.all, Respondents: map[string]int{"mode": tt.group},
				Counts: []Count{{"mode", "car", tt.group}}}
			res := Build(&qn, tally, 5, true)
			if res.Suppressed == tt.wantShown || res.Questions[0].Suppressed == tt.wantShown {
				t.Fatalf("got suppressed %v (question %v), want shown %v", res.Suppressed, res.Questions[0].Suppressed, tt.wantShown)
			}
			if Build(&qn, tally, 5, false).Suppressed {
				t.Fatal("staff results are suppressed")
			}
		})
	}
}

// TestBuildNothingFollowsFromTotals builds public results of random tallies
// and checks that no hidden count is the published total minus the shown
// counts of its group (a group never has exactly one hidden cell), that every
// count of 1 to threshold−1 is hidden, and that a shown minimum or maximum
// follows from the shown points.
func TestBuildNothingFollowsFromTotals(t *testing.T) {
	t.Parallel()
	qn := Questionnaire{Sections: []Section{{Key: "s", Title: "S", Questions: []Question{
		{Key: "one", Kind: KindSingle, Title: "Q", Options: opts("a", "b", "c", "d"), Other: true},
		{Key: "two", Kind: KindMultiple, Title: "Q", Options: opts("a", "b", "c", "d"), Required: true, MinSelect: 2, MaxSelect: 2},
		{Key: "sc", Kind: KindScale, Title: "Q", ScaleMin: 0, ScaleMax: 6},
		{Key: "mx", Kind: KindMatrix, Title: "Q", ScaleMin: 1, ScaleMax: 4, Items: opts("x", "y", "z")},
		{Key: "rk", Kind: KindRanking, Title: "Q", Options: opts("p", "q", "r")},
		{Key: "rk2", Kind: KindRanking, Title: "Q", Options: opts("p", "q")},
	}}}}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 3000 {
		threshold := 2 + rng.IntN(6)
		n := threshold + rng.IntN(40)
		// cell: mostly small counts, to make hidden cells common.
		cell := func() int {
			if rng.IntN(3) == 0 {
				return rng.IntN(threshold + 1)
			}
			return rng.IntN(3 * threshold)
		}
		// split divides total into k random cells.
		split := func(total, k int) []int {
			out := make([]int, k)
			for total > 0 {
				i := rng.IntN(k)
				add := min(total, 1+rng.IntN(max(1, cell())))
				out[i] += add
				total -= add
			}
			return out
		}
		t0 := Tally{Responses: n, Respondents: map[string]int{}}
		for i, c := range split(n, 5) {
			t0.Counts = append(t0.Counts, Count{"one", []string{"a", "b", "c", "d", "other"}[i], c})
		}
		t0.Respondents["one"] = n
		// Exactly two of four: pairs of options.
		two := make([]int, 4)
		for range n {
			i := rng.IntN(4)
			j := (i + 1 + rng.IntN(3)) % 4
			two[i]++
			two[j]++
		}
		for i, c := range two {
			t0.Counts = append(t0.Counts, Count{"two", string(rune('a' + i)), c})
		}
		t0.Respondents["two"] = n
		addDist := func(q, item string, lo int, cells []int) {
			d := map[int]int{}
			for i, c := range cells {
				d[lo+i] = c
				if c > 0 {
					t0.Points = append(t0.Points, Point{q, item, lo + i, c})
				}
			}
			t0.Stats = append(t0.Stats, statFrom(q, item, d))
		}
		addDist("sc", "", 0, split(n, 7))
		t0.Respondents["sc"] = n
		for _, item := range []string{"x", "y", "z"} {
			addDist("mx", item, 1, split(n, 4))
		}
		t0.Respondents["mx"] = n
		orders := map[string]int{}
		for i, c := range split(n, 6) {
			orders[[]string{"p,q,r", "p,r,q", "q,p,r", "q,r,p", "r,p,q", "r,q,p"}[i]] = c
		}
		rk := rankTally(orders)
		t0.Stats = append(t0.Stats, renamed(rk.Stats, "rk")...)
		first := rng.IntN(n + 1)
		rk2 := rankTally(map[string]int{"p,q": first, "q,p": n - first})
		t0.Stats = append(t0.Stats, renamed(rk2.Stats, "rk2")...)
		t0.Respondents["rk"], t0.Respondents["rk2"] = n, n

		res := Build(&qn, t0, threshold, true)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("run %d (threshold %d, n %d): %s\ntally: %+v", run, threshold, n, fmt.Sprintf(format, args...), t0)
		}
		// check: cells add up to total; hidden marks those not shown.
		check := func(name string, cells []int, hidden []bool, total int) {
			sum, shown, nHidden := 0, 0, 0
			for i, c := range cells {
				sum += c
				if hidden[i] {
					nHidden++
					continue
				}
				shown += c
				if c > 0 && c < threshold {
					fail("%s: count %d shown", name, c)
				}
			}
			if sum != total {
				fail("%s: test tally adds up to %d, not %d", name, sum, total)
			}
			if nHidden == 1 {
				fail("%s: the one hidden count is %d − %d", name, total, shown)
			}
		}
		for _, qr := range res.Questions {
			switch qr.Kind {
			case KindSingle, KindMultiple:
				var cells []int
				var hidden []bool
				for _, o := range qr.Options {
					for _, c := range t0.Counts {
						if c.Question == qr.Key && c.Choice == o.Key {
							cells = append(cells, c.N)
						}
					}
					hidden = append(hidden, o.Suppressed)
				}
				total := n
				if qr.Kind == KindMultiple {
					total = 2 * n
				}
				check(qr.Key, cells, hidden, total)
			case KindScale:
				checkDist(fail, qr.Key, qr.Points, qr.Stats, n)
				check(qr.Key, countsOf(t0, qr.Key, "", qr.Points), suppressedOf(qr.Points), n)
			case KindMatrix:
				for _, o := range qr.Options {
					checkDist(fail, qr.Key+"."+o.Key, o.Points, o.Stats, n)
					check(qr.Key+"."+o.Key, countsOf(t0, qr.Key, o.Key, o.Points), suppressedOf(o.Points), n)
				}
			case KindRanking:
				nHidden := 0
				for _, o := range qr.Options {
					if o.Suppressed {
						nHidden++
					}
				}
				// The mean places add up to n(n+1)/2.
				if nHidden == 1 {
					fail("%s: one mean place hidden: %+v", qr.Key, qr.Options)
				}
			}
		}
	}
}

func renamed(stats []Stat, question string) []Stat {
	for i := range stats {
		stats[i].Question = question
	}
	return stats
}

func countsOf(t Tally, question, item string, pts []PointResult) []int {
	out := make([]int, len(pts))
	for i, p := range pts {
		for _, tp := range t.Points {
			if tp.Question == question && tp.Choice == item && tp.Value == p.Value {
				out[i] = tp.N
			}
		}
	}
	return out
}

func suppressedOf(pts []PointResult) []bool {
	out := make([]bool, len(pts))
	for i, p := range pts {
		out[i] = p.Suppressed
	}
	return out
}

// checkDist: a shown minimum (maximum) is the lowest (highest) point with a
// shown count above zero and every point below (above) it is shown; with
// hidden points, mean and median have at most one decimal and leave every
// hidden point at least two possible counts.
func checkDist(fail func(string, ...any), name string, pts []PointResult, s *StatResult, n int) {
	if s == nil || s.Suppressed || s.N == 0 {
		return
	}
	derived := func(order []PointResult) (float64, bool) {
		for _, p := range order {
			if p.Suppressed {
				return 0, false
			}
			if p.Count > 0 {
				return float64(p.Value), true
			}
		}
		return 0, false
	}
	rev := slices.Clone(pts)
	slices.Reverse(rev)
	if lo, ok := derived(pts); !s.MinSuppressed && (!ok || lo != s.Min) {
		fail("%s: min %v shown, does not follow from the points %+v", name, s.Min, pts)
	}
	if hi, ok := derived(rev); !s.MaxSuppressed && (!ok || hi != s.Max) {
		fail("%s: max %v shown, does not follow from the points %+v", name, s.Max, pts)
	}
	anyHidden := slices.ContainsFunc(pts, func(p PointResult) bool { return p.Suppressed })
	if anyHidden && (!s.Rounded || math.Abs(s.Mean*10-math.Round(s.Mean*10)) > 1e-9) {
		fail("%s: mean %v with hidden points", name, s.Mean)
	}
	if anyHidden {
		checkNotPinned(fail, name, pts, s, n)
	}
}

// checkNotPinned tries every split of the hidden answers among the hidden
// points (if there are not too many) and fails if the published mean and
// median fit only one count of some hidden point.
func checkNotPinned(fail func(string, ...any), name string, pts []PointResult, s *StatResult, n int) {
	var at []int
	rest := n
	for i, p := range pts {
		if p.Suppressed {
			at = append(at, i)
		} else {
			rest -= p.Count
		}
	}
	if splits := math.Round(binomial(rest+len(at)-1, len(at)-1)); splits > 200_000 {
		return
	}
	seen := make([]map[int]bool, len(at))
	for i := range seen {
		seen[i] = map[int]bool{}
	}
	counts := make([]int, len(pts))
	for i, p := range pts {
		counts[i] = p.Count
	}
	var try func(k, left int)
	try = func(k, left int) {
		if k == len(at)-1 {
			counts[at[k]] = left
			var answers []float64
			for i, c := range counts {
				for range c {
					answers = append(answers, float64(pts[i].Value))
				}
			}
			sum := 0.0
			for _, a := range answers {
				sum += a
			}
			median := answers[n/2]
			if n%2 == 0 {
				median = (answers[n/2-1] + answers[n/2]) / 2
			}
			if math.Round(sum/float64(n)*10)/10 == s.Mean && math.Round(median*10)/10 == s.Median {
				for j, i := range at {
					seen[j][counts[i]] = true
				}
			}
			return
		}
		for c := 0; c <= left; c++ {
			counts[at[k]] = c
			try(k+1, left-c)
		}
	}
	try(0, rest)
	for j, i := range at {
		if len(seen[j]) < 2 {
			fail("%s: mean %v and median %v leave point %d only %v", name, s.Mean, s.Median, pts[i].Value, seen[j])
		}
	}
}

func binomial(n, k int) float64 {
	out := 1.0
	for i := 1; i <= k; i++ {
		out = out * float64(n-k+i) / float64(i)
	}
	return out
}
