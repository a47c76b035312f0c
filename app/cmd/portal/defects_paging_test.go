package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"beteiligungsportal/domain/procedure"
)

// pagedDefect is what the paging tests read of a listed report.
type pagedDefect struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	CategoryID  string    `json:"category_id"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	Internal    *struct {
		Description string `json:"description"`
	} `json:"internal"`
}

// defectPages follows next_cursor from path (which has its query, limit
// included) to the last page and returns the reports in the order served;
// with a cursor, it starts at that cursor's page. It fails when a page is
// larger than limit, when a page but the last is short, or when the pages do
// not end.
func defectPages(t *testing.T, c *client, path string, limit int, cursor ...string) []pagedDefect {
	t.Helper()
	var all []pagedDefect
	next := ""
	if len(cursor) > 0 {
		next = cursor[0]
	}
	for page := 1; ; page++ {
		if page > 100 {
			t.Fatalf("%s: the pages do not end", path)
		}
		p := path
		if next != "" {
			p += "&cursor=" + url.QueryEscape(next)
		}
		res := mustStatus(t, c.do("GET", p, nil), 200, fmt.Sprintf("%s, page %d", path, page))
		var body struct {
			Items    []pagedDefect `json:"items"`
			Features []struct {
				ID         string `json:"id"`
				Properties struct {
					Status      string    `json:"status"`
					CategoryID  string    `json:"category_id"`
					Description *string   `json:"description"`
					CreatedAt   time.Time `json:"created_at"`
				} `json:"properties"`
			} `json:"features"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(res.Body, &body); err != nil {
			t.Fatalf("%s, page %d: %v: %s", path, page, err, res.Body)
		}
		items := body.Items
		for _, f := range body.Features {
			items = append(items, pagedDefect{ID: f.ID, Status: f.Properties.Status, CategoryID: f.Properties.CategoryID,
				Description: f.Properties.Description, CreatedAt: f.Properties.CreatedAt})
		}
		if len(items) > limit || (body.NextCursor != "" && len(items) != limit) {
			t.Fatalf("%s, page %d: %d reports (limit %d), next_cursor %q", path, page, len(items), limit, body.NextCursor)
		}
		all = append(all, items...)
		if body.NextCursor == "" {
			return all
		}
		next = body.NextCursor
	}
}

func defectIDs(list []pagedDefect) []string {
	ids := make([]string, len(list))
	for i, d := range list {
		ids[i] = d.ID
	}
	return ids
}

// wantNewestFirst checks that list is in the lists' order: created_at
// descending, then the report number descending, each report once.
func wantNewestFirst(t *testing.T, name string, list []pagedDefect) {
	t.Helper()
	seen := map[string]bool{}
	for i, d := range list {
		if seen[d.ID] {
			t.Errorf("%s: report %s served twice", name, d.ID)
		}
		seen[d.ID] = true
		if i == 0 {
			continue
		}
		prev := list[i-1]
		a, _ := strconv.Atoi(prev.ID)
		b, _ := strconv.Atoi(d.ID)
		if d.CreatedAt.After(prev.CreatedAt) || (d.CreatedAt.Equal(prev.CreatedAt) && b > a) {
			t.Errorf("%s: %s (%s) follows %s (%s)", name, d.ID, d.CreatedAt, prev.ID, prev.CreatedAt)
		}
	}
}

