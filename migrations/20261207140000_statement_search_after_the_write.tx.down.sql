DROP TRIGGER statements_queue_for_search ON statements;

--bun:split
DROP FUNCTION statements_queue_for_search();

--bun:split
ALTER TABLE statements
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('german', text)) STORED,
    ADD COLUMN text_plain text GENERATED ALWAYS AS (portal_fold(left(text, 5000))) STORED;

--bun:split
CREATE INDEX statements_search_idx ON statements USING gin (search);

--bun:split
CREATE INDEX statements_plain_trgm_idx ON statements USING gin (text_plain gin_trgm_ops);

--bun:split
DROP TABLE statement_search_queue;

--bun:split
DROP TABLE statement_search;
