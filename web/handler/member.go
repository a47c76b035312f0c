package handler

import (
	"time"

	"github.com/gofiber/fiber/v2"

	appaccount "beteiligungsportal/app/account"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// Members serves an organisation's staff list to its org admins and instance admins.
type Members struct {
	Accounts  *appaccount.Service
	Validator *request.Validator
}

type memberResponse struct {
	AccountID   string    `json:"account_id"`
	Email       string    `json:"email"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	Active      bool      `json:"active"`
	Since       time.Time `json:"since"`
}

func memberFrom(m account.Member) memberResponse {
	return memberResponse{AccountID: m.AccountID.String(), Email: m.Email, DisplayName: m.DisplayName,
		Role: string(m.Role), Active: m.Active, Since: m.Since}
}

type addMemberRequest struct {
	Email       string `json:"email" validate:"required,email,max=254"`
	DisplayName string `json:"display_name" validate:"max=120"`
	Password    string `json:"password" validate:"omitempty,min=12,max=256"`
	Role        string `json:"role" validate:"required,oneof=org_admin editor moderator viewer"`
}

type addMemberResponse struct {
	memberResponse
	AccountCreated bool `json:"account_created"`
	// InitialPassword is shown once when the account was created without one.
	InitialPassword string `json:"initial_password,omitempty"`
}

type changeRoleRequest struct {
	Role string `json:"role" validate:"required,oneof=org_admin editor moderator viewer"`
}

// List returns the members of the organisation in the path.
func (h *Members) List(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	orgID, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	ms, err := h.Accounts.Members(c.UserContext(), p, orgID)
	if err != nil {
		return err
	}
	out := list[memberResponse]{Items: make([]memberResponse, len(ms))}
	for i, m := range ms {
		out.Items[i] = memberFrom(m)
	}
	return c.JSON(out)
}

// Add gives a person a role in the organisation, creating their account if needed.
func (h *Members) Add(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	orgID, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	var in addMemberRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	res, err := h.Accounts.AddMember(c.UserContext(), p, orgID, appaccount.AddMemberInput{
		Email: in.Email, DisplayName: in.DisplayName, Password: in.Password, Role: account.Role(in.Role)})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return created(c, "/api/v1/organisations/"+orgID.String()+"/members/"+res.Member.AccountID.String(),
		addMemberResponse{memberResponse: memberFrom(res.Member), AccountCreated: res.AccountCreated, InitialPassword: res.GeneratedPassword})
}

// ChangeRole sets a member's role.
func (h *Members) ChangeRole(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	orgID, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	accountID, err := request.ID(c, "account")
	if err != nil {
		return err
	}
	var in changeRoleRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	if err := h.Accounts.ChangeRole(c.UserContext(), p, orgID, accountID, account.Role(in.Role)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Remove ends a membership.
func (h *Members) Remove(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	orgID, err := request.ID(c, "id")
	if err != nil {
		return err
	}
	accountID, err := request.ID(c, "account")
	if err != nil {
		return err
	}
	if err := h.Accounts.RemoveMember(c.UserContext(), p, orgID, accountID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
