package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain/audit"
)

type auditRow struct {
	bun.BaseModel `bun:"table:audit_log,alias:l"`

	ID             int64          `bun:"id,pk,autoincrement"`
	At             time.Time      `bun:"at"`
	ActorID        uuid.UUID      `bun:"actor_id,type:uuid,nullzero"`
	ActorEmail     string         `bun:"actor_email"`
	OrganisationID uuid.UUID      `bun:"organisation_id,type:uuid,nullzero"`
	Action         string         `bun:"action"`
	ObjectType     string         `bun:"object_type"`
	ObjectID       string         `bun:"object_id"`
	RequestID      string         `bun:"request_id"`
	Details        map[string]any `bun:"details,type:jsonb,nullzero"`
}

// Audit is the append-only audit trail.
type Audit struct{ db bun.IDB }

// NewAudit returns the trail over db (a pool or a transaction).
func NewAudit(db bun.IDB) *Audit { return &Audit{db: db} }

// Append writes one entry.
func (s *Audit) Append(ctx context.Context, e audit.Entry) error {
	row := auditRowFrom(e)
	_, err := s.db.NewInsert().Model(&row).ExcludeColumn("id").Exec(ctx)
	return err
}

func auditRowFrom(e audit.Entry) auditRow {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	return auditRow{
		At: e.At, ActorID: e.ActorID, ActorEmail: e.ActorEmail, OrganisationID: e.OrganisationID,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, RequestID: e.RequestID, Details: e.Details,
	}
}

// List returns entries newest first, after the keyset cursor f.Before.
func (s *Audit) List(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var rows []auditRow
	q := s.db.NewSelect().Model(&rows).OrderExpr("l.id DESC").Limit(int64(f.Limit))
	if f.OrganisationID != uuid.Nil {
		q = q.Where("l.organisation_id = ?", f.OrganisationID)
	}
	if f.Before > 0 {
		q = q.Where("l.id < ?", f.Before)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]audit.Entry, len(rows))
	for i, r := range rows {
		out[i] = audit.Entry{
			ID: r.ID, At: r.At.UTC(), ActorID: r.ActorID, ActorEmail: r.ActorEmail, OrganisationID: r.OrganisationID,
			Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID, RequestID: r.RequestID, Details: r.Details,
		}
	}
	return out, nil
}
