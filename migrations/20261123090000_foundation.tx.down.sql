DROP TABLE IF EXISTS audit_log;
--bun:split
DROP FUNCTION IF EXISTS audit_log_append_only();
--bun:split
DROP TABLE IF EXISTS memberships;
--bun:split
DROP TABLE IF EXISTS accounts;
--bun:split
DROP TABLE IF EXISTS organisations;
