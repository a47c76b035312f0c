-- Dialog procedures (Dialogverfahren): the agency's settings and topics,
-- participants (an account or a confirmed e-mail address, shown by
-- pseudonym), threaded contributions, support votes, reports of
-- contributions and the moderators' acts.
CREATE TABLE dialog_settings (
    procedure_id         uuid PRIMARY KEY REFERENCES procedures (id) ON DELETE CASCADE,
    identity             text NOT NULL CHECK (identity IN ('account', 'email')),
    moderation           text NOT NULL CHECK (moderation IN ('pre', 'post')),
    netiquette           text NOT NULL DEFAULT '',
    summary              text NOT NULL DEFAULT '',
    summary_published_at timestamptz,
    updated_at           timestamptz NOT NULL
);

--bun:split
CREATE TABLE dialog_topics (
    id           uuid PRIMARY KEY,
    procedure_id uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    name         text NOT NULL,
    position     integer NOT NULL,
    -- Removed topics stay for the contributions filed under them.
    active       boolean NOT NULL DEFAULT true
);

--bun:split
CREATE INDEX dialog_topics_procedure ON dialog_topics (procedure_id, position);

--bun:split
-- The e-mail address is kept only until it is confirmed; afterwards the
-- keyed hash alone recognises the person again. Unconfirmed rows expire.
CREATE TABLE dialog_participants (
    id                 uuid PRIMARY KEY,
    procedure_id       uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    account_id         uuid REFERENCES accounts (id) ON DELETE SET NULL,
    email_hash         text,
    email              text,
    pseudonym          text NOT NULL,
    confirm_hash       text UNIQUE,
    confirm_expires_at timestamptz,
    token_hash         text UNIQUE,
    confirmed_at       timestamptz,
    created_at         timestamptz NOT NULL,
    UNIQUE (procedure_id, account_id),
    UNIQUE (procedure_id, email_hash),
    CHECK (account_id IS NOT NULL OR email_hash IS NOT NULL OR confirmed_at IS NOT NULL)
);

--bun:split
CREATE INDEX dialog_participants_unconfirmed ON dialog_participants (confirm_expires_at) WHERE confirmed_at IS NULL;

--bun:split
CREATE TABLE dialog_contributions (
    id                 uuid PRIMARY KEY,
    procedure_id       uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    parent_id          uuid REFERENCES dialog_contributions (id),
    root_id            uuid NOT NULL,
    depth              smallint NOT NULL CHECK (depth BETWEEN 0 AND 3),
    participant_id     uuid REFERENCES dialog_participants (id) ON DELETE SET NULL,
    agency_author      uuid REFERENCES accounts (id) ON DELETE SET NULL,
    topic_id           uuid REFERENCES dialog_topics (id),
    title              text NOT NULL DEFAULT '',
    body               text NOT NULL DEFAULT '',
    lon                double precision,
    lat                double precision,
    attachment         jsonb,
    state              text NOT NULL CHECK (state IN ('pending', 'published', 'hidden', 'deleted')),
    hidden_reason      text NOT NULL DEFAULT '',
    official           boolean NOT NULL DEFAULT false,
    closed_at          timestamptz,
    closed_reason      text NOT NULL DEFAULT '',
    supporters         integer NOT NULL DEFAULT 0 CHECK (supporters >= 0),
    replies            integer NOT NULL DEFAULT 0 CHECK (replies >= 0),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK ((parent_id IS NULL) = (depth = 0))
);

--bun:split
-- The public list of threads walks one of these per sort order.
CREATE INDEX dialog_threads_newest ON dialog_contributions (procedure_id, created_at DESC, id DESC)
    WHERE parent_id IS NULL AND state = 'published';

--bun:split
CREATE INDEX dialog_threads_supported ON dialog_contributions (procedure_id, supporters DESC, created_at DESC, id DESC)
    WHERE parent_id IS NULL AND state = 'published';

--bun:split
CREATE INDEX dialog_threads_discussed ON dialog_contributions (procedure_id, replies DESC, created_at DESC, id DESC)
    WHERE parent_id IS NULL AND state = 'published';

--bun:split
CREATE INDEX dialog_contributions_thread ON dialog_contributions (root_id, created_at, id);

--bun:split
CREATE INDEX dialog_contributions_parent ON dialog_contributions (parent_id) WHERE parent_id IS NOT NULL;

--bun:split
CREATE INDEX dialog_contributions_pending ON dialog_contributions (procedure_id, created_at) WHERE state = 'pending';

--bun:split
CREATE INDEX dialog_contributions_export ON dialog_contributions (procedure_id, root_id, created_at, id);

--bun:split
CREATE TABLE dialog_supports (
    contribution_id uuid NOT NULL REFERENCES dialog_contributions (id) ON DELETE CASCADE,
    participant_id  uuid NOT NULL REFERENCES dialog_participants (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (contribution_id, participant_id)
);

--bun:split
CREATE INDEX dialog_supports_participant ON dialog_supports (participant_id);

--bun:split
CREATE TABLE dialog_reports (
    id              uuid PRIMARY KEY,
    contribution_id uuid NOT NULL REFERENCES dialog_contributions (id) ON DELETE CASCADE,
    procedure_id    uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    reason          text NOT NULL,
    note            text NOT NULL DEFAULT '',
    -- A keyed hash of the reporter, so one person's repeated reports count once.
    fingerprint     text NOT NULL,
    created_at      timestamptz NOT NULL,
    resolved_at     timestamptz,
    resolved_by     uuid REFERENCES accounts (id) ON DELETE SET NULL,
    resolution      text NOT NULL DEFAULT '',
    UNIQUE (contribution_id, fingerprint)
);

--bun:split
CREATE INDEX dialog_reports_open ON dialog_reports (procedure_id, created_at) WHERE resolved_at IS NULL;

--bun:split
CREATE TABLE dialog_moderation_events (
    id              uuid PRIMARY KEY,
    contribution_id uuid NOT NULL REFERENCES dialog_contributions (id) ON DELETE CASCADE,
    action          text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    actor_id        uuid REFERENCES accounts (id) ON DELETE SET NULL,
    at              timestamptz NOT NULL
);

--bun:split
CREATE INDEX dialog_moderation_events_contribution ON dialog_moderation_events (contribution_id, at);
