package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// open311Client is a GeoReport v2 client written from the specification
// (wiki.open311.org/GeoReport_v2) only: form-encoded posts, .json and .xml
// resources, the specification's field names.
type open311Client struct {
	t    *testing.T
	base string // the endpoint, e.g. http://host/open311/v2
}

type o311Answer struct {
	status int
	ctype  string
	body   []byte
	header http.Header
}

func (c open311Client) get(resource string) o311Answer {
	c.t.Helper()
	res, err := http.Get(c.base + "/" + resource)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return o311Answer{res.StatusCode, res.Header.Get("Content-Type"), b, res.Header}
}

func (c open311Client) post(resource string, form url.Values) o311Answer {
	c.t.Helper()
	res, err := http.Post(c.base+"/"+resource, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return o311Answer{res.StatusCode, res.Header.Get("Content-Type"), b, res.Header}
}

// The specification's documents, field by field.
type specService struct {
	ServiceCode string `xml:"service_code"`
	ServiceName string `xml:"service_name"`
	Description string `xml:"description"`
	Metadata    string `xml:"metadata"`
	Type        string `xml:"type"`
	Keywords    string `xml:"keywords"`
	Group       string `xml:"group"`
}

type specServices struct {
	XMLName xml.Name      `xml:"services"`
	Service []specService `xml:"service"`
}

type specRequest struct {
	ServiceRequestID  string `xml:"service_request_id"`
	Status            string `xml:"status"`
	StatusNotes       string `xml:"status_notes"`
	ServiceName       string `xml:"service_name"`
	ServiceCode       string `xml:"service_code"`
	Description       string `xml:"description"`
	AgencyResponsible string `xml:"agency_responsible"`
	ServiceNotice     string `xml:"service_notice"`
	RequestedDatetime string `xml:"requested_datetime"`
	UpdatedDatetime   string `xml:"updated_datetime"`
	ExpectedDatetime  string `xml:"expected_datetime"`
	Address           string `xml:"address"`
	AddressID         string `xml:"address_id"`
	Zipcode           string `xml:"zipcode"`
	Lat               string `xml:"lat"`
	Long              string `xml:"long"`
	MediaURL          string `xml:"media_url"`
	Token             string `xml:"token"`
	AccountID         string `xml:"account_id"`
}

type specRequests struct {
	XMLName xml.Name      `xml:"service_requests"`
	Request []specRequest `xml:"request"`
}

type specErrors struct {
	XMLName xml.Name `xml:"errors"`
	Error   []struct {
		Code        int    `xml:"code"`
		Description string `xml:"description"`
	} `xml:"error"`
}

var (
	serviceFields      = []string{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
	requestFields      = []string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
	postResponseFields = []string{"service_request_id", "service_notice", "account_id"}
)

// keysOf returns the sorted member names of a JSON object.
func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// xmlChildren lists the element names directly below each element named parent.
func xmlChildren(t *testing.T, body []byte, parent string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(body)))
	depth, inside := 0, -1
	var out []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("xml: %v\n%s", err, body)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if e.Name.Space != "" {
				t.Errorf("element %s has a namespace", e.Name.Local)
			}
			if inside >= 0 && depth == inside+1 && !containsName(out, e.Name.Local) {
				out = append(out, e.Name.Local)
			}
			if e.Name.Local == parent && inside < 0 {
				inside = depth
			}
		case xml.EndElement:
			if depth == inside {
				inside = -1
			}
			depth--
		}
	}
	sort.Strings(out)
	return out
}

func containsName(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func wantXML(t *testing.T, a o311Answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status: got %d, want %d: %s", a.status, status, a.body)
	}
	if a.ctype != "text/xml; charset=utf-8" {
		t.Errorf("content type: got %q", a.ctype)
	}
	if !strings.HasPrefix(string(a.body), `<?xml version="1.0" encoding="utf-8"?>`) {
		t.Errorf("no XML declaration with UTF-8: %.80s", a.body)
	}
}

