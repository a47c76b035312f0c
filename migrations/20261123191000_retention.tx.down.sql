DROP INDEX IF EXISTS survey_responses_drafts_idx;
--bun:split
DROP INDEX IF EXISTS mail_outbox_done_idx;
--bun:split
ALTER TABLE mail_outbox DROP COLUMN IF EXISTS failed_at;
