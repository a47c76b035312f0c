// Package migrations holds the SQL schema changes, applied in the order of their
// timestamped names by Bun's migrator. Files named *.tx.up.sql run in a transaction.
package migrations

import (
	"embed"

	"github.com/uptrace/bun/migrate"
)

// Files are the SQL files, exported so tests can fingerprint the schema.
//
//go:embed *.sql
var Files embed.FS

// Migrations is the set of migrations this binary knows.
var Migrations = migrate.NewMigrations()

func init() {
	if err := Migrations.Discover(Files); err != nil {
		panic(err) // the embedded files are part of the binary: a bad name is a build defect
	}
}
