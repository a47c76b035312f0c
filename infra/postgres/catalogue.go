package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/procedure"
)

// ErrBadCursor is a cursor this server did not issue for this sort order.
var ErrBadCursor = domain.NewRule(domain.ErrInvalid, "procedure.cursor_invalid")

// statusExpr derives the status in SQL exactly as procedure.Status does in Go,
// from the row alone (a test keeps the two in step).
const statusExpr = `CASE
	WHEN p.published_at IS NULL THEN 'draft'
	WHEN p.archived_at IS NOT NULL THEN 'archived'
	WHEN p.concluded_at IS NOT NULL THEN 'concluded'
	WHEN p.closed_at IS NOT NULL AND p.closed_at <= ?now THEN 'evaluation'
	WHEN p.participation @> ?now::timestamptz THEN 'open'
	WHEN p.participation && tstzrange(?now, NULL) OR isempty(p.participation) THEN 'announced'
	ELSE 'evaluation' END`

// openExpr is "open now", written so the GiST index on participation serves it.
const openExpr = `p.participation @> ?now::timestamptz AND p.published_at IS NOT NULL
	AND p.archived_at IS NULL AND p.concluded_at IS NULL AND (p.closed_at IS NULL OR p.closed_at > ?now)`

// deadlineExpr is the soonest end of a phase not yet over, as procedure's
// NextDeadline; none once participation is closed, concluded or archived.
const deadlineExpr = `CASE WHEN p.closed_at IS NULL AND p.concluded_at IS NULL AND p.archived_at IS NULL
	THEN (SELECT min(e) FROM unnest(p.phase_ends) AS e WHERE e > ?now) END`

type cursor struct {
	Sort string    `json:"s"`
	Time time.Time `json:"t,omitzero"`
	Rank float64   `json:"r,omitempty"`
	ID   uuid.UUID `json:"i"`
}

func (c cursor) encode() string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s string, sort procedure.Sort) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Sort != string(sort) || c.ID == uuid.Nil {
		return cursor{}, ErrBadCursor
	}
	// A relevance cursor names a tier and a publication time (older ones carried
	// a score: the order they belong to is gone).
	if sort == procedure.SortRelevance && (c.Time.IsZero() || c.Rank != math.Trunc(c.Rank) || c.Rank < tierSpelled || c.Rank > tierTitle) {
		return cursor{}, ErrBadCursor
	}
	return c, nil
}

// searchTerms splits a text query into at most maxSearchWords words of letters
// and digits, which makes them safe inside to_tsquery.
func searchTerms(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	words = words[:min(len(words), maxSearchWords)]
	var out []string
	for _, w := range words {
		if len([]rune(w)) >= 2 {
			out = append(out, strings.ToLower(w))
		}
	}
	return out
}

// farFuture stands in for "no deadline" so that keyset paging can compare it.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// walkBudget is how many rows a page query reads in sort order before it gives
// up on that way. A page found within the budget is exact, because the walk
// follows the sort order, and it is cheap when matches are common. When they
// are rare, the filters' own indexes find all of them and only those are sorted.
// So no query reads many more rows than a page plus the rare matches.
var walkBudget = 2000

// walkPerRow scales the budget with big pages (the map layer asks for 1,000).
var walkPerRow = 10

func budgetFor(need int) int { return max(walkBudget, walkPerRow*need) }

// Relevance tiers, best first: every word in the title, every word in the
// full-text index, the rest (found only in the folded text, as parts of
// compounds or in other spellings). Inside a tier the newest come first, so
// each tier pages like the newest order.
const (
	tierTitle   = 2
	tierText    = 1
	tierSpelled = 0
)

// cond is one SQL condition on the procedures alias p, with its arguments.
type cond struct {
	expr string
	args []any
}

func where(q *bun.SelectQuery, conds []cond) *bun.SelectQuery {
	for _, c := range conds {
		q = q.Where(c.expr, c.args...)
	}
	return q
}

// named lets an expression use ?now for the first argument.
func named(expr string) string { return strings.ReplaceAll(expr, "?now", "?0") }

