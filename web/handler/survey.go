package handler

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	appsurvey "beteiligungsportal/app/survey"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/survey"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// Surveys serves questionnaires, responses and results of online surveys.
type Surveys struct {
	Service   *appsurvey.Service
	Validator *request.Validator
	// Secure marks the browser-token cookie Secure (served over https).
	Secure bool
}

// BrowserCookie and BrowserHeader carry the browser token: browsers keep the
// cookie, API clients send the header (and get the token in the body).
const (
	BrowserCookie = "portal_survey"
	BrowserHeader = "X-Survey-Token"
)

type optionDTO struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

type conditionDTO struct {
	Question string   `json:"question"`
	AnyOf    []string `json:"any_of"`
}

type questionDTO struct {
	Key         string        `json:"key"`
	Kind        string        `json:"kind"`
	Title       string        `json:"title"`
	Help        string        `json:"help,omitempty"`
	Required    bool          `json:"required"`
	Demographic bool          `json:"demographic,omitempty"`
	Options     []optionDTO   `json:"options,omitempty"`
	Other       bool          `json:"other,omitempty"`
	MinSelect   int           `json:"min_select,omitempty"`
	MaxSelect   int           `json:"max_select,omitempty"`
	ScaleMin    int           `json:"scale_min,omitempty"`
	ScaleMax    int           `json:"scale_max,omitempty"`
	MinLabel    string        `json:"min_label,omitempty"`
	MaxLabel    string        `json:"max_label,omitempty"`
	Items       []optionDTO   `json:"items,omitempty"`
	Min         *float64      `json:"min,omitempty"`
	Max         *float64      `json:"max,omitempty"`
	Integer     bool          `json:"integer,omitempty"`
	MaxLength   int           `json:"max_length,omitempty"`
	Condition   *conditionDTO `json:"condition,omitempty"`
}

type sectionDTO struct {
	Key         string        `json:"key"`
	Title       string        `json:"title"`
	Description string        `json:"description,omitempty"`
	Questions   []questionDTO `json:"questions"`
}

type settingsDTO struct {
	RequireAccount bool `json:"require_account"`
	RequireCode    bool `json:"require_code"`
	Threshold      int  `json:"threshold"`
}

type surveyRequest struct {
	Sections []sectionDTO `json:"sections" validate:"max=50"`
	Settings settingsDTO  `json:"settings"`
}

type surveyResponse struct {
	ProcedureID        string       `json:"procedure_id"`
	Slug               string       `json:"slug"`
	Title              string       `json:"title"`
	Open               bool         `json:"open"`
	Sections           []sectionDTO `json:"sections"`
	Settings           settingsDTO  `json:"settings"`
	ResultsPublishedAt *time.Time   `json:"results_published_at"`
	Version            int          `json:"version"`
	// BrowserToken is this browser's token, for clients without cookies.
	BrowserToken string `json:"browser_token,omitempty"`
}

func optionsIn(list []optionDTO) []survey.Option {
	if len(list) == 0 {
		return nil
	}
	out := make([]survey.Option, len(list))
	for i, o := range list {
		out[i] = survey.Option(o)
	}
	return out
}

func optionsOut(list []survey.Option) []optionDTO {
	if len(list) == 0 {
		return nil
	}
	out := make([]optionDTO, len(list))
	for i, o := range list {
		out[i] = optionDTO(o)
	}
	return out
}

func (r surveyRequest) input() (survey.Questionnaire, survey.Settings) {
	var qn survey.Questionnaire
	for _, s := range r.Sections {
		sec := survey.Section{Key: s.Key, Title: s.Title, Description: s.Description}
		for _, q := range s.Questions {
			qu := survey.Question{Key: q.Key, Kind: survey.Kind(q.Kind), Title: q.Title, Help: q.Help, Required: q.Required,
				Demographic: q.Demographic, Options: optionsIn(q.Options), Other: q.Other, MinSelect: q.MinSelect,
				MaxSelect: q.MaxSelect, ScaleMin: q.ScaleMin, ScaleMax: q.ScaleMax, MinLabel: q.MinLabel, MaxLabel: q.MaxLabel,
				Items: optionsIn(q.Items), Min: q.Min, Max: q.Max, Integer: q.Integer, MaxLength: q.MaxLength}
			if q.Condition != nil {
				qu.Condition = &survey.Condition{Question: q.Condition.Question, AnyOf: q.Condition.AnyOf}
			}
			sec.Questions = append(sec.Questions, qu)
		}
		qn.Sections = append(qn.Sections, sec)
	}
	return qn, survey.Settings(r.Settings)
}

