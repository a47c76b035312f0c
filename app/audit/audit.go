// Package audit records staff actions in the append-only audit trail and lets
// administrators read their part of it.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	daudit "beteiligungsportal/domain/audit"
)

type requestIDKey struct{}

// WithRequestID returns a context that carries the request ID into audit entries.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Writer appends entries; implementations write in the caller's transaction.
type Writer interface {
	Append(ctx context.Context, e daudit.Entry) error
}

// Reader lists entries.
type Reader interface {
	List(ctx context.Context, f daudit.Filter) ([]daudit.Entry, error)
}

// Record appends one entry for an action of p, acting for org, on an object.
func Record(ctx context.Context, w Writer, p account.Principal, org uuid.UUID, action, objectType, objectID string, details map[string]any) error {
	e := NewEntry(ctx, p, org, action, objectType, objectID, details)
	if err := w.Append(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// NewEntry is the entry Record appends, for stores that write it together
// with the change it records.
func NewEntry(ctx context.Context, p account.Principal, org uuid.UUID, action, objectType, objectID string, details map[string]any) daudit.Entry {
	return daudit.Entry{
		At:             time.Now().UTC(),
		ActorID:        p.Account.ID,
		ActorEmail:     p.Account.Email,
		OrganisationID: org,
		Action:         action,
		ObjectType:     objectType,
		ObjectID:       objectID,
		RequestID:      RequestID(ctx),
		Details:        details,
	}
}

// Service serves the audit trail to administrators.
type Service struct {
	r Reader
}

// NewService returns a Service reading from r.
func NewService(r Reader) *Service { return &Service{r: r} }

// MaxPage is the largest page a caller may ask for.
const MaxPage = 200

// List returns entries of the filter's organisation (or of the whole instance when
// it is uuid.Nil), newest first, if p may read them.
func (s *Service) List(ctx context.Context, p account.Principal, f daudit.Filter) ([]daudit.Entry, error) {
	if !p.CanReadAudit(f.OrganisationID) {
		return nil, domain.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 50
	}
	entries, err := s.r.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return entries, nil
}
