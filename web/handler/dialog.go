package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	appdialog "beteiligungsportal/app/dialog"
	"beteiligungsportal/domain"
	"beteiligungsportal/domain/dialog"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/web/export"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// DialogTokenHeader carries a participant's key from the e-mail confirmation.
const DialogTokenHeader = "X-Dialog-Token"

// Dialogs serves dialog procedures: settings, participation, threads,
// support, reports, moderation and the export.
type Dialogs struct {
	Service   *appdialog.Service
	Validator *request.Validator
	BaseURL   *url.URL
}

func caller(c *fiber.Ctx) appdialog.Caller {
	return appdialog.Caller{Principal: optionalPrincipal(c), Token: strings.Clone(c.Get(DialogTokenHeader))}
}

type topicDTO struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type dialogResponse struct {
	ProcedureID        string     `json:"procedure_id"`
	ProcedureSlug      string     `json:"procedure_slug"`
	Title              string     `json:"title"`
	Open               bool       `json:"open"`
	Identity           string     `json:"identity"`
	Moderation         string     `json:"moderation"`
	Netiquette         string     `json:"netiquette"`
	Topics             []topicDTO `json:"topics"`
	MaxDepth           int        `json:"max_depth"`
	Summary            *string    `json:"summary"`
	SummaryPublishedAt *time.Time `json:"summary_published_at"`
	CanModerate        bool       `json:"can_moderate"`
}

func dialogFrom(v appdialog.View) dialogResponse {
	set := v.Settings
	out := dialogResponse{ProcedureID: v.Procedure.ID.String(), ProcedureSlug: v.Procedure.Slug, Title: v.Procedure.Title,
		Open: v.Open, Identity: string(set.Identity), Moderation: string(set.Moderation), Netiquette: set.Netiquette,
		Topics: []topicDTO{}, MaxDepth: dialog.MaxDepth, CanModerate: v.Moderator}
	for _, t := range set.Topics {
		out.Topics = append(out.Topics, topicDTO{ID: t.ID.String(), Name: t.Name})
	}
	if !set.SummaryPublishedAt.IsZero() || v.Staff && set.Summary != "" {
		s := set.Summary
		out.Summary = &s
	}
	if !set.SummaryPublishedAt.IsZero() {
		at := set.SummaryPublishedAt
		out.SummaryPublishedAt = &at
	}
	return out
}

// Get returns a dialog's settings, netiquette, topics and published summary.
func (h *Dialogs) Get(c *fiber.Ctx) error {
	v, err := h.Service.Get(c.UserContext(), optionalPrincipal(c), strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(dialogFrom(v))
}

type dialogSettingsRequest struct {
	Identity   string   `json:"identity" validate:"required,oneof=account email"`
	Moderation string   `json:"moderation" validate:"required,oneof=pre post"`
	Netiquette string   `json:"netiquette" validate:"max=20000"`
	Topics     []string `json:"topics" validate:"max=30"`
}

// Configure saves the agency's settings.
func (h *Dialogs) Configure(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	var req dialogSettingsRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	v, err := h.Service.Configure(c.UserContext(), p, strings.Clone(c.Params("id")), dialog.SettingsInput{
		Identity: dialog.Identity(req.Identity), Moderation: dialog.Moderation(req.Moderation), Netiquette: req.Netiquette,
		Topics: req.Topics})
	if err != nil {
		return err
	}
	return c.JSON(dialogFrom(v))
}

type summaryRequest struct {
	Summary string `json:"summary" validate:"max=50000"`
	Publish bool   `json:"publish"`
}

// Summary saves, publishes or withdraws the summary of the results.
func (h *Dialogs) Summary(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	var req summaryRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	v, err := h.Service.SetSummary(c.UserContext(), p, strings.Clone(c.Params("id")), req.Summary, req.Publish)
	if err != nil {
		return err
	}
	return c.JSON(dialogFrom(v))
}

type participantRequest struct {
	Email     string `json:"email" validate:"required,max=254"`
	Pseudonym string `json:"pseudonym" validate:"max=40"`
	// Website is a trap for bots, as for statements.
	Website string `json:"website"`
}

// RequestConfirmation starts the e-mail double opt-in.
func (h *Dialogs) RequestConfirmation(c *fiber.Ctx) error {
	var req participantRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Website) != "" {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "website", Code: "dialog.honeypot"}}}
	}
	if err := h.Service.RequestConfirmation(c.UserContext(), strings.Clone(c.Params("id")), req.Email, req.Pseudonym); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "confirmation_sent",
		"detail": problemText("dialog.confirmation_sent")})
}

