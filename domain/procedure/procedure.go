// Package procedure models participation procedures (Beteiligungsverfahren): their
// type, schedule of phases in Europe/Berlin calendar days, the legal rules of the
// schedule, and the lifecycle whose status is derived from the schedule and the
// agency's actions at the moment of asking.
package procedure

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

// Lifecycle errors: the action does not fit where the procedure stands.
var (
	ErrNotFound       = domain.NewRule(domain.ErrNotFound, "procedure.not_found")
	ErrNotDraft       = domain.NewRule(domain.ErrConflict, "procedure.not_draft")
	ErrNotOpen        = domain.NewRule(domain.ErrConflict, "procedure.not_open")
	ErrNotEvaluation  = domain.NewRule(domain.ErrConflict, "procedure.not_evaluation")
	ErrNotConcluded   = domain.NewRule(domain.ErrConflict, "procedure.not_concluded")
	ErrFinished       = domain.NewRule(domain.ErrConflict, "procedure.finished")
	ErrClosedEarly    = domain.NewRule(domain.ErrConflict, "procedure.closed_early")
	ErrPhaseNotFound  = domain.NewRule(domain.ErrNotFound, "procedure.phase_not_found")
	ErrSlugTaken      = domain.NewRule(domain.ErrConflict, "procedure.slug_taken")
	ErrVersionChanged = domain.NewRule(domain.ErrConflict, "procedure.version_changed")
	// ErrLastPhase refuses to remove the only phase of a published procedure:
	// without a phase it would stay announced for ever.
	ErrLastPhase = domain.NewRule(domain.ErrConflict, "procedure.last_phase")
)

// Contact is who answers questions about the procedure.
type Contact struct {
	Name    string
	Email   string
	Phone   string
	Address string
}

// Phase is one participation step with its audience and period.
type Phase struct {
	ID       uuid.UUID
	Kind     PhaseKind
	Audience Audience
	Title    string
	Period   Period
	// AnnouncedOn is the day of the official announcement (ortsübliche
	// Bekanntmachung); a land-use plan's publication must be announced before it starts.
	AnnouncedOn Date
	// InvitedBodies are the public bodies (organisations) invited to an invited phase.
	InvitedBodies []uuid.UUID
}

// PeriodChange records a change to a started phase's end: when, by whom, why.
type PeriodChange struct {
	PhaseID uuid.UUID
	OldEnd  Date
	NewEnd  Date
	Reason  string
	By      uuid.UUID
	At      time.Time
}

// FieldRule says whether statements must, may or must not carry a piece of
// the submitter's personal data.
type FieldRule string

// Field rules.
const (
	FieldRequired FieldRule = "required"
	FieldOptional FieldRule = "optional"
	FieldNotAsked FieldRule = "not_asked"
)

// Valid reports whether r is known.
func (r FieldRule) Valid() bool {
	return r == FieldRequired || r == FieldOptional || r == FieldNotAsked
}

// StatementFields is what a procedure asks of people who submit statements.
// Asking less protects privacy; an address is needed to tell submitters the
// outcome by letter.
type StatementFields struct {
	Name, Address, Email FieldRule
}

// DefaultStatementFields asks for everything and requires nothing.
func DefaultStatementFields() StatementFields {
	return StatementFields{Name: FieldOptional, Address: FieldOptional, Email: FieldOptional}
}

// Procedure is a participation procedure run by one organisation.
type Procedure struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	Slug           string
	Type           Type
	Subtype        Subtype
	Title          string
	Summary        string
	Description    string // Markdown; rendered without raw HTML
	LegalBasis     string
	Contact        Contact
	AGS            string
	AreaGeoJSON    []byte // validated GeoJSON geometry in WGS84, or nil
	// StatementFields: which personal data statements carry.
	StatementFields StatementFields

	Phases        []Phase
	PeriodChanges []PeriodChange

	PublishedAt  time.Time
	ClosedAt     time.Time // closed early by the agency
	ClosedReason string
	ConcludedAt  time.Time
	Result       string
	ArchivedAt   time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
}

// Text limits.
const (
	maxTitle       = 300
	maxSummary     = 1000
	maxDescription = 100_000
	maxLegalBasis  = 2000
	maxShort       = 300
	maxReason      = 2000
	maxResult      = 100_000
)

