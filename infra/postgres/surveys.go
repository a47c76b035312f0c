package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"beteiligungsportal/domain/survey"
)

// The questionnaire and the answers are stored as the JSON of the domain
// types (their exported field names are the storage format): they are read
// and written only as a whole, never queried by their parts; results are
// counted over survey_answers.

type surveyRow struct {
	bun.BaseModel `bun:"table:surveys,alias:sv"`

	ProcedureID        uuid.UUID       `bun:"procedure_id,pk,type:uuid"`
	Questionnaire      json.RawMessage `bun:"questionnaire,type:jsonb"`
	RequireAccount     bool            `bun:"require_account"`
	RequireCode        bool            `bun:"require_code"`
	Threshold          int             `bun:"threshold"`
	ResultsPublishedAt time.Time       `bun:"results_published_at,nullzero"`
	UpdatedAt          time.Time       `bun:"updated_at"`
	Version            int             `bun:"version"`
}

type responseRow struct {
	bun.BaseModel `bun:"table:survey_responses,alias:sr"`

	ID             uuid.UUID       `bun:"id,pk,type:uuid"`
	SurveyID       uuid.UUID       `bun:"survey_id,type:uuid"`
	Status         string          `bun:"status"`
	Answers        json.RawMessage `bun:"answers,type:jsonb"`
	AccountID      uuid.UUID       `bun:"account_id,type:uuid,nullzero"`
	BrowserKey     string          `bun:"browser_key,nullzero"`
	ResumeHash     string          `bun:"resume_hash,nullzero"`
	AccessCodeHash string          `bun:"access_code_hash,nullzero"`
	CreatedAt      time.Time       `bun:"created_at"`
	UpdatedAt      time.Time       `bun:"updated_at"`
	SubmittedAt    time.Time       `bun:"submitted_at,nullzero"`
}

type answerRow struct {
	bun.BaseModel `bun:"table:survey_answers,alias:sa"`

	SurveyID   uuid.UUID `bun:"survey_id,type:uuid"`
	ResponseID uuid.UUID `bun:"response_id,type:uuid"`
	Question   string    `bun:"question"`
	Choice     string    `bun:"choice"`
	Num        *float64  `bun:"num"`
	AnswerText string    `bun:"answer_text"`
}

func (r responseRow) toDomain() (survey.Response, error) {
	resp := survey.Response{ID: r.ID, SurveyID: r.SurveyID, Status: survey.Status(r.Status), AccountID: r.AccountID,
		BrowserKey: r.BrowserKey, ResumeHash: r.ResumeHash, AccessCodeHash: r.AccessCodeHash,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), SubmittedAt: utc(r.SubmittedAt)}
	var err error
	if resp.Status == survey.StatusDraft {
		err = json.Unmarshal(r.Answers, &resp.Draft)
	} else {
		err = json.Unmarshal(r.Answers, &resp.Answers)
	}
	return resp, err
}

// Surveys is the survey repository.
type Surveys struct{ db bun.IDB }

// NewSurveys returns the repository over db (a pool or a transaction).
func NewSurveys(db bun.IDB) *Surveys { return &Surveys{db: db} }

// Get returns a procedure's survey.
func (s *Surveys) Get(ctx context.Context, procedureID uuid.UUID) (survey.Survey, error) {
	var row surveyRow
	if err := s.db.NewSelect().Model(&row).Where("procedure_id = ?", procedureID).Scan(ctx); err != nil {
		return survey.Survey{}, mapErr(err, survey.ErrNoQuestionnaire, nil)
	}
	sv := survey.Survey{ProcedureID: row.ProcedureID, ResultsPublishedAt: utc(row.ResultsPublishedAt),
		UpdatedAt: utc(row.UpdatedAt), Version: row.Version,
		Settings: survey.Settings{RequireAccount: row.RequireAccount, RequireCode: row.RequireCode, Threshold: row.Threshold}}
	if err := json.Unmarshal(row.Questionnaire, &sv.Questionnaire); err != nil {
		return survey.Survey{}, fmt.Errorf("survey %s: questionnaire: %w", procedureID, err)
	}
	return sv, nil
}

