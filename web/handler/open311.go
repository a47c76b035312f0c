package handler

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	appdefect "beteiligungsportal/app/defect"
	"beteiligungsportal/app/i18n"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
)

// Open311 serves the Open311 GeoReport v2 interface
// (https://wiki.open311.org/GeoReport_v2/): services are the categories of
// all defect-reporting procedures, requests are their reports. Responses are
// XML or JSON as the path's extension asks; errors use the specification's
// format, not problem details.
type Open311 struct {
	Defects *Defects
	BaseURL *url.URL
	Contact string
	Log     *slog.Logger
	// Changeset is the date of the last change of this interface.
	Changeset string
}

// Open311 formats.
const (
	formatJSON = "json"
	formatXML  = "xml"
)

// splitFormat cuts "name.json" into "name" and "json"; ok is false for an
// unknown format.
func splitFormat(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s, "", false
	}
	f := s[i+1:]
	return s[:i], f, f == formatJSON || f == formatXML
}

func formatOf(c *fiber.Ctx) string {
	if strings.HasSuffix(c.Path(), ".xml") {
		return formatXML
	}
	return formatJSON
}

// open311Error is one entry of the specification's error list.
type open311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type open311Errors struct {
	XMLName xml.Name       `xml:"errors"`
	Errors  []open311Error `xml:"error"`
}

func (e open311Errors) list() any { return e.Errors }

// render writes v as XML (with the declaration the specification requires)
// or JSON in UTF-8.
func render(c *fiber.Ctx, status int, v any, format string) error {
	if format == formatXML {
		b, err := xml.Marshal(v)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
		return c.Status(status).Send(append([]byte(`<?xml version="1.0" encoding="utf-8"?>`+"\n"), b...))
	}
	var b []byte
	var err error
	if l, ok := v.(jsonList); ok {
		b, err = json.Marshal(l.list())
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
	return c.Status(status).Send(b)
}

// jsonList: XML documents whose JSON form is a bare array (the Spark
// convention drops the root element).
type jsonList interface{ list() any }

// Errors turns every error of the Open311 routes (including rate limits and
// unknown routes) into the specification's error format.
func (h *Open311) Errors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	status, list := h.describe(c, err)
	if status == fiber.StatusTooManyRequests && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		c.Set(fiber.HeaderRetryAfter, "60")
	}
	return render(c, status, open311Errors{Errors: list}, formatOf(c))
}

func (h *Open311) describe(c *fiber.Ctx, err error) (int, []open311Error) {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		out := make([]open311Error, len(ve.Fields))
		for i, f := range ve.Fields {
			out[i] = open311Error{Code: fiber.StatusBadRequest, Description: f.Field + ": " + i18n.T(i18n.Default, f.Code)}
		}
		return fiber.StatusBadRequest, out
	}
	p, known := problem.From(err)
	if !known {
		h.Log.ErrorContext(c.UserContext(), "open311 request failed", slog.String("request_id", middleware.RequestID(c)),
			slog.String("path", c.Path()), slog.Any("error", err))
		p.Detail = i18n.T(i18n.Default, "detail.internal", middleware.RequestID(c))
	}
	status := p.Status
	switch status {
	case fiber.StatusUnprocessableEntity, fiber.StatusConflict, fiber.StatusUnsupportedMediaType:
		// The specification knows 400 for every request it cannot process.
		status = fiber.StatusBadRequest
	case fiber.StatusUnauthorized:
		status = fiber.StatusForbidden
	}
	return status, []open311Error{{Code: status, Description: p.Detail}}
}

// NotFound answers unknown Open311 routes.
func (h *Open311) NotFound(c *fiber.Ctx) error {
	return problem.New(fiber.StatusNotFound, "not_found", "open311.route_not_found")
}

func (h *Open311) endpoint() string {
	base := "/open311/v2"
	if h.BaseURL != nil {
		base = strings.TrimRight(h.BaseURL.String(), "/") + base
	}
	return base
}

type discoveryEndpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

type discovery struct {
	XMLName    xml.Name            `json:"-" xml:"discovery"`
	Changeset  string              `json:"changeset" xml:"changeset"`
	Contact    string              `json:"contact" xml:"contact"`
	KeyService string              `json:"key_service" xml:"key_service"`
	Endpoints  []discoveryEndpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

// Discovery describes this endpoint (Open311 Service Discovery).
func (h *Open311) Discovery(c *fiber.Ctx) error {
	d := discovery{Changeset: h.Changeset, Contact: h.Contact,
		KeyService: i18n.T(i18n.Default, "open311.key_service", h.Contact),
		Endpoints: []discoveryEndpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: h.endpoint(),
			Changeset: h.Changeset, Type: "production", Formats: []string{"text/xml", "application/json"}}}}
	return render(c, fiber.StatusOK, d, formatOf(c))
}

