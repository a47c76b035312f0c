package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// searchVector and searchPlain are what staff search matches a statement's
// text by: its German words (stemmed), and its folded text for parts of
// words and other spellings ("ueberweg" finds "Überweg").
func searchVector(text string) string { return "to_tsvector('german', " + text + ")" }
func searchPlain(text string) string  { return "portal_fold(left(" + text + ", 5000))" }

// wordMatch is the condition on a search row x (columns search and
// text_plain) for one word or web search query; its arguments are the words
// and the words escaped for LIKE.
const wordMatch = "(x.search @@ websearch_to_tsquery('german', ?) OR x.text_plain LIKE '%' || portal_fold(?) || '%')"

// maxSearchWords is how many words of a query count, in the catalogue and in
// staff search: each is a condition of its own.
const maxSearchWords = 8

// searchMatch is the condition on a search row x for a staff search and its
// arguments. Each word of a plain query must match by itself, as a German
// word or as a part of the folded text: "muehlgraben schulkinder" finds a
// statement about the Schulkinder am Mühlgraben, which neither the stemmer
// (it does not know "ue" for "ü") nor the folded text (the words are not
// next to each other) finds alone. A query in web search syntax (quotes,
// "-", "or") is matched as a whole.
func searchMatch(query string) (string, []any) {
	words := strings.Fields(query)
	words = words[:min(len(words), maxSearchWords)]
	for _, w := range words {
		if strings.Contains(w, `"`) || strings.HasPrefix(w, "-") || strings.EqualFold(w, "or") {
			words = []string{query}
			break
		}
	}
	conds := make([]string, len(words))
	args := make([]any, 0, 2*len(words))
	for i, w := range words {
		conds[i] = wordMatch
		args = append(args, w, escapeLike(w))
	}
	return strings.Join(conds, " AND "), args
}

// matchingStatements selects the IDs of a procedure's statements whose text
// matches a staff search: from the search index, and from the statements
// still queued for it, computed as the index will. Both in one query, so that
// its snapshot sees each statement in exactly one of them.
func matchingStatements(procedureID uuid.UUID, query string) (string, []any) {
	match, args := searchMatch(query)
	sql := `
	SELECT x.statement_id FROM statement_search x WHERE x.procedure_id = ? AND ` + match + `
	UNION ALL
	SELECT w.statement_id FROM statement_search_queue w
	JOIN LATERAL (SELECT ` + searchVector("t.text") + ` AS search, ` + searchPlain("t.text") + ` AS text_plain
		FROM statements t WHERE t.id = w.statement_id) x ON true
	WHERE w.procedure_id = ? AND ` + match
	all := append(append([]any{procedureID}, args...), procedureID)
	return sql, append(all, args...)
}

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