// Search returns one page of published procedures matching f.
func (s *Procedures) Search(ctx context.Context, f procedure.Filter) (procedure.Page, error) {
	terms := searchTerms(f.Text)
	if f.Sort == procedure.SortRelevance && len(terms) == 0 {
		f.Sort = procedure.SortNewest // nothing to rank by; the cursor says so too
	}
	var cur *cursor
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, f.Sort)
		if err != nil {
			return procedure.Page{}, err
		}
		cur = &c
	}
	now := f.Now.UTC()
	conds := filterConds(f, terms, now)
	need := f.Limit + 1
	var rows []procedureRow
	var err error
	switch f.Sort {
	case procedure.SortDeadline:
		rows, err = s.byDeadline(ctx, conds, now, cur, need)
	case procedure.SortRelevance:
		rows, err = s.byRelevance(ctx, conds, terms, cur, need)
	default:
		rows, err = s.newest(ctx, conds, cur, need)
	}
	if err != nil {
		return procedure.Page{}, err
	}
	var next string
	if len(rows) > f.Limit {
		last := rows[f.Limit-1]
		rows = rows[:f.Limit]
		c := cursor{Sort: string(f.Sort), ID: last.ID}
		switch f.Sort {
		case procedure.SortDeadline:
			c.Time = last.Deadline
			if c.Time.IsZero() {
				c.Time = farFuture
			}
		case procedure.SortRelevance:
			c.Rank, c.Time = last.Rank, last.PublishedAt
		default:
			c.Time = last.PublishedAt
		}
		next = c.encode()
	}
	items, err := s.withSchedules(ctx, rows, false)
	if err != nil {
		return procedure.Page{}, err
	}
	return procedure.Page{Items: items, NextCursor: next}, nil
}

// filterConds turns the filter, apart from order and cursor, into conditions.
func filterConds(f procedure.Filter, terms []string, now time.Time) []cond {
	var conds []cond
	if len(f.Types) > 0 {
		conds = append(conds, cond{"p.type IN (?)", []any{bun.In(f.Types)}})
	}
	statuses, open := f.Statuses, f.OpenNow
	if len(statuses) == 1 && statuses[0] == procedure.StatusOpen {
		open, statuses = true, nil
	}
	if len(statuses) > 0 {
		conds = append(conds, cond{"(" + named(statusExpr) + ") IN (?1)", []any{now, bun.In(statuses)}})
	}
	if open {
		conds = append(conds, cond{named(openExpr), []any{now}})
	}
	if f.OrganisationID != uuid.Nil {
		conds = append(conds, cond{`p.organisation_id IN (
			WITH RECURSIVE down(id, depth) AS (
				SELECT id, 0 FROM organisations WHERE id = ?
				UNION ALL
				SELECT o.id, down.depth + 1 FROM organisations o JOIN down ON o.parent_id = down.id WHERE down.depth < 16)
			SELECT id FROM down)`, []any{f.OrganisationID}})
	}
	if f.AGS != "" {
		conds = append(conds, cond{"p.ags LIKE ?", []any{agsPrefix(f.AGS) + "%"}}) // served by the pattern-ops index
	}
	if b := f.BBox; b != nil {
		// The box overlap lets the GiST index find candidates (it tolerates
		// 1e-6); the comparisons decide.
		conds = append(conds, cond{`p.min_lon IS NOT NULL
			AND box(point(p.min_lon, p.min_lat), point(p.max_lon, p.max_lat)) && box(point(?0, ?1), point(?2, ?3))
			AND p.min_lon <= ?2 AND p.max_lon >= ?0 AND p.min_lat <= ?3 AND p.max_lat >= ?1`,
			[]any{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}})
	}
	for _, t := range terms {
		// Each word must match the German full-text index (stemmed, prefix:
		// "bebauung" finds "Bebauungsplan") or, for compounds and spellings it
		// does not split, the folded text ("strasse" finds "Straße").
		conds = append(conds, cond{"(p.search @@ to_tsquery('german', ?) OR p.search_plain LIKE '%' || portal_fold(?) || '%')",
			[]any{t + ":*", t}})
	}
	return conds
}

// tier is a part of the relevance order: its rank and its condition (nil:
// every match, for the newest order).
type tier struct {
	rank float64
	c    *cond
}

