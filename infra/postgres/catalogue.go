package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
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
	return c, nil
}

// searchTerms splits a text query into at most eight words of letters and digits,
// which makes them safe inside to_tsquery.
func searchTerms(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > 8 {
		words = words[:8]
	}
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

// Search returns one page of published procedures matching f.
func (s *Procedures) Search(ctx context.Context, f procedure.Filter) (procedure.Page, error) {
	terms := searchTerms(f.Text)
	if f.Sort == procedure.SortRelevance && len(terms) == 0 {
		f.Sort = procedure.SortNewest // nothing to rank by; the cursor says so too
	}
	var cur cursor
	if f.Cursor != "" {
		var err error
		if cur, err = decodeCursor(f.Cursor, f.Sort); err != nil {
			return procedure.Page{}, err
		}
	}
	now := f.Now.UTC()
	named := func(expr string) string { return strings.ReplaceAll(expr, "?now", "?0") }
	deadline := named("coalesce(" + deadlineExpr + ", '9999-01-01'::timestamptz)")

	var rows []procedureRow
	// ?TableColumns keeps the model's columns when computed ones are added.
	q := s.db.NewSelect().Model(&rows).ColumnExpr("?TableColumns").Where("p.published_at IS NOT NULL")
	if len(f.Types) > 0 {
		q = q.Where("p.type IN (?)", bun.In(f.Types))
	}
	if len(f.Statuses) == 1 && f.Statuses[0] == procedure.StatusOpen {
		f.OpenNow, f.Statuses = true, nil
	}
	if len(f.Statuses) > 0 {
		q = q.Where("("+named(statusExpr)+") IN (?1)", now, bun.In(f.Statuses))
	}
	if f.OpenNow {
		q = q.Where(named(openExpr), now)
	}
	if f.OrganisationID != uuid.Nil {
		q = q.Where(`p.organisation_id IN (
			WITH RECURSIVE down(id, depth) AS (
				SELECT id, 0 FROM organisations WHERE id = ?
				UNION ALL
				SELECT o.id, down.depth + 1 FROM organisations o JOIN down ON o.parent_id = down.id WHERE down.depth < 16)
			SELECT id FROM down)`, f.OrganisationID)
	}
	if f.AGS != "" {
		q = q.Where("p.ags LIKE ?", agsPrefix(f.AGS)+"%") // served by the pattern-ops index
	}
	if b := f.BBox; b != nil {
		q = q.Where("p.min_lon IS NOT NULL AND p.min_lon <= ? AND p.max_lon >= ? AND p.min_lat <= ? AND p.max_lat >= ?",
			b.MaxLon, b.MinLon, b.MaxLat, b.MinLat)
	}
	var tsq string
	if len(terms) > 0 {
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = t + ":*" // prefix match: "bebauung" finds "Bebauungsplan"
			// Each word must match the German full-text index (stemmed, prefix) or,
			// for compounds and spellings it does not split, the unaccented text
			// ("strasse" finds "Straße").
			q = q.Where("(p.search @@ to_tsquery('german', ?) OR p.search_plain LIKE '%' || portal_fold(?) || '%')", t+":*", t)
		}
		tsq = strings.Join(parts, " & ")
		q = q.ColumnExpr("ts_rank_cd(p.search, to_tsquery('german', ?)) + similarity(p.search_plain, portal_fold(?)) AS rank",
			tsq, strings.Join(terms, " "))
	}
	rankExpr := "(ts_rank_cd(p.search, to_tsquery('german', ?)) + similarity(p.search_plain, portal_fold(?)))"
	switch f.Sort {
	case procedure.SortDeadline:
		q = q.ColumnExpr(deadline+" AS deadline", now).OrderExpr(deadline+" ASC, p.id ASC", now)
		if f.Cursor != "" {
			q = q.Where("("+deadline+", p.id) > (?1, ?2)", now, cur.Time, cur.ID)
		}
	case procedure.SortRelevance:
		q = q.OrderExpr(rankExpr+" DESC, p.id DESC", tsq, strings.Join(terms, " "))
		if f.Cursor != "" {
			q = q.Where("("+rankExpr+", p.id) < (?::float8, ?)", tsq, strings.Join(terms, " "), cur.Rank, cur.ID)
		}
	default:
		q = q.OrderExpr("p.published_at DESC, p.id DESC")
		if f.Cursor != "" {
			q = q.Where("(p.published_at, p.id) < (?, ?)", cur.Time, cur.ID)
		}
	}
	q = q.Limit(int64(f.Limit + 1))
	if err := q.Scan(ctx); err != nil {
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
			c.Rank = last.Rank
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
