// Package dialog holds the rules of dialog procedures (Dialogverfahren):
// citizens contribute and reply in threads, support contributions, report
// what breaks the netiquette, and the agency's moderators keep the
// discussion in order and answer officially.
package dialog

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/geo"
)

// Errors of dialogs; each wraps a domain category.
var (
	ErrNotFound         = domain.NewRule(domain.ErrNotFound, "dialog.not_found")
	ErrNotDialog        = domain.NewRule(domain.ErrNotFound, "dialog.procedure_not_dialog")
	ErrClosed           = domain.NewRule(domain.ErrClosed, "dialog.closed")
	ErrThreadClosed     = domain.NewRule(domain.ErrClosed, "dialog.thread_closed")
	ErrNotPublished     = domain.NewRule(domain.ErrConflict, "dialog.not_published")
	ErrOwnSupport       = domain.NewRule(domain.ErrConflict, "dialog.own_support")
	ErrForbidden        = domain.NewRule(domain.ErrForbidden, "dialog.forbidden")
	ErrNotAuthor        = domain.NewRule(domain.ErrForbidden, "dialog.not_author")
	ErrAccountRequired  = domain.NewRule(domain.ErrUnauthenticated, "dialog.account_required")
	ErrParticipantToken = domain.NewRule(domain.ErrUnauthenticated, "dialog.participant_required")
	ErrTokenInvalid     = domain.NewRule(domain.ErrNotFound, "dialog.token_invalid")
	ErrModeration       = domain.NewRule(domain.ErrConflict, "dialog.moderation_not_allowed")
	ErrBadCursor        = domain.NewRule(domain.ErrInvalid, "dialog.cursor_invalid")
	ErrReportResolved   = domain.NewRule(domain.ErrConflict, "dialog.report_resolved")
)

// Limits of texts, threads and links.
const (
	MaxDepth      = 3 // a root is depth 0; replies go three levels deep
	MinTitle      = 3
	MaxTitle      = 150
	MinBody       = 10
	MinReply      = 2
	MaxBody       = 5000
	MaxReason     = 500
	MaxNetiquette = 20_000
	MaxSummary    = 50_000
	MaxTopics     = 30
	MaxTopicName  = 80
	MaxLinks      = 3
	MinPseudonym  = 3
	MaxPseudonym  = 40
	MaxEmail      = 254
	MaxNote       = 1000
)

// Identity is what a dialog asks of participants.
type Identity string

// Identities.
const (
	// IdentityAccount: only people signed in with an account take part.
	IdentityAccount Identity = "account"
	// IdentityEmail: a confirmed e-mail address is enough (double opt-in);
	// signed-in people take part too.
	IdentityEmail Identity = "email"
)

// Moderation says when contributions become public.
type Moderation string

// Moderation modes.
const (
	ModerationPre  Moderation = "pre"  // after a moderator approved it
	ModerationPost Moderation = "post" // at once; moderators act afterwards
)

// Topic is one of the agency's topics that a contribution may belong to.
type Topic struct {
	ID       uuid.UUID
	Name     string
	Position int
}

// Settings are the agency's choices for one dialog.
type Settings struct {
	ProcedureID uuid.UUID
	Identity    Identity
	Moderation  Moderation
	Netiquette  string
	Topics      []Topic
	// Summary is the agency's summary of the results, public once published.
	Summary            string
	SummaryPublishedAt time.Time
	UpdatedAt          time.Time
}

// DefaultSettings are those of a dialog the agency has not configured:
// confirmed e-mail, post-moderation, no topics.
func DefaultSettings(procID uuid.UUID) Settings {
	return Settings{ProcedureID: procID, Identity: IdentityEmail, Moderation: ModerationPost}
}

// SettingsInput is what the agency sends.
type SettingsInput struct {
	Identity   Identity
	Moderation Moderation
	Netiquette string
	// Topics by name in their order; existing names keep their IDs.
	Topics []string
}

