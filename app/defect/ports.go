// Package defect holds the use cases of defect reporting (Mängelmelder):
// citizens and Open311 clients report defects with a location and photos,
// everyone sees them on a public map, and the agency answers and moves each
// report through its workflow.
package defect

import (
	"context"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/app/mail"
	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/organisation"
	"beteiligungsportal/domain/procedure"
)

// Store persists categories, reports, their events, supports and Open311 clients.
type Store interface {
	Categories(ctx context.Context, procedureID uuid.UUID) ([]defect.Category, error)
	// OpenCategories lists active categories of every defect-reporting procedure.
	ActiveCategories(ctx context.Context) ([]defect.Category, error)
	CategoriesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]defect.Category, error)
	CategoryByCode(ctx context.Context, code string) (defect.Category, error)
	InsertCategory(ctx context.Context, c defect.Category) error
	UpdateCategory(ctx context.Context, c defect.Category) error

	// NextNumber returns the next running number of reports.
	NextNumber(ctx context.Context) (int64, error)
	// Insert stores a report with its photos; a concurrent insert with the
	// same idempotency key returns an error for which IsKeyRace is true.
	Insert(ctx context.Context, r defect.Report, key, requestDigest, tokenHash string) error
	ByIdempotencyKey(ctx context.Context, procedureID uuid.UUID, key string) (defect.Report, string, error)
	ByPublicID(ctx context.Context, publicID string, lock bool) (defect.Report, error)
	Get(ctx context.Context, id uuid.UUID) (defect.Report, error)
	ByTokenHash(ctx context.Context, hash string) (defect.Report, error)
	// Save writes the workflow, moderation and e-mail columns of r; it fails
	// with defect.ErrStale when r.Version-1 is no longer stored.
	Save(ctx context.Context, r defect.Report) error
	AddEvent(ctx context.Context, e defect.Event) error
	Events(ctx context.Context, reportID uuid.UUID) ([]defect.Event, error)
	// List returns a page of reports matching f, the newest first (ties by
	// number, descending), after f.Cursor; defect.ErrBadCursor when the cursor
	// was not issued for the list f selects.
	List(ctx context.Context, f defect.Filter) (defect.Page, error)
	// AddSupport records one "me too"; defect.ErrAlreadySupported when the
	// fingerprint supported the report before.
	AddSupport(ctx context.Context, reportID uuid.UUID, fingerprint string, at time.Time) error

	InsertClient(ctx context.Context, c Client, keyHash string) error
	ClientByKeyHash(ctx context.Context, keyHash string) (Client, error)
	Clients(ctx context.Context) ([]Client, error)
	RevokeClient(ctx context.Context, id uuid.UUID, at time.Time) error
}

// Procedures reads procedures.
type Procedures interface {
	Get(ctx context.Context, id uuid.UUID) (procedure.Procedure, error)
	// GetByRef finds a procedure by the reference a URL gives: its ID or its slug.
	GetByRef(ctx context.Context, ref string) (procedure.Procedure, error)
}

// Organisations reads organisations (the target of a forward, agency names).
type Organisations interface {
	Get(ctx context.Context, id uuid.UUID) (organisation.Organisation, error)
}

// Repos are the stores a use case works with inside one transaction.
type Repos struct {
	Defects       Store
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

// Client is an Open311 client application.
type Client = defect.Client