type confirmRequest struct {
	Code string `json:"code" validate:"required,max=64"`
}

type sessionResponse struct {
	Token       string `json:"token"`
	Pseudonym   string `json:"pseudonym"`
	ProcedureID string `json:"procedure_id"`
	Header      string `json:"header"`
}

// Confirm completes the double opt-in and hands out the participant's key.
func (h *Dialogs) Confirm(c *fiber.Ctx) error {
	var req confirmRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	s, err := h.Service.Confirm(c.UserContext(), req.Code)
	if err != nil {
		return err
	}
	return c.JSON(sessionResponse{Token: s.Token, Pseudonym: s.Participant.Pseudonym,
		ProcedureID: s.Participant.ProcedureID.String(), Header: DialogTokenHeader})
}

type contributionRequest struct {
	ParentID  string          `json:"parent_id" validate:"omitempty,uuid"`
	TopicID   string          `json:"topic_id" validate:"omitempty,uuid"`
	Title     string          `json:"title" validate:"max=1000"`
	Body      string          `json:"body" validate:"max=50000"`
	Location  json.RawMessage `json:"location"`
	Pseudonym string          `json:"pseudonym" validate:"max=40"`
	Website   string          `json:"website"`
}

func (r contributionRequest) input() (dialog.Input, error) {
	var in dialog.Input
	if strings.TrimSpace(r.Website) != "" {
		return in, &domain.ValidationError{Fields: []domain.FieldError{{Field: "website", Code: "dialog.honeypot"}}}
	}
	in.Title, in.Body = r.Title, r.Body
	if r.ParentID != "" {
		in.ParentID = uuid.MustParse(r.ParentID)
	}
	if r.TopicID != "" {
		in.TopicID = uuid.MustParse(r.TopicID)
	}
	if len(r.Location) > 0 && string(r.Location) != "null" {
		a, err := geo.ParseArea(r.Location)
		if err != nil || a.Kind() != geo.KindPoint {
			return in, &domain.ValidationError{Fields: []domain.FieldError{{Field: "location", Code: "dialog.location_invalid"}}}
		}
		pt := a.Point()
		in.Location = &pt
	}
	return in, nil
}

type fileDTO struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
}

type contributionResponse struct {
	ID           string     `json:"id"`
	ProcedureID  string     `json:"procedure_id"`
	ParentID     *string    `json:"parent_id"`
	RootID       string     `json:"root_id"`
	Depth        int        `json:"depth"`
	Author       string     `json:"author"`
	AgencyAnswer bool       `json:"agency_answer"`
	Official     bool       `json:"official"`
	Topic        *topicDTO  `json:"topic"`
	Title        *string    `json:"title"`
	Body         *string    `json:"body"`
	State        string     `json:"state"`
	Notice       string     `json:"notice,omitempty"`
	HiddenReason string     `json:"hidden_reason,omitempty"`
	Location     *geo.Point `json:"-"`
	Lon          *float64   `json:"lon,omitempty"`
	Lat          *float64   `json:"lat,omitempty"`
	File         *fileDTO   `json:"file"`
	Supporters   int        `json:"supporters"`
	Replies      *int       `json:"replies,omitempty"`
	Supported    bool       `json:"supported"`
	Own          bool       `json:"own"`
	Closed       bool       `json:"closed"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	ClosedReason string     `json:"closed_reason,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// contributionFrom renders c for a reader; moderator readers see hidden and
// pending texts.
func (h *Dialogs) contributionFrom(c dialog.Contribution, agency string, supported, own, moderator bool) contributionResponse {
	out := contributionResponse{ID: c.ID.String(), ProcedureID: c.ProcedureID.String(), RootID: c.RootID.String(),
		Depth: c.Depth, Author: c.Pseudonym, AgencyAnswer: c.AgencyAuthor != uuid.Nil, Official: c.Official,
		State: string(c.State), Supporters: c.Supporters, Supported: supported, Own: own, Closed: !c.ClosedAt.IsZero(),
		ClosedReason: c.ClosedReason, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if out.AgencyAnswer {
		out.Author = agency
		if out.Author == "" {
			out.Author = problemText("dialog.agency")
		}
	}
	if c.ParentID != uuid.Nil {
		p := c.ParentID.String()
		out.ParentID = &p
	} else {
		n := c.Replies
		out.Replies = &n
	}
	if !c.ClosedAt.IsZero() {
		at := c.ClosedAt
		out.ClosedAt = &at
	}
	if c.TopicID != uuid.Nil {
		out.Topic = &topicDTO{ID: c.TopicID.String(), Name: c.TopicName}
	}
	switch c.State {
	case dialog.StateHidden:
		out.Notice, out.HiddenReason = problemText("dialog.notice_hidden"), c.HiddenReason
	case dialog.StateDeleted:
		out.Notice = problemText("dialog.notice_deleted")
	case dialog.StatePending:
		out.Notice = problemText("dialog.notice_pending")
	}
	visible := c.State == dialog.StatePublished || moderator && c.State != dialog.StateDeleted || own && c.State == dialog.StatePending
	if visible {
		title, body := c.Title, c.Body
		if c.IsRoot() {
			out.Title = &title
		}
		out.Body = &body
		if c.Location != nil {
			lon, lat := c.Location.Lon, c.Location.Lat
			out.Lon, out.Lat = &lon, &lat
		}
		if a := c.Attachment; a != nil {
			out.File = &fileDTO{Name: a.FileName, ContentType: a.ContentType, Size: a.Size, URL: h.fileURL(c.ID)}
		}
	}
	return out
}

func (h *Dialogs) fileURL(id uuid.UUID) string {
	u := "/api/v1/dialog/contributions/" + id.String() + "/file"
	if h.BaseURL != nil {
		return strings.TrimRight(h.BaseURL.String(), "/") + u
	}
	return u
}

// Contribute starts a thread or replies, as JSON or as multipart/form-data
// with the JSON in "contribution" and one file in "file".
func (h *Dialogs) Contribute(c *fiber.Ctx) error {
	var req contributionRequest
	files, done, err := h.Validator.JSONWithFiles(c, "contribution", "file", &req)
	defer done()
	if err != nil {
		return err
	}
	if len(files) > 1 {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "file", Code: "dialog.one_file"}}}
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	sub := appdialog.Contribution{Input: in, Pseudonym: req.Pseudonym}
	if len(files) == 1 {
		sub.File = &appdialog.Upload{FileName: files[0].Name, Size: files[0].Size, Content: files[0].Content}
	}
	ct, err := h.Service.Contribute(c.UserContext(), caller(c), strings.Clone(c.Params("id")), sub)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/dialog/contributions/"+ct.ID.String(), h.contributionFrom(ct, "", false, true, false))
}