func surveyFrom(v appsurvey.View) surveyResponse {
	sv := v.Survey
	out := surveyResponse{ProcedureID: v.Procedure.ID.String(), Slug: v.Procedure.Slug, Title: v.Procedure.Title,
		Open: v.Open, Settings: settingsDTO(sv.Settings), ResultsPublishedAt: optTime(sv.ResultsPublishedAt),
		Version: sv.Version, Sections: []sectionDTO{}}
	for _, s := range sv.Questionnaire.Sections {
		sec := sectionDTO{Key: s.Key, Title: s.Title, Description: s.Description, Questions: []questionDTO{}}
		for _, q := range s.Questions {
			qd := questionDTO{Key: q.Key, Kind: string(q.Kind), Title: q.Title, Help: q.Help, Required: q.Required,
				Demographic: q.Demographic, Options: optionsOut(q.Options), Other: q.Other, MinSelect: q.MinSelect,
				MaxSelect: q.MaxSelect, ScaleMin: q.ScaleMin, ScaleMax: q.ScaleMax, MinLabel: q.MinLabel, MaxLabel: q.MaxLabel,
				Items: optionsOut(q.Items), Min: q.Min, Max: q.Max, Integer: q.Integer, MaxLength: q.MaxLength}
			if q.Condition != nil {
				qd.Condition = &conditionDTO{Question: q.Condition.Question, AnyOf: q.Condition.AnyOf}
			}
			sec.Questions = append(sec.Questions, qd)
		}
		out.Sections = append(out.Sections, sec)
	}
	return out
}

// browserToken returns the token the client sent: the header wins over the cookie.
func (h *Surveys) browserToken(c *fiber.Ctx) string {
	if t := c.Get(BrowserHeader); t != "" {
		return strings.Clone(t)
	}
	return strings.Clone(c.Cookies(BrowserCookie))
}

// setBrowserToken keeps the token in the browser for a year: long enough
// for any survey period.
func (h *Surveys) setBrowserToken(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: BrowserCookie, Value: token, Path: "/api/v1/", MaxAge: 366 * 24 * 3600,
		Secure: h.Secure, HTTPOnly: true, SameSite: "Lax"})
	c.Set(BrowserHeader, token)
}

// Get returns the questionnaire. It hands a browser without a valid token a
// new one, so that its response can be recognised later.
func (h *Surveys) Get(c *fiber.Ctx) error {
	v, err := h.Service.Get(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	out := surveyFrom(v)
	tok := h.browserToken(c)
	if !h.Service.ValidBrowserToken(tok) {
		tok = h.Service.NewBrowserToken()
		h.setBrowserToken(c, tok)
	}
	out.BrowserToken = tok
	return c.JSON(out)
}

// Save replaces the questionnaire of a draft survey.
func (h *Surveys) Save(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var in surveyRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	qn, set := in.input()
	v, err := h.Service.Save(c.UserContext(), p, id, qn, set)
	if err != nil {
		return err
	}
	return c.JSON(surveyFrom(v))
}

type responseRequest struct {
	Answers     map[string]json.RawMessage `json:"answers"`
	ResumeToken string                     `json:"resume_token" validate:"max=100"`
	AccessCode  string                     `json:"access_code" validate:"max=40"`
}

type responseReceipt struct {
	ID           string    `json:"id"`
	SubmittedAt  time.Time `json:"submitted_at"`
	BrowserToken string    `json:"browser_token"`
}

type draftReceipt struct {
	ResumeToken string    `json:"resume_token"`
	SavedAt     time.Time `json:"saved_at"`
}

func (r responseRequest) submission(browser string) appsurvey.Submission {
	answers := make(map[string]json.RawMessage, len(r.Answers))
	for k, v := range r.Answers {
		answers[k] = bytes.Clone(v)
	}
	return appsurvey.Submission{Answers: answers, ResumeToken: r.ResumeToken, AccessCode: r.AccessCode, BrowserToken: browser}
}

// maxAnswers bounds the keys of one response (a questionnaire has at most 200 questions).
const maxAnswers = 400

// Submit receives one complete response.
func (h *Surveys) Submit(c *fiber.Ctx) error {
	var in responseRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	if len(in.Answers) > maxAnswers {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "answers", Code: "survey.too_many_answers"}}}
	}
	rec, err := h.Service.Submit(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("id")), in.submission(h.browserToken(c)))
	if err != nil {
		return err
	}
	h.setBrowserToken(c, rec.BrowserToken)
	return c.Status(fiber.StatusCreated).JSON(responseReceipt{ID: rec.ResponseID.String(), SubmittedAt: rec.SubmittedAt,
		BrowserToken: rec.BrowserToken})
}