// The defect lists hand out every report exactly once, newest first, a page
// at a time: the public procedure list and its map layer, the staff lists
// of the organisation running the procedure and of the one a report was
// forwarded to, each with and without filters, while reports arrive.
func TestDefectListsPageThroughEveryReport(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-11-23 08:00:00")
	env.clock = clock.Now
	srv := env.start()
	anon, editor, fb := srv.client(t), srv.client(t), srv.client(t)
	editor.login("doebeln-editor@demo.example")
	fb.login("freiberg-editor@demo.example")
	dp := defectProcedure(t, editor)
	lamp := defectCategory(t, editor, dp, "paging-lampe", "Straßenlampe")
	hole := defectCategory(t, editor, dp, "paging-loch", "Schlagloch")
	freiberg := fb.orgID("Freiberg")
	doebeln := "/api/v1/organisations/" + editor.orgID("Döbeln") + "/defects"

	// Ten reports; 3, 4 and 5 arrive in the same instant, so the number
	// decides between them and a page boundary falls among them.
	elsewhere := map[string]any{"type": "Point", "coordinates": []float64{13.1150, 51.1150}}
	type sent struct {
		id, category string
		west         bool // outside the box around inDoebeln
		at           time.Time
	}
	var reports []sent
	at := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	for i := range 10 {
		if i != 4 && i != 5 {
			at = at.Add(time.Minute)
		}
		clock.Set(at.In(procedure.Berlin).Format("2006-01-02 15:04:05"))
		cat := lamp
		if i%3 == 0 {
			cat = hole
		}
		body := streetLight(cat, fmt.Sprintf("Meldung %d zum Blättern: die Lampe ist dunkel.", i))
		if i%4 == 1 {
			body["location"] = elsewhere
		}
		d := decodeDefect(t, mustStatus(t, anon.do("POST", dp+"/defects", body), 201, fmt.Sprintf("report %d", i)))
		reports = append(reports, sent{id: d.ID, category: cat, west: i%4 == 1, at: at})
	}
	// Two reports to a second Mängelmelder of Döbeln, one in the instant of
	// 3, 4 and 5: only Döbeln's staff list holds them with the others.
	dp2 := defectProcedure(t, editor)
	waste := defectCategory(t, editor, dp2, "paging-muell", "Wilder Müll")
	var second []string
	for _, wall := range []string{"2026-11-23 08:04:00", "2026-11-23 08:30:00"} {
		clock.Set(wall)
		d := decodeDefect(t, mustStatus(t, anon.do("POST", dp2+"/defects",
			streetLight(waste, "Sperrmüll am Straßenrand, seit Tagen.")), 201, "report elsewhere"))
		second = append(second, d.ID)
	}
	// The agency works on some: 1 and 4 moderated, 2 forwarded to Freiberg,
	// 3 rejected (closed), 5 acknowledged.
	clock.Set("2026-11-23 09:00:00")
	for _, i := range []int{1, 4} {
		mustStatus(t, editor.do("POST", "/api/v1/defects/"+reports[i].id+"/moderation",
			map[string]any{"text_hidden_reason": "Kfz-Kennzeichen im Text"}), 200, "moderate")
	}
	mustStatus(t, editor.do("POST", "/api/v1/defects/"+reports[2].id+"/status", map[string]any{"status": "forwarded",
		"forward_to": freiberg, "public_comment": "Weitergeleitet an die Stadt Freiberg."}), 200, "forward")
	mustStatus(t, editor.do("POST", "/api/v1/defects/"+reports[3].id+"/status", map[string]any{"status": "rejected",
		"public_comment": "Kein Mangel im Sinne des Mängelmelders."}), 200, "reject")
	mustStatus(t, editor.do("POST", "/api/v1/defects/"+reports[5].id+"/status", map[string]any{"status": "acknowledged"}), 200, "acknowledge")
	closed := map[string]bool{reports[3].id: true}
	hidden := map[string]bool{reports[1].id: true, reports[4].id: true}

	// Newest first is the order of sending, reversed.
	var newest []string
	for i := len(reports) - 1; i >= 0; i-- {
		newest = append(newest, reports[i].id)
	}
	want := func(keep func(sent) bool) []string {
		var ids []string
		for i := len(reports) - 1; i >= 0; i-- {
			if keep(reports[i]) {
				ids = append(ids, reports[i].id)
			}
		}
		return ids
	}

	t.Run("public list and map", func(t *testing.T) {
		for _, limit := range []int{1, 3, 10, 100} {
			for _, path := range []string{dp + "/defects", dp + "/defects.geojson"} {
				got := defectPages(t, anon, fmt.Sprintf("%s?limit=%d", path, limit), limit)
				if ids := defectIDs(got); !slices.Equal(ids, newest) {
					t.Errorf("%s by %d: got %v, want %v", path, limit, ids, newest)
				}
				wantNewestFirst(t, path, got)
				for _, d := range got {
					if hidden[d.ID] != (d.Description == nil) || d.Internal != nil {
						t.Errorf("%s: report %s shows a hidden text or internals to the public: %+v", path, d.ID, d)
					}
				}
			}
		}
	})

	t.Run("public list with filters", func(t *testing.T) {
		box := "13.12,51.12,13.13,51.13" // around inDoebeln, not elsewhere
		for _, tc := range []struct {
			query string
			keep  func(sent) bool
		}{
			{"status=open", func(r sent) bool { return !closed[r.id] }},
			{"status=closed", func(r sent) bool { return closed[r.id] }},
			{"category=" + lamp, func(r sent) bool { return r.category == lamp }},
			{"bbox=" + box, func(r sent) bool { return !r.west }},
			{"status=open&category=" + lamp + "&bbox=" + box, func(r sent) bool { return !closed[r.id] && r.category == lamp && !r.west }},
			{"from=" + url.QueryEscape("2026-11-23T07:04:00Z") + "&to=" + url.QueryEscape("2026-11-23T07:07:00Z"),
				func(r sent) bool { return r.at.Minute() >= 4 && r.at.Minute() <= 7 }},
		} {
			wantIDs := want(tc.keep)
			if len(wantIDs) < 3 && tc.query != "status=closed" {
				t.Fatalf("%s: only %d reports match; the test wants more than a page", tc.query, len(wantIDs))
			}
			for _, path := range []string{dp + "/defects", dp + "/defects.geojson"} {
				got := defectPages(t, anon, path+"?limit=2&"+tc.query, 2)
				if ids := defectIDs(got); !slices.Equal(ids, wantIDs) {
					t.Errorf("%s?%s: got %v, want %v", path, tc.query, ids, wantIDs)
				}
			}
		}
	})

	t.Run("staff lists", func(t *testing.T) {
		// Döbeln's staff see every report of its procedures whole, the second
		// Mängelmelder's too; one page of everything is the truth the pages
		// must add up to.
		whole := defectPages(t, editor, doebeln+"?limit=100", 100)
		if ids := defectIDs(whole); len(ids) != len(reports)+2 || !slices.Contains(ids, second[0]) || !slices.Contains(ids, second[1]) {
			t.Fatalf("Döbeln lists %v, want the %d reports of both procedures", ids, len(reports)+2)
		}
		// The later one is the newest; the other shares its instant with 3, 4
		// and 5 and, sent after them, has the highest number of the four.
		order := append([]string{second[1]}, newest[:4]...)
		order = append(append(order, second[0]), newest[4:]...)
		if ids := defectIDs(whole); !slices.Equal(ids, order) {
			t.Errorf("Döbeln lists %v, want %v", ids, order)
		}
		for _, limit := range []int{1, 3, 5} {
			got := defectPages(t, editor, fmt.Sprintf("%s?limit=%d", doebeln, limit), limit)
			if ids, wantIDs := defectIDs(got), defectIDs(whole); !slices.Equal(ids, wantIDs) {
				t.Errorf("Döbeln by %d: got %v, want %v", limit, ids, wantIDs)
			}
		}
		wantNewestFirst(t, "Döbeln", whole)
		var mine []string
		for _, d := range whole {
			if slices.Contains(newest, d.ID) {
				mine = append(mine, d.ID)
			}
			if d.Internal == nil || d.Description == nil || (hidden[d.ID] && *d.Description == "") {
				t.Errorf("Döbeln's staff do not see report %s whole: %+v", d.ID, d)
			}
		}
		if !slices.Equal(mine, newest) {
			t.Errorf("Döbeln lists the procedure's reports as %v, want %v", mine, newest)
		}
		open := defectPages(t, editor, doebeln+"?limit=3&status=open&category="+lamp, 3)
		if ids, wantIDs := defectIDs(open), want(func(r sent) bool { return !closed[r.id] && r.category == lamp }); !slices.Equal(ids, wantIDs) {
			t.Errorf("Döbeln's open lamps: got %v, want %v", ids, wantIDs)
		}
		// Freiberg sees only the report forwarded to it.
		got := defectPages(t, fb, "/api/v1/organisations/"+freiberg+"/defects?limit=1", 1)
		if ids := defectIDs(got); !slices.Equal(ids, []string{reports[2].id}) || got[0].Internal == nil {
			t.Errorf("Freiberg lists %v, want only %s, whole", ids, reports[2].id)
		}
	})

	t.Run("reports arriving between pages", func(t *testing.T) {
		res := mustStatus(t, anon.do("GET", dp+"/defects?limit=3", nil), 200, "first page")
		cursor, _ := res.JSON()["next_cursor"].(string)
		clock.Set("2026-11-23 10:00:00")
		late := decodeDefect(t, mustStatus(t, anon.do("POST", dp+"/defects",
			streetLight(lamp, "Eine späte Meldung: die Lampe flackert.")), 201, "late report"))
		rest := defectPages(t, anon, dp+"/defects?limit=3", 3, cursor)
		if ids := defectIDs(rest); !slices.Equal(ids, newest[3:]) {
			t.Errorf("after a new report the pages go on with %v, want %v", ids, newest[3:])
		}
		again := defectPages(t, anon, dp+"/defects?limit=4", 4)
		if ids := defectIDs(again); !slices.Equal(ids, append([]string{late.ID}, newest...)) {
			t.Errorf("a new walk: got %v, want the late report first, then %v", ids, newest)
		}
	})

	t.Run("cursors are bound to their list", func(t *testing.T) {
		next := func(c *client, path string) string {
			t.Helper()
			cur, _ := mustStatus(t, c.do("GET", path, nil), 200, path).JSON()["next_cursor"].(string)
			if cur == "" {
				t.Fatalf("%s: no next_cursor", path)
			}
			return cur
		}
		public, staff := next(anon, dp+"/defects?limit=1"), next(editor, doebeln+"?limit=1")
		catalogue := next(anon, "/api/v1/procedures?limit=1")
		for _, tc := range []struct {
			name, path string
			c          *client
		}{
			{"a procedure's cursor on an organisation's list", doebeln + "?cursor=" + url.QueryEscape(public), editor},
			{"an organisation's cursor on a procedure's list", dp + "/defects?cursor=" + url.QueryEscape(staff), anon},
			{"a procedure's cursor on another procedure's list", dp2 + "/defects?cursor=" + url.QueryEscape(public), anon},
			{"a catalogue cursor", dp + "/defects?cursor=" + url.QueryEscape(catalogue), anon},
			{"a garbled cursor", dp + "/defects.geojson?cursor=" + url.QueryEscape(public[:len(public)-4]), anon},
		} {
			p := wantProblem(t, tc.c.do("GET", tc.path, nil), 422, "validation")
			if d, _ := p["detail"].(string); !strings.Contains(d, "Blätter-Cursor") {
				t.Errorf("%s: detail %q", tc.name, d)
			}
		}
		// The map layer and the list of one procedure share their order, so
		// they accept each other's cursors.
		mustStatus(t, anon.do("GET", dp+"/defects.geojson?cursor="+url.QueryEscape(public), nil), 200, "list cursor on the map")
	})
}
