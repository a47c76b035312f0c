package postgres

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/mail"
)

// ErrLeaseLost is returned when a worker records the outcome of a message that
// its lease no longer holds: the lease ran out and another worker took it.
var ErrLeaseLost = fmt.Errorf("mail outbox: lease lost: %w", domain.ErrConflict)

type outboxRow struct {
	bun.BaseModel `bun:"table:mail_outbox,alias:o"`

	ID        uuid.UUID `bun:"id,pk,type:uuid"`
	Recipient string    `bun:"recipient"`
	Subject   string    `bun:"subject"`
	Body      string    `bun:"body"`
	Kind      string    `bun:"kind"`
	Ref       string    `bun:"ref"`
	Attempts  int       `bun:"attempts"`
}

// Outbox is the mail outbox table. Enqueue works on whatever db is, so a use
// case's mail is written in its transaction; the worker's methods each run as
// one statement on the pool.
type Outbox struct{ db bun.IDB }

// NewOutbox returns the outbox over db (a pool or a transaction).
func NewOutbox(db bun.IDB) *Outbox { return &Outbox{db: db} }

// Enqueue validates m and queues it, due at once.
func (o *Outbox) Enqueue(ctx context.Context, m mail.Message) error {
	row, err := outboxRowFrom(m)
	if err != nil {
		return err
	}
	if _, err := o.db.NewInsert().Model(&row).ExcludeColumn("attempts").Exec(ctx); err != nil {
		return mapErr(fmt.Errorf("enqueue mail: %w", err), nil, nil)
	}
	return nil
}

func outboxRowFrom(m mail.Message) (outboxRow, error) {
	if err := m.Validate(); err != nil {
		return outboxRow{}, err
	}
	return outboxRow{ID: uuid.Must(uuid.NewV7()), Recipient: m.To, Subject: m.Subject, Body: m.Text, Kind: m.Kind, Ref: m.Ref}, nil
}

// Claim leases up to limit due messages to a new token for lease and counts an
// attempt for each. SKIP LOCKED lets concurrent claims pass each other's rows,
// and the lease keeps a claimed row from later claims until it runs out, so no
// two workers hold the same message. Times are the database's, one clock for
// every instance.
func (o *Outbox) Claim(ctx context.Context, limit int, lease time.Duration) (uuid.UUID, []mail.Queued, error) {
	token := uuid.New()
	var rows []outboxRow
	err := o.db.NewRaw(`
		WITH due AS (
			SELECT id FROM mail_outbox
			WHERE status = 'queued' AND next_attempt_at <= now()
			  AND (locked_until IS NULL OR locked_until <= now())
			ORDER BY next_attempt_at, id
			LIMIT ?
			FOR UPDATE SKIP LOCKED
		)
		UPDATE mail_outbox AS o
		SET attempts = o.attempts + 1, locked_until = now() + make_interval(secs => ?), lease_token = ?
		FROM due WHERE o.id = due.id
		RETURNING o.id, o.recipient, o.subject, o.body, o.kind, o.ref, o.attempts`,
		limit, lease.Seconds(), token).Scan(ctx, &rows)
	if err != nil {
		return uuid.Nil, nil, fmt.Errorf("claim mail: %w", err)
	}
	out := make([]mail.Queued, len(rows))
	for i, r := range rows {
		out[i] = mail.Queued{ID: r.ID, Attempts: r.Attempts,
			Message: mail.Message{To: r.Recipient, Subject: r.Subject, Text: r.Body, Kind: r.Kind, Ref: r.Ref}}
	}
	return token, out, nil
}

// MarkSent records the message as sent. It needs no lease: once a server
// accepted the message, it is sent, whoever holds the row now.
func (o *Outbox) MarkSent(ctx context.Context, id uuid.UUID) error {
	res, err := o.db.NewRaw(`
		UPDATE mail_outbox SET status = 'sent', sent_at = coalesce(sent_at, now()), last_error = '',
			locked_until = NULL, lease_token = NULL
		WHERE id = ?`, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark mail sent: %w", err)
	}
	return requireRow(res, fmt.Errorf("mark mail sent: %w", domain.ErrNotFound))
}

// Retry returns a message that token holds to the queue, due after delay.
func (o *Outbox) Retry(ctx context.Context, token, id uuid.UUID, delay time.Duration, reason string) error {
	res, err := o.db.NewRaw(`
		UPDATE mail_outbox SET next_attempt_at = now() + make_interval(secs => ?), last_error = ?,
			locked_until = NULL, lease_token = NULL
		WHERE id = ? AND lease_token = ? AND status = 'queued'`,
		delay.Seconds(), clip(reason), id, token).Exec(ctx)
	if err != nil {
		return fmt.Errorf("retry mail: %w", err)
	}
	return requireRow(res, ErrLeaseLost)
}

// Fail gives up on a message that token holds; the row stays for tracing
// until retention deletes it, counted from failed_at.
func (o *Outbox) Fail(ctx context.Context, token, id uuid.UUID, reason string) error {
	res, err := o.db.NewRaw(`
		UPDATE mail_outbox SET status = 'failed', failed_at = now(), last_error = ?, locked_until = NULL, lease_token = NULL
		WHERE id = ? AND lease_token = ? AND status = 'queued'`,
		clip(reason), id, token).Exec(ctx)
	if err != nil {
		return fmt.Errorf("fail mail: %w", err)
	}
	return requireRow(res, ErrLeaseLost)
}

// Release returns messages that token holds to the queue at once and takes
// back the attempt their claim counted: none was made.
func (o *Outbox) Release(ctx context.Context, token uuid.UUID, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := o.db.NewRaw(`
		UPDATE mail_outbox SET attempts = greatest(attempts - 1, 0), locked_until = NULL, lease_token = NULL
		WHERE id IN (?) AND lease_token = ? AND status = 'queued'`,
		bun.In(ids), token).Exec(ctx)
	if err != nil {
		return fmt.Errorf("release mail: %w", err)
	}
	return nil
}

// clip keeps an error text to a size worth storing.
func clip(s string) string {
	const maxLen = 2000
	if len(s) <= maxLen {
		return s
	}
	s = s[:maxLen]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