// SaveDraft keeps unfinished answers under a resume token.
func (h *Surveys) SaveDraft(c *fiber.Ctx) error {
	var in responseRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	if len(in.Answers) > maxAnswers {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "answers", Code: "survey.too_many_answers"}}}
	}
	rec, err := h.Service.SaveDraft(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("id")), in.submission(""))
	if err != nil {
		return err
	}
	return c.JSON(draftReceipt{ResumeToken: rec.ResumeToken, SavedAt: rec.SavedAt})
}

type draftResumeRequest struct {
	ResumeToken string `json:"resume_token" validate:"required,max=100"`
}

type draftResponse struct {
	Answers   map[string]json.RawMessage `json:"answers"`
	UpdatedAt time.Time                  `json:"updated_at"`
}

// Draft returns saved answers; the resume token comes in the body, not the
// URL, so it does not end up in logs.
func (h *Surveys) Draft(c *fiber.Ctx) error {
	var in draftResumeRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	d, err := h.Service.Draft(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("id")), in.ResumeToken)
	if err != nil {
		return err
	}
	if d.Draft == nil {
		d.Draft = map[string]json.RawMessage{}
	}
	return c.JSON(draftResponse{Answers: d.Draft, UpdatedAt: d.UpdatedAt})
}

type codesRequest struct {
	Count int `json:"count" validate:"min=1,max=10000"`
}

// GenerateCodes creates single-use access codes, shown once.
func (h *Surveys) GenerateCodes(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var in codesRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	codes, err := h.Service.GenerateCodes(c.UserContext(), p, id, in.Count)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"codes": codes})
}

type publishRequest struct {
	Published bool `json:"published"`
}

// PublishResults publishes the results or takes them back.
func (h *Surveys) PublishResults(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var in publishRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	at, err := h.Service.PublishResults(c.UserContext(), p, id, in.Published)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"published": in.Published, "results_published_at": optTime(at)})
}

type statDTO struct {
	N      int      `json:"n"`
	Mean   *float64 `json:"mean"`
	Median *float64 `json:"median"`
	Min    *float64 `json:"min"`
	Max    *float64 `json:"max"`
	// Suppressed: too few answers to show in published results.
	Suppressed bool `json:"suppressed,omitempty"`
	// Rounded: published results with hidden points round mean and median.
	Rounded bool `json:"rounded,omitempty"`
}

type pointDTO struct {
	Value      int      `json:"value"`
	Count      *int     `json:"count"`
	Percent    *float64 `json:"percent"`
	Suppressed bool     `json:"suppressed,omitempty"`
}

type optionResultDTO struct {
	Key        string     `json:"key"`
	Label      string     `json:"label"`
	Count      *int       `json:"count"`
	Percent    *float64   `json:"percent,omitempty"`
	Suppressed bool       `json:"suppressed,omitempty"`
	MeanRank   *float64   `json:"mean_rank,omitempty"`
	Score      *float64   `json:"score,omitempty"`
	Stats      *statDTO   `json:"stats,omitempty"`
	Points     []pointDTO `json:"points,omitempty"`
}

type questionResultDTO struct {
	Key         string            `json:"key"`
	Kind        string            `json:"kind"`
	Title       string            `json:"title"`
	Demographic bool              `json:"demographic,omitempty"`
	Respondents *int              `json:"respondents"`
	Suppressed  bool              `json:"suppressed,omitempty"`
	Options     []optionResultDTO `json:"options,omitempty"`
	Stats       *statDTO          `json:"stats,omitempty"`
	Points      []pointDTO        `json:"points,omitempty"`
	Texts       []string          `json:"texts,omitempty"`
}

type filterDTO struct {
	Question string `json:"question"`
	Option   string `json:"option"`
}

