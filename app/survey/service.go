// Package survey holds the use cases of online surveys: the agency builds the
// questionnaire while the procedure is a draft and hands out access codes,
// participants answer once while a phase is open, staff read live results and
// export them, and the agency publishes the results.
package survey

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/survey"
)

// Store persists surveys, responses and access codes.
type Store interface {
	// Get returns the survey of a procedure, survey.ErrNoQuestionnaire when it has none.
	Get(ctx context.Context, procedureID uuid.UUID) (survey.Survey, error)
	Save(ctx context.Context, s survey.Survey) error
	SetResultsPublished(ctx context.Context, procedureID uuid.UUID, at time.Time) error
	InsertCodes(ctx context.Context, procedureID uuid.UUID, hashes []string, now time.Time) error
	// UseCode marks an unused code as used, atomically; survey.ErrCodeInvalid
	// when there is no such unused code.
	UseCode(ctx context.Context, procedureID uuid.UUID, hash string, responseID uuid.UUID, now time.Time) error
	// Draft returns the draft with the resume hash, locked for the transaction.
	Draft(ctx context.Context, procedureID uuid.UUID, resumeHash string) (survey.Response, error)
	SaveDraft(ctx context.Context, r survey.Response) error
	// Submit stores a submitted response (a new one, or the draft with its ID)
	// and its cells; survey.ErrAlreadyAnswered when the account or browser
	// answered before.
	Submit(ctx context.Context, r survey.Response, cells []survey.Cell) error
	// Tally counts the submitted responses' answers (of the filter group) in
	// the database; texts adds the free texts.
	Tally(ctx context.Context, qn *survey.Questionnaire, procedureID uuid.UUID, f *survey.Filter, texts bool) (survey.Tally, error)
	// EachResponse calls fn for every submitted response, oldest first.
	EachResponse(ctx context.Context, procedureID uuid.UUID, fn func(survey.Response) error) error
	// CountResponses counts the submitted responses.
	CountResponses(ctx context.Context, procedureID uuid.UUID) (int, error)
}

// Procedures reads procedures.
type Procedures interface {
	Get(ctx context.Context, id uuid.UUID) (procedure.Procedure, error)
	// GetByRef finds a procedure by the reference a URL gives: its ID or its slug.
	GetByRef(ctx context.Context, ref string) (procedure.Procedure, error)
	GetForUpdate(ctx context.Context, id uuid.UUID) (procedure.Procedure, error)
}

// Repos are the stores a use case works with inside one transaction.
type Repos struct {
	Surveys    Store
	Procedures Procedures
	Audit      audit.Writer
}

// TxRunner runs fn with repositories bound to one transaction (InTx) or to
// the database without one (Read).
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
	Read(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}

// Service implements the survey use cases.
type Service struct {
	tx     TxRunner
	secret []byte
	log    *slog.Logger
	now    func() time.Time
	public *resultsCache
}

// NewService returns a Service; secret signs browser tokens and keys the
// hashes of access codes.
func NewService(tx TxRunner, secret []byte, log *slog.Logger, now func() time.Time) *Service {
	return &Service{tx: tx, secret: secret, log: log, now: now, public: newResultsCache(PublicResultsTTL)}
}

// MaxCodes is the most access codes one request generates.
const MaxCodes = 10000

// MaxDraftSize bounds the answers kept in one draft (bytes of JSON): drafts
// are stored unchecked, so their size is bounded here rather than by the
// questions' rules.
const MaxDraftSize = 256 << 10

// View is a survey as a participant or staff member reads it.
type View struct {
	Procedure procedure.Procedure
	Survey    survey.Survey
	// Open: responses are accepted now.
	Open bool
}

func isStaff(p *account.Principal, pr *procedure.Procedure) bool {
	return p != nil && p.CanSeeInternals(pr.OrganisationID)
}

