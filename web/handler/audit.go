package handler

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	appaudit "beteiligungsportal/app/audit"
	"beteiligungsportal/domain/audit"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/problem"
	"beteiligungsportal/web/request"
)

// Audit serves the audit trail.
type Audit struct {
	Service *appaudit.Service
}

type auditEntryResponse struct {
	ID             int64          `json:"id"`
	At             time.Time      `json:"at"`
	ActorID        *string        `json:"actor_id"`
	ActorEmail     string         `json:"actor_email"`
	OrganisationID *string        `json:"organisation_id"`
	Action         string         `json:"action"`
	ObjectType     string         `json:"object_type"`
	ObjectID       string         `json:"object_id"`
	RequestID      string         `json:"request_id"`
	Details        map[string]any `json:"details"`
}

func optionalID(id uuid.UUID) *string {
	if id == uuid.Nil {
		return nil
	}
	s := id.String()
	return &s
}

// Instance lists the whole trail (instance admins).
func (h *Audit) Instance(c *fiber.Ctx) error { return h.list(c, uuid.Nil) }

// Organisation lists the trail of the organisation in the path (its org admins).
func (h *Audit) Organisation(c *fiber.Ctx) error {
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	return h.list(c, id)
}

func (h *Audit) list(c *fiber.Ctx, orgID uuid.UUID) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	f := audit.Filter{OrganisationID: orgID}
	if v := c.Query("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > appaudit.MaxPage {
			return queryProblem("limit", "query.limit")
		}
	}
	if v := c.Query("cursor"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil || f.Before < 1 {
			return queryProblem("cursor", "query.cursor")
		}
	}
	entries, err := h.Service.List(c.UserContext(), p, f)
	if err != nil {
		return err
	}
	out := list[auditEntryResponse]{Items: make([]auditEntryResponse, len(entries))}
	for i, e := range entries {
		details := e.Details
		if details == nil {
			details = map[string]any{}
		}
		out.Items[i] = auditEntryResponse{ID: e.ID, At: e.At, ActorID: optionalID(e.ActorID), ActorEmail: e.ActorEmail,
			OrganisationID: optionalID(e.OrganisationID), Action: e.Action, ObjectType: e.ObjectType,
			ObjectID: e.ObjectID, RequestID: e.RequestID, Details: details}
	}
	if n := len(entries); n > 0 && n == effectiveLimit(f.Limit) {
		out.NextCursor = strconv.FormatInt(entries[n-1].ID, 10)
	}
	return c.JSON(out)
}

func effectiveLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return n
}

func queryProblem(field, code string) error {
	p := problem.New(fiber.StatusUnprocessableEntity, "validation", "detail.validation")
	p.Fields = []problem.FieldProblem{{Field: field, Code: code, Message: problemText(code)}}
	return p
}