type resultsResponse struct {
	Responses   *int                `json:"responses"`
	Suppressed  bool                `json:"suppressed"`
	Threshold   int                 `json:"threshold"`
	Live        bool                `json:"live"`
	PublishedAt *time.Time          `json:"published_at"`
	Filter      *filterDTO          `json:"filter,omitempty"`
	Questions   []questionResultDTO `json:"questions"`
}

func surveyInt(n int, hide bool) *int {
	if hide {
		return nil
	}
	return &n
}

func surveyFloat(f float64, hide bool) *float64 {
	if hide {
		return nil
	}
	f = float64(int64(f*10000+0.5*surveySign(f))) / 10000
	return &f
}

func surveySign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

func surveyStat(s *survey.StatResult) *statDTO {
	if s == nil {
		return nil
	}
	hide := s.Suppressed || s.N == 0
	return &statDTO{N: s.N, Mean: surveyFloat(s.Mean, hide), Median: surveyFloat(s.Median, hide),
		Min: surveyFloat(s.Min, hide || s.MinSuppressed), Max: surveyFloat(s.Max, hide || s.MaxSuppressed),
		Suppressed: s.Suppressed, Rounded: s.Rounded}
}

func surveyPoints(list []survey.PointResult) []pointDTO {
	var out []pointDTO
	for _, p := range list {
		out = append(out, pointDTO{Value: p.Value, Count: surveyInt(p.Count, p.Suppressed), Percent: surveyFloat(p.Percent, p.Suppressed),
			Suppressed: p.Suppressed})
	}
	return out
}

// optionLabel is the label of a result option; the domain leaves the label of
// the "other" option to the catalogue.
func optionLabel(o survey.OptionResult) string {
	if o.Key == survey.OtherKey && o.Label == "" {
		return problemText("survey.option_other")
	}
	return o.Label
}

func surveyResults(r appsurvey.ResultsView) resultsResponse {
	out := resultsResponse{Responses: surveyInt(r.Responses, r.Suppressed), Suppressed: r.Suppressed, Threshold: r.Threshold,
		Live: r.Staff, PublishedAt: optTime(r.PublishedAt), Questions: []questionResultDTO{}}
	if r.Filter != nil {
		out.Filter = &filterDTO{Question: r.Filter.Question, Option: r.Filter.Choice}
	}
	for _, q := range r.Questions {
		qd := questionResultDTO{Key: q.Key, Kind: string(q.Kind), Title: q.Title, Demographic: q.Demographic,
			Respondents: surveyInt(q.Respondents, r.Suppressed), Suppressed: q.Suppressed, Stats: surveyStat(q.Stats),
			Points: surveyPoints(q.Points), Texts: q.Texts}
		for _, o := range q.Options {
			od := optionResultDTO{Key: o.Key, Label: optionLabel(o), Count: surveyInt(o.Count, o.Suppressed), Suppressed: o.Suppressed,
				Stats: surveyStat(o.Stats), Points: surveyPoints(o.Points)}
			switch q.Kind {
			case survey.KindSingle, survey.KindMultiple:
				od.Percent = surveyFloat(o.Percent, o.Suppressed)
			case survey.KindRanking:
				od.MeanRank, od.Score = surveyFloat(o.MeanRank, o.Suppressed), surveyFloat(o.Score, o.Suppressed)
			}
			qd.Options = append(qd.Options, od)
		}
		out.Questions = append(out.Questions, qd)
	}
	return out
}

// filterOf reads the cross-tab filter from ?filter=question:option.
func surveyFilter(c *fiber.Ctx) (*survey.Filter, error) {
	raw := c.Query("filter")
	if raw == "" {
		return nil, nil
	}
	q, o, ok := strings.Cut(raw, ":")
	if !ok || q == "" || o == "" {
		return nil, &domain.ValidationError{Fields: []domain.FieldError{{Field: "filter", Code: "survey.filter_invalid"}}}
	}
	return &survey.Filter{Question: strings.Clone(q), Choice: strings.Clone(o)}, nil
}

// Results returns live results to staff and published results to everyone else.
func (h *Surveys) Results(c *fiber.Ctx) error {
	f, err := surveyFilter(c)
	if err != nil {
		return err
	}
	r, err := h.Service.Results(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("id")), f)
	if err != nil {
		return err
	}
	return c.JSON(surveyResults(r))
}