// byRelevance pages through the tiers in turn.
func (s *Procedures) byRelevance(ctx context.Context, conds []cond, terms []string, cur *cursor, need int) ([]procedureRow, error) {
	all, title := make([]string, len(terms)), make([]string, len(terms))
	for i, t := range terms {
		all[i], title[i] = t+":*", t+":*A"
	}
	tsq, tsqTitle := strings.Join(all, " & "), strings.Join(title, " & ")
	tiers := []tier{
		{tierTitle, &cond{"p.search @@ to_tsquery('german', ?)", []any{tsqTitle}}},
		{tierText, &cond{"p.search @@ to_tsquery('german', ?) AND NOT (p.search @@ to_tsquery('german', ?))", []any{tsq, tsqTitle}}},
		{tierSpelled, &cond{"NOT (p.search @@ to_tsquery('german', ?))", []any{tsq}}},
	}
	rank := cond{`(CASE WHEN p.search @@ to_tsquery('german', ?0) THEN 2
		WHEN p.search @@ to_tsquery('german', ?1) THEN 1 ELSE 0 END)::float8`, []any{tsqTitle, tsq}}
	if cur == nil {
		return s.byTiers(ctx, conds, tiers, rank, nil, need)
	}
	// The rest of the cursor's tier, then the lower tiers from their start.
	i := slices.IndexFunc(tiers, func(t tier) bool { return t.rank == cur.Rank })
	rows, err := s.byTiers(ctx, conds, tiers[i:i+1], rank, cur, need)
	if err != nil || len(rows) == need || i+1 == len(tiers) {
		return rows, err
	}
	more, err := s.byTiers(ctx, conds, tiers[i+1:], rank, nil, need-len(rows))
	return append(rows, more...), err
}

// newest returns up to need procedures matching conds, newest first, after the
// cursor's position if there is one.
func (s *Procedures) newest(ctx context.Context, conds []cond, after *cursor, need int) ([]procedureRow, error) {
	return s.byTiers(ctx, conds, []tier{{}}, cond{}, after, need)
}

// byTiers returns up to need procedures matching conds, by tier (in the given
// order, ranked by rank) and newest first in each, after the cursor's position
// if there is one. It reads the published index from that position for at
// most a budget of rows; matches of tiers too rare to fill the page there come
// from the filters' indexes, beyond the rows read.
func (s *Procedures) byTiers(ctx context.Context, conds []cond, tiers []tier, rank cond, after *cursor, need int) ([]procedureRow, error) {
	budget := budgetFor(need)
	if len(tiers) > 1 {
		budget = max(budget/2, need) // one pass for every tier cannot stop early
	}
	published := func(cols string) *bun.SelectQuery {
		q := s.db.NewSelect().TableExpr("procedures AS p").ColumnExpr(cols).Where("p.published_at IS NOT NULL")
		if after != nil {
			q = q.Where("(p.published_at, p.id) < (?, ?)", after.Time, after.ID)
		}
		return q.OrderExpr("p.published_at DESC, p.id DESC")
	}
	walk := published("p.*").Limit(int64(budget))
	withTier := func(q *bun.SelectQuery, ts []tier) *bun.SelectQuery {
		var or []string
		var args []any
		for _, t := range ts {
			if t.c == nil {
				return q
			}
			or = append(or, "("+t.c.expr+")")
			args = append(args, t.c.args...)
		}
		return q.Where(strings.Join(or, " OR "), args...)
	}

	// The filters stay outside the walk, so that it reads at most budget rows.
	var found []procedureRow
	if len(tiers) == 1 {
		q := s.db.NewSelect().Model(&found).ModelTableExpr("(?) AS p", walk).ColumnExpr("?TableColumns")
		q = withTier(where(q, conds), tiers)
		if err := q.OrderExpr("p.published_at DESC, p.id DESC").Limit(int64(need)).Scan(ctx); err != nil {
			return nil, err
		}
		for i := range found {
			found[i].Rank = tiers[0].rank
		}
	} else {
		// One pass over the walk keeps the newest need matches of every tier.
		ranked := where(s.db.NewSelect().TableExpr("(?) AS p", walk).ColumnExpr("p.*").
			ColumnExpr(rank.expr+" AS rank", rank.args...).
			ColumnExpr("row_number() OVER (PARTITION BY "+rank.expr+" ORDER BY p.published_at DESC, p.id DESC) AS rn", rank.args...), conds)
		q := s.db.NewSelect().Model(&found).ModelTableExpr("(?) AS p", ranked).ColumnExpr("?TableColumns, p.rank").
			Where("p.rn <= ?", need).Where("p.rank <= ?", tiers[0].rank).
			OrderExpr("p.rank DESC, p.published_at DESC, p.id DESC")
		if err := q.Scan(ctx); err != nil {
			return nil, err
		}
	}

	// Tiers that may have more matches beyond the walk, up to the first that
	// fills the page from the walk alone.
	var short []tier
	for _, t := range tiers {
		n := 0
		for _, r := range found {
			if r.Rank == t.rank {
				n++
			}
		}
		if n >= need {
			break
		}
		short = append(short, t)
	}
	var beyond []procedureRow
	if len(short) > 0 && (len(conds) > 0 || short[0].c != nil) {
		// Rare matches: all of them through the filters' indexes, then those after
		// the last row walked, sorted. None when the walk reached the end.
		edge := published("p.published_at, p.id").Offset(int64(budget - 1)).Limit(1)
		matches := s.db.NewSelect().TableExpr("procedures AS p").ColumnExpr("p.id, p.published_at").
			Where("p.published_at IS NOT NULL").Where("EXISTS (SELECT FROM e)")
		if rank.expr != "" {
			matches = matches.ColumnExpr(rank.expr+" AS rank", rank.args...)
		} else {
			matches = matches.ColumnExpr("0::float8 AS rank")
		}
		matches = withTier(where(matches, conds), short)
		// The bound applies to the materialised matches: as an index condition
		// it would read the published index up to it.
		top := s.db.NewSelect().TableExpr("m").ColumnExpr("m.*").
			ColumnExpr("row_number() OVER (PARTITION BY m.rank ORDER BY m.published_at DESC, m.id DESC) AS rn").
			Where("(m.published_at, m.id) < (SELECT e.published_at, e.id FROM e)")
		err := s.db.NewSelect().
			WithQuery(bun.NewWithQuery("e", edge).Materialized()).
			WithQuery(bun.NewWithQuery("m", matches).Materialized()).
			Model(&beyond).ColumnExpr("?TableColumns, t.rank").
			Join("JOIN (?) AS t ON t.id = p.id AND t.rn <= ?", top, need).
			OrderExpr("t.rank DESC, t.published_at DESC, t.id DESC").Scan(ctx)
		if err != nil {
			return nil, err
		}
	}

	// In each tier the walked rows come before those beyond.
	rows := make([]procedureRow, 0, need)
	for _, t := range tiers {
		for _, part := range [][]procedureRow{found, beyond} {
			for _, r := range part {
				if r.Rank == t.rank && len(rows) < need {
					rows = append(rows, r)
				}
			}
		}
	}
	return rows, nil
}

