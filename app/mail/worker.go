package mail

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// Backoff is the retry schedule: the delay starts at Base, doubles with every
// failed attempt up to Max, and is shortened by up to a quarter at random, so
// that messages that failed together do not all come back at the same moment.
type Backoff struct {
	Base, Max time.Duration
}

// DefaultBackoff retries after about 30 s, 1, 2, 4 … minutes, at most hourly.
var DefaultBackoff = Backoff{Base: 30 * time.Second, Max: time.Hour}

// Delay is the wait after the given number of failed attempts (1 for the
// first). jitter in [0, 1) picks the point in the upper quarter of the range.
func (b Backoff) Delay(attempts int, jitter float64) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := b.Base
	for i := 1; i < attempts && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	jitter = min(max(jitter, 0), 1)
	return d - time.Duration(float64(d/4)*jitter)
}

// WorkerConfig tunes a Worker; zero fields take the defaults.
type WorkerConfig struct {
	// From is the sender address, e.g. "Beteiligungsportal <noreply@example.org>".
	From string
	// Batch is how many messages one claim takes (default 10).
	Batch int
	// Poll is the pause when nothing is due (default 1 s).
	Poll time.Duration
	// SendTimeout bounds one message's delivery (default 30 s).
	SendTimeout time.Duration
	// Backoff is the retry schedule (default DefaultBackoff).
	Backoff Backoff
	// MaxRejects is the number of attempts after which a permanent refusal
	// (5xx) marks a message failed (default 3). Some servers answer 5xx for
	// passing faults, so the first refusal is not final. Temporary failures
	// are retried for ever: an unreachable server delays mail, it never
	// drops it.
	MaxRejects int
}

// Worker sends the outbox's due messages until its context ends. Any number of
// workers, in one process or in several, may run on the same outbox.
type Worker struct {
	queue  Queue
	sender Sender
	cfg    WorkerConfig
	log    *slog.Logger
	jitter func() float64
}

// NewWorker returns a worker that sends through sender; with a nil sender (no
// mail server configured) it leaves every message queued.
func NewWorker(q Queue, sender Sender, cfg WorkerConfig, log *slog.Logger) *Worker {
	if cfg.Batch <= 0 {
		cfg.Batch = 10
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.Backoff.Base <= 0 || cfg.Backoff.Max < cfg.Backoff.Base {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxRejects <= 0 {
		cfg.MaxRejects = 3
	}
	return &Worker{queue: q, sender: sender, cfg: cfg, log: log, jitter: rand.Float64}
}

// lease is how long a claim holds its messages: long enough to send the whole
// batch one after the other, so that no other worker takes a message that is
// still being sent.
func (w *Worker) lease() time.Duration {
	return time.Duration(w.cfg.Batch)*w.cfg.SendTimeout + time.Minute
}

// Run sends due messages until ctx ends; it then finishes the message in
// flight, returns the rest of its batch to the queue and returns.
func (w *Worker) Run(ctx context.Context) {
	if w.sender == nil {
		w.log.Warn("mail is not configured (SMTP_URL is empty): e-mails stay queued and are sent once it is set")
		<-ctx.Done()
		return
	}
	errWait := w.cfg.Poll
	for {
		n, err := w.SendDue(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := w.cfg.Poll
		switch {
		case err != nil:
			// The database is unreachable: back off so as not to flood the log.
			w.log.Warn("mail outbox not readable", slog.Any("error", err), slog.Duration("retry_in", errWait))
			wait, errWait = errWait, min(errWait*2, 30*time.Second)
		case n == w.cfg.Batch:
			errWait = w.cfg.Poll
			continue // more may be due
		default:
			errWait = w.cfg.Poll
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// SendDue claims one batch of due messages and tries to send each, returning
// how many it claimed. Without a sender it does nothing.
func (w *Worker) SendDue(ctx context.Context) (int, error) {
	if w.sender == nil {
		return 0, nil
	}
	token, msgs, err := w.queue.Claim(ctx, w.cfg.Batch, w.lease())
	if err != nil {
		return 0, err
	}
	for i, m := range msgs {
		if ctx.Err() != nil {
			w.release(ctx, token, msgs[i:])
			return len(msgs), nil
		}
		w.sendOne(ctx, token, m)
	}
	return len(msgs), nil
}

// sendOne delivers m and records the outcome. Both happen even when ctx ends
// meanwhile: a message the server accepted must be marked sent, or it would
// go out twice.
func (w *Worker) sendOne(ctx context.Context, token uuid.UUID, m Queued) {
	ctx = context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(ctx, w.cfg.SendTimeout)
	err := w.sender.Send(sctx, w.cfg.From, m)
	cancel()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	attrs := []any{slog.String("mail_id", m.ID.String()), slog.String("kind", m.Kind), slog.String("ref", m.Ref),
		slog.Int("attempts", m.Attempts)}
	if err == nil {
		if err := w.queue.MarkSent(rctx, m.ID); err != nil {
			// The lease runs out and the mail is sent again: at least once.
			w.log.Error("mail sent but not marked as sent", append(attrs, slog.Any("error", err))...)
			return
		}
		w.log.Info("mail sent", attrs...)
		return
	}
	reason := err.Error()
	if errors.Is(err, ErrRejected) && m.Attempts >= w.cfg.MaxRejects {
		if ferr := w.queue.Fail(rctx, token, m.ID, reason); ferr != nil {
			w.log.Error("mail rejected, not marked as failed", append(attrs, slog.Any("error", err), slog.Any("mark_error", ferr))...)
			return
		}
		w.log.Error("mail rejected by the server: giving up", append(attrs, slog.Any("error", err))...)
		return
	}
	delay := w.cfg.Backoff.Delay(m.Attempts, w.jitter())
	if rerr := w.queue.Retry(rctx, token, m.ID, delay, reason); rerr != nil {
		w.log.Error("mail not sent, retry not recorded", append(attrs, slog.Any("error", err), slog.Any("mark_error", rerr))...)
		return
	}
	w.log.Warn("mail not sent, will retry", append(attrs, slog.Any("error", err), slog.Duration("retry_in", delay))...)
}

// release hands unsent messages back when the worker stops mid-batch, so that
// another worker can send them without waiting for the lease.
func (w *Worker) release(ctx context.Context, token uuid.UUID, rest []Queued) {
	ids := make([]uuid.UUID, len(rest))
	for i, m := range rest {
		ids[i] = m.ID
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.queue.Release(rctx, token, ids); err != nil {
		// Not lost: the lease runs out and another worker takes them.
		w.log.Warn("mail outbox: unsent messages not released", slog.Any("error", err), slog.Int("count", len(ids)))
	}
}
