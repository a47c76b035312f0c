package statement

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/statement"
)

// exportBatch is how many statements one query of an export reads: few round
// trips, and a batch in memory stays small however large the procedure is.
const exportBatch = 1000

// ErrExportTooLarge refuses a selection with more statements than the format
// of the export allows (ExportRequest.MaxRows).
var ErrExportTooLarge = domain.NewRule(domain.ErrInvalid, "statement.export_too_large")

// ExportRequest says which statements of a procedure go into the assessment
// table and how.
type ExportRequest struct {
	// Filter selects the statements as for the list; paging is ignored.
	Filter statement.Filter
	// Pseudonymise replaces submitters by pseudonyms. Staff who may not see
	// personal data (viewers) get pseudonyms anyway.
	Pseudonymise bool
	// Format names the file format in the audit trail.
	Format string
	// MaxRows refuses selections of more statements with ErrExportTooLarge;
	// 0 is no limit.
	MaxRows int
}

// Row is one line of the assessment table (Abwägungstabelle).
type Row struct {
	Number     string
	ReceivedAt time.Time
	// Phase is the phase the statement was made in; zero when the schedule
	// no longer has it.
	Phase   procedure.Phase
	Channel statement.Channel
	Kind    statement.SubmitterKind
	// Body is the name of the public body the statement speaks for; empty
	// when pseudonymised.
	Body string
	// Submitter is the personal data; when Pseudonymised only Name is set,
	// to the pseudonym.
	Submitter     statement.Submitter
	Pseudonymised bool
	Text          string
	Topics        []string
	Answer        string
	Decision      statement.Decision
	Status        statement.Status
	Timely        bool
	WithdrawnAt   time.Time
	Attachments   int
}

// Export is an assessment table that its reader may have, ready to be read
// with Rows.
type Export struct {
	Procedure procedure.Procedure
	// Pseudonymised: submitters appear as pseudonyms.
	Pseudonymised bool
	// At is when the export was asked for.
	At time.Time

	s   *Service
	p   account.Principal
	req ExportRequest
}

// Export checks that p may export the statements of the filter's procedure
// and returns the export without reading a statement yet, so that refusals
// come before the first byte of a download.
func (s *Service) Export(ctx context.Context, p account.Principal, req ExportRequest) (*Export, error) {
	var pr procedure.Procedure
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		pr, err = staffProcedure(ctx, r, p, req.Filter.ProcedureID, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("export statements: %w", err)
	}
	req.Filter.AfterSeq, req.Filter.Limit = 0, exportBatch
	personal := p.CanWeighStatements(pr.OrganisationID) && !req.Pseudonymise
	return &Export{Procedure: pr, Pseudonymised: !personal, At: s.now(), s: s, p: p, req: req}, nil
}

// Rows hands the selected statements to each in receipt order and returns
// how many each took. All are read in one snapshot, so the table is
// consistent however long writing it takes, and a batch at a time, so
// memory does not grow with the procedure. An error from each ends the
// export. The export is then recorded in the audit trail with the number of
// rows and whether it completed, unless it was refused as too large (then
// nothing left the server); a failure to record is returned too.
func (e *Export) Rows(ctx context.Context, each func(Row) error) (int, error) {
	n := 0
	err := e.s.tx.Snapshot(ctx, func(ctx context.Context, r Repos) error {
		// The phases as of the snapshot name the rows; access is checked again
		// in case the procedure changed hands since Export.
		pr, err := staffProcedure(ctx, r, e.p, e.Procedure.ID, false)
		if err != nil {
			return err
		}
		phases := make(map[uuid.UUID]procedure.Phase, len(pr.Phases))
		for _, ph := range pr.Phases {
			phases[ph.ID] = ph
		}
		bodies := map[uuid.UUID]string{}
		f := e.req.Filter
		for {
			page, err := r.Statements.List(ctx, f)
			if err != nil {
				return err
			}
			if !e.Pseudonymised {
				if err := bodyNames(ctx, r, page.Items, bodies); err != nil {
					return err
				}
			}
			for _, st := range page.Items {
				if e.req.MaxRows > 0 && n >= e.req.MaxRows {
					return ErrExportTooLarge
				}
				if err := each(e.row(st, phases, bodies)); err != nil {
					return err
				}
				n++
			}
			if page.NextCursor == "" || len(page.Items) == 0 {
				return nil
			}
			f.AfterSeq = page.Items[len(page.Items)-1].Seq
		}
	})
	if errors.Is(err, ErrExportTooLarge) {
		return n, err
	}
	if err == nil || n > 0 {
		if aerr := e.record(ctx, n, err == nil); aerr != nil {
			err = errors.Join(err, aerr)
		}
	}
	if err != nil {
		return n, fmt.Errorf("export statements: %w", err)
	}
	return n, nil
}

