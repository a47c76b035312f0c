// Package procedure holds the use cases of participation procedures: agencies
// create, schedule, publish, close, conclude and archive them; everyone finds and
// reads the published ones.
package procedure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/file"
	"beteiligungsportal/domain/geo"
	org "beteiligungsportal/domain/organisation"
	"beteiligungsportal/domain/procedure"
)

// Store persists procedures.
type Store interface {
	Get(ctx context.Context, id uuid.UUID) (procedure.Procedure, error)
	// GetByRef finds a procedure by the reference a URL gives: its ID or its slug.
	GetByRef(ctx context.Context, ref string) (procedure.Procedure, error)
	// GetForUpdate loads and locks the procedure until the transaction ends.
	GetForUpdate(ctx context.Context, id uuid.UUID) (procedure.Procedure, error)
	Insert(ctx context.Context, p procedure.Procedure) error
	Save(ctx context.Context, p procedure.Procedure) error
	Delete(ctx context.Context, id uuid.UUID) error
	Search(ctx context.Context, f procedure.Filter) (procedure.Page, error)
	// ListByOrganisation returns every procedure of org, drafts included, newest first.
	ListByOrganisation(ctx context.Context, orgID uuid.UUID) ([]procedure.Procedure, error)
}

// Organisations is the read access to organisations that procedures need.
type Organisations interface {
	Get(ctx context.Context, id uuid.UUID) (org.Organisation, error)
}

// Repos are the stores a use case works with inside one transaction.
type Repos struct {
	Procedures    Store
	Documents     DocumentStore
	Organisations Organisations
	Audit         audit.Writer
}

// TxRunner runs fn with repositories bound to one transaction (InTx) or to the
// database without one (Read).
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
	Read(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}

// Rule violations that need other aggregates to check.
var (
	ErrInviteeNotPublicBody = domain.NewRule(domain.ErrInvalid, "procedure.invitee_not_public_body")
)

// MaxPage is the largest catalogue page.
const MaxPage = 100

// Service implements the procedure use cases.
type Service struct {
	tx     TxRunner
	files  file.Store
	limits procedure.DocumentLimits
	log    *slog.Logger
	now    func() time.Time
}

// NewService returns a Service that keeps document bytes in files within
// limits; now is the clock that derives statuses.
func NewService(tx TxRunner, files file.Store, limits procedure.DocumentLimits, log *slog.Logger, now func() time.Time) *Service {
	return &Service{tx: tx, files: files, limits: limits, log: log, now: now}
}

// Now returns the service's clock reading, for deriving statuses in views.
func (s *Service) Now() time.Time { return s.now() }

// Create starts a draft procedure of orgID.
func (s *Service) Create(ctx context.Context, p account.Principal, orgID uuid.UUID, in procedure.Input) (procedure.Procedure, error) {
	if !p.CanEditProcedures(orgID) {
		return procedure.Procedure{}, domain.ErrForbidden
	}
	var created procedure.Procedure
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		o, err := r.Organisations.Get(ctx, orgID)
		if err != nil {
			return err
		}
		if in.AGS == "" {
			in.AGS = o.AGS.String()
		}
		if in.AreaGeoJSON, err = canonicalArea(in.AreaGeoJSON); err != nil {
			return err
		}
		pr, err := procedure.New(uuid.Must(uuid.NewV7()), orgID, in, s.now())
		if err != nil {
			return err
		}
		if err := r.Procedures.Insert(ctx, pr); err != nil {
			return err
		}
		created = pr
		return audit.Record(ctx, r.Audit, p, orgID, "procedure.create", "procedure", pr.ID.String(),
			map[string]any{"title": pr.Title, "type": pr.Type, "subtype": pr.Subtype})
	})
	if err != nil {
		return procedure.Procedure{}, fmt.Errorf("create procedure: %w", err)
	}
	return created, nil
}

