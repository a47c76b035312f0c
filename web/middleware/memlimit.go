package middleware

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// MemoryLimiter is a Limiter in this process's memory: token buckets per key,
// the same algorithm as the Redis limiter but not shared between instances.
// It limits what is cheaper to serve than to count in Redis (answers from the
// shared cache); it never fails.
type MemoryLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
	now     func() time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
	full time.Duration // how long an idle bucket takes to fill up again
}

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter() *MemoryLimiter {
	return &MemoryLimiter{buckets: map[string]*bucket{}, now: time.Now}
}

// Allow takes one token for key from a bucket refilled at rate per period
// that holds at most burst.
func (m *MemoryLimiter) Allow(_ context.Context, key string, r, burst int, period time.Duration) (bool, int, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	b := m.buckets[key]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(rate.Limit(float64(r)/period.Seconds()), burst),
			full: period * time.Duration(burst) / time.Duration(max(r, 1))}
		m.buckets[key] = b
	}
	b.seen = now
	res := b.l.ReserveN(now, 1)
	if !res.OK() {
		return false, 0, period, nil
	}
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		return false, 0, wait, nil
	}
	return true, int(b.l.TokensAt(now)), 0, nil
}

// sweep drops, about once a minute, the buckets that have filled up again:
// a new one behaves the same, and memory stays bounded by the active clients.
func (m *MemoryLimiter) sweep(now time.Time) {
	if now.Sub(m.swept) < time.Minute {
		return
	}
	m.swept = now
	for k, b := range m.buckets {
		if now.Sub(b.seen) >= b.full {
			delete(m.buckets, k)
		}
	}
}
