-- Retention: a background job deletes survey drafts and finished mail once
-- they are no longer needed, in small batches. failed_at dates a mail the
-- worker gave up on (rows failed before this migration count from their last
-- due time); the partial indexes let each batch find its rows without a scan.
ALTER TABLE mail_outbox ADD COLUMN failed_at timestamptz;

--bun:split
UPDATE mail_outbox SET failed_at = next_attempt_at WHERE status = 'failed';

--bun:split
CREATE INDEX mail_outbox_done_idx ON mail_outbox ((coalesce(sent_at, failed_at))) WHERE status IN ('sent', 'failed');

--bun:split
CREATE INDEX survey_responses_drafts_idx ON survey_responses (survey_id, updated_at) WHERE status = 'draft';
