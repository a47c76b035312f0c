package redis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// ErrUnavailable means Redis could not be asked; the caller applies its policy.
var ErrUnavailable = errors.New("rate limiter unavailable")

// Limiter counts requests with the generic cell rate algorithm in one Lua script
// per request, so that limits hold exactly across any number of instances.
type Limiter struct {
	c       *redis.Client
	l       *redis_rate.Limiter
	breaker *Breaker
	prefix  string
}

// NewLimiter returns a limiter on c; keys get prefix (e.g. "portal:v1:rl:").
func NewLimiter(c *redis.Client, breaker *Breaker, prefix string) *Limiter {
	return &Limiter{c: c, l: redis_rate.NewLimiter(c), breaker: breaker, prefix: prefix}
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

// Limit is one of the limits that AllowEach asks: a token for Key from a
// bucket refilled at Rate per Period that holds at most Burst.
type Limit struct {
	Key    string
	Rate   int
	Burst  int
	Period time.Duration
}

// Verdict is AllowEach's answer for one limit.
type Verdict struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration
}

// AllowEach asks several limits in one round trip, in order, as Allow would
// one after the other: it stops at the first that refuses, so the limits
// before it have counted the request and those after it have not (they get
// no verdict). It keeps the buckets as Allow does, so both can count the same
// key. While Redis is failing it returns ErrUnavailable at once.
func (l *Limiter) AllowEach(ctx context.Context, limits []Limit) ([]Verdict, error) {
	if l.breaker.Open() {
		return nil, ErrUnavailable
	}
	keys := make([]string, len(limits))
	args := make([]any, 0, 3*len(limits))
	for i, lim := range limits {
		keys[i] = bucketPrefix + l.prefix + lim.Key
		args = append(args, lim.Burst, lim.Rate, lim.Period.Seconds())
	}
	res, err := allowEach.Run(ctx, l.c, keys, args...).Slice()
	l.breaker.Record(err)
	if err != nil {
		return nil, errors.Join(ErrUnavailable, err)
	}
	verdicts, err := verdictsOf(res)
	if err != nil || len(verdicts) > len(limits) {
		return nil, errors.Join(ErrUnavailable, fmt.Errorf("rate limit script: unexpected answer %v", res))
	}
	return verdicts, nil
}

// verdictsOf reads the script's answer: allowed, remaining, retry after in
// seconds, for each limit asked.
func verdictsOf(res []any) ([]Verdict, error) {
	if len(res)%3 != 0 {
		return nil, errors.New("not in threes")
	}
	out := make([]Verdict, 0, len(res)/3)
	for i := 0; i < len(res); i += 3 {
		allowed, ok1 := res[i].(int64)
		remaining, ok2 := res[i+1].(int64)
		retry, ok3 := res[i+2].(string)
		if !ok1 || !ok2 || !ok3 {
			return nil, errors.New("unexpected types")
		}
		secs, err := strconv.ParseFloat(retry, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, Verdict{Allowed: allowed == 1, Remaining: int(remaining),
			RetryAfter: time.Duration(math.Max(secs, 0) * float64(time.Second))})
	}
	return out, nil
}

// bucketPrefix is the prefix redis_rate puts before every key; AllowEach
// keeps its buckets under the same names.
const bucketPrefix = "rate:"

// allowEach is the generic cell rate algorithm of Allow over several keys.
// A bucket holds its theoretical arrival time (TAT): seconds since
// 2017-01-01 (so the float keeps microseconds), which Allow reads and writes
// the same way. ARGV has burst, rate and period (seconds) for each key.
var allowEach = redis.NewScript(`
redis.replicate_commands()
local t = redis.call("TIME")
local now = (t[1] - 1483228800) + t[2] / 1000000
local out = {}
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[3 * i - 2])
  local interval = tonumber(ARGV[3 * i]) / tonumber(ARGV[3 * i - 1])
  local tat = tonumber(redis.call("GET", key) or now) or now
  if tat < now then tat = now end
  local next_tat = tat + interval
  local earliest = next_tat - interval * burst
  if now < earliest then
    table.insert(out, 0)
    table.insert(out, 0)
    table.insert(out, tostring(earliest - now))
    return out
  end
  redis.call("SET", key, next_tat, "EX", math.ceil(next_tat - now))
  table.insert(out, 1)
  table.insert(out, math.floor((now - earliest) / interval))
  table.insert(out, "0")
end
return out
`)
