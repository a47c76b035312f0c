package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// doebelnArea is the Döbeln Mängelmelder's area, as in the demo data.
var doebelnArea = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
	{13.11, 51.11}, {13.13, 51.11}, {13.13, 51.13}, {13.11, 51.13}, {13.11, 51.11}}}}

// defectProcedure publishes a Döbeln Mängelmelder, open since 1 November
// 2026 without end, and returns its API path.
func defectProcedure(t testing.TB, editor *client) string {
	t.Helper()
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Döbeln")+"/procedures", map[string]any{
		"type": "defect_reporting", "subtype": "maengelmelder", "title": "Mängelmelder Döbeln",
		"summary": "Melden Sie Schlaglöcher und defekte Lampen.", "area": doebelnArea,
	}), 201, "create procedure")
	path := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	mustStatus(t, editor.do("POST", path+"/phases", map[string]any{"kind": "participation", "audience": "public",
		"start": "2026-11-01"}), 201, "phase")
	mustStatus(t, editor.do("POST", path+"/publish", nil), 200, "publish")
	return path
}

// Inside and outside the Döbeln demo area (a square around 13.12, 51.12).
var (
	inDoebeln  = map[string]any{"type": "Point", "coordinates": []float64{13.1234, 51.1211}}
	outDoebeln = map[string]any{"type": "Point", "coordinates": []float64{13.3400, 50.9100}} // Freiberg
)

// phoneJPEG is a w×h JPEG as a phone writes it: an APP1 Exif segment with
// the orientation tag, a camera serial in Make and a GPS IFD with latitude and
// longitude, built byte by byte.
func phoneJPEG(t testing.TB, w, h, orientation int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), 90, uint8(y * 255 / h), 255})
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	var tiff []byte
	tiff = append(tiff, 'M', 'M', 0, 42, 0, 0, 0, 8)
	entry := func(tag, typ uint16, count, value uint32) {
		tiff = be.AppendUint16(tiff, tag)
		tiff = be.AppendUint16(tiff, typ)
		tiff = be.AppendUint32(tiff, count)
		tiff = be.AppendUint32(tiff, value)
	}
	// IFD0 at 8 with 3 entries (42 bytes); Make text at 50; GPS IFD at 66.
	tiff = be.AppendUint16(tiff, 3)
	entry(0x010F, 2, 16, 50)
	entry(0x0112, 3, 1, uint32(orientation)<<16)
	entry(0x8825, 4, 1, 66)
	tiff = be.AppendUint32(tiff, 0)
	tiff = append(tiff, "CAMSERIAL-4711X\x00"...)
	// GPS IFD at 66: 4 entries (54 bytes); rationals at 120 and 144.
	tiff = be.AppendUint16(tiff, 4)
	entry(0x0001, 2, 2, uint32('N')<<24)
	entry(0x0002, 5, 3, 120)
	entry(0x0003, 2, 2, uint32('E')<<24)
	entry(0x0004, 5, 3, 144)
	tiff = be.AppendUint32(tiff, 0)
	for _, v := range []uint32{51, 1, 7, 1, 1612, 100, 13, 1, 7, 1, 2424, 100} {
		tiff = be.AppendUint32(tiff, v)
	}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = be.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	j := plain.Bytes()
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

// postDefect sends a report as multipart with photos, as the map form does.
func (c *client) postDefect(path string, report map[string]any, key string, photos ...[]byte) response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	raw, _ := json.Marshal(report)
	_ = w.WriteField("report", string(raw))
	for i, p := range photos {
		fw, _ := w.CreateFormFile("photos", "IMG_000"+string(rune('1'+i))+".jpg")
		_, _ = fw.Write(p)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", c.base+path+"/defects", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: buf.Bytes()}
}

