package survey

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"beteiligungsportal/domain/survey"
)

// PublicResultsTTL is how long published results are served from memory
// before they are computed again: they are the same for every reader, a
// town's results page may be opened by thousands at once, and computing them
// scans every answer (0.7 s for 50,000 responses of 30 questions, see
// docs/benchmarks.md). New responses show up in published results after at
// most this long; staff see them at once.
const PublicResultsTTL = 30 * time.Second

// maxCachedResults bounds the cache: a survey's filters are its choice
// options, and only published surveys are cached.
const maxCachedResults = 2000

// resultsKey names one published result: a survey, a filter (zero for none)
// and the publication it belongs to, so that publishing anew starts afresh.
type resultsKey struct {
	survey    uuid.UUID
	filter    survey.Filter
	published time.Time
}

type cachedResults struct {
	view    ResultsView
	expires time.Time
}

// resultsCache keeps published results for a while and computes each at most
// once at a time, however many readers ask for it together.
type resultsCache struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[resultsKey]cachedResults
	flight  singleflight.Group
}

func newResultsCache(ttl time.Duration) *resultsCache {
	return &resultsCache{ttl: ttl, entries: map[resultsKey]cachedResults{}}
}

// get returns the results under key, computing them with compute when they
// are missing or older than the TTL at now. The computation runs detached
// from the asking request (bounded by a minute), since other readers may be
// waiting for it.
func (c *resultsCache) get(ctx context.Context, key resultsKey, now time.Time, compute func(context.Context) (ResultsView, error)) (ResultsView, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.view, nil
	}
	flightKey := fmt.Sprintf("%s|%s|%s|%d", key.survey, key.filter.Question, key.filter.Choice, key.published.UnixNano())
	v, err, _ := c.flight.Do(flightKey, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		view, err := compute(ctx)
		if err != nil {
			return ResultsView{}, err
		}
		c.put(key, cachedResults{view: view, expires: now.Add(c.ttl)}, now)
		return view, nil
	})
	if err != nil {
		return ResultsView{}, err
	}
	return v.(ResultsView), nil
}

func (c *resultsCache) put(key resultsKey, e cachedResults, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedResults {
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedResults {
			clear(c.entries)
		}
	}
	c.entries[key] = e
}
