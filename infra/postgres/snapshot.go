package postgres

import (
	"context"
	"database/sql"

	"github.com/uptrace/bun"
)

// Snapshot runs fn in one read-only REPEATABLE READ transaction: every query
// in it sees the database as it was at the first one, so a long read that
// pages through many rows (an export) is consistent even while others write.
// Read-only also keeps such a reader from taking any locks that writers
// would wait for.
func (r *Runner[R]) Snapshot(ctx context.Context, fn func(ctx context.Context, repos R) error) error {
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	return r.db.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		return fn(ctx, r.bind(tx))
	})
}