func wantJSON(t *testing.T, a o311Answer, status int, into any) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status: got %d, want %d: %s", a.status, status, a.body)
	}
	if a.ctype != "application/json; charset=utf-8" {
		t.Errorf("content type: got %q", a.ctype)
	}
	if err := json.Unmarshal(a.body, into); err != nil {
		t.Fatalf("json: %v: %s", err, a.body)
	}
}

// wantSpecError checks the specification's error format in both encodings.
func wantSpecError(t *testing.T, a o311Answer, status int, format, detail string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status: got %d, want %d: %s", a.status, status, a.body)
	}
	if len(a.header.Values("Set-Cookie")) > 0 {
		t.Errorf("Open311 answer sets a cookie")
	}
	if format == "xml" {
		wantXML(t, a, status)
		var e specErrors
		if err := xml.Unmarshal(a.body, &e); err != nil || len(e.Error) == 0 {
			t.Fatalf("xml errors: %v %s", err, a.body)
		}
		if got := xmlChildren(t, a.body, "error"); strings.Join(got, ",") != "code,description" {
			t.Errorf("error fields: got %v", got)
		}
		if e.Error[0].Code != status || !strings.Contains(e.Error[0].Description, detail) {
			t.Errorf("error: got %+v, want code %d and %q", e.Error[0], status, detail)
		}
		return
	}
	var list []map[string]any
	wantJSON(t, a, status, &list)
	if len(list) == 0 || strings.Join(keysOf(list[0]), ",") != "code,description" {
		t.Fatalf("json errors: %s", a.body)
	}
	if list[0]["code"] != float64(status) || !strings.Contains(list[0]["description"].(string), detail) {
		t.Errorf("error: got %v, want code %d and %q", list[0], status, detail)
	}
}