// change loads the procedure locked, checks that p may change it, applies fn and
// saves it with an audit entry, all in one transaction. Staff of other
// organisations get 404 for drafts (they must not learn of them) and 403 otherwise.
func (s *Service) change(ctx context.Context, p account.Principal, id uuid.UUID, action string,
	fn func(ctx context.Context, r Repos, pr *procedure.Procedure, now time.Time) (map[string]any, error)) (procedure.Procedure, error) {
	var out procedure.Procedure
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := r.Procedures.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := canChange(p, pr); err != nil {
			return err
		}
		details, err := fn(ctx, r, &pr, s.now())
		if err != nil {
			return err
		}
		if action == "procedure.delete" {
			if err := r.Procedures.Delete(ctx, id); err != nil {
				return err
			}
		} else if err := r.Procedures.Save(ctx, pr); err != nil {
			return err
		}
		out = pr
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, action, "procedure", pr.ID.String(), details)
	})
	if err != nil {
		return procedure.Procedure{}, fmt.Errorf("%s: %w", action, err)
	}
	return out, nil
}

func canChange(p account.Principal, pr procedure.Procedure) error {
	if p.CanEditProcedures(pr.OrganisationID) {
		return nil
	}
	if pr.IsDraft() && !p.CanSeeInternals(pr.OrganisationID) {
		return procedure.ErrNotFound
	}
	return domain.ErrForbidden
}

// Update changes the texts (and, in a draft, type and slug).
func (s *Service) Update(ctx context.Context, p account.Principal, id uuid.UUID, in procedure.Input) (procedure.Procedure, error) {
	return s.change(ctx, p, id, "procedure.update", func(_ context.Context, _ Repos, pr *procedure.Procedure, now time.Time) (map[string]any, error) {
		if in.AGS == "" {
			in.AGS = pr.AGS
		}
		var err error
		if in.AreaGeoJSON, err = canonicalArea(in.AreaGeoJSON); err != nil {
			return nil, err
		}
		return map[string]any{"title": in.Title}, pr.Edit(in, now)
	})
}

// SetPhase adds or changes a phase; invited bodies must be public bodies.
func (s *Service) SetPhase(ctx context.Context, p account.Principal, id uuid.UUID, in procedure.PhaseInput) (procedure.Procedure, procedure.Phase, error) {
	var ph procedure.Phase
	pr, err := s.change(ctx, p, id, "procedure.set_phase", func(ctx context.Context, r Repos, pr *procedure.Procedure, now time.Time) (map[string]any, error) {
		for _, body := range in.InvitedBodies {
			o, err := r.Organisations.Get(ctx, body)
			if errors.Is(err, domain.ErrNotFound) || (err == nil && o.Kind != org.KindPublicBody) {
				return nil, ErrInviteeNotPublicBody
			}
			if err != nil {
				return nil, err
			}
		}
		changes := len(pr.PeriodChanges)
		var err error
		if ph, err = pr.SetPhase(in, p.Account.ID, now); err != nil {
			return nil, err
		}
		details := map[string]any{"phase_id": ph.ID, "kind": ph.Kind, "start": ph.Period.Start.String(),
			"end": ph.Period.End.String(), "invited_bodies": ph.InvitedBodies}
		if len(pr.PeriodChanges) > changes {
			details["reason"] = pr.PeriodChanges[len(pr.PeriodChanges)-1].Reason
		}
		return details, nil
	})
	return pr, ph, err
}

// RemovePhase deletes a phase that has not started.
func (s *Service) RemovePhase(ctx context.Context, p account.Principal, id, phaseID uuid.UUID) (procedure.Procedure, error) {
	return s.change(ctx, p, id, "procedure.remove_phase", func(_ context.Context, _ Repos, pr *procedure.Procedure, now time.Time) (map[string]any, error) {
		return map[string]any{"phase_id": phaseID}, pr.RemovePhase(phaseID, now)
	})
}

// Publish makes a draft public.
func (s *Service) Publish(ctx context.Context, p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
	return s.change(ctx, p, id, "procedure.publish", func(_ context.Context, _ Repos, pr *procedure.Procedure, now time.Time) (map[string]any, error) {
		return nil, pr.Publish(now)
	})
}

