package handler

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"beteiligungsportal/app/i18n"
	appstmt "beteiligungsportal/app/statement"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/domain/statement"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
	"beteiligungsportal/web/request"
)

// Statements serves submission, receipts and the agency's weighing.
type Statements struct {
	Service   *appstmt.Service
	Validator *request.Validator
	// PrivacyURL is where the privacy notice is published.
	PrivacyURL string
}

type submitterDTO struct {
	Name    string `json:"name" validate:"max=200"`
	Address string `json:"address" validate:"max=500"`
	Email   string `json:"email" validate:"max=254"`
}

type statementRequest struct {
	PhaseID        string          `json:"phase_id" validate:"omitempty,uuid"`
	OnBehalfOf     string          `json:"on_behalf_of" validate:"omitempty,uuid"`
	Text           string          `json:"text" validate:"required,max=50000"`
	DocumentID     string          `json:"document_id" validate:"omitempty,uuid"`
	Section        string          `json:"section" validate:"max=200"`
	Location       json.RawMessage `json:"location"`
	Submitter      submitterDTO    `json:"submitter"`
	PrivacyConsent string          `json:"privacy_consent" validate:"max=100"`
	// Website is a trap for bots: the form hides it from people (and from
	// screen readers), so only a program fills it in.
	Website string `json:"website"`
}

func optUUID(s string) uuid.UUID {
	if s == "" {
		return uuid.Nil
	}
	return uuid.MustParse(s) // validated by the tags
}

func (r statementRequest) input() (statement.Input, error) {
	in := statement.Input{PhaseID: optUUID(r.PhaseID), OnBehalfOf: optUUID(r.OnBehalfOf), Text: r.Text,
		DocumentID: optUUID(r.DocumentID), Section: r.Section, PrivacyVersion: r.PrivacyConsent,
		Submitter: statement.Submitter(r.Submitter)}
	if strings.TrimSpace(r.Website) != "" {
		return in, &domain.ValidationError{Fields: []domain.FieldError{{Field: "website", Code: "statement.honeypot"}}}
	}
	if len(r.Location) > 0 && string(r.Location) != "null" {
		a, err := geo.ParseArea(r.Location)
		if err != nil || a.Kind() != geo.KindPoint {
			return in, &domain.ValidationError{Fields: []domain.FieldError{{Field: "location", Code: "statement.location_invalid"}}}
		}
		pt := a.Point()
		in.Location = &pt
	}
	return in, nil
}

type attachmentDTO struct {
	ID          string `json:"id"`
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

type warningDTO struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type receiptResponse struct {
	ID              string          `json:"id"`
	Number          string          `json:"number"`
	Token           string          `json:"token"`
	ProcedureID     string          `json:"procedure_id"`
	PhaseID         string          `json:"phase_id"`
	ReceivedAt      time.Time       `json:"received_at"`
	ReceivedAtLocal string          `json:"received_at_local"`
	Digest          string          `json:"digest"`
	Timely          bool            `json:"timely"`
	Attachments     []attachmentDTO `json:"attachments"`
	Warnings        []warningDTO    `json:"warnings"`
}

func attachmentsFrom(list []statement.Attachment) []attachmentDTO {
	out := make([]attachmentDTO, len(list))
	for i, a := range list {
		out[i] = attachmentDTO{ID: a.ID.String(), FileName: a.FileName, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256}
	}
	return out
}

func receiptFrom(r appstmt.Receipt) receiptResponse {
	st := r.Statement
	out := receiptResponse{ID: st.ID.String(), Number: st.Number, Token: r.Token, ProcedureID: st.ProcedureID.String(),
		PhaseID: st.PhaseID.String(), ReceivedAt: st.ReceivedAt, ReceivedAtLocal: appstmt.BerlinTime(st.ReceivedAt),
		Digest: st.Digest, Timely: st.Timely, Attachments: attachmentsFrom(st.Attachments), Warnings: []warningDTO{}}
	if st.OutsideArea {
		out.Warnings = append(out.Warnings, warningDTO{"statement.outside_area", i18n.T(i18n.Default, "statement.outside_area")})
	}
	return out
}

// decodeStatement reads a statement as JSON or as multipart/form-data with
// the JSON in the field "statement" and files in "attachments".
func (h *Statements) decodeStatement(c *fiber.Ctx, into any) ([]appstmt.Upload, func(), error) {
	files, done, err := h.Validator.JSONWithFiles(c, "statement", "attachments", into)
	ups := make([]appstmt.Upload, len(files))
	for i, f := range files {
		ups[i] = appstmt.Upload{FileName: f.Name, Size: f.Size, Content: f.Content}
	}
	return ups, done, err
}

// Submit receives a statement during an open phase.
func (h *Statements) Submit(c *fiber.Ctx) error {
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	var req statementRequest
	files, done, err := h.decodeStatement(c, &req)
	defer done()
	if err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	rec, err := h.Service.Submit(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("id")),
		appstmt.Submission{Input: in, Files: files, IdempotencyKey: key})
	if err != nil {
		return err
	}
	if rec.Replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	return c.Status(fiber.StatusCreated).JSON(receiptFrom(rec))
}

type receiptRequest struct {
	Number string `json:"number" validate:"required,max=40"`
	Token  string `json:"token" validate:"required,max=60"`
}

type receiptStatusResponse struct {
	Number          string     `json:"number"`
	ReceivedAt      time.Time  `json:"received_at"`
	ReceivedAtLocal string     `json:"received_at_local"`
	Digest          string     `json:"digest"`
	ProcedureID     string     `json:"procedure_id"`
	ProcedureTitle  string     `json:"procedure_title"`
	Withdrawn       bool       `json:"withdrawn"`
	WithdrawnAt     *time.Time `json:"withdrawn_at"`
}

func receiptStatusFrom(s appstmt.ReceiptStatus) receiptStatusResponse {
	return receiptStatusResponse{Number: s.Number, ReceivedAt: s.ReceivedAt, ReceivedAtLocal: appstmt.BerlinTime(s.ReceivedAt),
		Digest: s.Digest, ProcedureID: s.ProcedureID, ProcedureTitle: s.ProcedureTitle, Withdrawn: s.Withdrawn,
		WithdrawnAt: optTime(s.WithdrawnAt)}
}

// CheckReceipt confirms a receipt (number and token) without revealing
// personal data. POST keeps the token out of URLs and logs.
func (h *Statements) CheckReceipt(c *fiber.Ctx) error {
	var req receiptRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	st, err := h.Service.Check(c.UserContext(), req.Number, req.Token)
	if err != nil {
		return err
	}
	return c.JSON(receiptStatusFrom(st))
}

// Withdraw takes a statement back while its phase is open.
func (h *Statements) Withdraw(c *fiber.Ctx) error {
	var req receiptRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	st, err := h.Service.Withdraw(c.UserContext(), req.Number, req.Token)
	if err != nil {
		return err
	}
	return c.JSON(receiptStatusFrom(st))
}

// PrivacyNotice names the privacy notice version submitters consent to.
func (h *Statements) PrivacyNotice(c *fiber.Ctx) error {
	return publicJSON(c, map[string]string{"version": h.Service.PrivacyVersion(), "url": h.PrivacyURL})
}

type statementResponse struct {
	ID            string          `json:"id"`
	Number        string          `json:"number"`
	ProcedureID   string          `json:"procedure_id"`
	PhaseID       string          `json:"phase_id"`
	Channel       string          `json:"channel"`
	Kind          string          `json:"kind"`
	OnBehalfOf    *string         `json:"on_behalf_of"`
	Submitter     submitterDTO    `json:"submitter"`
	Pseudonym     string          `json:"pseudonym"`
	Pseudonymised bool            `json:"pseudonymised"`
	Text          string          `json:"text"`
	DocumentID    *string         `json:"document_id"`
	Section       string          `json:"section"`
	Location      json.RawMessage `json:"location"`
	OutsideArea   bool            `json:"outside_area"`
	Attachments   []attachmentDTO `json:"attachments"`
	Digest        string          `json:"digest"`
	ReceivedAt    time.Time       `json:"received_at"`
	Timely        bool            `json:"timely"`
	WithdrawnAt   *time.Time      `json:"withdrawn_at"`
	Status        string          `json:"status"`
	Topics        []string        `json:"topics"`
	Answer        string          `json:"answer"`
	Decision      *string         `json:"decision"`
	Priority      *string         `json:"priority"`
	GroupID       *string         `json:"group_id"`
	Version       int             `json:"version"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func statementFrom(v appstmt.View) statementResponse {
	r := statementResponse{ID: v.ID.String(), Number: v.Number, ProcedureID: v.ProcedureID.String(), PhaseID: v.PhaseID.String(),
		Channel: string(v.Channel), Kind: string(v.Kind), OnBehalfOf: optID(v.OnBehalfOf), Submitter: submitterDTO(v.Submitter),
		Pseudonym: v.Pseudonym, Pseudonymised: v.Pseudonymised, Text: v.Text, DocumentID: optID(v.DocumentID),
		Section: v.Section, Location: json.RawMessage("null"), OutsideArea: v.OutsideArea,
		Attachments: attachmentsFrom(v.Attachments), Digest: v.Digest, ReceivedAt: v.ReceivedAt, Timely: v.Timely,
		WithdrawnAt: optTime(v.WithdrawnAt), Status: string(v.Status), Topics: v.Topics, Answer: v.Answer,
		Decision: optString(string(v.Decision)), Priority: optString(v.Priority), GroupID: optID(v.GroupID), Version: v.Version}
	if v.Location != nil {
		if a, err := geo.NewPointArea(*v.Location); err == nil {
			r.Location = a.MarshalGeoJSON()
		}
	}
	if r.Topics == nil {
		r.Topics = []string{}
	}
	return r
}

// List serves the agency's list of a procedure's statements.
func (h *Statements) List(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	f, err := parseStatementFilter(c)
	if err != nil {
		return err
	}
	f.ProcedureID = id
	views, next, err := h.Service.List(c.UserContext(), p, f)
	if err != nil {
		return err
	}
	out := list[statementResponse]{Items: make([]statementResponse, len(views)), NextCursor: next}
	for i, v := range views {
		out.Items[i] = statementFrom(v)
	}
	return c.JSON(out)
}

func parseStatementFilter(c *fiber.Ctx) (statement.Filter, error) {
	var f statement.Filter
	var fields []problem.FieldProblem
	bad := func(field, code string) {
		fields = append(fields, problem.FieldProblem{Field: field, Code: code, Message: problemText(code)})
	}
	if v := c.Query("phase"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			bad("phase", "query.uuid")
		}
		f.PhaseID = id
	}
	if v := c.Query("group"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			bad("group", "query.uuid")
		}
		f.GroupID = id
	}
	switch v := statement.Status(c.Query("status")); v {
	case "", statement.StatusReceived, statement.StatusInReview, statement.StatusWeighed, statement.StatusResultSent:
		f.Status = v
	default:
		bad("status", "statement.status_invalid")
	}
	switch v := statement.SubmitterKind(c.Query("submitter_kind")); v {
	case "", statement.SubmitterCitizen, statement.SubmitterPublicBody:
		f.Kind = v
	default:
		bad("submitter_kind", "statement.kind_invalid")
	}
	if v := statement.Channel(c.Query("channel")); v != "" {
		if !v.Valid() {
			bad("channel", "statement.channel_invalid")
		}
		f.Channel = v
	}
	boolParam := func(name string) *bool {
		switch c.Query(name) {
		case "":
			return nil
		case "true":
			t := true
			return &t
		case "false":
			f := false
			return &f
		}
		bad(name, "query.bool")
		return nil
	}
	f.HasAttachments, f.Timely, f.Withdrawn = boolParam("has_attachments"), boolParam("timely"), boolParam("withdrawn")
	f.Topic = strings.Clone(c.Query("topic"))
	f.Text = strings.Clone(c.Query("q"))
	for name, v := range map[string]string{"q": f.Text, "topic": f.Topic} {
		switch {
		case len([]rune(v)) > 200 || (name == "topic" && len([]rune(v)) > 100):
			bad(name, "too_long")
		case !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl):
			bad(name, "query.text_invalid")
		}
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > appstmt.MaxPage {
			bad("limit", "query.limit")
		}
		f.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("cursor", "query.cursor")
		}
		f.AfterSeq = n
	}
	if len(fields) > 0 {
		return f, &problem.Error{Status: fiber.StatusUnprocessableEntity, Slug: "validation",
			Detail: problemText("detail.validation"), Fields: fields}
	}
	return f, nil
}

func (h *Statements) ids(c *fiber.Ctx) (uuid.UUID, uuid.UUID, error) {
	id, err := request.ID(c, "id")
	if err != nil {
		return id, uuid.Nil, err
	}
	sid, err := request.ID(c, "statement")
	return id, sid, err
}

// Get serves one statement to the agency.
func (h *Statements) Get(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, sid, err := h.ids(c)
	if err != nil {
		return err
	}
	v, err := h.Service.Get(c.UserContext(), p, id, sid)
	if err != nil {
		return err
	}
	return c.JSON(statementFrom(v))
}

type changeRequest struct {
	Version   int       `json:"version" validate:"min=0"`
	Status    *string   `json:"status"`
	Topics    *[]string `json:"topics" validate:"omitempty,max=20,dive,max=100"`
	AddTopics []string  `json:"add_topics" validate:"max=20,dive,max=100"`
	Answer    *string   `json:"answer" validate:"omitempty,max=20000"`
	Decision  *string   `json:"decision"`
	Priority  *string   `json:"priority"`
}

func (r changeRequest) change() statement.Change {
	c := statement.Change{Topics: r.Topics, AddTopics: r.AddTopics, Answer: r.Answer, Priority: r.Priority}
	if r.Status != nil {
		s := statement.Status(*r.Status)
		c.Status = &s
	}
	if r.Decision != nil {
		d := statement.Decision(*r.Decision)
		c.Decision = &d
	}
	return c
}

// Weigh changes the weighing of one statement.
func (h *Statements) Weigh(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, sid, err := h.ids(c)
	if err != nil {
		return err
	}
	var req changeRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	v, err := h.Service.Weigh(c.UserContext(), p, id, sid, req.Version, req.change())
	if err != nil {
		return err
	}
	return c.JSON(statementFrom(v))
}

type bulkRequest struct {
	IDs    []string      `json:"ids" validate:"required,min=1,max=1000,dive,uuid"`
	Change changeRequest `json:"change"`
}

// WeighMany applies one change to several statements.
func (h *Statements) WeighMany(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var req bulkRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(req.IDs))
	for i, s := range req.IDs {
		ids[i] = uuid.MustParse(s)
	}
	views, err := h.Service.WeighMany(c.UserContext(), p, id, ids, req.Change.change())
	if err != nil {
		return err
	}
	out := list[statementResponse]{Items: make([]statementResponse, len(views))}
	for i, v := range views {
		out.Items[i] = statementFrom(v)
	}
	return c.JSON(out)
}

type groupDTO struct {
	ID           string   `json:"id"`
	StatementIDs []string `json:"statement_ids"`
}

// DetectGroups finds mass statements and records their groups.
func (h *Statements) DetectGroups(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	groups, err := h.Service.DetectGroups(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	out := list[groupDTO]{Items: []groupDTO{}}
	for _, g := range groups {
		d := groupDTO{ID: g[0].String()}
		for _, x := range g {
			d.StatementIDs = append(d.StatementIDs, x.String())
		}
		out.Items = append(out.Items, d)
	}
	return c.JSON(out)
}

type manualRequest struct {
	statementRequest
	Channel    string `json:"channel" validate:"required,oneof=letter email fax in_person"`
	ReceivedAt string `json:"received_at" validate:"required"`
}

// Record enters a statement that arrived by letter, e-mail, fax or in person.
func (h *Statements) Record(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var req manualRequest
	files, done, err := h.decodeStatement(c, &req)
	defer done()
	if err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	at, err := parseReceivedAt(req.ReceivedAt)
	if err != nil {
		return err
	}
	rec, err := h.Service.Record(c.UserContext(), p, id, appstmt.Manual{Channel: statement.Channel(req.Channel),
		ReceivedAt: at, PhaseID: in.PhaseID, Input: in, Files: files})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(receiptFrom(rec))
}

// parseReceivedAt reads an instant (RFC 3339) or a Berlin wall-clock time
// ("2026-11-23T09:30" or "2026-11-23 09:30"), as staff type a letter's date
// of receipt.
func parseReceivedAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil && storable(t) {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, procedure.Berlin); err == nil && storable(t) {
			return t, nil
		}
	}
	return time.Time{}, &domain.ValidationError{Fields: []domain.FieldError{{Field: "received_at", Code: "statement.received_at_invalid"}}}
}

// DownloadAttachment sends a statement's attachment to the agency's staff.
func (h *Statements) DownloadAttachment(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, sid, err := h.ids(c)
	if err != nil {
		return err
	}
	attID, err := request.ID(c, "attachment")
	if err != nil {
		return err
	}
	ctx, cancel := downloadContext(c)
	att, rd, err := h.Service.OpenAttachment(ctx, p, id, sid, attID)
	if err != nil {
		cancel()
		return err
	}
	c.Set(fiber.HeaderContentType, att.ContentType)
	c.Set(fiber.HeaderETag, `"`+att.SHA256+`"`)
	c.Set(fiber.HeaderContentDisposition, contentDispositionFor("attachment", att.FileName))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	sendStream(c, rd, att.Size, cancel)
	return nil
}