// load finds the procedure by ID or slug; drafts only for their staff.
func load(ctx context.Context, r Repos, p *account.Principal, idOrSlug string) (procedure.Procedure, error) {
	pr, err := r.Procedures.GetByRef(ctx, idOrSlug)
	if err != nil {
		return pr, err
	}
	if pr.IsDraft() && !isStaff(p, &pr) {
		return pr, procedure.ErrNotFound
	}
	if pr.Type != procedure.TypeSurvey {
		return pr, survey.ErrNotSurvey
	}
	return pr, nil
}

// Get returns the questionnaire of a survey.
func (s *Service) Get(ctx context.Context, p *account.Principal, idOrSlug string) (View, error) {
	var v View
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := load(ctx, r, p, idOrSlug)
		if err != nil {
			return err
		}
		sv, err := r.Surveys.Get(ctx, pr.ID)
		if err != nil {
			return err
		}
		v = View{Procedure: pr, Survey: sv, Open: len(pr.OpenPhases(s.now())) > 0}
		return nil
	})
	if err != nil {
		return View{}, fmt.Errorf("get survey: %w", err)
	}
	return v, nil
}

// Save replaces the questionnaire and settings while the procedure is a draft.
func (s *Service) Save(ctx context.Context, p account.Principal, procID uuid.UUID, qn survey.Questionnaire, set survey.Settings) (View, error) {
	if set.Threshold == 0 {
		set.Threshold = survey.DefaultThreshold
	}
	var v View
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := r.Procedures.GetForUpdate(ctx, procID)
		if err != nil {
			return err
		}
		if !p.CanSeeInternals(pr.OrganisationID) {
			return procedure.ErrNotFound
		}
		if !p.CanEditProcedures(pr.OrganisationID) {
			return domain.ErrForbidden
		}
		if pr.Type != procedure.TypeSurvey {
			return survey.ErrNotSurvey
		}
		if !pr.IsDraft() {
			return survey.ErrNotDraft
		}
		if err := validate(&qn, set); err != nil {
			return err
		}
		old, err := r.Surveys.Get(ctx, pr.ID)
		if err != nil && !errors.Is(err, survey.ErrNoQuestionnaire) {
			return err
		}
		sv := survey.Survey{ProcedureID: pr.ID, Questionnaire: qn, Settings: set,
			UpdatedAt: s.now().UTC(), Version: old.Version + 1}
		if err := r.Surveys.Save(ctx, sv); err != nil {
			return err
		}
		v = View{Procedure: pr, Survey: sv}
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "survey.save", "procedure", pr.ID.String(), map[string]any{"questions": len(qn.Questions()), "version": sv.Version})
	})
	if err != nil {
		return View{}, fmt.Errorf("save survey: %w", err)
	}
	return v, nil
}

// validate checks questionnaire and settings and reports all problems together.
func validate(qn *survey.Questionnaire, set survey.Settings) error {
	var all domain.ValidationError
	for _, err := range []error{qn.Validate(), set.Validate()} {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			all.Fields = append(all.Fields, ve.Fields...)
		}
	}
	return all.Err()
}

// staffProcedure loads a survey procedure for a staff action that needs the
// given permission.
func staffProcedure(ctx context.Context, r Repos, p account.Principal, procID uuid.UUID, allowed func(uuid.UUID) bool) (procedure.Procedure, error) {
	pr, err := r.Procedures.Get(ctx, procID)
	if err != nil {
		return pr, err
	}
	if !p.CanSeeInternals(pr.OrganisationID) {
		return pr, procedure.ErrNotFound
	}
	if !allowed(pr.OrganisationID) {
		return pr, domain.ErrForbidden
	}
	if pr.Type != procedure.TypeSurvey {
		return pr, survey.ErrNotSurvey
	}
	return pr, nil
}