type service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

type services struct {
	XMLName  xml.Name  `xml:"services"`
	Services []service `xml:"service"`
}

func (s services) list() any { return s.Services }

func serviceFrom(c defect.Category) service {
	return service{ServiceCode: c.Code, ServiceName: c.Name, Description: c.Description, Metadata: false,
		Type: "realtime", Keywords: c.Keywords, Group: c.Group}
}

// jurisdiction filters by procedure slug when the client names one.
func jurisdictionMatches(j, slug string) bool { return j == "" || j == slug }

// Services lists the service types (GET Service List).
func (h *Open311) Services(c *fiber.Ctx) error {
	cats, procs, err := h.Defects.Service.Services(c.UserContext())
	if err != nil {
		return err
	}
	j := c.Query("jurisdiction_id")
	out := services{Services: []service{}}
	known := j == ""
	for _, cat := range cats {
		if jurisdictionMatches(j, procs[cat.ProcedureID].Slug) {
			out.Services = append(out.Services, serviceFrom(cat))
		}
	}
	for _, p := range procs {
		known = known || p.Slug == j
	}
	if !known {
		return problem.New(fiber.StatusNotFound, "not_found", "open311.jurisdiction_not_found")
	}
	return render(c, fiber.StatusOK, out, formatOf(c))
}

type serviceDefinition struct {
	XMLName     xml.Name   `json:"-" xml:"service_definition"`
	ServiceCode string     `json:"service_code" xml:"service_code"`
	Attributes  attributes `json:"attributes" xml:"attributes"`
}

// attributes: no category has extra fields, so the list is always empty.
type attributes struct {
	Attribute []struct{} `xml:"attribute"`
}

func (attributes) MarshalJSON() ([]byte, error) { return []byte("[]"), nil }

// ServiceDefinition answers GET services/{code}.{format}.
func (h *Open311) ServiceDefinition(c *fiber.Ctx) error {
	code, _, ok := splitFormat(c.Params("file"))
	if !ok {
		return problem.New(fiber.StatusNotFound, "not_found", "open311.format_unknown")
	}
	cats, _, err := h.Defects.Service.Services(c.UserContext())
	if err != nil {
		return err
	}
	for _, cat := range cats {
		if cat.Code == code {
			return render(c, fiber.StatusOK, serviceDefinition{ServiceCode: cat.Code}, formatOf(c))
		}
	}
	return problem.New(fiber.StatusNotFound, "not_found", "open311.service_code_not_found")
}

// nullString is an optional text: JSON null and an empty XML element when empty.
type nullString string

func (s nullString) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(s))
}

type serviceRequest struct {
	XMLName           xml.Name   `json:"-" xml:"request"`
	ServiceRequestID  string     `json:"service_request_id" xml:"service_request_id"`
	Status            string     `json:"status" xml:"status"`
	StatusNotes       nullString `json:"status_notes" xml:"status_notes"`
	ServiceName       string     `json:"service_name" xml:"service_name"`
	ServiceCode       string     `json:"service_code" xml:"service_code"`
	Description       nullString `json:"description" xml:"description"`
	AgencyResponsible nullString `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     nullString `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string     `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string     `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  nullString `json:"expected_datetime" xml:"expected_datetime"`
	Address           nullString `json:"address" xml:"address"`
	AddressID         nullString `json:"address_id" xml:"address_id"`
	Zipcode           nullString `json:"zipcode" xml:"zipcode"`
	Lat               float64    `json:"lat" xml:"lat"`
	Long              float64    `json:"long" xml:"long"`
	MediaURL          nullString `json:"media_url" xml:"media_url"`
}

type serviceRequests struct {
	XMLName  xml.Name         `xml:"service_requests"`
	Requests []serviceRequest `xml:"request"`
}

func (s serviceRequests) list() any { return s.Requests }

