package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/infra/redis"
	"beteiligungsportal/infra/testenv"
)

func newLimiter(t *testing.T) *redis.Limiter {
	t.Helper()
	c, err := redis.Open(testenv.Env(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return redis.NewLimiter(c, redis.NewBreaker(time.Second), "test:"+uuid.NewString()+":")
}

// Several limits asked in one round trip count as if asked one after the
// other: up to and including the first that refuses, and the buckets are
// the ones Allow counts in.
func TestAllowEachCountsLikeAllowOneAfterTheOther(t *testing.T) {
	ctx := context.Background()
	l := newLimiter(t)
	api := redis.Limit{Key: "api:1.2.3.4", Rate: 3, Burst: 3, Period: time.Minute}
	stmt := redis.Limit{Key: "stmt:1.2.3.4", Rate: 2, Burst: 2, Period: time.Hour}
	for i, want := range []struct {
		allowed   []bool
		remaining []int
	}{
		{[]bool{true, true}, []int{2, 1}},
		{[]bool{true, true}, []int{1, 0}},
		{[]bool{true, false}, []int{0, 0}}, // stmt refuses, api has counted
		{[]bool{false}, []int{0}},          // api refuses, stmt is not asked
	} {
		got, err := l.AllowEach(ctx, []redis.Limit{api, stmt})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want.allowed) {
			t.Fatalf("request %d: %d verdicts %+v, want %d", i+1, len(got), got, len(want.allowed))
		}
		for j, v := range got {
			if v.Allowed != want.allowed[j] || v.Remaining != want.remaining[j] {
				t.Fatalf("request %d, limit %d: %+v, want allowed %v, remaining %d", i+1, j, v, want.allowed[j], want.remaining[j])
			}
			if !v.Allowed && (v.RetryAfter <= 0 || v.RetryAfter > time.Hour) {
				t.Fatalf("request %d, limit %d: retry after %v", i+1, j, v.RetryAfter)
			}
		}
	}
	// The statement bucket refused once and the API one twice: as refused
	// for Allow, which reads the same buckets, and with the same wait.
	for _, lim := range []redis.Limit{api, stmt} {
		allowed, _, retry, err := l.Allow(ctx, lim.Key, lim.Rate, lim.Burst, lim.Period)
		if err != nil || allowed || retry <= 0 {
			t.Fatalf("Allow(%s) after AllowEach: allowed %v, retry %v, %v", lim.Key, allowed, retry, err)
		}
	}

	// And the other way round: what Allow counted, AllowEach sees, with the
	// same remaining tokens at every step.
	for i := range 6 {
		a := redis.Limit{Key: "a", Rate: 4, Burst: 4, Period: time.Minute}
		b := redis.Limit{Key: "b", Rate: 4, Burst: 4, Period: time.Minute}
		allowed, remaining, _, err := l.Allow(ctx, a.Key, a.Rate, a.Burst, a.Period)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.AllowEach(ctx, []redis.Limit{b})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Allowed != allowed || got[0].Remaining != remaining {
			t.Fatalf("request %d: AllowEach %+v, Allow allowed %v remaining %d", i+1, got[0], allowed, remaining)
		}
		if i == 3 { // a's bucket, filled by Allow, refuses AllowEach too
			if v, err := l.AllowEach(ctx, []redis.Limit{a}); err != nil || v[0].Allowed {
				t.Fatalf("AllowEach on a bucket that Allow emptied: %+v, %v", v, err)
			}
		}
	}
}

// Without Redis, AllowEach fails fast with ErrUnavailable, so that each rule
// applies its failure policy.
func TestAllowEachWithoutRedis(t *testing.T) {
	c, err := redis.Open("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l := redis.NewLimiter(c, redis.NewBreaker(time.Minute), "test:")
	for range 2 { // the second call meets the open breaker
		if _, err := l.AllowEach(context.Background(), []redis.Limit{{Key: "k", Rate: 1, Burst: 1, Period: time.Second}}); !errors.Is(err, redis.ErrUnavailable) {
			t.Fatalf("AllowEach without Redis: %v, want ErrUnavailable", err)
		}
	}
}