// byDeadline orders by the next deadline, soonest first, then the procedures
// without one, each by id.
func (s *Procedures) byDeadline(ctx context.Context, conds []cond, now time.Time, cur *cursor, need int) ([]procedureRow, error) {
	budget := budgetFor(need)
	var rows []procedureRow
	if cur == nil || cur.Time.Before(farFuture) {
		// Walk the phases' ends after now in order: a procedure comes at the end
		// that is its next deadline; its other ends are skipped.
		ends := func(cols string) *bun.SelectQuery {
			q := s.db.NewSelect().TableExpr("procedure_phases AS ph").ColumnExpr(cols).Where("ph.ends_at > ?", now)
			if cur != nil {
				q = q.Where("(ph.ends_at, ph.procedure_id) > (?, ?)", cur.Time, cur.ID)
			}
			return q.OrderExpr("ph.ends_at, ph.procedure_id").Limit(int64(budget))
		}
		// LATERAL with LIMIT keeps the join a loop over the walk in its order,
		// whatever the planner guesses about the filters.
		walk := s.db.NewSelect().Model(&rows).
			ModelTableExpr(`(?) AS w CROSS JOIN LATERAL
				(SELECT * FROM procedures AS x WHERE x.id = w.procedure_id LIMIT 1) AS p`, ends("DISTINCT ph.ends_at, ph.procedure_id")).
			ColumnExpr("?TableColumns").ColumnExpr("w.ends_at AS deadline").
			Where("p.published_at IS NOT NULL").Where("w.ends_at = "+named(deadlineExpr), now)
		if err := where(walk, conds).OrderExpr("w.ends_at, w.procedure_id").Limit(int64(need)).Scan(ctx); err != nil {
			return nil, err
		}
		if len(rows) == need {
			return rows, nil
		}
		done, err := s.walkedAll(ctx, ends("DISTINCT ph.ends_at, ph.procedure_id"), budget)
		if err != nil {
			return nil, err
		}
		if !done {
			return s.byDeadlineSorted(ctx, conds, now, cur, need)
		}
		cur = nil // every deadline seen: on with those without one
	}
	rest, err := s.withoutDeadline(ctx, conds, now, cur, need-len(rows))
	return append(rows, rest...), err
}

