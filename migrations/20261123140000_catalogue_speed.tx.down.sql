DROP INDEX IF EXISTS procedures_bbox_idx;
--bun:split
CREATE INDEX IF NOT EXISTS procedure_phases_ends_idx ON procedure_phases (ends_at);
--bun:split
DROP INDEX IF EXISTS procedure_phases_ends_procedure_idx;
