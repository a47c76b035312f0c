-- Documents of procedures. The bytes live in the file store under storage_key;
-- a row is never rewritten except to mark it superseded or to move it in the
-- list, so what was laid out stays provable.
CREATE TABLE procedure_documents (
    id            uuid PRIMARY KEY,
    procedure_id  uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('material', 'result')),
    title         text NOT NULL,
    file_name     text NOT NULL,
    content_type  text NOT NULL,
    size          bigint NOT NULL CHECK (size > 0),
    sha256        char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key   text NOT NULL UNIQUE,
    -- order among the current documents of a kind; 0 once superseded
    position      integer NOT NULL CHECK (position >= 0),
    replaces      uuid REFERENCES procedure_documents (id) ON DELETE SET NULL,
    superseded_by uuid REFERENCES procedure_documents (id) ON DELETE SET NULL,
    superseded_at timestamptz,
    uploaded_by   uuid REFERENCES accounts (id) ON DELETE SET NULL,
    uploaded_at   timestamptz NOT NULL,
    CHECK ((superseded_by IS NULL) = (superseded_at IS NULL))
);

--bun:split
CREATE INDEX procedure_documents_procedure_idx ON procedure_documents (procedure_id, kind, position);
