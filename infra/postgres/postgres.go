// Package postgres stores the portal's records in PostgreSQL through Bun. Row
// structs stay in this package; repositories convert them to domain types and map
// driver errors to the domain's error categories.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"beteiligungsportal/domain"
)

// PoolConfig sizes the connection pool.
type PoolConfig struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
}

// Open connects to the database at dsn (a postgres:// URL) through the pgx driver.
// It does not ping; callers decide how long to wait for the server.
func Open(dsn string, pool PoolConfig) (*bun.DB, error) {
	cfg, err := pgconnConfig(dsn)
	if err != nil {
		return nil, err
	}
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(pool.MaxOpen)
	sqldb.SetMaxIdleConns(pool.MaxIdle)
	sqldb.SetConnMaxLifetime(pool.MaxLifetime)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// Ping checks that the database answers.
func Ping(ctx context.Context, db *bun.DB) error { return db.PingContext(ctx) }

// Runner hands a use case repositories bound either to a transaction or to the
// pool. R is the use case's own repository set; bind builds it over a bun.IDB.
type Runner[R any] struct {
	db   *bun.DB
	bind func(bun.IDB) R
}

// NewRunner returns a Runner over db.
func NewRunner[R any](db *bun.DB, bind func(bun.IDB) R) *Runner[R] {
	return &Runner[R]{db: db, bind: bind}
}

// InTx runs fn in one transaction, committed when fn returns nil.
func (r *Runner[R]) InTx(ctx context.Context, fn func(ctx context.Context, repos R) error) error {
	return r.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(ctx, r.bind(tx))
	})
}

// Read runs fn on the pool without a transaction, for reads.
func (r *Runner[R]) Read(ctx context.Context, fn func(ctx context.Context, repos R) error) error {
	return fn(ctx, r.bind(r.db))
}

// PostgreSQL error codes this package maps.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
)

// mapErr translates driver errors into domain categories. notFound is returned for
// sql.ErrNoRows; conflict for unique violations (nil keeps the generic category).
func mapErr(err error, notFound, conflict error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case uniqueViolation:
			if conflict != nil {
				return conflict
			}
			return fmt.Errorf("%s: %w", pgErr.ConstraintName, domain.ErrConflict)
		case foreignKeyViolation:
			return fmt.Errorf("%s: %w", pgErr.ConstraintName, domain.ErrConflict)
		case checkViolation:
			return fmt.Errorf("%s: %w", pgErr.ConstraintName, domain.ErrInvalid)
		}
	}
	return err
}

// hasCode reports whether err is a PostgreSQL error with the given code.
func hasCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// requireRow turns an UPDATE or DELETE that matched nothing into notFound: Bun
// reports no error for it.
func requireRow(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// IsUnavailable reports whether err means the database cannot be reached or
// is restarting, not that the statement was wrong: refused or broken
// connections and the server's own shutdown and start-up errors (classes 08,
// 57P and 53300). A request that failed so may be repeated unchanged later.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		pgconn.SafeToRetry(err)
}
