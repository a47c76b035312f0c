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
		return r.unavailable(c, log, err)
	}
	return r.answer(c, allowed, remaining, retry)
}

// unavailable applies the rule's failure policy when its limiter failed.
func (r Rule) unavailable(c *fiber.Ctx, log *slog.Logger, err error) error {
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

// answer sets the rule's headers and refuses with 429 unless allowed.
func (r Rule) answer(c *fiber.Ctx, allowed bool, remaining int, retry time.Duration) error {
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

// Limit is one of the limits asked of a MultiLimiter at once: a token for Key
// from a bucket refilled at Rate per Period that holds at most Burst.
type Limit struct {
	Key    string
	Rate   int
	Burst  int
	Period time.Duration
}

// Verdict is a MultiLimiter's answer for one limit.
type Verdict struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration
}

// MultiLimiter is a Limiter that can also ask several limits in one call, in
// order, as one Allow after the other would: it stops at the first that
// refuses (the limits after it are neither counted nor answered).
type MultiLimiter interface {
	Limiter
	AllowEach(ctx context.Context, limits []Limit) ([]Verdict, error)
}

// RateLimits returns middleware applying the rules to every request in
// order, as RateLimit for each would. When they share a MultiLimiter, it is
// asked once: one round trip to Redis instead of one a rule.
func RateLimits(log *slog.Logger, rules ...Rule) fiber.Handler {
	multi, ok := rules[0].Limiter.(MultiLimiter)
	for _, r := range rules {
		ok = ok && r.Limiter == rules[0].Limiter
	}
	if !ok {
		return func(c *fiber.Ctx) error {
			for _, r := range rules {
				if err := r.Check(c, log); err != nil {
					return err
				}
			}
			return c.Next()
		}
	}
	return func(c *fiber.Ctx) error {
		asked := make([]Rule, 0, len(rules))
		limits := make([]Limit, 0, len(rules))
		for _, r := range rules {
			if subject := r.Key(c); subject != "" {
				asked = append(asked, r)
				limits = append(limits, Limit{Key: r.Name + ":" + subject, Rate: r.Rate, Burst: r.Burst, Period: r.Period})
			}
		}
		if len(limits) == 0 {
			return c.Next()
		}
		verdicts, err := multi.AllowEach(c.UserContext(), limits)
		if err != nil {
			for _, r := range asked {
				if err := r.unavailable(c, log, err); err != nil {
					return err
				}
			}
			return c.Next()
		}
		for i, v := range verdicts {
			if err := asked[i].answer(c, v.Allowed, v.Remaining, v.RetryAfter); err != nil {
				return err
			}
		}
		return c.Next()
	}
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
