// Package statement models statements (Stellungnahmen) on participation
// procedures: who may submit one when, what it must contain, its receipt
// (number, digest, time) that proves it arrived unchanged, and its weighing
// (Abwägung) by the agency.
package statement

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/procedure"
)

// Errors of submission.
var (
	ErrNotFound        = domain.NewRule(domain.ErrNotFound, "statement.not_found")
	ErrNoOpenPhase     = domain.NewRule(domain.ErrClosed, "statement.no_open_phase")
	ErrNotInvited      = domain.NewRule(domain.ErrForbidden, "statement.not_invited")
	ErrInvitedOnly     = domain.NewRule(domain.ErrForbidden, "statement.invited_only")
	ErrPhaseNotOpen    = domain.NewRule(domain.ErrClosed, "statement.phase_not_open")
	ErrWithdrawn       = domain.NewRule(domain.ErrConflict, "statement.withdrawn")
	ErrWithdrawClosed  = domain.NewRule(domain.ErrClosed, "statement.withdraw_closed")
	ErrKeyReused       = domain.NewRule(domain.ErrConflict, "statement.idempotency_key_reused")
	ErrReceiptInvalid  = domain.NewRule(domain.ErrNotFound, "statement.receipt_invalid")
	ErrNotAccepting    = domain.NewRule(domain.ErrClosed, "statement.not_accepting")
	ErrAttachmentType  = domain.NewRule(domain.ErrInvalid, "statement.attachment_type")
	ErrAttachmentLarge = domain.NewRule(domain.ErrInvalid, "statement.attachment_too_large")
	ErrTooManyFiles    = domain.NewRule(domain.ErrInvalid, "statement.too_many_attachments")
)

// Channel is how a statement reached the agency.
type Channel string

// Channels. Only online statements are submitted by their authors through the
// portal; staff record the others.
const (
	ChannelOnline   Channel = "online"
	ChannelLetter   Channel = "letter"
	ChannelEmail    Channel = "email"
	ChannelFax      Channel = "fax"
	ChannelInPerson Channel = "in_person"
)

// Valid reports whether c is known.
func (c Channel) Valid() bool {
	switch c {
	case ChannelOnline, ChannelLetter, ChannelEmail, ChannelFax, ChannelInPerson:
		return true
	}
	return false
}

// SubmitterKind says who speaks: a member of the public or a public body.
type SubmitterKind string

// Submitter kinds.
const (
	SubmitterCitizen    SubmitterKind = "citizen"
	SubmitterPublicBody SubmitterKind = "public_body"
)

// Submitter is the personal data a statement carries; which fields are asked
// for is the procedure's choice (procedure.StatementFields).
type Submitter struct {
	Name    string
	Address string // postal address, several lines
	Email   string
}

// Attachment is a file sent with a statement; its bytes are in the file store.
type Attachment struct {
	ID          uuid.UUID
	FileName    string
	ContentType string
	Size        int64
	SHA256      string
	StorageKey  string
}

// AttachmentTypes are the media types a statement may carry: PDF, photos and
// office files. HEIC photos from phones are accepted as they are.
var AttachmentTypes = map[string]bool{
	"application/pdf": true, "image/jpeg": true, "image/png": true, "image/webp": true, "image/heic": true, "image/heif": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": true,
	"application/vnd.oasis.opendocument.text":                                 true,
	"application/msword": true,
}

// AttachmentLimits bound a statement's files.
type AttachmentLimits struct {
	MaxCount int
	MaxSize  int64 // per file
}

// CheckAttachment validates one attachment before its bytes are stored.
func CheckAttachment(a Attachment, index int, limits AttachmentLimits) error {
	switch {
	case index >= limits.MaxCount:
		return ErrTooManyFiles
	case a.Size <= 0:
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: attachmentField(index), Code: "document.empty"}}}
	case a.Size > limits.MaxSize:
		return ErrAttachmentLarge
	case !AttachmentTypes[a.ContentType]:
		return ErrAttachmentType
	}
	return nil
}

func attachmentField(i int) string { return "attachments[" + strconv.Itoa(i) + "]" }

// Status is where the weighing of a statement stands.
type Status string

// Statuses in their order. result_sent: the submitter was told the outcome
// (§3 Abs. 2 Satz 4 BauGB).
const (
	StatusReceived   Status = "received"
	StatusInReview   Status = "in_review"
	StatusWeighed    Status = "weighed"
	StatusResultSent Status = "result_sent"
)