// GenerateCodes creates n single-use access codes and returns them; only
// their hashes are stored, so they are shown this once.
func (s *Service) GenerateCodes(ctx context.Context, p account.Principal, procID uuid.UUID, n int) ([]string, error) {
	if n < 1 || n > MaxCodes {
		return nil, fmt.Errorf("generate codes: %w", survey.ErrTooManyCodes)
	}
	codes := make([]string, n)
	hashes := make([]string, n)
	for i := range codes {
		codes[i] = newCode()
		hashes[i] = s.codeHash(codes[i])
	}
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, procID, p.CanEditProcedures)
		if err != nil {
			return err
		}
		if _, err := r.Surveys.Get(ctx, pr.ID); err != nil {
			return err
		}
		if err := r.Surveys.InsertCodes(ctx, pr.ID, hashes, s.now().UTC()); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "survey.codes", "procedure", pr.ID.String(), map[string]any{"count": n})
	})
	if err != nil {
		return nil, fmt.Errorf("generate codes: %w", err)
	}
	return codes, nil
}

// codeAlphabet leaves out letters that are easily confused (I, L, O, U) and
// 0/1, as codes are typed from a letter.
const codeAlphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"

// newCode returns a code of 12 characters (about 59 bits) in groups of four.
func newCode() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[int(c)%len(codeAlphabet)])
	}
	return sb.String()
}

// normaliseCode accepts codes typed in lower case, with spaces or without
// hyphens.
func normaliseCode(c string) string {
	c = strings.ToUpper(c)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, c)
}

func (s *Service) mac(purpose, v string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return m.Sum(nil)
}

func (s *Service) codeHash(code string) string {
	return hex.EncodeToString(s.mac("survey-code", normaliseCode(code)))
}

// NewBrowserToken returns a new signed browser token: 128 random bits and
// their HMAC under the instance secret. It names no one; it only lets the
// server recognise a browser that answered before.
func (s *Service) NewBrowserToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	return id + "." + base64.RawURLEncoding.EncodeToString(s.mac("survey-browser", id)[:16])
}

// browserKey returns the stored key of a valid token, "" for an invalid one.
func (s *Service) browserKey(token string) string {
	id, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 100 {
		return ""
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("survey-browser", id)[:16]) {
		return ""
	}
	return hex.EncodeToString(s.mac("survey-browser-key", id)[:16])
}

// ValidBrowserToken reports whether token was issued by this instance (or
// another one with the same secret).
func (s *Service) ValidBrowserToken(token string) bool { return s.browserKey(token) != "" }

func resumeHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newResumeToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Submission is a participant's response as sent.
type Submission struct {
	Answers map[string]json.RawMessage
	// ResumeToken submits the draft saved under it.
	ResumeToken string
	AccessCode  string
	// BrowserToken as the browser sent it (cookie or header); may be empty.
	BrowserToken string
}

// Receipt is the answer to a submission.
type Receipt struct {
	ResponseID  uuid.UUID
	SubmittedAt time.Time
	// BrowserToken to keep (a new one when none valid was sent).
	BrowserToken string
}

// open checks that the survey takes responses from this participant now.
func (s *Service) open(ctx context.Context, r Repos, p *account.Principal, idOrSlug string, code string, submitting bool) (procedure.Procedure, survey.Survey, error) {
	pr, err := load(ctx, r, p, idOrSlug)
	if err != nil {
		return pr, survey.Survey{}, err
	}
	sv, err := r.Surveys.Get(ctx, pr.ID)
	if err != nil {
		return pr, sv, err
	}
	if len(pr.OpenPhases(s.now())) == 0 {
		return pr, sv, survey.ErrNotOpen
	}
	if sv.Settings.RequireAccount && p == nil {
		return pr, sv, survey.ErrAccountRequired
	}
	if submitting && sv.Settings.RequireCode && strings.TrimSpace(code) == "" {
		return pr, sv, survey.ErrCodeRequired
	}
	return pr, sv, nil
}