// Threads lists a dialog's published threads (sort newest, supported,
// discussed; topic; cursor paging).
func (h *Dialogs) Threads(c *fiber.Ctx) error {
	var v domain.ValidationError
	f := dialog.Filter{Sort: dialog.Sort(c.Query("sort", "newest")), Cursor: strings.Clone(c.Query("cursor"))}
	if !f.Sort.Valid() {
		v.Add("sort", "dialog.sort_invalid")
	}
	if t := c.Query("topic"); t != "" {
		id, err := uuid.Parse(t)
		if err != nil {
			v.Add("topic", "dialog.topic_not_found")
		}
		f.TopicID = id
	}
	if l := c.Query("limit"); l != "" {
		n := c.QueryInt("limit", -1)
		if n < 1 || n > appdialog.MaxPage {
			v.Add("limit", "dialog.limit_invalid")
		}
		f.Limit = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	res, err := h.Service.Threads(c.UserContext(), caller(c), strings.Clone(c.Params("id")), f)
	if err != nil {
		return err
	}
	out := list[contributionResponse]{Items: make([]contributionResponse, len(res.Page.Items)), NextCursor: res.Page.NextCursor}
	for i, it := range res.Page.Items {
		out.Items[i] = h.contributionFrom(it, "", res.Supported[it.ID], false, false)
	}
	return c.JSON(out)
}

type threadResponse struct {
	Items []contributionResponse `json:"items"`
}

// Thread returns the whole thread of a contribution, oldest first; each
// item names its parent.
func (h *Dialogs) Thread(c *fiber.Ctx) error {
	id, err := request.ID(c, "contribution")
	if err != nil {
		return err
	}
	v, err := h.Service.Thread(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	out := threadResponse{Items: make([]contributionResponse, len(v.Items))}
	for i, it := range v.Items {
		out.Items[i] = h.contributionFrom(it, v.Agency, v.Supported[it.ID], v.Own[it.ID], v.Moderator)
	}
	return c.JSON(out)
}

// Delete removes the caller's own contribution.
func (h *Dialogs) Delete(c *fiber.Ctx) error {
	id, err := request.ID(c, "contribution")
	if err != nil {
		return err
	}
	removed, err := h.Service.Delete(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	if removed {
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.JSON(fiber.Map{"state": string(dialog.StateDeleted), "notice": problemText("dialog.notice_deleted")})
}

// Support adds (PUT) or withdraws (DELETE) the caller's support.
func (h *Dialogs) Support(c *fiber.Ctx) error {
	id, err := request.ID(c, "contribution")
	if err != nil {
		return err
	}
	on := c.Method() == fiber.MethodPut
	n, err := h.Service.Support(c.UserContext(), caller(c), id, on)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"supporters": n, "supported": on})
}

type reportRequest struct {
	Reason string `json:"reason" validate:"required,max=40"`
	Note   string `json:"note" validate:"max=5000"`
}

// Report queues a report of a contribution for the moderators.
func (h *Dialogs) Report(c *fiber.Ctx) error {
	id, err := request.ID(c, "contribution")
	if err != nil {
		return err
	}
	var req reportRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	who := c.IP()
	if p := optionalPrincipal(c); p != nil {
		who = "account:" + p.Account.ID.String()
	} else if t := c.Get(DialogTokenHeader); t != "" {
		who = "token:" + t
	}
	if err := h.Service.Report(c.UserContext(), id, dialog.ReportReason(req.Reason), req.Note, strings.Clone(who)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "reported", "detail": problemText("dialog.reported")})
}

type dialogModerationRequest struct {
	Action string `json:"action" validate:"required,max=40"`
	Reason string `json:"reason" validate:"max=2000"`
}

// Moderate applies a moderator's action.
func (h *Dialogs) Moderate(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "contribution")
	if err != nil {
		return err
	}
	var req dialogModerationRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	ct, err := h.Service.Moderate(c.UserContext(), p, id, dialog.Action(req.Action), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(h.contributionFrom(ct, "", false, false, true))
}

type answerRequest struct {
	Body string `json:"body" validate:"required,max=50000"`
}

// Answer adds the agency's official answer to a contribution.
func (h *Dialogs) Answer(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "contribution")
	if err != nil {
		return err
	}
	var req answerRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	ct, err := h.Service.Answer(c.UserContext(), p, id, req.Body)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/dialog/contributions/"+ct.ID.String(), h.contributionFrom(ct, "", false, false, true))
}

