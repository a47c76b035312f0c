package middleware

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/google/uuid"

	"beteiligungsportal/domain"
	"beteiligungsportal/domain/account"
	"beteiligungsportal/web/problem"
)

// Session keys.
const (
	SessionAccount = "aid"
	SessionEpoch   = "epoch"
)

const localAuth = "auth"

// PrincipalLoader loads the signed-in account with its roles.
type PrincipalLoader interface {
	Principal(ctx context.Context, id uuid.UUID) (account.Principal, error)
}

// Authenticate prepares resolving the session cookie to a principal. The work
// (a session read in Redis, the account in PostgreSQL) is done on the first call
// of Principal, so public routes pay nothing for a cookie they do not need.
func Authenticate(store *session.Store, cookie string, accounts PrincipalLoader) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Cookies(cookie) != "" {
			c.Locals(localAuth, &lazyPrincipal{store: store, accounts: accounts})
		}
		return c.Next()
	}
}

type lazyPrincipal struct {
	store    *session.Store
	accounts PrincipalLoader
	done     bool
	p        account.Principal
	err      error
}

// resolve reads the session once. A session whose account is gone, deactivated,
// or whose sessions were revoked (the account's epoch moved on) is destroyed.
func (l *lazyPrincipal) resolve(c *fiber.Ctx) (account.Principal, error) {
	if l.done {
		return l.p, l.err
	}
	l.done = true
	l.err = domain.ErrUnauthenticated
	sess, err := l.store.Get(c)
	if err != nil {
		l.err = SessionsUnavailable()
		return l.p, l.err
	}
	raw, _ := sess.Get(SessionAccount).(string)
	id, err := uuid.Parse(raw)
	if err != nil {
		return l.p, l.err
	}
	epoch, _ := sess.Get(SessionEpoch).(int64)
	p, err := l.accounts.Principal(c.UserContext(), id)
	switch {
	case errors.Is(err, domain.ErrUnauthenticated) || (err == nil && p.Account.SessionEpoch != epoch):
		_ = sess.Destroy() // revoked; an error here only means it expires by itself
	case err != nil:
		l.err = err
	default:
		l.p, l.err = p, nil
	}
	return l.p, l.err
}

// Principal returns the signed-in principal, 401 when there is none, or 503 when
// the session store could not be asked.
func Principal(c *fiber.Ctx) (account.Principal, error) {
	l, ok := c.Locals(localAuth).(*lazyPrincipal)
	if !ok {
		return account.Principal{}, domain.ErrUnauthenticated
	}
	return l.resolve(c)
}

// SessionsUnavailable is the problem for a session store that cannot be reached.
func SessionsUnavailable() error {
	return problem.New(fiber.StatusServiceUnavailable, "unavailable", "detail.sessions_unavailable")
}
