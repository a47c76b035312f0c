package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// searchVector and searchPlain are what staff search matches a statement's
// text by: its German words (stemmed), and its folded text for parts of
// words and other spellings ("ueberweg" finds "Überweg").
func searchVector(text string) string { return "to_tsvector('german', " + text + ")" }
func searchPlain(text string) string  { return "portal_fold(left(" + text + ", 5000))" }

// searchMatch is the condition on a search row x (columns search and
// text_plain) for the words of a query; its arguments are the words and the
// words escaped for LIKE.
const searchMatch = "(x.search @@ websearch_to_tsquery('german', ?) OR x.text_plain LIKE '%' || portal_fold(?) || '%')"

// matchingStatements selects the IDs of a procedure's statements whose text
// matches the words: from the search index, and from the statements still
// queued for it, computed as the index will. Both in one query, so that its
// snapshot sees each statement in exactly one of them. Arguments: procedure,
// words, escaped words, procedure, words, escaped words.
var matchingStatements = `
	SELECT x.statement_id FROM statement_search x WHERE x.procedure_id = ? AND ` + searchMatch + `
	UNION ALL
	SELECT w.statement_id FROM statement_search_queue w
	JOIN LATERAL (SELECT ` + searchVector("t.text") + ` AS search, ` + searchPlain("t.text") + ` AS text_plain
		FROM statements t WHERE t.id = w.statement_id) x ON true
	WHERE w.procedure_id = ? AND ` + searchMatch

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