type defectBody struct {
	ID          string  `json:"id"`
	Token       string  `json:"token"`
	Status      string  `json:"status"`
	StatusNotes string  `json:"status_notes"`
	Description *string `json:"description"`
	TextHidden  bool    `json:"text_hidden"`
	Agency      string  `json:"agency"`
	DuplicateOf string  `json:"duplicate_of"`
	Supporters  int     `json:"supporters"`
	Version     int     `json:"version"`
	Photos      []struct {
		ID          string `json:"id"`
		URL         string `json:"url"`
		PreviewURL  string `json:"preview_url"`
		Width       int    `json:"width"`
		Height      int    `json:"height"`
		ContentType string `json:"content_type"`
		Hidden      bool   `json:"hidden"`
	} `json:"photos"`
	History []struct {
		From, To      string
		PublicComment string  `json:"public_comment"`
		InternalNote  *string `json:"internal_note"`
		DuplicateOf   string  `json:"duplicate_of"`
	} `json:"history"`
	Internal *struct {
		Description string `json:"description"`
		Email       string `json:"email"`
	} `json:"internal"`
}

func decodeDefect(t testing.TB, res response) defectBody {
	t.Helper()
	var d defectBody
	if err := json.Unmarshal(res.Body, &d); err != nil {
		t.Fatalf("decode %s: %v", res.Body, err)
	}
	return d
}

