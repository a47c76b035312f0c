package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	org "beteiligungsportal/domain/organisation"
)

type organisationRow struct {
	bun.BaseModel `bun:"table:organisations,alias:o"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	ParentID       uuid.UUID `bun:"parent_id,type:uuid,nullzero"`
	Name           string    `bun:"name"`
	Kind           string    `bun:"kind"`
	AGS            string    `bun:"ags,nullzero"`
	ContactEmail   string    `bun:"contact_email"`
	ContactPhone   string    `bun:"contact_phone"`
	ContactAddress string    `bun:"contact_address"`
	ContactWebsite string    `bun:"contact_website"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

func organisationRowFrom(o org.Organisation) organisationRow {
	return organisationRow{
		ID: o.ID, ParentID: o.ParentID, Name: o.Name, Kind: string(o.Kind), AGS: o.AGS.String(),
		ContactEmail: o.Contact.Email, ContactPhone: o.Contact.Phone,
		ContactAddress: o.Contact.Address, ContactWebsite: o.Contact.Website,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

func (r organisationRow) toDomain() org.Organisation {
	return org.Organisation{
		ID: r.ID, ParentID: r.ParentID, Name: r.Name, Kind: org.Kind(r.Kind), AGS: org.AGS(r.AGS),
		Contact:   org.Contact{Email: r.ContactEmail, Phone: r.ContactPhone, Address: r.ContactAddress, Website: r.ContactWebsite},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// Organisations is the organisation repository.
type Organisations struct{ db bun.IDB }

// NewOrganisations returns the repository over db (a pool or a transaction).
func NewOrganisations(db bun.IDB) *Organisations { return &Organisations{db: db} }

// Get returns one organisation.
func (s *Organisations) Get(ctx context.Context, id uuid.UUID) (org.Organisation, error) {
	var row organisationRow
	err := s.db.NewSelect().Model(&row).Where("o.id = ?", id).Scan(ctx)
	if err != nil {
		return org.Organisation{}, mapErr(err, org.ErrNotFound, nil)
	}
	return row.toDomain(), nil
}

// List returns every organisation ordered by name.
func (s *Organisations) List(ctx context.Context) ([]org.Organisation, error) {
	var rows []organisationRow
	if err := s.db.NewSelect().Model(&rows).OrderExpr("o.name, o.id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]org.Organisation, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// Ancestors returns id and the IDs above it, up to the root.
func (s *Organisations) Ancestors(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.db.NewRaw(`
		WITH RECURSIVE up(id, parent_id, depth) AS (
			SELECT id, parent_id, 0 FROM organisations WHERE id = ?
			UNION ALL
			SELECT o.id, o.parent_id, up.depth + 1 FROM organisations o JOIN up ON o.id = up.parent_id
			WHERE up.depth < 64
		)
		SELECT id FROM up ORDER BY depth`, id).Scan(ctx, &ids)
	return ids, err
}

// Insert stores a new organisation.
func (s *Organisations) Insert(ctx context.Context, o org.Organisation) error {
	row := organisationRowFrom(o)
	_, err := s.db.NewInsert().Model(&row).Exec(ctx)
	return mapErr(err, org.ErrNotFound, org.ErrAGSTaken)
}

// Update stores changed data of an organisation.
func (s *Organisations) Update(ctx context.Context, o org.Organisation) error {
	row := organisationRowFrom(o)
	res, err := s.db.NewUpdate().Model(&row).WherePK().ExcludeColumn("created_at").Exec(ctx)
	if err != nil {
		return mapErr(err, org.ErrNotFound, org.ErrAGSTaken)
	}
	return requireRow(res, org.ErrNotFound)
}

// Delete removes an organisation. Children (and, later, anything else that refers
// to it) make the foreign keys refuse it.
func (s *Organisations) Delete(ctx context.Context, id uuid.UUID) error {
	res, err := s.db.NewDelete().Model((*organisationRow)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		if hasCode(err, foreignKeyViolation) {
			return org.ErrHasChildren
		}
		return err
	}
	return requireRow(res, org.ErrNotFound)
}
