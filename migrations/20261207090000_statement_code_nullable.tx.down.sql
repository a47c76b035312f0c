ALTER TABLE statement_counters ALTER COLUMN code SET NOT NULL;
