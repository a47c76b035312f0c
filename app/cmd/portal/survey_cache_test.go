package main

import (
	"encoding/json"
	"testing"
)

// Published results are shared by every reader for a while (they are the
// same for all, and computing them scans every answer); a withdrawal of the
// publication counts at once, and staff always see live numbers.
func TestPublishedSurveyResultsAreSharedForAWhile(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-10-05 09:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := surveyProcedure(t, editor, surveyQuestionnaire())
	respond := func() {
		t.Helper()
		mustStatus(t, srv.client(t).do("POST", path+"/survey/responses", answer(nil)), 201, "respond")
	}
	count := func(c *client) int {
		t.Helper()
		var body struct{ Responses *int }
		_ = json.Unmarshal(mustStatus(t, c.do("GET", path+"/survey/results", nil), 200, "results").Body, &body)
		if body.Responses == nil {
			t.Fatal("no response count")
		}
		return *body.Responses
	}
	for range 6 {
		respond()
	}
	mustStatus(t, editor.do("PUT", path+"/survey/results/publication", map[string]any{"published": true}), 200, "publish")
	reader := srv.client(t)
	if n := count(reader); n != 6 {
		t.Fatalf("published: %d responses, want 6", n)
	}

	respond()
	if n := count(srv.client(t)); n != 6 {
		t.Fatalf("within the cache's time another reader gets %d, want the shared 6", n)
	}
	if n := count(editor); n != 7 {
		t.Fatalf("staff see %d, want the live 7", n)
	}
	clock.Set("2026-10-05 09:00:31")
	if n := count(reader); n != 7 {
		t.Fatalf("after 31 s: %d responses, want 7", n)
	}

	// Taken back: gone at once, though cached a moment ago.
	mustStatus(t, editor.do("PUT", path+"/survey/results/publication", map[string]any{"published": false}), 200, "withdraw")
	wantProblem(t, reader.do("GET", path+"/survey/results", nil), 404, "not_found")
	// Published anew: computed anew, not the old publication's numbers.
	respond()
	mustStatus(t, editor.do("PUT", path+"/survey/results/publication", map[string]any{"published": true}), 200, "publish again")
	if n := count(reader); n != 8 {
		t.Fatalf("published anew: %d responses, want 8", n)
	}
}
