package survey

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/survey"
)

// ResponsesExport is the raw data of a survey that its reader may have,
// ready to be read with Rows.
type ResponsesExport struct {
	Procedure procedure.Procedure
	// Columns are the answer columns, stable as long as the questionnaire's
	// keys are (see survey.Columns).
	Columns []survey.Column
	// At is when the export was asked for.
	At time.Time

	s *Service
	p account.Principal
}

// ExportResponses checks that p may read the survey's raw responses (its
// organisation's staff) and returns the export without reading a response
// yet, so that a refusal comes before the first byte of a download.
func (s *Service) ExportResponses(ctx context.Context, p account.Principal, procID uuid.UUID) (*ResponsesExport, error) {
	e := &ResponsesExport{At: s.now(), s: s, p: p}
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, procID, p.CanSeeInternals)
		if err != nil {
			return err
		}
		sv, err := r.Surveys.Get(ctx, pr.ID)
		if err != nil {
			return err
		}
		e.Procedure, e.Columns = pr, survey.Columns(&sv.Questionnaire)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export survey responses: %w", err)
	}
	return e, nil
}

// Rows hands every submitted response, oldest first, to each with its cells
// in the columns' order (see survey.Values), and returns how many each took.
// The responses are read with one query, so the table is consistent however
// long writing it takes. The export is then recorded in the audit trail
// with the number of rows and whether it completed.
func (e *ResponsesExport) Rows(ctx context.Context, each func(survey.Response, []any) error) (int, error) {
	n := 0
	err := e.s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		return r.Surveys.EachResponse(ctx, e.Procedure.ID, func(resp survey.Response) error {
			if err := each(resp, survey.Values(e.Columns, resp.Answers)); err != nil {
				return err
			}
			n++
			return nil
		})
	})
	if err == nil || n > 0 {
		aerr := e.s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
			return audit.Record(ctx, r.Audit, e.p, e.Procedure.OrganisationID, "survey.export", "procedure", e.Procedure.ID.String(),
				map[string]any{"kind": "responses", "rows": n, "complete": err == nil})
		})
		err = errors.Join(err, aerr)
	}
	if err != nil {
		return n, fmt.Errorf("export survey responses: %w", err)
	}
	return n, nil
}

// ResultsExport are the staff's complete aggregates for a download.
type ResultsExport struct {
	ResultsView
	Procedure procedure.Procedure
	// At is when the export was asked for.
	At time.Time
}

// ExportResults returns the staff's complete aggregates for a download (with
// the filter of a cross-tabulation, as Results) and records the export.
func (s *Service) ExportResults(ctx context.Context, p account.Principal, procID uuid.UUID, f *survey.Filter) (ResultsExport, error) {
	out := ResultsExport{At: s.now()}
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		out.Procedure, err = staffProcedure(ctx, r, p, procID, p.CanSeeInternals)
		return err
	})
	if err != nil {
		return ResultsExport{}, fmt.Errorf("export survey results: %w", err)
	}
	if out.ResultsView, err = s.Results(ctx, &p, procID.String(), f); err != nil {
		return ResultsExport{}, err
	}
	details := map[string]any{"kind": "results"}
	if f != nil {
		details["filter"] = f.Question + ":" + f.Choice
	}
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		return audit.Record(ctx, r.Audit, p, out.Procedure.OrganisationID, "survey.export", "procedure", out.Procedure.ID.String(), details)
	})
	if err != nil {
		return ResultsExport{}, fmt.Errorf("export survey results: %w", err)
	}
	return out, nil
}