// pathOf strips scheme and host from an absolute URL the API returns.
func pathOf(t testing.TB, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// defectCategory creates a category in the Döbeln Mängelmelder and returns its ID.
func defectCategory(t testing.TB, editor *client, dp, code, name string) string {
	t.Helper()
	res := mustStatus(t, editor.do("POST", dp+"/defect-categories", map[string]any{
		"code": code, "name": name, "description": "Defekte oder dauerhaft brennende Straßenlampen.", "group": "Straße",
		"unit": "Tiefbauamt", "keywords": "Lampe, Laterne, Licht"}), 201, "create category")
	return res.JSON()["id"].(string)
}

func streetLight(category, text string) map[string]any {
	return map[string]any{"category_id": category, "description": text, "location": inDoebeln,
		"address": "Obermarkt 1, 04720 Döbeln"}
}

// The acceptance path of the defect reporting issue.
func TestDefectReportAcceptancePath(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	dp := defectProcedure(t, editor)
	cat := defectCategory(t, editor, dp, "strassenbeleuchtung", "Straßenbeleuchtung defekt")

	citizen := srv.client(t)
	photo := phoneJPEG(t, 40, 20, 6)
	if !bytes.Contains(photo, []byte("CAMSERIAL-4711X")) || !bytes.Contains(photo, []byte("Exif")) {
		t.Fatal("the test photo lacks its metadata")
	}
	address := newMailAddress("laterne")
	report := streetLight(cat, "Die Straßenlampe vor dem Rathaus ist seit drei Tagen dunkel.")
	report["email"] = address
	res := mustStatus(t, citizen.postDefect(dp, report, "lamp-1", photo), 201, "report")
	got := decodeDefect(t, res)
	if got.ID == "" || len(got.Token) < 20 || got.Status != "new" {
		t.Fatalf("receipt: %s", res.Body)
	}
	if strings.Contains(string(res.Body), address) {
		t.Error("the public answer shows the e-mail address")
	}
	if len(got.Photos) != 1 || got.Photos[0].Width != 20 || got.Photos[0].Height != 40 || got.Photos[0].ContentType != "image/jpeg" {
		t.Fatalf("photo: orientation 6 should turn 40×20 into 20×40: %s", res.Body)
	}
	// A retry with the same key returns the same report.
	again := mustStatus(t, citizen.postDefect(dp, report, "lamp-1", photo), 201, "retry")
	if decodeDefect(t, again).ID != got.ID || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: got %s", again.Body)
	}

	// The stored photo, read back, has no metadata and stands upright.
	stored := mustStatus(t, citizen.do("GET", pathOf(t, got.Photos[0].URL), nil), 200, "photo").Body
	for _, marker := range [][]byte{[]byte("Exif"), []byte("CAMSERIAL"), {0xFF, 0xE1}} {
		if bytes.Contains(stored, marker) {
			t.Errorf("stored photo still contains %q", marker)
		}
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(stored))
	if err != nil || cfg.Width != 20 || cfg.Height != 40 {
		t.Errorf("stored photo: %v, %d×%d, want 20×40", err, cfg.Width, cfg.Height)
	}
	preview := mustStatus(t, citizen.do("GET", pathOf(t, got.Photos[0].PreviewURL), nil), 200, "preview")
	if _, err := jpeg.Decode(bytes.NewReader(preview.Body)); err != nil {
		t.Errorf("preview: %v", err)
	}
	// Nothing in the file store carries the camera's data.
	root := strings.TrimPrefix(env.cfg.FileStore, "file:")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte("CAMSERIAL")) || bytes.Contains(b, []byte("Exif\x00\x00")) {
			t.Errorf("file store: %s keeps metadata", path)
		}
		return nil
	})

	// On the public map and in Open311.
	geo := mustStatus(t, citizen.do("GET", dp+"/defects.geojson?status=open", nil), 200, "map")
	if !strings.Contains(geo.Header.Get("Content-Type"), "geo+json") || !strings.Contains(string(geo.Body), `"id":"`+got.ID+`"`) {
		t.Errorf("map layer lacks the report: %s", geo.Body)
	}
	var o311 []map[string]any
	if err := json.Unmarshal(mustStatus(t, citizen.do("GET", "/open311/v2/requests.json", nil), 200, "open311").Body, &o311); err != nil {
		t.Fatal(err)
	}
	if len(o311) != 1 || o311[0]["service_request_id"] != got.ID || o311[0]["status"] != "open" ||
		o311[0]["service_code"] != "strassenbeleuchtung" || o311[0]["lat"] != 51.1211 || o311[0]["long"] != 13.1234 {
		t.Errorf("open311 requests: %v", o311)
	}
	receipt := waitForMail(t, address, "eingegangen")
	if !strings.Contains(receipt.Text, got.ID) || !strings.Contains(receipt.Text, got.Token) {
		t.Errorf("receipt mail: %s", receipt.Text)
	}

	// The municipality acknowledges and resolves it with a comment.
	path := "/api/v1/defects/" + got.ID
	mustStatus(t, editor.do("POST", path+"/status", map[string]any{"status": "acknowledged",
		"public_comment": "Danke, wir kümmern uns.", "internal_note": "Leuchte 17, Stadtwerke informiert"}), 200, "acknowledge")
	res = mustStatus(t, editor.do("POST", path+"/status", map[string]any{"status": "resolved",
		"public_comment": "Das Leuchtmittel wurde am Morgen getauscht."}), 200, "resolve")
	if d := decodeDefect(t, res); d.Status != "resolved" || len(d.History) != 2 {
		t.Errorf("after resolving: %s", res.Body)
	}
	mail := waitForMail(t, address, "erledigt")
	if !strings.Contains(mail.Text, "Das Leuchtmittel wurde am Morgen getauscht.") || strings.Contains(mail.Text, "Leuchte 17") {
		t.Errorf("status mail: %s", mail.Text)
	}
	// The public sees the history with answers but not the internal note.
	pub := mustStatus(t, citizen.do("GET", path, nil), 200, "public detail")
	if strings.Contains(string(pub.Body), "Leuchte 17") || strings.Contains(string(pub.Body), address) {
		t.Errorf("public detail shows internal data: %s", pub.Body)
	}
	if d := decodeDefect(t, pub); len(d.History) != 2 || d.History[1].PublicComment != "Das Leuchtmittel wurde am Morgen getauscht." {
		t.Errorf("public history: %s", pub.Body)
	}
	if err := json.Unmarshal(citizen.do("GET", "/open311/v2/requests.json?status=closed", nil).Body, &o311); err != nil {
		t.Fatal(err)
	}
	if len(o311) != 1 || o311[0]["status"] != "closed" || o311[0]["status_notes"] != "Das Leuchtmittel wurde am Morgen getauscht." {
		t.Errorf("open311 after resolving: %v", o311)
	}

	// Outside the municipality: a clear refusal.
	out := streetLight(cat, "Laterne in Freiberg ist kaputt, bitte reparieren.")
	out["location"] = outDoebeln
	p := wantProblem(t, citizen.postDefect(dp, out, ""), 422, "validation")
	errs, _ := p["errors"].([]any)
	if len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "außerhalb des Gebiets") {
		t.Errorf("outside: %v", p)
	}
}

