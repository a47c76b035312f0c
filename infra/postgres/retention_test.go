package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

// TestRetentionDeletesFinishedMail: sent and failed mails go once they are
// older than the cut-off, in batches of the limit; queued mail, however old,
// stays.
func TestRetentionDeletesFinishedMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	o := postgres.NewOutbox(db)
	for i := range 8 {
		if err := o.Enqueue(ctx, msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	tok, got, err := o.Claim(ctx, 8, time.Minute)
	if err != nil || len(got) != 8 {
		t.Fatalf("claim: got %d, %v; want 8", len(got), err)
	}
	id := map[string]uuid.UUID{}
	for _, m := range got {
		id[m.Ref] = m.ID
	}
	// 0–2 sent 40 days ago, 3 sent now, 4 failed 40 days ago, 5 failed now,
	// 6 waiting for a retry since 40 days, 7 leased to a worker.
	for _, ref := range []string{"0", "1", "2", "3"} {
		if err := o.MarkSent(ctx, id[ref]); err != nil {
			t.Fatal(err)
		}
	}
	for _, ref := range []string{"4", "5"} {
		if err := o.Fail(ctx, tok, id[ref], "550 no such user"); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Retry(ctx, tok, id["6"], time.Hour, "421 try later"); err != nil {
		t.Fatal(err)
	}
	old := `now() - interval '40 days'`
	execSQL(t, db, `UPDATE mail_outbox SET sent_at = `+old+` WHERE id IN (?, ?, ?)`, id["0"], id["1"], id["2"])
	execSQL(t, db, `UPDATE mail_outbox SET failed_at = `+old+` WHERE id = ?`, id["4"])
	execSQL(t, db, `UPDATE mail_outbox SET created_at = `+old+` WHERE status = 'queued'`)
	var unset int
	if err := db.NewRaw(`SELECT count(*) FROM mail_outbox WHERE status = 'failed' AND failed_at IS NULL`).Scan(ctx, &unset); err != nil || unset != 0 {
		t.Fatalf("failed mails without failed_at: %d, %v", unset, err)
	}

	cutoff := time.Now().Add(-30 * 24 * time.Hour)
	for i, want := range []int{2, 2, 0} {
		if n, err := o.DeleteFinished(ctx, cutoff, 2); err != nil || n != want {
			t.Fatalf("batch %d: got %d, %v; want %d", i, n, err, want)
		}
	}
	if left := outboxRefs(t, db); left != "3 5 6 7" {
		t.Fatalf("after deleting the old ones: got %q left, want 3 5 6 7", left)
	}
	// Everything finished goes with a cut-off in the future; queued mail stays.
	if n, err := o.DeleteFinished(ctx, time.Now().Add(time.Hour), 100); err != nil || n != 2 {
		t.Fatalf("got %d, %v; want 2", n, err)
	}
	if left := outboxRefs(t, db); left != "6 7" {
		t.Fatalf("got %q left, want the queued 6 7", left)
	}
}

func execSQL(t *testing.T, db *bun.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.NewRaw(query, args...).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// outboxRefs lists the refs of the mails left in the outbox, in order.
func outboxRefs(t *testing.T, db *bun.DB) string {
	t.Helper()
	var out []string
	if err := db.NewRaw(`SELECT ref FROM mail_outbox ORDER BY ref`).Scan(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}
