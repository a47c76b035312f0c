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

const (
	localPrincipal   = "principal"
	localSessionDown = "session_down"
)

// PrincipalLoader loads the signed-in account with its roles.
type PrincipalLoader interface {
	Principal(ctx context.Context, id uuid.UUID) (account.Principal, error)
}

// Authenticate resolves the session cookie to a principal for this request. A
// session whose account is gone, deactivated or whose sessions were revoked (the
// account's epoch moved on) is destroyed. When the session store is down, the
// request continues anonymously and routes that need a principal answer 503.
func Authenticate(store *session.Store, cookie string, accounts PrincipalLoader) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Cookies(cookie) == "" {
			return c.Next()
		}
		sess, err := store.Get(c)
		if err != nil {
			c.Locals(localSessionDown, true)
			return c.Next()
		}
		raw, _ := sess.Get(SessionAccount).(string)
		id, err := uuid.Parse(raw)
		if err != nil {
			return c.Next()
		}
		epoch, _ := sess.Get(SessionEpoch).(int64)
		p, err := accounts.Principal(c.UserContext(), id)
		switch {
		case errors.Is(err, domain.ErrUnauthenticated) || (err == nil && p.Account.SessionEpoch != epoch):
			_ = sess.Destroy() // revoked; an error here only means it expires by itself
			return c.Next()
		case err != nil:
			return err
		}
		c.Locals(localPrincipal, p)
		return c.Next()
	}
}

// Principal returns the signed-in principal, 401 when there is none, or 503 when
// the session store could not be asked.
func Principal(c *fiber.Ctx) (account.Principal, error) {
	if p, ok := c.Locals(localPrincipal).(account.Principal); ok {
		return p, nil
	}
	if down, _ := c.Locals(localSessionDown).(bool); down {
		return account.Principal{}, SessionsUnavailable()
	}
	return account.Principal{}, domain.ErrUnauthenticated
}

// SessionsUnavailable is the problem for a session store that cannot be reached.
func SessionsUnavailable() error {
	return problem.New(fiber.StatusServiceUnavailable, "unavailable", "detail.sessions_unavailable")
}

// SessionStoreDown reports whether Authenticate found the session store down.
func SessionStoreDown(c *fiber.Ctx) bool {
	down, _ := c.Locals(localSessionDown).(bool)
	return down
}
