package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// migrationLockKey is the PostgreSQL advisory lock that serialises migrations.
// Bun's table lock fails at once when taken and stays taken after a crash; an
// advisory lock makes a second instance wait and is released with its connection.
const migrationLockKey = 7_262_839_211

func newMigrator(db *bun.DB, m *migrate.Migrations) *migrate.Migrator {
	// Mark a migration applied only after it ran, so a failed one is retried.
	return migrate.NewMigrator(db, m, migrate.WithMarkAppliedOnSuccess(true))
}

// Migrate applies every pending migration, waiting for any other instance that is
// migrating the same database. It returns the names it applied.
func Migrate(ctx context.Context, db *bun.DB, m *migrate.Migrations) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
		return nil, fmt.Errorf("migrate: take lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey) //nolint:errcheck // released with the connection anyway

	migrator := newMigrator(db, m)
	if err := migrator.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrate: init: %w", err)
	}
	group, err := migrator.Migrate(ctx)
	var names []string
	for _, mg := range group.Migrations {
		names = append(names, mg.Name)
	}
	if err != nil {
		// The last name in the group is the one that failed; it is not recorded.
		return names[:max(len(names)-1, 0)], fmt.Errorf("migrate: %w", err)
	}
	return names, nil
}

// MigrationState is one migration with whether it has been applied.
type MigrationState struct {
	Name    string
	Comment string
	Applied bool
	Known   bool // false for a migration recorded in the database but not in this binary
}

// MigrationStatus lists the binary's migrations and any unknown applied ones.
func MigrationStatus(ctx context.Context, db *bun.DB, m *migrate.Migrations) ([]MigrationState, error) {
	migrator := newMigrator(db, m)
	if err := ensureTables(ctx, db, migrator); err != nil {
		return nil, err
	}
	withStatus, err := migrator.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	applied, err := migrator.AppliedMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	known := map[string]bool{}
	var out []MigrationState
	for _, mg := range withStatus {
		known[mg.Name] = true
		out = append(out, MigrationState{Name: mg.Name, Comment: mg.Comment, Applied: mg.IsApplied(), Known: true})
	}
	for _, mg := range applied {
		if !known[mg.Name] {
			out = append(out, MigrationState{Name: mg.Name, Comment: mg.Comment, Applied: true})
		}
	}
	return out, nil
}

// ensureTables creates the migrator's bookkeeping tables under the migration lock,
// so that reading the status of an empty database works.
func ensureTables(ctx context.Context, db *bun.DB, migrator *migrate.Migrator) error {
	var exists bool
	if err := db.NewRaw("SELECT to_regclass('bun_migrations') IS NOT NULL").Scan(ctx, &exists); err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	if exists {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey) //nolint:errcheck // released with the connection anyway
	return migrator.Init(ctx)
}

// CheckSchema returns an error saying what to do when the database is behind or
// ahead of the binary's migrations; nil when they match.
func CheckSchema(ctx context.Context, db *bun.DB, m *migrate.Migrations) error {
	states, err := MigrationStatus(ctx, db, m)
	if err != nil {
		return err
	}
	var pending, unknown []string
	for _, s := range states {
		switch {
		case !s.Known:
			unknown = append(unknown, s.Name)
		case !s.Applied:
			pending = append(pending, s.Name)
		}
	}
	switch {
	case len(unknown) > 0:
		return fmt.Errorf("database schema is ahead of this binary (unknown migrations: %s); deploy the binary that has them", strings.Join(unknown, ", "))
	case len(pending) > 0:
		return fmt.Errorf("database schema is behind (%d pending: %s); run `portal migrate` first", len(pending), strings.Join(pending, ", "))
	}
	return nil
}
