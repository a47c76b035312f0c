package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// searchVector and searchPlain are what staff search matches a statement's
// text by: its German words (stemmed), and its folded text for parts of
// words and other spellings ("ueberweg" finds "Überweg").
func searchVector(text string) string { return "to_tsvector('german', " + text + ")" }
func searchPlain(text string) string  { return "portal_fold(left(" + text + ", 5000))" }

// termMatch is the condition on a search row x (columns search and
// text_plain) for one word or phrase of a query; its arguments are the term
// and the term escaped for LIKE.
const termMatch = "(x.search @@ phraseto_tsquery('german', ?) OR x.text_plain LIKE '%' || portal_fold(?) || '%')"

// maxSearchWords is how many words of a query count, in the catalogue and in
// staff search: each is a condition of its own.
const maxSearchWords = 8

// searchTerm is a word or a quoted phrase of a staff search; negated: it
// must not occur.
type searchTerm struct {
	text    string
	negated bool
}

// searchAlternatives reads a staff search as a web search: words and
// "quoted phrases" that must all occur, -words and -"phrases" that must not,
// and "or" between alternatives (binding less than the words around it, as
// in websearch_to_tsquery). Only the first maxSearchWords terms count;
// empty phrases and a lone "-" are left out, and so are alternatives left
// empty.
func searchAlternatives(query string) [][]searchTerm {
	var alternatives [][]searchTerm
	var current []searchTerm
	terms := 0
	rest := query
	for terms < maxSearchWords {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		negated := strings.HasPrefix(rest, "-")
		if negated {
			rest = rest[1:]
		}
		var text string
		quoted := strings.HasPrefix(rest, `"`)
		if quoted {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				text, rest = rest[1:], ""
			} else {
				text, rest = rest[1:1+end], rest[2+end:]
			}
		} else {
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			text, rest = rest[:end], rest[end:]
		}
		text = strings.TrimSpace(text)
		switch {
		case text == "":
		case !negated && !quoted && strings.EqualFold(text, "or"):
			if len(current) > 0 {
				alternatives, current = append(alternatives, current), nil
			}
		default:
			current = append(current, searchTerm{text: text, negated: negated})
			terms++
		}
	}
	if len(current) > 0 {
		alternatives = append(alternatives, current)
	}
	return alternatives
}