// Apply checks in and applies it to s; topics that keep their name keep
// their ID, so contributions stay with them.
func (s *Settings) Apply(in SettingsInput, now time.Time) error {
	var v domain.ValidationError
	if in.Identity != IdentityAccount && in.Identity != IdentityEmail {
		v.Add("identity", "dialog.identity_invalid")
	}
	if in.Moderation != ModerationPre && in.Moderation != ModerationPost {
		v.Add("moderation", "dialog.moderation_invalid")
	}
	if utf8.RuneCountInString(in.Netiquette) > MaxNetiquette || !storable(in.Netiquette) {
		v.Add("netiquette", "dialog.too_long")
	}
	if len(in.Topics) > MaxTopics {
		v.Add("topics", "dialog.too_many_topics")
	}
	seen := map[string]bool{}
	for i, name := range in.Topics {
		name = strings.TrimSpace(name)
		key := strings.ToLower(name)
		switch {
		case name == "" || utf8.RuneCountInString(name) > MaxTopicName || !storable(name):
			v.Add(fmt.Sprintf("topics[%d]", i), "dialog.topic_invalid")
		case seen[key]:
			v.Add(fmt.Sprintf("topics[%d]", i), "dialog.topic_duplicate")
		}
		seen[key] = true
	}
	if err := v.Err(); err != nil {
		return err
	}
	old := map[string]uuid.UUID{}
	for _, t := range s.Topics {
		old[strings.ToLower(t.Name)] = t.ID
	}
	topics := make([]Topic, len(in.Topics))
	for i, name := range in.Topics {
		name = strings.TrimSpace(name)
		id, ok := old[strings.ToLower(name)]
		if !ok {
			id = uuid.Must(uuid.NewV7())
		}
		topics[i] = Topic{ID: id, Name: name, Position: i}
	}
	s.Identity, s.Moderation, s.Netiquette, s.Topics = in.Identity, in.Moderation, strings.TrimSpace(in.Netiquette), topics
	s.UpdatedAt = now
	return nil
}

// SetSummary sets the results' summary and publishes or withdraws it.
func (s *Settings) SetSummary(text string, publish bool, now time.Time) error {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > MaxSummary || !storable(text) {
		return field("summary", "dialog.too_long")
	}
	if publish && text == "" {
		return field("summary", "dialog.summary_required")
	}
	s.Summary = text
	switch {
	case !publish:
		s.SummaryPublishedAt = time.Time{}
	case s.SummaryPublishedAt.IsZero():
		s.SummaryPublishedAt = now
	}
	s.UpdatedAt = now
	return nil
}

// Topic returns the topic with the ID and whether there is one.
func (s *Settings) Topic(id uuid.UUID) (Topic, bool) {
	for _, t := range s.Topics {
		if t.ID == id {
			return t, true
		}
	}
	return Topic{}, false
}

// State is where a contribution stands.
type State string

// States of a contribution.
const (
	StatePending   State = "pending"   // waits for a moderator (pre-moderation)
	StatePublished State = "published" // public
	StateHidden    State = "hidden"    // hidden by moderation, shown as such
	StateDeleted   State = "deleted"   // deleted by its author, kept as a placeholder for its replies
)

// Participant is a person taking part in one dialog: through an account or a
// confirmed e-mail address. Others see only the pseudonym.
type Participant struct {
	ID          uuid.UUID
	ProcedureID uuid.UUID
	AccountID   uuid.UUID // zero for e-mail participants
	Pseudonym   string
	ConfirmedAt time.Time // zero until the e-mail address was confirmed
	CreatedAt   time.Time
}

// CheckPseudonym checks a chosen pseudonym: 3 to 40 letters, digits, spaces
// and ".-_", and never an e-mail address.
func CheckPseudonym(p string) error {
	n := utf8.RuneCountInString(p)
	if n < MinPseudonym || n > MaxPseudonym || strings.Contains(p, "@") {
		return field("pseudonym", "dialog.pseudonym_invalid")
	}
	for _, r := range p {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '.' || r == '-' || r == '_') {
			return field("pseudonym", "dialog.pseudonym_invalid")
		}
	}
	return nil
}

// CheckEmail checks an address for the double opt-in.
func CheckEmail(e string) error {
	at := strings.LastIndexByte(e, '@')
	if len(e) > MaxEmail || at <= 0 || at >= len(e)-3 || !strings.Contains(e[at+1:], ".") ||
		strings.ContainsAny(e, " \t\r\n<>,;\"") || !storable(e) {
		return field("email", "dialog.email_invalid")
	}
	return nil
}

// Attachment is the one file (a cleaned photo or a PDF) of a contribution.
type Attachment struct {
	ID          uuid.UUID
	FileName    string
	ContentType string
	Size        int64
	SHA256      string
	StorageKey  string
}