// CloseEarly ends participation before the schedule, with a reason.
func (s *Service) CloseEarly(ctx context.Context, p account.Principal, id uuid.UUID, reason string) (procedure.Procedure, error) {
	return s.change(ctx, p, id, "procedure.close", func(_ context.Context, _ Repos, pr *procedure.Procedure, now time.Time) (map[string]any, error) {
		return map[string]any{"reason": reason}, pr.CloseEarly(reason, now)
	})
}

// Conclude publishes the result.
func (s *Service) Conclude(ctx context.Context, p account.Principal, id uuid.UUID, result string) (procedure.Procedure, error) {
	return s.change(ctx, p, id, "procedure.conclude", func(_ context.Context, _ Repos, pr *procedure.Procedure, now time.Time) (map[string]any, error) {
		return nil, pr.Conclude(result, now)
	})
}

// Archive takes a concluded procedure out of the current catalogue.
func (s *Service) Archive(ctx context.Context, p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
	return s.change(ctx, p, id, "procedure.archive", func(_ context.Context, _ Repos, pr *procedure.Procedure, now time.Time) (map[string]any, error) {
		return nil, pr.Archive(now)
	})
}

// Delete removes a draft.
// Its documents' bytes are removed once the deletion is committed.
func (s *Service) Delete(ctx context.Context, p account.Principal, id uuid.UUID) error {
	var docs []procedure.Document
	_, err := s.change(ctx, p, id, "procedure.delete", func(ctx context.Context, r Repos, pr *procedure.Procedure, _ time.Time) (map[string]any, error) {
		if err := pr.CanDelete(); err != nil {
			return nil, err
		}
		var err error
		docs, err = r.Documents.List(ctx, pr.ID)
		return map[string]any{"title": pr.Title, "documents": len(docs)}, err
	})
	if err != nil {
		return err
	}
	for _, d := range docs {
		s.removeFile(ctx, d.StorageKey)
	}
	return nil
}

// Get returns a procedure by ID or slug. Drafts are visible only to staff of the
// owning organisation (p may be nil for anonymous callers); to everyone else
// they do not exist.
func (s *Service) Get(ctx context.Context, p *account.Principal, idOrSlug string) (pr procedure.Procedure, err error) {
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err = r.Procedures.GetByRef(ctx, idOrSlug)
		return err
	})
	if err != nil {
		return procedure.Procedure{}, err
	}
	if pr.IsDraft() && (p == nil || !p.CanSeeInternals(pr.OrganisationID)) {
		return procedure.Procedure{}, procedure.ErrNotFound
	}
	return pr, nil
}

// Search returns a page of the public catalogue.
func (s *Service) Search(ctx context.Context, f procedure.Filter) (procedure.Page, error) {
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 20
	}
	return s.search(ctx, f)
}

func (s *Service) search(ctx context.Context, f procedure.Filter) (page procedure.Page, err error) {
	if f.Sort == "" {
		f.Sort = procedure.SortNewest
		if f.Text != "" {
			f.Sort = procedure.SortRelevance
		}
	}
	f.Now = s.now()
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		page, err = r.Procedures.Search(ctx, f)
		return err
	})
	return page, err
}

// MaxMapPage is the largest page of the map layer.
const MaxMapPage = 1000

// SearchMap is Search with pages of up to MaxMapPage, for map layers.
func (s *Service) SearchMap(ctx context.Context, f procedure.Filter) (procedure.Page, error) {
	if f.Limit <= 0 || f.Limit > MaxMapPage {
		f.Limit = MaxMapPage
	}
	return s.search(ctx, f)
}

// ListOwn returns the procedures of orgID, drafts included, for its staff.
func (s *Service) ListOwn(ctx context.Context, p account.Principal, orgID uuid.UUID) (list []procedure.Procedure, err error) {
	if !p.CanSeeInternals(orgID) {
		return nil, domain.ErrForbidden
	}
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		list, err = r.Procedures.ListByOrganisation(ctx, orgID)
		return err
	})
	return list, err
}

// canonicalArea validates a GeoJSON geometry and returns it in the canonical form
// that is stored (coordinates rounded to about a centimetre).
func canonicalArea(raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	a, err := geo.ParseArea(raw)
	if err != nil {
		return nil, err
	}
	return a.MarshalGeoJSON(), nil
}
