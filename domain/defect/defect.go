// Package defect holds the rules of defect reports (Mängelmeldungen): the
// categories an agency offers, what a report must contain, where it may lie,
// and the workflow an agency moves it through.
package defect

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/geo"
)

// Errors of defect reports; each wraps a domain category.
var (
	ErrNotFound         = domain.NewRule(domain.ErrNotFound, "defect.not_found")
	ErrCategoryNotFound = domain.NewRule(domain.ErrNotFound, "defect.category_not_found")
	ErrNotDefectProc    = domain.NewRule(domain.ErrNotFound, "defect.procedure_not_defect_reporting")
	ErrClosed           = domain.NewRule(domain.ErrClosed, "defect.procedure_closed")
	ErrTransition       = domain.NewRule(domain.ErrConflict, "defect.transition_not_allowed")
	ErrStale            = domain.NewRule(domain.ErrConflict, "defect.version_conflict")
	ErrAlreadySupported = domain.NewRule(domain.ErrConflict, "defect.already_supported")
	ErrOwnSupport       = domain.NewRule(domain.ErrConflict, "defect.support_closed")
	ErrKeyReused        = domain.NewRule(domain.ErrConflict, "defect.idempotency_key_reused")
	ErrCodeTaken        = domain.NewRule(domain.ErrConflict, "defect.category_code_taken")
	ErrForbidden        = domain.NewRule(domain.ErrForbidden, "defect.forbidden")
	ErrHEIC             = domain.NewRule(domain.ErrInvalid, "defect.photo_heic_unsupported")
	ErrTokenInvalid     = domain.NewRule(domain.ErrNotFound, "defect.token_invalid")
	// ErrBadCursor is a cursor that was not issued for this list.
	ErrBadCursor = domain.NewRule(domain.ErrInvalid, "defect.cursor_invalid")
)

// Limits of report texts.
const (
	MinDescription = 10
	MaxDescription = 4000 // as Open311 GeoReport v2 limits it
	MaxAddress     = 300
	MaxComment     = 4000
	MaxReason      = 500
	MaxEmail       = 254
)

// Status is where a report stands in the agency's workflow.
type Status string

// Statuses of a report.
const (
	StatusNew          Status = "new"
	StatusAcknowledged Status = "acknowledged"
	StatusInProgress   Status = "in_progress"
	StatusResolved     Status = "resolved"
	StatusRejected     Status = "rejected"
	StatusDuplicate    Status = "duplicate"
	StatusForwarded    Status = "forwarded"
)

// Statuses lists every status.
var Statuses = []Status{StatusNew, StatusAcknowledged, StatusInProgress, StatusResolved, StatusRejected, StatusDuplicate, StatusForwarded}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Closed reports whether s ends the work on a report; Open311 calls it
// "closed", every other status "open".
func (s Status) Closed() bool {
	return s == StatusResolved || s == StatusRejected || s == StatusDuplicate
}

// transitions: which status may follow which. Closed reports stay closed; a
// forwarded report is worked on by the organisation it went to.
var transitions = map[Status][]Status{
	StatusNew:          {StatusAcknowledged, StatusInProgress, StatusRejected, StatusDuplicate, StatusForwarded},
	StatusAcknowledged: {StatusInProgress, StatusResolved, StatusRejected, StatusDuplicate, StatusForwarded},
	StatusInProgress:   {StatusResolved, StatusRejected, StatusForwarded},
	StatusForwarded:    {StatusAcknowledged, StatusInProgress, StatusResolved, StatusRejected, StatusDuplicate, StatusForwarded},
}

// CanFollow reports whether a report in status from may move to to.
func CanFollow(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Category is a kind of defect a procedure takes reports for; Code is its
// Open311 service_code, unique in the instance.
type Category struct {
	ID          uuid.UUID
	ProcedureID uuid.UUID
	Code        string
	Name        string
	Description string
	Group       string
	Unit        string // the organisational unit that handles it (internal)
	Keywords    string
	Active      bool
	Position    int
	CreatedAt   time.Time
}

// CategoryInput is what an agency enters for a category.
type CategoryInput struct {
	Code        string
	Name        string
	Description string
	Group       string
	Unit        string
	Keywords    string
	Active      bool
	Position    int
}

// Validate checks a category's fields.
func (in CategoryInput) Validate() error {
	var v domain.ValidationError
	if !validCode(in.Code) {
		v.Add("code", "defect.category_code_invalid")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Name)); n == 0 || n > 200 {
		v.Add("name", "defect.category_name_invalid")
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		v.Add("description", "defect.too_long")
	}
	for f, s := range map[string]string{"group": in.Group, "unit": in.Unit, "keywords": in.Keywords} {
		if utf8.RuneCountInString(s) > 300 {
			v.Add(f, "defect.too_long")
		}
	}
	return v.Err()
}