// w3 formats an instant as the specification asks (W3C date-time with zone).
func w3(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z07:00") }

func open311Status(s defect.Status) string {
	if s.Closed() {
		return "closed"
	}
	return "open"
}

func (h *Open311) requestFrom(v appdefect.View) serviceRequest {
	r := v.Report
	out := serviceRequest{ServiceRequestID: r.PublicID, Status: open311Status(r.Status), StatusNotes: nullString(r.StatusNotes),
		ServiceName: v.Category.Name, ServiceCode: v.Category.Code, AgencyResponsible: nullString(v.Agency),
		RequestedDatetime: w3(r.CreatedAt), UpdatedDatetime: w3(r.UpdatedAt), Address: nullString(r.Address),
		Lat: r.Location.Lat, Long: r.Location.Lon}
	if r.TextHidden == "" {
		out.Description = nullString(r.Description)
	}
	for _, p := range r.Photos {
		if !p.Hidden() {
			out.MediaURL = nullString(h.Defects.PhotoURL(r.PublicID, p.ID, false))
			break
		}
	}
	if out.MediaURL == "" && r.TextHidden == "" {
		out.MediaURL = nullString(r.MediaURL)
	}
	return out
}

// maxSpan is the longest date range of GET Service Requests.
const maxSpan = 90 * 24 * time.Hour

// Requests answers GET requests.{format} with the specification's filters
// and two extensions: bbox=minLon,minLat,maxLon,maxLat and lat/long/radius
// (metres).
func (h *Open311) Requests(c *fiber.Ctx) error {
	var f defect.Filter
	var v domain.ValidationError
	if ids := splitList(c.Query("service_request_id")); len(ids) > 0 {
		f.IDs = ids // overrides every other argument
	} else {
		cats, procs, err := h.Defects.Service.Services(c.UserContext())
		if err != nil {
			return err
		}
		j := c.Query("jurisdiction_id")
		if j != "" {
			found := false
			for id, p := range procs {
				if p.Slug == j {
					f.ProcedureID, found = id, true
				}
			}
			if !found {
				return problem.New(fiber.StatusNotFound, "not_found", "open311.jurisdiction_not_found")
			}
		}
		for _, code := range splitList(c.Query("service_code")) {
			found := false
			for _, cat := range cats {
				if cat.Code == code {
					f.CategoryIDs, found = append(f.CategoryIDs, cat.ID), true
				}
			}
			if !found {
				return problem.New(fiber.StatusNotFound, "not_found", "open311.service_code_not_found")
			}
		}
		for _, s := range splitList(c.Query("status")) {
			switch s {
			case "open", "closed":
				for _, x := range defect.Statuses {
					if open311Status(x) == s {
						f.Statuses = append(f.Statuses, x)
					}
				}
			default:
				v.Add("status", "open311.status_invalid")
			}
		}
		for name, dst := range map[string]*time.Time{"start_date": &f.From, "end_date": &f.To} {
			if s := c.Query(name); s != "" {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil || !storable(t) {
					v.Add(name, "open311.date_invalid")
				}
				*dst = t
			}
		}
		switch {
		case f.From.IsZero() && f.To.IsZero():
			f.From = time.Now().Add(-maxSpan)
		case f.From.IsZero():
			f.From = f.To.Add(-maxSpan)
		case f.To.IsZero():
			f.To = f.From.Add(maxSpan)
		case f.To.Sub(f.From) > maxSpan:
			v.Add("end_date", "open311.span_too_long")
		}
		if len(v.Fields) == 0 && (!storable(f.From) || !storable(f.To)) {
			v.Add("start_date", "open311.date_invalid") // the span reaches beyond the year 1 or 9999
		}
		if b := c.Query("bbox"); b != "" {
			bb, err := geo.ParseBBox(b)
			if err != nil {
				return err
			}
			f.BBox = &bb
		} else if c.Query("lat") != "" || c.Query("long") != "" {
			bb, ok := radiusBox(c.Query("lat"), c.Query("long"), c.Query("radius"))
			if !ok {
				v.Add("lat", "open311.position_invalid")
			}
			f.BBox = &bb
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	// The specification has no paging: the newest 1000 answer (ListMap's page).
	page, err := h.Defects.Service.ListMap(c.UserContext(), "", f)
	if err != nil {
		return err
	}
	out := serviceRequests{Requests: []serviceRequest{}}
	for _, x := range page.Items {
		out.Requests = append(out.Requests, h.requestFrom(x))
	}
	return render(c, fiber.StatusOK, out, formatOf(c))
}

// radiusBox is the box around lat/long with radius metres (default 1000).
func radiusBox(latS, lonS, radiusS string) (geo.BBox, bool) {
	lat, err1 := strconv.ParseFloat(latS, 64)
	lon, err2 := strconv.ParseFloat(lonS, 64)
	r := 1000.0
	if radiusS != "" {
		var err error
		// Written so that NaN, which compares false, is refused too.
		if r, err = strconv.ParseFloat(radiusS, 64); err != nil || !(r > 0 && r <= 100_000) {
			return geo.BBox{}, false
		}
	}
	if err1 != nil || err2 != nil || !(math.Abs(lat) <= 89) || !(math.Abs(lon) <= 180) {
		return geo.BBox{}, false
	}
	dLat := r / 111_320
	dLon := r / (111_320 * math.Cos(lat*math.Pi/180))
	return geo.BBox{MinLon: max(-180, lon-dLon), MinLat: lat - dLat, MaxLon: min(180, lon+dLon), MaxLat: lat + dLat}, true
}

// Request answers GET requests/{id}.{format}.
func (h *Open311) Request(c *fiber.Ctx) error {
	id, _, ok := splitFormat(c.Params("file"))
	if !ok {
		return problem.New(fiber.StatusNotFound, "not_found", "open311.format_unknown")
	}
	v, err := h.Defects.Service.Get(c.UserContext(), nil, id)
	if err != nil {
		return err
	}
	v.Internal = false
	return render(c, fiber.StatusOK, serviceRequests{Requests: []serviceRequest{h.requestFrom(v)}}, formatOf(c))
}

type tokenResponse struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token" xml:"token"`
}

type tokenResponses struct {
	XMLName  xml.Name        `xml:"service_requests"`
	Requests []tokenResponse `xml:"request"`
}

func (t tokenResponses) list() any { return t.Requests }

// Token answers GET tokens/{token}.{format}: the request a submitter's token
// belongs to.
func (h *Open311) Token(c *fiber.Ctx) error {
	token, _, ok := splitFormat(c.Params("file"))
	if !ok {
		return problem.New(fiber.StatusNotFound, "not_found", "open311.format_unknown")
	}
	rep, err := h.Defects.Service.ByToken(c.UserContext(), token)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, tokenResponses{Requests: []tokenResponse{{ServiceRequestID: rep.PublicID, Token: strings.Clone(token)}}}, formatOf(c))
}

type postResponse struct {
	XMLName          xml.Name   `json:"-" xml:"request"`
	ServiceRequestID string     `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    nullString `json:"service_notice" xml:"service_notice"`
	AccountID        nullString `json:"account_id" xml:"account_id"`
}

type postResponses struct {
	XMLName  xml.Name       `xml:"service_requests"`
	Requests []postResponse `xml:"request"`
}

func (p postResponses) list() any { return p.Requests }

// APIKey returns the request's api_key (form field or query).
func APIKey(c *fiber.Ctx) string {
	if k := c.FormValue("api_key"); k != "" {
		return k
	}
	return c.Query("api_key")
}

// Create answers POST requests.{format}: a registered client reports a
// defect. Photos are not fetched from media_url; the link is kept as given.
func (h *Open311) Create(c *fiber.Ctx) error {
	key := strings.Clone(APIKey(c))
	if key == "" {
		return problem.New(fiber.StatusForbidden, "forbidden", "open311.api_key_missing")
	}
	client, err := h.Defects.Service.ClientByKey(c.UserContext(), key)
	if err != nil {
		return problem.New(fiber.StatusForbidden, "forbidden", "open311.api_key_invalid")
	}
	code := strings.Clone(c.FormValue("service_code"))
	if code == "" {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "service_code", Code: "open311.service_code_missing"}}}
	}
	if j := c.FormValue("jurisdiction_id"); j != "" {
		cats, procs, err := h.Defects.Service.Services(c.UserContext())
		if err != nil {
			return err
		}
		found := false
		for _, cat := range cats {
			found = found || (cat.Code == code && procs[cat.ProcedureID].Slug == j)
		}
		if !found {
			return problem.New(fiber.StatusNotFound, "not_found", "open311.jurisdiction_not_found")
		}
	}
	in := defect.Input{CategoryCode: code, Description: strings.Clone(c.FormValue("description")),
		Address: strings.Clone(c.FormValue("address_string")), Email: strings.Clone(c.FormValue("email")),
		MediaURL: strings.Clone(c.FormValue("media_url"))}
	latS, lonS := c.FormValue("lat"), c.FormValue("long")
	if latS != "" || lonS != "" {
		lat, err1 := strconv.ParseFloat(latS, 64)
		lon, err2 := strconv.ParseFloat(lonS, 64)
		if err1 != nil || err2 != nil {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "lat", Code: "open311.position_invalid"}}}
		}
		pt, err := geo.ParsePoint(lon, lat)
		if err != nil {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "lat", Code: "open311.position_invalid"}}}
		}
		in.Location = &pt
	}
	idemKey, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	rec, err := h.Defects.Service.Submit(c.UserContext(), nil, "", appdefect.Submission{Input: in, IdempotencyKey: idemKey,
		Source: defect.SourceOpen311, ClientID: client.ID})
	if errors.Is(err, defect.ErrCategoryNotFound) {
		return problem.New(fiber.StatusNotFound, "not_found", "open311.service_code_not_found")
	}
	if err != nil {
		return err
	}
	notice := i18n.T(i18n.Default, "open311.service_notice")
	return render(c, fiber.StatusOK, postResponses{Requests: []postResponse{{ServiceRequestID: rec.Report.PublicID,
		ServiceNotice: nullString(notice)}}}, formatOf(c))
}

// CORS lets map applications in browsers read the public Open311 data.
func CORS(c *fiber.Ctx) error {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	if c.Method() == fiber.MethodOptions {
		c.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST")
		c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type, Idempotency-Key")
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Next()
}