// Contribution is a thread's root (a contribution with a title) or a reply.
type Contribution struct {
	ID            uuid.UUID
	ProcedureID   uuid.UUID
	ParentID      uuid.UUID // zero for a root
	RootID        uuid.UUID // the thread's root; its own ID for a root
	Depth         int
	ParticipantID uuid.UUID // zero for an agency answer
	Pseudonym     string    // the participant's, as read
	// AgencyAuthor is the staff account that wrote an agency answer.
	AgencyAuthor uuid.UUID
	TopicID      uuid.UUID
	TopicName    string // as read
	Title        string
	Body         string
	Location     *geo.Point
	Attachment   *Attachment
	State        State
	HiddenReason string
	// Official marks the agency's official answer in a thread.
	Official     bool
	ClosedAt     time.Time // a closed thread takes no more replies (roots only)
	ClosedReason string
	Supporters   int
	Replies      int // published replies in the thread (roots only)
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// IsRoot reports whether c starts a thread.
func (c *Contribution) IsRoot() bool { return c.ParentID == uuid.Nil }

// Public reports whether everyone sees c's text.
func (c *Contribution) Public() bool { return c.State == StatePublished }

// Input is a contribution or reply as written.
type Input struct {
	ParentID uuid.UUID // zero for a new thread
	TopicID  uuid.UUID
	Title    string
	Body     string
	Location *geo.Point
}

var linkPattern = regexp.MustCompile(`(?i)\b(?:https?://|www\.)`)

// CountLinks counts the web links in s.
func CountLinks(s string) int { return len(linkPattern.FindAllStringIndex(s, -1)) }

// Validate checks in for a new thread (reply false) or a reply. area is the
// procedure's area (zero: anywhere).
func (in Input) Validate(reply bool, area geo.Area, set *Settings) error {
	var v domain.ValidationError
	min := MinBody
	if reply {
		min = MinReply
		if strings.TrimSpace(in.Title) != "" {
			v.Add("title", "dialog.reply_title")
		}
		if in.TopicID != uuid.Nil {
			v.Add("topic_id", "dialog.reply_topic")
		}
	} else {
		switch n := utf8.RuneCountInString(strings.TrimSpace(in.Title)); {
		case n == 0:
			v.Add("title", "dialog.title_required")
		case n < MinTitle || n > MaxTitle:
			v.Add("title", "dialog.title_length")
		}
		if in.TopicID != uuid.Nil {
			if _, ok := set.Topic(in.TopicID); !ok {
				v.Add("topic_id", "dialog.topic_not_found")
			}
		}
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(in.Body)); {
	case n == 0:
		v.Add("body", "dialog.body_required")
	case n < min:
		v.Add("body", "dialog.body_too_short")
	case n > MaxBody:
		v.Add("body", "dialog.body_too_long")
	}
	if CountLinks(in.Title)+CountLinks(in.Body) > MaxLinks {
		v.Add("body", "dialog.too_many_links")
	}
	if !storable(in.Title) {
		v.Add("title", "dialog.text_invalid")
	}
	if !storable(in.Body) {
		v.Add("body", "dialog.text_invalid")
	}
	if in.Location != nil && !area.IsZero() && area.Kind() != geo.KindPoint && !area.Contains(*in.Location) {
		v.Add("location", "dialog.location_outside_area")
	}
	return v.Err()
}

// NewContribution starts a thread (parent nil) or replies to parent as the
// participant. A reply goes at most MaxDepth deep and never into a closed
// thread (root is the parent's thread root).
func NewContribution(procID uuid.UUID, parent, root *Contribution, participant uuid.UUID, in Input, mode Moderation, now time.Time) (Contribution, error) {
	c := Contribution{ID: uuid.Must(uuid.NewV7()), ProcedureID: procID, ParticipantID: participant, TopicID: in.TopicID,
		Title: strings.TrimSpace(in.Title), Body: strings.TrimSpace(in.Body), Location: in.Location,
		State: StatePublished, CreatedAt: now, UpdatedAt: now}
	if mode == ModerationPre {
		c.State = StatePending
	}
	c.RootID = c.ID
	if parent != nil {
		if err := CanReply(parent, root); err != nil {
			return Contribution{}, err
		}
		c.ParentID, c.RootID, c.Depth = parent.ID, root.ID, parent.Depth+1
	}
	return c, nil
}

// CanReply reports why parent (in the thread of root) takes no reply.
func CanReply(parent, root *Contribution) error {
	switch {
	case !root.ClosedAt.IsZero():
		return ErrThreadClosed
	case parent.State != StatePublished:
		return ErrNotPublished
	case parent.Depth >= MaxDepth:
		return field("parent_id", "dialog.too_deep")
	}
	return nil
}

// Action is a moderator's act on a contribution.
type Action string

// Moderation actions.
const (
	ActionApprove  Action = "approve" // pending → published
	ActionHide     Action = "hide"    // published or pending → hidden (reason required)
	ActionRestore  Action = "restore" // hidden → published
	ActionOfficial Action = "mark_official"
	ActionUnmark   Action = "unmark_official"
	ActionClose    Action = "close"  // a thread: no more replies
	ActionReopen   Action = "reopen" // a closed thread
)

// Event is one recorded moderation act.
type Event struct {
	ID             uuid.UUID
	ContributionID uuid.UUID
	Action         Action
	Reason         string
	ActorID        uuid.UUID
	At             time.Time
}

// Moderate applies a moderator's action to c and returns the event to
// record. It reports whether c's visibility changed, which moves the
// thread's count of replies.
func (c *Contribution) Moderate(a Action, reason string, actor uuid.UUID, now time.Time) (Event, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxReason || !storable(reason) {
		return Event{}, field("reason", "dialog.too_long")
	}
	fail := ErrModeration
	switch a {
	case ActionApprove:
		if c.State != StatePending {
			return Event{}, fail
		}
		c.State = StatePublished
	case ActionHide:
		if reason == "" {
			return Event{}, field("reason", "dialog.reason_required")
		}
		if c.State != StatePublished && c.State != StatePending {
			return Event{}, fail
		}
		c.State, c.HiddenReason = StateHidden, reason
	case ActionRestore:
		if c.State != StateHidden {
			return Event{}, fail
		}
		c.State, c.HiddenReason = StatePublished, ""
	case ActionOfficial, ActionUnmark:
		if c.State != StatePublished || c.IsRoot() || c.Official == (a == ActionOfficial) {
			return Event{}, fail
		}
		c.Official = a == ActionOfficial
	case ActionClose:
		if !c.IsRoot() || !c.ClosedAt.IsZero() {
			return Event{}, fail
		}
		c.ClosedAt, c.ClosedReason = now, reason
	case ActionReopen:
		if !c.IsRoot() || c.ClosedAt.IsZero() {
			return Event{}, fail
		}
		c.ClosedAt, c.ClosedReason = time.Time{}, ""
	default:
		return Event{}, field("action", "dialog.action_invalid")
	}
	c.UpdatedAt = now
	return Event{ID: uuid.Must(uuid.NewV7()), ContributionID: c.ID, Action: a, Reason: reason, ActorID: actor, At: now}, nil
}

// DeleteByAuthor removes what the author wrote. With replies, c stays as a
// "deleted by its author" placeholder so the thread keeps its shape; it
// reports whether c must be removed entirely instead.
func (c *Contribution) DeleteByAuthor(hasReplies bool, now time.Time) (remove bool) {
	if !hasReplies {
		return true
	}
	c.State, c.Title, c.Body, c.Location, c.Attachment, c.Official = StateDeleted, "", "", nil, nil, false
	c.UpdatedAt = now
	return false
}

// ReportReason is why someone reports a contribution.
type ReportReason string

// Report reasons.
const (
	ReasonInsult       ReportReason = "insult"
	ReasonSpam         ReportReason = "spam"
	ReasonOffTopic     ReportReason = "off_topic"
	ReasonPersonalData ReportReason = "personal_data"
	ReasonIllegal      ReportReason = "illegal"
	ReasonOther        ReportReason = "other"
)

// ReportReasons lists every reason.
var ReportReasons = []ReportReason{ReasonInsult, ReasonSpam, ReasonOffTopic, ReasonPersonalData, ReasonIllegal, ReasonOther}

// Report is one report of a contribution, waiting in the moderators' queue
// until resolved.
type Report struct {
	ID             uuid.UUID
	ContributionID uuid.UUID
	ProcedureID    uuid.UUID
	Reason         ReportReason
	Note           string
	CreatedAt      time.Time
	ResolvedAt     time.Time
	ResolvedBy     uuid.UUID
	Resolution     string
}

// NewReport checks and builds a report.
func NewReport(c *Contribution, reason ReportReason, note string, now time.Time) (Report, error) {
	var v domain.ValidationError
	ok := false
	for _, r := range ReportReasons {
		ok = ok || r == reason
	}
	if !ok {
		v.Add("reason", "dialog.report_reason_invalid")
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxNote || !storable(note) {
		v.Add("note", "dialog.too_long")
	}
	if reason == ReasonOther && note == "" {
		v.Add("note", "dialog.report_note_required")
	}
	if err := v.Err(); err != nil {
		return Report{}, err
	}
	return Report{ID: uuid.Must(uuid.NewV7()), ContributionID: c.ID, ProcedureID: c.ProcedureID, Reason: reason,
		Note: note, CreatedAt: now}, nil
}

// Sort orders the threads of a dialog.
type Sort string

// Sort orders.
const (
	SortNewest    Sort = "newest"
	SortSupported Sort = "supported"
	SortDiscussed Sort = "discussed"
)

// Valid reports whether s is known.
func (s Sort) Valid() bool { return s == SortNewest || s == SortSupported || s == SortDiscussed }

// Filter selects threads.
type Filter struct {
	ProcedureID uuid.UUID
	TopicID     uuid.UUID
	Sort        Sort
	Limit       int
	Cursor      string
}

// Page is one page of threads.
type Page struct {
	Items      []Contribution
	NextCursor string
}

func field(name, code string) error {
	return &domain.ValidationError{Fields: []domain.FieldError{{Field: name, Code: code}}}
}

// storable reports whether s is valid UTF-8 without NUL, as PostgreSQL text
// requires.
func storable(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }
