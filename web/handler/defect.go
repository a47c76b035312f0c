package handler

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	appdefect "beteiligungsportal/app/defect"
	"beteiligungsportal/app/i18n"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/defect"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
	"beteiligungsportal/web/request"
)

// Defects serves defect reports (Mängelmelder): submission, the public map
// and list, the agency's workflow and moderation, and Open311 API keys.
type Defects struct {
	Service   *appdefect.Service
	Validator *request.Validator
	BaseURL   *url.URL
}

type categoryRequest struct {
	Code        string `json:"code" validate:"required,max=40"`
	Name        string `json:"name" validate:"required,max=200"`
	Description string `json:"description" validate:"max=2000"`
	Group       string `json:"group" validate:"max=300"`
	Unit        string `json:"unit" validate:"max=300"`
	Keywords    string `json:"keywords" validate:"max=300"`
	Active      *bool  `json:"active"`
	Position    int    `json:"position"`
}

type categoryResponse struct {
	ID          string `json:"id"`
	Code        string `json:"code"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Group       string `json:"group"`
	Unit        string `json:"unit,omitempty"`
	Keywords    string `json:"keywords"`
	Active      bool   `json:"active"`
	Position    int    `json:"position"`
}

func categoryFrom(c defect.Category, staff bool) categoryResponse {
	out := categoryResponse{ID: c.ID.String(), Code: c.Code, Name: c.Name, Description: c.Description, Group: c.Group,
		Keywords: c.Keywords, Active: c.Active, Position: c.Position}
	if staff {
		out.Unit = c.Unit
	}
	return out
}

// Categories lists a defect-reporting procedure's categories.
func (h *Defects) Categories(c *fiber.Ctx) error {
	p := optionalPrincipal(c)
	pr, cats, err := h.Service.Categories(c.UserContext(), p, strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	staff := p != nil && p.CanSeeInternals(pr.OrganisationID)
	out := make([]categoryResponse, len(cats))
	for i, cat := range cats {
		out[i] = categoryFrom(cat, staff)
	}
	return c.JSON(fiber.Map{"items": out})
}

// SaveCategory creates (POST) or changes (PUT …/:category) a category.
func (h *Defects) SaveCategory(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	var id uuid.UUID
	if c.Params("category") != "" {
		if id, err = request.ID(c, "category"); err != nil {
			return err
		}
	}
	var req categoryRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	active := req.Active == nil || *req.Active
	cat, err := h.Service.SaveCategory(c.UserContext(), p, strings.Clone(c.Params("id")), id, defect.CategoryInput{
		Code: req.Code, Name: req.Name, Description: req.Description, Group: req.Group, Unit: req.Unit,
		Keywords: req.Keywords, Active: active, Position: req.Position})
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if id == uuid.Nil {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(categoryFrom(cat, true))
}

type defectRequest struct {
	CategoryID string          `json:"category_id" validate:"required,uuid"`
	Text       string          `json:"description" validate:"max=20000"`
	Location   json.RawMessage `json:"location"`
	Address    string          `json:"address" validate:"max=1000"`
	Email      string          `json:"email" validate:"max=254"`
	// Website is a trap for bots, as for statements.
	Website string `json:"website"`
}

func (r defectRequest) input() (defect.Input, error) {
	in := defect.Input{CategoryID: uuid.MustParse(r.CategoryID), Description: r.Text, Address: r.Address, Email: r.Email}
	if strings.TrimSpace(r.Website) != "" {
		return in, &domain.ValidationError{Fields: []domain.FieldError{{Field: "website", Code: "defect.honeypot"}}}
	}
	if len(r.Location) > 0 && string(r.Location) != "null" {
		a, err := geo.ParseArea(r.Location)
		if err != nil || a.Kind() != geo.KindPoint {
			return in, &domain.ValidationError{Fields: []domain.FieldError{{Field: "location", Code: "defect.location_invalid"}}}
		}
		pt := a.Point()
		in.Location = &pt
	}
	return in, nil
}

// decode reads a report as JSON or as multipart/form-data with the JSON in
// the field "report" and the photos in "photos".
func (h *Defects) decode(c *fiber.Ctx, into any) ([]appdefect.Upload, func(), error) {
	files, done, err := h.Validator.JSONWithFiles(c, "report", "photos", into)
	ups := make([]appdefect.Upload, len(files))
	for i, f := range files {
		ups[i] = appdefect.Upload{FileName: f.Name, Size: f.Size, Content: f.Content}
	}
	return ups, done, err
}

type defectReceiptResponse struct {
	defectResponse
	Token string `json:"token"`
}

// Submit receives a report.
func (h *Defects) Submit(c *fiber.Ctx) error {
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	var req defectRequest
	ups, done, err := h.decode(c, &req)
	defer done()
	if err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	rec, err := h.Service.Submit(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("id")),
		appdefect.Submission{Input: in, Photos: ups, IdempotencyKey: key, Source: defect.SourceWeb})
	if err != nil {
		return err
	}
	if rec.Replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	v, err := h.Service.Get(c.UserContext(), nil, rec.Report.PublicID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(defectReceiptResponse{defectResponse: h.reportFrom(v), Token: rec.Token})
}

type photoDTO struct {
	ID           string `json:"id"`
	ContentType  string `json:"content_type"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	Size         int64  `json:"size"`
	URL          string `json:"url"`
	PreviewURL   string `json:"preview_url"`
	Hidden       bool   `json:"hidden"`
	HiddenReason string `json:"hidden_reason,omitempty"`
}

type eventDTO struct {
	At            time.Time `json:"at"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	PublicComment string    `json:"public_comment"`
	InternalNote  *string   `json:"internal_note,omitempty"`
	DuplicateOf   string    `json:"duplicate_of,omitempty"`
	ForwardedTo   string    `json:"forwarded_to,omitempty"`
}

type defectResponse struct {
	ID            string     `json:"id"`
	ProcedureID   string     `json:"procedure_id"`
	ProcedureSlug string     `json:"procedure_slug"`
	Category      string     `json:"category"`
	CategoryID    string     `json:"category_id"`
	CategoryCode  string     `json:"category_code"`
	Description   *string    `json:"description"`
	TextHidden    bool       `json:"text_hidden"`
	Location      geo.Point  `json:"-"`
	Lon           float64    `json:"lon"`
	Lat           float64    `json:"lat"`
	Address       string     `json:"address"`
	Status        string     `json:"status"`
	StatusNotes   string     `json:"status_notes"`
	Agency        string     `json:"agency"`
	DuplicateOf   string     `json:"duplicate_of,omitempty"`
	Supporters    int        `json:"supporters"`
	Photos        []photoDTO `json:"photos"`
	History       []eventDTO `json:"history,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Version       int        `json:"version"`
	// Staff only.
	Internal *defectInternal `json:"internal,omitempty"`
}

type defectInternal struct {
	Description   string `json:"description"`
	TextHidden    string `json:"text_hidden_reason"`
	Email         string `json:"email"`
	Unit          string `json:"unit"`
	ForwardedTo   string `json:"forwarded_to,omitempty"`
	Organisation  string `json:"organisation_id"`
	Source        string `json:"source"`
	ExternalMedia string `json:"media_url,omitempty"`
}

// PhotoURL is where a report's photo is served.
func (h *Defects) PhotoURL(publicID string, id uuid.UUID, preview bool) string {
	u := "/api/v1/defects/" + url.PathEscape(publicID) + "/photos/" + id.String()
	if preview {
		u += "/preview"
	}
	if h.BaseURL != nil {
		return strings.TrimRight(h.BaseURL.String(), "/") + u
	}
	return u
}

func (h *Defects) reportFrom(v appdefect.View) defectResponse {
	r := v.Report
	out := defectResponse{ID: r.PublicID, ProcedureID: r.ProcedureID.String(), ProcedureSlug: v.Procedure.Slug,
		Category: v.Category.Name, CategoryID: r.CategoryID.String(), CategoryCode: v.Category.Code,
		TextHidden: r.TextHidden != "", Lon: r.Location.Lon, Lat: r.Location.Lat, Address: r.Address,
		Status: string(r.Status), StatusNotes: r.StatusNotes, Agency: v.Agency, Supporters: r.Supporters,
		DuplicateOf: v.DuplicateOf, Photos: []photoDTO{}, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version}
	if r.TextHidden == "" || v.Internal {
		d := r.Description
		out.Description = &d
	}
	for _, p := range r.Photos {
		if p.Hidden() && !v.Internal {
			continue
		}
		d := photoDTO{ID: p.ID.String(), ContentType: p.ContentType, Width: p.Width, Height: p.Height, Size: p.Size,
			URL: h.PhotoURL(r.PublicID, p.ID, false), PreviewURL: h.PhotoURL(r.PublicID, p.ID, true), Hidden: p.Hidden()}
		if v.Internal {
			d.HiddenReason = p.HiddenReason
		}
		out.Photos = append(out.Photos, d)
	}
	for _, e := range v.Events {
		d := eventDTO{At: e.At, From: string(e.From), To: string(e.To), PublicComment: e.PublicComment,
			DuplicateOf: v.Originals[e.DuplicateOf]}
		if v.Internal {
			note := e.InternalNote
			d.InternalNote = &note
			if e.ForwardedTo != uuid.Nil {
				d.ForwardedTo = e.ForwardedTo.String()
			}
		}
		out.History = append(out.History, d)
	}
	if v.Internal {
		in := &defectInternal{Description: r.Description, TextHidden: r.TextHidden, Email: r.Email, Unit: v.Category.Unit,
			Organisation: r.OrganisationID.String(), Source: string(r.Source), ExternalMedia: r.MediaURL}
		if r.ForwardedTo != uuid.Nil {
			in.ForwardedTo = r.ForwardedTo.String()
		}
		out.Internal = in
	}
	return out
}

// Get returns a report with its status history.
func (h *Defects) Get(c *fiber.Ctx) error {
	v, err := h.Service.Get(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("ref")))
	if err != nil {
		return err
	}
	return c.JSON(h.reportFrom(v))
}

// parseDefectFilter reads category, status, bbox, from, to and the page
// (limit up to maxLimit, cursor) and reports every bad one.
func parseDefectFilter(c *fiber.Ctx, maxLimit int) (defect.Filter, error) {
	var f defect.Filter
	var v domain.ValidationError
	for _, s := range splitList(c.Query("category")) {
		id, err := uuid.Parse(s)
		if err != nil {
			v.Add("category", "defect.filter_invalid")
			continue
		}
		f.CategoryIDs = append(f.CategoryIDs, id)
	}
	for _, s := range splitList(c.Query("status")) {
		st := defect.Status(s)
		switch {
		case s == "open":
			for _, x := range defect.Statuses {
				if !x.Closed() {
					f.Statuses = append(f.Statuses, x)
				}
			}
		case s == "closed":
			for _, x := range defect.Statuses {
				if x.Closed() {
					f.Statuses = append(f.Statuses, x)
				}
			}
		case st.Valid():
			f.Statuses = append(f.Statuses, st)
		default:
			v.Add("status", "defect.filter_invalid")
		}
	}
	if b := c.Query("bbox"); b != "" {
		bb, err := geo.ParseBBox(b)
		if err != nil {
			return f, err
		}
		f.BBox = &bb
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		s := c.Query(name)
		if s == "" {
			continue
		}
		t, err := parseDateOrTime(s, name == "to")
		if err != nil {
			v.Add(name, "defect.filter_invalid")
			continue
		}
		*dst = t
	}
	limitOK := true
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			limitOK = false
		}
		f.Limit = n
	}
	f.Cursor = strings.Clone(c.Query("cursor"))
	if len(v.Fields) == 0 && limitOK {
		return f, nil
	}
	p := problem.New(fiber.StatusUnprocessableEntity, "validation", "detail.validation")
	for _, fe := range v.Fields {
		p.Fields = append(p.Fields, problem.FieldProblem{Field: fe.Field, Code: fe.Code, Message: problemText(fe.Code)})
	}
	if !limitOK {
		p.Fields = append(p.Fields, problem.FieldProblem{Field: "limit", Code: "query.limit_max",
			Message: i18n.T(i18n.Default, "query.limit_max", maxLimit)})
	}
	return f, p
}

// errTimeRange refuses an instant outside the years 1 to 9999.
var errTimeRange = errors.New("time outside the years 1 to 9999")

// storable reports whether t lies in the years 1 to 9999 (UTC): PostgreSQL
// has no year 0 and JSON (RFC 3339) no year 10000, so other instants would
// fail in the database or in the response with a 500.
func storable(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// parseDateOrTime reads RFC 3339 or a date (YYYY-MM-DD, German time; "to"
// dates include the whole day), in the years 1 to 9999.
func parseDateOrTime(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if !storable(t) {
			return time.Time{}, errTimeRange
		}
		return t, nil
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.UTC
	}
	d, err := time.ParseInLocation("2006-01-02", s, berlin)
	if err != nil {
		return time.Time{}, err
	}
	if end {
		d = d.AddDate(0, 0, 1).Add(-time.Microsecond)
	}
	if !storable(d) {
		return time.Time{}, errTimeRange
	}
	return d, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// List returns a page of a procedure's reports as JSON.
func (h *Defects) List(c *fiber.Ctx) error {
	f, err := parseDefectFilter(c, appdefect.MaxPage)
	if err != nil {
		return err
	}
	page, err := h.Service.List(c.UserContext(), strings.Clone(c.Params("id")), f)
	if err != nil {
		return err
	}
	return c.JSON(h.listFrom(page))
}

// ListForOrganisation returns a page of the reports an organisation runs or
// received.
func (h *Defects) ListForOrganisation(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	org, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	f, err := parseDefectFilter(c, appdefect.MaxPage)
	if err != nil {
		return err
	}
	page, err := h.Service.ListForOrganisation(c.UserContext(), p, org, f)
	if err != nil {
		return err
	}
	return c.JSON(h.listFrom(page))
}

func (h *Defects) listFrom(page appdefect.Page) list[defectResponse] {
	out := list[defectResponse]{Items: make([]defectResponse, len(page.Items)), NextCursor: page.NextCursor}
	for i, v := range page.Items {
		out.Items[i] = h.reportFrom(v)
	}
	return out
}

// GeoJSON returns a procedure's reports as a GeoJSON FeatureCollection for
// the map: pages of up to 1000 features, the newest first, with the paging
// of the list; next_cursor (a foreign member) tells that more reports match
// than the page holds.
func (h *Defects) GeoJSON(c *fiber.Ctx) error {
	f, err := parseDefectFilter(c, appdefect.MaxMapPage)
	if err != nil {
		return err
	}
	page, err := h.Service.ListMap(c.UserContext(), strings.Clone(c.Params("id")), f)
	if err != nil {
		return err
	}
	type feature struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	features := make([]feature, len(page.Items))
	for i, v := range page.Items {
		r := h.reportFrom(v)
		props := map[string]any{"id": r.ID, "category": r.Category, "category_id": r.CategoryID, "status": r.Status,
			"status_notes": r.StatusNotes, "address": r.Address, "supporters": r.Supporters, "created_at": r.CreatedAt,
			"description": r.Description, "url": "/api/v1/defects/" + r.ID}
		if len(r.Photos) > 0 {
			props["preview_url"] = r.Photos[0].PreviewURL
		}
		features[i] = feature{Type: "Feature", ID: r.ID,
			Geometry:   map[string]any{"type": "Point", "coordinates": []float64{r.Lon, r.Lat}},
			Properties: props}
	}
	c.Set(fiber.HeaderContentType, "application/geo+json")
	out := map[string]any{"type": "FeatureCollection", "features": features}
	if page.NextCursor != "" {
		out["next_cursor"] = page.NextCursor
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return c.Send(body)
}

type changeDefectRequest struct {
	Status        string `json:"status" validate:"required,max=40"`
	PublicComment string `json:"public_comment" validate:"max=4000"`
	InternalNote  string `json:"internal_note" validate:"max=4000"`
	DuplicateOf   string `json:"duplicate_of" validate:"max=40"`
	ForwardTo     string `json:"forward_to" validate:"omitempty,uuid"`
	Version       int    `json:"version"`
}

// ChangeStatus moves a report in the workflow.
func (h *Defects) ChangeStatus(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	var req changeDefectRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	ch := defect.Change{To: defect.Status(req.Status), PublicComment: req.PublicComment, InternalNote: req.InternalNote,
		ForwardTo: optUUID(req.ForwardTo), Version: req.Version}
	v, err := h.Service.Change(c.UserContext(), p, strings.Clone(c.Params("ref")), ch, req.DuplicateOf)
	if err != nil {
		return err
	}
	return c.JSON(h.reportFrom(v))
}

type moderationRequest struct {
	TextReason *string `json:"text_hidden_reason" validate:"omitempty,max=500"`
	Photos     []struct {
		ID     string `json:"id" validate:"required,uuid"`
		Reason string `json:"hidden_reason" validate:"max=500"`
	} `json:"photos" validate:"max=20,dive"`
}

// Moderate hides or shows text and photos.
func (h *Defects) Moderate(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	var req moderationRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	m := defect.Moderation{TextReason: req.TextReason, Photos: map[uuid.UUID]string{}}
	for _, ph := range req.Photos {
		m.Photos[uuid.MustParse(ph.ID)] = ph.Reason
	}
	v, err := h.Service.Moderate(c.UserContext(), p, strings.Clone(c.Params("ref")), m)
	if err != nil {
		return err
	}
	return c.JSON(h.reportFrom(v))
}

// Support adds a "me too", once per report and client address.
func (h *Defects) Support(c *fiber.Ctx) error {
	n, err := h.Service.Support(c.UserContext(), strings.Clone(c.Params("ref")), strings.Clone(c.IP()))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"supporters": n})
}

type unsubscribeRequest struct {
	Token string `json:"token" validate:"required,max=60"`
}

// Unsubscribe removes the submitter's e-mail address, given the token.
func (h *Defects) Unsubscribe(c *fiber.Ctx) error {
	var req unsubscribeRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	if err := h.Service.Unsubscribe(c.UserContext(), strings.Clone(c.Params("ref")), req.Token); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Photo serves a cleaned photo or its preview.
func (h *Defects) Photo(c *fiber.Ctx) error {
	id, err := request.ID(c, "photo")
	if err != nil {
		return err
	}
	preview := strings.HasSuffix(c.Path(), "/preview")
	p := optionalPrincipal(c)
	ctx, cancel := downloadContext(c)
	ph, rd, obj, err := h.Service.PhotoFile(ctx, p, strings.Clone(c.Params("ref")), id, preview)
	if err != nil {
		cancel()
		return err
	}
	ct := ph.ContentType
	if preview {
		ct = ph.PreviewType
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set("X-Content-Type-Options", "nosniff")
	if ph.Hidden() {
		c.Set(fiber.HeaderCacheControl, "private, no-store")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	sendStream(c, rd, obj.Size, cancel)
	return nil
}

type keyRequest struct {
	Name string `json:"name" validate:"required,max=200"`
}

type clientDTO struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	APIKey    string     `json:"api_key,omitempty"`
}

func clientFrom(cl defect.Client, key string) clientDTO {
	d := clientDTO{ID: cl.ID.String(), Name: cl.Name, CreatedAt: cl.CreatedAt, APIKey: key}
	if !cl.RevokedAt.IsZero() {
		t := cl.RevokedAt
		d.RevokedAt = &t
	}
	return d
}

// IssueKey creates an Open311 API key (instance admins).
func (h *Defects) IssueKey(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	var req keyRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	cl, key, err := h.Service.IssueKey(c.UserContext(), p, req.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(clientFrom(cl, key))
}

// Keys lists the Open311 clients (instance admins).
func (h *Defects) Keys(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	list, err := h.Service.Clients(c.UserContext(), p)
	if err != nil {
		return err
	}
	out := make([]clientDTO, len(list))
	for i, cl := range list {
		out[i] = clientFrom(cl, "")
	}
	return c.JSON(fiber.Map{"items": out})
}

// RevokeKey ends an Open311 client's access (instance admins).
func (h *Defects) RevokeKey(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "client")
	if err != nil {
		return err
	}
	if err := h.Service.RevokeKey(c.UserContext(), p, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
