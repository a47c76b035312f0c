package statement

import (
	"context"
	"log/slog"
	"time"
)

// SearchQueue holds the received statements that the search index has yet to
// take.
type SearchQueue interface {
	// IndexQueued indexes up to limit queued statements and answers how many
	// it took. Several indexers may work on one queue.
	IndexQueued(ctx context.Context, limit int) (int, error)
}

// SearchIndexer indexes received statements for staff search after their
// submission has committed. Stemming a text and writing its index entries
// costs more than everything else a submission writes, and the submissions
// of a burst are written one batch after the other: the index is kept out of
// that transaction. Searches also match what is still queued, so
// the index's lag costs a search time, never a statement.
type SearchIndexer struct {
	queue SearchQueue
	poll  time.Duration
	log   *slog.Logger
}

// searchIndexBatch is how many statements one transaction of the indexer
// takes: a burst's worth, in a fraction of a second.
const searchIndexBatch = 500

// NewSearchIndexer returns an indexer that looks at the queue every poll
// while it is empty.
func NewSearchIndexer(q SearchQueue, poll time.Duration, log *slog.Logger) *SearchIndexer {
	return &SearchIndexer{queue: q, poll: poll, log: log}
}

// Run indexes until ctx ends: at once while full batches come, otherwise
// after a pause. A failing database makes it wait longer and log once a wait.
func (x *SearchIndexer) Run(ctx context.Context) {
	for {
		n, err := x.queue.IndexQueued(ctx, searchIndexBatch)
		wait := x.poll
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			x.log.WarnContext(ctx, "search index: indexing failed, retrying", slog.Any("error", err))
			wait = max(wait, 5*time.Second)
		} else if n == searchIndexBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
