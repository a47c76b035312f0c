package postgres_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

// One holder at a time, across pools as across instances; a released or
// crashed holder lets the next one in.
func TestAdvisoryLockHasOneHolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	pools := make([]*bun.DB, 2) // two instances on one database
	for i := range pools {
		db, err := postgres.Open(url, postgres.PoolConfig{MaxOpen: 2, MaxIdle: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		pools[i] = db
	}
	db, other := pools[0], pools[1]
	first, second := postgres.NewAdvisoryLock(db, "job"), postgres.NewAdvisoryLock(other, "job")

	release, ok, err := first.TryLock(ctx)
	if err != nil || !ok {
		t.Fatalf("first TryLock: %v %v", ok, err)
	}
	if _, ok, err := second.TryLock(ctx); err != nil || ok {
		t.Fatalf("second TryLock while held: ok %v, err %v; want refused", ok, err)
	}
	if r, ok, err := postgres.NewAdvisoryLock(other, "other job").TryLock(ctx); err != nil || !ok {
		t.Fatalf("another name: ok %v, err %v", ok, err)
	} else {
		r()
	}
	release()
	release2, ok, err := second.TryLock(ctx)
	if err != nil || !ok {
		t.Fatalf("TryLock after release: %v %v", ok, err)
	}
	release2()
}
