package middleware

import (
	"testing"
	"time"
)

// While Redis is down every request fails the same way: one line per rule
// and interval, counting the ones left out.
func TestLimiterOutageIsLoggedOncePerInterval(t *testing.T) {
	t.Parallel()
	w := &warnThrottle{every: 10 * time.Second, last: map[string]throttled{}}
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		rule    string
		after   time.Duration
		ok      bool
		skipped int64
	}{
		{"api", 0, true, 0},
		{"api", time.Second, false, 0},
		{"statements", time.Second, true, 0}, // another rule has its own interval
		{"api", 9 * time.Second, false, 0},
		{"api", 10 * time.Second, true, 2},
		{"api", 11 * time.Second, false, 0},
		{"api", 25 * time.Second, true, 1},
	}
	for _, s := range steps {
		skipped, ok := w.allow(s.rule, t0.Add(s.after))
		if ok != s.ok || skipped != s.skipped {
			t.Fatalf("%s after %v: got %v with %d skipped, want %v with %d", s.rule, s.after, ok, skipped, s.ok, s.skipped)
		}
	}
}
