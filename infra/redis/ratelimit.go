package redis

import (
	"context"
	"errors"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// ErrUnavailable means Redis could not be asked; the caller applies its policy.
var ErrUnavailable = errors.New("rate limiter unavailable")

// Limiter counts requests with the generic cell rate algorithm in one Lua script
// per request, so that limits hold exactly across any number of instances.
type Limiter struct {
	l       *redis_rate.Limiter
	breaker *Breaker
	prefix  string
}

// NewLimiter returns a limiter on c; keys get prefix (e.g. "portal:v1:rl:").
func NewLimiter(c *redis.Client, breaker *Breaker, prefix string) *Limiter {
	return &Limiter{l: redis_rate.NewLimiter(c), breaker: breaker, prefix: prefix}
}

// Allow takes one token for key from a bucket refilled at rate per period that
// holds at most burst. While Redis is failing it returns ErrUnavailable at once.
func (l *Limiter) Allow(ctx context.Context, key string, rate, burst int, period time.Duration) (allowed bool, remaining int, retryAfter time.Duration, err error) {
	if l.breaker.Open() {
		return false, 0, 0, ErrUnavailable
	}
	res, err := l.l.Allow(ctx, l.prefix+key, redis_rate.Limit{Rate: rate, Burst: burst, Period: period})
	l.breaker.Record(err)
	if err != nil {
		return false, 0, 0, errors.Join(ErrUnavailable, err)
	}
	return res.Allowed > 0, res.Remaining, res.RetryAfter, nil
}
