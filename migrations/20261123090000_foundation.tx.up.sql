-- Organisations, staff accounts, memberships and the audit trail.
CREATE TABLE organisations (
    id              uuid PRIMARY KEY,
    parent_id       uuid REFERENCES organisations (id) ON DELETE RESTRICT,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind            text NOT NULL CHECK (kind IN ('state', 'district', 'municipality', 'authority', 'public_body')),
    ags             char(8) UNIQUE CHECK (ags ~ '^[0-9]{8}$'),
    contact_email   text NOT NULL DEFAULT '',
    contact_phone   text NOT NULL DEFAULT '',
    contact_address text NOT NULL DEFAULT '',
    contact_website text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);

--bun:split
CREATE INDEX organisations_parent_idx ON organisations (parent_id);

--bun:split
CREATE TABLE accounts (
    id             uuid PRIMARY KEY,
    email          text NOT NULL CHECK (email = lower(email)),
    display_name   text NOT NULL,
    password_hash  text NOT NULL,
    instance_admin boolean NOT NULL DEFAULT false,
    active         boolean NOT NULL DEFAULT true,
    session_epoch  bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

--bun:split
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);

--bun:split
CREATE TABLE memberships (
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('org_admin', 'editor', 'moderator', 'viewer')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, organisation_id)
);

--bun:split
CREATE INDEX memberships_organisation_idx ON memberships (organisation_id);

--bun:split
-- The audit trail keeps no foreign keys: entries outlive the objects they describe.
CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor_id        uuid,
    actor_email     text NOT NULL DEFAULT '',
    organisation_id uuid,
    action          text NOT NULL,
    object_type     text NOT NULL DEFAULT '',
    object_id       text NOT NULL DEFAULT '',
    request_id      text NOT NULL DEFAULT '',
    details         jsonb NOT NULL DEFAULT '{}'
);

--bun:split
CREATE INDEX audit_log_organisation_idx ON audit_log (organisation_id, id DESC);

--bun:split
-- Append-only: the trail cannot be rewritten through the application's role.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

--bun:split
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

--bun:split
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