// validCode: 1 to 40 of a-z, 0-9, "-" and "_", safe in an Open311 URL path.
func validCode(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Source tells how a report arrived.
type Source string

// Sources of reports.
const (
	SourceWeb     Source = "web"
	SourceOpen311 Source = "open311"
)

// Input is a report as a citizen sends it.
type Input struct {
	CategoryID   uuid.UUID // or CategoryCode
	CategoryCode string
	Description  string
	Location     *geo.Point
	Address      string
	Email        string
	MediaURL     string // Open311 only: a link to media elsewhere
}

// Validate checks the fields of a report. area is the procedure's area (zero
// when it has none): a location outside it is refused.
func (in Input) Validate(area geo.Area) error {
	var v domain.ValidationError
	n := utf8.RuneCountInString(strings.TrimSpace(in.Description))
	switch {
	case n == 0:
		v.Add("description", "defect.description_required")
	case n < MinDescription:
		v.Add("description", "defect.description_too_short")
	case n > MaxDescription:
		v.Add("description", "defect.description_too_long")
	}
	switch {
	case in.Location == nil:
		v.Add("location", "defect.location_required")
	case !area.IsZero() && area.Kind() != geo.KindPoint && !area.Contains(*in.Location):
		v.Add("location", "defect.location_outside_area")
	}
	if utf8.RuneCountInString(in.Address) > MaxAddress {
		v.Add("address", "defect.too_long")
	}
	if len(in.Email) > MaxEmail || (in.Email != "" && !plausibleEmail(in.Email)) {
		v.Add("email", "defect.email_invalid")
	}
	if in.MediaURL != "" && (len(in.MediaURL) > 2000 || !(strings.HasPrefix(in.MediaURL, "https://") || strings.HasPrefix(in.MediaURL, "http://"))) {
		v.Add("media_url", "defect.media_url_invalid")
	}
	// Texts are stored as PostgreSQL text, which holds neither NUL nor
	// invalid UTF-8 (the query would fail with a 500).
	for _, f := range []struct{ field, val string }{{"description", in.Description}, {"address", in.Address},
		{"email", in.Email}, {"media_url", in.MediaURL}} {
		if !storableText(f.val) && !slices.ContainsFunc(v.Fields, func(e domain.FieldError) bool { return e.Field == f.field }) {
			v.Add(f.field, "defect.text_invalid")
		}
	}
	return v.Err()
}

// storableText reports whether s is valid UTF-8 without NUL.
func storableText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func plausibleEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-3 && strings.Contains(s[at+1:], ".") && !strings.ContainsAny(s, " \t\r\n<>,;\"")
}

// Photo is a stored photo of a report: the cleaned image and its preview.
type Photo struct {
	ID           uuid.UUID
	Position     int
	ContentType  string
	Width        int
	Height       int
	Size         int64
	SHA256       string
	StorageKey   string
	PreviewKey   string
	PreviewType  string
	HiddenReason string // set when the agency hid it; staff still see it
}

// Hidden reports whether the public no longer sees the photo.
func (p Photo) Hidden() bool { return p.HiddenReason != "" }

// PhotoLimits bound the photos of one report.
type PhotoLimits struct {
	MaxCount  int
	MaxSize   int64 // bytes of one upload
	MaxPixels int   // width × height of one decoded image
}

// CheckPhotoCount refuses more photos than allowed.
func CheckPhotoCount(n int, l PhotoLimits) error {
	if n > l.MaxCount {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "photos", Code: "defect.too_many_photos"}}}
	}
	return nil
}

// Report is one defect report.
type Report struct {
	ID             uuid.UUID
	Number         int64
	PublicID       string
	ProcedureID    uuid.UUID
	OrganisationID uuid.UUID // the procedure's organisation
	CategoryID     uuid.UUID
	Description    string
	Location       geo.Point
	Address        string
	Email          string // never published
	MediaURL       string
	Status         Status
	StatusNotes    string // the latest public comment
	DuplicateOf    uuid.UUID
	ForwardedTo    uuid.UUID // organisation that handles it now, if forwarded
	TextHidden     string    // reason, when the description is hidden
	Supporters     int
	Source         Source
	ClientID       uuid.UUID // Open311 client that sent it
	Photos         []Photo
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int
}

// Responsible is the organisation that works on the report now.
func (r *Report) Responsible() uuid.UUID {
	if r.ForwardedTo != uuid.Nil {
		return r.ForwardedTo
	}
	return r.OrganisationID
}

// FormatPublicID turns a report's running number into its public ID.
func FormatPublicID(n int64) string { return fmt.Sprintf("%d", n) }

// Change is one step in the workflow.
type Change struct {
	To            Status
	PublicComment string
	InternalNote  string
	DuplicateOf   uuid.UUID // for StatusDuplicate
	ForwardTo     uuid.UUID // for StatusForwarded
	Version       int       // when not 0, the version the agency saw
}

