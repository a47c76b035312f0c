package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

// A procedure's URL names it by ID or by slug; anything else is not found.
func TestProceduresGetByRef(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(testenv.DatabaseURL(t), postgres.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, ids := testProcedures(t, db, "verweis", 2)
	procs := postgres.NewProcedures(db)
	for _, tc := range []struct {
		ref  string
		want uuid.UUID
	}{
		{ids[0].String(), ids[0]},
		{"verweis-1", ids[1]},
	} {
		pr, err := procs.GetByRef(ctx, tc.ref)
		if err != nil || pr.ID != tc.want {
			t.Errorf("GetByRef(%q) = %v, %v; want %v", tc.ref, pr.ID, err, tc.want)
		}
	}
	for _, ref := range []string{uuid.NewString(), "verweis-2", "", "VERWEIS-0", ids[0].String() + "x"} {
		if _, err := procs.GetByRef(ctx, ref); !errors.Is(err, procedure.ErrNotFound) {
			t.Errorf("GetByRef(%q): %v, want not found", ref, err)
		}
	}
}
