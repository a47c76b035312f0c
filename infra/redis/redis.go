// Package redis connects the portal to Redis: one shared go-redis client with short
// timeouts, atomic rate limiting (GCRA) and the session store.
package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Open returns a client for url (redis:// or rediss://) with timeouts short enough
// that a stopped Redis costs a request milliseconds, not seconds. It does not
// connect; go-redis dials lazily.
func Open(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("not a valid Redis URL")
	}
	opt.DialTimeout = 250 * time.Millisecond
	opt.ReadTimeout = 250 * time.Millisecond
	opt.WriteTimeout = 250 * time.Millisecond
	opt.PoolTimeout = 500 * time.Millisecond
	opt.MaxRetries = 1
	opt.DialerRetries = 1 // the default of 5 dials with backoff would hold a request for half a second
	return redis.NewClient(opt), nil
}

// LogTo sends go-redis's own messages (e.g. failed dials, which the breaker and
// the readiness check already report) to log at debug level instead of stderr.
func LogTo(log *slog.Logger) { redis.SetLogger(slogLogger{log}) }

type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), slog.String("component", "go-redis"))
}

// Breaker remembers that Redis failed, so that for a short while callers apply
// their failure policy at once instead of each waiting for a timeout.
type Breaker struct {
	openUntil atomic.Int64 // unix nanoseconds
	cooldown  time.Duration
}

// NewBreaker returns a breaker that stays open for cooldown after a failure.
func NewBreaker(cooldown time.Duration) *Breaker { return &Breaker{cooldown: cooldown} }

// Open reports whether Redis failed recently.
func (b *Breaker) Open() bool { return time.Now().UnixNano() < b.openUntil.Load() }

// Record notes the outcome of a Redis call.
func (b *Breaker) Record(err error) {
	if err != nil && err != redis.Nil {
		b.openUntil.Store(time.Now().Add(b.cooldown).UnixNano())
	}
}

// Ping checks that Redis answers.
func Ping(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() }
