package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain"
	acc "beteiligungsportal/domain/account"
)

// AddMemberInput names the person to add to an organisation. When no account has
// the e-mail yet, one is created with DisplayName and Password (generated when empty).
type AddMemberInput struct {
	Email       string
	DisplayName string
	Password    string
	Role        acc.Role
}

// AddMemberResult is the new membership and, when an account was created with a
// generated password, that password (shown once).
type AddMemberResult struct {
	Member            acc.Member
	AccountCreated    bool
	GeneratedPassword string
}

// Members lists the staff of orgID for an instance admin or one of its org admins.
func (s *Service) Members(ctx context.Context, p acc.Principal, orgID uuid.UUID) (list []acc.Member, err error) {
	if err := s.canManage(ctx, p, orgID); err != nil {
		return nil, err
	}
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		list, err = r.Accounts.Members(ctx, orgID)
		return err
	})
	return list, err
}

// AddMember gives an account a role in orgID, creating the account if needed.
func (s *Service) AddMember(ctx context.Context, p acc.Principal, orgID uuid.UUID, in AddMemberInput) (AddMemberResult, error) {
	if err := s.canManage(ctx, p, orgID); err != nil {
		return AddMemberResult{}, err
	}
	if !in.Role.Valid() {
		return AddMemberResult{}, &domain.ValidationError{Fields: []domain.FieldError{{Field: "role", Code: "account.role_invalid"}}}
	}
	var res AddMemberResult
	email := acc.NormalizeEmail(in.Email)
	var account acc.Account
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) (err error) {
		account, err = r.Accounts.GetByEmail(ctx, email)
		return err
	})
	switch {
	case errors.Is(err, domain.ErrNotFound):
		pw := in.Password
		if pw == "" {
			pw = GeneratePassword()
			res.GeneratedPassword = pw
		}
		if account, err = s.newAccount(acc.Input{Email: email, DisplayName: in.DisplayName, Password: pw}, false); err != nil {
			return AddMemberResult{}, err
		}
		res.AccountCreated = true
	case err != nil:
		return AddMemberResult{}, fmt.Errorf("add member: %w", err)
	}
	m := acc.Membership{AccountID: account.ID, OrganisationID: orgID, Role: in.Role, CreatedAt: s.now().UTC()}
	// Account and membership are written together: no account is left without
	// the membership it was created for.
	err = s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		if res.AccountCreated {
			if err := insertAccount(ctx, r, p, orgID, account); err != nil {
				return err
			}
		}
		if err := r.Accounts.AddMembership(ctx, m); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, orgID, "member.add", "account", account.ID.String(),
			map[string]any{"organisation_id": orgID, "role": in.Role})
	})
	if err != nil {
		return AddMemberResult{}, fmt.Errorf("add member: %w", err)
	}
	res.Member = acc.Member{AccountID: account.ID, Email: account.Email, DisplayName: account.DisplayName,
		Role: in.Role, Active: account.Active, Since: m.CreatedAt}
	return res, nil
}

// ChangeRole sets a member's role. The last org admin cannot be demoted.
func (s *Service) ChangeRole(ctx context.Context, p acc.Principal, orgID, accountID uuid.UUID, role acc.Role) error {
	if err := s.canManage(ctx, p, orgID); err != nil {
		return err
	}
	if !role.Valid() {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "role", Code: "account.role_invalid"}}}
	}
	return s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		m, err := r.Accounts.Membership(ctx, orgID, accountID)
		if err != nil {
			return err
		}
		if m.Role == acc.RoleOrgAdmin && role != acc.RoleOrgAdmin {
			if err := lastAdminGuard(ctx, r, orgID); err != nil {
				return err
			}
		}
		if err := r.Accounts.SetRole(ctx, orgID, accountID, role); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, orgID, "member.change_role", "account", accountID.String(),
			map[string]any{"organisation_id": orgID, "from": m.Role, "to": role})
	})
}

// RemoveMember ends a membership. The last org admin cannot be removed.
func (s *Service) RemoveMember(ctx context.Context, p acc.Principal, orgID, accountID uuid.UUID) error {
	if err := s.canManage(ctx, p, orgID); err != nil {
		return err
	}
	return s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		m, err := r.Accounts.Membership(ctx, orgID, accountID)
		if err != nil {
			return err
		}
		if m.Role == acc.RoleOrgAdmin {
			if err := lastAdminGuard(ctx, r, orgID); err != nil {
				return err
			}
		}
		if err := r.Accounts.RemoveMembership(ctx, orgID, accountID); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, orgID, "member.remove", "account", accountID.String(),
			map[string]any{"organisation_id": orgID, "role": m.Role})
	})
}

// AddMemberAsSystem adds a membership from the shell (seed-demo), creating the
// account with the given password when it does not exist.
func (s *Service) AddMemberAsSystem(ctx context.Context, orgID uuid.UUID, in AddMemberInput) (AddMemberResult, error) {
	return s.AddMember(ctx, SystemPrincipal, orgID, in)
}

func lastAdminGuard(ctx context.Context, r Repos, orgID uuid.UUID) error {
	n, err := r.Accounts.CountRole(ctx, orgID, acc.RoleOrgAdmin)
	if err != nil {
		return err
	}
	if n <= 1 {
		return acc.ErrLastOrgAdmin
	}
	return nil
}

// canManage refuses a principal who may not manage orgID's members, and reports
// an unknown organisation as not found only to those who could manage it.
func (s *Service) canManage(ctx context.Context, p acc.Principal, orgID uuid.UUID) error {
	if !p.CanManageMembers(orgID) {
		return domain.ErrForbidden
	}
	return s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		_, err := r.Organisations.Get(ctx, orgID)
		return err
	})
}