func TestDefectPhotoRules(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	dp := defectProcedure(t, editor)
	cat := defectCategory(t, editor, dp, "muell", "Wilder Müll")
	anon := srv.client(t)
	heic := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)
	p := wantProblem(t, anon.postDefect(dp, streetLight(cat, "Sperrmüll am Straßenrand abgeladen."), "", heic), 422, "validation")
	if !strings.Contains(string(defectJSON(t, p)), "HEIC") {
		t.Errorf("HEIC: %v", p)
	}
	wantProblem(t, anon.postDefect(dp, streetLight(cat, "Sperrmüll am Straßenrand abgeladen."), "", []byte("%PDF-1.7 not a photo")), 422, "validation")
	six := make([][]byte, 6)
	for i := range six {
		six[i] = phoneJPEG(t, 4, 4, 1)
	}
	wantProblem(t, anon.postDefect(dp, streetLight(cat, "Sperrmüll am Straßenrand abgeladen."), "", six...), 422, "validation")
	// JSON without photos works; without a location it does not.
	mustStatus(t, anon.do("POST", dp+"/defects", streetLight(cat, "Sperrmüll am Straßenrand abgeladen.")), 201, "json")
	noLoc := streetLight(cat, "Sperrmüll am Straßenrand abgeladen.")
	delete(noLoc, "location")
	wantProblem(t, anon.do("POST", dp+"/defects", noLoc), 422, "validation")
	// Another procedure type is no Mängelmelder.
	wantProblem(t, anon.do("POST", "/api/v1/procedures/gehoelzschutzsatzung-freiberg/defects", streetLight(cat, "Sperrmüll am Straßenrand abgeladen.")), 404, "not_found")
}

func defectJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Each rule of the workflow and who may do what, tried against the server.
func TestDefectWorkflowAndPermissions(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	dp := defectProcedure(t, editor)
	anon := srv.client(t)
	other := srv.client(t)
	other.login("freiberg-editor@demo.example")
	viewer := srv.client(t)
	viewer.login("freiberg-viewer@demo.example")
	moderator := srv.client(t)
	moderator.login("freiberg-moderator@demo.example")

	// Categories: only the procedure's organisation manages them.
	wantProblem(t, anon.do("POST", dp+"/defect-categories", map[string]any{"code": "x", "name": "X"}), 401, "unauthenticated")
	wantProblem(t, other.do("POST", dp+"/defect-categories", map[string]any{"code": "x", "name": "X"}), 403, "forbidden")
	cat := defectCategory(t, editor, dp, "schlagloch", "Schlagloch")
	wantProblem(t, editor.do("POST", dp+"/defect-categories", map[string]any{"code": "schlagloch", "name": "Doppelt"}), 409, "conflict")
	wantProblem(t, editor.do("POST", dp+"/defect-categories", map[string]any{"code": "Groß Buchstaben", "name": "X"}), 422, "validation")
	// An inactive category takes no reports and is not listed publicly.
	res := mustStatus(t, editor.do("POST", dp+"/defect-categories", map[string]any{"code": "alt", "name": "Alt", "active": false}), 201, "inactive")
	inactive := res.JSON()["id"].(string)
	wantProblem(t, anon.do("POST", dp+"/defects", streetLight(inactive, "Ein Loch in der Fahrbahn der Hauptstraße.")), 422, "validation")
	if list := anon.do("GET", dp+"/defect-categories", nil); strings.Contains(string(list.Body), inactive) {
		t.Errorf("public list shows the inactive category: %s", list.Body)
	}

	first := decodeDefect(t, mustStatus(t, anon.postDefect(dp, streetLight(cat, "Tiefes Schlagloch in der Bahnhofstraße."), "", phoneJPEG(t, 8, 8, 1)), 201, "first"))
	second := decodeDefect(t, mustStatus(t, anon.do("POST", dp+"/defects", streetLight(cat, "Schlagloch Bahnhofstraße, Höhe Nr. 5.")), 201, "second"))
	p1, p2 := "/api/v1/defects/"+first.ID, "/api/v1/defects/"+second.ID

	// Who may change the status.
	wantProblem(t, anon.do("POST", p1+"/status", map[string]any{"status": "acknowledged"}), 401, "unauthenticated")
	wantProblem(t, other.do("POST", p1+"/status", map[string]any{"status": "acknowledged"}), 403, "forbidden")
	// Which steps the workflow allows.
	wantProblem(t, editor.do("POST", p1+"/status", map[string]any{"status": "resolved", "public_comment": "Erledigt."}), 409, "conflict")
	wantProblem(t, editor.do("POST", p1+"/status", map[string]any{"status": "vanished"}), 422, "validation")
	wantProblem(t, editor.do("POST", p1+"/status", map[string]any{"status": "rejected"}), 422, "validation") // reason required
	wantProblem(t, editor.do("POST", p2+"/status", map[string]any{"status": "duplicate"}), 422, "validation")
	wantProblem(t, editor.do("POST", p2+"/status", map[string]any{"status": "duplicate", "duplicate_of": second.ID}), 422, "validation")
	wantProblem(t, editor.do("POST", p1+"/status", map[string]any{"status": "acknowledged", "version": 99}), 409, "conflict")
	res = mustStatus(t, editor.do("POST", p2+"/status", map[string]any{"status": "duplicate", "duplicate_of": first.ID,
		"public_comment": "Bereits gemeldet."}), 200, "duplicate")
	if d := decodeDefect(t, res); d.DuplicateOf != "" && d.DuplicateOf != first.ID {
		t.Errorf("duplicate link: %s", res.Body)
	}
	if d := decodeDefect(t, anon.do("GET", p2, nil)); d.DuplicateOf != first.ID || d.Status != "duplicate" {
		t.Errorf("public duplicate link: got %q", d.DuplicateOf)
	} else if last := d.History[len(d.History)-1]; last.To != "duplicate" || last.DuplicateOf != first.ID {
		t.Errorf("the history's duplicate step names %q, want %s", last.DuplicateOf, first.ID)
	}
	wantProblem(t, editor.do("POST", p2+"/status", map[string]any{"status": "acknowledged"}), 409, "conflict") // closed stays closed

	// Forwarding hands the report to Freiberg, which then sees and works on it.
	freiberg := other.orgID("Freiberg")
	wantProblem(t, editor.do("POST", p1+"/status", map[string]any{"status": "forwarded"}), 422, "validation")
	mustStatus(t, editor.do("POST", p1+"/status", map[string]any{"status": "forwarded", "forward_to": freiberg,
		"public_comment": "Die Straße gehört zum Landkreis; weitergeleitet.", "internal_note": "Kreisstraße K 123"}), 200, "forward")
	list := mustStatus(t, other.do("GET", "/api/v1/organisations/"+freiberg+"/defects", nil), 200, "freiberg list")
	if !strings.Contains(string(list.Body), `"id":"`+first.ID+`"`) || !strings.Contains(string(list.Body), `"internal":{`) {
		t.Errorf("Freiberg does not list the forwarded report: %s", list.Body)
	}
	if d := other.do("GET", p1, nil); !strings.Contains(string(d.Body), "Kreisstraße K 123") {
		t.Errorf("Freiberg does not see the internal note: %s", d.Body)
	}
	if d := anon.do("GET", p1, nil); strings.Contains(string(d.Body), "Kreisstraße K 123") {
		t.Errorf("the public sees the internal note: %s", d.Body)
	}
	wantProblem(t, editor.do("POST", p1+"/status", map[string]any{"status": "in_progress"}), 403, "forbidden")
	wantProblem(t, viewer.do("POST", p1+"/status", map[string]any{"status": "in_progress"}), 403, "forbidden")
	mustStatus(t, other.do("POST", p1+"/status", map[string]any{"status": "in_progress", "public_comment": "Wir reparieren."}), 200, "freiberg works")

	// Moderation: moderators hide text and photos; the public no longer sees
	// them, staff still do.
	wantProblem(t, viewer.do("POST", p1+"/moderation", map[string]any{"text_hidden_reason": "Beleidigung"}), 403, "forbidden")
	wantProblem(t, anon.do("POST", p1+"/moderation", map[string]any{"text_hidden_reason": "Beleidigung"}), 401, "unauthenticated")
	mustStatus(t, moderator.do("POST", p1+"/moderation", map[string]any{"text_hidden_reason": "Kfz-Kennzeichen im Text",
		"photos": []map[string]string{{"id": first.Photos[0].ID, "hidden_reason": "Gesicht erkennbar"}}}), 200, "moderate")
	pub := decodeDefect(t, anon.do("GET", p1, nil))
	if pub.Description != nil || !pub.TextHidden || len(pub.Photos) != 0 {
		t.Errorf("public view after moderation: %+v", pub)
	}
	photoPath := pathOf(t, first.Photos[0].URL)
	wantProblem(t, anon.do("GET", photoPath, nil), 404, "not_found")
	mustStatus(t, moderator.do("GET", photoPath, nil), 200, "staff sees the hidden photo")
	staff := decodeDefect(t, editor.do("GET", p1, nil))
	if staff.Internal == nil || staff.Internal.Description != "Tiefes Schlagloch in der Bahnhofstraße." || len(staff.Photos) != 1 || !staff.Photos[0].Hidden {
		t.Errorf("staff view after moderation: %+v", staff)
	}

	// Everything is audited.
	admin := srv.client(t)
	admin.login(demoAdminEmail)
	trail := string(admin.do("GET", "/api/v1/organisations/"+editor.orgID("Döbeln")+"/audit", nil).Body)
	for _, action := range []string{"defect.category_create", "defect.submit", "defect.status_change"} {
		if !strings.Contains(trail, action) {
			t.Errorf("audit trail of Döbeln lacks %s", action)
		}
	}
	if trail := string(admin.do("GET", "/api/v1/organisations/"+freiberg+"/audit", nil).Body); !strings.Contains(trail, "defect.moderate") {
		t.Errorf("audit trail of Freiberg lacks the moderation: %s", trail)
	}
}

