DROP TABLE IF EXISTS statement_attachments;
--bun:split
DROP TABLE IF EXISTS statements;
--bun:split
DROP FUNCTION IF EXISTS statement_attachments_keep_evidence();
--bun:split
DROP FUNCTION IF EXISTS statements_keep_evidence();
--bun:split
DROP TABLE IF EXISTS statement_counters;
--bun:split
DROP SEQUENCE IF EXISTS statement_code_seq;
--bun:split
ALTER TABLE procedures DROP COLUMN IF EXISTS statement_fields;
