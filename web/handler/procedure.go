package handler

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"beteiligungsportal/app/i18n"
	appproc "beteiligungsportal/app/procedure"
	appstmt "beteiligungsportal/app/statement"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/domain/geo"
	"beteiligungsportal/domain/procedure"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
	"beteiligungsportal/web/request"
)

// Procedures serves participation procedures: the agency's API and the public
// catalogue.
type Procedures struct {
	Service    *appproc.Service
	Statements *appstmt.Service // for the counts of the detail view
	Validator  *request.Validator
}

type procedureContactDTO struct {
	Name    string `json:"name" validate:"max=300"`
	Email   string `json:"email" validate:"omitempty,email,max=254"`
	Phone   string `json:"phone" validate:"max=300"`
	Address string `json:"address" validate:"max=300"`
}

type procedureRequest struct {
	Type        string              `json:"type" validate:"required"`
	Subtype     string              `json:"subtype" validate:"required"`
	Slug        string              `json:"slug" validate:"max=80"`
	Title       string              `json:"title" validate:"required,max=300"`
	Summary     string              `json:"summary" validate:"required,max=1000"`
	Description string              `json:"description" validate:"max=100000"`
	LegalBasis  string              `json:"legal_basis" validate:"max=2000"`
	Contact     procedureContactDTO `json:"contact"`
	AGS         string              `json:"ags" validate:"omitempty,len=8,numeric"`
	Area        json.RawMessage     `json:"area"`
	// StatementFields: omitted keeps the current setting.
	StatementFields *statementFieldsDTO `json:"statement_fields"`
}

// statementFieldsDTO says which personal data statements carry: required,
// optional or not_asked.
type statementFieldsDTO struct {
	Name    string `json:"name" validate:"required,oneof=required optional not_asked"`
	Address string `json:"address" validate:"required,oneof=required optional not_asked"`
	Email   string `json:"email" validate:"required,oneof=required optional not_asked"`
}

func (r procedureRequest) input() procedure.Input {
	in := procedure.Input{Type: procedure.Type(r.Type), Subtype: procedure.Subtype(r.Subtype), Slug: r.Slug,
		Title: r.Title, Summary: r.Summary, Description: r.Description, LegalBasis: r.LegalBasis,
		Contact: procedure.Contact(r.Contact), AGS: r.AGS}
	if len(r.Area) > 0 && string(r.Area) != "null" {
		in.AreaGeoJSON = []byte(r.Area)
	}
	if f := r.StatementFields; f != nil {
		in.StatementFields = procedure.StatementFields{Name: procedure.FieldRule(f.Name),
			Address: procedure.FieldRule(f.Address), Email: procedure.FieldRule(f.Email)}
	}
	return in
}

type phaseRequest struct {
	Kind          string   `json:"kind" validate:"required"`
	Audience      string   `json:"audience" validate:"required,oneof=public invited"`
	Title         string   `json:"title" validate:"max=300"`
	Start         string   `json:"start" validate:"required,datetime=2006-01-02"`
	End           *string  `json:"end" validate:"omitempty,datetime=2006-01-02"`
	AnnouncedOn   *string  `json:"announced_on" validate:"omitempty,datetime=2006-01-02"`
	InvitedBodies []string `json:"invited_bodies" validate:"max=200,dive,uuid"`
	Reason        string   `json:"reason" validate:"max=2000"`
}

func (r phaseRequest) input(id uuid.UUID) procedure.PhaseInput {
	ph := procedure.Phase{ID: id, Kind: procedure.PhaseKind(r.Kind), Audience: procedure.Audience(r.Audience), Title: r.Title}
	ph.Period.Start, _ = procedure.ParseDate(r.Start) // validated above
	if r.End != nil {
		ph.Period.End, _ = procedure.ParseDate(*r.End)
	}
	if r.AnnouncedOn != nil {
		ph.AnnouncedOn, _ = procedure.ParseDate(*r.AnnouncedOn)
	}
	for _, b := range r.InvitedBodies {
		ph.InvitedBodies = append(ph.InvitedBodies, uuid.MustParse(b))
	}
	return procedure.PhaseInput{Phase: ph, Reason: r.Reason}
}

type reasonRequest struct {
	Reason string `json:"reason" validate:"required,max=2000"`
}

type resultRequest struct {
	Result string `json:"result" validate:"required,max=100000"`
}

