-- Keyset paging of the defect lists: every list is ordered newest first,
-- created_at then the running number descending, and a page starts after the
-- previous page's last (created_at, number). These indexes hold that order
-- behind each list's filter (a procedure, an organisation's own reports, the
-- reports forwarded to it, all of them for Open311), so a page reads its rows
-- in order from the cursor instead of sorting the whole list.
DROP INDEX IF EXISTS defect_reports_procedure_created;

--bun:split
CREATE INDEX defect_reports_procedure_page ON defect_reports (procedure_id, created_at DESC, number DESC);

--bun:split
CREATE INDEX defect_reports_organisation_page ON defect_reports (organisation_id, created_at DESC, number DESC);

--bun:split
DROP INDEX IF EXISTS defect_reports_forwarded;

--bun:split
CREATE INDEX defect_reports_forwarded_page ON defect_reports (forwarded_to, created_at DESC, number DESC)
    WHERE forwarded_to IS NOT NULL;

--bun:split
DROP INDEX IF EXISTS defect_reports_created;

--bun:split
CREATE INDEX defect_reports_created_page ON defect_reports (created_at DESC, number DESC);