// Event is one recorded status change.
type Event struct {
	ID            uuid.UUID
	ReportID      uuid.UUID
	At            time.Time
	ActorID       uuid.UUID
	From, To      Status
	PublicComment string
	InternalNote  string
	DuplicateOf   uuid.UUID
	ForwardedTo   uuid.UUID
}

// Apply moves r to c.To at now and returns the event to record. original is
// the report r duplicates (only for StatusDuplicate, else nil).
func (r *Report) Apply(c Change, original *Report, actor uuid.UUID, now time.Time) (Event, error) {
	var v domain.ValidationError
	if !c.To.Valid() {
		v.Add("status", "defect.status_invalid")
	}
	if utf8.RuneCountInString(c.PublicComment) > MaxComment {
		v.Add("public_comment", "defect.too_long")
	}
	if utf8.RuneCountInString(c.InternalNote) > MaxComment {
		v.Add("internal_note", "defect.too_long")
	}
	if (c.To == StatusRejected || c.To == StatusResolved) && strings.TrimSpace(c.PublicComment) == "" {
		v.Add("public_comment", "defect.comment_required")
	}
	if c.To == StatusDuplicate && c.DuplicateOf == uuid.Nil {
		v.Add("duplicate_of", "defect.duplicate_of_required")
	}
	if c.To == StatusForwarded && c.ForwardTo == uuid.Nil {
		v.Add("forward_to", "defect.forward_to_required")
	}
	if err := v.Err(); err != nil {
		return Event{}, err
	}
	if c.Version != 0 && c.Version != r.Version {
		return Event{}, ErrStale
	}
	if !CanFollow(r.Status, c.To) {
		return Event{}, ErrTransition
	}
	if c.To == StatusDuplicate {
		if original == nil || original.ID == r.ID || original.ProcedureID != r.ProcedureID || original.Status == StatusDuplicate {
			return Event{}, &domain.ValidationError{Fields: []domain.FieldError{{Field: "duplicate_of", Code: "defect.duplicate_of_invalid"}}}
		}
	}
	if c.To == StatusForwarded && c.ForwardTo == r.Responsible() {
		return Event{}, &domain.ValidationError{Fields: []domain.FieldError{{Field: "forward_to", Code: "defect.forward_to_invalid"}}}
	}
	ev := Event{ID: uuid.Must(uuid.NewV7()), ReportID: r.ID, At: now, ActorID: actor, From: r.Status, To: c.To,
		PublicComment: strings.TrimSpace(c.PublicComment), InternalNote: strings.TrimSpace(c.InternalNote)}
	r.Status = c.To
	if ev.PublicComment != "" {
		r.StatusNotes = ev.PublicComment
	}
	switch c.To {
	case StatusDuplicate:
		r.DuplicateOf, ev.DuplicateOf = original.ID, original.ID
	case StatusForwarded:
		r.ForwardedTo, ev.ForwardedTo = c.ForwardTo, c.ForwardTo
	}
	r.UpdatedAt = now
	r.Version++
	return ev, nil
}

// Moderation hides or shows a report's text and photos. A nil field is left
// as it is; an empty reason shows the item again.
type Moderation struct {
	TextReason *string
	Photos     map[uuid.UUID]string // photo ID → reason ("" shows it)
}

// Moderate applies m to r.
func (r *Report) Moderate(m Moderation, now time.Time) error {
	var v domain.ValidationError
	if m.TextReason != nil && utf8.RuneCountInString(*m.TextReason) > MaxReason {
		v.Add("text_hidden_reason", "defect.too_long")
	}
	for id, reason := range m.Photos {
		if utf8.RuneCountInString(reason) > MaxReason {
			v.Add("photos", "defect.too_long")
		}
		found := false
		for _, p := range r.Photos {
			found = found || p.ID == id
		}
		if !found {
			v.Add("photos", "defect.photo_not_found")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if m.TextReason != nil {
		r.TextHidden = strings.TrimSpace(*m.TextReason)
	}
	for i := range r.Photos {
		if reason, ok := m.Photos[r.Photos[i].ID]; ok {
			r.Photos[i].HiddenReason = strings.TrimSpace(reason)
		}
	}
	r.UpdatedAt = now
	r.Version++
	return nil
}

// Filter selects reports for the public list and Open311.
type Filter struct {
	ProcedureID  uuid.UUID   // zero: every procedure
	Organisation uuid.UUID   // staff list: reports the organisation runs or received
	IDs          []string    // public IDs
	CategoryIDs  []uuid.UUID // zero: all
	Statuses     []Status
	BBox         *geo.BBox
	From, To     time.Time // created at, zero: open
	Limit        int       // page size
	Cursor       string    // from the previous page of the same list; "" for the first
}

// Page is one page of a list of reports, the newest first.
type Page struct {
	Items      []Report
	NextCursor string // "" on the last page
}

// Client is a third-party application the instance admin allowed to post
// Open311 requests with an API key.
type Client struct {
	ID        uuid.UUID
	Name      string
	CreatedAt time.Time
	RevokedAt time.Time
}
