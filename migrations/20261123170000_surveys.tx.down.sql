DROP TABLE IF EXISTS survey_access_codes;
--bun:split
DROP TABLE IF EXISTS survey_answers;
--bun:split
DROP TABLE IF EXISTS survey_responses;
--bun:split
DROP TABLE IF EXISTS surveys;
