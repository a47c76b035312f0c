package dialog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/dialog"
	"beteiligungsportal/domain/procedure"
)

// Export is every contribution of a dialog for its agency, ready to be read
// with Rows.
type Export struct {
	Procedure procedure.Procedure
	Settings  dialog.Settings
	Agency    string
	At        time.Time

	s *Service
	p account.Principal
}

// Export checks that p may export the dialog (its organisation's staff) and
// returns the export without reading a contribution yet, so that a refusal
// comes before the first byte of a download.
func (s *Service) Export(ctx context.Context, p account.Principal, procID uuid.UUID) (*Export, error) {
	e := &Export{At: s.now(), s: s, p: p}
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := s.procedure(ctx, r, procID.String(), &p)
		if err != nil {
			return err
		}
		if !p.CanSeeInternals(pr.OrganisationID) {
			return dialog.ErrForbidden
		}
		if e.Settings, err = r.Dialogs.Settings(ctx, pr.ID); err != nil {
			return err
		}
		if org, err := r.Organisations.Get(ctx, pr.OrganisationID); err == nil {
			e.Agency = org.Name
		}
		e.Procedure = pr
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export dialog: %w", err)
	}
	return e, nil
}

// Rows hands every contribution, thread by thread, to each, and records the
// export in the audit trail with the number of rows and whether it
// completed. One query reads them, so the table is consistent however long
// writing it takes.
func (e *Export) Rows(ctx context.Context, each func(dialog.Contribution) error) (int, error) {
	n := 0
	err := e.s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		return r.Dialogs.EachContribution(ctx, e.Procedure.ID, func(c dialog.Contribution) error {
			if err := each(c); err != nil {
				return err
			}
			n++
			return nil
		})
	})
	if err == nil || n > 0 {
		aerr := e.s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
			return audit.Record(ctx, r.Audit, e.p, e.Procedure.OrganisationID, "dialog.export", "procedure", e.Procedure.ID.String(),
				map[string]any{"rows": n, "complete": err == nil})
		})
		err = errors.Join(err, aerr)
	}
	if err != nil {
		return n, fmt.Errorf("export dialog: %w", err)
	}
	return n, nil
}
