package postgres

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/domain/procedure"
)

// SetWalkBudget makes walks read max(n, page size) rows, so that small test
// data reach the paths for rare matches; the returned func restores it. Not for
// parallel tests.
func SetWalkBudget(n int) (restore func()) {
	oldBudget, oldPerRow := walkBudget, walkPerRow
	walkBudget, walkPerRow = n, 1
	return func() { walkBudget, walkPerRow = oldBudget, oldPerRow }
}

// SetDenseMatches makes staff search walk the statements in order from n
// matches in the search index on, so that small test data reach both ways of
// searching; the returned func restores it. Not for parallel tests.
func SetDenseMatches(n int) (restore func()) {
	old := denseMatches
	denseMatches = n
	return func() { denseMatches = old }
}

// Pending answers how many submissions wait for a batch of the intake.
func (in *Intake) Pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.pending)
}

type referenceRow struct {
	ID          uuid.UUID `bun:"id"`
	PublishedAt time.Time `bun:"published_at"`
	Deadline    time.Time `bun:"deadline"`
	Tier        int       `bun:"tier"`
}

// CatalogueReference returns the ids of every match of f in f.Sort's order,
// found by one plain query and sorted in Go, to check the paged queries against.
func (s *Procedures) CatalogueReference(ctx context.Context, f procedure.Filter) ([]uuid.UUID, error) {
	terms := searchTerms(f.Text)
	if f.Sort == procedure.SortRelevance && len(terms) == 0 {
		f.Sort = procedure.SortNewest
	}
	all, title := make([]string, len(terms)), make([]string, len(terms))
	for i, t := range terms {
		all[i], title[i] = t+":*", t+":*A"
	}
	var refs []referenceRow
	q := s.db.NewSelect().TableExpr("procedures AS p").ColumnExpr("p.id, p.published_at").
		ColumnExpr("coalesce("+named(deadlineExpr)+", '9999-01-01'::timestamptz) AS deadline", f.Now.UTC()).
		ColumnExpr(`CASE WHEN p.search @@ to_tsquery('german', ?0) THEN 2
			WHEN p.search @@ to_tsquery('german', ?1) THEN 1 ELSE 0 END AS tier`,
			strings.Join(title, " & "), strings.Join(all, " & ")).
		Where("p.published_at IS NOT NULL")
	if err := where(q, filterConds(f, terms, f.Now.UTC())).Scan(ctx, &refs); err != nil {
		return nil, err
	}
	slices.SortFunc(refs, func(a, b referenceRow) int {
		ids := strings.Compare(string(a.ID[:]), string(b.ID[:]))
		switch f.Sort {
		case procedure.SortDeadline:
			return cmp.Or(a.Deadline.Compare(b.Deadline), ids)
		case procedure.SortRelevance:
			return cmp.Or(cmp.Compare(b.Tier, a.Tier), b.PublishedAt.Compare(a.PublishedAt), -ids)
		}
		return cmp.Or(b.PublishedAt.Compare(a.PublishedAt), -ids)
	})
	out := make([]uuid.UUID, len(refs))
	for i, r := range refs {
		out[i] = r.ID
	}
	return out, nil
}