func TestOpen311GeoReportV2(t *testing.T) {
	env := newEnv(t)
	srv := env.start()
	editor := srv.client(t)
	editor.login("doebeln-editor@demo.example")
	dp := defectProcedure(t, editor)
	defectCategory(t, editor, dp, "strassenbeleuchtung", "Straßenbeleuchtung defekt")
	o := open311Client{t: t, base: srv.URL + "/open311/v2"}

	// API keys: only the instance admin issues them.
	wantProblem(t, editor.do("POST", "/api/v1/open311-clients", map[string]any{"name": "App"}), 403, "forbidden")
	admin := srv.client(t)
	admin.login(demoAdminEmail)
	issued := mustStatus(t, admin.do("POST", "/api/v1/open311-clients", map[string]any{"name": "Döbeln-App"}), 201, "issue key").JSON()
	key, _ := issued["api_key"].(string)
	if len(key) < 30 {
		t.Fatalf("api key: %v", issued)
	}
	if list := admin.do("GET", "/api/v1/open311-clients", nil); strings.Contains(string(list.Body), key) {
		t.Error("the key list shows the secret")
	}

	// Service discovery.
	var disc map[string]any
	wantJSON(t, o.get("discovery.json"), 200, &disc)
	eps, _ := disc["endpoints"].([]any)
	if len(eps) != 1 || disc["changeset"] == "" || disc["contact"] == nil {
		t.Fatalf("discovery: %v", disc)
	}
	if ks, _ := disc["key_service"].(string); ks != "API-Schlüssel vergibt die Betreiberin dieses Portals: "+disc["contact"].(string) {
		t.Errorf("key service: %q", ks)
	}
	ep := eps[0].(map[string]any)
	if ep["specification"] != "http://wiki.open311.org/GeoReport_v2" || !strings.HasSuffix(ep["url"].(string), "/open311/v2") ||
		ep["type"] != "production" || len(ep["formats"].([]any)) != 2 {
		t.Errorf("discovery endpoint: %v", ep)
	}
	dx := o.get("discovery.xml")
	wantXML(t, dx, 200)
	if got := xmlChildren(t, dx.body, "endpoint"); strings.Join(got, ",") != "changeset,formats,specification,type,url" {
		t.Errorf("discovery endpoint fields: %v", got)
	}

	// GET Service List in both formats.
	sx := o.get("services.xml")
	wantXML(t, sx, 200)
	var services specServices
	if err := xml.Unmarshal(sx.body, &services); err != nil {
		t.Fatal(err)
	}
	want := specService{ServiceCode: "strassenbeleuchtung", ServiceName: "Straßenbeleuchtung defekt",
		Description: "Defekte oder dauerhaft brennende Straßenlampen.", Metadata: "false", Type: "realtime",
		Keywords: "Lampe, Laterne, Licht", Group: "Straße"}
	if len(services.Service) != 1 || services.Service[0] != want {
		t.Errorf("services.xml: got %+v, want %+v", services.Service, want)
	}
	if got := xmlChildren(t, sx.body, "service"); strings.Join(got, ",") != strings.Join(sorted(serviceFields), ",") {
		t.Errorf("service fields: got %v", got)
	}
	var sj []map[string]any
	wantJSON(t, o.get("services.json"), 200, &sj)
	if len(sj) != 1 || strings.Join(keysOf(sj[0]), ",") != strings.Join(sorted(serviceFields), ",") ||
		sj[0]["metadata"] != false || sj[0]["type"] != "realtime" || sj[0]["service_code"] != "strassenbeleuchtung" {
		t.Errorf("services.json: %s", sx.body)
	}
	// GET Service Definition.
	var def map[string]any
	wantJSON(t, o.get("services/strassenbeleuchtung.json"), 200, &def)
	if def["service_code"] != "strassenbeleuchtung" || len(def["attributes"].([]any)) != 0 {
		t.Errorf("definition: %v", def)
	}
	dfx := o.get("services/strassenbeleuchtung.xml")
	wantXML(t, dfx, 200)
	if got := xmlChildren(t, dfx.body, "service_definition"); strings.Join(got, ",") != "attributes,service_code" {
		t.Errorf("definition fields: %v", got)
	}
	wantSpecError(t, o.get("services/unbekannt.json"), 404, "json", "service_code")
	wantSpecError(t, o.get("services/strassenbeleuchtung.csv"), 404, "json", "Format")

	// POST Service Request: errors first.
	form := url.Values{"service_code": {"strassenbeleuchtung"}, "lat": {"51.1211"}, "long": {"13.1234"},
		"address_string": {"Obermarkt 1, Döbeln"}, "description": {"Laterne am Obermarkt flackert nachts ständig."},
		"email": {"buerger@example.org"}, "first_name": {"Max"}, "device_id": {"abc"}}
	wantSpecError(t, o.post("requests.json", form), 403, "json", "api_key")
	withKey := func(f url.Values, k string) url.Values {
		c := url.Values{}
		for n, v := range f {
			c[n] = v
		}
		c.Set("api_key", k)
		return c
	}
	wantSpecError(t, o.post("requests.xml", withKey(form, "falsch")), 403, "xml", "api_key")
	bad := withKey(form, key)
	bad.Set("service_code", "gibtsnicht")
	wantSpecError(t, o.post("requests.json", bad), 404, "json", "service_code")
	bad = withKey(form, key)
	bad.Set("jurisdiction_id", "anderswo.example")
	wantSpecError(t, o.post("requests.json", bad), 404, "json", "jurisdiction_id")
	bad = withKey(form, key)
	bad.Del("service_code")
	wantSpecError(t, o.post("requests.xml", bad), 400, "xml", "service_code")
	bad = withKey(form, key)
	bad.Del("lat")
	bad.Del("long")
	wantSpecError(t, o.post("requests.json", bad), 400, "json", "Karte")
	bad = withKey(form, key)
	bad.Set("lat", "50.91")
	bad.Set("long", "13.34")
	wantSpecError(t, o.post("requests.json", bad), 400, "json", "außerhalb")

	// A valid post, XML answer.
	px := o.post("requests.xml", withKey(form, key))
	wantXML(t, px, 200)
	var posted specRequests
	if err := xml.Unmarshal(px.body, &posted); err != nil || len(posted.Request) != 1 || posted.Request[0].ServiceRequestID == "" {
		t.Fatalf("post answer: %v %s", err, px.body)
	}
	if got := xmlChildren(t, px.body, "request"); strings.Join(got, ",") != strings.Join(sorted(postResponseFields), ",") {
		t.Errorf("post answer fields (no token with an id): %v", got)
	}
	id := posted.Request[0].ServiceRequestID
	// A valid post, JSON answer.
	var pj []map[string]any
	wantJSON(t, o.post("requests.json", withKey(url.Values{"service_code": {"strassenbeleuchtung"}, "lat": {"51.12"},
		"long": {"13.12"}, "description": {"Zweite Laterne am Niedermarkt ist aus."}}, key)), 200, &pj)
	if len(pj) != 1 || strings.Join(keysOf(pj[0]), ",") != strings.Join(sorted(postResponseFields), ",") || pj[0]["account_id"] != nil {
		t.Errorf("post json: %v", pj)
	}
	second, _ := pj[0]["service_request_id"].(string)

	// GET Service Request, both formats, field by field.
	var rj []map[string]any
	wantJSON(t, o.get("requests/"+id+".json"), 200, &rj)
	if len(rj) != 1 || strings.Join(keysOf(rj[0]), ",") != strings.Join(sorted(requestFields), ",") {
		t.Fatalf("request json fields: %v", rj)
	}
	r := rj[0]
	if r["service_request_id"] != id || r["status"] != "open" || r["service_code"] != "strassenbeleuchtung" ||
		r["service_name"] != "Straßenbeleuchtung defekt" || r["description"] != "Laterne am Obermarkt flackert nachts ständig." ||
		r["address"] != "Obermarkt 1, Döbeln" || r["lat"] != 51.1211 || r["long"] != 13.1234 ||
		r["agency_responsible"] != "Stadt Döbeln" && !strings.Contains(r["agency_responsible"].(string), "Döbeln") {
		t.Errorf("request json: %v", r)
	}
	for _, f := range []string{"requested_datetime", "updated_datetime"} {
		if _, err := time.Parse(time.RFC3339, r[f].(string)); err != nil || !strings.HasSuffix(r[f].(string), "Z") {
			t.Errorf("%s: %v (%v)", f, r[f], err)
		}
	}
	rx := o.get("requests/" + id + ".xml")
	wantXML(t, rx, 200)
	var one specRequests
	if err := xml.Unmarshal(rx.body, &one); err != nil || len(one.Request) != 1 {
		t.Fatal(err)
	}
	if got := xmlChildren(t, rx.body, "request"); strings.Join(got, ",") != strings.Join(sorted(requestFields), ",") {
		t.Errorf("request xml fields: %v", got)
	}
	if x := one.Request[0]; x.ServiceRequestID != id || x.Status != "open" || x.Lat != "51.1211" || x.Long != "13.1234" || x.ServiceCode != "strassenbeleuchtung" {
		t.Errorf("request xml: %+v", x)
	}
	for _, a := range []o311Answer{rx, o.get("requests.json"), o.get("requests.xml")} {
		if strings.Contains(string(a.body), "buerger@example.org") || strings.Contains(string(a.body), "Max") {
			t.Errorf("personal data in Open311: %s", a.body)
		}
	}
	wantSpecError(t, o.get("requests/424242.xml"), 404, "xml", "gibt es nicht")

	// GET Service Requests with the specification's filters.
	list := func(q string) []map[string]any {
		var l []map[string]any
		wantJSON(t, o.get("requests.json"+q), 200, &l)
		return l
	}
	if l := list(""); len(l) != 2 {
		t.Errorf("all: %d", len(l))
	}
	if l := list("?service_request_id=" + second); len(l) != 1 || l[0]["service_request_id"] != second {
		t.Errorf("by id: %v", l)
	}
	if l := list("?service_request_id=" + id + "," + second + "&status=closed"); len(l) != 2 {
		t.Errorf("service_request_id overrides the other arguments: %d", len(l))
	}
	if l := list("?service_code=strassenbeleuchtung&status=open"); len(l) != 2 {
		t.Errorf("open: %d", len(l))
	}
	if l := list("?status=closed"); len(l) != 0 {
		t.Errorf("closed: %d", len(l))
	}
	now := time.Now().UTC()
	if l := list("?start_date=" + now.Add(-time.Hour).Format(time.RFC3339) + "&end_date=" + now.Add(time.Hour).Format(time.RFC3339)); len(l) != 2 {
		t.Errorf("date range: %d", len(l))
	}
	if l := list("?end_date=" + now.Add(-time.Hour).Format(time.RFC3339)); len(l) != 0 {
		t.Errorf("before: %d", len(l))
	}
	if l := list("?bbox=13.121,51.121,13.125,51.125"); len(l) != 1 || l[0]["service_request_id"] != id {
		t.Errorf("bbox: %v", l)
	}
	if l := list("?lat=51.12&long=13.12&radius=50"); len(l) != 1 || l[0]["service_request_id"] != second {
		t.Errorf("lat/long/radius: %v", l)
	}
	wantSpecError(t, o.get("requests.json?status=pending"), 400, "json", "open oder closed")
	wantSpecError(t, o.get("requests.xml?start_date=gestern"), 400, "xml", "W3C")
	wantSpecError(t, o.get("requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"), 400, "json", "90 Tage")
	wantSpecError(t, o.get("requests.json?service_code=gibtsnicht"), 404, "json", "service_code")
	wantSpecError(t, o.get("requests.json?jurisdiction_id=anderswo.example"), 404, "json", "jurisdiction_id")
	wantSpecError(t, o.get("nichts.json"), 404, "json", "Open311")

	// The status follows the agency's workflow: closed once resolved.
	mustStatus(t, editor.do("POST", "/api/v1/defects/"+id+"/status", map[string]any{"status": "acknowledged"}), 200, "ack")
	mustStatus(t, editor.do("POST", "/api/v1/defects/"+id+"/status", map[string]any{"status": "resolved", "public_comment": "Repariert."}), 200, "resolve")
	if l := list("?status=closed"); len(l) != 1 || l[0]["status_notes"] != "Repariert." {
		t.Errorf("closed after resolving: %v", l)
	}

	// GET service_request_id from a token (the submitter's secret token).
	citizen := srv.client(t)
	cat := mustStatus(t, citizen.do("GET", dp+"/defect-categories", nil), 200, "categories").JSON()["items"].([]any)[0].(map[string]any)["id"].(string)
	rec := decodeDefect(t, mustStatus(t, citizen.do("POST", dp+"/defects", streetLight(cat, "Die Laterne an der Brücke brennt tagsüber.")), 201, "web report"))
	var tok []map[string]any
	wantJSON(t, o.get("tokens/"+rec.Token+".json"), 200, &tok)
	if len(tok) != 1 || tok[0]["service_request_id"] != rec.ID || tok[0]["token"] != rec.Token || len(tok[0]) != 2 {
		t.Errorf("token: %v", tok)
	}
	wantSpecError(t, o.get("tokens/FALSCH.xml"), 404, "xml", "Schlüssel")

	// Open311 is cookie-free and readable from browsers.
	if a := o.get("services.json"); len(a.header.Values("Set-Cookie")) > 0 || a.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("headers: %v", a.header)
	}
	// A revoked key no longer posts.
	mustStatus(t, admin.do("DELETE", "/api/v1/open311-clients/"+issued["id"].(string), nil), 204, "revoke")
	wantSpecError(t, o.post("requests.json", withKey(form, key)), 403, "json", "api_key")
}