type reportResponse struct {
	ID             string     `json:"id"`
	ContributionID string     `json:"contribution_id"`
	Reason         string     `json:"reason"`
	Note           string     `json:"note"`
	CreatedAt      time.Time  `json:"created_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	Resolution     string     `json:"resolution,omitempty"`
}

func reportFrom(r dialog.Report) reportResponse {
	out := reportResponse{ID: r.ID.String(), ContributionID: r.ContributionID.String(), Reason: string(r.Reason), Note: r.Note,
		CreatedAt: r.CreatedAt, Resolution: r.Resolution}
	if !r.ResolvedAt.IsZero() {
		at := r.ResolvedAt
		out.ResolvedAt = &at
	}
	return out
}

// Queue returns what waits for the moderators: pending contributions and
// open reports (?all=true: every report).
func (h *Dialogs) Queue(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	q, err := h.Service.Queue(c.UserContext(), p, strings.Clone(c.Params("id")), c.QueryBool("all"))
	if err != nil {
		return err
	}
	out := struct {
		Pending []contributionResponse `json:"pending"`
		Reports []reportResponse       `json:"reports"`
	}{Pending: make([]contributionResponse, len(q.Pending)), Reports: make([]reportResponse, len(q.Reports))}
	for i, it := range q.Pending {
		out.Pending[i] = h.contributionFrom(it, "", false, false, true)
	}
	for i, r := range q.Reports {
		out.Reports[i] = reportFrom(r)
	}
	return c.JSON(out)
}

type resolveRequest struct {
	Resolution string `json:"resolution" validate:"required,oneof=dismissed handled"`
}

// ResolveReport closes a report.
func (h *Dialogs) ResolveReport(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "report")
	if err != nil {
		return err
	}
	var req resolveRequest
	if err := h.Validator.JSON(c, &req); err != nil {
		return err
	}
	r, err := h.Service.ResolveReport(c.UserContext(), p, id, req.Resolution)
	if err != nil {
		return err
	}
	return c.JSON(reportFrom(r))
}

// File sends a contribution's file.
func (h *Dialogs) File(c *fiber.Ctx) error {
	id, err := request.ID(c, "contribution")
	if err != nil {
		return err
	}
	ctx, cancel := downloadContext(c)
	a, rd, obj, err := h.Service.File(ctx, optionalPrincipal(c), id)
	if err != nil {
		cancel()
		return err
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf("inline; filename*=UTF-8''%s", url.PathEscape(a.FileName)))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	sendStream(c, rd, obj.Size, cancel)
	return nil
}

// ExportCSV sends every contribution as CSV, streamed while read.
func (h *Dialogs) ExportCSV(c *fiber.Ctx) error { return h.export(c, "csv") }

// ExportXLSX sends every contribution as an Excel workbook.
func (h *Dialogs) ExportXLSX(c *fiber.Ctx) error { return h.export(c, "xlsx") }

func (h *Dialogs) export(c *fiber.Ctx, format string) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	ctx, cancel := exportContext(c)
	e, err := h.Service.Export(ctx, p, id)
	if err != nil {
		cancel()
		return err
	}
	log := slog.Default().With(slog.String("procedure_id", id.String()), slog.String("export", "dialog"))
	return sendTable(ctx, cancel, c, newDialogTable(e), format, log)
}

// dialogTable is one row per contribution, thread by thread.
type dialogTable struct {
	e    *appdialog.Export
	vals []any
}

var dialogColumns = []struct {
	key   string
	width float64
	wrap  bool
}{
	{"dialog.export_col_id", 38, false}, {"dialog.export_col_thread", 38, false}, {"dialog.export_col_parent", 38, false},
	{"dialog.export_col_depth", 7, false}, {"dialog.export_col_created", 17, false}, {"dialog.export_col_author", 20, false},
	{"dialog.export_col_topic", 18, false}, {"dialog.export_col_title", 30, true}, {"dialog.export_col_body", 60, true},
	{"dialog.export_col_supporters", 10, false}, {"dialog.export_col_replies", 10, false}, {"dialog.export_col_state", 14, false},
	{"dialog.export_col_reason", 30, true}, {"dialog.export_col_official", 10, false}, {"dialog.export_col_closed", 17, false},
	{"dialog.export_col_lon", 11, false}, {"dialog.export_col_lat", 11, false}, {"dialog.export_col_file", 24, false},
}

func newDialogTable(e *appdialog.Export) *dialogTable {
	return &dialogTable{e: e, vals: make([]any, len(dialogColumns))}
}

func (t *dialogTable) columns() []export.Column {
	cols := make([]export.Column, len(dialogColumns))
	for i, c := range dialogColumns {
		cols[i] = export.Column{Heading: problemText(c.key), Width: c.width, Wrap: c.wrap}
	}
	return cols
}

func (t *dialogTable) meta() export.Meta {
	asOf := problemText("dialog.export_as_of") + " " + t.e.At.In(procedure.Berlin).Format("02.01.2006, 15:04")
	return export.Meta{Title: problemText("dialog.export_title") + ": " + t.e.Procedure.Title, Subtitle: asOf,
		Sheet: problemText("dialog.export_sheet"), Creator: "Beteiligungsportal", Created: t.e.At,
		PageLabel: problemText("statement.export_page"), Truncated: problemText("survey.export_truncated")}
}

func (t *dialogTable) fileName() string {
	name := t.e.Procedure.Slug
	if name == "" {
		name = t.e.Procedure.ID.String()
	}
	return fmt.Sprintf("dialog-%s-%s", name, t.e.At.In(procedure.Berlin).Format("2006-01-02"))
}

var stateKeys = map[dialog.State]string{
	dialog.StatePending: "dialog.state_pending", dialog.StatePublished: "dialog.state_published",
	dialog.StateHidden: "dialog.state_hidden", dialog.StateDeleted: "dialog.state_deleted",
}

func (t *dialogTable) rows(ctx context.Context, each func([]any) error) (int, error) {
	return t.e.Rows(ctx, func(c dialog.Contribution) error {
		v := t.vals
		v[0], v[1] = c.ID.String(), c.RootID.String()
		v[2] = ""
		if c.ParentID != uuid.Nil {
			v[2] = c.ParentID.String()
		}
		v[3], v[4] = c.Depth, c.CreatedAt.In(procedure.Berlin)
		v[5] = c.Pseudonym
		if c.AgencyAuthor != uuid.Nil {
			v[5] = t.e.Agency
		}
		v[6], v[7], v[8] = c.TopicName, c.Title, c.Body
		v[9] = c.Supporters
		v[10] = ""
		if c.IsRoot() {
			v[10] = c.Replies
		}
		v[11] = problemText(stateKeys[c.State])
		v[12] = c.HiddenReason
		v[13] = ""
		if c.Official {
			v[13] = problemText("dialog.export_yes")
		}
		v[14] = time.Time{}
		if !c.ClosedAt.IsZero() {
			v[14] = c.ClosedAt.In(procedure.Berlin)
		}
		v[15], v[16] = "", ""
		if c.Location != nil {
			v[15], v[16] = c.Location.Lon, c.Location.Lat
		}
		v[17] = ""
		if c.Attachment != nil {
			v[17] = c.Attachment.FileName
		}
		return each(v)
	})
}