// Save inserts or replaces a survey's questionnaire and settings.
func (s *Surveys) Save(ctx context.Context, sv survey.Survey) error {
	raw, err := json.Marshal(sv.Questionnaire)
	if err != nil {
		return err
	}
	row := surveyRow{ProcedureID: sv.ProcedureID, Questionnaire: raw, RequireAccount: sv.Settings.RequireAccount,
		RequireCode: sv.Settings.RequireCode, Threshold: sv.Settings.Threshold, ResultsPublishedAt: utc(sv.ResultsPublishedAt),
		UpdatedAt: utc(sv.UpdatedAt), Version: sv.Version}
	_, err = s.db.NewInsert().Model(&row).
		On("CONFLICT (procedure_id) DO UPDATE").
		Set("questionnaire = EXCLUDED.questionnaire, require_account = EXCLUDED.require_account").
		Set("require_code = EXCLUDED.require_code, threshold = EXCLUDED.threshold").
		Set("updated_at = EXCLUDED.updated_at, version = EXCLUDED.version").
		Exec(ctx)
	return mapErr(err, nil, nil)
}

// SetResultsPublished sets (or with a zero time clears) the publication of results.
func (s *Surveys) SetResultsPublished(ctx context.Context, procedureID uuid.UUID, at time.Time) error {
	var v any
	if !at.IsZero() {
		v = at.UTC()
	}
	res, err := s.db.NewUpdate().Model((*surveyRow)(nil)).Set("results_published_at = ?", v).
		Where("procedure_id = ?", procedureID).Exec(ctx)
	if err != nil {
		return err
	}
	return requireRow(res, survey.ErrNoQuestionnaire)
}

// InsertCodes stores the hashes of new access codes.
func (s *Surveys) InsertCodes(ctx context.Context, procedureID uuid.UUID, hashes []string, now time.Time) error {
	_, err := s.db.NewRaw(`INSERT INTO survey_access_codes (survey_id, code_hash, created_at)
		SELECT ?, h, ? FROM unnest(?::text[]) AS h ON CONFLICT DO NOTHING`,
		procedureID, now.UTC(), pgArray(hashes)).Exec(ctx)
	return err
}

// UseCode marks an unused code as used by the response in one statement, so
// two responses racing for one code cannot both get it.
func (s *Surveys) UseCode(ctx context.Context, procedureID uuid.UUID, hash string, responseID uuid.UUID, now time.Time) error {
	var used string
	err := s.db.NewRaw(`UPDATE survey_access_codes SET used_at = ?, response_id = ?
		WHERE survey_id = ? AND code_hash = ? AND used_at IS NULL RETURNING code_hash`,
		now.UTC(), responseID, procedureID, hash).Scan(ctx, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return survey.ErrCodeInvalid
	}
	return err
}

// Draft returns a draft by its resume hash, locked until the transaction ends.
func (s *Surveys) Draft(ctx context.Context, procedureID uuid.UUID, resumeHash string) (survey.Response, error) {
	var row responseRow
	q := s.db.NewSelect().Model(&row).Where("survey_id = ? AND resume_hash = ? AND status = 'draft'", procedureID, resumeHash)
	if _, ok := s.db.(bun.Tx); ok {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return survey.Response{}, mapErr(err, survey.ErrResumeInvalid, nil)
	}
	return row.toDomain()
}