// Input is what an agency writes about a procedure.
type Input struct {
	Type        Type
	Subtype     Subtype
	Slug        string // empty: derived from the title
	Title       string
	Summary     string
	Description string
	LegalBasis  string
	Contact     Contact
	AGS         string
	AreaGeoJSON []byte // already validated by the caller (domain/geo)
	// StatementFields: the zero value keeps the current setting (the default
	// for a new procedure).
	StatementFields StatementFields
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// rawHTML finds tags and javascript: links, which descriptions must not contain:
// they are Markdown, and the portal shows them to everyone.
var rawHTML = regexp.MustCompile(`(?i)<\s*/?\s*[a-z!?]|javascript\s*:|vbscript\s*:|data\s*:\s*text/html`)

func (in Input) validate() error {
	var v domain.ValidationError
	if !in.Type.Valid() {
		v.Add("type", "procedure.type_invalid")
	} else if !in.Type.Allows(in.Subtype) {
		v.Add("subtype", "procedure.subtype_invalid")
	}
	text := func(field, val string, max int, required bool) {
		switch {
		case required && strings.TrimSpace(val) == "":
			v.Add(field, "required")
		case utf8.RuneCountInString(val) > max:
			v.Add(field, "too_long")
		}
	}
	text("title", in.Title, maxTitle, true)
	text("summary", in.Summary, maxSummary, true)
	text("description", in.Description, maxDescription, false)
	text("legal_basis", in.LegalBasis, maxLegalBasis, false)
	text("contact.name", in.Contact.Name, maxShort, false)
	text("contact.phone", in.Contact.Phone, maxShort, false)
	text("contact.address", in.Contact.Address, maxShort, false)
	for field, val := range map[string]string{"title": in.Title, "summary": in.Summary, "description": in.Description, "legal_basis": in.LegalBasis} {
		if rawHTML.MatchString(val) {
			v.Add(field, "procedure.html_not_allowed")
		}
	}
	if e := strings.TrimSpace(in.Contact.Email); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			v.Add("contact.email", "email")
		}
	}
	switch {
	case in.Slug == "":
	case !slugPattern.MatchString(in.Slug) || len(in.Slug) > 80:
		v.Add("slug", "procedure.slug_invalid")
	case isUUID(in.Slug):
		// GET /procedures/{id or slug} reads it as an ID and would never find it.
		v.Add("slug", "procedure.slug_uuid")
	}
	if f := in.StatementFields; f != (StatementFields{}) {
		for name, r := range map[string]FieldRule{"name": f.Name, "address": f.Address, "email": f.Email} {
			if !r.Valid() {
				v.Add("statement_fields."+name, "procedure.field_rule_invalid")
			}
		}
	}
	if in.AGS != "" && !regexp.MustCompile(`^[0-9]{8}$`).MatchString(in.AGS) {
		v.Add("ags", "organisation.ags_invalid")
	}
	return v.Err()
}

// New creates a draft procedure of organisation org.
func New(id, org uuid.UUID, in Input, now time.Time) (Procedure, error) {
	if err := in.validate(); err != nil {
		return Procedure{}, err
	}
	p := Procedure{ID: id, OrganisationID: org, CreatedAt: now.UTC(), Version: 1}
	p.apply(in)
	if p.Slug == "" {
		p.Slug = Slugify(p.Title, id)
	}
	p.UpdatedAt = p.CreatedAt
	return p, nil
}

// Edit changes the procedure's texts. Type and subtype can change only in a draft;
// texts stay editable while it runs (typos happen), and every edit is audited.
func (p *Procedure) Edit(in Input, now time.Time) error {
	if p.finished(now) {
		return ErrFinished
	}
	if err := in.validate(); err != nil {
		return err
	}
	if !p.IsDraft() && (in.Type != p.Type || in.Subtype != p.Subtype || (in.Slug != "" && in.Slug != p.Slug)) {
		return ErrNotDraft
	}
	slug := p.Slug
	p.apply(in)
	if p.Slug == "" {
		p.Slug = slug
	}
	p.touch(now)
	return nil
}

func (p *Procedure) apply(in Input) {
	p.Type, p.Subtype, p.Slug = in.Type, in.Subtype, in.Slug
	p.Title, p.Summary = strings.TrimSpace(in.Title), strings.TrimSpace(in.Summary)
	p.Description, p.LegalBasis = strings.TrimSpace(in.Description), strings.TrimSpace(in.LegalBasis)
	p.Contact = Contact{Name: strings.TrimSpace(in.Contact.Name), Email: strings.TrimSpace(in.Contact.Email),
		Phone: strings.TrimSpace(in.Contact.Phone), Address: strings.TrimSpace(in.Contact.Address)}
	p.AGS, p.AreaGeoJSON = in.AGS, in.AreaGeoJSON
	if in.StatementFields != (StatementFields{}) {
		p.StatementFields = in.StatementFields
	} else if p.StatementFields == (StatementFields{}) {
		p.StatementFields = DefaultStatementFields()
	}
}

func (p *Procedure) touch(now time.Time) {
	p.UpdatedAt = now.UTC()
	p.Version++
}

// IsDraft reports whether the procedure has not been published.
func (p *Procedure) IsDraft() bool { return p.PublishedAt.IsZero() }

func (p *Procedure) finished(now time.Time) bool {
	s := p.Status(now)
	return s == StatusConcluded || s == StatusArchived
}

