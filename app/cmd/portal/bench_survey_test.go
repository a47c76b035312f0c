package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// benchQuestionnaire has 30 questions: 10 single choices, 5 multiple
// choices, 5 scales, 3 matrices of 3 items, 2 rankings of 4, 2 numbers,
// 2 short texts and a date.
func benchQuestionnaire() map[string]any {
	five := []any{}
	for k := range 5 {
		five = append(five, map[string]any{"key": fmt.Sprintf("o%d", k), "label": fmt.Sprintf("Option %d", k)})
	}
	var qs []any
	add := func(q map[string]any) { qs = append(qs, q) }
	for i := 1; i <= 10; i++ {
		add(map[string]any{"key": fmt.Sprintf("single%d", i), "kind": "single_choice", "title": "Frage", "required": true, "options": five})
	}
	for i := 1; i <= 5; i++ {
		add(map[string]any{"key": fmt.Sprintf("multi%d", i), "kind": "multiple_choice", "title": "Frage", "max_select": 2, "options": five})
	}
	for i := 1; i <= 5; i++ {
		add(map[string]any{"key": fmt.Sprintf("scale%d", i), "kind": "scale", "title": "Frage", "scale_min": 1, "scale_max": 5})
	}
	for i := 1; i <= 3; i++ {
		add(map[string]any{"key": fmt.Sprintf("matrix%d", i), "kind": "matrix", "title": "Frage", "scale_min": 1, "scale_max": 5,
			"items": []any{map[string]any{"key": "it1", "label": "A"}, map[string]any{"key": "it2", "label": "B"},
				map[string]any{"key": "it3", "label": "C"}}})
	}
	for i := 1; i <= 2; i++ {
		add(map[string]any{"key": fmt.Sprintf("rank%d", i), "kind": "ranking", "title": "Frage", "options": five[:4]})
	}
	for i := 1; i <= 2; i++ {
		add(map[string]any{"key": fmt.Sprintf("number%d", i), "kind": "number", "title": "Frage", "min": 0, "max": 10000})
	}
	for i := 1; i <= 2; i++ {
		add(map[string]any{"key": fmt.Sprintf("text%d", i), "kind": "short_text", "title": "Frage"})
	}
	add(map[string]any{"key": "date1", "kind": "date", "title": "Frage"})
	return map[string]any{"sections": []any{map[string]any{"key": "s", "title": "Fragen", "questions": qs}}}
}

func benchAnswer(i int64) map[string]any {
	a := map[string]any{}
	for q := int64(1); q <= 10; q++ {
		a[fmt.Sprintf("single%d", q)] = fmt.Sprintf("o%d", (i+q)%5)
	}
	for q := int64(1); q <= 5; q++ {
		a[fmt.Sprintf("multi%d", q)] = []string{fmt.Sprintf("o%d", (i+q)%5), fmt.Sprintf("o%d", (i+q+1)%5)}
		a[fmt.Sprintf("scale%d", q)] = 1 + (i+q)%5
	}
	for q := int64(1); q <= 3; q++ {
		a[fmt.Sprintf("matrix%d", q)] = map[string]int64{"it1": 1 + i%5, "it2": 1 + (i+1)%5, "it3": 1 + (i+2)%5}
	}
	for q := 1; q <= 2; q++ {
		a[fmt.Sprintf("rank%d", q)] = []string{"o2", "o0", "o3", "o1"}
		a[fmt.Sprintf("number%d", q)] = i % 1000
		a[fmt.Sprintf("text%d", q)] = "Antwort"
	}
	a["date1"] = "2020-05-17"
	return map[string]any{"answers": a}
}

