DROP TABLE IF EXISTS defect_supports;
--bun:split
DROP TABLE IF EXISTS defect_events;
--bun:split
DROP TABLE IF EXISTS defect_photos;
--bun:split
DROP TABLE IF EXISTS defect_reports;
--bun:split
DROP TABLE IF EXISTS open311_clients;
--bun:split
DROP SEQUENCE IF EXISTS defect_report_number_seq;
--bun:split
DROP TABLE IF EXISTS defect_categories;
