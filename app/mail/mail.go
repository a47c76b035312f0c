// Package mail sends the portal's e-mail through a transactional outbox: a use
// case enqueues a message in the same transaction as its change (Outbox in its
// Repos), and a Worker sends it later over SMTP, retrying with backoff while the
// server is unavailable. A mail is therefore sent only when the change was
// committed, and it is not lost when the mail server is down.
//
// Delivery is at least once: a worker that crashes after the server accepted a
// message but before it recorded that leaves the message to be sent again once
// its lease runs out. The Message-ID stays the same, so a receiving system can
// recognise the duplicate.
package mail

import (
	"context"
	"time"

	"github.com/google/uuid"

	dmail "beteiligungsportal/domain/mail"
)

// Message is one plain-text e-mail; see the domain type for its fields.
type Message = dmail.Message

// Queued is a message claimed from the outbox for sending.
type Queued = dmail.Queued

// ErrRejected is what a Sender wraps when the mail server refused a message
// for good (5xx); anything else counts as temporary.
var ErrRejected = dmail.ErrRejected

// Outbox is the port use cases put into their Repos: Enqueue stores the
// message in the caller's transaction, so it is sent only if that commits. It
// refuses an invalid message (domain.ErrInvalid).
type Outbox interface {
	Enqueue(ctx context.Context, m Message) error
}

// Queue is the worker's side of the outbox. A claim leases messages to one
// worker under a token; Retry, Fail and Release change a message only while
// that token still holds it, so a worker whose lease ran out cannot undo the
// work of the one that took over.
type Queue interface {
	// Claim leases up to limit due messages for lease and counts an attempt
	// for each. Concurrent claims never return the same message.
	Claim(ctx context.Context, limit int, lease time.Duration) (token uuid.UUID, msgs []Queued, err error)
	// MarkSent records that the server accepted the message, whoever holds
	// it now.
	MarkSent(ctx context.Context, id uuid.UUID) error
	// Retry returns the message to the queue, due again after delay.
	Retry(ctx context.Context, token, id uuid.UUID, delay time.Duration, reason string) error
	// Fail gives up on the message; the row is kept with the reason.
	Fail(ctx context.Context, token, id uuid.UUID, reason string) error
	// Release returns unsent messages to the queue at once, without counting
	// the attempt.
	Release(ctx context.Context, token uuid.UUID, ids []uuid.UUID) error
}

// Sender delivers one message from the given sender address. An error wrapping
// ErrRejected is permanent; any other error is temporary.
type Sender interface {
	Send(ctx context.Context, from string, m Queued) error
}
