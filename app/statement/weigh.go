package statement

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/app/i18n"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/file"
	org "beteiligungsportal/domain/organisation"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/statement"
)

// MaxPage is the largest page of statements.
const MaxPage = 200

// staffProcedure loads the procedure and checks that p may read its
// statements: others' staff get 404 for drafts and 403 otherwise, like for
// the procedure itself.
func staffProcedure(ctx context.Context, r Repos, p account.Principal, procID uuid.UUID, weigh bool) (procedure.Procedure, error) {
	pr, err := r.Procedures.Get(ctx, procID)
	if err != nil {
		return pr, err
	}
	allowed := p.CanReadStatements(pr.OrganisationID)
	if weigh {
		allowed = p.CanWeighStatements(pr.OrganisationID)
	}
	switch {
	case allowed:
		return pr, nil
	case pr.IsDraft() && !p.CanSeeInternals(pr.OrganisationID):
		return pr, procedure.ErrNotFound
	}
	return pr, domain.ErrForbidden
}

// View is a statement as one staff member may see it.
type View struct {
	statement.Statement
	// Pseudonymised: the submitter's data is replaced by Pseudonym.
	Pseudonymised bool
	Pseudonym     string
}

func (s *Service) view(p account.Principal, org uuid.UUID, st statement.Statement) View {
	v := View{Statement: st, Pseudonym: s.pseudonym(st)}
	if !p.CanWeighStatements(org) {
		v.Pseudonymised = true
		v.Submitter = statement.Submitter{Name: v.Pseudonym}
		v.AccountID = uuid.Nil
		// File names often carry the sender's name ("Stellungnahme Müller.pdf").
		v.Attachments = slices.Clone(v.Attachments)
		for i := range v.Attachments {
			v.Attachments[i].FileName = i18n.T(i18n.Default, "statement.pseudonym_attachment", i+1)
		}
	}
	return v
}

// pseudonym names a submitter without revealing them: the same name and
// e-mail give the same pseudonym within a procedure, so a viewer sees that
// five statements come from one person without learning who.
func (s *Service) pseudonym(st statement.Statement) string {
	if st.Kind == statement.SubmitterPublicBody {
		return i18n.T(i18n.Default, "statement.pseudonym_public_body")
	}
	who := strings.ToLower(st.Submitter.Name + "\x00" + st.Submitter.Email)
	if strings.Trim(who, "\x00") == "" {
		return i18n.T(i18n.Default, "statement.pseudonym_anonymous", st.Number)
	}
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte("pseudonym\x00"))
	m.Write(st.ProcedureID[:])
	m.Write([]byte(who))
	return i18n.T(i18n.Default, "statement.pseudonym_person", strings.ToUpper(hex.EncodeToString(m.Sum(nil)[:3])))
}

// List returns a page of a procedure's statements for its staff.
func (s *Service) List(ctx context.Context, p account.Principal, f statement.Filter) (views []View, next string, err error) {
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 50
	}
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, f.ProcedureID, false)
		if err != nil {
			return err
		}
		page, err := r.Statements.List(ctx, f)
		if err != nil {
			return err
		}
		for _, st := range page.Items {
			views = append(views, s.view(p, pr.OrganisationID, st))
		}
		next = page.NextCursor
		return nil
	})
	return views, next, err
}

// Get returns one statement for the procedure's staff.
func (s *Service) Get(ctx context.Context, p account.Principal, procID, id uuid.UUID) (v View, err error) {
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, procID, false)
		if err != nil {
			return err
		}
		st, err := r.Statements.Get(ctx, procID, id, false)
		if err != nil {
			return err
		}
		v = s.view(p, pr.OrganisationID, st)
		return nil
	})
	return v, err
}

// OpenAttachment opens an attachment for the procedure's staff. Attachments
// are never public: they may hold personal data.
func (s *Service) OpenAttachment(ctx context.Context, p account.Principal, procID, stID, attID uuid.UUID) (statement.Attachment, file.Reader, error) {
	var att statement.Attachment
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		if _, err := staffProcedure(ctx, r, p, procID, true); err != nil {
			return err
		}
		st, err := r.Statements.Get(ctx, procID, stID, false)
		if err != nil {
			return err
		}
		for _, a := range st.Attachments {
			if a.ID == attID {
				att = a
				return nil
			}
		}
		return statement.ErrNotFound
	})
	if err != nil {
		return att, nil, err
	}
	rd, _, err := s.files.Open(ctx, att.StorageKey)
	if err != nil {
		return att, nil, fmt.Errorf("open attachment %s: %w", att.ID, err)
	}
	return att, rd, nil
}

