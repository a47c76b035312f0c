DROP TABLE IF EXISTS dialog_moderation_events;
--bun:split
DROP TABLE IF EXISTS dialog_reports;
--bun:split
DROP TABLE IF EXISTS dialog_supports;
--bun:split
DROP TABLE IF EXISTS dialog_contributions;
--bun:split
DROP TABLE IF EXISTS dialog_participants;
--bun:split
DROP TABLE IF EXISTS dialog_topics;
--bun:split
DROP TABLE IF EXISTS dialog_settings;
