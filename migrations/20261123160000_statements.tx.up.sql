-- Statements (Stellungnahmen). They are evidence: a trigger refuses to delete
-- them or to change anything that was received; only the weighing columns
-- change. Numbers are per procedure (code from a sequence, running number from
-- statement_counters), so two submissions never get the same one.
ALTER TABLE procedures
    ADD COLUMN statement_fields jsonb NOT NULL DEFAULT '{"name":"optional","address":"optional","email":"optional"}';

--bun:split
CREATE SEQUENCE statement_code_seq START 1024; -- three base-32 characters from the start

--bun:split
CREATE TABLE statement_counters (
    procedure_id uuid PRIMARY KEY REFERENCES procedures (id) ON DELETE CASCADE,
    code         text NOT NULL UNIQUE,
    last         integer NOT NULL
);

--bun:split
CREATE TABLE statements (
    id                uuid PRIMARY KEY,
    procedure_id      uuid NOT NULL REFERENCES procedures (id) ON DELETE RESTRICT,
    -- no foreign key: a procedure's schedule is rewritten on every change,
    -- and a statement must outlive that
    phase_id          uuid NOT NULL,
    number            text NOT NULL UNIQUE,
    seq               integer NOT NULL,
    channel           text NOT NULL CHECK (channel IN ('online', 'letter', 'email', 'fax', 'in_person')),
    kind              text NOT NULL CHECK (kind IN ('citizen', 'public_body')),
    on_behalf_of      uuid REFERENCES organisations (id) ON DELETE RESTRICT,
    account_id        uuid REFERENCES accounts (id) ON DELETE SET NULL,
    submitter_name    text NOT NULL DEFAULT '',
    submitter_address text NOT NULL DEFAULT '',
    submitter_email   text NOT NULL DEFAULT '',
    text              text NOT NULL,
    document_id       uuid REFERENCES procedure_documents (id) ON DELETE SET NULL,
    section           text NOT NULL DEFAULT '',
    location_lon      double precision,
    location_lat      double precision,
    outside_area      boolean NOT NULL DEFAULT false,
    privacy_version   text NOT NULL DEFAULT '',
    digest            char(64) NOT NULL,
    received_at       timestamptz NOT NULL,
    timely            boolean NOT NULL,
    withdrawn_at      timestamptz,
    idempotency_key   text,
    request_digest    char(64),
    status            text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'in_review', 'weighed', 'result_sent')),
    topics            text[] NOT NULL DEFAULT '{}',
    answer            text NOT NULL DEFAULT '',
    decision          text NOT NULL DEFAULT '' CHECK (decision IN ('', 'followed', 'already_followed', 'not_followed', 'noted')),
    priority          text NOT NULL DEFAULT '' CHECK (priority IN ('', 'A', 'B')),
    group_id          uuid,
    version           integer NOT NULL DEFAULT 1,
    search            tsvector GENERATED ALWAYS AS (to_tsvector('german', text)) STORED,
    text_plain        text GENERATED ALWAYS AS (portal_fold(left(text, 5000))) STORED,
    UNIQUE (procedure_id, seq),
    UNIQUE (procedure_id, idempotency_key)
);

--bun:split
CREATE INDEX statements_procedure_idx ON statements (procedure_id, received_at);

--bun:split
CREATE INDEX statements_search_idx ON statements USING gin (search);

--bun:split
CREATE INDEX statements_plain_trgm_idx ON statements USING gin (text_plain gin_trgm_ops);

--bun:split
CREATE INDEX statements_group_idx ON statements (group_id) WHERE group_id IS NOT NULL;

--bun:split
CREATE TABLE statement_attachments (
    id           uuid PRIMARY KEY,
    statement_id uuid NOT NULL REFERENCES statements (id) ON DELETE RESTRICT,
    position     integer NOT NULL,
    file_name    text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL CHECK (size > 0),
    sha256       char(64) NOT NULL,
    storage_key  text NOT NULL UNIQUE
);

--bun:split
CREATE INDEX statement_attachments_statement_idx ON statement_attachments (statement_id, position);

--bun:split
CREATE FUNCTION statements_keep_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'statements are evidence and are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.id, NEW.procedure_id, NEW.phase_id, NEW.number, NEW.seq, NEW.channel, NEW.kind, NEW.on_behalf_of,
        NEW.submitter_name, NEW.submitter_address, NEW.submitter_email, NEW.text, NEW.section,
        NEW.location_lon, NEW.location_lat, NEW.privacy_version, NEW.digest, NEW.received_at, NEW.timely,
        NEW.idempotency_key, NEW.request_digest)
       IS DISTINCT FROM
       (OLD.id, OLD.procedure_id, OLD.phase_id, OLD.number, OLD.seq, OLD.channel, OLD.kind, OLD.on_behalf_of,
        OLD.submitter_name, OLD.submitter_address, OLD.submitter_email, OLD.text, OLD.section,
        OLD.location_lon, OLD.location_lat, OLD.privacy_version, OLD.digest, OLD.received_at, OLD.timely,
        OLD.idempotency_key, OLD.request_digest) THEN
        RAISE EXCEPTION 'what a statement said when it was received never changes' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.withdrawn_at IS NOT NULL AND NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at THEN
        RAISE EXCEPTION 'a withdrawal is final' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

--bun:split
CREATE TRIGGER statements_keep_evidence BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION statements_keep_evidence();

--bun:split
CREATE FUNCTION statement_attachments_keep_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'statement attachments are evidence and never change' USING ERRCODE = 'restrict_violation';
END
$$;

--bun:split
CREATE TRIGGER statement_attachments_keep_evidence BEFORE UPDATE OR DELETE ON statement_attachments
    FOR EACH ROW EXECUTE FUNCTION statement_attachments_keep_evidence();