func (e *Export) row(st statement.Statement, phases map[uuid.UUID]procedure.Phase, bodies map[uuid.UUID]string) Row {
	r := Row{Number: st.Number, ReceivedAt: st.ReceivedAt, Phase: phases[st.PhaseID], Channel: st.Channel, Kind: st.Kind,
		Pseudonymised: e.Pseudonymised, Text: st.Text, Topics: st.Topics, Answer: st.Answer, Decision: st.Decision,
		Status: st.Status, Timely: st.Timely, WithdrawnAt: st.WithdrawnAt, Attachments: len(st.Attachments)}
	if e.Pseudonymised {
		r.Submitter = statement.Submitter{Name: e.s.pseudonym(st)}
	} else {
		r.Submitter, r.Body = st.Submitter, bodies[st.OnBehalfOf]
	}
	return r
}

// bodyNames adds the names of the public bodies of list that names lacks.
func bodyNames(ctx context.Context, r Repos, list []statement.Statement, names map[uuid.UUID]string) error {
	var missing []uuid.UUID
	for _, st := range list {
		if _, ok := names[st.OnBehalfOf]; !ok && st.OnBehalfOf != uuid.Nil {
			names[st.OnBehalfOf] = "" // asked once, even if unknown
			missing = append(missing, st.OnBehalfOf)
		}
	}
	found, err := r.Statements.OrganisationNames(ctx, missing)
	if err != nil {
		return err
	}
	for id, name := range found {
		names[id] = name
	}
	return nil
}

// record writes the export to the audit trail. It runs on its own context:
// rows handed out before the client went away or the deadline passed must be
// on record too.
func (e *Export) record(ctx context.Context, n int, complete bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	details := map[string]any{"format": e.req.Format, "count": n, "pseudonymised": e.Pseudonymised, "complete": complete}
	if f := filterDetails(e.req.Filter); len(f) > 0 {
		details["filter"] = f
	}
	return e.s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		return audit.Record(ctx, r.Audit, e.p, e.Procedure.OrganisationID, "statement.export", "procedure", e.Procedure.ID.String(), details)
	})
}

// filterDetails are the filters of an export that were set.
func filterDetails(f statement.Filter) map[string]any {
	d := map[string]any{}
	set := func(k string, v any, ok bool) {
		if ok {
			d[k] = v
		}
	}
	set("phase", f.PhaseID, f.PhaseID != uuid.Nil)
	set("status", f.Status, f.Status != "")
	set("topic", f.Topic, f.Topic != "")
	set("submitter_kind", f.Kind, f.Kind != "")
	set("channel", f.Channel, f.Channel != "")
	set("group", f.GroupID, f.GroupID != uuid.Nil)
	set("q", f.Text, f.Text != "")
	for k, b := range map[string]*bool{"has_attachments": f.HasAttachments, "timely": f.Timely, "withdrawn": f.Withdrawn} {
		if b != nil {
			d[k] = *b
		}
	}
	return d
}
