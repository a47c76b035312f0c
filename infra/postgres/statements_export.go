package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// OrganisationNames returns the names of organisations by ID, for naming the
// public bodies that statements speak for; unknown IDs are left out.
func (s *Statements) OrganisationNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   uuid.UUID `bun:"id"`
		Name string    `bun:"name"`
	}
	if err := s.db.NewSelect().Table("organisations").Column("id", "name").
		Where("id IN (?)", bun.In(ids)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}
