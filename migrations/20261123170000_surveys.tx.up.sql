-- Surveys (Online-Umfragen). A survey is a procedure of type survey; its
-- questionnaire is kept as JSON. Submitted answers are stored twice: as the
-- response's JSON (for the raw export and drafts) and as one row per answered
-- option, matrix item, ranked option or single value in survey_answers, so
-- that results are counted in SQL.
CREATE TABLE surveys (
    procedure_id         uuid PRIMARY KEY REFERENCES procedures (id) ON DELETE CASCADE,
    questionnaire        jsonb NOT NULL,
    require_account      boolean NOT NULL DEFAULT false,
    require_code         boolean NOT NULL DEFAULT false,
    threshold            integer NOT NULL DEFAULT 5 CHECK (threshold BETWEEN 1 AND 100),
    results_published_at timestamptz,
    updated_at           timestamptz NOT NULL,
    version              integer NOT NULL DEFAULT 1
);

--bun:split
CREATE TABLE survey_responses (
    id               uuid PRIMARY KEY,
    survey_id        uuid NOT NULL REFERENCES surveys (procedure_id) ON DELETE CASCADE,
    status           text NOT NULL CHECK (status IN ('draft', 'submitted')),
    answers          jsonb NOT NULL,
    account_id       uuid REFERENCES accounts (id) ON DELETE SET NULL,
    -- HMAC of the browser token: one submitted response per browser
    browser_key      text,
    -- SHA-256 of the resume token of a draft
    resume_hash      text UNIQUE,
    access_code_hash text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    submitted_at     timestamptz
);

--bun:split
CREATE UNIQUE INDEX survey_responses_one_per_account ON survey_responses (survey_id, account_id)
    WHERE status = 'submitted' AND account_id IS NOT NULL;

--bun:split
CREATE UNIQUE INDEX survey_responses_one_per_browser ON survey_responses (survey_id, browser_key)
    WHERE status = 'submitted' AND browser_key IS NOT NULL;

--bun:split
CREATE INDEX survey_responses_submitted ON survey_responses (survey_id, submitted_at, id)
    WHERE status = 'submitted';

--bun:split
CREATE TABLE survey_answers (
    survey_id   uuid NOT NULL,
    response_id uuid NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    question    text NOT NULL,
    choice      text NOT NULL DEFAULT '',
    num         double precision,
    answer_text text NOT NULL DEFAULT '',
    PRIMARY KEY (response_id, question, choice)
);

--bun:split
-- Per-question counts and the cross-tab filter read only this index.
CREATE INDEX survey_answers_counts ON survey_answers (survey_id, question, choice) INCLUDE (num, response_id);

--bun:split
CREATE TABLE survey_access_codes (
    survey_id   uuid NOT NULL REFERENCES surveys (procedure_id) ON DELETE CASCADE,
    -- HMAC of the code: a copy of the database holds no usable code
    code_hash   text NOT NULL,
    created_at  timestamptz NOT NULL,
    used_at     timestamptz,
    response_id uuid REFERENCES survey_responses (id) ON DELETE SET NULL,
    PRIMARY KEY (survey_id, code_hash)
);
