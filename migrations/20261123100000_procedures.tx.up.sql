-- Participation procedures with their phases, invited public bodies and the
-- record of period changes. Search uses German full-text search plus trigram
-- matching on unaccented text, because the German configuration does not split
-- compounds ("bebauung" must find "Bebauungsplan").
CREATE EXTENSION IF NOT EXISTS pg_trgm;

--bun:split
CREATE EXTENSION IF NOT EXISTS unaccent;

--bun:split
-- portal_fold makes text comparable the way Germans type it: lower case, umlauts
-- as ae/oe/ue, ß as ss, other accents removed ("Mühlgraben" = "muehlgraben",
-- "Straße" = "strasse"). unaccent() is only STABLE; index expressions need an
-- IMMUTABLE function with a fixed dictionary.
CREATE FUNCTION portal_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN unaccent('unaccent'::regdictionary,
        replace(replace(replace(replace(lower($1), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'));

--bun:split
CREATE TABLE procedures (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    type            text NOT NULL CHECK (type IN ('land_use_plan', 'regional_plan', 'statute', 'survey', 'defect_reporting', 'dialog')),
    subtype         text NOT NULL,
    title           text NOT NULL,
    summary         text NOT NULL,
    description     text NOT NULL DEFAULT '',
    legal_basis     text NOT NULL DEFAULT '',
    contact_name    text NOT NULL DEFAULT '',
    contact_email   text NOT NULL DEFAULT '',
    contact_phone   text NOT NULL DEFAULT '',
    contact_address text NOT NULL DEFAULT '',
    ags             char(8) CHECK (ags ~ '^[0-9]{8}$'),
    area            jsonb,
    -- bounding box of the area, for map and bounding-box filters without PostGIS
    min_lon         double precision,
    min_lat         double precision,
    max_lon         double precision,
    max_lat         double precision,
    published_at    timestamptz,
    closed_at       timestamptz,
    closed_reason   text NOT NULL DEFAULT '',
    concluded_at    timestamptz,
    result          text NOT NULL DEFAULT '',
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1,
    -- The schedule in a form each row can answer alone, so the catalogue derives
    -- statuses and deadlines without a subquery per row: the union of the phase
    -- periods (cut at an early close) and the phases' ends in order.
    participation   tstzmultirange NOT NULL DEFAULT '{}',
    phase_ends      timestamptz[] NOT NULL DEFAULT '{}',
    search          tsvector GENERATED ALWAYS AS (
                        setweight(to_tsvector('german', title), 'A') ||
                        setweight(to_tsvector('german', summary), 'B') ||
                        setweight(to_tsvector('german', description), 'C')) STORED,
    search_plain    text GENERATED ALWAYS AS (portal_fold(title || ' ' || summary)) STORED
);

--bun:split
CREATE INDEX procedures_search_idx ON procedures USING gin (search);

--bun:split
CREATE INDEX procedures_search_trgm_idx ON procedures USING gin (search_plain gin_trgm_ops);

--bun:split
CREATE INDEX procedures_org_idx ON procedures (organisation_id);

--bun:split
CREATE INDEX procedures_published_idx ON procedures (published_at DESC, id DESC) WHERE published_at IS NOT NULL;

--bun:split
CREATE INDEX procedures_ags_idx ON procedures (ags bpchar_pattern_ops);

--bun:split
CREATE INDEX procedures_participation_idx ON procedures USING gist (participation);

--bun:split
CREATE TABLE procedure_phases (
    id           uuid PRIMARY KEY,
    procedure_id uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('early_public', 'early_authorities', 'publication', 'authorities', 'repeated', 'participation')),
    audience     text NOT NULL CHECK (audience IN ('public', 'invited')),
    title        text NOT NULL DEFAULT '',
    start_date   date NOT NULL,
    end_date     date,
    -- the same period as instants: from 00:00 Europe/Berlin on the first day to
    -- 00:00 after the last day (exclusive), so SQL can ask "open now" directly
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz,
    announced_on date,
    CHECK (end_date IS NULL OR end_date >= start_date)
);

--bun:split
CREATE INDEX procedure_phases_procedure_idx ON procedure_phases (procedure_id, starts_at);

--bun:split
CREATE INDEX procedure_phases_ends_idx ON procedure_phases (ends_at);

--bun:split
CREATE TABLE procedure_invitations (
    phase_id        uuid NOT NULL REFERENCES procedure_phases (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    PRIMARY KEY (phase_id, organisation_id)
);

--bun:split
CREATE INDEX procedure_invitations_org_idx ON procedure_invitations (organisation_id);

--bun:split
CREATE TABLE procedure_period_changes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    procedure_id uuid NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    phase_id     uuid NOT NULL,
    old_end      date,
    new_end      date,
    reason       text NOT NULL DEFAULT '',
    changed_by   uuid,
    changed_at   timestamptz NOT NULL
);
