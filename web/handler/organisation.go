package handler

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	apporg "beteiligungsportal/app/organisation"
	org "beteiligungsportal/domain/organisation"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// Organisations serves the organisation directory.
type Organisations struct {
	Service   *apporg.Service
	Validator *request.Validator
}

type contactDTO struct {
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
	Website string `json:"website"`
}

type organisationRequest struct {
	ParentID *string    `json:"parent_id" validate:"omitempty,uuid"`
	Name     string     `json:"name" validate:"required,max=200"`
	Kind     string     `json:"kind" validate:"required,oneof=state district municipality authority public_body"`
	AGS      string     `json:"ags" validate:"omitempty,len=8,numeric"`
	Contact  contactDTO `json:"contact"`
}

func (r organisationRequest) input() org.Input {
	in := org.Input{Name: r.Name, Kind: org.Kind(r.Kind), AGS: r.AGS, Contact: org.Contact(r.Contact)}
	if r.ParentID != nil {
		in.ParentID = uuid.MustParse(*r.ParentID) // validated above
	}
	return in
}

type organisationResponse struct {
	ID        string     `json:"id"`
	ParentID  *string    `json:"parent_id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	AGS       *string    `json:"ags"`
	Contact   contactDTO `json:"contact"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func organisationFrom(o org.Organisation) organisationResponse {
	r := organisationResponse{ID: o.ID.String(), Name: o.Name, Kind: string(o.Kind),
		Contact: contactDTO(o.Contact), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if o.ParentID != uuid.Nil {
		s := o.ParentID.String()
		r.ParentID = &s
	}
	if !o.AGS.IsZero() {
		s := o.AGS.String()
		r.AGS = &s
	}
	return r
}

// List returns every organisation; the directory is public.
func (h *Organisations) List(c *fiber.Ctx) error {
	all, err := h.Service.List(c.UserContext())
	if err != nil {
		return err
	}
	out := list[organisationResponse]{Items: make([]organisationResponse, len(all))}
	for i, o := range all {
		out.Items[i] = organisationFrom(o)
	}
	return c.JSON(out)
}

// Get returns one organisation.
func (h *Organisations) Get(c *fiber.Ctx) error {
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	o, err := h.Service.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(organisationFrom(o))
}

// Create adds an organisation (instance admins).
func (h *Organisations) Create(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	var in organisationRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	o, err := h.Service.Create(c.UserContext(), p, in.input())
	if err != nil {
		return err
	}
	return created(c, "/api/v1/organisations/"+o.ID.String(), organisationFrom(o))
}

// Update replaces an organisation's data (instance admins).
func (h *Organisations) Update(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	id, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var in organisationRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	o, err := h.Service.Update(c.UserContext(), p, id, in.input())
	if err != nil {
		return err
	}
	return c.JSON(organisationFrom(o))
}

// Delete removes an organisation without children (instance admins).
func (h *Organisations) Delete(c *fiber.Ctx) error {
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