// Weigh applies a change to one statement. version must be the one read, so
// two staff members do not overwrite each other's weighing unseen.
func (s *Service) Weigh(ctx context.Context, p account.Principal, procID, id uuid.UUID, version int, c statement.Change) (View, error) {
	var out View
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, procID, true)
		if err != nil {
			return err
		}
		st, err := r.Statements.Get(ctx, procID, id, true)
		if err != nil {
			return err
		}
		if version != 0 && version != st.Version {
			return statement.ErrVersionChanged
		}
		if err := st.Apply(c, s.now()); err != nil {
			return err
		}
		if err := r.Statements.SaveWeighing(ctx, st); err != nil {
			return err
		}
		st.Version++
		out = s.view(p, pr.OrganisationID, st)
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "statement.weigh", "statement", st.ID.String(), changeDetails(st, c))
	})
	if err != nil {
		return View{}, fmt.Errorf("weigh statement: %w", err)
	}
	return out, nil
}

// MaxBulk bounds one bulk action.
const MaxBulk = 1000

// WeighMany applies one change to several statements, all or none.
func (s *Service) WeighMany(ctx context.Context, p account.Principal, procID uuid.UUID, ids []uuid.UUID, c statement.Change) ([]View, error) {
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, &domain.ValidationError{Fields: []domain.FieldError{{Field: "ids", Code: "statement.bulk_size"}}}
	}
	var out []View
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, procID, true)
		if err != nil {
			return err
		}
		seen := map[uuid.UUID]bool{}
		var list []statement.Statement
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			st, err := r.Statements.Get(ctx, procID, id, true)
			if err != nil {
				return err
			}
			if err := st.Apply(c, s.now()); err != nil {
				return fmt.Errorf("%s: %w", st.Number, err)
			}
			list = append(list, st)
		}
		if err := r.Statements.SaveWeighing(ctx, list...); err != nil {
			return err
		}
		numbers := make([]string, len(list))
		for i := range list {
			list[i].Version++
			numbers[i] = list[i].Number
			out = append(out, s.view(p, pr.OrganisationID, list[i]))
		}
		d := changeDetails(statement.Statement{}, c)
		d["numbers"] = numbers
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "statement.weigh_many", "procedure", pr.ID.String(), d)
	})
	if err != nil {
		return nil, fmt.Errorf("weigh statements: %w", err)
	}
	return out, nil
}

func changeDetails(st statement.Statement, c statement.Change) map[string]any {
	d := map[string]any{}
	if st.Number != "" {
		d["number"] = st.Number
	}
	if c.Status != nil {
		d["status"] = *c.Status
	}
	if c.Decision != nil {
		d["decision"] = *c.Decision
	}
	if c.Priority != nil {
		d["priority"] = *c.Priority
	}
	if c.Topics != nil {
		d["topics"] = *c.Topics
	}
	if len(c.AddTopics) > 0 {
		d["add_topics"] = c.AddTopics
	}
	if c.Answer != nil {
		d["answer_changed"] = true
	}
	return d
}

// SimilarityThreshold is how alike two folded texts must be (pg_trgm
// similarity) to count as one mass statement: high enough that only copies
// with small changes (a name, a greeting) qualify.
const SimilarityThreshold = 0.8

// DetectGroups finds mass statements (identical and near-identical texts)
// and records each group on its members, so they can be filtered and weighed
// together. Earlier groups are replaced (a withdrawn statement leaves its group).
func (s *Service) DetectGroups(ctx context.Context, p account.Principal, procID uuid.UUID) ([][]uuid.UUID, error) {
	var groups [][]uuid.UUID
	err := s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		pr, err := staffProcedure(ctx, r, p, procID, true)
		if err != nil {
			return err
		}
		pairs, err := r.Statements.SimilarPairs(ctx, procID, SimilarityThreshold)
		if err != nil {
			return err
		}
		groups = statement.Groups(pairs)
		byStatement := map[uuid.UUID]uuid.UUID{}
		for _, g := range groups {
			for _, id := range g {
				byStatement[id] = g[0] // pairs come in receipt order: the earliest names the group
			}
		}
		if err := r.Statements.SetGroups(ctx, procID, byStatement); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "statement.detect_groups", "procedure", pr.ID.String(),
			map[string]any{"groups": len(groups)})
	})
	if err != nil {
		return nil, fmt.Errorf("detect mass statements: %w", err)
	}
	return groups, nil
}

