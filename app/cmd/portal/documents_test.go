package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"beteiligungsportal/infra/storage"
	"beteiligungsportal/infra/testenv"
)

type documentBody struct {
	ID           string  `json:"id"`
	Kind         string  `json:"kind"`
	Title        string  `json:"title"`
	FileName     string  `json:"file_name"`
	ContentType  string  `json:"content_type"`
	Size         int64   `json:"size"`
	SHA256       string  `json:"sha256"`
	Position     int     `json:"position"`
	Current      bool    `json:"current"`
	Replaces     *string `json:"replaces"`
	SupersededBy *string `json:"superseded_by"`
	URL          string  `json:"url"`
}

func decodeDocument(t *testing.T, res response) documentBody {
	t.Helper()
	var d documentBody
	if err := json.Unmarshal(res.Body, &d); err != nil {
		t.Fatalf("decode %s: %v", res.Body, err)
	}
	return d
}

func documentList(t *testing.T, c *client, procPath string) []documentBody {
	t.Helper()
	res := mustStatus(t, c.do("GET", procPath+"/documents", nil), 200, "list documents")
	var body struct{ Items []documentBody }
	if err := json.Unmarshal(res.Body, &body); err != nil {
		t.Fatal(err)
	}
	return body.Items
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// newDraftPlan creates a Freiberg land-use plan draft with one public phase
// from startDay to endDay (Berlin dates) and returns its API path.
func newDraftPlan(t *testing.T, editor *client, start, end string) string {
	t.Helper()
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/procedures", map[string]any{
		"type": "land_use_plan", "subtype": "bebauungsplan", "title": "Bebauungsplan Nr. 7 „Am Bahnhof“",
		"summary": "Neuordnung des Bahnhofsumfelds.",
	}), 201, "create")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, editor.do("POST", path+"/phases", map[string]any{"kind": "early_public", "audience": "public",
		"start": start, "end": end}), 201, "phase")
	return path
}

// Documents from upload to download: types are told by content, limits hold,
// order and versions are kept, downloads are cacheable and resumable, and
// only the owning organisation's editors change anything.
func TestDocumentsThroughTheAPI(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-06-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.DocumentMaxSize = 256 << 10; c.DocumentsMax = 800 << 10 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := newDraftPlan(t, editor, "2026-06-15", "2026-06-30")

	plan := samplePDF("Planzeichnung")
	res := mustStatus(t, editor.upload(path+"/documents", `C:\Users\amt\Planzeichnung Entwurf.pdf`, plan, "title", "Planzeichnung"), 201, "upload pdf")
	pdf := decodeDocument(t, res)
	if pdf.ContentType != "application/pdf" || pdf.SHA256 != sha(plan) || pdf.Size != int64(len(plan)) ||
		pdf.FileName != "Planzeichnung Entwurf.pdf" || pdf.Kind != "material" || pdf.Position != 1 || !pdf.Current {
		t.Fatalf("uploaded pdf: %s", res.Body)
	}
	if res.Header.Get("Location") != pdf.URL {
		t.Fatalf("location %q, url %q", res.Header.Get("Location"), pdf.URL)
	}
	// The type comes from the content: a Word file named .pdf is a Word file.
	docx := decodeDocument(t, mustStatus(t, editor.upload(path+"/documents", "begruendung.pdf", sampleDOCX(t)), 201, "upload docx"))
	if docx.ContentType != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" || docx.Title != "begruendung.pdf" || docx.Position != 2 {
		t.Fatalf("docx: %+v", docx)
	}
	png := decodeDocument(t, mustStatus(t, editor.upload(path+"/documents", "lageplan.png", samplePNG, "title", "Lageplan"), 201, "upload png"))

	// Refused uploads change nothing.
	for _, tc := range []struct {
		name, file string
		content    []byte
		fields     []string
		status     int
		slug, code string
	}{
		{"html disguised as pdf", "plan.pdf", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), nil, 422, "validation", "document.type_not_allowed"},
		{"executable", "setup.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 200)...), nil, 422, "validation", "document.type_not_allowed"},
		{"empty", "leer.pdf", nil, nil, 422, "validation", "document.empty"},
		{"too large", "gross.pdf", append(samplePDF("x"), make([]byte, 256<<10)...), nil, 422, "validation", "document.too_large"},
		{"unknown kind", "plan.pdf", plan, []string{"kind", "anything"}, 422, "validation", ""},
		{"result before evaluation", "ergebnis.pdf", plan, []string{"kind", "result"}, 409, "conflict", "document.result_too_early"},
		{"no file", "", nil, nil, 422, "validation", ""},
	} {
		res := editor.upload(path+"/documents", tc.file, tc.content, tc.fields...)
		p := wantProblem(t, res, tc.status, tc.slug)
		if tc.code != "" && !strings.Contains(string(res.Body), tc.code) && p["detail"] == "" {
			t.Errorf("%s: %s", tc.name, res.Body)
		}
		if tc.code == "document.type_not_allowed" && !strings.Contains(str(p["errors"])+str(p["detail"]), "Dateityp") {
			t.Errorf("%s: detail should explain the type rule: %s", tc.name, res.Body)
		}
	}
	wantProblem(t, editor.do("POST", path+"/documents", map[string]string{"file": "x"}), 415, "unsupported_media_type")
	if n := len(documentList(t, editor, path)); n != 3 {
		t.Fatalf("refused uploads left documents: %d", n)
	}

	// Authorisation: the public and other municipalities do not see a draft's
	// documents; a viewer reads but does not change; Grimma cannot upload.
	anon := srv.client(t)
	wantProblem(t, anon.do("GET", path+"/documents", nil), 404, "not_found")
	wantProblem(t, anon.do("GET", path+"/documents/"+pdf.ID+"/file", nil), 404, "not_found")
	wantProblem(t, anon.upload(path+"/documents", "plan.pdf", plan), 401, "unauthenticated")
	grimma := srv.client(t)
	grimma.login("grimma-admin@demo.example")
	wantProblem(t, grimma.do("GET", path+"/documents/"+pdf.ID+"/file", nil), 404, "not_found")
	wantProblem(t, grimma.upload(path+"/documents", "plan.pdf", plan), 404, "not_found")
	viewer := srv.client(t)
	viewer.login("freiberg-viewer@demo.example")
	if res := viewer.do("GET", path+"/documents/"+pdf.ID+"/file", nil); res.Status != 200 || !bytes.Equal(res.Body, plan) ||
		res.Header.Get("Cache-Control") == "public, max-age=31536000, immutable" {
		t.Fatalf("viewer downloads the draft's document privately: %d %v", res.Status, res.Header)
	}
	wantProblem(t, viewer.upload(path+"/documents", "plan.pdf", plan), 403, "forbidden")
	wantProblem(t, viewer.do("DELETE", path+"/documents/"+png.ID, nil), 403, "forbidden")

	// Order: the editor puts the picture first.
	res = mustStatus(t, editor.do("PUT", path+"/documents/order", map[string]any{"kind": "material",
		"order": []string{png.ID, pdf.ID, docx.ID}}), 200, "reorder")
	var ordered struct{ Items []documentBody }
	_ = json.Unmarshal(res.Body, &ordered)
	if ordered.Items[0].ID != png.ID || ordered.Items[0].Position != 1 || ordered.Items[2].ID != docx.ID || ordered.Items[2].Position != 3 {
		t.Fatalf("order: %s", res.Body)
	}
	wantProblem(t, editor.do("PUT", path+"/documents/order", map[string]any{"kind": "material", "order": []string{png.ID, pdf.ID}}), 422, "validation")
	wantProblem(t, editor.do("PUT", path+"/documents/order", map[string]any{"kind": "material",
		"order": []string{png.ID, pdf.ID, docx.ID, docx.ID}}), 422, "validation")

	// A draft's document can be deleted (and its bytes go with it).
	mustStatus(t, editor.do("DELETE", path+"/documents/"+docx.ID, nil), 204, "delete draft document")
	wantProblem(t, editor.do("GET", path+"/documents/"+docx.ID+"/file", nil), 404, "not_found")

	mustStatus(t, editor.do("POST", path+"/publish", nil), 200, "publish")

	// Public download with type, name, ETag, caching and ranges.
	file := pdf.URL
	res = mustStatus(t, anon.do("GET", file, nil), 200, "download")
	if !bytes.Equal(res.Body, plan) || res.Header.Get("Content-Type") != "application/pdf" ||
		res.Header.Get("ETag") != `"`+sha(plan)+`"` || res.Header.Get("Accept-Ranges") != "bytes" ||
		res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		res.Header.Get("Content-Disposition") != `inline; filename="Planzeichnung Entwurf.pdf"; filename*=UTF-8''Planzeichnung%20Entwurf.pdf` {
		t.Fatalf("download headers: %v", res.Header)
	}
	if res := anon.do("GET", file, nil, "If-None-Match", `"`+sha(plan)+`"`); res.Status != 304 || len(res.Body) != 0 {
		t.Fatalf("If-None-Match: %d", res.Status)
	}
	size := len(plan)
	for _, tc := range []struct {
		rng, ifRange string
		status       int
		from, to     int // expected body plan[from:to]
		contentRange string
	}{
		{"bytes=0-9", "", 206, 0, 10, fmt.Sprintf("bytes 0-9/%d", size)},
		{"bytes=10-", "", 206, 10, size, fmt.Sprintf("bytes 10-%d/%d", size-1, size)},
		{"bytes=-5", "", 206, size - 5, size, fmt.Sprintf("bytes %d-%d/%d", size-5, size-1, size)},
		{"bytes=5-100000000", "", 206, 5, size, fmt.Sprintf("bytes 5-%d/%d", size-1, size)},
		{"bytes=0-9", `"stale"`, 200, 0, size, ""},
		{"bytes=0-1,5-6", "", 200, 0, size, ""},
		{"lines=1-2", "", 200, 0, size, ""},
		{fmt.Sprintf("bytes=%d-", size), "", 416, 0, 0, fmt.Sprintf("bytes */%d", size)},
	} {
		headers := []string{"Range", tc.rng}
		if tc.ifRange != "" {
			headers = append(headers, "If-Range", tc.ifRange)
		}
		res := anon.do("GET", file, nil, headers...)
		if res.Status != tc.status || res.Header.Get("Content-Range") != tc.contentRange {
			t.Errorf("Range %s: %d %q", tc.rng, res.Status, res.Header.Get("Content-Range"))
			continue
		}
		if tc.status == 416 {
			wantProblem(t, res, 416, "range_not_satisfiable")
		} else if !bytes.Equal(res.Body, plan[tc.from:tc.to]) {
			t.Errorf("Range %s: body of %d bytes, want plan[%d:%d]", tc.rng, len(res.Body), tc.from, tc.to)
		}
	}
	if res := anon.do("HEAD", file, nil); res.Status != 200 || res.Header.Get("Content-Length") != fmt.Sprint(size) || len(res.Body) != 0 {
		t.Fatalf("HEAD: %d %v", res.Status, res.Header)
	}
	// The PNG is shown inline too; its ID in another procedure's path is 404.
	if res := anon.do("GET", png.URL, nil); res.Status != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("png: %d %v", res.Status, res.Header)
	}
	other := newDraftPlan(t, editor, "2026-07-15", "2026-07-30")
	wantProblem(t, editor.do("GET", other+"/documents/"+png.ID+"/file", nil), 404, "not_found")

	// Published: documents are replaced, not deleted; the old version stays.
	wantProblem(t, editor.do("DELETE", path+"/documents/"+pdf.ID, nil), 409, "conflict")
	wantProblem(t, grimma.upload(path+"/documents", "plan.pdf", plan), 403, "forbidden")
	wantProblem(t, grimma.upload(path+"/documents/"+pdf.ID+"/versions", "plan.pdf", plan), 403, "forbidden")
	plan2 := samplePDF("Planzeichnung, 2. Fassung")
	res = mustStatus(t, editor.upload(path+"/documents/"+pdf.ID+"/versions", "planzeichnung-v2.pdf", plan2), 201, "replace")
	v2 := decodeDocument(t, res)
	if v2.Replaces == nil || *v2.Replaces != pdf.ID || v2.Title != "Planzeichnung" || v2.Position != 2 || v2.SHA256 != sha(plan2) {
		t.Fatalf("new version: %s", res.Body)
	}
	wantProblem(t, editor.upload(path+"/documents/"+pdf.ID+"/versions", "planzeichnung-v3.pdf", plan2), 409, "conflict")
	if res := anon.do("GET", file, nil); res.Status != 200 || !bytes.Equal(res.Body, plan) {
		t.Fatalf("the superseded version must stay downloadable: %d", res.Status)
	}
	detail := anon.do("GET", path, nil)
	var d struct {
		Documents []documentBody
		Counts    struct{ Documents int }
	}
	_ = json.Unmarshal(detail.Body, &d)
	if d.Counts.Documents != 2 || len(d.Documents) != 3 || d.Documents[0].ID != png.ID || d.Documents[1].ID != v2.ID ||
		d.Documents[2].ID != pdf.ID || d.Documents[2].Current || d.Documents[2].SupersededBy == nil || *d.Documents[2].SupersededBy != v2.ID {
		t.Fatalf("detail documents: %s", detail.Body)
	}

	// The procedure's total (old versions included) is bounded.
	big := append(samplePDF("Anlage"), make([]byte, 200<<10)...)
	for i := 0; ; i++ {
		res := editor.upload(path+"/documents", fmt.Sprintf("anlage-%d.pdf", i), big)
		if res.Status == 201 {
			continue
		}
		wantProblem(t, res, 409, "conflict")
		if i == 0 || i > 4 {
			t.Fatalf("limit reached after %d uploads", i)
		}
		break
	}

	// Results: after the participation, also once concluded; an archive is closed.
	clock.Set("2026-07-01 09:00:00")
	result := samplePDF("Abwägungsergebnis")
	res = mustStatus(t, editor.upload(other+"/documents", "x.pdf", plan), 201, "material of the other draft")
	mustStatus(t, editor.do("POST", other+"/publish", nil), 200, "publish other")
	wantProblem(t, editor.upload(path+"/documents/"+v2.ID+"/versions", "v3.pdf", big), 409, "conflict")
	clock.Set("2026-08-15 09:00:00")
	mustStatus(t, editor.upload(other+"/documents", "ergebnis.pdf", result, "kind", "result", "title", "Abwägungsergebnis"), 201, "result in evaluation")
	mustStatus(t, editor.do("POST", other+"/conclude", map[string]string{"result": "Beschlossen."}), 200, "conclude")
	mustStatus(t, editor.upload(other+"/documents", "beschluss.pdf", result, "kind", "result"), 201, "result when concluded")
	wantProblem(t, editor.upload(other+"/documents", "nachtrag.pdf", plan), 409, "conflict")
	mustStatus(t, editor.do("POST", other+"/archive", nil), 200, "archive")
	wantProblem(t, editor.upload(other+"/documents", "spaet.pdf", result, "kind", "result"), 409, "conflict")

	// Every change is in the audit trail.
	admin := srv.client(t)
	admin.login("freiberg-admin@demo.example")
	trail := string(admin.do("GET", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/audit?limit=100", nil).Body)
	for _, action := range []string{"document.add", "document.replace", "document.reorder", "document.delete"} {
		if !strings.Contains(trail, `"`+action+`"`) {
			t.Errorf("audit trail lacks %s", action)
		}
	}
}

// JSON routes keep the small body limit although uploads may be larger.
func TestUploadLimitDoesNotWidenOtherRoutes(t *testing.T) {
	env := newEnv(t)
	srv := env.start(func(c *config) { c.BodyLimit = 4096; c.DocumentMaxSize = 1 << 20 })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	big := map[string]any{"type": "statute", "subtype": "haushaltssatzung", "title": "T", "summary": strings.Repeat("x", 8000)}
	wantProblem(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Freiberg")+"/procedures", big), 413, "payload_too_large")
	path := newDraftPlan(t, editor, "2026-06-15", "2026-06-30")
	mustStatus(t, editor.upload(path+"/documents", "anlage.pdf", append(samplePDF("Anlage"), make([]byte, 100<<10)...)), 201, "upload over the JSON limit")
}

// With the S3 store (several instances share it) documents behave the same,
// and deleting a draft removes its objects.
func TestDocumentsInS3(t *testing.T) {
	env := newEnv(t)
	env.cfg.FileStore = testenv.Env(t, "PORTAL_TEST_S3_URL")
	store, err := storage.Parse(env.cfg.FileStore)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.(*storage.S3).EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, b := env.start(), env.start()
	editor := a.client(t)
	editor.login("freiberg-editor@demo.example")
	path := newDraftPlan(t, editor, "2030-06-15", "2030-06-30")
	plan := samplePDF("Planzeichnung im Objektspeicher")
	doc := decodeDocument(t, mustStatus(t, editor.upload(path+"/documents", "plan.pdf", plan), 201, "upload to s3"))

	other := editor.on(b)
	res := mustStatus(t, other.do("GET", doc.URL, nil, "Range", "bytes=1-4"), 206, "ranged download from the other instance")
	if string(res.Body) != string(plan[1:5]) {
		t.Fatalf("range from s3: %q", res.Body)
	}
	key := "procedures/" + strings.TrimPrefix(path, "/api/v1/procedures/") + "/documents/" + doc.ID
	if obj, err := store.Stat(context.Background(), key); err != nil || obj.SHA256 != sha(plan) {
		t.Fatalf("stored object: %+v %v", obj, err)
	}
	mustStatus(t, other.do("DELETE", path, nil), 204, "delete draft")
	if _, err := store.Stat(context.Background(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("object of a deleted draft: %v", err)
	}
}
