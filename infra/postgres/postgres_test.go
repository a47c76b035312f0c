package postgres_test

import (
	"context"
	"testing"

	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

// The portal's connections do not JIT-compile queries (compiling cost more
// than the catalogue's queries themselves), unless the URL asks for it.
func TestConnectionsRunWithoutJIT(t *testing.T) {
	url := testenv.EmptyDatabaseURL(t)
	for _, c := range []struct{ url, want string }{
		{url, "off"},
		{url + "&jit=on", "on"},
	} {
		db, err := postgres.Open(c.url, postgres.PoolConfig{MaxOpen: 1, MaxIdle: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = db.QueryRowContext(context.Background(), "SHOW jit").Scan(&got)
		db.Close()
		if err != nil || got != c.want {
			t.Errorf("%s: jit = %q (%v), want %q", c.url, got, err, c.want)
		}
	}
}