// generateResponses writes n submitted responses of benchQuestionnaire with
// SQL, 55 answer rows each (the markers of multiple choices and matrices
// included), and vacuums as autovacuum would.
func generateResponses(b *testing.B, db *sql.DB, surveyID string, n int) {
	b.Helper()
	stmts := []string{
		`INSERT INTO survey_responses (id, survey_id, status, answers, created_at, updated_at, submitted_at)
			SELECT id, $1, 'submitted', '{}', now(), now(), now() FROM bench_ids`,
		`INSERT INTO survey_answers (survey_id, response_id, question, choice)
			SELECT $1, b.id, 'single' || q, 'o' || ((b.g * 7 + q) % 5) FROM bench_ids b, generate_series(1, 10) q`,
		`INSERT INTO survey_answers (survey_id, response_id, question, choice)
			SELECT $1, b.id, 'multi' || q, 'o' || ((b.g + q + k) % 5) FROM bench_ids b, generate_series(1, 5) q, generate_series(0, 1) k`,
		`INSERT INTO survey_answers (survey_id, response_id, question)
			SELECT $1, b.id, 'multi' || q FROM bench_ids b, generate_series(1, 5) q`,
		`INSERT INTO survey_answers (survey_id, response_id, question)
			SELECT $1, b.id, 'matrix' || q FROM bench_ids b, generate_series(1, 3) q`,
		`INSERT INTO survey_answers (survey_id, response_id, question, num)
			SELECT $1, b.id, 'scale' || q, 1 + (b.g * 3 + q) % 5 FROM bench_ids b, generate_series(1, 5) q`,
		`INSERT INTO survey_answers (survey_id, response_id, question, choice, num)
			SELECT $1, b.id, 'matrix' || q, 'it' || j, 1 + (b.g + q + j) % 5 FROM bench_ids b, generate_series(1, 3) q, generate_series(1, 3) j`,
		`INSERT INTO survey_answers (survey_id, response_id, question, choice, num)
			SELECT $1, b.id, 'rank' || q, 'o' || ((b.g + k) % 4), k + 1 FROM bench_ids b, generate_series(1, 2) q, generate_series(0, 3) k`,
		`INSERT INTO survey_answers (survey_id, response_id, question, num)
			SELECT $1, b.id, 'number' || q, b.g % 1000 FROM bench_ids b, generate_series(1, 2) q`,
		`INSERT INTO survey_answers (survey_id, response_id, question, answer_text)
			SELECT $1, b.id, 'text' || q, 'Text ' || (b.g % 100) FROM bench_ids b, generate_series(1, 2) q`,
		`INSERT INTO survey_answers (survey_id, response_id, question, answer_text)
			SELECT $1, b.id, 'date1', '2020-01-01' FROM bench_ids b`,
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(),
		`CREATE TEMP TABLE bench_ids AS SELECT g, gen_random_uuid() AS id FROM generate_series(1, $1::int) g`, n); err != nil {
		b.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(context.Background(), s, surveyID); err != nil {
			b.Fatalf("generate: %v\n%s", err, s)
		}
	}
	if _, err := conn.ExecContext(context.Background(), `VACUUM ANALYZE survey_responses, survey_answers`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSurvey measures, for a survey of 30 questions, response
// submission through the server and the staff's live results (aggregated in
// SQL, served as JSON) over 50,000 responses. See docs/benchmarks.md.
func BenchmarkSurvey(b *testing.B) {
	env := newEnv(b)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) {
		c.RateLimitAPI, c.RateLimitStatements, c.RateLimitStatementsProc = 1<<30, 1<<30, 1<<30
	})
	editor := srv.client(b)
	editor.login("freiberg-editor@demo.example")
	path := surveyProcedure(b, editor, benchQuestionnaire())
	id := path[len("/api/v1/procedures/"):]
	clock.Set("2026-10-10 10:00:00")

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Run("submit-30-questions", func(b *testing.B) {
		measureOps(b, func(i int64) error {
			raw, _ := json.Marshal(benchAnswer(i))
			res, err := client.Post(srv.URL+path+"/survey/responses", "application/json", bytes.NewReader(raw))
			if err != nil {
				return err
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != 201 {
				return fmt.Errorf("status %d: %s", res.StatusCode, body)
			}
			return nil
		}, 0, "responses")
	})

	db, err := sql.Open("pgx", env.cfg.DatabaseURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var have int
	_ = db.QueryRow(`SELECT count(*) FROM survey_responses WHERE survey_id = $1 AND status = 'submitted'`, id).Scan(&have)
	generateResponses(b, db, id, 50_000-have)

	results := func(b *testing.B, query string) {
		for b.Loop() {
			res := editor.do("GET", path+"/survey/results"+query, nil)
			if res.Status != 200 {
				b.Fatalf("results: %d %s", res.Status, res.Body)
			}
			var body struct{ Responses int }
			_ = json.Unmarshal(res.Body, &body)
			if query == "" && body.Responses != 50_000 {
				b.Fatalf("responses: %d", body.Responses)
			}
		}
	}
	b.Run("results-50k", func(b *testing.B) { results(b, "") })
	b.Run("results-50k-filtered", func(b *testing.B) { results(b, "?filter=single1:o2") })

	// Published results, as citizens read them: computed once, then shared
	// by every reader for survey.PublicResultsTTL.
	if res := editor.do("PUT", path+"/survey/results/publication", map[string]any{"published": true}); res.Status != 200 {
		b.Fatalf("publish: %d %s", res.Status, res.Body)
	}
	public := srv.client(b)
	for name, query := range map[string]string{"public-results-50k": "", "public-results-50k-filtered": "?filter=single1:o2"} {
		b.Run(name, func(b *testing.B) {
			public.do("GET", path+"/survey/results"+query, nil) // computes and caches them
			for b.Loop() {
				if res := public.do("GET", path+"/survey/results"+query, nil); res.Status != 200 {
					b.Fatalf("public results: %d %s", res.Status, res.Body)
				}
			}
		})
	}

	// Downloads of the raw responses and the aggregates, measured like the
	// assessment table's (BenchmarkExport).
	staff := &http.Client{Jar: editor.http.Jar}
	for _, f := range []string{"responses.csv", "responses.xlsx", "results.csv", "results.xlsx"} {
		b.Run("export-50k-"+f, func(b *testing.B) { benchDownload(b, staff, srv.URL+path+"/survey/"+f) })
	}
}