// Slugify makes a URL name from a title: lower case, umlauts transcribed, words
// joined by hyphens, with a short suffix of the ID so that it is unique.
func Slugify(title string, id uuid.UUID) string {
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "ae", "Ö", "oe", "Ü", "ue")
	s := strings.ToLower(r.Replace(title))
	var b strings.Builder
	dash := false
	for _, c := range s {
		if b.Len() >= 60 {
			break // room for the suffix within the 80 characters a slug may have
		}
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	base := strings.Trim(b.String(), "-")
	suffix := strings.ReplaceAll(id.String(), "-", "")
	suffix = suffix[len(suffix)-6:]
	if base == "" {
		return "verfahren-" + suffix
	}
	// The six-character suffix keeps the slug from having a UUID's shape (it
	// would be read as an ID); the guard keeps that true should the suffix change.
	if s := base + "-" + suffix; !isUUID(s) {
		return s
	}
	return "verfahren-" + base + "-" + suffix
}

// isUUID reports whether s would be read as a procedure's ID rather than its slug.
func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}

// Status derives where the procedure stands at now: drafts are draft; then the
// agency's explicit acts (archived, concluded, closed early) win; otherwise the
// schedule decides: open while a phase runs, announced while one is still to
// come, evaluation when all have ended.
func (p *Procedure) Status(now time.Time) Status {
	switch {
	case p.IsDraft():
		return StatusDraft
	case !p.ArchivedAt.IsZero():
		return StatusArchived
	case !p.ConcludedAt.IsZero():
		return StatusConcluded
	case !p.ClosedAt.IsZero() && !now.Before(p.ClosedAt):
		return StatusEvaluation
	}
	upcoming := false
	for _, ph := range p.Phases {
		if ph.Period.Contains(now) {
			return StatusOpen
		}
		if now.Before(ph.Period.Start.Start()) {
			upcoming = true
		}
	}
	if upcoming || len(p.Phases) == 0 {
		return StatusAnnounced
	}
	return StatusEvaluation
}

// OpenPhases returns the phases that accept contributions at now.
func (p *Procedure) OpenPhases(now time.Time) []Phase {
	if p.Status(now) != StatusOpen {
		return nil
	}
	var out []Phase
	for _, ph := range p.Phases {
		if ph.Period.Contains(now) {
			out = append(out, ph)
		}
	}
	return out
}

// NextDeadline returns the earliest end of a running phase, or of the next phase,
// for sorting the catalogue by deadline; zero when there is none or participation
// is over.
func (p *Procedure) NextDeadline(now time.Time) Date {
	var best Date
	if !p.ClosedAt.IsZero() || !p.ConcludedAt.IsZero() || !p.ArchivedAt.IsZero() {
		return best // participation is over
	}
	for _, ph := range p.Phases {
		if ph.Period.OpenEnded() || !now.Before(ph.Period.End.End()) {
			continue
		}
		if best.IsZero() || ph.Period.End.Before(best) {
			best = ph.Period.End
		}
	}
	return best
}

// Publish makes the draft public after checking the whole schedule.
func (p *Procedure) Publish(now time.Time) error {
	if !p.IsDraft() {
		return ErrNotDraft
	}
	if len(p.Phases) == 0 {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "phases", Code: "procedure.no_phases"}}}
	}
	if err := p.checkSchedule(p.Phases); err != nil {
		return err
	}
	p.PublishedAt = now.UTC()
	p.touch(now)
	return nil
}

// CloseEarly ends participation before the schedule says, for a stated reason.
func (p *Procedure) CloseEarly(reason string, now time.Time) error {
	if p.Status(now) != StatusOpen {
		return ErrNotOpen
	}
	if err := requireReason(reason); err != nil {
		return err
	}
	p.ClosedAt, p.ClosedReason = now.UTC(), strings.TrimSpace(reason)
	p.touch(now)
	return nil
}

// Conclude publishes the result once participation is over.
func (p *Procedure) Conclude(result string, now time.Time) error {
	if p.Status(now) != StatusEvaluation {
		return ErrNotEvaluation
	}
	var v domain.ValidationError
	switch {
	case strings.TrimSpace(result) == "":
		v.Add("result", "required")
	case utf8.RuneCountInString(result) > maxResult:
		v.Add("result", "too_long")
	case rawHTML.MatchString(result):
		v.Add("result", "procedure.html_not_allowed")
	}
	if err := v.Err(); err != nil {
		return err
	}
	p.ConcludedAt, p.Result = now.UTC(), strings.TrimSpace(result)
	p.touch(now)
	return nil
}

// Archive takes a concluded procedure out of the current catalogue.
func (p *Procedure) Archive(now time.Time) error {
	if p.Status(now) != StatusConcluded {
		return ErrNotConcluded
	}
	p.ArchivedAt = now.UTC()
	p.touch(now)
	return nil
}

// CanDelete reports whether the procedure may be deleted: only drafts, which
// nobody outside the agency has seen.
func (p *Procedure) CanDelete() error {
	if !p.IsDraft() {
		return ErrNotDraft
	}
	return nil
}

func requireReason(reason string) error {
	r := strings.TrimSpace(reason)
	switch {
	case r == "":
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "reason", Code: "procedure.reason_required"}}}
	case utf8.RuneCountInString(r) > maxReason:
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "reason", Code: "too_long"}}}
	}
	return nil
}

func phaseField(i int, name string) string { return fmt.Sprintf("phases[%d].%s", i, name) }
