package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	appstmt "beteiligungsportal/app/statement"
	"beteiligungsportal/infra/postgres"
)

// startSearchIndexer indexes received statements for search in the background
// until ctx ends or the returned stop is called (which waits for it).
func startSearchIndexer(ctx context.Context, db *bun.DB, log *slog.Logger) (stop func()) {
	x := appstmt.NewSearchIndexer(postgres.NewStatementSearch(db), searchIndexPoll, log.With(slog.String("component", "search-index")))
	return startBackground(ctx, x.Run)
}

// searchIndexPoll is the search indexer's pause between looks at an empty
// queue. A search finds what is queued too, so it bounds no one's wait; a
// longer pause makes larger batches of a burst.
const searchIndexPoll = 200 * time.Millisecond
