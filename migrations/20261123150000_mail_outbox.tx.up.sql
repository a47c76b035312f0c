-- Transactional outbox for e-mail: a use case inserts the mail in the same
-- transaction as its change, a background worker sends it later. Rows are
-- kept after sending (status 'sent') or after giving up ('failed'), so what
-- was sent to whom can be traced.
CREATE TABLE mail_outbox (
    id              uuid PRIMARY KEY,
    recipient       text NOT NULL CHECK (recipient <> '' AND recipient !~ '[\r\n]'),
    subject         text NOT NULL CHECK (subject !~ '[\r\n]'),
    body            text NOT NULL,
    kind            text NOT NULL DEFAULT '',
    ref             text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    -- sending attempts started; counted when a worker claims the row
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- lease of the worker that claimed the row; another worker may take the
    -- row once it has run out (that worker crashed or hung)
    locked_until    timestamptz,
    lease_token     uuid,
    sent_at         timestamptz,
    last_error      text NOT NULL DEFAULT '',
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK ((locked_until IS NULL) = (lease_token IS NULL))
);

--bun:split
-- Workers look only at queued rows that are due.
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'queued';
