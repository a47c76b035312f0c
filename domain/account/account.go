// Package account models staff accounts, their roles in organisations and the
// authorisation rules that follow from them.
package account

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

// Role is what a staff member may do in one organisation.
type Role string

// Roles in an organisation, from most to least powerful.
const (
	RoleOrgAdmin  Role = "org_admin"
	RoleEditor    Role = "editor"
	RoleModerator Role = "moderator"
	RoleViewer    Role = "viewer"
)

// Roles lists every valid role.
var Roles = []Role{RoleOrgAdmin, RoleEditor, RoleModerator, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// Rule violations of accounts.
var (
	ErrEmailTaken         = domain.NewRule(domain.ErrConflict, "account.email_taken")
	ErrNotFound           = domain.NewRule(domain.ErrNotFound, "account.not_found")
	ErrInvalidCredentials = domain.NewRule(domain.ErrUnauthenticated, "account.invalid_credentials")
	ErrMemberExists       = domain.NewRule(domain.ErrConflict, "account.member_exists")
	ErrMemberNotFound     = domain.NewRule(domain.ErrNotFound, "account.member_not_found")
	ErrLastOrgAdmin       = domain.NewRule(domain.ErrConflict, "account.last_org_admin")
)

// Password length limits. The upper bound keeps hashing cost bounded.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
	maxDisplayName = 120
	maxEmail       = 254
)

// Account is a staff member's login identity.
type Account struct {
	ID            uuid.UUID
	Email         string // normalised: trimmed, lower case
	DisplayName   string
	PasswordHash  string
	InstanceAdmin bool
	Active        bool
	// SessionEpoch is raised to revoke every session of the account at once.
	SessionEpoch int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NormalizeEmail returns the form in which e-mail addresses are compared and stored.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Input is the data needed to create an account; the password is hashed by the caller.
type Input struct {
	Email       string
	DisplayName string
	Password    string
}

// Validate checks the account input and returns every problem at once.
func (in Input) Validate() error {
	var v domain.ValidationError
	email := NormalizeEmail(in.Email)
	if email == "" {
		v.Add("email", "required")
	} else if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > maxEmail {
		v.Add("email", "email")
	}
	name := strings.TrimSpace(in.DisplayName)
	if name == "" {
		v.Add("display_name", "required")
	} else if utf8.RuneCountInString(name) > maxDisplayName {
		v.Add("display_name", "too_long")
	}
	if code := CheckPassword(in.Password); code != "" {
		v.Add("password", code)
	}
	return v.Err()
}

// CheckPassword returns a message key when the password is unacceptable, "" otherwise.
// Length is the rule that matters (NIST SP 800-63B); composition rules are not imposed.
func CheckPassword(p string) string {
	n := utf8.RuneCountInString(p)
	switch {
	case n < MinPasswordLen:
		return "account.password_short"
	case len(p) > MaxPasswordLen:
		return "account.password_long"
	}
	return ""
}

// New builds an active account from validated input and a password hash.
func New(id uuid.UUID, in Input, hash string, now time.Time) (Account, error) {
	if err := in.Validate(); err != nil {
		return Account{}, err
	}
	return Account{
		ID:           id,
		Email:        NormalizeEmail(in.Email),
		DisplayName:  strings.TrimSpace(in.DisplayName),
		PasswordHash: hash,
		Active:       true,
		CreatedAt:    now.UTC(),
		UpdatedAt:    now.UTC(),
	}, nil
}

// Membership ties an account to an organisation with a role.
type Membership struct {
	AccountID        uuid.UUID
	OrganisationID   uuid.UUID
	OrganisationName string
	Role             Role
	CreatedAt        time.Time
}

// Member is an account as listed among an organisation's staff.
type Member struct {
	AccountID   uuid.UUID
	Email       string
	DisplayName string
	Role        Role
	Active      bool
	Since       time.Time
}
