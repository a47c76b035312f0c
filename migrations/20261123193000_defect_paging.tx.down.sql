DROP INDEX IF EXISTS defect_reports_created_page;
--bun:split
CREATE INDEX IF NOT EXISTS defect_reports_created ON defect_reports (created_at DESC);
--bun:split
DROP INDEX IF EXISTS defect_reports_forwarded_page;
--bun:split
CREATE INDEX IF NOT EXISTS defect_reports_forwarded ON defect_reports (forwarded_to) WHERE forwarded_to IS NOT NULL;
--bun:split
DROP INDEX IF EXISTS defect_reports_organisation_page;
--bun:split
DROP INDEX IF EXISTS defect_reports_procedure_page;
--bun:split
CREATE INDEX IF NOT EXISTS defect_reports_procedure_created ON defect_reports (procedure_id, created_at DESC);
