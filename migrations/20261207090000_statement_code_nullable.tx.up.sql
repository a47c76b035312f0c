-- A new procedure's counter row is created by its first statement, before its
-- code is drawn. That row used to carry '' in the unique code column: two
-- first statements (of one procedure or of two) then each waited for the
-- other's '' and PostgreSQL broke the tie with a deadlock. A code not yet drawn
-- is NULL now, which a unique column holds any number of times. No committed
-- row is ever without a code: it is drawn in the same transaction.
ALTER TABLE statement_counters ALTER COLUMN code DROP NOT NULL;