// Decision is the outcome of weighing, with the meanings of the XBeteiligung
// code list.
type Decision string

// Decisions.
const (
	DecisionFollowed        Decision = "followed"         // berücksichtigt
	DecisionAlreadyFollowed Decision = "already_followed" // bereits berücksichtigt
	DecisionNotFollowed     Decision = "not_followed"     // nicht berücksichtigt
	DecisionNoted           Decision = "noted"            // zur Kenntnis genommen
)

// Valid reports whether d is known (the empty decision is "not yet").
func (d Decision) Valid() bool {
	switch d {
	case "", DecisionFollowed, DecisionAlreadyFollowed, DecisionNotFollowed, DecisionNoted:
		return true
	}
	return false
}

// Statement is one statement as received, and its weighing.
type Statement struct {
	ID          uuid.UUID
	ProcedureID uuid.UUID
	PhaseID     uuid.UUID
	Number      string // receipt number
	Seq         int
	Channel     Channel
	Kind        SubmitterKind
	OnBehalfOf  uuid.UUID // the public body, for SubmitterPublicBody
	AccountID   uuid.UUID // the signed-in author or the recording staff member; may be nil
	Submitter   Submitter
	Text        string
	DocumentID  uuid.UUID
	Section     string // page or section of the document
	Location    *geo.Point
	// OutsideArea: the location lies outside the procedure's area (allowed,
	// shown as a warning).
	OutsideArea    bool
	PrivacyVersion string
	Attachments    []Attachment
	Digest         string
	ReceivedAt     time.Time
	Timely         bool
	WithdrawnAt    time.Time

	Status   Status
	Topics   []string
	Answer   string
	Decision Decision
	Priority string // "A", "B" or ""
	GroupID  uuid.UUID
	Version  int
}

// Text limits.
const (
	MinText     = 1
	MaxText     = 50_000
	maxName     = 200
	maxAddress  = 500
	maxSection  = 200
	MaxTopics   = 20
	maxTopic    = 100
	maxAnswer   = 20_000
	maxEmailLen = 254
)

// Input is what a submitter sends, after the attachments were stored.
type Input struct {
	PhaseID        uuid.UUID // optional: the phase meant
	OnBehalfOf     uuid.UUID // a public body the author speaks for
	Text           string
	DocumentID     uuid.UUID
	Section        string
	Location       *geo.Point
	Submitter      Submitter
	PrivacyVersion string
	Attachments    []Attachment
}

// Author is who submits: nobody in particular (anonymous), or a signed-in
// staff member with the public bodies they may speak for.
type Author struct {
	AccountID uuid.UUID
	// Bodies are the organisations the author may submit for (their
	// memberships with an editing role).
	Bodies []uuid.UUID
}

func validText(v *domain.ValidationError, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "required")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "too_long")
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		v.Add(field, "statement.text_invalid")
	}
}

// Validate checks the input against the procedure's settings.
func (in Input) Validate(fields procedure.StatementFields, privacyVersion string, docs []procedure.Document) error {
	var v domain.ValidationError
	validText(&v, "text", in.Text, MaxText, true)
	validText(&v, "section", in.Section, maxSection, false)
	check := func(field, val string, rule procedure.FieldRule, max int) {
		switch {
		case rule == procedure.FieldNotAsked && strings.TrimSpace(val) != "":
			v.Add(field, "statement.field_not_asked")
		case rule == procedure.FieldRequired && strings.TrimSpace(val) == "":
			v.Add(field, "required")
		default:
			validText(&v, field, val, max, false)
		}
	}
	check("submitter.name", in.Submitter.Name, fields.Name, maxName)
	check("submitter.address", in.Submitter.Address, fields.Address, maxAddress)
	check("submitter.email", in.Submitter.Email, fields.Email, maxEmailLen)
	if e := strings.TrimSpace(in.Submitter.Email); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			v.Add("submitter.email", "email")
		}
	}
	if in.PrivacyVersion != privacyVersion {
		v.Add("privacy_consent", "statement.privacy_consent")
	}
	if in.DocumentID != uuid.Nil {
		found := false
		for _, d := range docs {
			found = found || d.ID == in.DocumentID
		}
		if !found {
			v.Add("document_id", "statement.document_unknown")
		}
	} else if strings.TrimSpace(in.Section) != "" {
		v.Add("section", "statement.section_without_document")
	}
	return v.Err()
}

