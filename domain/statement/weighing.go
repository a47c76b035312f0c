package statement

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"beteiligungsportal/domain"
)

// Weighing errors.
var (
	ErrTransition        = domain.NewRule(domain.ErrConflict, "statement.status_transition")
	ErrWeighIncomplete   = domain.NewRule(domain.ErrConflict, "statement.weigh_incomplete")
	ErrResultSentIsFinal = domain.NewRule(domain.ErrConflict, "statement.result_sent_final")
)

// Change is a weighing step; nil fields stay as they are.
type Change struct {
	Status    *Status
	Topics    *[]string
	AddTopics []string
	Answer    *string
	Decision  *Decision
	Priority  *string
}

// transitions are the allowed status steps: forward one at a time, and back
// from weighed to in_review to revise. Telling the submitter is final.
var transitions = map[Status][]Status{
	StatusReceived: {StatusInReview},
	StatusInReview: {StatusWeighed},
	StatusWeighed:  {StatusInReview, StatusResultSent},
}

// Validate checks a change's values on their own.
func (c Change) Validate() error {
	var v domain.ValidationError
	if c.Status != nil {
		switch *c.Status {
		case StatusReceived, StatusInReview, StatusWeighed, StatusResultSent:
		default:
			v.Add("status", "statement.status_invalid")
		}
	}
	topics := c.AddTopics
	if c.Topics != nil {
		topics = append(slices.Clone(*c.Topics), topics...)
	}
	if len(topics) > MaxTopics {
		v.Add("topics", "statement.too_many_topics")
	}
	for _, t := range topics {
		if strings.TrimSpace(t) == "" || utf8.RuneCountInString(t) > maxTopic || !utf8.ValidString(t) ||
			strings.ContainsFunc(t, unicode.IsControl) {
			v.Add("topics", "statement.topic_invalid")
			break
		}
	}
	if c.Answer != nil {
		validText(&v, "answer", *c.Answer, maxAnswer, false)
	}
	if c.Decision != nil && !c.Decision.Valid() {
		v.Add("decision", "statement.decision_invalid")
	}
	if c.Priority != nil && *c.Priority != "" && *c.Priority != "A" && *c.Priority != "B" {
		v.Add("priority", "statement.priority_invalid")
	}
	return v.Err()
}

// Apply weighs s. A statement whose outcome was sent can no longer change; one
// that is weighed needs a decision and an answer.
func (s *Statement) Apply(c Change, now time.Time) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if s.Status == StatusResultSent {
		return ErrResultSentIsFinal
	}
	if c.Topics != nil {
		s.Topics = normaliseTopics(*c.Topics)
	}
	if len(c.AddTopics) > 0 {
		s.Topics = normaliseTopics(append(slices.Clone(s.Topics), c.AddTopics...))
		if len(s.Topics) > MaxTopics {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "topics", Code: "statement.too_many_topics"}}}
		}
	}
	if c.Answer != nil {
		s.Answer = strings.TrimSpace(*c.Answer)
	}
	if c.Decision != nil {
		s.Decision = *c.Decision
	}
	if c.Priority != nil {
		s.Priority = *c.Priority
	}
	if c.Status != nil && *c.Status != s.Status {
		if !slices.Contains(transitions[s.Status], *c.Status) {
			return ErrTransition
		}
		s.Status = *c.Status
	}
	if (s.Status == StatusWeighed || s.Status == StatusResultSent) && (s.Decision == "" || s.Answer == "") {
		return ErrWeighIncomplete
	}
	return nil
}

// normaliseTopics trims, removes duplicates (ignoring case) and sorts.
func normaliseTopics(in []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range in {
		t = strings.Join(strings.Fields(t), " ")
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// Groups joins similar pairs into groups (mass statements): each group is
// the set of statements connected by similarity, at least two.
func Groups[ID comparable](pairs [][2]ID) [][]ID {
	parent := map[ID]ID{}
	var find func(ID) ID
	find = func(x ID) ID {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	var order []ID
	for _, p := range pairs {
		for _, x := range p {
			if _, ok := parent[x]; !ok {
				order = append(order, x)
			}
		}
		a, b := find(p[0]), find(p[1])
		if a != b {
			parent[b] = a
		}
	}
	byRoot := map[ID][]ID{}
	var roots []ID
	for _, x := range order {
		r := find(x)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], x)
	}
	out := make([][]ID, 0, len(roots))
	for _, r := range roots {
		out = append(out, byRoot[r])
	}
	return out
}
