// Package account holds the use cases of staff accounts: signing in, the signed-in
// principal, bootstrapping an instance admin, and organisation membership.
package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
	"beteiligungsportal/domain"
	acc "beteiligungsportal/domain/account"
	org "beteiligungsportal/domain/organisation"
)

// Store persists accounts and memberships.
type Store interface {
	Get(ctx context.Context, id uuid.UUID) (acc.Account, error)
	GetByEmail(ctx context.Context, email string) (acc.Account, error)
	Insert(ctx context.Context, a acc.Account) error
	Update(ctx context.Context, a acc.Account) error
	// BumpSessionEpoch invalidates every session of the account.
	BumpSessionEpoch(ctx context.Context, id uuid.UUID) error
	Memberships(ctx context.Context, accountID uuid.UUID) ([]acc.Membership, error)
	Members(ctx context.Context, orgID uuid.UUID) ([]acc.Member, error)
	Membership(ctx context.Context, orgID, accountID uuid.UUID) (acc.Membership, error)
	AddMembership(ctx context.Context, m acc.Membership) error
	SetRole(ctx context.Context, orgID, accountID uuid.UUID, role acc.Role) error
	RemoveMembership(ctx context.Context, orgID, accountID uuid.UUID) error
	// CountRole counts the members of org holding role, locking their rows.
	CountRole(ctx context.Context, orgID uuid.UUID, role acc.Role) (int, error)
}

// Organisations is the read access to organisations that membership rules need.
type Organisations interface {
	Get(ctx context.Context, id uuid.UUID) (org.Organisation, error)
}

// Hasher hashes and checks passwords.
type Hasher interface {
	Hash(password string) (string, error)
	Verify(password, hash string) (bool, error)
}

// Repos are the stores a use case works with inside one transaction.
type Repos struct {
	Accounts      Store
	Organisations Organisations
	Audit         audit.Writer
}

// TxRunner runs fn with repositories bound to one transaction (InTx) or to the
// database without one (Read).
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
	Read(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}

// Service implements the account use cases.
type Service struct {
	tx        TxRunner
	hasher    Hasher
	now       func() time.Time
	dummyHash string
}

// NewService returns a Service. It hashes one dummy password up front so that a
// login with an unknown e-mail costs as much time as one with a wrong password.
func NewService(tx TxRunner, hasher Hasher, now func() time.Time) (*Service, error) {
	dummy, err := hasher.Hash(rand.Text())
	if err != nil {
		return nil, fmt.Errorf("prepare dummy hash: %w", err)
	}
	return &Service{tx: tx, hasher: hasher, now: now, dummyHash: dummy}, nil
}

// Login checks the credentials and returns the principal. Unknown e-mail, wrong
// password and inactive account all give ErrInvalidCredentials after the same work.
func (s *Service) Login(ctx context.Context, email, password string) (acc.Principal, error) {
	var a acc.Account
	err := s.tx.Read(ctx, func(ctx context.Context, r Repos) (err error) {
		a, err = r.Accounts.GetByEmail(ctx, acc.NormalizeEmail(email))
		return err
	})
	found := err == nil
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return acc.Principal{}, fmt.Errorf("login: %w", err)
	}
	hash := s.dummyHash
	if found {
		hash = a.PasswordHash
	}
	if len(password) > acc.MaxPasswordLen {
		password = password[:acc.MaxPasswordLen]
	}
	ok, err := s.hasher.Verify(password, hash)
	if err != nil {
		return acc.Principal{}, fmt.Errorf("login: %w", err)
	}
	if !found || !ok || !a.Active {
		return acc.Principal{}, acc.ErrInvalidCredentials
	}
	p, err := s.Principal(ctx, a.ID)
	if err != nil {
		return acc.Principal{}, err
	}
	err = s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "auth.login", "account", a.ID.String(), nil)
	})
	return p, err
}

