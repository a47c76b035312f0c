// Package dialog holds the use cases of dialog procedures (Dialogverfahren):
// participants identified by an account or a confirmed e-mail address
// contribute and reply in threads and support contributions; anyone reports
// what breaks the netiquette; the agency's moderators approve, hide and
// restore, close threads and answer officially; the agency exports
// everything and publishes a summary.
package dialog

import (
	"context"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/app/mail"
	"beteiligungsportal/domain/dialog"
	"beteiligungsportal/domain/organisation"
	"beteiligungsportal/domain/procedure"
)

// Store persists a dialog's settings, participants, contributions, supports,
// reports and moderation events.
type Store interface {
	// Settings returns the dialog's settings with its active topics, or the
	// defaults when the agency has not saved any.
	Settings(ctx context.Context, procedureID uuid.UUID) (dialog.Settings, error)
	SaveSettings(ctx context.Context, s dialog.Settings) error

	// RequestConfirmation stores a pending confirmation for the e-mail
	// address (by its keyed hash) and returns the participant it belongs to:
	// a new one, or the one that used the address before.
	RequestConfirmation(ctx context.Context, p dialog.Participant, emailHash, email, confirmHash string, expires time.Time) (dialog.Participant, error)
	// Confirm marks the participant of a pending, unexpired confirmation as
	// confirmed, forgets its address and stores tokenHash as its key;
	// dialog.ErrTokenInvalid for an unknown or expired code.
	Confirm(ctx context.Context, confirmHash string, tokenOf func(uuid.UUID) string, now time.Time) (dialog.Participant, error)
	ParticipantByToken(ctx context.Context, procedureID uuid.UUID, tokenHash string) (dialog.Participant, error)
	ParticipantByAccount(ctx context.Context, procedureID, accountID uuid.UUID) (dialog.Participant, error)
	// InsertParticipant adds an account's participant; an existing one wins.
	InsertParticipant(ctx context.Context, p dialog.Participant) (dialog.Participant, error)

	// Insert stores a contribution; a published reply counts in its thread.
	Insert(ctx context.Context, c dialog.Contribution) error
	// Get returns a contribution with its participant's pseudonym; lock
	// holds its row until the transaction ends.
	Get(ctx context.Context, id uuid.UUID, lock bool) (dialog.Contribution, error)
	// Save writes the state, moderation and text columns of c.
	Save(ctx context.Context, c dialog.Contribution) error
	// Delete removes a contribution that has no replies.
	Delete(ctx context.Context, id uuid.UUID) error
	HasReplies(ctx context.Context, id uuid.UUID) (bool, error)
	// AdjustReplies moves the count of published replies of a thread.
	AdjustReplies(ctx context.Context, rootID uuid.UUID, delta int) error
	// Thread returns every contribution of a thread, oldest first.
	Thread(ctx context.Context, rootID uuid.UUID) ([]dialog.Contribution, error)
	// Threads returns a page of published threads in f's order;
	// dialog.ErrBadCursor for a cursor not issued for that order.
	Threads(ctx context.Context, f dialog.Filter) (dialog.Page, error)
	// Pending returns contributions waiting for a moderator, oldest first.
	Pending(ctx context.Context, procedureID uuid.UUID, limit int) ([]dialog.Contribution, error)
	// EachContribution streams every contribution of the dialog, thread by
	// thread, oldest first, with its supporters and moderation state.
	EachContribution(ctx context.Context, procedureID uuid.UUID, fn func(dialog.Contribution) error) error

	// AddSupport records one participant's support once and returns whether
	// it was new and the count after it.
	AddSupport(ctx context.Context, contributionID, participantID uuid.UUID, at time.Time) (bool, int, error)
	// RemoveSupport withdraws it and returns whether there was one and the count after.
	RemoveSupport(ctx context.Context, contributionID, participantID uuid.UUID) (bool, int, error)
	// Supported tells which of the contributions the participant supports.
	Supported(ctx context.Context, participantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error)

	AddEvent(ctx context.Context, e dialog.Event) error
	// InsertReport queues a report; a repeated one by the same fingerprint
	// is dropped and reported as not new.
	InsertReport(ctx context.Context, r dialog.Report, fingerprint string) (bool, error)
	Reports(ctx context.Context, procedureID uuid.UUID, open bool, limit int) ([]dialog.Report, error)
	GetReport(ctx context.Context, id uuid.UUID) (dialog.Report, error)
	// ResolveReport records the resolution unless the report was resolved before.
	ResolveReport(ctx context.Context, r dialog.Report) error
	// ResolveReports resolves every open report of a contribution.
	ResolveReports(ctx context.Context, contributionID, by uuid.UUID, resolution string, at time.Time) error
}

// Procedures reads procedures.
type Procedures interface {
	Get(ctx context.Context, id uuid.UUID) (procedure.Procedure, error)
	// GetByRef finds a procedure by the reference a URL gives: its ID or its slug.
	GetByRef(ctx context.Context, ref string) (procedure.Procedure, error)
}

// Organisations names the agency of an official answer.
type Organisations interface {
	Get(ctx context.Context, id uuid.UUID) (organisation.Organisation, error)
}

// Repos are the stores a use case works with inside one transaction.
type Repos struct {
	Dialogs       Store
	Procedures    Procedures
	Organisations Organisations
	Audit         audit.Writer
	Mail          mail.Outbox
}

// TxRunner runs fn with repositories bound to one transaction (InTx) or to
// the database without one (Read).
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
	Read(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}