// Submit checks and stores one complete response. Every invalid answer is
// reported at once. A browser (by its token), an account and an access code
// answer once.
func (s *Service) Submit(ctx context.Context, p *account.Principal, idOrSlug string, sub Submission) (Receipt, error) {
	token := sub.BrowserToken
	key := s.browserKey(token)
	if key == "" {
		token = s.NewBrowserToken()
		key = s.browserKey(token)
	}
	var rec Receipt
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, sv, err := s.open(ctx, r, p, idOrSlug, sub.AccessCode, true)
		if err != nil {
			return err
		}
		answers, err := survey.Check(&sv.Questionnaire, sub.Answers)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		resp := survey.Response{ID: uuid.Must(uuid.NewV7()), SurveyID: pr.ID, Status: survey.StatusSubmitted,
			Answers: answers, BrowserKey: key, CreatedAt: now, UpdatedAt: now, SubmittedAt: now}
		if sub.ResumeToken != "" {
			d, err := r.Surveys.Draft(ctx, pr.ID, resumeHash(sub.ResumeToken))
			if err != nil {
				return err
			}
			resp.ID, resp.CreatedAt = d.ID, d.CreatedAt
		}
		if p != nil {
			resp.AccountID = p.Account.ID
		}
		useCode := sv.Settings.RequireCode || strings.TrimSpace(sub.AccessCode) != ""
		if useCode {
			resp.AccessCodeHash = s.codeHash(sub.AccessCode)
		}
		if err := r.Surveys.Submit(ctx, resp, answers.Cells(&sv.Questionnaire)); err != nil {
			return err
		}
		// In the same transaction: a refused code takes the response back.
		if useCode {
			if err := r.Surveys.UseCode(ctx, pr.ID, resp.AccessCodeHash, resp.ID, now); err != nil {
				return err
			}
		}
		rec = Receipt{ResponseID: resp.ID, SubmittedAt: now, BrowserToken: token}
		return nil
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("submit survey response: %w", err)
	}
	return rec, nil
}

// DraftReceipt is the answer to saving a draft.
type DraftReceipt struct {
	ResumeToken string
	SavedAt     time.Time
}

// SaveDraft keeps unchecked answers under a resume token (a new one unless
// the draft's token is given) so the participant can come back and submit.
func (s *Service) SaveDraft(ctx context.Context, p *account.Principal, idOrSlug string, sub Submission) (DraftReceipt, error) {
	var rec DraftReceipt
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, sv, err := s.open(ctx, r, p, idOrSlug, "", false)
		if err != nil {
			return err
		}
		var v domain.ValidationError
		size := 0
		for k, a := range sub.Answers {
			size += len(k) + len(a)
			if sv.Questionnaire.Question(k) == nil {
				v.Add("answers."+k, "survey.question_unknown")
			}
		}
		if size > MaxDraftSize {
			v.Add("answers", "survey.draft_too_large")
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now().UTC()
		tok := sub.ResumeToken
		d := survey.Response{ID: uuid.Must(uuid.NewV7()), SurveyID: pr.ID, Status: survey.StatusDraft, CreatedAt: now}
		if tok != "" {
			if d, err = r.Surveys.Draft(ctx, pr.ID, resumeHash(tok)); err != nil {
				return err
			}
		} else {
			tok = newResumeToken()
			d.ResumeHash = resumeHash(tok)
		}
		d.Draft, d.UpdatedAt = sub.Answers, now
		if p != nil {
			d.AccountID = p.Account.ID
		}
		if err := r.Surveys.SaveDraft(ctx, d); err != nil {
			return err
		}
		rec = DraftReceipt{ResumeToken: tok, SavedAt: now}
		return nil
	})
	if err != nil {
		return DraftReceipt{}, fmt.Errorf("save survey draft: %w", err)
	}
	return rec, nil
}

// Draft returns the answers saved under a resume token.
func (s *Service) Draft(ctx context.Context, p *account.Principal, idOrSlug, token string) (survey.Response, error) {
	var d survey.Response
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := load(ctx, r, p, idOrSlug)
		if err != nil {
			return err
		}
		d, err = r.Surveys.Draft(ctx, pr.ID, resumeHash(token))
		return err
	})
	if err != nil {
		return survey.Response{}, fmt.Errorf("get survey draft: %w", err)
	}
	return d, nil
}

// ResultsView are results with whether they are the staff's live view.
type ResultsView struct {
	survey.Results
	Staff       bool
	PublishedAt time.Time
}

// Results returns the aggregated answers: live and complete for the
// organisation's staff, and for everyone else once published, with small
// groups hidden. Published results are computed once per PublicResultsTTL
// and filter and shared by every reader (see resultsCache); whether they
// are still published is checked on every request.
func (s *Service) Results(ctx context.Context, p *account.Principal, idOrSlug string, f *survey.Filter) (ResultsView, error) {
	var pr procedure.Procedure
	var sv survey.Survey
	var staff bool
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		if pr, err = load(ctx, r, p, idOrSlug); err != nil {
			return err
		}
		if sv, err = r.Surveys.Get(ctx, pr.ID); err != nil {
			return err
		}
		staff = isStaff(p, &pr)
		if !staff && sv.ResultsPublishedAt.IsZero() {
			return survey.ErrNotPublished
		}
		if f != nil {
			q := sv.Questionnaire.Question(f.Question)
			if q == nil || !q.Kind.Choice() || !q.HasOption(f.Choice) {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "filter", Code: "survey.filter_invalid"}}}
			}
		}
		return nil
	})
	if err != nil {
		return ResultsView{}, fmt.Errorf("survey results: %w", err)
	}
	if staff {
		out, err := s.results(ctx, &pr, &sv, f, true)
		if err != nil {
			return ResultsView{}, fmt.Errorf("survey results: %w", err)
		}
		return out, nil
	}
	key := resultsKey{survey: pr.ID, published: sv.ResultsPublishedAt}
	if f != nil {
		key.filter = *f
	}
	out, err := s.public.get(ctx, key, s.now(), func(ctx context.Context) (ResultsView, error) {
		return s.results(ctx, &pr, &sv, f, false)
	})
	if err != nil {
		return ResultsView{}, fmt.Errorf("survey results: %w", err)
	}
	return out, nil
}

// results aggregates the answers in the database: for staff with the free
// texts, for the public with small groups hidden.
func (s *Service) results(ctx context.Context, pr *procedure.Procedure, sv *survey.Survey, f *survey.Filter, staff bool) (ResultsView, error) {
	var out ResultsView
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		t, err := r.Surveys.Tally(ctx, &sv.Questionnaire, pr.ID, f, staff)
		if err != nil {
			return err
		}
		if f != nil && !staff {
			// The unfiltered results minus the group's are the results of
			// the other responses; Build hides the group if they are few.
			if t.All, err = r.Surveys.CountResponses(ctx, pr.ID); err != nil {
				return err
			}
		}
		out = ResultsView{Results: survey.Build(&sv.Questionnaire, t, sv.Settings.Threshold, !staff), Staff: staff,
			PublishedAt: sv.ResultsPublishedAt}
		out.Filter = f
		return nil
	})
	return out, err
}

// PublishResults makes the results public (publish) or takes them back.
func (s *Service) PublishResults(ctx context.Context, p account.Principal, procID uuid.UUID, publish bool) (time.Time, error) {
	var at time.Time
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, procID, p.CanEditProcedures)
		if err != nil {
			return err
		}
		if pr.IsDraft() {
			return survey.ErrProcedureDraft // a draft has no responses to publish
		}
		if _, err := r.Surveys.Get(ctx, pr.ID); err != nil {
			return err
		}
		if publish {
			at = s.now().UTC()
		}
		if err := r.Surveys.SetResultsPublished(ctx, pr.ID, at); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "survey.results_publish", "procedure", pr.ID.String(), map[string]any{"published": publish})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("publish survey results: %w", err)
	}
	return at, nil
}
