// Package organisation holds the use cases of the organisation directory: instance
// admins create, change and delete organisations; everyone may read them.
package organisation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	org "beteiligungsportal/domain/organisation"
)

// Store persists organisations.
type Store interface {
	Get(ctx context.Context, id uuid.UUID) (org.Organisation, error)
	List(ctx context.Context) ([]org.Organisation, error)
	// Ancestors returns the IDs from id up to the root, id included.
	Ancestors(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error)
	Insert(ctx context.Context, o org.Organisation) error
	Update(ctx context.Context, o org.Organisation) error
	Delete(ctx context.Context, id uuid.UUID) error
}

// Repos are the stores a use case works with inside one transaction.
type Repos struct {
	Organisations Store
	Audit         audit.Writer
}

// TxRunner runs fn with repositories bound to one transaction (InTx) or to the
// database without one (Read).
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
	Read(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}

// Service implements the organisation use cases.
type Service struct {
	tx  TxRunner
	now func() time.Time
}

// NewService returns a Service; now is the clock.
func NewService(tx TxRunner, now func() time.Time) *Service {
	return &Service{tx: tx, now: now}
}

// Get returns one organisation.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (o org.Organisation, err error) {
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		o, err = r.Organisations.Get(ctx, id)
		return err
	})
	return o, err
}

// List returns every organisation, ordered by name.
func (s *Service) List(ctx context.Context) (list []org.Organisation, err error) {
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		list, err = r.Organisations.List(ctx)
		return err
	})
	return list, err
}

// Create adds an organisation; only instance admins may.
func (s *Service) Create(ctx context.Context, p account.Principal, in org.Input) (org.Organisation, error) {
	if !p.CanManageOrganisations() {
		return org.Organisation{}, domain.ErrForbidden
	}
	var created org.Organisation
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		parent, err := loadParent(ctx, r.Organisations, in.ParentID)
		if err != nil {
			return err
		}
		o, err := org.New(uuid.Must(uuid.NewV7()), in, parent, s.now())
		if err != nil {
			return err
		}
		if err := r.Organisations.Insert(ctx, o); err != nil {
			return err
		}
		created = o
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "organisation.create", "organisation", o.ID.String(),
			map[string]any{"name": o.Name, "kind": o.Kind, "ags": o.AGS})
	})
	if err != nil {
		return org.Organisation{}, fmt.Errorf("create organisation: %w", err)
	}
	return created, nil
}

// Update changes an organisation; only instance admins may.
func (s *Service) Update(ctx context.Context, p account.Principal, id uuid.UUID, in org.Input) (org.Organisation, error) {
	if !p.CanManageOrganisations() {
		return org.Organisation{}, domain.ErrForbidden
	}
	var updated org.Organisation
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		o, err := r.Organisations.Get(ctx, id)
		if err != nil {
			return err
		}
		parent, err := loadParent(ctx, r.Organisations, in.ParentID)
		if err != nil {
			return err
		}
		var ancestors []uuid.UUID
		if parent != nil {
			if ancestors, err = r.Organisations.Ancestors(ctx, parent.ID); err != nil {
				return err
			}
		}
		if err := o.Update(in, parent, ancestors, s.now()); err != nil {
			return err
		}
		if err := r.Organisations.Update(ctx, o); err != nil {
			return err
		}
		updated = o
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "organisation.update", "organisation", o.ID.String(),
			map[string]any{"name": o.Name, "kind": o.Kind, "ags": o.AGS})
	})
	if err != nil {
		return org.Organisation{}, fmt.Errorf("update organisation: %w", err)
	}
	return updated, nil
}

// Delete removes an organisation without children; only instance admins may.
func (s *Service) Delete(ctx context.Context, p account.Principal, id uuid.UUID) error {
	if !p.CanManageOrganisations() {
		return domain.ErrForbidden
	}
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		o, err := r.Organisations.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := r.Organisations.Delete(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "organisation.delete", "organisation", id.String(),
			map[string]any{"name": o.Name})
	})
	if err != nil {
		return fmt.Errorf("delete organisation: %w", err)
	}
	return nil
}

func loadParent(ctx context.Context, st Store, id uuid.UUID) (*org.Organisation, error) {
	if id == uuid.Nil {
		return nil, nil
	}
	parent, err := st.Get(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, org.ErrParentAbsent
	}
	if err != nil {
		return nil, err
	}
	return &parent, nil
}