// Manual is a statement that reached the agency by letter, e-mail, fax or in
// person, recorded by staff.
type Manual struct {
	Channel    statement.Channel
	ReceivedAt time.Time // when it arrived (a letter's date of receipt)
	PhaseID    uuid.UUID // the phase it belongs to
	Input      statement.Input
	Files      []Upload // the scan and any enclosures
}

// Record enters a statement that arrived otherwise, in the same numbering.
// Its timely flag says whether it arrived within the phase; late ones are
// recorded too, and the agency decides whether to consider them (§4a Abs. 6
// BauGB).
func (s *Service) Record(ctx context.Context, p account.Principal, procID uuid.UUID, m Manual) (Receipt, error) {
	in := clean(m.Input)
	var v domain.ValidationError
	if !m.Channel.Valid() || m.Channel == statement.ChannelOnline {
		v.Add("channel", "statement.channel_invalid")
	}
	now := s.now()
	if m.ReceivedAt.IsZero() || m.ReceivedAt.After(now) {
		v.Add("received_at", "statement.received_at_invalid")
	}
	if m.PhaseID == uuid.Nil {
		v.Add("phase_id", "required")
	}
	if err := v.Err(); err != nil {
		return Receipt{}, err
	}
	var pr procedure.Procedure
	var ph procedure.Phase
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		var err error
		if pr, err = staffProcedure(ctx, r, p, procID, true); err != nil {
			return err
		}
		if pr.IsDraft() {
			return statement.ErrNotAccepting // a draft has no phases that run
		}
		found := false
		for _, x := range pr.Phases {
			if x.ID == m.PhaseID {
				ph, found = x, true
			}
		}
		if !found {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "phase_id", Code: "procedure.phase_not_found"}}}
		}
		if in.OnBehalfOf != uuid.Nil {
			// As online: public bodies speak in their own (invited) phases.
			if ph.Audience == procedure.AudiencePublic {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "on_behalf_of", Code: "statement.on_behalf_public_phase"}}}
			}
			o, err := r.Organisations.Get(ctx, in.OnBehalfOf)
			if errors.Is(err, domain.ErrNotFound) || (err == nil && o.Kind != org.KindPublicBody) {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "on_behalf_of", Code: "statement.not_public_body"}}}
			}
			if err != nil {
				return err
			}
		}
		docs, err := r.Documents.List(ctx, pr.ID)
		if err != nil {
			return err
		}
		// Letters carry what their authors chose to write: the procedure's
		// field rules bind the online form, not the post.
		return in.Validate(procedure.StatementFields{Name: procedure.FieldOptional, Address: procedure.FieldOptional,
			Email: procedure.FieldOptional}, in.PrivacyVersion, docs)
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("record statement: %w", err)
	}
	id := uuid.Must(uuid.NewV7())
	atts, err := s.storeAttachments(ctx, pr.ID, id, m.Files)
	if err != nil {
		return Receipt{}, fmt.Errorf("record statement: %w", err)
	}
	in.Attachments = atts
	var st statement.Statement
	err = s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		code, seq, err := r.Statements.NextNumber(ctx, pr.ID)
		if err != nil {
			return err
		}
		kind := statement.SubmitterCitizen
		if in.OnBehalfOf != uuid.Nil {
			kind = statement.SubmitterPublicBody
		}
		at := m.ReceivedAt.UTC().Truncate(time.Microsecond)
		st = newStatement(id, &pr, ph, in, kind, p.Account.ID, m.Channel, at)
		st.Seq, st.Number = seq, statement.FormatReceipt(code, localYear(at), seq)
		st.Timely = statement.TimelyAt(&pr, ph, at)
		st.Digest = statement.ComputeDigest(st)
		if err := r.Statements.Insert(ctx, st, "", ""); err != nil {
			return err
		}
		if err := s.confirm(ctx, r, &pr, st); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, pr.OrganisationID, "statement.record", "statement", st.ID.String(),
			map[string]any{"number": st.Number, "channel": st.Channel, "timely": st.Timely, "digest": st.Digest})
	})
	if err != nil {
		s.removeFiles(ctx, atts)
		return Receipt{}, fmt.Errorf("record statement: %w", err)
	}
	return Receipt{Statement: st, Token: s.token(st.ID)}, nil
}

// Count returns how many statements a procedure received, for its detail view.
func (s *Service) Count(ctx context.Context, procID uuid.UUID) (n int, err error) {
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		n, err = r.Statements.Count(ctx, procID)
		return err
	})
	return n, err
}
