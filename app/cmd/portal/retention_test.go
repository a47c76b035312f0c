package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	appretention "beteiligungsportal/app/retention"
	"beteiligungsportal/infra/postgres"
)

// TestRetentionDeletesExpiredDraftsAndMail runs the retention job against the
// database of a served instance: drafts of an ended survey go once the grace
// period is over, drafts not saved for 90 days go, fresh drafts and every
// submitted response stay; old sent and failed mail goes, queued mail stays.
func TestRetentionDeletesExpiredDraftsAndMail(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	ended := surveyProcedure(t, editor, surveyQuestionnaire()) // answered in October 2026
	running := surveyUntil(t, editor, "2027-12-31")

	draft := func(path, token string) string {
		t.Helper()
		body := map[string]any{"answers": map[string]any{"q_mode": "bus"}}
		if token != "" {
			body["resume_token"] = token
		}
		res := mustStatus(t, srv.client(t).do("POST", path+"/survey/drafts", body), 200, "draft")
		return res.JSON()["resume_token"].(string)
	}
	submit := func(path string) {
		t.Helper()
		mustStatus(t, srv.client(t).do("POST", path+"/survey/responses", answer(nil)), 201, "submit")
	}
	clock.Set("2026-10-02 10:00:00")
	endedEarly, idle, resaved := draft(ended, ""), draft(running, ""), draft(running, "")
	submit(ended)
	submit(running)
	clock.Set("2026-10-31 23:00:00")
	endedLate := draft(ended, "")
	clock.Set("2026-12-20 10:00:00")
	fresh := draft(running, "")
	draft(running, resaved) // saved again: counts from now

	db, err := postgres.Open(env.cfg.DatabaseURL, postgres.PoolConfig{MaxOpen: 4, MaxIdle: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	// Mail as the outbox leaves it: queued for a retry (since long ago, due
	// only later, so the test's mail worker leaves it), sent and failed.
	mails := map[string]string{
		"queued":      `'queued', '2026-09-01', '2099-01-01', NULL, NULL`,
		"sent-old":    `'sent', '2026-11-25', '2026-11-25', '2026-12-01', NULL`,
		"sent-recent": `'sent', '2027-01-01', '2027-01-01', '2027-01-01', NULL`,
		"failed-old":  `'failed', '2026-11-30', '2026-11-30', NULL, '2026-12-01'`,
	}
	for ref, values := range mails {
		if _, err := db.NewRaw(`INSERT INTO mail_outbox (id, recipient, subject, body, ref, status, created_at, next_attempt_at, sent_at, failed_at)
			VALUES (gen_random_uuid(), 'person@example.org', 'Betreff', 'Text', ?, `+values+`)`, ref).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}

	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	job := func() *appretention.Service {
		return newRetention(env.cfg, db, quiet, clock.Now)
	}
	// Within the grace period after the survey's end, and before 90 days
	// without a save: nothing goes.
	clock.Set("2026-11-05 12:00:00")
	if rep, err := job().RunOnce(ctx); err != nil || rep.EndedSurveyDrafts+rep.IdleDrafts != 0 {
		t.Fatalf("within the periods: got %+v, %v; want no draft deleted", rep, err)
	}
	if got := outboxRefs(t, db); got != "failed-old queued sent-old sent-recent" {
		t.Fatalf("mail within 30 days: got %q", got)
	}

	// Later, two instances at once: one runs the job, the other skips it
	// (or finds nothing left when it starts after the first finished).
	clock.Set("2027-01-10 12:00:00")
	var wg sync.WaitGroup
	reps := make([]appretention.Report, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { reps[i], errs[i] = job().RunOnce(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if reps[0].Skipped && reps[1].Skipped {
		t.Error("both instances skipped the job")
	}
	if n := reps[0].EndedSurveyDrafts + reps[1].EndedSurveyDrafts; n != 2 {
		t.Errorf("drafts of the ended survey: got %d deleted, want 2", n)
	}
	if n := reps[0].IdleDrafts + reps[1].IdleDrafts; n != 1 {
		t.Errorf("idle drafts: got %d deleted, want 1", n)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{endedEarly, 404}, {endedLate, 404}, {idle, 404}, {resaved, 200}, {fresh, 200}} {
		path := ended
		if tc.token != endedEarly && tc.token != endedLate {
			path = running
		}
		res := srv.client(t).do("POST", path+"/survey/drafts/resume", map[string]any{"resume_token": tc.token})
		if res.Status != tc.want {
			t.Errorf("resume draft %s…: got %d, want %d", tc.token[:6], res.Status, tc.want)
		}
	}
	for _, path := range []string{ended, running} {
		var n int
		if err := db.NewRaw(`SELECT count(*) FROM survey_responses WHERE survey_id = ? AND status = 'submitted'`,
			strings.TrimPrefix(path, "/api/v1/procedures/")).Scan(ctx, &n); err != nil || n != 1 {
			t.Errorf("submitted responses of %s: got %d, %v; want 1 kept", path, n, err)
		}
	}
	if got := outboxRefs(t, db); got != "queued sent-recent" {
		t.Errorf("mail after 30 days: got %q, want queued sent-recent", got)
	}

	// The audit trail has a summary without an actor, at instance level.
	var details []string
	if err := db.NewRaw(`SELECT details::text FROM audit_log WHERE action = 'retention.delete' AND actor_id IS NULL
		AND organisation_id IS NULL`).Scan(ctx, &details); err != nil {
		t.Fatal(err)
	}
	sum := map[string]int{}
	for _, d := range details {
		var counts map[string]int
		if err := json.Unmarshal([]byte(d), &counts); err != nil {
			t.Fatalf("audit details %s: %v", d, err)
		}
		for k, v := range counts {
			sum[k] += v
		}
	}
	if len(details) != 1 {
		t.Errorf("audit summaries of the concurrent runs: got %d, want 1 (one instance ran the job)", len(details))
	}
	if sum["survey_drafts_ended"] != 2 || sum["survey_drafts_idle"] != 1 || sum["mails"] < 2 {
		t.Errorf("audit entries: got %v", details)
	}
}

// surveyUntil creates and publishes a Freiberg survey open from 1 October
// 2026 to the end date, and returns its path.
func surveyUntil(t *testing.T, editor *client, end string) string {
	t.Helper()
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "survey", "subtype": "umfrage", "title": "Umfrage Stadtgrün Freiberg", "summary": "Wo fehlen Bäume?",
	}), 201, "create")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, editor.do("PUT", path+"/survey", surveyQuestionnaire()), 200, "save questionnaire")
	mustStatus(t, editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2026-10-01", "end": end}), 201, "phase")
	mustStatus(t, editor.do("POST", path+"/publish", nil), 200, "publish")
	return path
}

// outboxRefs lists the refs of this test's mails left in the outbox.
func outboxRefs(t *testing.T, db *bun.DB) string {
	t.Helper()
	var refs []string
	if err := db.NewRaw(`SELECT ref FROM mail_outbox WHERE recipient = 'person@example.org' ORDER BY ref`).
		Scan(context.Background(), &refs); err != nil {
		t.Fatal(err)
	}
	return strings.Join(refs, " ")
}
