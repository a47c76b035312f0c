package middleware

import (
	"context"
	"testing"
	"time"
)

// The in-memory buckets refill like the Redis limiter's: rate per period, at
// most burst, a refusal says how long to wait, and keys do not share tokens.
func TestMemoryLimiter(t *testing.T) {
	start := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	now := start
	m := NewMemoryLimiter()
	m.now = func() time.Time { return now }
	type step struct {
		after     time.Duration // since start
		key       string
		allowed   bool
		remaining int
		retry     time.Duration
	}
	for i, s := range []step{
		{0, "a", true, 2, 0},
		{0, "a", true, 1, 0},
		{0, "a", true, 0, 0},
		{0, "a", false, 0, 20 * time.Second}, // 3 per minute: one token every 20 s
		{0, "b", true, 2, 0},                 // another client has its own bucket
		{10 * time.Second, "a", false, 0, 10 * time.Second},
		{20 * time.Second, "a", true, 0, 0},
		{20 * time.Second, "a", false, 0, 20 * time.Second},
		{10 * time.Minute, "a", true, 2, 0}, // refilled, never above burst
	} {
		now = start.Add(s.after)
		allowed, remaining, retry, err := m.Allow(context.Background(), s.key, 3, 3, time.Minute)
		if err != nil || allowed != s.allowed || remaining != s.remaining || retry.Round(time.Second) != s.retry {
			t.Errorf("step %d (%s at +%v): allowed %v remaining %d retry %v err %v, want %v %d %v",
				i, s.key, s.after, allowed, remaining, retry, err, s.allowed, s.remaining, s.retry)
		}
	}
	// Buckets that have filled up again are dropped: memory follows the active clients.
	now = start.Add(time.Hour)
	_, _, _, _ = m.Allow(context.Background(), "c", 3, 3, time.Minute)
	if _, ok := m.buckets["b"]; ok || len(m.buckets) != 1 {
		t.Errorf("after an hour the idle buckets should be gone: %d left", len(m.buckets))
	}
}
