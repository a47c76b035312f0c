// Package testenv gives tests the real PostgreSQL and Redis that `make test`
// starts: a freshly migrated database per test, cloned from a template so it is
// quick (pgtestdb), and a Redis key prefix per test.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/common"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/migrations"
)

func init() { _ = stdlib.GetDefaultDriver() } // registers the "pgx" driver name

// Env returns the variable or fails the test with a hint to use make test.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the tests with `make test`, which starts PostgreSQL and Redis", name)
	}
	return v
}

// serverConfig turns DATABASE_URL into pgtestdb's server settings.
func serverConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	u, err := url.Parse(Env(t, "DATABASE_URL"))
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	q := u.Query()
	return pgtestdb.Config{
		DriverName: "pgx", Host: u.Hostname(), Port: u.Port(), User: u.User.Username(), Password: pw,
		Database: u.Path[1:], Options: q.Encode(), ForceTerminateConnections: true,
	}
}

// migrator builds the template database with the portal's own migrations.
type migrator struct{}

func (migrator) Hash() (string, error) { return common.HashDirs(migrations.Files, "*.sql", ".") }

func (migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	_, err := postgres.Migrate(ctx, bun.NewDB(db, pgdialect.New()), migrations.Migrations)
	return err
}

// DatabaseURL returns the URL of a new, fully migrated database for this test,
// dropped when the test ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, serverConfig(t), migrator{}).URL()
}

// EmptyDatabaseURL returns the URL of a new database without any migration.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, serverConfig(t), pgtestdb.NoopMigrator{}).URL()
}

// DB opens a new, fully migrated database for this test.
func DB(t testing.TB) *bun.DB {
	t.Helper()
	db, err := postgres.Open(DatabaseURL(t), postgres.PoolConfig{MaxOpen: 10, MaxIdle: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Redis returns a client on REDIS_URL and a key prefix of this test's own; the
// test's keys are deleted when it ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(Env(t, "REDIS_URL"))
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	prefix := "test:" + rand.Text()[:12] + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		c.Close()
	})
	return c, prefix
}