// ChoosePhase finds the phase a submission goes to at now: the named one or
// the open one of the author's audience. Public phases take anyone's
// statement; invited phases only a staff member's on behalf of an invited
// body they belong to.
func ChoosePhase(p *procedure.Procedure, in Input, a Author, now time.Time) (procedure.Phase, SubmitterKind, error) {
	if p.IsDraft() {
		return procedure.Phase{}, "", procedure.ErrNotFound
	}
	open := p.OpenPhases(now)
	if in.PhaseID != uuid.Nil {
		for _, ph := range p.Phases {
			if ph.ID != in.PhaseID {
				continue
			}
			if !ph.Period.Contains(now) || len(open) == 0 {
				return procedure.Phase{}, "", ErrPhaseNotOpen
			}
			return admit(ph, in, a)
		}
		return procedure.Phase{}, "", &domain.ValidationError{Fields: []domain.FieldError{{Field: "phase_id", Code: "procedure.phase_not_found"}}}
	}
	if len(open) == 0 {
		return procedure.Phase{}, "", ErrNoOpenPhase
	}
	var invited *procedure.Phase
	for i, ph := range open {
		if ph.Audience == procedure.AudiencePublic && in.OnBehalfOf == uuid.Nil {
			return admit(ph, in, a)
		}
		if ph.Audience == procedure.AudienceInvited && invited == nil {
			invited = &open[i]
		}
	}
	if invited != nil {
		return admit(*invited, in, a)
	}
	// Only public phases are open, but the author named a body.
	return admit(open[0], in, a)
}

func admit(ph procedure.Phase, in Input, a Author) (procedure.Phase, SubmitterKind, error) {
	if ph.Audience == procedure.AudiencePublic {
		if in.OnBehalfOf != uuid.Nil {
			// Public bodies speak in their own phases; in a public one a
			// statement is a citizen's.
			return procedure.Phase{}, "", &domain.ValidationError{Fields: []domain.FieldError{{Field: "on_behalf_of", Code: "statement.on_behalf_public_phase"}}}
		}
		return ph, SubmitterCitizen, nil
	}
	if a.AccountID == uuid.Nil || in.OnBehalfOf == uuid.Nil {
		return procedure.Phase{}, "", ErrInvitedOnly
	}
	member, invited := false, false
	for _, b := range a.Bodies {
		member = member || b == in.OnBehalfOf
	}
	for _, b := range ph.InvitedBodies {
		invited = invited || b == in.OnBehalfOf
	}
	if !member || !invited {
		return procedure.Phase{}, "", ErrNotInvited
	}
	return ph, SubmitterPublicBody, nil
}

// TimelyAt reports whether an instant of receipt lies within the phase's
// period (Europe/Berlin days, the last one inclusive) and before an early close.
func TimelyAt(p *procedure.Procedure, ph procedure.Phase, at time.Time) bool {
	if !p.ClosedAt.IsZero() && !at.Before(p.ClosedAt) {
		return false
	}
	return ph.Period.Contains(at)
}

// CanWithdraw: a submitter may withdraw while the statement's phase is open.
func (s *Statement) CanWithdraw(p *procedure.Procedure, now time.Time) error {
	if !s.WithdrawnAt.IsZero() {
		return ErrWithdrawn
	}
	for _, ph := range p.OpenPhases(now) {
		if ph.ID == s.PhaseID {
			return nil
		}
	}
	return ErrWithdrawClosed
}

// ErrVersionChanged: someone else changed the statement since it was read.
var ErrVersionChanged = domain.NewRule(domain.ErrConflict, "statement.version_changed")

// ErrProcedureChanged: the procedure changed since the statement was checked
// against it (the submission checks it again against the new version).
var ErrProcedureChanged = domain.NewRule(domain.ErrConflict, "statement.procedure_changed")

// Filter selects statements of a procedure for the agency.
type Filter struct {
	ProcedureID    uuid.UUID
	PhaseID        uuid.UUID
	Status         Status
	Topic          string
	Kind           SubmitterKind
	Channel        Channel
	GroupID        uuid.UUID
	HasAttachments *bool
	Timely         *bool
	Withdrawn      *bool
	Text           string
	AfterSeq       int
	Limit          int
}

// Page is a page of statements in receipt order.
type Page struct {
	Items      []Statement
	NextCursor string
}
