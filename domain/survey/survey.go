// Package survey models online surveys (Online-Umfragen): the questionnaire an
// agency builds (sections, questions of several kinds, simple conditions), the
// rules it must follow when it is saved, and the check of a participant's
// answers against every question's rules and conditions.
package survey

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"beteiligungsportal/domain"
)

// Errors of surveys.
var (
	ErrNotFound        = domain.NewRule(domain.ErrNotFound, "survey.not_found")
	ErrNotSurvey       = domain.NewRule(domain.ErrConflict, "survey.not_survey")
	ErrNotDraft        = domain.NewRule(domain.ErrConflict, "survey.not_draft")
	ErrNotOpen         = domain.NewRule(domain.ErrClosed, "survey.not_open")
	ErrAlreadyAnswered = domain.NewRule(domain.ErrConflict, "survey.already_answered")
	ErrAccountRequired = domain.NewRule(domain.ErrUnauthenticated, "survey.account_required")
	ErrCodeRequired    = domain.NewRule(domain.ErrForbidden, "survey.code_required")
	ErrCodeInvalid     = domain.NewRule(domain.ErrForbidden, "survey.code_invalid")
	ErrResumeInvalid   = domain.NewRule(domain.ErrNotFound, "survey.resume_invalid")
	ErrNoQuestionnaire = domain.NewRule(domain.ErrNotFound, "survey.no_questionnaire")
	ErrNotPublished    = domain.NewRule(domain.ErrNotFound, "survey.results_not_published")
	ErrTooManyCodes    = domain.NewRule(domain.ErrInvalid, "survey.too_many_codes")
	ErrProcedureDraft  = domain.NewRule(domain.ErrConflict, "survey.procedure_draft")
)

// Kind is what sort of answer a question takes.
type Kind string

// Question kinds.
const (
	KindSingle    Kind = "single_choice"
	KindMultiple  Kind = "multiple_choice"
	KindScale     Kind = "scale"
	KindMatrix    Kind = "matrix"
	KindRanking   Kind = "ranking"
	KindShortText Kind = "short_text"
	KindLongText  Kind = "long_text"
	KindNumber    Kind = "number"
	KindDate      Kind = "date"
)

// Kinds lists every kind.
var Kinds = []Kind{KindSingle, KindMultiple, KindScale, KindMatrix, KindRanking, KindShortText, KindLongText, KindNumber, KindDate}

// Valid reports whether k is known.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// Choice reports whether the kind's answers are options of a list.
func (k Kind) Choice() bool { return k == KindSingle || k == KindMultiple }

// OtherKey is the option key of the free-text "other" option.
const OtherKey = "other"

// Option is one answer a choice or ranking question offers, or one item
// (row) of a matrix.
type Option struct {
	Key   string
	Label string
}

// Condition shows a question only if an earlier choice question was answered
// with one of the given options.
type Condition struct {
	Question string
	AnyOf    []string
}

// Question is one question of a questionnaire. Which fields count depends on
// the kind.
type Question struct {
	Key         string
	Kind        Kind
	Title       string
	Help        string
	Required    bool
	Demographic bool // a question about the participant (age group, district), flagged as such
	// Options of choice and ranking questions.
	Options []Option
	// Other adds a free-text "other" option to a choice question.
	Other bool
	// MinSelect and MaxSelect bound a multiple choice (0: no bound).
	MinSelect, MaxSelect int
	// Scale of scale and matrix questions, with labels of its ends.
	ScaleMin, ScaleMax int
	MinLabel, MaxLabel string
	// Items are the rows of a matrix, all answered on the scale.
	Items []Option
	// Min and Max bound a number (nil: no bound); Integer asks for whole numbers.
	Min, Max *float64
	Integer  bool
	// MaxLength bounds text answers (0: the kind's default).
	MaxLength int
	Condition *Condition
}

// Section is a titled group of questions.
type Section struct {
	Key         string
	Title       string
	Description string
	Questions   []Question
}

// Questionnaire is the ordered list of sections.
type Questionnaire struct {
	Sections []Section
}

// Settings are the rules of participation and publication.
type Settings struct {
	// RequireAccount: only signed-in participants may answer, once per account.
	RequireAccount bool
	// RequireCode: every response needs an unused access code.
	RequireCode bool
	// Threshold: counts below it are hidden in published results.
	Threshold int
}

