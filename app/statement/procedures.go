package statement

import (
	"sync"
	"time"

	"beteiligungsportal/domain/procedure"
)

// procedureCache keeps the procedures that statements were recently checked
// against, so that a burst of submissions does not read the same procedure
// for each one. It may be stale: the write takes the number only while the
// procedure still has the cached version, and otherwise the submission is
// checked again against a fresh read (statement.ErrProcedureChanged).
// Values are shared between requests and must not be changed.
type procedureCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[string]cachedProcedure
}

type cachedProcedure struct {
	p  procedure.Procedure
	at time.Time
}

func newProcedureCache(ttl time.Duration, max int) *procedureCache {
	return &procedureCache{ttl: ttl, max: max, entries: map[string]cachedProcedure{}}
}

// get returns the procedure read for idOrSlug within the ttl.
func (c *procedureCache) get(idOrSlug string) (procedure.Procedure, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[idOrSlug]
	if !ok || time.Since(e.at) > c.ttl {
		return procedure.Procedure{}, false
	}
	return e.p, true
}

func (c *procedureCache) put(idOrSlug string, p procedure.Procedure) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries) // a full cache starts again: the busy procedures return at once
	}
	c.entries[idOrSlug] = cachedProcedure{p: p, at: time.Now()}
}

func (c *procedureCache) forget(idOrSlug string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, idOrSlug)
}
