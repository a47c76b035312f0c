package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/mail"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/infra/testenv"
)

type outboxState struct {
	Status     string
	Attempts   int
	Due        bool // next_attempt_at <= now()
	Leased     bool // locked_until > now()
	LastError  string
	NextInSecs float64
}

func outboxRow(t *testing.T, db *bun.DB, id uuid.UUID) outboxState {
	t.Helper()
	var s outboxState
	err := db.NewRaw(`SELECT status, attempts, next_attempt_at <= now(), coalesce(locked_until > now(), false), last_error,
		extract(epoch FROM next_attempt_at - now())::float8 FROM mail_outbox WHERE id = ?`, id).
		Scan(context.Background(), &s.Status, &s.Attempts, &s.Due, &s.Leased, &s.LastError, &s.NextInSecs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func msg(n int) mail.Message {
	return mail.Message{To: fmt.Sprintf("person%d@example.org", n), Subject: fmt.Sprintf("Betreff %d", n), Text: "Text", Kind: "test", Ref: fmt.Sprint(n)}
}

func TestOutboxEnqueueFollowsTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	errAbort := errors.New("abort")
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := postgres.NewOutbox(tx).Enqueue(ctx, msg(1)); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatal(err)
	}
	if n, _ := db.NewSelect().Table("mail_outbox").Count(ctx); n != 0 {
		t.Fatalf("rolled back: got %d rows, want 0", n)
	}
	if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return postgres.NewOutbox(tx).Enqueue(ctx, msg(2))
	}); err != nil {
		t.Fatal(err)
	}
	_, got, err := postgres.NewOutbox(db).Claim(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim after commit: got %v, %v; want one message", got, err)
	}
	if got[0].Message != msg(2) || got[0].Attempts != 1 {
		t.Fatalf("got %+v, want %+v with one attempt", got[0], msg(2))
	}
}

func TestOutboxRefusesInvalidMessages(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	m := msg(1)
	m.Subject = "Hallo\r\nBcc: alle@example.org"
	if err := postgres.NewOutbox(db).Enqueue(context.Background(), m); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	// The table refuses what slips past the application.
	_, err := db.NewRaw(`INSERT INTO mail_outbox (id, recipient, subject, body) VALUES (?, 'a@example.org', E'a\nb', 'x')`,
		uuid.New()).Exec(context.Background())
	if err == nil {
		t.Fatal("the table accepted a line break in the subject")
	}
}

func TestOutboxLeaseRetryFailRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	o := postgres.NewOutbox(db)
	for i := range 4 {
		if err := o.Enqueue(ctx, msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	tok, got, err := o.Claim(ctx, 3, time.Minute)
	if err != nil || len(got) != 3 {
		t.Fatalf("claim: got %d, %v; want 3", len(got), err)
	}
	// Leased messages are not claimed again; the fourth is.
	tok2, more, err := o.Claim(ctx, 10, time.Minute)
	if err != nil || len(more) != 1 || more[0].Ref != "3" {
		t.Fatalf("second claim: got %+v, %v; want only the fourth message", more, err)
	}

	// Retry: back in the queue, later, with the reason; the attempt counts.
	if err := o.Retry(ctx, tok, got[0].ID, 90*time.Second, "dial tcp: connection refused"); err != nil {
		t.Fatal(err)
	}
	s := outboxRow(t, db, got[0].ID)
	if s.Status != "queued" || s.Attempts != 1 || s.Due || s.Leased || s.LastError != "dial tcp: connection refused" ||
		s.NextInSecs < 80 || s.NextInSecs > 91 {
		t.Fatalf("after retry: %+v", s)
	}
	// Fail: kept, not claimable.
	if err := o.Fail(ctx, tok, got[1].ID, "550 mailbox unavailable"); err != nil {
		t.Fatal(err)
	}
	if s := outboxRow(t, db, got[1].ID); s.Status != "failed" || s.LastError != "550 mailbox unavailable" {
		t.Fatalf("after fail: %+v", s)
	}
	// Release: due at once, the attempt taken back.
	if err := o.Release(ctx, tok, []uuid.UUID{got[2].ID}); err != nil {
		t.Fatal(err)
	}
	if s := outboxRow(t, db, got[2].ID); s.Status != "queued" || s.Attempts != 0 || !s.Due || s.Leased {
		t.Fatalf("after release: %+v", s)
	}
	// Another token cannot change a message it does not hold.
	if err := o.Retry(ctx, tok, more[0].ID, time.Second, "x"); !errors.Is(err, postgres.ErrLeaseLost) {
		t.Fatalf("retry with a foreign token: got %v, want ErrLeaseLost", err)
	}
	if err := o.Fail(ctx, uuid.New(), more[0].ID, "x"); !errors.Is(err, postgres.ErrLeaseLost) {
		t.Fatalf("fail with a foreign token: got %v, want ErrLeaseLost", err)
	}
	// Sent is sent, whoever holds the lease.
	if err := o.MarkSent(ctx, more[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := o.Retry(ctx, tok2, more[0].ID, time.Second, "late"); !errors.Is(err, postgres.ErrLeaseLost) {
		t.Fatalf("retry after sent: got %v, want ErrLeaseLost", err)
	}
	var sentAt time.Time
	if err := db.NewRaw("SELECT sent_at FROM mail_outbox WHERE id = ? AND status = 'sent'", more[0].ID).Scan(ctx, &sentAt); err != nil {
		t.Fatalf("sent row: %v", err)
	}
	if err := o.MarkSent(ctx, uuid.New()); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("mark an unknown message: got %v, want ErrNotFound", err)
	}
	// Only the released message is due now.
	_, due, err := o.Claim(ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].ID != got[2].ID || due[0].Attempts != 1 {
		t.Fatalf("claim at the end: got %+v, %v; want the released message", due, err)
	}
}

func TestOutboxExpiredLeaseIsClaimedAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	o := postgres.NewOutbox(db)
	if err := o.Enqueue(ctx, msg(1)); err != nil {
		t.Fatal(err)
	}
	// A worker claims and "crashes": it never records an outcome.
	oldTok, got, err := o.Claim(ctx, 1, 200*time.Millisecond)
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	if _, again, _ := o.Claim(ctx, 1, time.Minute); len(again) != 0 {
		t.Fatal("claimed during the lease")
	}
	time.Sleep(300 * time.Millisecond)
	newTok, again, err := o.Claim(ctx, 1, time.Minute)
	if err != nil || len(again) != 1 || again[0].ID != got[0].ID || again[0].Attempts != 2 {
		t.Fatalf("after the lease: got %+v, %v; want the same message, second attempt", again, err)
	}
	// The crashed worker's late outcome does not touch the new holder's lease.
	if err := o.Retry(ctx, oldTok, got[0].ID, time.Hour, "late"); !errors.Is(err, postgres.ErrLeaseLost) {
		t.Fatalf("late retry: got %v, want ErrLeaseLost", err)
	}
	if err := o.Retry(ctx, newTok, got[0].ID, 0, "again"); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxConcurrentClaimsNeverOverlap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	o := postgres.NewOutbox(db)
	const total = 200
	for i := range total {
		if err := o.Enqueue(ctx, msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[uuid.UUID]int{}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				_, got, err := o.Claim(ctx, 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("claimed %d distinct messages, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("message %v claimed %d times", id, n)
		}
	}
}