// DefaultThreshold is the smallest group shown in published results.
const DefaultThreshold = 5

// Limits of a questionnaire and its answers.
const (
	maxQuestions      = 200
	maxOptions        = 100
	maxKey            = 40
	maxTitle          = 500
	maxHelp           = 2000
	maxLabel          = 300
	DefaultShortText  = 200
	DefaultLongText   = 5000
	maxTextLimit      = 20000
	maxScalePoints    = 11
	maxThreshold      = 100
	maxConditionValue = 100
)

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Questions returns every question in order.
func (q *Questionnaire) Questions() []*Question {
	var out []*Question
	for i := range q.Sections {
		for j := range q.Sections[i].Questions {
			out = append(out, &q.Sections[i].Questions[j])
		}
	}
	return out
}

// Question returns the question with the key, or nil.
func (q *Questionnaire) Question(key string) *Question {
	for _, qu := range q.Questions() {
		if qu.Key == key {
			return qu
		}
	}
	return nil
}

// TextLimit is the longest text answer the question takes.
func (q *Question) TextLimit() int {
	switch {
	case q.MaxLength > 0:
		return q.MaxLength
	case q.Kind == KindLongText:
		return DefaultLongText
	}
	return DefaultShortText
}

// HasOption reports whether key is one of the question's answers ("other"
// included when offered).
func (q *Question) HasOption(key string) bool {
	if q.Other && key == OtherKey {
		return true
	}
	for _, o := range q.Options {
		if o.Key == key {
			return true
		}
	}
	return false
}

// Validate checks the settings.
func (s Settings) Validate() error {
	var v domain.ValidationError
	if s.Threshold < 1 || s.Threshold > maxThreshold {
		v.Add("settings.threshold", "survey.threshold_invalid")
	}
	return v.Err()
}

// Validate checks the whole questionnaire and reports every problem at once:
// keys, texts, options, scales, bounds and that conditions only point to an
// earlier choice question and its options.
func (q *Questionnaire) Validate() error {
	var v domain.ValidationError
	if len(q.Sections) == 0 {
		v.Add("sections", "survey.no_sections")
		return v.Err()
	}
	seen := map[string]*Question{}
	sectionKeys := map[string]bool{}
	count := 0
	for i := range q.Sections {
		s := &q.Sections[i]
		sf := fmt.Sprintf("sections[%d]", i)
		switch {
		case !keyPattern.MatchString(s.Key) || len(s.Key) > maxKey:
			v.Add(sf+".key", "survey.key_invalid")
		case sectionKeys[s.Key]:
			v.Add(sf+".key", "survey.key_duplicate")
		}
		sectionKeys[s.Key] = true
		text(&v, sf+".title", s.Title, maxTitle, true)
		text(&v, sf+".description", s.Description, maxHelp, false)
		if len(s.Questions) == 0 {
			v.Add(sf+".questions", "survey.section_empty")
		}
		for j := range s.Questions {
			count++
			qu := &s.Questions[j]
			f := fmt.Sprintf("%s.questions[%d]", sf, j)
			switch {
			case !keyPattern.MatchString(qu.Key) || len(qu.Key) > maxKey:
				v.Add(f+".key", "survey.key_invalid")
			case seen[qu.Key] != nil:
				v.Add(f+".key", "survey.key_duplicate")
			}
			qu.validate(&v, f, seen)
			if qu.Key != "" && seen[qu.Key] == nil {
				seen[qu.Key] = qu
			}
		}
	}
	if count > maxQuestions {
		v.Add("sections", "survey.too_many_questions")
	}
	return v.Err()
}

func text(v *domain.ValidationError, field, val string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(val) == "":
		v.Add(field, "required")
	case utf8.RuneCountInString(val) > max:
		v.Add(field, "too_long")
	}
}

// options checks a list of options or items: at least min, unique keys, no
// empty labels.
func options(v *domain.ValidationError, field string, list []Option, min int, reserved bool) {
	if len(list) < min {
		v.Add(field, "survey.too_few_options")
		return
	}
	if len(list) > maxOptions {
		v.Add(field, "survey.too_many_options")
	}
	keys := map[string]bool{}
	for i, o := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !keyPattern.MatchString(o.Key) || len(o.Key) > maxKey:
			v.Add(f+".key", "survey.key_invalid")
		case keys[o.Key]:
			v.Add(f+".key", "survey.key_duplicate")
		case reserved && o.Key == OtherKey:
			v.Add(f+".key", "survey.key_reserved")
		}
		keys[o.Key] = true
		if strings.TrimSpace(o.Label) == "" {
			v.Add(f+".label", "survey.option_empty")
		} else if utf8.RuneCountInString(o.Label) > maxLabel {
			v.Add(f+".label", "too_long")
		}
	}
}