type phaseResponse struct {
	ID            string   `json:"id"`
	Kind          string   `json:"kind"`
	Audience      string   `json:"audience"`
	Title         string   `json:"title"`
	Start         string   `json:"start"`
	End           *string  `json:"end"`
	AnnouncedOn   *string  `json:"announced_on"`
	InvitedBodies []string `json:"invited_bodies"`
	Open          bool     `json:"open"`
}

type periodChangeResponse struct {
	PhaseID string    `json:"phase_id"`
	OldEnd  *string   `json:"old_end"`
	NewEnd  *string   `json:"new_end"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

type procedureResponse struct {
	ID              string                 `json:"id"`
	Slug            string                 `json:"slug"`
	OrganisationID  string                 `json:"organisation_id"`
	Type            string                 `json:"type"`
	Subtype         string                 `json:"subtype"`
	Status          string                 `json:"status"`
	Title           string                 `json:"title"`
	Summary         string                 `json:"summary"`
	Description     string                 `json:"description"`
	LegalBasis      string                 `json:"legal_basis"`
	Contact         procedureContactDTO    `json:"contact"`
	AGS             *string                `json:"ags"`
	Area            json.RawMessage        `json:"area"`
	NextDeadline    *string                `json:"next_deadline"`
	StatementFields statementFieldsDTO     `json:"statement_fields"`
	Phases          []phaseResponse        `json:"phases"`
	PeriodChanges   []periodChangeResponse `json:"period_changes,omitempty"`
	PublishedAt     *time.Time             `json:"published_at"`
	ClosedAt        *time.Time             `json:"closed_at"`
	ClosedReason    string                 `json:"closed_reason,omitempty"`
	ConcludedAt     *time.Time             `json:"concluded_at"`
	Result          string                 `json:"result,omitempty"`
	ArchivedAt      *time.Time             `json:"archived_at"`
	CreatedAt       time.Time              `json:"created_at"`
	UpdatedAt       time.Time              `json:"updated_at"`
	Version         int                    `json:"version"`
	// Detail views only: documents (current ones in order, then superseded
	// versions) and counts.
	Documents *[]documentResponse `json:"documents,omitempty"`
	Counts    *procedureCounts    `json:"counts,omitempty"`
}

type procedureCounts struct {
	Documents  int `json:"documents"`  // current documents
	Statements int `json:"statements"` // received, withdrawn ones included
}

func optDate(d procedure.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func procedureFrom(p procedure.Procedure, now time.Time, detail bool) procedureResponse {
	r := procedureResponse{
		ID: p.ID.String(), Slug: p.Slug, OrganisationID: p.OrganisationID.String(), Type: string(p.Type),
		Subtype: string(p.Subtype), Status: string(p.Status(now)), Title: p.Title, Summary: p.Summary,
		Description: p.Description, LegalBasis: p.LegalBasis, Contact: procedureContactDTO(p.Contact),
		Area: json.RawMessage("null"), NextDeadline: optDate(p.NextDeadline(now)), Phases: []phaseResponse{},
		StatementFields: statementFieldsDTO{Name: string(p.StatementFields.Name), Address: string(p.StatementFields.Address),
			Email: string(p.StatementFields.Email)},
		PublishedAt: optTime(p.PublishedAt), ClosedAt: optTime(p.ClosedAt), ClosedReason: p.ClosedReason,
		ConcludedAt: optTime(p.ConcludedAt), Result: p.Result, ArchivedAt: optTime(p.ArchivedAt),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Version: p.Version,
	}
	if p.AGS != "" {
		r.AGS = &p.AGS
	}
	if len(p.AreaGeoJSON) > 0 {
		r.Area = json.RawMessage(p.AreaGeoJSON)
	}
	open := map[uuid.UUID]bool{}
	for _, ph := range p.OpenPhases(now) {
		open[ph.ID] = true
	}
	for _, ph := range p.Phases {
		pr := phaseResponse{ID: ph.ID.String(), Kind: string(ph.Kind), Audience: string(ph.Audience), Title: ph.Title,
			Start: ph.Period.Start.String(), End: optDate(ph.Period.End), AnnouncedOn: optDate(ph.AnnouncedOn),
			InvitedBodies: []string{}, Open: open[ph.ID]}
		for _, b := range ph.InvitedBodies {
			pr.InvitedBodies = append(pr.InvitedBodies, b.String())
		}
		r.Phases = append(r.Phases, pr)
	}
	if detail {
		for _, c := range p.PeriodChanges {
			r.PeriodChanges = append(r.PeriodChanges, periodChangeResponse{PhaseID: c.PhaseID.String(),
				OldEnd: optDate(c.OldEnd), NewEnd: optDate(c.NewEnd), Reason: c.Reason, At: c.At})
		}
	}
	return r
}

// Create starts a draft procedure of the organisation in the path.
func (h *Procedures) Create(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	orgID, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var in procedureRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	pr, err := h.Service.Create(c.UserContext(), p, orgID, in.input())
	if err != nil {
		return err
	}
	return created(c, "/api/v1/procedures/"+pr.ID.String(), procedureFrom(pr, h.Service.Now(), true))
}

// ListOwn lists the organisation's procedures, drafts included, for its staff.
func (h *Procedures) ListOwn(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	orgID, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	all, err := h.Service.ListOwn(c.UserContext(), p, orgID)
	if err != nil {
		return err
	}
	now := h.Service.Now()
	out := list[procedureResponse]{Items: make([]procedureResponse, len(all))}
	for i, pr := range all {
		out.Items[i] = procedureFrom(pr, now, false)
	}
	return c.JSON(out)
}

// Update changes a procedure's texts.
func (h *Procedures) Update(c *fiber.Ctx) error {
	return h.act(c, func(p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
		var in procedureRequest
		if err := h.Validator.JSON(c, &in); err != nil {
			return procedure.Procedure{}, err
		}
		return h.Service.Update(c.UserContext(), p, id, in.input())
	})
}

// AddPhase schedules a new phase.
func (h *Procedures) AddPhase(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var in phaseRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	pr, ph, err := h.Service.SetPhase(c.UserContext(), p, id, in.input(uuid.Nil))
	if err != nil {
		return err
	}
	return created(c, "/api/v1/procedures/"+pr.ID.String()+"/phases/"+ph.ID.String(), procedureFrom(pr, h.Service.Now(), true))
}

// UpdatePhase changes a phase; shortening or reopening needs a reason.
func (h *Procedures) UpdatePhase(c *fiber.Ctx) error {
	return h.act(c, func(p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
		phaseID, err := request.ID(c, "phase")
		if err != nil {
			return procedure.Procedure{}, err
		}
		var in phaseRequest
		if err := h.Validator.JSON(c, &in); err != nil {
			return procedure.Procedure{}, err
		}
		pr, _, err := h.Service.SetPhase(c.UserContext(), p, id, in.input(phaseID))
		return pr, err
	})
}

// RemovePhase deletes a phase that has not started.
func (h *Procedures) RemovePhase(c *fiber.Ctx) error {
	return h.act(c, func(p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
		phaseID, err := request.ID(c, "phase")
		if err != nil {
			return procedure.Procedure{}, err
		}
		return h.Service.RemovePhase(c.UserContext(), p, id, phaseID)
	})
}

// Publish makes a draft public.
func (h *Procedures) Publish(c *fiber.Ctx) error {
	return h.act(c, func(p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
		return h.Service.Publish(c.UserContext(), p, id)
	})
}

// Close ends participation early, with a reason.
func (h *Procedures) Close(c *fiber.Ctx) error {
	return h.act(c, func(p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
		var in reasonRequest
		if err := h.Validator.JSON(c, &in); err != nil {
			return procedure.Procedure{}, err
		}
		return h.Service.CloseEarly(c.UserContext(), p, id, in.Reason)
	})
}

// Conclude publishes the result.
func (h *Procedures) Conclude(c *fiber.Ctx) error {
	return h.act(c, func(p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
		var in resultRequest
		if err := h.Validator.JSON(c, &in); err != nil {
			return procedure.Procedure{}, err
		}
		return h.Service.Conclude(c.UserContext(), p, id, in.Result)
	})
}

// Archive takes a concluded procedure out of the current catalogue.
func (h *Procedures) Archive(c *fiber.Ctx) error {
	return h.act(c, func(p account.Principal, id uuid.UUID) (procedure.Procedure, error) {
		return h.Service.Archive(c.UserContext(), p, id)
	})
}

// Delete removes a draft.
func (h *Procedures) Delete(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Service.Delete(c.UserContext(), p, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// act runs an agency action on the procedure in the path and answers with it.
func (h *Procedures) act(c *fiber.Ctx, fn func(p account.Principal, id uuid.UUID) (procedure.Procedure, error)) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	pr, err := fn(p, id)
	if err != nil {
		return err
	}
	return c.JSON(procedureFrom(pr, h.Service.Now(), true))
}

// Get returns a procedure by ID or slug. Drafts exist only for their staff.
func (h *Procedures) Get(c *fiber.Ctx) error {
	var viewer *account.Principal
	if p, err := middleware.Principal(c); err == nil {
		viewer = &p
	}
	key := strings.Clone(c.Params("id"))
	pr, err := h.Service.Get(c.UserContext(), viewer, key)
	if err != nil {
		return err
	}
	docs, err := h.Service.Documents(c.UserContext(), pr)
	if err != nil {
		return err
	}
	out := procedureFrom(pr, h.Service.Now(), true)
	list := documentsFrom(docs)
	out.Documents, out.Counts = &list, &procedureCounts{}
	for _, d := range docs {
		if d.Current() {
			out.Counts.Documents++
		}
	}
	if out.Counts.Statements, err = h.Statements.Count(c.UserContext(), pr.ID); err != nil {
		return err
	}
	if pr.IsDraft() {
		return c.JSON(out)
	}
	return publicJSON(c, out)
}

// Search serves the public catalogue.
func (h *Procedures) Search(c *fiber.Ctx) error {
	f, err := parseFilter(c, appproc.MaxPage)
	if err != nil {
		return err
	}
	page, err := h.Service.Search(c.UserContext(), f)
	if err != nil {
		return err
	}
	now := h.Service.Now()
	out := list[procedureResponse]{Items: make([]procedureResponse, len(page.Items)), NextCursor: page.NextCursor}
	for i, pr := range page.Items {
		out.Items[i] = procedureFrom(pr, now, false)
	}
	return publicJSON(c, out)
}

// parseFilter reads the catalogue's query parameters and reports every bad one;
// maxLimit bounds the page size.
func parseFilter(c *fiber.Ctx, maxLimit int) (procedure.Filter, error) {
	var f procedure.Filter
	var fields []problem.FieldProblem
	bad := func(field, code string) {
		fields = append(fields, problem.FieldProblem{Field: field, Code: code, Message: problemText(code)})
	}
	for _, t := range splitParam(c.Query("type")) {
		if !procedure.Type(t).Valid() {
			bad("type", "query.type")
		}
		f.Types = append(f.Types, procedure.Type(t))
	}
	for _, s := range splitParam(c.Query("status")) {
		if s == string(procedure.StatusDraft) || !validStatus(s) {
			bad("status", "query.status")
		}
		f.Statuses = append(f.Statuses, procedure.Status(s))
	}
	if v := c.Query("organisation"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			bad("organisation", "query.uuid")
		}
		f.OrganisationID = id
	}
	if v := c.Query("ags"); v != "" {
		if len(v) != 8 || strings.Trim(v, "0123456789") != "" {
			bad("ags", "organisation.ags_invalid")
		}
		f.AGS = strings.Clone(v)
	}
	if v := c.Query("bbox"); v != "" {
		b, err := geo.ParseBBox(v)
		if err != nil {
			bad("bbox", "query.bbox")
		}
		f.BBox = &b
	}
	switch v := c.Query("open"); v {
	case "", "false":
	case "true":
		f.OpenNow = true
	default:
		bad("open", "query.bool")
	}
	f.Text = strings.Clone(c.Query("q"))
	if len([]rune(f.Text)) > 200 {
		bad("q", "too_long")
	}
	switch v := procedure.Sort(c.Query("sort")); v {
	case "", procedure.SortNewest, procedure.SortDeadline, procedure.SortRelevance:
		f.Sort = v
	default:
		bad("sort", "query.sort")
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fields = append(fields, problem.FieldProblem{Field: "limit", Code: "query.limit_max",
				Message: i18n.T(i18n.Default, "query.limit_max", maxLimit)})
		}
		f.Limit = n
	}
	f.Cursor = strings.Clone(c.Query("cursor"))
	if len(fields) > 0 {
		p := problem.New(fiber.StatusUnprocessableEntity, "validation", "detail.validation")
		p.Fields = fields
		return f, p
	}
	return f, nil
}

func splitParam(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, strings.Clone(s))
		}
	}
	return out
}

func validStatus(s string) bool {
	for _, v := range procedure.Statuses {
		if string(v) == s {
			return true
		}
	}
	return false
}
