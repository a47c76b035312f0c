package middleware

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/web/problem"
)

// Limiter takes one token for key from a bucket refilled at rate per period,
// holding at most burst. An error means the limiter could not be asked.
type Limiter interface {
	Allow(ctx context.Context, key string, rate, burst int, period time.Duration) (allowed bool, remaining int, retryAfter time.Duration, err error)
}

// FailurePolicy says what a rule does when the limiter cannot be asked.
type FailurePolicy int

const (
	// FailOpen lets the request through: losing a citizen's statement is worse
	// than a short time without limits.
	FailOpen FailurePolicy = iota
	// FailClosed refuses the request with 503: a login without a brute-force
	// limit is worse than a short time without logins.
	FailClosed
)

// Rule is one rate limit.
type Rule struct {
	Limiter Limiter
	Name    string // part of the key, e.g. "api"
	Rate    int
	Burst   int
	Period  time.Duration
	Policy  FailurePolicy
	// Key returns the subject of the limit (usually the client IP); "" skips it.
	// It must copy what it takes from c.
	Key func(c *fiber.Ctx) string
}

// Check applies the rule to the request and returns a 429 or 503 problem when it
// refuses, setting Retry-After. The rate-limit headers describe the rule.
func (r Rule) Check(c *fiber.Ctx, log *slog.Logger) error {
	subject := r.Key(c)
	if subject == "" {
		return nil
	}
	allowed, remaining, retry, err := r.Limiter.Allow(c.UserContext(), r.Name+":"+subject, r.Rate, r.Burst, r.Period)
	if err != nil {
		if skipped, ok := outageWarnings.allow(r.Name, time.Now()); ok {
			log.WarnContext(c.UserContext(), "rate limiter unavailable", slog.String("rule", r.Name),
				slog.String("request_id", RequestID(c)), slog.Int64("not_logged_before", skipped), slog.Any("error", err))
		}
		if r.Policy == FailOpen {
			return nil
		}
		c.Set(fiber.HeaderRetryAfter, "5")
		return problem.New(fiber.StatusServiceUnavailable, "unavailable", "detail.ratelimit_unavailable")
	}
	c.Set("RateLimit-Limit", strconv.Itoa(r.Burst))
	c.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	if !allowed {
		secs := int(math.Ceil(retry.Seconds()))
		if secs < 1 {
			secs = 1
		}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return problem.New(fiber.StatusTooManyRequests, "rate_limited", "detail.rate_limited", secs)
	}
	return nil
}

// outageWarnings logs a limiter failure once per rule and interval: while
// Redis is down every request fails the same way, and a line per request
// would bury the logs (25,000 lines in 20 s under load in the fault runs).
var outageWarnings = &warnThrottle{every: 10 * time.Second, last: map[string]throttled{}}

type throttled struct {
	at      time.Time
	skipped int64
}

type warnThrottle struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]throttled
}

// allow reports whether to log for key now, and how many were not logged
// since the last line.
func (w *warnThrottle) allow(key string, now time.Time) (skipped int64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.last[key]
	if !l.at.IsZero() && now.Sub(l.at) < w.every {
		l.skipped++
		w.last[key] = l
		return 0, false
	}
	w.last[key] = throttled{at: now}
	return l.skipped, true
}

// RateLimit returns middleware applying rule to every request.
func RateLimit(rule Rule, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := rule.Check(c, log); err != nil {
			return err
		}
		return c.Next()
	}
}