func TestDefectSupportOncePerReport(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	dp := defectProcedure(t, editor)
	cat := defectCategory(t, editor, dp, "spielplatz", "Spielplatz beschädigt")
	anon := srv.client(t)
	r := decodeDefect(t, mustStatus(t, anon.do("POST", dp+"/defects", streetLight(cat, "Die Schaukel am Spielplatz ist gebrochen.")), 201, "report"))
	path := "/api/v1/defects/" + r.ID
	res := mustStatus(t, anon.do("POST", path+"/support", nil), 201, "me too")
	if res.JSON()["supporters"] != float64(1) {
		t.Errorf("supporters: %s", res.Body)
	}
	p := wantProblem(t, srv.client(t).do("POST", path+"/support", nil), 409, "conflict")
	if !strings.Contains(p["detail"].(string), "bereits unterstützt") {
		t.Errorf("second me too: %v", p)
	}
	if d := decodeDefect(t, anon.do("GET", path, nil)); d.Supporters != 1 {
		t.Errorf("supporters after the refused second: %d", d.Supporters)
	}
	wantProblem(t, anon.do("POST", "/api/v1/defects/999999/support", nil), 404, "not_found")
}

// Reports are limited per IP; Open311 posts per API key, answered in the
// specification's error format.
func TestDefectAndOpen311RateLimits(t *testing.T) {
	env := newEnv(t)
	srv := env.start(func(c *config) { c.RateLimitStatements = 2 })
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	dp := defectProcedure(t, editor)
	cat := defectCategory(t, editor, dp, "ampel", "Ampel gestört")
	anon := srv.client(t)
	for i := 0; i < 2; i++ {
		mustStatus(t, anon.do("POST", dp+"/defects", streetLight(cat, "Die Fußgängerampel bleibt immer rot.")), 201, "report")
	}
	res := anon.do("POST", dp+"/defects", streetLight(cat, "Die Fußgängerampel bleibt immer rot."))
	wantProblem(t, res, 429, "rate_limited")
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}

	admin := srv.client(t)
	admin.login(demoAdminEmail)
	key := mustStatus(t, admin.do("POST", "/api/v1/open311-clients", map[string]any{"name": "Massen-App"}), 201, "key").JSON()["api_key"].(string)
	o := open311Client{t: t, base: srv.URL + "/open311/v2"}
	form := url.Values{"api_key": {key}, "service_code": {"ampel"}, "lat": {"51.12"}, "long": {"13.12"},
		"description": {"Die Ampel an der Kreuzung ist ausgefallen."}}
	for i := 0; i < 30; i++ {
		if a := o.post("requests.json", form); a.status != 200 {
			t.Fatalf("post %d: %d %s", i, a.status, a.body)
		}
	}
	a := o.post("requests.xml", form)
	wantSpecError(t, a, 429, "xml", "Sekunden")
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on Open311")
	}
}