// Principal loads the account with its memberships. An unknown or inactive
// account is ErrUnauthenticated: its sessions no longer count.
func (s *Service) Principal(ctx context.Context, id uuid.UUID) (p acc.Principal, err error) {
	err = s.tx.Read(ctx, func(ctx context.Context, r Repos) error {
		a, err := r.Accounts.Get(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.ErrUnauthenticated
		}
		if err != nil {
			return err
		}
		if !a.Active {
			return domain.ErrUnauthenticated
		}
		ms, err := r.Accounts.Memberships(ctx, id)
		if err != nil {
			return err
		}
		p = acc.Principal{Account: a, Memberships: ms}
		return nil
	})
	return p, err
}

// Logout records the end of a session in the audit trail.
func (s *Service) Logout(ctx context.Context, p acc.Principal) error {
	return s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "auth.logout", "account", p.Account.ID.String(), nil)
	})
}

// RevokeSessions ends every session of p's account, on every instance.
func (s *Service) RevokeSessions(ctx context.Context, p acc.Principal) error {
	return s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		if err := r.Accounts.BumpSessionEpoch(ctx, p.Account.ID); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "auth.revoke_sessions", "account", p.Account.ID.String(), nil)
	})
}

// ChangePassword sets a new password for p after checking the current one, and
// ends the account's other sessions.
func (s *Service) ChangePassword(ctx context.Context, p acc.Principal, current, next string) error {
	if ok, err := s.hasher.Verify(current, p.Account.PasswordHash); err != nil || !ok {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "current_password", Code: "account.password_wrong"}}}
	}
	if code := acc.CheckPassword(next); code != "" {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "new_password", Code: code}}}
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		a, err := r.Accounts.Get(ctx, p.Account.ID)
		if err != nil {
			return err
		}
		a.PasswordHash, a.UpdatedAt = hash, s.now().UTC()
		a.SessionEpoch++
		if err := r.Accounts.Update(ctx, a); err != nil {
			return err
		}
		return audit.Record(ctx, r.Audit, p, uuid.Nil, "account.change_password", "account", a.ID.String(), nil)
	})
}

// CreateInstanceAdmin creates an instance administrator from the shell. An empty
// password is replaced by a generated one, which is returned.
func (s *Service) CreateInstanceAdmin(ctx context.Context, email, name, password string) (acc.Account, string, error) {
	if password == "" {
		password = GeneratePassword()
	}
	a, err := s.create(ctx, SystemPrincipal, uuid.Nil, acc.Input{Email: email, DisplayName: name, Password: password}, true)
	return a, password, err
}

// SystemPrincipal acts for commands run from the shell (create-admin, seed-demo);
// the audit trail shows it as an actor without an account.
var SystemPrincipal = acc.Principal{Account: acc.Account{Email: "system", InstanceAdmin: true, Active: true}}

func (s *Service) create(ctx context.Context, p acc.Principal, orgID uuid.UUID, in acc.Input, admin bool) (acc.Account, error) {
	a, err := s.newAccount(in, admin)
	if err != nil {
		return acc.Account{}, err
	}
	err = s.tx.InTx(ctx, func(ctx context.Context, r Repos) error {
		return insertAccount(ctx, r, p, orgID, a)
	})
	if err != nil {
		return acc.Account{}, fmt.Errorf("create account: %w", err)
	}
	return a, nil
}

// newAccount validates the input and hashes the password, outside any transaction
// because hashing is deliberately slow.
func (s *Service) newAccount(in acc.Input, admin bool) (acc.Account, error) {
	if err := in.Validate(); err != nil {
		return acc.Account{}, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return acc.Account{}, fmt.Errorf("hash password: %w", err)
	}
	a, err := acc.New(uuid.Must(uuid.NewV7()), in, hash, s.now())
	if err != nil {
		return acc.Account{}, err
	}
	a.InstanceAdmin = admin
	return a, nil
}

func insertAccount(ctx context.Context, r Repos, p acc.Principal, orgID uuid.UUID, a acc.Account) error {
	if err := r.Accounts.Insert(ctx, a); err != nil {
		return err
	}
	return audit.Record(ctx, r.Audit, p, orgID, "account.create", "account", a.ID.String(),
		map[string]any{"email": a.Email, "instance_admin": a.InstanceAdmin})
}

// GeneratePassword returns a random password of 26 characters (130 bits).
func GeneratePassword() string { return rand.Text() }
