-- Indexes that let the catalogue stop after one page instead of sorting every
-- match. The deadline order walks the phases' ends in order: the soonest end
-- after now that is a procedure's next deadline places it, so a page needs a
-- few dozen index entries. procedure_id completes the sort key (ties by id)
-- and makes the walk index-only. It serves every query the plain ends_at
-- index served, which it replaces.
CREATE INDEX procedure_phases_ends_procedure_idx ON procedure_phases (ends_at, procedure_id);

--bun:split
DROP INDEX IF EXISTS procedure_phases_ends_idx;

--bun:split
-- Bounding-box filters (map views) as a box overlap the GiST index answers;
-- the exact comparisons stay in the query.
CREATE INDEX procedures_bbox_idx ON procedures
    USING gist (box(point(min_lon, min_lat), point(max_lon, max_lat)))
    WHERE min_lon IS NOT NULL;
