DROP TABLE IF EXISTS procedure_period_changes;
--bun:split
DROP TABLE IF EXISTS procedure_invitations;
--bun:split
DROP TABLE IF EXISTS procedure_phases;
--bun:split
DROP TABLE IF EXISTS procedures;
--bun:split
DROP FUNCTION IF EXISTS portal_fold(text);
