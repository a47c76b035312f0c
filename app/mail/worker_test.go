package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	b := DefaultBackoff
	tests := []struct {
		attempts int
		jitter   float64
		want     time.Duration
	}{
		{0, 0, 30 * time.Second}, // treated as the first
		{1, 0, 30 * time.Second},
		{2, 0, time.Minute},
		{3, 0, 2 * time.Minute},
		{4, 0, 4 * time.Minute},
		{5, 0, 8 * time.Minute},
		{6, 0, 16 * time.Minute},
		{7, 0, 32 * time.Minute},
		{8, 0, time.Hour}, // 64 min, capped
		{9, 0, time.Hour},
		{1000, 0, time.Hour}, // no overflow
		{1, 0.5, 30*time.Second - 3750*time.Millisecond},
		{1, 1, 22500 * time.Millisecond}, // at most a quarter shorter
		{2, 1, 45 * time.Second},
		{8, 1, 45 * time.Minute},
		{8, 2, 45 * time.Minute},  // jitter clamped
		{8, -1, 60 * time.Minute}, // jitter clamped
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_%v", tt.attempts, tt.jitter), func(t *testing.T) {
			t.Parallel()
			if got := b.Delay(tt.attempts, tt.jitter); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	small := Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	for n, want := range []time.Duration{10, 20, 40, 50, 50} {
		if got := small.Delay(n+1, 0); got != want*time.Millisecond {
			t.Errorf("small backoff after %d attempts: got %v, want %v", n+1, got, want*time.Millisecond)
		}
	}
}

// fakeQueue is an in-memory Queue for the worker's decisions; the real one is
// tested against PostgreSQL in infra/postgres and app/cmd/portal.
type fakeQueue struct {
	mu       sync.Mutex
	due      []Queued
	sent     []uuid.UUID
	retried  map[uuid.UUID]time.Duration
	failed   []uuid.UUID
	released []uuid.UUID
}

func (q *fakeQueue) Claim(_ context.Context, limit int, _ time.Duration) (uuid.UUID, []Queued, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(limit, len(q.due))
	out := q.due[:n:n]
	q.due = q.due[n:]
	for i := range out {
		out[i].Attempts++
	}
	return uuid.New(), out, nil
}

func (q *fakeQueue) MarkSent(_ context.Context, id uuid.UUID) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, id)
	return nil
}

func (q *fakeQueue) Retry(_ context.Context, _, id uuid.UUID, delay time.Duration, _ string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.retried == nil {
		q.retried = map[uuid.UUID]time.Duration{}
	}
	q.retried[id] = delay
	return nil
}

func (q *fakeQueue) Fail(_ context.Context, _, id uuid.UUID, _ string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failed = append(q.failed, id)
	return nil
}

func (q *fakeQueue) Release(_ context.Context, _ uuid.UUID, ids []uuid.UUID) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.released = append(q.released, ids...)
	return nil
}

type senderFunc func(ctx context.Context, from string, m Queued) error

func (f senderFunc) Send(ctx context.Context, from string, m Queued) error { return f(ctx, from, m) }

func queued(attempts int) Queued {
	return Queued{ID: uuid.New(), Message: Message{To: "a@example.org", Subject: "s", Text: "t"}, Attempts: attempts}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestWorkerOutcomes(t *testing.T) {
	t.Parallel()
	rejected := fmt.Errorf("550 mailbox unavailable: %w", ErrRejected)
	down := errors.New("dial tcp: connection refused")
	tests := []struct {
		name        string
		attempts    int // before this claim
		err         error
		wantOutcome string
	}{
		{"accepted", 0, nil, "sent"},
		{"server down, first attempt", 0, down, "retry"},
		{"server down for ages", 500, down, "retry"},
		{"rejected once", 0, rejected, "retry"},
		{"rejected twice", 1, rejected, "retry"},
		{"rejected the third time", 2, rejected, "failed"},
		{"rejected after temporary failures", 7, rejected, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := queued(tt.attempts)
			q := &fakeQueue{due: []Queued{m}}
			var gotFrom string
			s := senderFunc(func(_ context.Context, from string, got Queued) error {
				gotFrom = from
				if got.ID != m.ID || got.Attempts != tt.attempts+1 {
					t.Errorf("sender got %v attempt %d, want %v attempt %d", got.ID, got.Attempts, m.ID, tt.attempts+1)
				}
				return tt.err
			})
			w := NewWorker(q, s, WorkerConfig{From: "Portal <noreply@example.org>"}, quietLog())
			w.jitter = func() float64 { return 0 }
			n, err := w.SendDue(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("SendDue: got %d, %v; want 1, nil", n, err)
			}
			if gotFrom != "Portal <noreply@example.org>" {
				t.Errorf("from: got %q", gotFrom)
			}
			var outcome string
			switch {
			case len(q.sent) == 1:
				outcome = "sent"
			case len(q.failed) == 1:
				outcome = "failed"
			case len(q.retried) == 1:
				outcome = "retry"
				if want := DefaultBackoff.Delay(tt.attempts+1, 0); q.retried[m.ID] != want {
					t.Errorf("retry delay: got %v, want %v", q.retried[m.ID], want)
				}
			}
			if outcome != tt.wantOutcome {
				t.Fatalf("outcome: got %q, want %q", outcome, tt.wantOutcome)
			}
		})
	}
}

func TestWorkerWithoutSenderKeepsMailQueued(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{due: []Queued{queued(0)}}
	w := NewWorker(q, nil, WorkerConfig{}, quietLog())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-done
	if len(q.due) != 1 || len(q.sent)+len(q.retried)+len(q.failed) != 0 {
		t.Fatalf("without a sender the message must stay untouched: %+v", q)
	}
}

func TestWorkerStopsMidBatchAndReleasesTheRest(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{due: []Queued{queued(0), queued(0), queued(0)}}
	ctx, cancel := context.WithCancel(context.Background())
	s := senderFunc(func(sctx context.Context, _ string, _ Queued) error {
		cancel() // shutdown arrives while the first message is being sent
		if sctx.Err() != nil {
			t.Error("the message in flight must be finished, not cancelled")
		}
		return nil
	})
	w := NewWorker(q, s, WorkerConfig{}, quietLog())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("worker did not stop")
	}
	if len(q.sent) != 1 || len(q.released) != 2 {
		t.Fatalf("got %d sent and %d released, want 1 and 2", len(q.sent), len(q.released))
	}
}
