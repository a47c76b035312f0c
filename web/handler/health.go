package handler

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/app/i18n"
	"beteiligungsportal/web/problem"
)

// Check is one dependency that readiness asks.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Healthz answers while the process serves requests.
func Healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// Readyz asks every dependency at once, each within one second, and answers 503
// naming the ones that failed.
func Readyz(checks []Check) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), time.Second)
		defer cancel()
		results := make(map[string]any, len(checks))
		var failed []string
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, ch := range checks {
			wg.Go(func() {
				err := ch.Ping(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					results[ch.Name] = "unavailable"
					failed = append(failed, i18n.T(i18n.Default, "readiness."+ch.Name))
					return
				}
				results[ch.Name] = "ok"
			})
		}
		wg.Wait()
		c.Set(fiber.HeaderCacheControl, "no-store")
		if len(failed) > 0 {
			slices.Sort(failed)
			p := problem.New(fiber.StatusServiceUnavailable, "unavailable", "detail.readiness", strings.Join(failed, ", "))
			p.Checks = results
			return p
		}
		return c.JSON(fiber.Map{"status": "ok", "checks": results})
	}
}