// searchMatch is the condition on a search row x for a staff search and its
// arguments. Each term must match by itself, as German words (stemmed; a
// phrase in its order) or as a part of the folded text: "muehlgraben
// schulkinder" finds a statement about the Schulkinder am Mühlgraben, which
// neither the stemmer (it does not know "ue" for "ü") nor the folded text
// (the words are not next to each other) finds alone, and "muehlgraben
// -radweg" leaves out those that mention a Radweg. A query without terms
// matches nothing.
func searchMatch(query string) (string, []any) {
	alternatives := searchAlternatives(query)
	if len(alternatives) == 0 {
		return "FALSE", nil
	}
	var args []any
	ors := make([]string, len(alternatives))
	for i, terms := range alternatives {
		ands := make([]string, len(terms))
		for j, t := range terms {
			ands[j] = termMatch
			if t.negated {
				ands[j] = "NOT " + termMatch
			}
			args = append(args, t.text, escapeLike(t.text))
		}
		ors[i] = "(" + strings.Join(ands, " AND ") + ")"
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// searchStatements selects a page (limit rows, in receipt order) of the
// statements that base selects (alias s; a new query each call) whose text
// matches a staff search: from the search index, and from the statements
// still queued for it, computed as the index will. All in one query, so that
// its snapshot sees each statement in exactly one of them.
//
// How the index is asked depends on how many statements match, which only
// the index knows (the planner cannot tell how often the words of a query
// occur together): below denseMatches, the matches are looked up and sorted;
// from denseMatches on, the index is joined, and the planner walks the
// procedure's statements in order until a page is full. At 50,000 statements,
// looking up a word found in a quarter of them took 37 ms, and walking for
// two common words that never occur together 130 ms; this way 4 and 16 ms
// (docs/benchmarks.md). The two conditions on the count of few do not
// depend on a row: PostgreSQL computes few once and runs one of the two.
func searchStatements(db bun.IDB, base func() *bun.SelectQuery, procedureID uuid.UUID, limit int, query string) *bun.SelectQuery {
	match, args := searchMatch(query)
	page := func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("s.seq").Limit(int64(limit)) }
	few := db.NewSelect().TableExpr("statement_search AS x").Column("x.statement_id").
		Where("x.procedure_id = ?", procedureID).Where(match, args...).Limit(int64(denseMatches))
	sparse := base().
		Where("s.id IN (SELECT statement_id FROM few)").
		Where("(SELECT count(*) FROM few) < ?", denseMatches)
	dense := base().
		Join("JOIN statement_search AS x ON x.procedure_id = s.procedure_id AND x.statement_id = s.id").
		Where(match, args...).
		Where("(SELECT count(*) FROM few) = ?", denseMatches)
	queued := base().
		Join("JOIN statement_search_queue AS w ON w.procedure_id = s.procedure_id AND w.statement_id = s.id").
		Join("CROSS JOIN LATERAL (SELECT "+searchVector("s.text")+" AS search, "+searchPlain("s.text")+" AS text_plain) AS x").
		Where(match, args...)
	return db.NewSelect().Model((*statementRow)(nil)).
		WithQuery(bun.NewWithQuery("few", few).Materialized()).
		ModelTableExpr("((?) UNION ALL (?) UNION ALL (?)) AS s", page(sparse), page(dense), page(queued)).
		ColumnExpr("?TableColumns")
}

// denseMatches is how many matches in the search index make a staff search
// walk the statements in order (see searchStatements). With 1,000 matches in
// 50,000 statements, a walk reads about 2,500 for a page of 50. A variable
// for tests.
var denseMatches = 1000

// indexQueuedSQL moves up to ?0 queued statements (of procedure ?1, or of any
// procedure when it is NULL) into the search index and answers how many it
// took. lock is "FOR UPDATE SKIP LOCKED" for the background worker, which
// passes rows another transaction is indexing, or "FOR UPDATE" to wait for
// that transaction, so that afterwards every statement of the procedure is
// in the index.
func indexQueuedSQL(lock string) string {
	return `
	WITH taken AS (
		DELETE FROM statement_search_queue q
		WHERE (q.procedure_id, q.statement_id) IN (
			SELECT procedure_id, statement_id FROM statement_search_queue
			WHERE ?1::uuid IS NULL OR procedure_id = ?1
			LIMIT ?0 ` + lock + `)
		RETURNING q.statement_id
	), indexed AS (
		INSERT INTO statement_search (procedure_id, statement_id, search, text_plain)
		SELECT s.procedure_id, s.id, ` + searchVector("s.text") + `, ` + searchPlain("s.text") + `
		FROM statements s JOIN taken ON taken.statement_id = s.id
		ON CONFLICT (procedure_id, statement_id) DO NOTHING
	)
	SELECT count(*) FROM taken`
}

var (
	indexQueuedSkipping = indexQueuedSQL("FOR UPDATE SKIP LOCKED")
	indexQueuedWaiting  = indexQueuedSQL("FOR UPDATE")
)

// StatementSearch is the queue of received statements that the search index
// has yet to take (a trigger fills it with every statement inserted).
type StatementSearch struct{ db bun.IDB }

// NewStatementSearch returns the search queue over db.
func NewStatementSearch(db bun.IDB) *StatementSearch { return &StatementSearch{db: db} }

// IndexQueued indexes up to limit queued statements of any procedure in one
// transaction and answers how many it took; it passes statements that another
// worker is indexing.
func (s *StatementSearch) IndexQueued(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.db.NewRaw(indexQueuedSkipping, limit, nil).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("index statements for search: %w", err)
	}
	return n, nil
}

// indexProcedure indexes every queued statement of a procedure, waiting for
// workers indexing some of them, so that what follows in the transaction finds
// all of them in the index.
func indexProcedure(ctx context.Context, db bun.IDB, procedureID uuid.UUID) error {
	for {
		var n int
		if err := db.NewRaw(indexQueuedWaiting, searchIndexChunk, procedureID).Scan(ctx, &n); err != nil {
			return fmt.Errorf("index statements for search: %w", err)
		}
		if n < searchIndexChunk {
			return nil
		}
	}
}

// searchIndexChunk is how many statements indexProcedure indexes a statement.
const searchIndexChunk = 1000
