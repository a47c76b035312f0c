-- Statement search moves out of the statements table. Its two generated
-- columns and their GIN indexes were computed in the transaction of every
-- submission: for a statement of 2,800 characters about 420 µs of PostgreSQL
-- (the German stemmer alone 270 µs), against 5 µs for the row itself, all on
-- the one connection that writes the batches. Now the insert only queues the
-- statement (a trigger, one row of two UUIDs); the search index worker
-- computes the search row after the commit, and a search also matches what
-- is still queued, so that it finds a statement as soon as it is stored.
-- Without a foreign key: statements are never deleted (their trigger), and
-- its check would cost the indexer a query for every row.
CREATE TABLE statement_search (
    procedure_id uuid NOT NULL,
    statement_id uuid NOT NULL,
    search       tsvector NOT NULL,
    text_plain   text NOT NULL,
    PRIMARY KEY (procedure_id, statement_id)
);

--bun:split
CREATE TABLE statement_search_queue (
    procedure_id uuid NOT NULL,
    statement_id uuid NOT NULL,
    PRIMARY KEY (procedure_id, statement_id)
);

--bun:split
-- What the generated columns hold is what the worker computes: no text is
-- stemmed again.
INSERT INTO statement_search (procedure_id, statement_id, search, text_plain)
SELECT procedure_id, id, search, text_plain FROM statements;

--bun:split
CREATE INDEX statement_search_search_idx ON statement_search USING gin (search);

--bun:split
CREATE INDEX statement_search_plain_trgm_idx ON statement_search USING gin (text_plain gin_trgm_ops);

--bun:split
ALTER TABLE statements DROP COLUMN search, DROP COLUMN text_plain;

--bun:split
-- Once per INSERT, for all its rows: a batch of statements queues itself in
-- one more insert.
CREATE FUNCTION statements_queue_for_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO statement_search_queue (procedure_id, statement_id) SELECT procedure_id, id FROM received;
    RETURN NULL;
END
$$;

--bun:split
CREATE TRIGGER statements_queue_for_search AFTER INSERT ON statements
    REFERENCING NEW TABLE AS received FOR EACH STATEMENT EXECUTE FUNCTION statements_queue_for_search();