// SaveDraft inserts or updates a draft.
func (s *Surveys) SaveDraft(ctx context.Context, r survey.Response) error {
	raw, err := json.Marshal(r.Draft)
	if err != nil {
		return err
	}
	if r.Draft == nil {
		raw = []byte("{}")
	}
	row := responseRow{ID: r.ID, SurveyID: r.SurveyID, Status: string(survey.StatusDraft), Answers: raw, AccountID: r.AccountID,
		ResumeHash: r.ResumeHash, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	_, err = s.db.NewInsert().Model(&row).On("CONFLICT (id) DO UPDATE").
		Set("answers = EXCLUDED.answers, updated_at = EXCLUDED.updated_at, account_id = EXCLUDED.account_id").
		Where("sr.status = 'draft'").Exec(ctx)
	return mapErr(err, nil, nil)
}

// Submit stores a submitted response and its cells. A draft with the same ID
// becomes the submitted response and loses its resume token.
func (s *Surveys) Submit(ctx context.Context, r survey.Response, cells []survey.Cell) error {
	raw, err := json.Marshal(r.Answers)
	if err != nil {
		return err
	}
	row := responseRow{ID: r.ID, SurveyID: r.SurveyID, Status: string(survey.StatusSubmitted), Answers: raw,
		AccountID: r.AccountID, BrowserKey: r.BrowserKey, AccessCodeHash: r.AccessCodeHash,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), SubmittedAt: r.SubmittedAt.UTC()}
	_, err = s.db.NewInsert().Model(&row).On("CONFLICT (id) DO UPDATE").
		Set("status = EXCLUDED.status, answers = EXCLUDED.answers, account_id = EXCLUDED.account_id").
		Set("browser_key = EXCLUDED.browser_key, access_code_hash = EXCLUDED.access_code_hash").
		Set("updated_at = EXCLUDED.updated_at, submitted_at = EXCLUDED.submitted_at, resume_hash = NULL").
		Where("sr.status = 'draft'").Exec(ctx)
	if hasCode(err, uniqueViolation) {
		return survey.ErrAlreadyAnswered
	}
	if err != nil {
		return err
	}
	if len(cells) > 0 {
		rows := make([]answerRow, len(cells))
		for i, c := range cells {
			rows[i] = answerRow{SurveyID: r.SurveyID, ResponseID: r.ID, Question: c.Question, Choice: c.Choice, Num: c.Number, AnswerText: c.Text}
		}
		if _, err := s.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// CountResponses counts the submitted responses (an index-only scan).
func (s *Surveys) CountResponses(ctx context.Context, procedureID uuid.UUID) (int, error) {
	var n int
	err := s.db.NewRaw(`SELECT count(*) FROM survey_responses WHERE survey_id = ? AND status = 'submitted'`, procedureID).Scan(ctx, &n)
	return n, err
}

// EachResponse streams the submitted responses, oldest first.
func (s *Surveys) EachResponse(ctx context.Context, procedureID uuid.UUID, fn func(survey.Response) error) error {
	rows, err := s.db.NewSelect().Model((*responseRow)(nil)).Column("id", "answers", "submitted_at").
		Where("survey_id = ? AND status = 'submitted'", procedureID).
		Order("submitted_at", "id").Rows(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		row := responseRow{SurveyID: procedureID, Status: string(survey.StatusSubmitted)}
		if err := rows.Scan(&row.ID, &row.Answers, &row.SubmittedAt); err != nil {
			return err
		}
		resp, err := row.toDomain()
		if err != nil {
			return err
		}
		if err := fn(resp); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Tally counts the answers in SQL: one scan of the survey's cells, grouped by
// question, option and value, gives option counts, respondents (the one cell
// per answered question with an empty choice, see survey.Cell) and the
// distribution of every numeric answer, from which mean, median, minimum and
// maximum follow exactly. With a filter, only responses that chose the
// filter's option count. The rows grouped are a few per option and scale
// point, not per response. It runs in one read-only transaction so that all
// numbers describe the same moment.
func (s *Surveys) Tally(ctx context.Context, qn *survey.Questionnaire, procedureID uuid.UUID, f *survey.Filter, texts bool) (survey.Tally, error) {
	t := survey.Tally{Respondents: map[string]int{}, Texts: map[string][]string{}}
	where := "a.survey_id = ?"
	args := []any{procedureID}
	if f != nil {
		where += " AND a.response_id IN (SELECT g.response_id FROM survey_answers g WHERE g.survey_id = ? AND g.question = ? AND g.choice = ?)"
		args = append(args, procedureID, f.Question, f.Choice)
	}
	err := s.db.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		// Compiling this query costs more than it saves.
		if _, err := tx.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
			return err
		}
		if f == nil {
			if err := tx.NewRaw(`SELECT count(*) FROM survey_responses WHERE survey_id = ? AND status = 'submitted'`, procedureID).
				Scan(ctx, &t.Responses); err != nil {
				return err
			}
		} else if err := tx.NewRaw(`SELECT count(*) FROM survey_answers WHERE survey_id = ? AND question = ? AND choice = ?`,
			procedureID, f.Question, f.Choice).Scan(ctx, &t.Responses); err != nil {
			return err
		}
		var groups []struct {
			Question string   `bun:"question"`
			Choice   string   `bun:"choice"`
			Num      *float64 `bun:"num"`
			N        int      `bun:"n"`
		}
		if err := tx.NewRaw(`SELECT a.question, a.choice, a.num, count(*) AS n FROM survey_answers a
			WHERE `+where+` GROUP BY a.question, a.choice, a.num`, args...).Scan(ctx, &groups); err != nil {
			return err
		}
		dist := map[[2]string]map[float64]int{}
		for _, g := range groups {
			q := qn.Question(g.Question)
			if q == nil {
				continue
			}
			switch {
			case q.Kind == survey.KindSingle:
				t.Respondents[q.Key] += g.N
			case q.Kind == survey.KindRanking:
				t.Respondents[q.Key] = max(t.Respondents[q.Key], g.N)
			case g.Choice == "":
				t.Respondents[q.Key] += g.N
			}
			if g.Num == nil {
				if g.Choice != "" {
					t.Counts = append(t.Counts, survey.Count{Question: g.Question, Choice: g.Choice, N: g.N})
				}
				continue
			}
			k := [2]string{g.Question, g.Choice}
			if dist[k] == nil {
				dist[k] = map[float64]int{}
			}
			dist[k][*g.Num] += g.N
			if q.Kind == survey.KindScale || q.Kind == survey.KindMatrix {
				t.Points = append(t.Points, survey.Point{Question: g.Question, Choice: g.Choice, Value: int(*g.Num), N: g.N})
			}
		}
		for k, d := range dist {
			t.Stats = append(t.Stats, statOf(k[0], k[1], d))
		}
		if !texts {
			return nil
		}
		var list []struct {
			Question string `bun:"question"`
			Text     string `bun:"answer_text"`
		}
		if err := tx.NewRaw(`SELECT a.question, a.answer_text FROM survey_answers a
			WHERE `+where+` AND a.question = ANY(?) AND a.answer_text <> ''
			ORDER BY a.question, a.response_id LIMIT 10000`, append(args, pgArray(qn.TextQuestions()))...).Scan(ctx, &list); err != nil {
			return err
		}
		for _, l := range list {
			t.Texts[l.Question] = append(t.Texts[l.Question], l.Text)
		}
		return nil
	})
	return t, err
}

// statOf summarises a distribution of values with their counts.
func statOf(question, choice string, d map[float64]int) survey.Stat {
	vals := make([]float64, 0, len(d))
	st := survey.Stat{Question: question, Choice: choice}
	sum := 0.0
	for v, n := range d {
		vals = append(vals, v)
		st.N += n
		sum += v * float64(n)
	}
	slices.Sort(vals)
	if st.N == 0 {
		return st
	}
	st.Mean, st.Min, st.Max = sum/float64(st.N), vals[0], vals[len(vals)-1]
	// The median is the middle value, or the mean of the two middle ones.
	at := func(pos int) float64 { // pos: 0-based position in the sorted answers
		seen := 0
		for _, v := range vals {
			seen += d[v]
			if pos < seen {
				return v
			}
		}
		return vals[len(vals)-1]
	}
	if st.N%2 == 1 {
		st.Median = at(st.N / 2)
	} else {
		st.Median = (at(st.N/2-1) + at(st.N/2)) / 2
	}
	return st
}

// pgArray passes a string slice as a PostgreSQL text array (never NULL).
func pgArray(list []string) any {
	if list == nil {
		list = []string{}
	}
	return pgdialect.Array(list)
}