func (q *Question) validate(v *domain.ValidationError, f string, earlier map[string]*Question) {
	if !q.Kind.Valid() {
		v.Add(f+".kind", "survey.kind_invalid")
		return
	}
	text(v, f+".title", q.Title, maxTitle, true)
	text(v, f+".help", q.Help, maxHelp, false)
	usesOptions := q.Kind.Choice() || q.Kind == KindRanking
	if !usesOptions && len(q.Options) > 0 {
		v.Add(f+".options", "survey.field_not_allowed")
	}
	if q.Other && !q.Kind.Choice() {
		v.Add(f+".other", "survey.field_not_allowed")
	}
	scaled := q.Kind == KindScale || q.Kind == KindMatrix
	if !scaled && (q.ScaleMin != 0 || q.ScaleMax != 0 || q.MinLabel != "" || q.MaxLabel != "") {
		v.Add(f+".scale", "survey.field_not_allowed")
	}
	if q.Kind != KindMatrix && len(q.Items) > 0 {
		v.Add(f+".items", "survey.field_not_allowed")
	}
	if q.Kind != KindNumber && (q.Min != nil || q.Max != nil || q.Integer) {
		v.Add(f+".min", "survey.field_not_allowed")
	}
	if q.Kind != KindMultiple && (q.MinSelect != 0 || q.MaxSelect != 0) {
		v.Add(f+".min_select", "survey.field_not_allowed")
	}
	isText := q.Kind == KindShortText || q.Kind == KindLongText
	if !isText && q.MaxLength != 0 {
		v.Add(f+".max_length", "survey.field_not_allowed")
	}
	switch q.Kind {
	case KindSingle, KindMultiple:
		min := 2
		if q.Other {
			min = 1
		}
		options(v, f+".options", q.Options, min, q.Other)
	case KindRanking:
		options(v, f+".options", q.Options, 2, false)
	case KindMatrix:
		options(v, f+".items", q.Items, 1, false)
	}
	if q.Kind == KindMultiple {
		n := len(q.Options)
		if q.Other {
			n++
		}
		switch {
		case q.MinSelect < 0 || q.MaxSelect < 0:
			v.Add(f+".min_select", "survey.select_bounds")
		case q.MaxSelect != 0 && q.MinSelect > q.MaxSelect:
			v.Add(f+".min_select", "survey.select_bounds")
		case q.MinSelect > n || q.MaxSelect > n:
			v.Add(f+".max_select", "survey.select_bounds")
		}
	}
	if scaled {
		if q.ScaleMin < 0 || q.ScaleMax <= q.ScaleMin || q.ScaleMax-q.ScaleMin+1 > maxScalePoints {
			v.Add(f+".scale", "survey.scale_invalid")
		}
		text(v, f+".min_label", q.MinLabel, maxLabel, false)
		text(v, f+".max_label", q.MaxLabel, maxLabel, false)
	}
	if q.Kind == KindNumber && q.Min != nil && q.Max != nil && *q.Min > *q.Max {
		v.Add(f+".min", "survey.number_bounds")
	}
	if isText && (q.MaxLength < 0 || q.MaxLength > maxTextLimit) {
		v.Add(f+".max_length", "survey.max_length_invalid")
	}
	if c := q.Condition; c != nil {
		target := earlier[c.Question]
		switch {
		case target == nil:
			// Unknown, later or this question: conditions only point backwards.
			v.Add(f+".condition.question", "survey.condition_backwards")
		case !target.Kind.Choice():
			v.Add(f+".condition.question", "survey.condition_kind")
		case len(c.AnyOf) == 0 || len(c.AnyOf) > maxConditionValue:
			v.Add(f+".condition.any_of", "survey.condition_empty")
		default:
			for _, o := range c.AnyOf {
				if !target.HasOption(o) {
					v.Add(f+".condition.any_of", "survey.condition_option")
					break
				}
			}
		}
	}
}
