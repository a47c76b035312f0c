// Package middleware holds the portal's own HTTP middleware: request context,
// access log and metrics, rate limiting and authentication.
package middleware

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"beteiligungsportal/app/audit"
)

// HeaderRequestID carries the request ID in and out.
const HeaderRequestID = "X-Request-ID"

const localRequestID = "request_id"

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,64}$`)

// RequestContext gives every request an ID (the caller's when it is well formed,
// a new one otherwise), echoes it in the response, and sets the user context that
// handlers pass to services: it carries the ID and ends after timeout.
func RequestContext(timeout time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(HeaderRequestID)
		if !validRequestID.MatchString(id) {
			id = uuid.NewString()
		} else {
			id = strings.Clone(id) // the header's bytes are reused after the handler
		}
		c.Locals(localRequestID, id)
		c.Set(HeaderRequestID, id)
		ctx, cancel := context.WithTimeout(audit.WithRequestID(context.Background(), id), timeout)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}

// RequestID returns the request's ID. Requests refused before any middleware ran
// (an oversized body) get one here, so that every answer carries an ID.
func RequestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(localRequestID).(string); ok {
		return id
	}
	id := uuid.NewString()
	c.Locals(localRequestID, id)
	c.Set(HeaderRequestID, id)
	return id
}
