package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	acc "beteiligungsportal/domain/account"
)

type accountRow struct {
	bun.BaseModel `bun:"table:accounts,alias:a"`

	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	Email         string    `bun:"email"`
	DisplayName   string    `bun:"display_name"`
	PasswordHash  string    `bun:"password_hash"`
	InstanceAdmin bool      `bun:"instance_admin"`
	Active        bool      `bun:"active"`
	SessionEpoch  int64     `bun:"session_epoch"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func accountRowFrom(a acc.Account) accountRow {
	return accountRow{
		ID: a.ID, Email: a.Email, DisplayName: a.DisplayName, PasswordHash: a.PasswordHash,
		InstanceAdmin: a.InstanceAdmin, Active: a.Active, SessionEpoch: a.SessionEpoch,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

func (r accountRow) toDomain() acc.Account {
	return acc.Account{
		ID: r.ID, Email: r.Email, DisplayName: r.DisplayName, PasswordHash: r.PasswordHash,
		InstanceAdmin: r.InstanceAdmin, Active: r.Active, SessionEpoch: r.SessionEpoch,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type membershipRow struct {
	bun.BaseModel `bun:"table:memberships,alias:m"`

	AccountID      uuid.UUID `bun:"account_id,pk,type:uuid"`
	OrganisationID uuid.UUID `bun:"organisation_id,pk,type:uuid"`
	Role           string    `bun:"role"`
	CreatedAt      time.Time `bun:"created_at"`
}

// Accounts is the repository of staff accounts and memberships.
type Accounts struct{ db bun.IDB }

// NewAccounts returns the repository over db (a pool or a transaction).
func NewAccounts(db bun.IDB) *Accounts { return &Accounts{db: db} }

// Get returns one account.
func (s *Accounts) Get(ctx context.Context, id uuid.UUID) (acc.Account, error) {
	var row accountRow
	if err := s.db.NewSelect().Model(&row).Where("a.id = ?", id).Scan(ctx); err != nil {
		return acc.Account{}, mapErr(err, acc.ErrNotFound, nil)
	}
	return row.toDomain(), nil
}

// GetByEmail returns the account with the normalised e-mail address.
func (s *Accounts) GetByEmail(ctx context.Context, email string) (acc.Account, error) {
	var row accountRow
	if err := s.db.NewSelect().Model(&row).Where("a.email = ?", email).Scan(ctx); err != nil {
		return acc.Account{}, mapErr(err, acc.ErrNotFound, nil)
	}
	return row.toDomain(), nil
}

// Insert stores a new account.
func (s *Accounts) Insert(ctx context.Context, a acc.Account) error {
	row := accountRowFrom(a)
	_, err := s.db.NewInsert().Model(&row).Exec(ctx)
	return mapErr(err, acc.ErrNotFound, acc.ErrEmailTaken)
}

// Update stores changed data of an account.
func (s *Accounts) Update(ctx context.Context, a acc.Account) error {
	row := accountRowFrom(a)
	res, err := s.db.NewUpdate().Model(&row).WherePK().ExcludeColumn("created_at").Exec(ctx)
	if err != nil {
		return mapErr(err, acc.ErrNotFound, acc.ErrEmailTaken)
	}
	return requireRow(res, acc.ErrNotFound)
}

// BumpSessionEpoch invalidates every session of the account.
func (s *Accounts) BumpSessionEpoch(ctx context.Context, id uuid.UUID) error {
	res, err := s.db.NewUpdate().Model((*accountRow)(nil)).
		Set("session_epoch = session_epoch + 1").Set("updated_at = now()").
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	return requireRow(res, acc.ErrNotFound)
}

// Memberships returns the account's memberships with organisation names.
func (s *Accounts) Memberships(ctx context.Context, accountID uuid.UUID) ([]acc.Membership, error) {
	var rows []struct {
		OrganisationID   uuid.UUID `bun:"organisation_id"`
		OrganisationName string    `bun:"organisation_name"`
		Role             string    `bun:"role"`
		CreatedAt        time.Time `bun:"created_at"`
	}
	err := s.db.NewSelect().TableExpr("memberships AS m").
		Join("JOIN organisations AS o ON o.id = m.organisation_id").
		ColumnExpr("m.organisation_id, o.name AS organisation_name, m.role, m.created_at").
		Where("m.account_id = ?", accountID).OrderExpr("o.name").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]acc.Membership, len(rows))
	for i, r := range rows {
		out[i] = acc.Membership{AccountID: accountID, OrganisationID: r.OrganisationID,
			OrganisationName: r.OrganisationName, Role: acc.Role(r.Role), CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// Members lists an organisation's staff.
func (s *Accounts) Members(ctx context.Context, orgID uuid.UUID) ([]acc.Member, error) {
	var rows []struct {
		AccountID   uuid.UUID `bun:"account_id"`
		Email       string    `bun:"email"`
		DisplayName string    `bun:"display_name"`
		Role        string    `bun:"role"`
		Active      bool      `bun:"active"`
		CreatedAt   time.Time `bun:"created_at"`
	}
	err := s.db.NewSelect().TableExpr("memberships AS m").
		Join("JOIN accounts AS a ON a.id = m.account_id").
		ColumnExpr("m.account_id, a.email, a.display_name, m.role, a.active, m.created_at").
		Where("m.organisation_id = ?", orgID).OrderExpr("a.display_name, a.email").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]acc.Member, len(rows))
	for i, r := range rows {
		out[i] = acc.Member{AccountID: r.AccountID, Email: r.Email, DisplayName: r.DisplayName,
			Role: acc.Role(r.Role), Active: r.Active, Since: r.CreatedAt.UTC()}
	}
	return out, nil
}

// Membership returns one membership, locking it for the rest of the transaction.
func (s *Accounts) Membership(ctx context.Context, orgID, accountID uuid.UUID) (acc.Membership, error) {
	var row membershipRow
	err := s.db.NewSelect().Model(&row).
		Where("m.organisation_id = ? AND m.account_id = ?", orgID, accountID).For("UPDATE").Scan(ctx)
	if err != nil {
		return acc.Membership{}, mapErr(err, acc.ErrMemberNotFound, nil)
	}
	return acc.Membership{AccountID: row.AccountID, OrganisationID: row.OrganisationID,
		Role: acc.Role(row.Role), CreatedAt: row.CreatedAt.UTC()}, nil
}

// AddMembership stores a new membership.
func (s *Accounts) AddMembership(ctx context.Context, m acc.Membership) error {
	row := membershipRow{AccountID: m.AccountID, OrganisationID: m.OrganisationID, Role: string(m.Role), CreatedAt: m.CreatedAt}
	_, err := s.db.NewInsert().Model(&row).Exec(ctx)
	return mapErr(err, acc.ErrMemberNotFound, acc.ErrMemberExists)
}

// SetRole changes a member's role.
func (s *Accounts) SetRole(ctx context.Context, orgID, accountID uuid.UUID, role acc.Role) error {
	res, err := s.db.NewUpdate().Model((*membershipRow)(nil)).Set("role = ?", string(role)).
		Where("organisation_id = ? AND account_id = ?", orgID, accountID).Exec(ctx)
	if err != nil {
		return mapErr(err, acc.ErrMemberNotFound, nil)
	}
	return requireRow(res, acc.ErrMemberNotFound)
}

// RemoveMembership deletes a membership.
func (s *Accounts) RemoveMembership(ctx context.Context, orgID, accountID uuid.UUID) error {
	res, err := s.db.NewDelete().Model((*membershipRow)(nil)).
		Where("organisation_id = ? AND account_id = ?", orgID, accountID).Exec(ctx)
	if err != nil {
		return err
	}
	return requireRow(res, acc.ErrMemberNotFound)
}

// CountRole counts members of org with role, locking their rows so that two
// concurrent demotions cannot both see a second admin.
func (s *Accounts) CountRole(ctx context.Context, orgID uuid.UUID, role acc.Role) (int, error) {
	var ids []uuid.UUID
	err := s.db.NewSelect().Model((*membershipRow)(nil)).Column("account_id").
		Where("organisation_id = ? AND role = ?", orgID, string(role)).For("UPDATE").Scan(ctx, &ids)
	return len(ids), err
}
