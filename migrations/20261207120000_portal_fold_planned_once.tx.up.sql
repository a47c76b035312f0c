-- portal_fold is computed for every statement and procedure written (their
-- folded search columns). As an SQL function it cannot be inlined (unaccent
-- is only STABLE), so PostgreSQL parsed and planned its body again in every
-- INSERT or UPDATE that computed it: about a tenth of the time a batch of
-- statements spends in PostgreSQL. The same body in PL/pgSQL is planned once
-- per connection. What it answers does not change, so the stored columns and
-- their indexes stay valid. Names are qualified with the extension's schema:
-- a PL/pgSQL body is resolved when it first runs, in the session's
-- search_path, and pg_restore computes generated columns with an empty one.
DO $$
DECLARE
    ext text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent');
BEGIN
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION portal_fold(text) RETURNS text
            LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $body$
        BEGIN
            RETURN %1$s.unaccent(%2$L::regdictionary,
                replace(replace(replace(replace(lower($1), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'));
        END $body$
    $f$, ext, ext || '.unaccent');
END $$;
