package handler

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"

	appaccount "beteiligungsportal/app/account"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/web/middleware"
	"beteiligungsportal/web/request"
)

// Auth serves login, logout and the signed-in account.
type Auth struct {
	Accounts  *appaccount.Service
	Sessions  *session.Store
	Validator *request.Validator
	Log       *slog.Logger
	// LoginByIP and LoginByAccount limit login attempts per client IP and per
	// e-mail address and IP; both fail closed.
	LoginByIP, LoginByAccount middleware.Rule
	// CSRFToken returns the request's CSRF token, set by the CSRF middleware.
	CSRFToken func(c *fiber.Ctx) string
}

type loginRequest struct {
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=1024"`
}

// MeResponse is the signed-in account with its roles.
type MeResponse struct {
	ID            string               `json:"id"`
	Email         string               `json:"email"`
	DisplayName   string               `json:"display_name"`
	InstanceAdmin bool                 `json:"instance_admin"`
	Memberships   []membershipResponse `json:"memberships"`
	CSRFToken     string               `json:"csrf_token,omitempty"`
}

type membershipResponse struct {
	OrganisationID   string `json:"organisation_id"`
	OrganisationName string `json:"organisation_name"`
	Role             string `json:"role"`
}

func meFrom(p account.Principal) MeResponse {
	r := MeResponse{ID: p.Account.ID.String(), Email: p.Account.Email, DisplayName: p.Account.DisplayName,
		InstanceAdmin: p.Account.InstanceAdmin, Memberships: []membershipResponse{}}
	for _, m := range p.Memberships {
		r.Memberships = append(r.Memberships, membershipResponse{
			OrganisationID: m.OrganisationID.String(), OrganisationName: m.OrganisationName, Role: string(m.Role)})
	}
	return r
}

// Login checks the credentials and starts a new session: the session ID changes,
// so an ID planted before login is worthless afterwards.
func (h *Auth) Login(c *fiber.Ctx) error {
	if err := h.LoginByIP.Check(c, h.Log); err != nil {
		return err
	}
	var in loginRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	byAccount := h.LoginByAccount
	byAccount.Key = func(c *fiber.Ctx) string { return emailKey(in.Email) + ":" + c.IP() }
	if err := byAccount.Check(c, h.Log); err != nil {
		return err
	}
	p, err := h.Accounts.Login(c.UserContext(), in.Email, in.Password)
	if err != nil {
		return err
	}
	sess, err := h.Sessions.Get(c)
	if err != nil {
		return middleware.SessionsUnavailable()
	}
	if err := sess.Reset(); err != nil {
		return middleware.SessionsUnavailable()
	}
	sess.Set(middleware.SessionAccount, p.Account.ID.String())
	sess.Set(middleware.SessionEpoch, p.Account.SessionEpoch)
	sess.Set("login_at", time.Now().UTC().Unix())
	if err := sess.Save(); err != nil {
		return middleware.SessionsUnavailable()
	}
	return c.JSON(meFrom(p))
}

// emailKey keeps e-mail addresses out of Redis keys.
func emailKey(email string) string {
	sum := sha256.Sum256([]byte(account.NormalizeEmail(email)))
	return hex.EncodeToString(sum[:12])
}

// Logout ends the session on the server and expires the cookie.
func (h *Auth) Logout(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	sess, err := h.Sessions.Get(c)
	if err != nil {
		return middleware.SessionsUnavailable()
	}
	if err := sess.Destroy(); err != nil {
		return middleware.SessionsUnavailable()
	}
	if err := h.Accounts.Logout(c.UserContext(), p); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// LogoutAll ends every session of the account, on every instance.
func (h *Auth) LogoutAll(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	if err := h.Accounts.RevokeSessions(c.UserContext(), p); err != nil {
		return err
	}
	if sess, err := h.Sessions.Get(c); err == nil {
		_ = sess.Destroy() // the epoch already revoked it; this just clears the cookie
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Me returns the signed-in account, its roles and the CSRF token that unsafe
// requests must send in the X-CSRF-Token header.
func (h *Auth) Me(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	r := meFrom(p)
	r.CSRFToken = h.CSRFToken(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(r)
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password" validate:"required,max=1024"`
	NewPassword     string `json:"new_password" validate:"required,max=1024"`
}

// ChangePassword sets a new password and ends all sessions of the account; the
// caller signs in again.
func (h *Auth) ChangePassword(c *fiber.Ctx) error {
	p, err := middleware.Principal(c)
	if err != nil {
		return err
	}
	var in changePasswordRequest
	if err := h.Validator.JSON(c, &in); err != nil {
		return err
	}
	if err := h.Accounts.ChangePassword(c.UserContext(), p, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	if sess, err := h.Sessions.Get(c); err == nil {
		_ = sess.Destroy()
	}
	return c.SendStatus(fiber.StatusNoContent)
}
