-- Defect reporting (Mängelmelder): categories per procedure (Open311
-- services), reports with photos, their status history, "me too" supports and
-- the API keys of Open311 clients.
CREATE TABLE defect_categories (
    id           uuid PRIMARY KEY,
    procedure_id uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,40}$'),
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    group_name   text NOT NULL DEFAULT '',
    unit         text NOT NULL DEFAULT '',
    keywords     text NOT NULL DEFAULT '',
    active       boolean NOT NULL DEFAULT true,
    position     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL
);

--bun:split
CREATE INDEX defect_categories_procedure ON defect_categories (procedure_id, position);

--bun:split
CREATE SEQUENCE defect_report_number_seq START 1001;

--bun:split
CREATE TABLE open311_clients (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    key_hash   text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

--bun:split
CREATE TABLE defect_reports (
    id              uuid PRIMARY KEY,
    number          bigint NOT NULL UNIQUE,
    public_id       text NOT NULL UNIQUE,
    procedure_id    uuid NOT NULL REFERENCES procedures (id) ON DELETE RESTRICT,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    category_id     uuid NOT NULL REFERENCES defect_categories (id) ON DELETE RESTRICT,
    description     text NOT NULL,
    lon             double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat             double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    address         text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    media_url       text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('new', 'acknowledged', 'in_progress', 'resolved', 'rejected', 'duplicate', 'forwarded')),
    status_notes    text NOT NULL DEFAULT '',
    duplicate_of    uuid REFERENCES defect_reports (id) ON DELETE SET NULL,
    forwarded_to    uuid REFERENCES organisations (id) ON DELETE SET NULL,
    text_hidden     text NOT NULL DEFAULT '',
    supporters      integer NOT NULL DEFAULT 0,
    source          text NOT NULL CHECK (source IN ('web', 'open311')),
    client_id       uuid REFERENCES open311_clients (id) ON DELETE SET NULL,
    token_hash      text NOT NULL UNIQUE,
    idempotency_key text,
    request_digest  text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT defect_reports_idempotency UNIQUE (procedure_id, idempotency_key)
);

--bun:split
CREATE INDEX defect_reports_procedure_created ON defect_reports (procedure_id, created_at DESC);

--bun:split
CREATE INDEX defect_reports_created ON defect_reports (created_at DESC);

--bun:split
CREATE INDEX defect_reports_forwarded ON defect_reports (forwarded_to) WHERE forwarded_to IS NOT NULL;

--bun:split
CREATE TABLE defect_photos (
    id            uuid PRIMARY KEY,
    report_id     uuid NOT NULL REFERENCES defect_reports (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    content_type  text NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    size          bigint NOT NULL,
    sha256        text NOT NULL,
    storage_key   text NOT NULL,
    preview_key   text NOT NULL,
    preview_type  text NOT NULL,
    hidden_reason text NOT NULL DEFAULT ''
);

--bun:split
CREATE INDEX defect_photos_report ON defect_photos (report_id, position);

--bun:split
CREATE TABLE defect_events (
    id             uuid PRIMARY KEY,
    report_id      uuid NOT NULL REFERENCES defect_reports (id) ON DELETE CASCADE,
    at             timestamptz NOT NULL,
    actor_id       uuid REFERENCES accounts (id) ON DELETE SET NULL,
    from_status    text NOT NULL,
    to_status      text NOT NULL,
    public_comment text NOT NULL DEFAULT '',
    internal_note  text NOT NULL DEFAULT '',
    duplicate_of   uuid,
    forwarded_to   uuid
);

--bun:split
CREATE INDEX defect_events_report ON defect_events (report_id, at);

--bun:split
CREATE TABLE defect_supports (
    report_id   uuid NOT NULL REFERENCES defect_reports (id) ON DELETE CASCADE,
    fingerprint text NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (report_id, fingerprint)
);
