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
	// Degrades marks a dependency the portal serves without, worse (Redis:
	// limits fail open, logins wait): its failure is reported, but the
	// instance stays ready, so a balancer keeps sending what still works.
	Degrades bool
}

// Healthz answers while the process serves requests.
func Healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// Readyz tells a load balancer whether to send this instance requests. It is
// 503 while the instance drains before stopping (draining may be nil) and when
// a dependency it cannot serve without fails; it asks every dependency at
// once, each within one second, and names the ones that failed.
func Readyz(checks []Check, draining func() bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		if draining != nil && draining() {
			return problem.New(fiber.StatusServiceUnavailable, "unavailable", "detail.draining")
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), time.Second)
		defer cancel()
		results := make(map[string]any, len(checks))
		var failed, degraded []string
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, ch := range checks {
			wg.Go(func() {
				err := ch.Ping(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					results[ch.Name] = "ok"
					return
				}
				results[ch.Name] = "unavailable"
				name := i18n.T(i18n.Default, "readiness."+ch.Name)
				if ch.Degrades {
					degraded = append(degraded, name)
				} else {
					failed = append(failed, name)
				}
			})
		}
		wg.Wait()
		if len(failed) > 0 {
			failed = append(failed, degraded...)
			slices.Sort(failed)
			p := problem.New(fiber.StatusServiceUnavailable, "unavailable", "detail.readiness", strings.Join(failed, ", "))
			p.Checks = results
			return p
		}
		if len(degraded) > 0 {
			return c.JSON(fiber.Map{"status": "degraded", "checks": results})
		}
		return c.JSON(fiber.Map{"status": "ok", "checks": results})
	}
}
