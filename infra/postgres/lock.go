package postgres

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/uptrace/bun"
)

// AdvisoryLock is a PostgreSQL session advisory lock for work that one
// instance at a time does. It is held on a connection of its own, so a
// crashed instance loses it with its connection and leaves nothing stale.
type AdvisoryLock struct {
	db  *bun.DB
	key int64
}

// NewAdvisoryLock returns the lock called name on db; every instance that
// uses the same name shares it.
func NewAdvisoryLock(db *bun.DB, name string) *AdvisoryLock {
	h := fnv.New64a()
	h.Write([]byte("beteiligungsportal:" + name))
	return &AdvisoryLock{db: db, key: int64(h.Sum64())}
}

// TryLock takes the lock without waiting; ok is false while another session
// holds it.
func (l *AdvisoryLock) TryLock(ctx context.Context) (release func(), ok bool, err error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("advisory lock: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?)", l.key).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("advisory lock: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return func() {
		// Unlocking on a connection that broke fails; the lock went with it.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", l.key)
		conn.Close()
	}, true, nil
}