// withoutDeadline returns procedures without a next deadline by id, after the
// cursor's id if there is one.
func (s *Procedures) withoutDeadline(ctx context.Context, conds []cond, now time.Time, after *cursor, need int) ([]procedureRow, error) {
	noDeadline := cond{"(" + named(deadlineExpr) + ") IS NULL", []any{now}}
	published := func(cols string) *bun.SelectQuery {
		q := s.db.NewSelect().TableExpr("procedures AS p").ColumnExpr(cols).Where("p.published_at IS NOT NULL")
		if after != nil {
			q = q.Where("p.id > ?", after.ID)
		}
		return q
	}
	budget := budgetFor(need)
	inOrder := func(cols string) *bun.SelectQuery { return published(cols).OrderExpr("p.id").Limit(int64(budget)) }
	var rows []procedureRow
	walk := s.db.NewSelect().Model(&rows).ModelTableExpr("(?) AS p", inOrder("p.*")).ColumnExpr("?TableColumns").
		Where(noDeadline.expr, noDeadline.args...)
	if err := where(walk, conds).OrderExpr("p.id").Limit(int64(need)).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rows) == need {
		return rows, nil
	}
	if done, err := s.walkedAll(ctx, inOrder("1"), budget); done || err != nil {
		return rows, err
	}
	matches := where(published("p.id").Where(noDeadline.expr, noDeadline.args...), conds)
	top := s.db.NewSelect().TableExpr("m").ColumnExpr("m.id").OrderExpr("m.id").Limit(int64(need))
	rows = nil
	err := s.db.NewSelect().WithQuery(bun.NewWithQuery("m", matches).Materialized()).
		Model(&rows).ColumnExpr("?TableColumns").Join("JOIN (?) AS t ON t.id = p.id", top).
		OrderExpr("p.id").Scan(ctx)
	return rows, err
}

// byDeadlineSorted answers the deadline order when matches are rare among the
// coming deadlines: all matches through the filters' indexes, then sorted.
func (s *Procedures) byDeadlineSorted(ctx context.Context, conds []cond, now time.Time, cur *cursor, need int) ([]procedureRow, error) {
	deadline := named("coalesce(" + deadlineExpr + ", '9999-01-01'::timestamptz)")
	matches := where(s.db.NewSelect().TableExpr("procedures AS p").ColumnExpr("p.id, "+deadline+" AS d", now).
		Where("p.published_at IS NOT NULL"), conds)
	top := s.db.NewSelect().TableExpr("m").ColumnExpr("m.id, m.d")
	if cur != nil {
		top = top.Where("(m.d, m.id) > (?, ?)", cur.Time, cur.ID)
	}
	top = top.OrderExpr("m.d, m.id").Limit(int64(need))
	var rows []procedureRow
	err := s.db.NewSelect().WithQuery(bun.NewWithQuery("m", matches).Materialized()).
		Model(&rows).ColumnExpr("?TableColumns").ColumnExpr("nullif(t.d, '9999-01-01'::timestamptz) AS deadline").
		Join("JOIN (?) AS t ON t.id = p.id", top).OrderExpr("t.d, t.id").Scan(ctx)
	return rows, err
}

// walkedAll tells whether a walk of budget rows in order reached the end.
func (s *Procedures) walkedAll(ctx context.Context, walk *bun.SelectQuery, budget int) (bool, error) {
	var n int
	err := s.db.NewSelect().TableExpr("(?) AS w", walk).ColumnExpr("count(*)").Scan(ctx, &n)
	return n < budget, err
}

// agsPrefix turns a key into the prefix of keys inside it: a state key matches
// the whole state, a district key its municipalities.
func agsPrefix(ags string) string {
	switch {
	case strings.HasSuffix(ags, "000000"):
		return ags[:2]
	case strings.HasSuffix(ags, "000"):
		return ags[:5]
	}
	return ags
}