// The demo data give the Döbeln Mängelmelder categories and reports, once.
func TestDefectDemoSeed(t *testing.T) {
	env := newEnv(t)
	for i := 0; i < 2; i++ {
		if err := seed(context.Background(), env.cfg, io.Discard, true); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	srv := env.start()
	anon := srv.client(t)
	cats := mustStatus(t, anon.do("GET", "/api/v1/procedures/maengelmelder-doebeln/defect-categories", nil), 200, "categories")
	if items := cats.JSON()["items"].([]any); len(items) != len(demoDefectCategories) {
		t.Errorf("categories: %s", cats.Body)
	}
	var reqs []map[string]any
	if err := json.Unmarshal(mustStatus(t, anon.do("GET", "/open311/v2/requests.json", nil), 200, "requests").Body, &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0]["status"] == reqs[1]["status"] {
		t.Errorf("demo reports: %v", reqs)
	}
}

// An agency sets up its categories before it publishes the Mängelmelder; to
// everyone else the draft and its categories do not exist, and nobody can
// report into it yet.
func TestDefectCategoriesWhileDraft(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	res := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Döbeln")+"/procedures", map[string]any{
		"type": "defect_reporting", "subtype": "maengelmelder", "title": "Mängelmelder Döbeln (Entwurf)",
		"summary": "Noch nicht veröffentlicht.", "area": doebelnArea,
	}), 201, "create draft")
	dp := "/api/v1/procedures/" + decodeProcedure(t, res).ID
	cat := defectCategory(t, editor, dp, "lampe", "Straßenlampe")
	mustStatus(t, editor.do("PUT", dp+"/defect-categories/"+cat, map[string]any{"code": "lampe", "name": "Straßenbeleuchtung", "active": true}), 200, "rename")
	if list := mustStatus(t, editor.do("GET", dp+"/defect-categories", nil), 200, "staff list"); !strings.Contains(string(list.Body), "Straßenbeleuchtung") {
		t.Fatalf("staff list: %s", list.Body)
	}

	anon := srv.client(t)
	grimma := srv.client(t)
	grimma.login("grimma-admin@demo.example")
	for _, c := range []*client{anon, grimma} {
		wantProblem(t, c.do("GET", dp+"/defect-categories", nil), 404, "not_found")
	}
	wantProblem(t, grimma.do("POST", dp+"/defect-categories", map[string]any{"code": "x", "name": "X"}), 404, "not_found")
	wantProblem(t, anon.do("POST", dp+"/defects", streetLight(cat, "Lampe aus")), 404, "not_found")
	wantProblem(t, editor.do("POST", dp+"/defects", streetLight(cat, "Lampe aus")), 404, "not_found")
	// A survey is no Mängelmelder, draft or not.
	plan := mustStatus(t, editor.do("POST", "/api/v1/organisations/"+editor.orgID("Döbeln")+"/procedures", map[string]any{
		"type": "survey", "subtype": "umfrage", "title": "Umfrage Döbeln", "summary": "Entwurf",
	}), 201, "create survey")
	wantProblem(t, editor.do("POST", "/api/v1/procedures/"+decodeProcedure(t, plan).ID+"/defect-categories",
		map[string]any{"code": "x", "name": "X"}), 404, "not_found")
}
