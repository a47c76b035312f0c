package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
	"beteiligungsportal/migrations"
)

func emptyDB(t *testing.T) *bun.DB {
	t.Helper()
	db, err := postgres.Open(testenv.EmptyDatabaseURL(t), postgres.PoolConfig{MaxOpen: 10, MaxIdle: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateEmptyDatabaseTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := emptyDB(t)
	if err := postgres.CheckSchema(ctx, db, migrations.Migrations); err == nil || !strings.Contains(err.Error(), "portal migrate") {
		t.Fatalf("empty database: got %v, want a hint to run portal migrate", err)
	}
	applied, err := postgres.Migrate(ctx, db, migrations.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(migrations.Migrations.Sorted()) {
		t.Fatalf("applied %v, want all %d migrations", applied, len(migrations.Migrations.Sorted()))
	}
	again, err := postgres.Migrate(ctx, db, migrations.Migrations)
	if err != nil || len(again) != 0 {
		t.Fatalf("second run: applied %v, err %v; want nothing to do", again, err)
	}
	if err := postgres.CheckSchema(ctx, db, migrations.Migrations); err != nil {
		t.Fatalf("after migrating: %v", err)
	}
	var n int
	if err := db.NewRaw("SELECT count(*) FROM organisations").Scan(ctx, &n); err != nil {
		t.Fatalf("schema missing: %v", err)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := emptyDB(t)
	var wg sync.WaitGroup
	results := make([][]string, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = postgres.Migrate(ctx, db, migrations.Migrations) })
	}
	wg.Wait()
	total := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		total += len(results[i])
	}
	if total != len(migrations.Migrations.Sorted()) {
		t.Fatalf("migrations applied %d times in all, want each exactly once", total)
	}
}

// A failing migration is not recorded, so fixing it and running again applies it.
func TestFailedMigrationIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := emptyDB(t)
	bad := migrate.NewMigrations()
	if err := bad.Discover(fstest.MapFS{
		"20990101000000_broken.tx.up.sql": {Data: []byte("CREATE TABLE t (id int);\n--bun:split\nSELECT no_such_function();")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Migrate(ctx, db, bad); err == nil {
		t.Fatal("broken migration: want an error")
	}
	states, err := postgres.MigrationStatus(ctx, db, bad)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states[0].Applied {
		t.Fatalf("broken migration recorded as applied: %+v", states)
	}
	fixed := migrate.NewMigrations()
	if err := fixed.Discover(fstest.MapFS{
		"20990101000000_broken.tx.up.sql": {Data: []byte("CREATE TABLE t (id int);")},
	}); err != nil {
		t.Fatal(err)
	}
	if applied, err := postgres.Migrate(ctx, db, fixed); err != nil || len(applied) != 1 {
		t.Fatalf("retry: applied %v, err %v", applied, err)
	}
}

func TestCheckSchemaAhead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := emptyDB(t)
	newer := migrate.NewMigrations()
	if err := newer.Discover(fstest.MapFS{
		"20990101000000_future.tx.up.sql": {Data: []byte("CREATE TABLE future (id int);")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Migrate(ctx, db, newer); err != nil {
		t.Fatal(err)
	}
	older := migrate.NewMigrations()
	err := postgres.CheckSchema(ctx, db, older)
	if err == nil || !strings.Contains(err.Error(), "ahead") || !strings.Contains(err.Error(), "20990101000000") {
		t.Fatalf("got %v, want the database reported ahead, naming the migration", err)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	if _, err := db.ExecContext(ctx, "INSERT INTO audit_log (action) VALUES ('test.entry')"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log", "TRUNCATE audit_log"} {
		if _, err := db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: got %v, want refusal", q, err)
		}
	}
}

// portal_fold makes search columns comparable the way Germans type; it must
// answer the same in a session with an empty search_path, as pg_restore has
// when it computes the generated columns that use it.
func TestPortalFold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT pronamespace::regnamespace::text FROM pg_proc WHERE proname = 'portal_fold'").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"Bebauungsplan „Am Mühlgraben“": `bebauungsplan ,,am muehlgraben"`,
		"Hauptstraße ÖFFENTLICH":        "hauptstrasse oeffentlich",
		"Crème brûlée, Łódź":            "creme brulee, lodz",
		"":                              "",
	}
	for _, searchPath := range []string{"DEFAULT", "''"} {
		if _, err := conn.ExecContext(ctx, "SET search_path = "+searchPath); err != nil {
			t.Fatal(err)
		}
		for in, want := range cases {
			var got string
			if err := conn.QueryRowContext(ctx, "SELECT "+schema+".portal_fold(?)", in).Scan(&got); err != nil {
				t.Fatalf("search_path %s: %q: %v", searchPath, in, err)
			}
			if got != want {
				t.Errorf("search_path %s: portal_fold(%q) = %q, want %q", searchPath, in, got, want)
			}
		}
	}
	if _, err := conn.ExecContext(ctx, "RESET search_path"); err != nil {
		t.Fatal(err)
	}
}
